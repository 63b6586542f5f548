//! What the introspection tests share beyond the local HTTP server of [`mockhttp`]: result
//! tables, times, schemas, relations, and the failures every API source must report alike.

pub use mockhttp::{Mock, Reply, TOKEN};
use rest::HttpOptions;
use std::time::{Duration, Instant};
use warehouse::{CatalogError, CatalogReader, Relation, SchemaRef};

/// Attempts per request: a hanging endpoint is tried this many times.
const ATTEMPTS: u32 = 2;

/// HTTP options that keep the tests fast: short timeout, quick retries.
pub fn fast_http() -> HttpOptions {
    mockhttp::fast_http(ATTEMPTS)
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
    source: &dyn CatalogReader,
    schema: &SchemaRef,
) -> (Result<(), CatalogError>, Vec<Relation>) {
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
/// [`CatalogReader::schemas`]. `first_call` is that call's `METHOD PATH`; `grant` a part of
/// what a 403 must say to grant.
pub struct ErrorCases {
    pub build: fn(&str) -> Box<dyn CatalogReader>,
    pub first_call: &'static str,
    pub grant: &'static str,
}

impl ErrorCases {
    async fn fail(&self, replies: Vec<Reply>) -> (Mock, CatalogError) {
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
        mock.call(self.first_call)
    }

    pub async fn unauthorized(&self) {
        let body = serde_json::json!({"message": "Invalid OAuth access token."});
        let (mock, error) = self.fail(vec![Reply::json(401, body)]).await;
        let CatalogError::Unauthorized { call, message } = &error else {
            panic!("{error:?}");
        };
        assert!(call.starts_with(&self.call(&mock)), "{call}");
        assert_eq!(message, "Invalid OAuth access token.");
        assert_eq!(mock.seen().len(), 1, "401 is not retried");
    }

    pub async fn forbidden(&self) {
        let body = serde_json::json!({"error": {"code": 403, "message": "Access Denied"}});
        let (mock, error) = self.fail(vec![Reply::json(403, body)]).await;
        let CatalogError::Forbidden {
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
        let CatalogError::Failed { call, message } = &error else {
            panic!("{error:?}");
        };
        assert!(call.starts_with(&self.call(&mock)), "{call}");
        assert!(message.contains("truncated JSON"), "{message}");
    }

    pub async fn hanging(&self) {
        let started = Instant::now();
        let (mock, error) = self.fail(vec![Reply::hang(), Reply::hang()]).await;
        let CatalogError::Failed { call, message } = &error else {
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
