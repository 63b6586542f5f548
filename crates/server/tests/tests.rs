//! The router against a real SQLite store loaded with the example project: in-process HTTP
//! (`oneshot`) for the API and pages, and real headless Chromium for what a person sees.

mod api;
mod browser;
mod pages;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use model::WarehouseKind;
use std::path::PathBuf;
use tower::ServiceExt;

/// A store with the demo project loaded, and its temp dir.
pub async fn demo_app() -> (server::AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open(dir.path().join("t.sqlite").to_str().unwrap())
        .await
        .unwrap();
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
    let project = dbt::load(&paths, WarehouseKind::Postgres).unwrap();
    store
        .replace_dbt("jaffle_warehouse", &project, &store::now())
        .await
        .unwrap();
    (server::AppState::new(store), dir)
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
