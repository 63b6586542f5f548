//! The store story, run against SQLite (and PostgreSQL when `DOWNSTREAM_TEST_PG` names a server).

mod story;

use model::WarehouseKind;
use std::path::PathBuf;

/// The example project's artifacts, written by real dbt Core.
pub fn demo_paths() -> dbt::ArtifactPaths {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jaffle_analytics/artifacts");
    dbt::ArtifactPaths {
        manifest: dir.join("manifest.json"),
        catalog: Some(dir.join("catalog.json")),
        run_results: vec![dir.join("run_results.json")],
        sources: Some(dir.join("sources.json")),
    }
}

pub fn demo_project() -> model::DbtProject {
    dbt::load(&demo_paths(), WarehouseKind::Postgres).expect("demo artifacts load")
}

pub fn connection() -> store::ConnectionRecord {
    store::ConnectionRecord {
        name: "warehouse".into(),
        kind: WarehouseKind::Postgres,
        default_database: Some("analytics".into()),
        default_schema: Some("public".into()),
        docs_url: None,
        dbt_source: Some("local artifacts".into()),
        access: None,
    }
}

/// A fresh store in a temp dir; the dir lives as long as the guard.
pub async fn fresh_store() -> (store::Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("downstream.sqlite");
    let store = store::Store::open(path.to_str().unwrap()).await.unwrap();
    store.upsert_connection(&connection()).await.unwrap();
    (store, dir)
}
