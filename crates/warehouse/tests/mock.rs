//! A local HTTP server standing in for a warehouse API: it answers with scripted replies in
//! order and records every request, so a test checks both what a source sent and what it
//! made of the answers. Also the failures every API source must report alike.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rest::HttpOptions;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use warehouse::{Introspect, IntrospectError, Relation, SchemaRef};

/// The token every test source sends; no error or `Debug` output may contain it.
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

    /// A query parameter, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(&format!("http://mock/?{}", self.query)).unwrap();
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
        attempts: 2,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_secs(1),
    }
}

/// Result rows written as a table, one row per line, cells between `|`, `NULL` for NULL:
/// readable beside the relations a test expects from them.
pub fn table(text: &str) -> Vec<Vec<Option<String>>> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.split('|')
                .map(str::trim)
                .map(|cell| (cell != "NULL").then(|| cell.to_string()))
                .collect()
        })
        .collect()
}

pub fn at(millis: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    Some(chrono::DateTime::from_timestamp_millis(millis).unwrap())
}

pub fn schema(database: &str, schema: &str) -> SchemaRef {
    SchemaRef {
        database: database.to_string(),
        schema: schema.to_string(),
        changed_at: None,
    }
}

/// Reads the relations of `schema` and returns the result and every relation sent.
pub async fn relations(
    source: &dyn Introspect,
    schema: &SchemaRef,
) -> (Result<(), IntrospectError>, Vec<Relation>) {
    let (sink, mut pages) = tokio::sync::mpsc::channel(16);
    let result = source.relations(schema, &sink).await;
    drop(sink);
    let mut received = Vec::new();
    while let Some(page) = pages.recv().await {
        received.extend(page);
    }
    (result, received)
}

/// The failures every API source reports alike, on its first call of
/// [`Introspect::schemas`]. `first_call` is that call's `METHOD PATH`; `grant` a part of
/// what a 403 must say to grant.
pub struct ErrorCases {
    pub build: fn(&str) -> Box<dyn Introspect>,
    pub first_call: &'static str,
    pub grant: &'static str,
}

impl ErrorCases {
    async fn fail(&self, replies: Vec<Reply>) -> (Mock, IntrospectError) {
        let mock = Mock::start(replies).await;
        let source = (self.build)(&mock.url);
        let error = source.schemas().await.expect_err("listing should fail");
        let text = error.to_string();
        assert!(!text.contains(TOKEN), "the error shows the token: {text}");
        assert!(!format!("{error:?}").contains(TOKEN), "{error:?}");
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
        let IntrospectError::Unauthorized { call, message } = &error else {
            panic!("{error:?}");
        };
        assert!(call.starts_with(&self.call(&mock)), "{call}");
        assert_eq!(message, "Invalid OAuth access token.");
        assert_eq!(mock.seen().len(), 1, "401 is not retried");
    }

    pub async fn forbidden(&self) {
        let body = serde_json::json!({"error": {"code": 403, "message": "Access Denied"}});
        let (mock, error) = self.fail(vec![Reply::json(403, body)]).await;
        let IntrospectError::Forbidden {
            call,
            message,
            grant,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert!(call.starts_with(&self.call(&mock)), "{call}");
        assert_eq!(message, "Access Denied");
        assert!(grant.contains(self.grant), "{grant}");
        assert!(error.to_string().contains(self.grant), "{error}");
        assert_eq!(mock.seen().len(), 1, "403 is not retried");
    }

    pub async fn truncated(&self) {
        let reply = Reply::raw(200, r#"{"data": [["ANALYTICS", "PUB"#)
            .header("content-type", "application/json");
        let (mock, error) = self.fail(vec![reply]).await;
        let IntrospectError::Failed { call, message } = &error else {
            panic!("{error:?}");
        };
        assert!(call.starts_with(&self.call(&mock)), "{call}");
        assert!(message.contains("truncated JSON"), "{message}");
    }

    pub async fn hanging(&self) {
        let started = Instant::now();
        let (mock, error) = self.fail(vec![Reply::hang(), Reply::hang()]).await;
        let IntrospectError::Failed { call, message } = &error else {
            panic!("{error:?}");
        };
        assert!(call.starts_with(&self.call(&mock)), "{call}");
        assert!(message.contains("timed out"), "{message}");
        assert_eq!(mock.seen().len(), 2, "timeouts are retried up to the limit");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

/// The tests every API source runs, one test function per failure.
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
        async fn a_truncated_body_fails_naming_the_call() {
            $cases.truncated().await
        }

        #[tokio::test]
        async fn a_hanging_endpoint_times_out() {
            $cases.hanging().await
        }
    };
}

pub(crate) use error_cases;
