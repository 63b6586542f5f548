//! `downstream demo`: the example project's artifacts, compiled into the binary, loaded into a
//! fresh SQLite file and served.

use anyhow::{Context, Result};
use dbt::ArtifactPaths;
use model::WarehouseKind;
use std::path::{Path, PathBuf};
use store::ConnectionRecord;
use sync::{DbtSource, SyncTarget};

/// Artifacts dbt Core wrote for examples/jaffle_analytics (see scripts/gen-demo-artifacts).
const ARTIFACTS: &[(&str, &[u8])] = &[
    (
        "manifest.json",
        include_bytes!("../../../examples/jaffle_analytics/artifacts/manifest.json"),
    ),
    (
        "catalog.json",
        include_bytes!("../../../examples/jaffle_analytics/artifacts/catalog.json"),
    ),
    (
        "run_results.json",
        include_bytes!("../../../examples/jaffle_analytics/artifacts/run_results.json"),
    ),
    (
        "sources.json",
        include_bytes!("../../../examples/jaffle_analytics/artifacts/sources.json"),
    ),
];

/// Writes the bundled artifacts under `dir` and describes the demo connection.
pub fn prepare(dir: &Path) -> Result<SyncTarget> {
    let artifacts = dir.join("artifacts");
    std::fs::create_dir_all(&artifacts)
        .with_context(|| format!("cannot create {}", artifacts.display()))?;
    for (name, bytes) in ARTIFACTS {
        let path = artifacts.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(SyncTarget {
        connection: ConnectionRecord {
            name: "jaffle_warehouse".into(),
            kind: WarehouseKind::Postgres,
            default_database: Some("analytics".into()),
            default_schema: Some("public".into()),
            // What `dbt docs serve` listens on when run in examples/jaffle_analytics.
            docs_url: Some("http://localhost:8080".into()),
            dbt_source: None,
            access: None,
        },
        dbt: Some(DbtSource::Local(ArtifactPaths {
            manifest: artifacts.join("manifest.json"),
            catalog: Some(artifacts.join("catalog.json")),
            run_results: vec![artifacts.join("run_results.json")],
            sources: Some(artifacts.join("sources.json")),
        })),
    })
}

/// Where the demo keeps its files unless told otherwise.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join("downstream-demo")
}
