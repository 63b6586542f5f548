//! What the query-history tests share beyond the local HTTP server of [`mockhttp`]: the
//! window they read, the rows they get, and the error cases every HTTP source must handle
//! alike.

use chrono::{DateTime, TimeZone, Utc};
use history::{Checkpoint, HistoryError, HistoryRequest, HistoryRow, HttpOptions, QueryHistory};
pub use mockhttp::{Mock, Reply, Seen, TOKEN};
use std::time::{Duration, Instant};

/// Attempts per request: a hanging endpoint is tried this many times.
const ATTEMPTS: u32 = 3;

/// HTTP options that keep the tests fast: short timeout, quick retries.
pub fn fast_http() -> HttpOptions {
    mockhttp::fast_http(ATTEMPTS)
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
    /// The vendor's OpenAPI document, where it publishes one: every answer is checked.
    pub spec: Option<fn() -> std::sync::Arc<mockhttp::openapi::Spec>>,
    pub success: fn() -> Vec<Reply>,
    pub first_call: &'static str,
    pub grant: &'static str,
}

impl ErrorCases {
    async fn start(&self, replies: Vec<Reply>) -> Mock {
        match self.spec {
            Some(spec) => Mock::vendor(spec(), Vec::new(), replies).await,
            None => Mock::start(replies).await,
        }
    }

    async fn fail(&self, replies: Vec<Reply>) -> (Mock, HistoryError) {
        let mock = self.start(replies).await;
        let source = (self.build)(&mock.url);
        let (result, _) = read(source.as_ref(), &window(100)).await;
        let error = result.expect_err("the read should fail");
        let text = error.to_string();
        assert!(!text.contains(TOKEN), "the error shows the token: {text}");
        (mock, error)
    }

    /// The call as errors name it: `METHOD http://127.0.0.1:port/path`.
    fn call(&self, mock: &Mock) -> String {
        mock.call(self.first_call)
    }

    pub async fn unauthorized(&self) {
        let body = serde_json::json!({"message": "Invalid OAuth access token."});
        let (mock, error) = self.fail(vec![Reply::json(401, body)]).await;
        assert!(
            matches!(error, HistoryError::Unauthorized { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        // The call is named with its query (Snowflake's requestId).
        assert!(text.starts_with(&self.call(&mock)), "{text}");
        assert!(
            text.contains(": 401 Unauthorized: Invalid OAuth access token."),
            "{text}"
        );
        assert_eq!(mock.seen().len(), 1, "401 is not retried");
    }

    pub async fn forbidden(&self) {
        let body =
            serde_json::json!({"message": "Insufficient privileges to operate on the view."});
        let (mock, error) = self.fail(vec![Reply::json(403, body)]).await;
        assert!(matches!(error, HistoryError::Forbidden { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.starts_with(&self.call(&mock)), "{text}");
        assert!(text.contains(": 403 Forbidden"), "{text}");
        assert!(text.contains("Insufficient privileges"), "{text}");
        assert!(text.contains(self.grant), "{text}");
    }

    pub async fn rate_limited_then_ok(&self) {
        let mut replies = vec![Reply::raw(429, "slow down").header("retry-after", "1")];
        replies.extend((self.success)());
        let mock = self.start(replies).await;
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
        let mock = self.start(replies).await;
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
            .fail(
                (0..3)
                    .map(|_| Reply::hang().off_spec("never answers"))
                    .collect(),
            )
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
            .header("content-type", "application/json")
            .off_spec("truncated on purpose");
        let (mock, error) = self.fail(vec![reply]).await;
        assert!(matches!(error, HistoryError::Malformed { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.starts_with(&self.call(&mock)), "{text}");
        assert!(text.contains("truncated JSON"), "{text}");
    }

    pub async fn not_json(&self) {
        let reply = Reply::raw(200, "<html>proxy login</html>")
            .header("content-type", "text/html")
            .off_spec("a proxy's page, not the API's answer");
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

/// The statement parses in `dialect` by our own engine, and reads exactly `tables` (as the
/// engine names them): a warehouse statement built wrong fails here, not on a customer's
/// account.
pub fn assert_reads(statement: &str, dialect: sql::Dialect, tables: &[&str]) {
    let analysis = sql::analyze(statement, &sql::Options::new(dialect), None);
    assert_eq!(analysis.error(), None, "does not parse:\n{statement}");
    let reads: Vec<String> = analysis.merged().reads.into_iter().collect();
    assert_eq!(reads, tables, "in\n{statement}");
}
