//! Databricks against a local server answering in the Statement Execution API's documented
//! shapes.

use crate::mock::{
    at, error_cases, fast_http, hex_sql, read, window, ErrorCases, Mock, Reply, TOKEN,
};
use chrono::{DateTime, Utc};
use history::databricks::{Databricks, DatabricksAuth, DatabricksConfig};
use history::{Checkpoint, HistoryError, HistoryRow, QueryHistory, Secret};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use std::time::Duration;

const ID: &str = "01ef1234-5678-1abc-9def-0123456789ab";
const WORKSPACE: &str = "1234567890123456";

fn config(url: &str) -> DatabricksConfig {
    let auth = DatabricksAuth::Token(Secret::new(TOKEN));
    let mut config = DatabricksConfig::new(url, auth, "abcdef0123456789");
    config.workspace_id = Some(WORKSPACE.to_string());
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

/// A statement answered at once, its one small chunk inline: what a warehouse answers that
/// ignores the disposition (read all the same).
fn one_chunk() -> Vec<Reply> {
    let text = hex_sql("select 1", "p1");
    let mut done = state("SUCCEEDED");
    done["manifest"] = manifest(false);
    done["result"] = json!({"chunk_index": 0, "row_offset": 0, "row_count": 1,
        "data_array": [[text, null, null, "1", millis(at(1, 2, 0)), millis(at(1, 2, 0)), "[\"ana@acme.com\"]"]]});
    vec![Reply::json(200, done)]
}

/// A result chunk in storage: what an external link's URL returns for JSON_ARRAY, an array
/// of rows whose cells are strings or null.
fn stored_chunk(rows: Value) -> Reply {
    Reply::raw(200, rows.to_string()).header("content-type", "application/octet-stream")
}

/// One external link as the API lists it (ResultData.external_links[]).
fn link(mock_url: &str, index: u64, rows: u64, next: Option<&str>) -> Value {
    let mut link = json!({
        "chunk_index": index, "row_offset": index * 2, "row_count": rows, "byte_count": 512,
        "external_link": format!("{mock_url}/storage/{ID}/chunk-{index}?X-Amz-Signature=abc"),
        "expiration": "2024-05-01T10:15:00.000Z",
        "http_headers": {"x-ms-blob-type": "BlockBlob"}
    });
    if let Some(next) = next {
        link["next_chunk_index"] = json!(index + 1);
        link["next_chunk_internal_link"] = json!(next);
    }
    link
}

/// The whole protocol: polled while PENDING/RUNNING, then the result as EXTERNAL_LINKS
/// (INLINE aborts results over 25 MiB), each link fetched without our token, and the next
/// chunk's links from `next_chunk_internal_link`.
#[tokio::test]
async fn polls_while_pending_and_downloads_every_chunk() {
    let orders = hex_sql("SELECT * FROM main.sales.orders", "p1");
    let events = hex_sql("SELECT * FROM main.web.events", "p2");
    let next = format!("/api/2.0/sql/statements/{ID}/result/chunks/1");
    let mock = Mock::start(Vec::new()).await;
    let mut done = state("SUCCEEDED");
    done["manifest"] = manifest(true);
    done["result"] = json!({"external_links": [link(&mock.url, 0, 2, Some(&next))]});
    mock.push_replies(vec![
        Reply::json(200, state("PENDING")),
        Reply::json(200, state("RUNNING")),
        Reply::json(200, done),
        stored_chunk(json!([
            [
                orders,
                null,
                null,
                "5",
                millis(at(1, 3, 0)),
                millis(at(1, 23, 0)),
                "[\"svc-hex@acme.com\",\"ana@acme.com\"]",
                "[\"main.sales.orders\"]"
            ],
            [
                null,
                null,
                null,
                "1",
                millis(at(1, 3, 0)),
                millis(at(1, 3, 0)),
                "[]",
                "[]"
            ],
        ])),
        Reply::json(
            200,
            json!({"external_links": [link(&mock.url, 1, 1, None)]}),
        ),
        stored_chunk(json!([[
            events,
            null,
            null,
            "1",
            millis(at(1, 4, 0)),
            millis(at(1, 4, 0)),
            "[\"bo@acme.com\"]",
            "[]"
        ]])),
    ]);
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
            format!("GET /storage/{ID}/chunk-0"),
            format!("GET {next}"),
            format!("GET /storage/{ID}/chunk-1"),
        ]
    );
    let seen = mock.seen();
    for request in &seen {
        let storage = request.path.starts_with("/storage/");
        let auth = request.header("authorization");
        if storage {
            // Pre-signed: our token must not go to the storage, its listed headers must.
            assert_eq!(auth, None, "{}", request.path);
            assert_eq!(request.header("x-ms-blob-type"), Some("BlockBlob"));
            assert_eq!(request.param("X-Amz-Signature").as_deref(), Some("abc"));
        } else {
            assert_eq!(auth, Some(format!("Bearer {TOKEN}").as_str()));
        }
    }
    let body = seen[0].json();
    assert_eq!(body["warehouse_id"], "abcdef0123456789");
    assert_eq!(body["wait_timeout"], "30s");
    assert_eq!(body["disposition"], "EXTERNAL_LINKS");
    assert_eq!(body["format"], "JSON_ARRAY");
    let sql = body["statement"].as_str().unwrap();
    for part in [
        "FROM system.query.history h",
        // The table holds every workspace of the region: only this one's statements.
        &format!("h.workspace_id = '{WORKSPACE}'"),
        &format!("l.workspace_id = '{WORKSPACE}'"),
        "h.statement_text LIKE '%Hex query metadata%'",
        "h.execution_status = 'FINISHED'",
        &format!(
            "h.end_time >= timestamp_millis({})",
            at(1, 0, 0).timestamp_millis()
        ),
        &format!(
            "h.end_time < timestamp_millis({})",
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
    crate::mock::assert_reads(
        sql,
        sql::Dialect::Databricks,
        &["system.access.table_lineage", "system.query.history"],
    );

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

/// A link that expired (the storage answers 403) is asked for again by its chunk index.
#[tokio::test]
async fn an_expired_link_is_fetched_again() {
    let text = hex_sql("select 1", "p1");
    let mock = Mock::start(Vec::new()).await;
    let mut done = state("SUCCEEDED");
    done["manifest"] = manifest(false);
    done["result"] = json!({"external_links": [link(&mock.url, 0, 1, None)]});
    mock.push_replies(vec![
        Reply::json(200, done),
        Reply::raw(
            403,
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        ),
        Reply::json(
            200,
            json!({"external_links": [link(&mock.url, 0, 1, None)]}),
        ),
        stored_chunk(json!([[
            text,
            null,
            null,
            "1",
            millis(at(1, 2, 0)),
            millis(at(1, 2, 0)),
            "[]"
        ]])),
    ]);
    let (result, pages) = read(&Databricks::new(config(&mock.url)), &window(10)).await;
    result.unwrap();
    assert_eq!(pages.concat().len(), 1);
    assert_eq!(
        mock.calls()[2],
        format!("GET /api/2.0/sql/statements/{ID}/result/chunks/0")
    );
}

/// Without `workspace_id` in the config, the workspace is read from the X-Databricks-Org-Id
/// header of `GET /api/2.0/preview/scim/v2/Me`, where the Databricks SDKs read it.
#[tokio::test]
async fn the_workspace_id_comes_from_the_workspace_itself() {
    let me = json!({"id": "7", "userName": "svc-hex@acme.com", "active": true});
    let mut replies =
        vec![Reply::json(200, me.clone()).header("x-databricks-org-id", "9876543210")];
    replies.extend(one_chunk());
    let mock = Mock::start(replies).await;
    let mut config = config(&mock.url);
    config.workspace_id = None;
    let (result, _) = read(&Databricks::new(config), &window(10)).await;
    result.unwrap();
    assert_eq!(mock.calls()[0], "GET /api/2.0/preview/scim/v2/Me");
    let sql = mock.seen()[1].json()["statement"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sql.contains("h.workspace_id = '9876543210'"), "{sql}");

    // No header and no config: the error says what to set.
    let mock = Mock::start(vec![Reply::json(200, me)]).await;
    let mut config = self::config(&mock.url);
    config.workspace_id = None;
    let (result, _) = read(&Databricks::new(config), &window(10)).await;
    let error = result.unwrap_err().to_string();
    assert!(error.contains("set workspace_id in the config"), "{error}");
}

/// A service principal signs in with OAuth machine-to-machine: client id and secret as HTTP
/// Basic against the workspace's `/oidc/v1/token`, and the hour-long token is reused until
/// shortly before it ends.
#[tokio::test]
async fn oauth_machine_to_machine_exchanges_and_reuses_its_token() {
    let mut replies = vec![Reply::json(
        200,
        json!({"access_token": "oauth-access-1", "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"}),
    )];
    replies.extend(one_chunk());
    replies.extend(one_chunk());
    let mock = Mock::start(replies).await;
    let http = history::HttpOptions { ..fast_http() };
    let auth = DatabricksAuth::oauth(
        &mock.url,
        "6f1e-client".to_string(),
        Secret::new("oauth-secret-do-not-leak"),
        rest::HttpClient::new(http),
    );
    let mut config = config(&mock.url);
    config.auth = auth;
    let source = Databricks::new(config);
    for _ in 0..2 {
        let (result, _) = read(&source, &window(10)).await;
        result.unwrap();
    }
    let seen = mock.seen();
    assert_eq!(mock.calls()[0], "POST /oidc/v1/token");
    assert_eq!(
        seen[0].form_param("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(seen[0].form_param("scope").as_deref(), Some("all-apis"));
    use base64::Engine;
    let basic =
        base64::engine::general_purpose::STANDARD.encode("6f1e-client:oauth-secret-do-not-leak");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        seen.len(),
        3,
        "one exchange for two reads: {:?}",
        mock.calls()
    );
    for request in &seen[1..] {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer oauth-access-1")
        );
    }
    assert!(!format!(
        "{source_config:?}",
        source_config = DatabricksAuth::oauth(
            "https://x",
            "id".into(),
            Secret::new("oauth-secret-do-not-leak"),
            rest::HttpClient::new(fast_http())
        )
    )
    .contains("oauth-secret"));
}

/// `check` reaches the workspace whatever the latency: one row of each system table.
#[tokio::test]
async fn check_reads_one_row_of_each_system_table() {
    let mut ok = state("SUCCEEDED");
    ok["manifest"] = json!({"format": "JSON_ARRAY", "schema": {"column_count": 1,
        "columns": [{"name": "1", "type_name": "INT", "position": 0}]}, "total_chunk_count": 0});
    ok["result"] = json!({"external_links": []});
    let mock = Mock::start(vec![Reply::json(200, ok.clone()), Reply::json(200, ok)]).await;
    let mut config = config(&mock.url);
    config.table_lineage = true;
    let said = Databricks::new(config).check().await.unwrap();
    assert!(
        said.contains("system.query.history and system.access.table_lineage readable"),
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
            format!("SELECT 1 FROM system.query.history WHERE workspace_id = '{WORKSPACE}' LIMIT 1"),
            format!("SELECT 1 FROM system.access.table_lineage WHERE workspace_id = '{WORKSPACE}' LIMIT 1"),
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
    spec: None,
    build: |url| Box::new(Databricks::new(config(url))),
    success: one_chunk,
    first_call: "POST /api/2.0/sql/statements",
    grant: "GRANT SELECT ON system.query.history",
});
