//! Syncs end to end into a real store.

mod catalog_postgres;
mod dbt_cloud;
mod dbt_local;
mod hex_api;
mod history_file;
mod history_postgres;

use store::{ConnectionRecord, Store};

/// A fresh SQLite store holding one connection.
pub async fn store_with(
    connection: &str,
    kind: model::WarehouseKind,
) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite").display().to_string())
        .await
        .unwrap();
    store
        .upsert_connection(&ConnectionRecord {
            name: connection.to_string(),
            kind,
            default_database: None,
            default_schema: None,
            docs_url: None,
            dbt_source: None,
            access: None,
        })
        .await
        .unwrap();
    (store, dir)
}

/// A Hex comment as Hex writes it.
pub fn hex_comment(project: &str, cell: &str, context: &str, user: &str) -> String {
    format!(
        "-- Hex query metadata: {{\"categories\": [\"Finance\"], \"cell_type\": \"SQL\", \"connection\": \"Warehouse\", \"context\": \"{context}\", \"project_id\": \"{project}\", \"project_name\": \"Project {project}\", \"project_url\": \"https://app.hex.tech/acme/hex/{project}/draft/logic?selectedCellId={cell}\", \"status\": \"Published\", \"trace_id\": \"{}\", \"user_email\": \"{user}\"}}",
        fastrand_like(project, cell, user)
    )
}

/// A trace id that differs per call site, as Hex's does per run.
fn fastrand_like(a: &str, b: &str, c: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}{}{}-{}",
        a.len(),
        b.len(),
        c.len(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
