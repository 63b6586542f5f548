//! A local HTTP server standing in for a warehouse API: it answers with scripted replies in
//! order and records every request, so a test can check both what a source sent and what it
//! made of the answers. Also the error cases every HTTP source must handle alike.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, TimeZone, Utc};
use history::{Checkpoint, HistoryError, HistoryRequest, HistoryRow, HttpOptions, QueryHistory};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The token every test source sends; no error may contain it.
pub const TOKEN: &str = "test-token-do-not-leak";

/// One scripted answer.
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Option<Duration>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::raw(status, body.to_string()).header("content-type", "application/json")
    }

    /// The JSON gzip-compressed, with `Content-Encoding: gzip`.
    pub fn gzip_json(status: u16, body: Value) -> Reply {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(body.to_string().as_bytes()).unwrap();
        Reply {
            body: encoder.finish().unwrap(),
            ..Reply::json(status, Value::Null)
        }
        .header("content-encoding", "gzip")
    }

    pub fn raw(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into().into_bytes(),
            delay: None,
        }
    }

    /// An answer that never comes in a test's lifetime.
    pub fn hang() -> Reply {
        Reply {
            delay: Some(Duration::from_secs(30)),
            ..Reply::raw(200, "{}")
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query (or form) parameter, decoded.
    pub fn param(&self, name: &str, form: bool) -> Option<String> {
        let source = if form { &self.body } else { &self.query };
        let url = reqwest::Url::parse(&format!("http://mock/?{source}")).unwrap();
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

pub struct Mock {
    pub url: String,
    script: Arc<Script>,
}

impl Mock {
    pub async fn start(replies: Vec<Reply>) -> Mock {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            seen: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Mock { url, script }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    /// `METHOD PATH` of each request, in order.
    pub fn calls(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

async fn answer(State(script): State<Arc<Script>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    script.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let reply = script.replies.lock().unwrap().pop_front();
    let Some(reply) = reply else {
        return Response::builder()
            .status(StatusCode::NOT_IMPLEMENTED)
            .body(Body::from("mock: no reply scripted for this request"))
            .unwrap();
    };
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::builder().status(reply.status);
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// HTTP options that keep the tests fast: short timeout, quick retries.
pub fn fast_http() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_millis(300),
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_secs(2),
    }
}

pub fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, minute, 0).unwrap()
}

/// The window most tests read: all of 1 May 2024.
pub fn window(page_size: usize) -> HistoryRequest {
    HistoryRequest {
        since: at(1, 0, 0),
        until: at(2, 0, 0),
        page_size,
    }
}

/// Runs `source` over `request` and returns its result and the pages it sent.
pub async fn read(
    source: &dyn QueryHistory,
    request: &HistoryRequest,
) -> (Result<Checkpoint, HistoryError>, Vec<Vec<HistoryRow>>) {
    let (sink, mut pages) = tokio::sync::mpsc::channel(64);
    let result = source.read(request, None, &sink).await;
    drop(sink);
    let mut received = Vec::new();
    while let Some(page) = pages.recv().await {
        received.push(page);
    }
    (result, received)
}

/// A Hex-tagged statement for project `project`.
pub fn hex_sql(sql: &str, project: &str) -> String {
    format!(
        "{sql}\n-- Hex query metadata: {{\"context\": \"SCHEDULED_RUN\", \"project_id\": \"{project}\", \
         \"project_url\": \"https://app.hex.tech/acme/hex/{project}/draft/logic?selectedCellId=c1\"}}"
    )
}

/// The failures every HTTP source must turn into the same errors. `build` makes the source
/// for a mock URL; `success` is a full successful exchange; `first_call` is the first
/// request's `METHOD PATH`.
pub struct ErrorCases {
    pub build: fn(&str) -> Box<dyn QueryHistory>,
    pub success: fn() -> Vec<Reply>,
    pub first_call: &'static str,
    pub grant: &'static str,
}

impl ErrorCases {
    async fn fail(&self, replies: Vec<Reply>) -> (Mock, HistoryError) {
        let mock = Mock::start(replies).await;
        let source = (self.build)(&mock.url);
        let (result, _) = read(source.as_ref(), &window(100)).await;
        let error = result.expect_err("the read should fail");
        let text = error.to_string();
        assert!(!text.contains(TOKEN), "the error shows the token: {text}");
        (mock, error)
    }

    /// The call as errors name it: `METHOD http://127.0.0.1:port/path`.
    fn call(&self, mock: &Mock) -> String {
        let (method, path) = self.first_call.split_once(' ').unwrap();
        format!("{method} {}{path}", mock.url)
    }

    pub async fn unauthorized(&self) {
        let body = serde_json::json!({"message": "Invalid OAuth access token."});
        let (mock, error) = self.fail(vec![Reply::json(401, body)]).await;
        assert!(
            matches!(error, HistoryError::Unauthorized { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        let expected = format!(
            "{}: 401 Unauthorized: Invalid OAuth access token.",
            self.call(&mock)
        );
        assert!(text.starts_with(&expected), "{text}");
        assert_eq!(mock.seen().len(), 1, "401 is not retried");
    }

    pub async fn forbidden(&self) {
        let body =
            serde_json::json!({"message": "Insufficient privileges to operate on the view."});
        let (mock, error) = self.fail(vec![Reply::json(403, body)]).await;
        assert!(matches!(error, HistoryError::Forbidden { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.starts_with(&format!("{}: 403 Forbidden", self.call(&mock))),
            "{text}"
        );
        assert!(text.contains("Insufficient privileges"), "{text}");
        assert!(text.contains(self.grant), "{text}");
    }

    pub async fn rate_limited_then_ok(&self) {
        let mut replies = vec![Reply::raw(429, "slow down").header("retry-after", "1")];
        replies.extend((self.success)());
        let mock = Mock::start(replies).await;
        let source = (self.build)(&mock.url);
        let started = Instant::now();
        let (result, pages) = read(source.as_ref(), &window(100)).await;
        result.expect("the read should succeed after waiting");
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After was not honoured"
        );
        assert!(!pages.is_empty());
        assert_eq!(
            mock.calls()[0],
            mock.calls()[1],
            "the same call is repeated"
        );
    }

    pub async fn server_error_then_ok(&self) {
        let mut replies = vec![Reply::raw(500, "internal error")];
        replies.extend((self.success)());
        let mock = Mock::start(replies).await;
        let source = (self.build)(&mock.url);
        let (result, pages) = read(source.as_ref(), &window(100)).await;
        result.expect("the read should succeed after a retry");
        assert!(!pages.is_empty());
        assert_eq!(
            mock.calls()[0],
            mock.calls()[1],
            "the same call is repeated"
        );
    }

    pub async fn hanging(&self) {
        let started = Instant::now();
        let (mock, error) = self
            .fail(vec![Reply::hang(), Reply::hang(), Reply::hang()])
            .await;
        assert!(matches!(error, HistoryError::Timeout { .. }), "{error:?}");
        assert!(error.to_string().starts_with(&self.call(&mock)), "{error}");
        assert_eq!(
            mock.seen().len(),
            3,
            "timeouts are retried up to the attempt limit"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    pub async fn truncated(&self) {
        let reply = Reply::raw(200, r#"{"statement_id": "x", "data": [["a"#)
            .header("content-type", "application/json");
        let (mock, error) = self.fail(vec![reply]).await;
        assert!(matches!(error, HistoryError::Malformed { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.starts_with(&self.call(&mock)), "{text}");
        assert!(text.contains("truncated JSON"), "{text}");
    }

    pub async fn not_json(&self) {
        let reply = Reply::raw(200, "<html>proxy login</html>").header("content-type", "text/html");
        let (mock, error) = self.fail(vec![reply]).await;
        assert!(matches!(error, HistoryError::Malformed { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.starts_with(&self.call(&mock)) && text.contains("not JSON"),
            "{text}"
        );
    }
}

/// The tests every HTTP source runs, one test function per error case.
macro_rules! error_cases {
    ($cases:expr) => {
        #[tokio::test]
        async fn unauthorized_names_the_call() {
            $cases.unauthorized().await
        }

        #[tokio::test]
        async fn forbidden_says_what_to_grant() {
            $cases.forbidden().await
        }

        #[tokio::test]
        async fn too_many_requests_waits_for_retry_after() {
            $cases.rate_limited_then_ok().await
        }

        #[tokio::test]
        async fn server_errors_are_retried() {
            $cases.server_error_then_ok().await
        }

        #[tokio::test]
        async fn a_hanging_endpoint_times_out() {
            $cases.hanging().await
        }

        #[tokio::test]
        async fn a_truncated_body_is_malformed() {
            $cases.truncated().await
        }

        #[tokio::test]
        async fn a_body_that_is_not_json_is_malformed() {
            $cases.not_json().await
        }
    };
}

pub(crate) use error_cases;
