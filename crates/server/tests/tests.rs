//! The router against a real SQLite store loaded with the example project: in-process HTTP
//! (`oneshot`) for the API and pages, and real headless Chromium for what a person sees.

mod api;
mod auth;
mod browser;
mod hex_pages;
mod pages;
mod store_away;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use model::WarehouseKind;
use std::path::PathBuf;
use tower::ServiceExt;

/// A store with the demo project loaded, and its temp dir.
pub async fn demo_app() -> (server::AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("t.sqlite").display().to_string();
    let state = demo_app_at(&location, dir.path()).await;
    (state, dir)
}

/// The demo loaded into the store at `location`; `dir` takes the replayed history file.
pub async fn demo_app_at(location: &str, dir: &std::path::Path) -> server::AppState {
    let store = store::Store::open(location).await.unwrap();
    let artifacts =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jaffle_analytics/artifacts");
    let paths = dbt::ArtifactPaths {
        manifest: artifacts.join("manifest.json"),
        catalog: Some(artifacts.join("catalog.json")),
        run_results: vec![artifacts.join("run_results.json")],
        sources: Some(artifacts.join("sources.json")),
    };
    store
        .upsert_connection(&store::ConnectionRecord {
            name: "jaffle_warehouse".into(),
            kind: WarehouseKind::Postgres,
            default_database: Some("analytics".into()),
            default_schema: None,
            docs_url: Some("https://docs.example.com/jaffle".into()),
            dbt_source: Some("local artifacts".into()),
            access: None,
        })
        .await
        .unwrap();
    // As a sync loads it: with the column lineage of the models' compiled SQL.
    let (mut project, compiled) = dbt::load_with_sql(&paths, WarehouseKind::Postgres).unwrap();
    sync::columns::add_column_lineage(&mut project, compiled, WarehouseKind::Postgres);
    store
        .replace_dbt("jaffle_warehouse", &project, &store::now())
        .await
        .unwrap();
    load_hex_history(&store, &artifacts, dir).await;
    load_hex_api(&store).await;
    server::AppState::new(store)
}

/// The demo's recorded Hex API answers, served in the order the sync asks for them (and
/// checked against Hex's document).
async fn load_hex_api(store: &store::Store) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/jaffle_analytics/hex/api.json");
    let answers: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let reply = |key: &str| mockhttp::Reply::json(200, answers[key].clone());
    let mut replies = vec![reply("/api/v1/projects"), reply("/api/v1/data-connections")];
    for project in answers["/api/v1/projects"]["values"].as_array().unwrap() {
        let id = project["id"].as_str().unwrap();
        replies.push(reply(&format!("/api/v1/cells?projectId={id}")));
        replies.push(reply(&format!("/api/v1/projects/{id}/queriedTables")));
    }
    let mock = mockhttp::hex::mock(replies).await;
    let client = hex::HexClient::new(hex::HexConfig::new(
        hex::Workspace::parse(&format!("{}/jaffle/", mock.url)).unwrap(),
        model::Secret::new(mockhttp::TOKEN),
    ));
    let target = sync::HexTarget {
        workspace: "jaffle".into(),
        location: hex::Workspace::parse("https://app.hex.tech/jaffle/").unwrap(),
        client: sync::HexAccess::Ready(std::sync::Arc::new(client)),
        connections: vec![sync::ConnectionIdentity {
            name: "jaffle_warehouse".into(),
            kind: WarehouseKind::Postgres,
            host: None,
            database: Some("analytics".into()),
            schema: None,
        }],
        overrides: Default::default(),
        queried_tables_every: chrono::Duration::hours(24),
        refresh: std::time::Duration::from_secs(3_600),
    };
    sync::sync_hex(store, &target).await.unwrap();
}

/// The demo's Hex history, replayed so its newest run is now.
async fn load_hex_history(
    store: &store::Store,
    artifacts: &std::path::Path,
    dir: &std::path::Path,
) {
    let recorded = std::fs::read_to_string(artifacts.join("hex_history.jsonl")).unwrap();
    let path = dir.join("hex_history.jsonl");
    let replayed = history::file::ending_at(&recorded, chrono::Utc::now()).unwrap();
    std::fs::write(&path, replayed).unwrap();
    let target = sync::HistoryTarget {
        connection: "jaffle_warehouse".into(),
        kind: WarehouseKind::Postgres,
        environment: "hex".into(),
        source: std::sync::Arc::new(history::file::FileHistory::new(path)),
        lookback: chrono::Duration::days(3650),
        runs_counted_by: None,
        default_database: Some("analytics".into()),
        default_schema: Some("public".into()),
    };
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    sync::sync_history(store, &target, progress).await.unwrap();
}

/// GETs `uri` from the router; returns status, content type and body.
pub async fn get(state: &server::AppState, uri: &str) -> (StatusCode, String, String) {
    let res = server::app(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, String::from_utf8_lossy(&body).into_owned())
}

/// A Hex project whose title, link, cell id, label and SQL all carry `payload`, reading
/// `customer_ltv.net_ltv`: what a hostile workspace member could write.
pub async fn add_hostile_hex(store: &store::Store, payload: &str) {
    let workspace = store::HexWorkspaceRecord {
        workspace: "evil".into(),
        app_base: "https://app.hex.tech/evil".into(),
        queried_tables: None,
    };
    let project = store::HexProjectRecord {
        project_id: "evil-p".into(),
        title: payload.into(),
        kind: "PROJECT".into(),
        url: "javascript:alert(3)".into(),
        ..store::HexProjectRecord::default()
    };
    store
        .write_hex_workspace(&workspace, &[project], &[], &store::now())
        .await
        .unwrap();
    let cells = store::HexProjectCells {
        project_id: "evil-p".into(),
        read_at_edit: None,
        cells: vec![store::HexCellRecord {
            cell_id: "c\"><svg onload=alert(4)>".into(),
            static_id: None,
            cell_type: "SQL".into(),
            label: Some(payload.into()),
            hex_connection_id: None,
            connection: Some("jaffle_warehouse".into()),
            sql_text: Some(format!("select 1 -- {payload}")),
            parse_error: None,
            tables: vec![(
                "analytics.finance.customer_ltv".into(),
                vec!["net_ltv".into()],
            )],
        }],
        queried: None,
    };
    store.write_hex_cells("evil", &cells).await.unwrap();
}
