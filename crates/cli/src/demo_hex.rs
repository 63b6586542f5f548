//! The demo's Hex workspace: recorded API answers (scripts/gen-demo-hex-api) served on a local
//! port and synced through the real client, since no Hex workspace is reachable from a demo.

use anyhow::{Context, Result};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hex::{HexClient, HexConfig, Workspace};
use model::{Secret, WarehouseKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use sync::{ConnectionIdentity, HexAccess, HexTarget};

/// Request path (with `?projectId=` for cells) → the JSON Hex answered.
const ANSWERS: &str = include_str!("../../../examples/jaffle_analytics/hex/api.json");

/// Where the demo's projects live in Hex: links point there.
const WORKSPACE_URL: &str = "https://app.hex.tech/jaffle/";

/// Serves the recorded answers and describes the workspace as a sync target of `connection`.
pub async fn workspace(connection: &str, database: &str) -> Result<HexTarget> {
    let answers: HashMap<String, serde_json::Value> =
        serde_json::from_str(ANSWERS).context("the bundled Hex API answers")?;
    let answers = Arc::new(answers);
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let answers = answers.clone();
        async move { answer(&answers, &uri) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot open a port for the demo's Hex answers")?;
    let local = format!("http://{}/jaffle/", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = HexConfig::new(
        Workspace::parse(&local)?,
        Secret::new("demo-token-not-a-secret"),
    );
    Ok(HexTarget {
        workspace: "jaffle".into(),
        location: Workspace::parse(WORKSPACE_URL)?,
        client: HexAccess::Ready(Arc::new(HexClient::new(config))),
        connections: vec![ConnectionIdentity {
            name: connection.into(),
            kind: WarehouseKind::Postgres,
            host: None,
            database: Some(database.into()),
            schema: None,
        }],
        overrides: BTreeMap::new(),
        queried_tables_every: chrono::Duration::hours(24),
        refresh: std::time::Duration::from_secs(3_600),
    })
}

fn answer(answers: &HashMap<String, serde_json::Value>, uri: &Uri) -> Response {
    let project = uri
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("projectId=")));
    let key = match project {
        Some(id) => format!("{}?projectId={id}", uri.path()),
        None => uri.path().to_string(),
    };
    match answers.get(&key) {
        Some(body) => axum::Json(body.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"details": format!("no recorded answer for {key}"), "traceId": "demo"})),
        )
            .into_response(),
    }
}
