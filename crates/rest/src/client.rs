//! The client. One place decides what a failure means: 401 and 403 are final and say what to
//! fix, 429 waits as long as the server asks, 5xx, timeouts and lost connections are retried
//! with exponential backoff and jitter, and anything else comes back verbatim. Every error
//! names the call as `METHOD URL`. Tokens travel only in the `Authorization` header: they are
//! never logged and never part of an error.

use crate::RateLimiter;
use crate::RestError;
use chrono::{DateTime, Utc};
use model::Secret;
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

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
    /// The largest answer read into memory; a bigger one is refused, not buffered.
    pub max_answer_bytes: u64,
    /// The largest download written to disk (a dbt artifact).
    pub max_download_bytes: u64,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(60),
            attempts: 4,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            // A page of any API here is a few megabytes at most.
            max_answer_bytes: 64 << 20,
            // dbt artifacts of the largest projects are around a gigabyte.
            max_download_bytes: 4 << 30,
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
    /// Parameters only resent attempts carry (Snowflake's `retry=true`).
    retry_query: Vec<(&'static str, String)>,
    headers: Vec<(String, String)>,
    auth: Option<(&'static str, &'a Secret)>,
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
            retry_query: Vec::new(),
            headers: Vec::new(),
            auth: None,
            body,
            grant: "",
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Adds a query parameter that only the second and later attempts carry: an API that
    /// deduplicates resubmissions by a request id may want to be told it is one.
    pub fn retry_query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.retry_query.push((name, value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &'a Secret) -> Self {
        self.auth = Some(("Bearer", token));
        self
    }

    /// Sends `Authorization: Basic <credentials>`, `credentials` being base64 of `id:secret`
    /// already.
    pub fn basic(mut self, credentials: &'a Secret) -> Self {
        self.auth = Some(("Basic", credentials));
        self
    }

    /// Sends `Authorization: Token <token>`, the scheme dbt Cloud documents.
    pub fn token(mut self, token: &'a Secret) -> Self {
        self.auth = Some(("Token", token));
        self
    }

    /// What to grant when the answer is 403, for [`RestError::Forbidden`].
    pub fn grant(mut self, grant: &'a str) -> Self {
        self.grant = grant;
        self
    }

    /// The URL with its query, or why it is not one; `retry` adds the resent attempts' own.
    fn full_url(&self, retry: bool) -> Result<Url, String> {
        let mut url = Url::parse(&self.url).map_err(|e| format!("not a URL: {e}"))?;
        let extra = if retry { &self.retry_query[..] } else { &[] };
        if !self.query.is_empty() || !extra.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(&self.query)
                .extend_pairs(extra);
        }
        Ok(url)
    }
}

/// A successful answer: its status (some APIs say "still running" with 202), its headers and
/// its body.
pub struct Answer<T> {
    /// The HTTP status.
    pub status: u16,
    /// The response headers (Databricks names the workspace in one).
    pub headers: HeaderMap,
    /// The parsed body.
    pub body: T,
}

/// The client; cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    options: HttpOptions,
    limiter: Option<Arc<RateLimiter>>,
}

/// What one attempt came to.
enum Outcome<T> {
    Done(T),
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
            limiter: None,
        }
    }

    /// Every attempt, retries included, first waits for a turn under `limiter`; a 429 holds
    /// the limiter for everyone sharing it.
    pub fn with_limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Sends `request` (retrying as the module doc says) and parses the answer as JSON.
    pub async fn send<T: DeserializeOwned>(
        &self,
        request: &Request<'_>,
    ) -> Result<Answer<T>, RestError> {
        let (seconds, limit) = (self.timeout_seconds(), self.options.max_answer_bytes);
        self.retrying(request, |response, call| async move {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            match read_body(response, &call, seconds, limit).await {
                Outcome::Done(bytes) => match parse(&call, &bytes) {
                    Ok(body) => Outcome::Done(Answer {
                        status,
                        headers,
                        body,
                    }),
                    Err(error) => Outcome::Fail(error),
                },
                Outcome::Retry { error, wait } => Outcome::Retry { error, wait },
                Outcome::Fail(error) => Outcome::Fail(error),
            }
        })
        .await
    }

    /// Sends `request` and streams the answer's body into a new file at `path`, returning its
    /// size. Large artifacts never sit in memory whole; a body cut off is retried.
    pub async fn download(&self, request: &Request<'_>, path: &Path) -> Result<u64, RestError> {
        let (seconds, limit) = (self.timeout_seconds(), self.options.max_download_bytes);
        self.retrying(request, |response, call| async move {
            stream_to_file(response, &call, path, seconds, limit).await
        })
        .await
    }

    /// The retry loop: one attempt per turn until success, a final error, or no attempts left.
    async fn retrying<T, F, Fut>(
        &self,
        request: &Request<'_>,
        mut on_success: F,
    ) -> Result<T, RestError>
    where
        F: FnMut(reqwest::Response, String) -> Fut,
        Fut: Future<Output = Outcome<T>>,
    {
        let (url, retry_url) = match (request.full_url(false), request.full_url(true)) {
            (Ok(url), Ok(retry_url)) => (url, retry_url),
            (Err(detail), _) | (_, Err(detail)) => {
                return Err(no_answer(call_name(request, &request.url), detail))
            }
        };
        let call = call_name(request, url.as_str());
        let attempts = self.options.attempts.max(1);
        let mut attempt = 1;
        loop {
            let url = if attempt == 1 { &url } else { &retry_url };
            let outcome = match self.attempt(request, url, &call).await {
                Ok(response) => on_success(response, call.clone()).await,
                Err(outcome) => outcome,
            };
            match outcome {
                Outcome::Done(value) => return Ok(value),
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

    /// One request: the successful response, or what its failure means.
    async fn attempt<T>(
        &self,
        request: &Request<'_>,
        url: &Url,
        call: &str,
    ) -> Result<reqwest::Response, Outcome<T>> {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
        let response = match self.build(request, url).send().await {
            Ok(response) => response,
            Err(error) => return Err(self.transport_failure(call, &error)),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let wait = retry_after(response.headers(), Utc::now());
        if let (Some(limiter), StatusCode::TOO_MANY_REQUESTS) = (&self.limiter, status) {
            limiter.hold(wait.unwrap_or(self.options.backoff));
        }
        let limit = self.options.max_answer_bytes;
        let bytes = match read_body(response, call, self.timeout_seconds(), limit).await {
            Outcome::Done(bytes) => bytes,
            Outcome::Retry { error, wait } => return Err(Outcome::Retry { error, wait }),
            Outcome::Fail(error) => return Err(Outcome::Fail(error)),
        };
        tracing::debug!(call, status = status.as_u16(), "HTTP error");
        let bytes = scrubbed(bytes, request.auth.map(|(_, token)| token));
        Err(classify(call, status, &bytes, wait, request.grant))
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
        if let Some((scheme, token)) = request.auth {
            builder = builder.header(AUTHORIZATION, format!("{scheme} {}", token.expose()));
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value);
        }
        match &request.body {
            Body::None => builder,
            Body::Json(body) => builder.json(body),
            Body::Form(form) => builder.form(form),
        }
    }

    /// No HTTP answer: a timeout, a refused or dropped connection, a TLS failure.
    fn transport_failure<T>(&self, call: &str, error: &reqwest::Error) -> Outcome<T> {
        // A request that cannot be built (a header value with a newline) fails the same way
        // every time.
        if error.is_builder() {
            return Outcome::Fail(no_answer(call.to_string(), chain(error)));
        }
        let error = if error.is_timeout() {
            RestError::Timeout {
                call: call.to_string(),
                seconds: self.timeout_seconds(),
            }
        } else {
            no_answer(call.to_string(), chain(error))
        };
        Outcome::Retry { error, wait: None }
    }

    fn timeout_seconds(&self) -> u64 {
        self.options.timeout.as_secs_f64().ceil() as u64
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

/// An error body with the request's own token cut out: some servers echo the request, and
/// error bodies end up in messages, logs and pages.
fn scrubbed(body: Vec<u8>, token: Option<&Secret>) -> Vec<u8> {
    let Some(token) = token
        .map(|t| t.expose().as_bytes())
        .filter(|t| t.len() >= 4)
    else {
        return body;
    };
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body.as_slice();
    while let Some(at) = rest.windows(token.len()).position(|w| w == token) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"[redacted]");
        rest = &rest[at + token.len()..];
    }
    out.extend_from_slice(rest);
    out
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
fn classify<T>(
    call: &str,
    status: StatusCode,
    body: &[u8],
    wait: Option<Duration>,
    grant: &str,
) -> Outcome<T> {
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

/// The whole body, up to `limit` bytes; one that stops early is a network hiccup more often
/// than a server bug, one that goes past the limit is not an answer of the API.
async fn read_body(
    mut response: reqwest::Response,
    call: &str,
    seconds: u64,
    limit: u64,
) -> Outcome<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if (body.len() + chunk.len()) as u64 > limit => {
                return Outcome::Fail(too_large(call, limit, "answer"))
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Outcome::Done(body),
            Err(error) => return cut_off(call, &error, seconds),
        }
    }
}

/// Writes the body chunk by chunk, up to `limit` bytes; the file is created afresh on every
/// attempt and removed when the body goes past the limit.
async fn stream_to_file(
    mut response: reqwest::Response,
    call: &str,
    path: &Path,
    seconds: u64,
    limit: u64,
) -> Outcome<u64> {
    let written = async {
        let mut file = tokio::fs::File::create(path).await?;
        let mut size = 0u64;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len() as u64;
                    if size > limit {
                        return Ok(Err(None));
                    }
                    file.write_all(&chunk).await?;
                }
                Ok(None) => break,
                Err(error) => return Ok(Err(Some(error))),
            }
        }
        file.flush().await?;
        Ok::<_, std::io::Error>(Ok(size))
    };
    match written.await {
        Ok(Ok(size)) => Outcome::Done(size),
        Ok(Err(Some(error))) => cut_off(call, &error, seconds),
        Ok(Err(None)) => {
            let _ = tokio::fs::remove_file(path).await;
            Outcome::Fail(too_large(call, limit, "download"))
        }
        Err(error) => Outcome::Fail(RestError::Malformed {
            call: call.to_string(),
            detail: format!("cannot write {}: {error}", path.display()),
        }),
    }
}

/// An answer past the limit: refused before it fills memory or disk.
fn too_large(call: &str, limit: u64, what: &str) -> RestError {
    RestError::Malformed {
        call: call.to_string(),
        detail: format!(
            "the {what} is larger than {}, the most downstream takes from one call; \
             check that the URL is the API's and not a proxy or file server",
            crate::size(limit)
        ),
    }
}

fn cut_off<T>(call: &str, error: &reqwest::Error, seconds: u64) -> Outcome<T> {
    let error = if error.is_timeout() {
        RestError::Timeout {
            call: call.to_string(),
            seconds,
        }
    } else {
        RestError::Malformed {
            call: call.to_string(),
            detail: format!("the answer was cut off: {}", chain(error)),
        }
    };
    Outcome::Retry { error, wait: None }
}

fn parse<T: DeserializeOwned>(call: &str, bytes: &[u8]) -> Result<T, RestError> {
    match serde_json::from_slice(bytes) {
        Ok(body) => Ok(body),
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

/// The API's own words from an error body: Snowflake and Databricks say `message`, Google
/// says `error.message` or (OAuth) `error_description`. Hex has two documented shapes (its
/// OpenAPI document, `TsoaErrorResponsePayload` and `error.*`): older endpoints send
/// `{reason, details?, traceId}`, newer ones `{message, code, issues[{message}]}`; both are
/// read whole.
fn error_message(body: &[u8], status: StatusCode) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let found = json.as_ref().and_then(|json| {
        let text = |pointer: &str| json.pointer(pointer).and_then(|value| value.as_str());
        if let Some(reason) = text("/reason") {
            return Some(
                match text("/details").filter(|d| !d.is_empty() && *d != reason) {
                    Some(details) => format!("{reason}: {details}"),
                    None => reason.to_string(),
                },
            );
        }
        let message = [
            "/message",
            "/error/message",
            "/error_description",
            "/details",
            "/error",
        ]
        .iter()
        .find_map(|pointer| text(pointer))?;
        Some(with_issues(message, json))
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

/// `message` followed by the `issues[].message` a Hex error lists, when it lists any.
fn with_issues(message: &str, json: &serde_json::Value) -> String {
    let issues: Vec<&str> = json
        .get("issues")
        .and_then(|issues| issues.as_array())
        .into_iter()
        .flatten()
        .filter_map(|issue| issue.get("message").and_then(|m| m.as_str()))
        .collect();
    if issues.is_empty() {
        message.to_string()
    } else {
        format!("{message} ({})", issues.join("; "))
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
        assert_eq!(
            error_message(
                br#"{"reason": "Insufficient scope", "details": "needs Cells: Read", "traceId": "t"}"#,
                status
            ),
            "Insufficient scope: needs Cells: Read"
        );
        assert_eq!(
            error_message(br#"{"reason": "Not found", "traceId": "t"}"#, status),
            "Not found"
        );
        assert_eq!(
            error_message(
                br#"{"message": "Insufficient access", "code": "FORBIDDEN", "issues": [{"message": "cells scope"}]}"#,
                status
            ),
            "Insufficient access (cells scope)"
        );
        assert_eq!(error_message(b"plain words", status), "plain words");
        assert_eq!(error_message(b"", status), "Unauthorized");
    }

    #[test]
    fn echoed_tokens_are_cut_from_error_bodies() {
        let token = Secret::new("tok-123456");
        let body = br#"{"message": "bad header: Bearer tok-123456 (tok-123456)"}"#.to_vec();
        let clean = scrubbed(body, Some(&token));
        assert_eq!(
            String::from_utf8(clean).unwrap(),
            r#"{"message": "bad header: Bearer [redacted] ([redacted])"}"#
        );
        assert_eq!(scrubbed(b"abc".to_vec(), None), b"abc");
    }

    #[test]
    fn long_bodies_are_shortened_on_a_char_boundary() {
        let body = "é".repeat(BODY_LIMIT + 10);
        let short = shorten(body.as_bytes());
        assert_eq!(short.chars().count(), BODY_LIMIT + 1);
        assert!(short.ends_with('…'));
    }
}
