//! Snowflake against a local server answering in the SQL API's documented shapes.

use crate::mock::{at, error_cases, fast_http, hex_sql, read, window, ErrorCases, Reply, TOKEN};
use chrono::{DateTime, Utc};
use history::snowflake::{KeyPair, Snowflake, SnowflakeAuth, SnowflakeConfig, SnowflakeTokenType};
use history::{Checkpoint, HistoryError, HistoryRequest, HistoryRow, QueryHistory, Secret};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use std::time::Duration;

const HANDLE: &str = "01b5c2d3-0000-4a6e-0000-000112233445";

fn config(url: &str) -> SnowflakeConfig {
    let auth = SnowflakeAuth::Token {
        token: Secret::new(TOKEN),
        kind: SnowflakeTokenType::ProgrammaticAccessToken,
    };
    let mut config = SnowflakeConfig::new("acme-xy12345", auth);
    config.account_url = url.to_string();
    config.warehouse = Some("HEX_WH".to_string());
    config.role = Some("HEX_READER".to_string());
    config.poll_interval = Duration::from_millis(10);
    config.http = fast_http();
    config
}

fn row_type(access_history: bool) -> Value {
    let mut names = vec![
        "QUERY_TEXT",
        "DATABASE_NAME",
        "SCHEMA_NAME",
        "EXECUTIONS",
        "FIRST_SEEN",
        "LAST_SEEN",
        "USERS",
    ];
    if access_history {
        names.push("ENGINE_TABLES");
    }
    names
        .iter()
        .map(|name| json!({"name": name, "type": "text"}))
        .collect()
}

fn millis(at: DateTime<Utc>) -> String {
    at.timestamp_millis().to_string()
}

fn still_running() -> Reply {
    Reply::json(
        202,
        json!({
            "code": "333334",
            "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
            "statementHandle": HANDLE,
            "statementStatusUrl": format!("/api/v2/statements/{HANDLE}"),
        }),
    )
}

/// A one-partition answer with one group, as the POST returns it when done in time.
fn one_group() -> Vec<Reply> {
    vec![Reply::json(
        200,
        json!({
            "resultSetMetaData": {"numRows": 1, "format": "jsonv2", "rowType": row_type(false),
                                  "partitionInfo": [{"rowCount": 1, "uncompressedSize": 300}]},
            "data": [[hex_sql("select 1", "p1"), "ANALYTICS", "PUBLIC", "1",
                      millis(at(1, 9, 0)), millis(at(1, 9, 0)), "[\n  \"HEX\"\n]"]],
            "code": "090001",
            "statementHandle": HANDLE,
        }),
    )]
}

#[tokio::test]
// HistoryRow has fields no source fills (the sync's `problem`); the first row sets all others.
#[allow(clippy::needless_update)]
async fn polls_a_running_statement_and_reads_every_partition() {
    let orders = hex_sql("select * from analytics.public.orders", "p1");
    let customers = hex_sql("select * from customers", "p2");
    let first = json!({
        "resultSetMetaData": {
            "numRows": 3, "format": "jsonv2", "rowType": row_type(true),
            "partitionInfo": [{"rowCount": 2, "uncompressedSize": 900},
                              {"rowCount": 1, "uncompressedSize": 400, "compressedSize": 200}],
        },
        "data": [
            [orders, "ANALYTICS", "PUBLIC", "3", millis(at(1, 8, 0)), millis(at(1, 20, 30)),
             "[\n  \"BOB\",\n  \"ANA\"\n]", "[\n  \"ANALYTICS.PUBLIC.ORDERS\"\n]"],
            [null, "ANALYTICS", null, "1", millis(at(1, 8, 0)), millis(at(1, 8, 0)), "[]", null],
        ],
        "code": "090001",
        "statementHandle": HANDLE,
    });
    let second = json!({
        "data": [[customers, "CRM", null, "2", millis(at(1, 7, 0)), millis(at(1, 7, 5)),
                  "[\n  \"ANA\"\n]", null]],
    });
    let mock = mockhttp::snowflake::mock(vec![
        still_running(),
        still_running(),
        Reply::json(200, first),
        Reply::gzip_json(200, second),
    ])
    .await;
    let mut config = config(&mock.url);
    config.access_history = true;
    let source = Snowflake::new(config);
    assert_eq!(source.describe(), "snowflake acme-xy12345");

    let (result, pages) = read(&source, &window(1)).await;

    assert_eq!(
        result.unwrap(),
        Checkpoint("2024-05-02T00:00:00.000Z".to_string())
    );
    let statement_url = format!("/api/v2/statements/{HANDLE}");
    assert_eq!(
        mock.calls(),
        [
            "POST /api/v2/statements".to_string(),
            format!("GET {statement_url}"),
            format!("GET {statement_url}"),
            format!("GET {statement_url}"),
        ]
    );
    let seen = mock.seen();
    assert_eq!(seen[3].param("partition").as_deref(), Some("1"));
    for request in &seen {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            request.header("x-snowflake-authorization-token-type"),
            Some("PROGRAMMATIC_ACCESS_TOKEN")
        );
    }
    // Resubmission is safe: a request id, and `retry` only on a resent POST.
    let request_id = seen[0].param("requestId").expect("a requestId");
    assert_eq!(request_id.len(), 36, "{request_id}");
    assert_eq!(seen[0].param("retry"), None);
    let body = seen[0].json();
    assert_eq!(body["warehouse"], "HEX_WH");
    assert_eq!(body["role"], "HEX_READER");
    assert_eq!(body["timeout"], 600);
    assert!(body.get("database").is_none());
    let statement = body["statement"].as_str().unwrap();
    for part in [
        "FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY q",
        "q.QUERY_TEXT ILIKE '%Hex query metadata%'",
        "q.EXECUTION_STATUS = 'SUCCESS'",
        // Queries belong to the window they ended in; START_TIME only prunes, two days
        // (the default statement timeout) before it.
        &format!(
            "q.START_TIME >= TO_TIMESTAMP_LTZ({}, 3)",
            (at(1, 0, 0) - chrono::Duration::hours(48)).timestamp_millis()
        ),
        &format!(
            "q.END_TIME >= TO_TIMESTAMP_LTZ({}, 3)",
            at(1, 0, 0).timestamp_millis()
        ),
        &format!(
            "q.END_TIME < TO_TIMESTAMP_LTZ({}, 3)",
            at(2, 0, 0).timestamp_millis()
        ),
        "GROUP BY q.QUERY_TEXT, q.DATABASE_NAME, q.SCHEMA_NAME",
        "COUNT(*) AS EXECUTIONS",
        "ARRAY_UNIQUE_AGG(q.USER_NAME) AS USERS",
        "SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY",
        // The objects a query named, views included; base objects never name a view.
        "LATERAL FLATTEN(input => ah.DIRECT_OBJECTS_ACCESSED) o",
        "o.value:\"objectDomain\"::STRING IN ('Table', 'View', 'Materialized view', 'External table'",
        "ON a.QUERY_ID = q.QUERY_ID",
    ] {
        assert!(statement.contains(part), "missing {part:?} in\n{statement}");
    }
    assert!(!statement.contains("BASE_OBJECTS_ACCESSED"), "{statement}");
    crate::mock::assert_reads(
        statement,
        sql::Dialect::Snowflake,
        &[
            "SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY",
            "SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY",
        ],
    );

    // Page size 1: one page per group; the NULL-text group is skipped.
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1]);
    let rows: Vec<HistoryRow> = pages.into_iter().flatten().collect();
    assert_eq!(
        rows,
        [
            HistoryRow {
                text: orders,
                database: Some("ANALYTICS".to_string()),
                schema: Some("PUBLIC".to_string()),
                users: vec!["ANA".to_string(), "BOB".to_string()],
                executions: 3,
                first_seen: Some(at(1, 8, 0)),
                last_seen: Some(at(1, 20, 30)),
                engine_tables: Some(vec!["ANALYTICS.PUBLIC.ORDERS".to_string()]),
                ..HistoryRow::default()
            },
            HistoryRow {
                text: customers,
                database: Some("CRM".to_string()),
                users: vec!["ANA".to_string()],
                executions: 2,
                first_seen: Some(at(1, 7, 0)),
                last_seen: Some(at(1, 7, 5)),
                ..HistoryRow::default()
            },
        ]
    );
}

#[tokio::test]
async fn the_window_stops_45_minutes_before_now() {
    let mock = mockhttp::snowflake::mock(one_group()).await;
    let source = Snowflake::new(config(&mock.url));
    let now = Utc::now();
    let request = HistoryRequest {
        since: now - chrono::Duration::hours(3),
        until: now,
        page_size: 10,
    };

    let (result, pages) = read(&source, &request).await;
    // The source reads the clock after `now`: measure the lag from a moment after the read.
    let after = Utc::now();

    let checkpoint = result.unwrap();
    let until = DateTime::parse_from_rfc3339(&checkpoint.0)
        .unwrap()
        .with_timezone(&Utc);
    let lag = after - until;
    assert!(lag >= chrono::Duration::minutes(45) && lag < chrono::Duration::minutes(46));
    let statement = mock.seen()[0].json()["statement"]
        .as_str()
        .unwrap()
        .to_string();
    let bound = format!(
        "q.END_TIME < TO_TIMESTAMP_LTZ({}, 3)",
        until.timestamp_millis()
    );
    assert!(statement.contains(&bound), "{statement}");
    assert!(!statement.contains("ACCESS_HISTORY"));
    assert_eq!(pages.concat().len(), 1);

    // A window entirely inside the latency asks nothing and keeps its start.
    let recent = HistoryRequest {
        since: now - chrono::Duration::minutes(10),
        until: now,
        page_size: 10,
    };
    let (result, pages) = read(&source, &recent).await;
    let since = recent
        .since
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(result.unwrap(), Checkpoint(since));
    assert!(pages.is_empty());
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn a_closed_sink_cancels() {
    let mock = mockhttp::snowflake::mock(one_group()).await;
    let source = Snowflake::new(config(&mock.url));
    let (sink, pages) = tokio::sync::mpsc::channel(1);
    drop(pages);
    let error = source.read(&window(1), None, &sink).await.unwrap_err();
    assert!(
        matches!(error, history::HistoryError::Cancelled),
        "{error:?}"
    );
}

#[test]
fn debug_hides_the_token() {
    let shown = format!(
        "{:?}",
        config("https://acme-xy12345.snowflakecomputing.com")
    );
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("acme-xy12345"));
}

error_cases!(ErrorCases {
    spec: Some(mockhttp::snowflake::spec),
    build: |url| Box::new(Snowflake::new(config(url))),
    success: one_group,
    first_call: "POST /api/v2/statements",
    grant: "GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE HEX_READER",
});

/// ACCESS_HISTORY lags up to three hours: with engine tables on, the window ends that far
/// back, so no query is checkpointed before the engine recorded what it read.
#[tokio::test]
async fn with_access_history_the_window_stops_three_hours_before_now() {
    let mut replies = one_group();
    replies[0] = Reply::json(
        200,
        json!({
            "resultSetMetaData": {"numRows": 0, "format": "jsonv2", "rowType": row_type(true),
                                  "partitionInfo": [{"rowCount": 0, "uncompressedSize": 0}]},
            "data": [], "code": "090001", "statementHandle": HANDLE,
        }),
    );
    let mock = mockhttp::snowflake::mock(replies).await;
    let mut config = config(&mock.url);
    config.access_history = true;
    let source = Snowflake::new(config);
    let now = Utc::now();
    let request = HistoryRequest {
        since: now - chrono::Duration::hours(6),
        until: now,
        page_size: 10,
    };
    let (result, _) = read(&source, &request).await;
    let after = Utc::now();
    let until = DateTime::parse_from_rfc3339(&result.unwrap().0)
        .unwrap()
        .with_timezone(&Utc);
    let lag = after - until;
    assert!(
        lag >= chrono::Duration::minutes(180) && lag < chrono::Duration::minutes(181),
        "{lag:?}"
    );
    // Two hours ago is inside the latency: nothing is asked, nothing is skipped.
    let recent = HistoryRequest {
        since: now - chrono::Duration::hours(2),
        until: now,
        page_size: 10,
    };
    let (result, _) = read(&source, &recent).await;
    assert_eq!(
        result.unwrap(),
        Checkpoint(
            recent
                .since
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )
    );
    assert_eq!(mock.seen().len(), 1);
}

/// A POST resent after a lost answer carries the same requestId and `retry=true`, so
/// Snowflake returns the first run's result instead of running the statement again.
#[tokio::test]
async fn a_resent_statement_is_marked_as_a_retry_of_the_same_request() {
    let mut replies = vec![Reply::raw(503, "unavailable")];
    replies.extend(one_group());
    let mock = mockhttp::snowflake::mock(replies).await;
    let source = Snowflake::new(config(&mock.url));
    let (result, _) = read(&source, &window(1)).await;
    result.unwrap();
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    let first = seen[0].param("requestId").expect("requestId");
    assert_eq!(seen[1].param("requestId"), Some(first));
    assert_eq!(seen[0].param("retry"), None);
    assert_eq!(seen[1].param("retry").as_deref(), Some("true"));
}

/// `check` reaches Snowflake whatever the latency (it once asked for a minute, clamped it to
/// nothing and said "ok" without a request): one row of each view, and a role without the
/// grant is told what to grant.
#[tokio::test]
async fn check_asks_each_view_and_names_the_missing_grant() {
    let done = || {
        Reply::json(
            200,
            json!({"resultSetMetaData": {"numRows": 1, "format": "jsonv2",
                                         "rowType": [{"name": "1", "type": "fixed"}],
                                         "partitionInfo": [{"rowCount": 1, "uncompressedSize": 10}]},
                   "data": [["1"]], "code": "090001", "statementHandle": HANDLE}),
        )
    };
    let mock = mockhttp::snowflake::mock(vec![done(), done()]).await;
    let mut with_access = config(&mock.url);
    with_access.access_history = true;
    let said = Snowflake::new(with_access).check().await.unwrap();
    assert!(
        said.contains("QUERY_HISTORY and ACCESS_HISTORY readable"),
        "{said}"
    );
    let statements: Vec<String> = mock
        .seen()
        .iter()
        .map(|s| s.json()["statement"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statements,
        [
            "SELECT 1 FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY LIMIT 1",
            "SELECT 1 FROM SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY LIMIT 1"
        ]
    );

    // The SQL API's QueryFailureStatus for an object the role may not see.
    let refused = Reply::json(
        422,
        json!({"code": "002003", "sqlState": "02000", "statementHandle": HANDLE,
               "message": "SQL compilation error:\nDatabase 'SNOWFLAKE' does not exist or not authorized."}),
    );
    let mock = mockhttp::snowflake::mock(vec![refused]).await;
    let error = Snowflake::new(config(&mock.url)).check().await.unwrap_err();
    assert!(matches!(error, HistoryError::Forbidden { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("does not exist or not authorized"), "{text}");
    assert!(
        text.contains("GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE HEX_READER"),
        "{text}"
    );
}

const TEST_ONLY_KEY: &str = include_str!("data/test-only-service-account.key.pem");
const TEST_ONLY_PUBLIC_KEY: &str = include_str!("data/test-only-service-account.pub.pem");

/// Key-pair sign-in: every call carries a JWT signed here (RS256) whose `iss` names the
/// public key's fingerprint and `sub` the account and user, as the SQL API's
/// authentication page documents; `serve` never holds a token past its hour.
#[tokio::test]
async fn key_pair_sign_in_signs_its_own_tokens() {
    let mock = mockhttp::snowflake::mock(one_group()).await;
    let pair = KeyPair::from_pem("acme-xy12345", "hex_reader", &Secret::new(TEST_ONLY_KEY))
        .expect("a key");
    let mut config = config(&mock.url);
    config.auth = SnowflakeAuth::KeyPair(std::sync::Arc::new(pair));
    let (result, _) = read(&Snowflake::new(config), &window(1)).await;
    result.unwrap();

    let seen = mock.seen();
    assert_eq!(
        seen[0].header("x-snowflake-authorization-token-type"),
        Some("KEYPAIR_JWT")
    );
    let jwt = seen[0]
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .expect("a bearer JWT");
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(TEST_ONLY_PUBLIC_KEY.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .expect("signed by the private key")
        .claims;
    // The fingerprint is the base64 SHA-256 of the public key's DER, as DESC USER shows it.
    let der = TEST_ONLY_PUBLIC_KEY
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    let fingerprint = sha256_base64(&der);
    assert_eq!(
        claims["iss"],
        format!("ACME-XY12345.HEX_READER.SHA256:{fingerprint}")
    );
    assert_eq!(claims["sub"], "ACME-XY12345.HEX_READER");
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(lifetime <= 3600, "{lifetime}");
    assert!(!format!(
        "{:?}",
        SnowflakeAuth::KeyPair(std::sync::Arc::new(
            KeyPair::from_pem("a", "b", &Secret::new(TEST_ONLY_KEY)).unwrap()
        ))
    )
    .contains("PRIVATE"));
}

/// The base64 SHA-256 of the DER that a base64 PEM body holds.
fn sha256_base64(der_base64: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let engine = base64::engine::general_purpose::STANDARD;
    let der = engine.decode(der_base64).expect("base64");
    engine.encode(sha2::Sha256::digest(der))
}
