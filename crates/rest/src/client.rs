//! The client. One place decides what a failure means: 401 and 403 are final and say what to
//! fix, 429 waits as long as the server asks, 5xx, timeouts and lost connections are retried
//! with exponential backoff and jitter, and anything else comes back verbatim. Every error
//! names the call as `METHOD URL`. Tokens travel only in the `Authorization` header: they are
//! never logged and never part of an error.

use crate::RestError;
use chrono::{DateTime, Utc};
use model::Secret;
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How an HTTP source talks to its API: time limits and retries.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Limit for one request, from connecting to the last byte of the answer. Keep it above
    /// the time a warehouse may hold a request open on purpose (Snowflake: 45 s).
    pub timeout: Duration,
    /// Attempts per request, the first included; 0 counts as 1.
    pub attempts: u32,
    /// Wait before the first retry; it doubles with every further retry.
    pub backoff: Duration,
    /// The longest wait between two attempts, a server's `Retry-After` included.
    pub max_backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(60),
            attempts: 4,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// The body of a request.
enum Body {
    None,
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
}

/// One API call, described once and sent as many times as retries need.
pub struct Request<'a> {
    method: Method,
    url: String,
    query: Vec<(&'static str, String)>,
    headers: Vec<(&'static str, String)>,
    bearer: Option<&'a Secret>,
    body: Body,
    grant: &'a str,
}

impl<'a> Request<'a> {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::GET, url, Body::None)
    }

    /// A `POST` of a JSON body to `url`.
    pub fn post_json(url: impl Into<String>, body: serde_json::Value) -> Self {
        Request::new(Method::POST, url, Body::Json(body))
    }

    /// A `POST` of an HTML form to `url`.
    pub fn post_form(url: impl Into<String>, form: Vec<(&'static str, String)>) -> Self {
        Request::new(Method::POST, url, Body::Form(form))
    }

    fn new(method: Method, url: impl Into<String>, body: Body) -> Self {
        Request {
            method,
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            bearer: None,
            body,
            grant: "",
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &'a Secret) -> Self {
        self.bearer = Some(token);
        self
    }

    /// What to grant when the answer is 403, for [`RestError::Forbidden`].
    pub fn grant(mut self, grant: &'a str) -> Self {
        self.grant = grant;
        self
    }

    /// The URL with its query, or why it is not one.
    fn full_url(&self) -> Result<Url, String> {
        let mut url = Url::parse(&self.url).map_err(|e| format!("not a URL: {e}"))?;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        Ok(url)
    }
}

/// A successful answer: its status (some APIs say "still running" with 202) and its body.
pub struct Answer<T> {
    /// The HTTP status.
    pub status: u16,
    /// The parsed body.
    pub body: T,
}

/// The client; cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    options: HttpOptions,
}

/// What one attempt came to.
enum Outcome {
    Done(StatusCode, Vec<u8>),
    Retry {
        error: RestError,
        wait: Option<Duration>,
    },
    Fail(RestError),
}

/// Error bodies are cut to this many characters: enough for the warehouse's message.
const BODY_LIMIT: usize = 1_000;

impl HttpClient {
    /// A client that sends with `options`' limits.
    pub fn new(options: HttpOptions) -> Self {
        HttpClient {
            client: reqwest::Client::new(),
            options,
        }
    }

    /// Sends `request` (retrying as the module doc says) and parses the answer as JSON.
    pub async fn send<T: DeserializeOwned>(
        &self,
        request: &Request<'_>,
    ) -> Result<Answer<T>, RestError> {
        let url = match request.full_url() {
            Ok(url) => url,
            Err(detail) => return Err(no_answer(call_name(request, &request.url), detail)),
        };
        let call = call_name(request, url.as_str());
        let attempts = self.options.attempts.max(1);
        let mut attempt = 1;
        loop {
            match self.attempt(request, &url, &call).await {
                Outcome::Done(status, bytes) => return parse(&call, status, &bytes),
                Outcome::Retry { error, wait } if attempt < attempts => {
                    let wait = wait
                        .unwrap_or_else(|| self.backoff(attempt))
                        .min(self.options.max_backoff);
                    tracing::warn!(%error, attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Outcome::Retry { error, .. } | Outcome::Fail(error) => return Err(error),
            }
        }
    }

    async fn attempt(&self, request: &Request<'_>, url: &Url, call: &str) -> Outcome {
        let response = match self.build(request, url).send().await {
            Ok(response) => response,
            Err(error) => return self.transport_failure(call, &error),
        };
        let status = response.status();
        let wait = retry_after(response.headers(), Utc::now());
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(error) if error.is_timeout() => return self.transport_failure(call, &error),
            // A body that stops early is a network hiccup more often than a server bug.
            Err(error) => {
                return Outcome::Retry {
                    error: RestError::Malformed {
                        call: call.to_string(),
                        detail: format!("the answer was cut off: {}", chain(&error)),
                    },
                    wait: None,
                }
            }
        };
        if status.is_success() {
            return Outcome::Done(status, bytes);
        }
        tracing::debug!(call, status = status.as_u16(), "HTTP error");
        classify(call, status, &bytes, wait, request.grant)
    }

    fn build(&self, request: &Request<'_>, url: &Url) -> reqwest::RequestBuilder {
        let mut builder = self
            .client
            .request(request.method.clone(), url.clone())
            .timeout(self.options.timeout)
            .header(
                USER_AGENT,
                concat!("downstream/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(token) = request.bearer {
            builder = builder.header(AUTHORIZATION, format!("Bearer {}", token.expose()));
        }
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        match &request.body {
            Body::None => builder,
            Body::Json(body) => builder.json(body),
            Body::Form(form) => builder.form(form),
        }
    }

    /// No HTTP answer: a timeout, a refused or dropped connection, a TLS failure.
    fn transport_failure(&self, call: &str, error: &reqwest::Error) -> Outcome {
        // A request that cannot be built (a header value with a newline) fails the same way
        // every time.
        if error.is_builder() {
            return Outcome::Fail(no_answer(call.to_string(), chain(error)));
        }
        let error = if error.is_timeout() {
            RestError::Timeout {
                call: call.to_string(),
                seconds: self.options.timeout.as_secs_f64().ceil() as u64,
            }
        } else {
            no_answer(call.to_string(), chain(error))
        };
        Outcome::Retry { error, wait: None }
    }

    /// Exponential backoff with jitter, so that clients that failed together do not all
    /// come back at the same moment: a random wait between half and all of `backoff · 2ⁿ`.
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        let full = self
            .options
            .backoff
            .saturating_mul(factor)
            .min(self.options.max_backoff);
        let millis = full.as_millis() as u64;
        Duration::from_millis(fastrand::u64(millis / 2..=millis))
    }
}

/// An id from an answer that goes into the next URL's path (a statement handle, a job id):
/// only letters, digits, `-`, `_` and `.` pass, so an odd answer cannot redirect the call.
pub fn checked_id<'i>(call: &str, field: &str, id: &'i str) -> Result<&'i str, RestError> {
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !id.is_empty() && id.chars().all(fine) {
        Ok(id)
    } else {
        Err(RestError::Malformed {
            call: call.to_string(),
            detail: format!("{field} {id:?} is not an id"),
        })
    }
}

/// `METHOD URL`, the name every error carries.
fn call_name(request: &Request<'_>, url: &str) -> String {
    format!("{} {url}", request.method)
}

/// There is no `RestError` variant for "no HTTP answer at all", so it is an HTTP error
/// with status 0 and the reason as body.
fn no_answer(call: String, detail: String) -> RestError {
    RestError::Http {
        call,
        status: 0,
        body: format!("no HTTP answer: {detail}"),
    }
}

/// Decides what a non-2xx status means.
fn classify(
    call: &str,
    status: StatusCode,
    body: &[u8],
    wait: Option<Duration>,
    grant: &str,
) -> Outcome {
    let call = call.to_string();
    match status.as_u16() {
        401 => Outcome::Fail(RestError::Unauthorized {
            call,
            message: error_message(body, status),
        }),
        403 => Outcome::Fail(RestError::Forbidden {
            call,
            message: error_message(body, status),
            grant: grant.to_string(),
        }),
        code @ (429 | 500..=599) => Outcome::Retry {
            error: RestError::Http {
                call,
                status: code,
                body: shorten(body),
            },
            wait,
        },
        code => Outcome::Fail(RestError::Http {
            call,
            status: code,
            body: shorten(body),
        }),
    }
}

fn parse<T: DeserializeOwned>(
    call: &str,
    status: StatusCode,
    bytes: &[u8],
) -> Result<Answer<T>, RestError> {
    match serde_json::from_slice(bytes) {
        Ok(body) => Ok(Answer {
            status: status.as_u16(),
            body,
        }),
        Err(error) => Err(RestError::Malformed {
            call: call.to_string(),
            detail: json_problem(&error, bytes.len()),
        }),
    }
}

/// Says what was wrong with a body in words a user can act on. The body itself is left out:
/// a token endpoint's answer would hold a token.
fn json_problem(error: &serde_json::Error, len: usize) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => format!(
            "truncated JSON: the body ({len} bytes) ends at line {} column {}",
            error.line(),
            error.column()
        ),
        Category::Syntax => format!("not JSON: {error}"),
        Category::Data => format!("JSON not in the documented shape: {error}"),
        Category::Io => format!("unreadable body: {error}"),
    }
}

/// The warehouse's own words from an error body: Snowflake and Databricks say `message`,
/// Google says `error.message` or (OAuth) `error_description`, Hex says `details`.
fn error_message(body: &[u8], status: StatusCode) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let found = json.as_ref().and_then(|json| {
        [
            "/message",
            "/error/message",
            "/error_description",
            "/details",
            "/error",
        ]
        .iter()
        .find_map(|pointer| json.pointer(pointer).and_then(|value| value.as_str()))
        .map(str::to_string)
    });
    match found {
        Some(message) => message,
        None if body.iter().all(u8::is_ascii_whitespace) => status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string(),
        None => shorten(body),
    }
}

fn shorten(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(BODY_LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The error and its causes on one line: reqwest's own message alone hides the reason
/// ("error sending request"), and its URL is already in the call name.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// `Retry-After` is either a number of seconds or an HTTP date (RFC 9110 §10.2.3).
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 28, 0).unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        let client = HttpClient::new(HttpOptions {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..HttpOptions::default()
        });
        for _ in 0..50 {
            let first = client.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = client.backoff(3);
            assert!(third >= Duration::from_millis(150) && third <= Duration::from_millis(300));
            assert!(client.backoff(40) <= Duration::from_millis(300));
        }
    }

    #[test]
    fn error_messages_come_from_each_vendor_shape() {
        let status = StatusCode::UNAUTHORIZED;
        assert_eq!(
            error_message(br#"{"message": "bad token"}"#, status),
            "bad token"
        );
        assert_eq!(
            error_message(br#"{"error": {"code": 401, "message": "expired"}}"#, status),
            "expired"
        );
        assert_eq!(
            error_message(
                br#"{"error": "invalid_grant", "error_description": "Invalid JWT"}"#,
                status
            ),
            "Invalid JWT"
        );
        assert_eq!(error_message(b"plain words", status), "plain words");
        assert_eq!(error_message(b"", status), "Unauthorized");
    }

    #[test]
    fn long_bodies_are_shortened_on_a_char_boundary() {
        let body = "é".repeat(BODY_LIMIT + 10);
        let short = shorten(body.as_bytes());
        assert_eq!(short.chars().count(), BODY_LIMIT + 1);
        assert!(short.ends_with('…'));
    }
}
