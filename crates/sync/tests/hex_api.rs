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

/// Project and data connection ids are UUIDs in Hex's document (`ProjectId`,
/// `DataConnectionId`).
const P1: &str = "1b2c3d4e-0000-4000-8000-000000000001";
const P2: &str = "1b2c3d4e-0000-4000-8000-000000000002";
const P3: &str = "1b2c3d4e-0000-4000-8000-000000000003";
const HC1: &str = "9f8e7d6c-0000-4000-8000-0000000000c1";
const HC2: &str = "9f8e7d6c-0000-4000-8000-0000000000c2";

/// A mock answering as Hex's OpenAPI document says (checked when the test ends).
async fn hex(replies: Vec<Reply>) -> Mock {
    mockhttp::hex::mock(replies).await
}

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
        queried_tables_every: chrono::Duration::hours(24),
        refresh: std::time::Duration::from_secs(3_600),
    }
}

fn page(values: Value) -> Reply {
    mockhttp::hex::page(values, None)
}

fn queried(values: Value) -> Reply {
    mockhttp::hex::queried_page(values, None)
}

/// A project of the documented shape, with `extra` fields over it.
fn project(id: &str, title: &str, edited: &str, extra: Value) -> Value {
    let mut p = mockhttp::hex::project(id, title, edited);
    p["categories"] = json!([{"name": "Finance", "description": ""}]);
    p["analytics"]["appViews"] = json!({"allTime": 120, "lastSevenDays": 3, "lastFourteenDays": 7,
                                        "lastThirtyDays": 14});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

fn projects(edited: &str) -> Reply {
    page(json!([
        project(P1, "Revenue dashboard", edited, json!({})),
        project(
            P2,
            "Old churn study",
            "2026-03-01T00:00:00Z",
            json!({"archivedAt": "2026-04-01T00:00:00Z"})
        ),
        project(
            P3,
            "Scratch",
            "2026-03-01T00:00:00Z",
            json!({"trashedAt": "2026-04-01T00:00:00Z"})
        ),
    ]))
}

fn connection(id: &str, name: &str, kind: &str, details: Value) -> Value {
    mockhttp::hex::detailed_connection(id, name, kind, details)
}

fn connections() -> Reply {
    page(json!([
        connection(
            HC1,
            "Prod Snowflake",
            "snowflake",
            json!({"accountName": "ACME-XY123", "warehouse": "HEX", "database": "ANALYTICS",
                          "schema": null, "role": "HEX", "username": "hex"})
        ),
        connection(
            HC2,
            "Sandbox",
            "postgres",
            json!({"hostname": "pg.internal", "database": "scratch", "port": 5432, "username": "hex"})
        ),
    ]))
}

fn cell(id: &str, project: &str, kind: &str, label: Option<&str>) -> Value {
    let mut cell = mockhttp::hex::cell(id, kind, project);
    cell["label"] = json!(label);
    cell
}

fn sql_cell(
    id: &str,
    project: &str,
    label: &str,
    on: Option<&str>,
    sql: &str,
    output: &str,
) -> Value {
    let mut cell = mockhttp::hex::sql_cell(id, project, on, sql, output);
    cell["label"] = json!(label);
    cell
}

fn p1_cells() -> Reply {
    let mut markdown = cell("c-md", P1, "MARKDOWN", None);
    markdown["contents"]["markdownCell"] = json!({"source": "# Revenue"});
    page(json!([
        sql_cell(
            "c-rev",
            P1,
            "Revenue",
            Some(HC1),
            "select order_date, amount from orders where order_date > {{ start_date }}",
            "recent_orders"
        ),
        // Chained on the same connection: `recent_orders` is the cell above's output.
        sql_cell(
            "c-chain",
            P1,
            "Top",
            Some(HC1),
            "select * from recent_orders join raw.payments using (order_id)",
            "dataframe_2"
        ),
        // No connection: it queries the project's dataframes.
        sql_cell(
            "c-df",
            P1,
            "Local",
            None,
            "select * from marts.customers",
            "dataframe_3"
        ),
        sql_cell(
            "c-bad",
            P1,
            "Broken",
            Some(HC1),
            "select from where",
            "dataframe_4"
        ),
        markdown
    ]))
}

fn p2_cells() -> Reply {
    page(json!([sql_cell(
        "c-churn",
        P2,
        "Churn",
        Some(HC1),
        "select customer_id from ANALYTICS.MARTS.CUSTOMERS",
        "churn"
    )]))
}

/// queriedTables without an Enterprise plan.
fn forbidden() -> Reply {
    mockhttp::hex::error_details(403, "Forbidden", "This feature requires an Enterprise plan")
}

async fn store() -> (Store, tempfile::TempDir) {
    store_with("wh", WarehouseKind::Snowflake).await
}

#[tokio::test]
async fn project_sql_adds_edges_nobody_ran_and_hex_metadata_names_them() {
    let (store, _dir) = store().await;
    let mock = hex(vec![
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
            "GET /api/v1/projects".to_string(),
            "GET /api/v1/data-connections".into(),
            "GET /api/v1/cells".into(),
            format!("GET /api/v1/projects/{P1}/queriedTables"),
            "GET /api/v1/cells".into(),
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
    assert_eq!(u.project_url, Some(format!("{}/acme/hex/{P1}", mock.url)));
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
        .hex_usage("wh", "ANALYTICS.MARTS.RECENT_ORDERS", "2000-01-01")
        .await
        .unwrap();
    assert!(
        dataframe.is_empty(),
        "an earlier cell's output dataframe is not a table"
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
    let first = hex(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        p2_cells(),
    ])
    .await;
    sync_hex(&store, &target(&first)).await.unwrap();

    let second = hex(vec![projects("2026-05-01T00:00:00Z"), connections()]).await;
    let summary = sync_hex(&store, &target(&second)).await.unwrap();
    assert_eq!(summary.projects_read, 0);
    assert_eq!(second.calls().len(), 2);

    let edited = page(json!([sql_cell(
        "c-rev",
        P1,
        "Revenue v2",
        Some(HC1),
        "select amount from raw.payments",
        "dataframe_1"
    )]));
    let third = hex(vec![
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
    let mock = hex(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        queried(json!([
            {"dataConnectionId": HC1, "dataConnectionName": "Prod Snowflake", "tableName": "\"ANALYTICS\".\"MARTS\".\"ORDERS\""},
            {"dataConnectionId": HC1, "dataConnectionName": "Prod Snowflake", "tableName": "marts.order_items"}
        ])),
        p2_cells(),
        queried(json!([])),
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
        "query_text": format!("select order_date, amount from orders\n{}", hex_comment(P1, "c-rev", "SCHEDULED_RUN", "ana@acme.com")),
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
        runs_counted_by: None,
        default_database: None,
        default_schema: None,
    };
    sync::sync_history(&store, &history, Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    let before = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(
        before[0].project_name.as_deref(),
        Some(format!("Project {P1}").as_str()),
        "the comment's name"
    );

    let mock = hex(vec![
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
    let good = hex(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        p2_cells(),
    ])
    .await;
    sync_hex(&store, &target(&good)).await.unwrap();

    let bad = hex(vec![Reply::json(
        401,
        json!({"details": "Invalid token", "traceId": "t", "reason": "UNAUTHORIZED"}),
    )
    .off_spec("ListProjects lists no 401 in Hex's document")])
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
    let mock = hex(vec![]).await;
    let mut target = target(&mock);
    target.client = HexAccess::Missing(model::Misconfigured(
        "$HEX_TOKEN is not set in the environment".into(),
    ));
    let error = sync_hex(&store, &target).await.unwrap_err().to_string();
    assert!(error.contains("$HEX_TOKEN is not set"), "{error}");
    assert!(mock.calls().is_empty());
    let syncs = store.syncs("wh", 10).await.unwrap();
    assert!(syncs.iter().any(|s| s.source == "hex" && !s.ok));
}

#[tokio::test]
async fn several_fitting_connections_need_history_or_an_override() {
    let (store, _dir) = store().await;
    let mock = hex(vec![page(json!([])), connections()]).await;
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
    target.client = client(&hex(vec![page(json!([])), connections()]).await);
    sync_hex(&store, &target).await.unwrap();
    let matched = store.hex_connections().await.unwrap();
    let prod = matched.iter().find(|c| c.name == "Prod Snowflake").unwrap();
    assert_eq!(prod.connection.as_deref(), Some("wh2"));
}

#[tokio::test]
async fn a_moved_mapping_reads_every_project_again_into_its_new_connection() {
    let (store, _dir) = store().await;
    let first = hex(vec![
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
    let unedited = hex(vec![
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

/// Hex lists 404 and 422 for queriedTables: one project Hex refuses keeps no list, and every
/// later project is still read (the first such answer once stopped the whole sync).
#[tokio::test]
async fn a_project_whose_queried_tables_hex_refuses_does_not_stop_the_sync() {
    let (store, _dir) = store().await;
    let mock = hex(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        Reply::json(404, json!({"reason": "Project not found", "traceId": "t"})),
        p2_cells(),
        queried(json!([
            {"dataConnectionId": HC1, "dataConnectionName": "Prod Snowflake", "tableName": "ANALYTICS.MARTS.CUSTOMERS"}
        ])),
    ])
    .await;
    let summary = sync_hex(&store, &target(&mock)).await.unwrap();
    assert_eq!(summary.projects_read, 2);
    assert_eq!(summary.queried_tables, "available");
    let customers = store
        .hex_usage("wh", "ANALYTICS.MARTS.CUSTOMERS", "2000-01-01")
        .await
        .unwrap();
    assert_eq!(customers[0].hex_confirms, Some(true), "{customers:#?}");
    let syncs = store.syncs("wh", 10).await.unwrap();
    let hex = syncs.iter().find(|s| s.source == "hex").unwrap();
    assert!(hex.ok);
    assert!(
        hex.warnings
            .iter()
            .any(|w| w.contains("HTTP 404") && w.contains("Project not found")),
        "{:?}",
        hex.warnings
    );
}

/// queriedTables is filled from published runs, so it changes without an edit: it is read
/// again once its schedule comes, and the cells are not.
#[tokio::test]
async fn queried_tables_are_read_again_on_their_schedule() {
    let (store, _dir) = store().await;
    let empty = || queried(json!([]));
    let first = hex(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        empty(),
        p2_cells(),
        empty(),
    ])
    .await;
    sync_hex(&store, &target(&first)).await.unwrap();
    let orders = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(orders[0].hex_confirms, Some(false));

    // Within the day: two requests, as before.
    let quiet = hex(vec![projects("2026-05-01T00:00:00Z"), connections()]).await;
    sync_hex(&store, &target(&quiet)).await.unwrap();
    assert_eq!(quiet.calls().len(), 2);

    // Due: each live project's queriedTables, no cells.
    let due = hex(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        queried(json!([
            {"dataConnectionId": HC1, "dataConnectionName": "Prod Snowflake", "tableName": "ORDERS"}
        ])),
        empty(),
    ])
    .await;
    let mut target = target(&due);
    target.queried_tables_every = chrono::Duration::zero();
    let summary = sync_hex(&store, &target).await.unwrap();
    assert_eq!(summary.projects_read, 0);
    assert_eq!(
        due.calls()[2..],
        [
            format!("GET /api/v1/projects/{P1}/queriedTables"),
            format!("GET /api/v1/projects/{P2}/queriedTables"),
        ]
    );
    let orders = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(orders[0].hex_confirms, Some(true), "Hex now lists it");
}

/// A token without the "Data connections: Read" scope still syncs projects and cells: the
/// mapping last read is kept, and the 403 is said with the scope to add.
#[tokio::test]
async fn data_connections_without_their_scope_keep_the_last_mapping() {
    let (store, _dir) = store().await;
    let good = hex(vec![
        projects("2026-05-01T00:00:00Z"),
        connections(),
        p1_cells(),
        forbidden(),
        p2_cells(),
    ])
    .await;
    sync_hex(&store, &target(&good)).await.unwrap();

    let refused = Reply::json(
        403,
        json!({"reason": "Forbidden", "details": "Missing scope: data connections", "traceId": "t"}),
    );
    let edited = hex(vec![projects("2026-06-01T00:00:00Z"), refused, p1_cells()]).await;
    let summary = sync_hex(&store, &target(&edited)).await.unwrap();
    assert_eq!(summary.projects_read, 1);
    assert_eq!(summary.matched_connections, 1, "the stored mapping");
    let orders = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
    assert_eq!(
        orders.len(),
        1,
        "cells still map to the connection: {orders:#?}"
    );
    let syncs = store.syncs("wh", 10).await.unwrap();
    let hex = syncs.iter().find(|s| s.source == "hex").unwrap();
    assert!(hex.ok);
    assert!(
        hex.warnings
            .iter()
            .any(|w| w.contains("Data connections: Read access")),
        "{:?}",
        hex.warnings
    );
}

/// Two Snowflake accounts: each Hex connection goes to the one its `accountName` names (the
/// invented flat `account` field of earlier mocks never matched a real answer).
#[tokio::test]
async fn connection_details_in_hex_s_own_words_pick_between_two_of_a_kind() {
    let (store, _dir) = store().await;
    let second = "9f8e7d6c-0000-4000-8000-0000000000c3";
    let listed = page(json!([
        connection(
            HC1,
            "Prod Snowflake",
            "snowflake",
            json!({"accountName": "acme-xy123", "warehouse": "HEX", "database": "ANALYTICS",
                          "schema": null, "role": "HEX", "username": "hex"})
        ),
        connection(
            second,
            "Finance Snowflake",
            "snowflake",
            json!({"accountName": "ACME-FIN9.snowflakecomputing.com", "warehouse": "FIN",
                          "database": "ANALYTICS", "schema": null, "role": "HEX", "username": "hex"})
        ),
    ]));
    let mock = hex(vec![page(json!([])), listed]).await;
    let mut target = target(&mock);
    let mut finance = target.connections[0].clone();
    finance.name = "finance".into();
    finance.host = Some("acme-fin9".into());
    target.connections.push(finance);
    sync_hex(&store, &target).await.unwrap();
    let matched = store.hex_connections().await.unwrap();
    let by_name = |name: &str| matched.iter().find(|c| c.name == name).unwrap().clone();
    assert_eq!(by_name("Prod Snowflake").connection.as_deref(), Some("wh"));
    assert_eq!(
        by_name("Finance Snowflake").connection.as_deref(),
        Some("finance")
    );
    assert_eq!(
        by_name("Finance Snowflake").matched_by,
        "kind, host and database"
    );
}

/// Listed in the basic form (no details, as the spec allows), a connection two of ours could
/// fit is read on its own, whose answer always has them.
#[tokio::test]
async fn a_connection_listed_without_details_is_read_for_them_when_it_must_decide() {
    let (store, _dir) = store().await;
    let basic = page(json!([{"id": HC2, "name": "Sandbox", "type": "postgres"}]));
    let one = Reply::json(
        200,
        connection(
            HC2,
            "Sandbox",
            "postgres",
            json!({"hostname": "pg-b.internal", "database": "scratch", "port": 5432, "username": "hex"}),
        ),
    );
    let mock = hex(vec![page(json!([])), basic, one]).await;
    let mut target = target(&mock);
    for (name, host) in [("pg_a", "pg-a.internal"), ("pg_b", "pg-b.internal")] {
        target.connections.push(ConnectionIdentity {
            name: name.into(),
            kind: WarehouseKind::Postgres,
            host: Some(host.into()),
            database: Some("scratch".into()),
            schema: Some("public".into()),
        });
    }
    sync_hex(&store, &target).await.unwrap();
    assert_eq!(
        mock.calls()[2],
        format!("GET /api/v1/data-connections/{HC2}")
    );
    let matched = store.hex_connections().await.unwrap();
    assert_eq!(matched[0].connection.as_deref(), Some("pg_b"));
}

/// Which id a run's `selectedCellId` carries is not documented: a run naming the cell by its
/// `staticId` meets the API cell, whichever of the two syncs came first.
#[tokio::test]
async fn runs_naming_a_cell_by_its_static_id_meet_the_api_cell_either_way() {
    for history_first in [true, false] {
        let (store, dir) = store().await;
        let sync_history = || async {
            let recent = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
            let row = json!({
                "query_text": format!("select order_date, amount from orders\n{}",
                                      hex_comment(P1, "static-c-rev", "APP_VIEW", "ana@acme.com")),
                "start_time": recent, "user_name": "HEX", "database_name": "ANALYTICS",
                "schema_name": "MARTS", "execution_status": "SUCCESS"
            });
            let path = dir.path().join("history.jsonl");
            writeln!(std::fs::File::create(&path).unwrap(), "{row}").unwrap();
            let history = HistoryTarget {
                connection: "wh".into(),
                kind: WarehouseKind::Snowflake,
                environment: "export".into(),
                source: Arc::new(history::file::FileHistory::new(&path)),
                lookback: chrono::Duration::days(30),
                runs_counted_by: None,
                default_database: None,
                default_schema: None,
            };
            sync::sync_history(&store, &history, Arc::new(AtomicU64::new(0)))
                .await
                .unwrap();
        };
        let mock = hex(vec![
            projects("2026-05-01T00:00:00Z"),
            connections(),
            p1_cells(),
            forbidden(),
            p2_cells(),
        ])
        .await;
        if history_first {
            sync_history().await;
            sync_hex(&store, &target(&mock)).await.unwrap();
        } else {
            sync_hex(&store, &target(&mock)).await.unwrap();
            sync_history().await;
        }
        let uses = store.hex_usage("wh", ORDERS, "2000-01-01").await.unwrap();
        assert_eq!(uses.len(), 1, "history first: {history_first}: {uses:#?}");
        assert_eq!(uses[0].cell_id.as_deref(), Some("static-c-rev"));
        assert_eq!(uses[0].cell_label.as_deref(), Some("Revenue"));
        assert!(uses[0].observed && uses[0].in_project_sql, "{uses:#?}");
    }
}
