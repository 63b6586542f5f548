//! The Hex API sync against a local server answering in Hex's documented shapes: projects
//! and cells enrich lineage, SQL cells add edges nobody ran, queriedTables cross-checks, and
//! failures keep the last good data.

use crate::{hex_comment, store_with};
use hex::{HexClient, HexConfig, Workspace};
use mockhttp::{Mock, Reply, TOKEN};
use model::{Secret, WarehouseKind};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use store::Store;
use sync::{sync_hex, ConnectionIdentity, HexAccess, HexTarget, HistoryTarget};

const ORDERS: &str = "ANALYTICS.MARTS.ORDERS";

fn client(mock: &Mock) -> HexAccess {
    let location = Workspace::parse(&format!("{}/acme/", mock.url)).unwrap();
    let mut config = HexConfig::new(location, Secret::new(TOKEN));
    config.http = mockhttp::fast_http(1);
    HexAccess::Ready(Arc::new(HexClient::new(config)))
}

fn target(mock: &Mock) -> HexTarget {
    HexTarget {
        workspace: "acme".into(),
        location: Workspace::parse(&format!("{}/acme/", mock.url)).unwrap(),
        client: client(mock),
        connections: vec![ConnectionIdentity {
            name: "wh".into(),
            kind: WarehouseKind::Snowflake,
            host: Some("acme-xy123".into()),
            database: Some("ANALYTICS".into()),
            schema: Some("MARTS".into()),
        }],
        overrides: BTreeMap::new(),
    }
}

fn page(values: Value) -> Reply {
    Reply::json(
        200,
        json!({"values": values, "pagination": {"after": null, "before": null}}),
    )
}

fn project(id: &str, title: &str, edited: &str, extra: Value) -> Value {
    let mut p = json!({
        "id": id, "title": title, "type": "PROJECT",
        "owner": {"email": "ana@acme.com"}, "creator": {"email": "bo@acme.com"},
        "status": {"name": "Published"}, "categories": [{"name": "Finance"}],
        "analytics": {"appViews": {"allTime": 120, "lastThirtyDays": 14}},
        "lastEditedAt": edited, "createdAt": "2026-01-02T03:04:05Z"
    });
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

fn projects(edited: &str) -> Reply {
    page(json!([
        project("p1", "Revenue dashboard", edited, json!({})),
        project(
            "p2",
            "Old churn study",
            "2026-03-01T00:00:00Z",
            json!({"archivedAt": "2026-04-01T00:00:00Z"})
        ),
        project(
            "p3",
            "Scratch",
            "2026-03-01T00:00:00Z",
            json!({"trashedAt": "2026-04-01T00:00:00Z"})
        ),
    ]))
}

fn connections() -> Reply {
    page(json!([
        {"id": "hc-1", "name": "Prod Snowflake", "type": "snowflake",
         "connectionDetails": {"account": "ACME-XY123", "database": "ANALYTICS"}},
        {"id": "hc-2", "name": "Sandbox", "type": "postgres",
         "connectionDetails": {"host": "pg.internal", "database": "scratch"}},
    ]))
}

fn p1_cells() -> Reply {
    page(json!([
        {"id": "c-rev", "cellType": "SQL", "label": "Revenue", "dataConnectionId": "hc-1", "projectId": "p1",
         "contents": {"sqlCell": {"source": "select order_date, amount from orders where order_date > {{ start_date }}"}}},
        {"id": "c-chain", "cellType": "SQL", "label": "Top", "dataConnectionId": "hc-1", "projectId": "p1",
         "contents": {"sqlCell": {"source": "select * from dataframe_1 join raw.payments using (order_id)"}}},
        {"id": "c-df", "cellType": "SQL", "label": "Local", "projectId": "p1",
         "contents": {"sqlCell": {"source": "select * from marts.customers", "dataFrameCell": true}}},
        {"id": "c-bad", "cellType": "SQL", "label": "Broken", "dataConnectionId": "hc-1", "projectId": "p1",
         "contents": {"sqlCell": {"source": "select from where"}}},
        {"id": "c-md", "cellType": "MARKDOWN", "projectId": "p1"}
    ]))
}

fn p2_cells() -> Reply {
    page(json!([
        {"id": "c-churn", "cellType": "SQL", "label": "Churn", "dataConnectionId": "hc-1", "projectId": "p2",
         "contents": {"sqlCell": {"source": "select customer_id from ANALYTICS.MARTS.CUSTOMERS"}}}
    ]))
}

fn forbidden() -> Reply {
    Reply::json(
        403,
        json!({"details": "This feature requires an Enterprise plan", "traceId": "t", "reason": "FORBIDDEN"}),
    )
}

async fn store() -> (Store, tempfile::TempDir) {
    store_with("wh", WarehouseKind::Snowflake).await
}

#[tokio::test]
async fn project_sql_adds_edges_nobody_ran_and_hex_metadata_names_them() {
    let (store, _dir) = store().await;
    let mock = Mock::start(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        // p2's queriedTables is not asked for: the 403 is said once. p3 is trashed.
        p2_cells(),
    ])
    .await;
    let summary = sync_hex(&store, &target(&mock)).await.unwrap();
    assert_eq!(
        mock.calls(),
        [
            "GET /api/v1/projects",
            "GET /api/v1/data-connections",
            "GET /api/v1/cells",
            "GET /api/v1/projects/p1/queriedTables",
            "GET /api/v1/cells",
        ]
    );
    assert_eq!(summary.projects, 3);
    assert_eq!(summary.projects_read, 2);
    assert_eq!(
        summary.sql_cells, 4,
        "the dataframe cell is not a warehouse query"
    );
    assert_eq!(summary.parse_failed, 1);
    assert_eq!(summary.matched_connections, 1);
    assert!(
        summary.queried_tables.contains("403"),
        "{}",
        summary.queried_tables
    );

    let uses = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(uses.len(), 1, "{uses:#?}");
    let u = &uses[0];
    assert_eq!(u.project_name.as_deref(), Some("Revenue dashboard"));
    assert_eq!(u.project_url, Some(format!("{}/acme/hex/p1", mock.url)));
    assert_eq!(u.cell_id.as_deref(), Some("c-rev"));
    assert_eq!(u.cell_label.as_deref(), Some("Revenue"));
    assert_eq!(u.owner.as_deref(), Some("ana@acme.com"));
    assert!(u.in_project_sql && !u.observed && !u.live);
    assert_eq!(u.runs, 0);
    assert_eq!(
        u.columns,
        ["AMOUNT", "ORDER_DATE"],
        "folded as Snowflake does"
    );
    assert_eq!(u.hex_confirms, None, "queriedTables is not available");

    let payments = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", "2000-01-01")
        .await
        .unwrap();
    assert_eq!(payments.len(), 1, "the chained cell reads raw.payments");
    let dataframe = store
        .hex_usage("wh", "ANALYTICS.MARTS.DATAFRAME_1", "2000-01-01")
        .await
        .unwrap();
    assert!(
        dataframe.is_empty(),
        "an earlier cell's result is not a table"
    );
    let customers = store
        .hex_usage("wh", "ANALYTICS.MARTS.CUSTOMERS", "2000-01-01")
        .await
        .unwrap();
    assert_eq!(
        customers.len(),
        1,
        "only the warehouse cell, not the dataframe one"
    );
    assert_eq!(customers[0].state.as_deref(), Some("archived"));

    let syncs = store.syncs("wh", 10).await.unwrap();
    let hex = syncs.iter().find(|s| s.source == "hex").unwrap();
    assert!(hex.ok);
    assert_eq!(hex.warnings.len(), 1, "said once: {:?}", hex.warnings);
    assert!(hex.warnings[0].contains("query history and the projects' SQL"));
}

#[tokio::test]
async fn unchanged_projects_cost_two_requests_and_an_edit_reads_again() {
    let (store, _dir) = store().await;
    let first = Mock::start(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        p2_cells(),
    ])
    .await;
    sync_hex(&store, &target(&first)).await.unwrap();

    let second = Mock::start(vec![projects("2026-05-01T00:00:00Z"), connections()]).await;
    let summary = sync_hex(&store, &target(&second)).await.unwrap();
    assert_eq!(summary.projects_read, 0);
    assert_eq!(second.calls().len(), 2);

    let edited = page(json!([
        {"id": "c-rev", "cellType": "SQL", "label": "Revenue v2", "dataConnectionId": "hc-1", "projectId": "p1",
         "contents": {"sqlCell": {"source": "select amount from raw.payments"}}}
    ]));
    let third = Mock::start(vec![
        projects("2026-06-01T00:00:00Z"),
        connections(),
        edited,
    ])
    .await;
    let summary = sync_hex(&store, &target(&third)).await.unwrap();
    assert_eq!(summary.projects_read, 1, "only the edited project");
    assert!(store
        .hex_usage("wh", ORDERS, "2000-01-01")
        .await
        .unwrap()
        .is_empty());
    let payments = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", "2000-01-01")
        .await
        .unwrap();
    assert_eq!(payments[0].cell_label.as_deref(), Some("Revenue v2"));
}

#[tokio::test]
async fn queried_tables_confirm_or_deny_each_use() {
    let (store, _dir) = store().await;
    let mock = Mock::start(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        page(json!([
            {"dataConnectionId": "hc-1", "dataConnectionName": "Prod Snowflake", "tableName": "\"ANALYTICS\".\"MARTS\".\"ORDERS\""},
            {"dataConnectionId": "hc-1", "dataConnectionName": "Prod Snowflake", "tableName": "marts.order_items"}
        ])),
        p2_cells(),
        page(json!([])),
    ])
    .await;
    let summary = sync_hex(&store, &target(&mock)).await.unwrap();
    assert_eq!(summary.queried_tables, "available");
    let orders = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(orders[0].hex_confirms, Some(true));
    let payments = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", "2000-01-01")
        .await
        .unwrap();
    assert_eq!(
        payments[0].hex_confirms,
        Some(false),
        "Hex does not list it"
    );
    let items = store
        .hex_usage("wh", "ANALYTICS.MARTS.ORDER_ITEMS", "2000-01-01")
        .await
        .unwrap();
    assert_eq!(items.len(), 1, "a table only Hex knows of: {items:#?}");
    assert_eq!(items[0].cell_id, None);
    assert!(!items[0].in_project_sql && !items[0].observed);
}

#[tokio::test]
async fn observed_runs_take_the_api_title_and_gain_the_sql_flag() {
    let (store, dir) = store().await;
    let recent = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let row = json!({
        "query_text": format!("select order_date, amount from orders\n{}", hex_comment("p1", "c-rev", "SCHEDULED_RUN", "ana@acme.com")),
        "start_time": recent, "user_name": "HEX", "database_name": "ANALYTICS", "schema_name": "MARTS",
        "execution_status": "SUCCESS"
    });
    let path = dir.path().join("history.jsonl");
    writeln!(std::fs::File::create(&path).unwrap(), "{row}").unwrap();
    let history = HistoryTarget {
        connection: "wh".into(),
        kind: WarehouseKind::Snowflake,
        environment: "export".into(),
        source: Arc::new(history::file::FileHistory::new(&path)),
        lookback: chrono::Duration::days(30),
        default_database: None,
        default_schema: None,
    };
    sync::sync_history(&store, &history, Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    let before = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(
        before[0].project_name.as_deref(),
        Some("Project p1"),
        "the comment's name"
    );

    let mock = Mock::start(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        p2_cells(),
    ])
    .await;
    sync_hex(&store, &target(&mock)).await.unwrap();
    let after = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(after.len(), 1, "one cell, seen both ways: {after:#?}");
    assert_eq!(after[0].project_name.as_deref(), Some("Revenue dashboard"));
    assert!(after[0].observed && after[0].in_project_sql && after[0].live);
    assert_eq!(after[0].runs, 1);
}

#[tokio::test]
async fn a_rejected_token_is_shown_on_the_connection_and_keeps_the_last_good_data() {
    let (store, _dir) = store().await;
    let good = Mock::start(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        p2_cells(),
    ])
    .await;
    sync_hex(&store, &target(&good)).await.unwrap();

    let bad = Mock::start(vec![Reply::json(
        401,
        json!({"details": "Invalid token", "traceId": "t", "reason": "UNAUTHORIZED"}),
    )])
    .await;
    let error = sync_hex(&store, &target(&bad))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("401 Unauthorized"), "{error}");
    assert!(!error.contains(TOKEN));
    let syncs = store.syncs("wh", 10).await.unwrap();
    let latest = syncs.iter().find(|s| s.source == "hex").unwrap();
    assert!(!latest.ok);
    assert!(latest
        .error
        .as_deref()
        .unwrap()
        .contains("401 Unauthorized"));
    assert_eq!(
        store
            .hex_usage("wh", ORDERS, "2000-01-01")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_missing_token_fails_every_sync_with_what_to_set() {
    let (store, _dir) = store().await;
    let mock = Mock::start(vec![]).await;
    let mut target = target(&mock);
    target.client = HexAccess::Missing("$HEX_TOKEN is not set in the environment".into());
    let error = sync_hex(&store, &target).await.unwrap_err().to_string();
    assert!(error.contains("$HEX_TOKEN is not set"), "{error}");
    assert!(mock.calls().is_empty());
    let syncs = store.syncs("wh", 10).await.unwrap();
    assert!(syncs.iter().any(|s| s.source == "hex" && !s.ok));
}

#[tokio::test]
async fn several_fitting_connections_need_history_or_an_override() {
    let (store, _dir) = store().await;
    let mock = Mock::start(vec![page(json!([])), connections()]).await;
    let mut target = target(&mock);
    let mut twin = target.connections[0].clone();
    twin.name = "wh2".into();
    target.connections.push(twin);
    sync_hex(&store, &target).await.unwrap();
    let matched = store.hex_connections().await.unwrap();
    let prod = matched.iter().find(|c| c.name == "Prod Snowflake").unwrap();
    assert_eq!(prod.connection, None);
    assert!(
        prod.matched_by.contains("2 connections fit (wh, wh2)"),
        "{}",
        prod.matched_by
    );
    let sandbox = matched.iter().find(|c| c.name == "Sandbox").unwrap();
    assert_eq!(sandbox.matched_by, "no postgres connection is configured");

    target
        .overrides
        .insert("Prod Snowflake".into(), "wh2".into());
    target.client = client(&Mock::start(vec![page(json!([])), connections()]).await);
    sync_hex(&store, &target).await.unwrap();
    let matched = store.hex_connections().await.unwrap();
    let prod = matched.iter().find(|c| c.name == "Prod Snowflake").unwrap();
    assert_eq!(prod.connection.as_deref(), Some("wh2"));
}

#[tokio::test]
async fn a_moved_mapping_reads_every_project_again_into_its_new_connection() {
    let (store, _dir) = store().await;
    let first = Mock::start(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        p2_cells(),
    ])
    .await;
    let mut target = target(&first);
    sync_hex(&store, &target).await.unwrap();
    assert_eq!(
        store
            .hex_usage("wh", ORDERS, "2000-01-01")
            .await
            .unwrap()
            .len(),
        1
    );

    let mut twin = target.connections[0].clone();
    twin.name = "wh2".into();
    target.connections.push(twin);
    target
        .overrides
        .insert("Prod Snowflake".into(), "wh2".into());
    let unedited = Mock::start(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        p2_cells(),
    ])
    .await;
    target.client = client(&unedited);
    let summary = sync_hex(&store, &target).await.unwrap();
    assert_eq!(
        summary.projects_read, 2,
        "nothing was edited, the mapping moved"
    );
    assert!(store
        .hex_usage("wh", ORDERS, "2000-01-01")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .hex_usage("wh2", ORDERS, "2000-01-01")
            .await
            .unwrap()
            .len(),
        1
    );
}
