//! Databricks against a local server answering in the Statement Execution API's documented
//! shapes.

use crate::mock::{
    at, error_cases, fast_http, hex_sql, read, window, ErrorCases, Mock, Reply, TOKEN,
};
use chrono::{DateTime, Utc};
use history::databricks::{Databricks, DatabricksConfig};
use history::{Checkpoint, HistoryError, HistoryRow, QueryHistory, Secret};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use std::time::Duration;

const ID: &str = "01ef1234-5678-1abc-9def-0123456789ab";

fn config(url: &str) -> DatabricksConfig {
    let mut config = DatabricksConfig::new(url, Secret::new(TOKEN), "abcdef0123456789");
    config.poll_interval = Duration::from_millis(10);
    config.http = fast_http();
    config
}

fn manifest(table_lineage: bool) -> Value {
    let mut names = vec![
        ("QUERY_TEXT", "STRING"),
        ("DATABASE_NAME", "STRING"),
        ("SCHEMA_NAME", "STRING"),
        ("EXECUTIONS", "LONG"),
        ("FIRST_SEEN", "LONG"),
        ("LAST_SEEN", "LONG"),
        ("USERS", "STRING"),
    ];
    if table_lineage {
        names.push(("ENGINE_TABLES", "STRING"));
    }
    let columns: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(position, (name, kind))| json!({"name": name, "type_name": kind, "position": position}))
        .collect();
    json!({"format": "JSON_ARRAY", "schema": {"column_count": columns.len(), "columns": columns},
           "total_chunk_count": 2, "total_row_count": 3, "truncated": false})
}

fn millis(at: DateTime<Utc>) -> String {
    at.timestamp_millis().to_string()
}

fn state(state: &str) -> Value {
    json!({"statement_id": ID, "status": {"state": state}})
}

fn one_chunk() -> Vec<Reply> {
    let text = hex_sql("select 1", "p1");
    let mut done = state("SUCCEEDED");
    done["manifest"] = manifest(false);
    done["result"] = json!({"chunk_index": 0, "row_offset": 0, "row_count": 1,
        "data_array": [[text, null, null, "1", millis(at(1, 2, 0)), millis(at(1, 2, 0)), "[\"ana@acme.com\"]"]]});
    vec![Reply::json(200, done)]
}

#[tokio::test]
async fn polls_while_pending_and_follows_chunks() {
    let orders = hex_sql("SELECT * FROM main.sales.orders", "p1");
    let events = hex_sql("SELECT * FROM main.web.events", "p2");
    let next = format!("/api/2.0/sql/statements/{ID}/result/chunks/1");
    let mut done = state("SUCCEEDED");
    done["manifest"] = manifest(true);
    done["result"] = json!({
        "chunk_index": 0, "row_offset": 0, "row_count": 2, "next_chunk_index": 1,
        "next_chunk_internal_link": next,
        "data_array": [
            [orders, null, null, "5", millis(at(1, 3, 0)), millis(at(1, 23, 0)),
             "[\"svc-hex@acme.com\",\"ana@acme.com\"]", "[\"main.sales.orders\"]"],
            [null, null, null, "1", millis(at(1, 3, 0)), millis(at(1, 3, 0)), "[]", "[]"],
        ],
    });
    let mock = Mock::start(vec![
        Reply::json(200, state("PENDING")),
        Reply::json(200, state("RUNNING")),
        Reply::json(200, done),
        Reply::json(
            200,
            json!({
                "chunk_index": 1, "row_offset": 2, "row_count": 1,
                "data_array": [[events, null, null, "1", millis(at(1, 4, 0)), millis(at(1, 4, 0)),
                                "[\"bo@acme.com\"]", "[]"]],
            }),
        ),
    ])
    .await;
    let mut config = config(&mock.url);
    config.table_lineage = true;
    let source = Databricks::new(config);
    assert!(source.describe().starts_with("databricks 127.0.0.1:"));

    let (result, pages) = read(&source, &window(10)).await;

    assert_eq!(
        result.unwrap(),
        Checkpoint("2024-05-02T00:00:00.000Z".to_string())
    );
    let statement = format!("/api/2.0/sql/statements/{ID}");
    assert_eq!(
        mock.calls(),
        [
            "POST /api/2.0/sql/statements".to_string(),
            format!("GET {statement}"),
            format!("GET {statement}"),
            format!("GET {next}"),
        ]
    );
    let seen = mock.seen();
    for request in &seen {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    let body = seen[0].json();
    assert_eq!(body["warehouse_id"], "abcdef0123456789");
    assert_eq!(body["wait_timeout"], "30s");
    assert_eq!(body["disposition"], "INLINE");
    assert_eq!(body["format"], "JSON_ARRAY");
    let sql = body["statement"].as_str().unwrap();
    for part in [
        "FROM system.query.history h",
        "h.statement_text LIKE '%Hex query metadata%'",
        "h.execution_status = 'FINISHED'",
        &format!(
            "h.start_time >= timestamp_millis({})",
            at(1, 0, 0).timestamp_millis()
        ),
        &format!(
            "h.start_time < timestamp_millis({})",
            at(2, 0, 0).timestamp_millis()
        ),
        "GROUP BY h.statement_text",
        "COUNT(DISTINCT h.statement_id) AS EXECUTIONS",
        "collect_set(h.executed_by)",
        "LEFT JOIN system.access.table_lineage l",
        "ON l.statement_id = h.statement_id",
        "collect_set(l.source_table_full_name)",
    ] {
        assert!(sql.contains(part), "missing {part:?} in\n{sql}");
    }

    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2]);
    let rows: Vec<HistoryRow> = pages.into_iter().flatten().collect();
    assert_eq!(
        rows,
        [
            HistoryRow {
                text: orders,
                users: vec!["ana@acme.com".to_string(), "svc-hex@acme.com".to_string()],
                executions: 5,
                first_seen: Some(at(1, 3, 0)),
                last_seen: Some(at(1, 23, 0)),
                engine_tables: Some(vec!["main.sales.orders".to_string()]),
                ..HistoryRow::default()
            },
            HistoryRow {
                text: events,
                users: vec!["bo@acme.com".to_string()],
                executions: 1,
                first_seen: Some(at(1, 4, 0)),
                last_seen: Some(at(1, 4, 0)),
                engine_tables: None,
                ..HistoryRow::default()
            },
        ]
    );
}

async fn failed_with(error_code: &str, message: &str) -> (Mock, HistoryError) {
    let mut failed = state("FAILED");
    failed["status"]["error"] = json!({"error_code": error_code, "message": message});
    let mock = Mock::start(vec![
        Reply::json(200, state("RUNNING")),
        Reply::json(200, failed),
    ])
    .await;
    let source = Databricks::new(config(&mock.url));
    let (result, _) = read(&source, &window(10)).await;
    (mock, result.unwrap_err())
}

#[tokio::test]
async fn a_failed_statement_reports_the_warehouse_message() {
    let message =
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `system`.`query`.`history` cannot be found.";
    let (mock, error) = failed_with("BAD_REQUEST", message).await;
    assert!(matches!(error, HistoryError::Database { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("GET {}/api/2.0/sql/statements/{ID}", mock.url)),
        "{text}"
    );
    assert!(text.contains("FAILED") && text.contains(message), "{text}");
}

#[tokio::test]
async fn a_statement_denied_access_says_what_to_grant() {
    let (_, error) = failed_with(
        "PERMISSION_DENIED",
        "User does not have SELECT on Table 'system.query.history'.",
    )
    .await;
    assert!(matches!(error, HistoryError::Forbidden { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("GRANT SELECT ON system.query.history"),
        "{error}"
    );
}

#[tokio::test]
async fn a_chunk_link_to_another_host_is_refused() {
    let mut done = state("SUCCEEDED");
    done["manifest"] = manifest(false);
    done["result"] =
        json!({"data_array": [], "next_chunk_internal_link": "https://elsewhere.example/steal"});
    let mock = Mock::start(vec![Reply::json(200, done)]).await;
    let source = Databricks::new(config(&mock.url));
    let (result, _) = read(&source, &window(10)).await;
    let error = result.unwrap_err();
    assert!(matches!(error, HistoryError::Malformed { .. }), "{error:?}");
    assert_eq!(mock.seen().len(), 1, "nothing is sent to the other host");
}

error_cases!(ErrorCases {
    build: |url| Box::new(Databricks::new(config(url))),
    success: one_chunk,
    first_call: "POST /api/2.0/sql/statements",
    grant: "GRANT SELECT ON system.query.history",
});
