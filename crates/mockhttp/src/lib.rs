//! A local HTTP server standing in for a warehouse API in tests: it answers with scripted
//! [`Reply`]s in order and records every request as a [`Seen`], so a test checks both what
//! a source sent and what it made of the answers.
//!
//! Dev-only: the test suites of `downstream-history`, `downstream-warehouse` and
//! `downstream-hex` share it; each keeps its source-specific helpers (windows and rows, tables
//! and relations) and the error cases its sources must report alike in its own `tests/mock.rs`.
//! [`fast_http`] takes the number of attempts, which those error cases count.
//!
//! Where a vendor publishes an OpenAPI document, [`Mock::assert_conforms`] checks every
//! answer the mock gave against it ([`openapi`]); an answer a test sends on purpose outside
//! the document (a truncated body, a 429 the vendor does not list) says so with
//! [`Reply::off_spec`]. [`hex`], [`dbt_cloud`] and [`snowflake`] build those vendors' answers as their
//! documents define them, for every suite that stands in for them.

pub mod dbt_cloud;
pub mod hex;
pub mod openapi;
pub mod snowflake;

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

/// The token every test source sends; no error or `Debug` output may contain it.
pub const TOKEN: &str = "test-token-do-not-leak";

/// HTTP options that keep the tests fast: short timeout, quick retries. `attempts` counts the
/// first try; a test of a hanging endpoint scripts that many [`Reply::hang`]s.
pub fn fast_http(attempts: u32) -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_millis(300),
        attempts,
        backoff: Duration::from_millis(10),
        // Above the `Retry-After: 1` the rate-limit tests send, so it is honoured in full.
        max_backoff: Duration::from_secs(2),
        ..HttpOptions::default()
    }
}

/// One scripted answer.
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Option<Duration>,
    off_spec: Option<&'static str>,
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
            off_spec: None,
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

    /// An answer outside the vendor's document on purpose, and why (garbage, a truncated
    /// body, a status the document does not list): [`Mock::assert_conforms`] passes it over.
    pub fn off_spec(mut self, why: &'static str) -> Reply {
        self.off_spec = Some(why);
        self
    }
}

/// An answer the server gave, and the request it answered.
#[derive(Clone, Debug)]
pub struct Served {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub body: Vec<u8>,
    pub off_spec: Option<&'static str>,
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
    /// When the request arrived, before its body was read: rate-limit tests count arrivals.
    pub at: Instant,
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
        decoded(&self.query, name)
    }

    /// A parameter of a form-encoded body, decoded.
    pub fn form_param(&self, name: &str) -> Option<String> {
        decoded(&self.body, name)
    }
}

fn decoded(pairs: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://mock/?{pairs}")).unwrap();
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
    served: Mutex<Vec<Served>>,
}

/// The running server; it stops with the test's runtime.
pub struct Mock {
    /// `http://127.0.0.1:port`, without a trailing `/`.
    pub url: String,
    script: Arc<Script>,
    /// Checked when the mock goes out of scope: its answers against the vendor's document,
    /// but those to paths starting with one of the strings.
    conforms_to: Option<(Arc<openapi::Spec>, Vec<&'static str>)>,
}

/// A mock made to answer as a vendor documents it fails its test, when it is dropped, for
/// every answer outside the document that the test did not mark [`Reply::off_spec`].
impl Drop for Mock {
    fn drop(&mut self) {
        if let Some((spec, except)) = self.conforms_to.take() {
            if !std::thread::panicking() {
                self.assert_conforms(&spec, &except);
            }
        }
    }
}

impl Mock {
    /// Serves `replies` in order, one per request; once they run out, every request gets a
    /// 501.
    pub async fn start(replies: Vec<Reply>) -> Mock {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            seen: Mutex::default(),
            served: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Mock {
            url,
            script,
            conforms_to: None,
        }
    }

    /// [`Mock::start`], checked against `spec` when dropped, except for answers to paths
    /// starting with one of `except` (a token endpoint the document does not cover).
    pub async fn vendor(
        spec: Arc<openapi::Spec>,
        except: Vec<&'static str>,
        replies: Vec<Reply>,
    ) -> Mock {
        let mut mock = Mock::start(replies).await;
        mock.conforms_to = Some((spec, except));
        mock
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

    /// Adds replies after the scripted ones, for answers that name the mock's own URL.
    pub fn push_replies(&self, replies: Vec<Reply>) {
        self.script.replies.lock().unwrap().extend(replies);
    }

    /// Every answer given so far.
    pub fn served(&self) -> Vec<Served> {
        self.script.served.lock().unwrap().clone()
    }

    /// Every answer given so far conforms to `spec`, but those marked [`Reply::off_spec`]
    /// and those for paths `spec` does not cover (`except`, e.g. a token endpoint). Panics
    /// with each problem found.
    pub fn assert_conforms(&self, spec: &openapi::Spec, except: &[&str]) {
        let mut problems = Vec::new();
        for served in self.served() {
            if served.off_spec.is_some() || except.iter().any(|e| served.path.starts_with(e)) {
                continue;
            }
            problems.extend(spec.check_bytes(
                &served.method,
                &served.path,
                served.status,
                &gunzipped(&served.body),
            ));
        }
        assert!(
            problems.is_empty(),
            "the mock answered outside the vendor's document:\n{}",
            problems.join("\n")
        );
    }

    /// A call `METHOD PATH` as errors name it: `METHOD http://127.0.0.1:port/path`.
    pub fn call(&self, call: &str) -> String {
        let (method, path) = call.split_once(' ').unwrap();
        format!("{method} {}{path}", self.url)
    }
}

async fn answer(State(script): State<Arc<Script>>, request: Request) -> Response {
    let at = Instant::now();
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
        at,
    });
    let reply = script.replies.lock().unwrap().pop_front();
    let Some(reply) = reply else {
        return Response::builder()
            .status(StatusCode::NOT_IMPLEMENTED)
            .body(Body::from("mock: no reply scripted for this request"))
            .unwrap();
    };
    script.served.lock().unwrap().push(Served {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        status: reply.status,
        body: reply.body.clone(),
        off_spec: reply.off_spec,
    });
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::builder().status(reply.status);
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// A gzip body decompressed, any other as it is.
fn gunzipped(body: &[u8]) -> Vec<u8> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return body.to_vec();
    }
    let mut out = Vec::new();
    match std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out) {
        Ok(_) => out,
        Err(_) => body.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replies_in_order_and_records_requests() {
        let mock = Mock::start(vec![
            Reply::json(200, serde_json::json!({"ok": true})).header("x-test", "1"),
            Reply::raw(429, "slow down"),
        ])
        .await;
        let client = reqwest::Client::new();
        let first = client
            .get(format!("{}/a?page_token=p%202&x=1", mock.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 200);
        assert_eq!(first.headers()["x-test"], "1");
        assert_eq!(first.text().await.unwrap(), r#"{"ok":true}"#);
        let second = client
            .post(format!("{}/b", mock.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=a%3Ab&assertion=xyz")
            .send()
            .await
            .unwrap();
        assert_eq!(second.status(), 429);
        let third = client.get(format!("{}/c", mock.url)).send().await.unwrap();
        assert_eq!(third.status(), 501, "no reply left");

        assert_eq!(mock.calls(), ["GET /a", "POST /b", "GET /c"]);
        let seen = mock.seen();
        assert_eq!(seen[0].param("page_token").as_deref(), Some("p 2"));
        assert_eq!(seen[0].param("missing"), None);
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(seen[0].header("authorization"), Some(bearer.as_str()));
        assert_eq!(seen[1].form_param("grant_type").as_deref(), Some("a:b"));
        assert_eq!(
            seen[1].param("grant_type"),
            None,
            "the body is not the query"
        );
        assert_eq!(mock.call("POST /b"), format!("POST {}/b", mock.url));
    }

    #[tokio::test]
    #[should_panic(expected = "outside the vendor's document")]
    async fn a_vendor_mock_fails_its_test_on_an_answer_outside_the_document() {
        let spec = Arc::new(openapi::tests::spec());
        let mock = Mock::vendor(
            spec,
            Vec::new(),
            vec![
                Reply::json(200, serde_json::json!({"id": "t1", "kind": "A"})),
                Reply::json(200, serde_json::json!({"id": "t2"})),
                Reply::raw(200, "garbage").off_spec("on purpose"),
            ],
        )
        .await;
        let client = reqwest::Client::new();
        for _ in 0..3 {
            client
                .get(format!("{}/api/v1/things/t1", mock.url))
                .send()
                .await
                .unwrap();
        }
        assert_eq!(mock.served().len(), 3);
        // Dropped here: the second answer lacks the required `kind`.
    }

    #[tokio::test]
    async fn gzip_json_is_compressed() {
        let body = serde_json::json!({"rows": [[1, 2]]});
        let mock = Mock::start(vec![Reply::gzip_json(200, body.clone())]).await;
        // Built without decompression, which `rest` turns on for the whole build.
        let client = reqwest::Client::builder().no_gzip().build().unwrap();
        let answer = client.get(format!("{}/p", mock.url)).send().await.unwrap();
        assert_eq!(answer.headers()["content-encoding"], "gzip");
        let bytes = answer.bytes().await.unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), body);
    }
}
