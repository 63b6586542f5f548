//! Snowflake against a local server answering in the SQL API's documented shapes.

use crate::mock::{
    at, error_cases, fast_http, hex_sql, read, window, ErrorCases, Mock, Reply, TOKEN,
};
use chrono::{DateTime, Utc};
use history::snowflake::{Snowflake, SnowflakeConfig, SnowflakeTokenType};
use history::{Checkpoint, HistoryRequest, HistoryRow, QueryHistory, Secret};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use std::time::Duration;

const HANDLE: &str = "01b5c2d3-0000-4a6e-0000-000112233445";

fn config(url: &str) -> SnowflakeConfig {
    let mut config = SnowflakeConfig::new(
        "acme-xy12345",
        Secret::new(TOKEN),
        SnowflakeTokenType::ProgrammaticAccessToken,
    );
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
    let mock = Mock::start(vec![
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
        &format!(
            "q.START_TIME >= TO_TIMESTAMP_LTZ({}, 3)",
            at(1, 0, 0).timestamp_millis()
        ),
        &format!(
            "q.START_TIME < TO_TIMESTAMP_LTZ({}, 3)",
            at(2, 0, 0).timestamp_millis()
        ),
        "GROUP BY q.QUERY_TEXT, q.DATABASE_NAME, q.SCHEMA_NAME",
        "COUNT(*) AS EXECUTIONS",
        "ARRAY_UNIQUE_AGG(q.USER_NAME) AS USERS",
        "SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY",
        "BASE_OBJECTS_ACCESSED",
        "ON a.QUERY_ID = q.QUERY_ID",
    ] {
        assert!(statement.contains(part), "missing {part:?} in\n{statement}");
    }

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
    let mock = Mock::start(one_group()).await;
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
        "q.START_TIME < TO_TIMESTAMP_LTZ({}, 3)",
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
    let mock = Mock::start(one_group()).await;
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
    build: |url| Box::new(Snowflake::new(config(url))),
    success: one_group,
    first_call: "POST /api/v2/statements",
    grant: "GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE HEX_READER",
});
