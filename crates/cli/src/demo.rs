//! `downstream demo`: the example project's artifacts, compiled into the binary, loaded into a
//! fresh SQLite file and served.

use anyhow::{Context, Result};
use chrono::Utc;
use dbt::ArtifactPaths;
use history::file::FileHistory;
use model::WarehouseKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::ConnectionRecord;
use sync::{DbtSource, DbtTarget, HistoryTarget};

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

/// Hex query history over the demo warehouse (scripts/gen-demo-history).
const HEX_HISTORY: &str =
    include_str!("../../../examples/jaffle_analytics/artifacts/hex_history.jsonl");

/// Writes the demo's Hex history under `dir`, moved forward so its newest run is now (never
/// later), and describes it as a history source of the demo connection.
pub fn prepare_history(dir: &Path) -> Result<HistoryTarget> {
    let out = history::file::ending_at(HEX_HISTORY, Utc::now())
        .map_err(|e| anyhow::anyhow!("the bundled Hex history: {e}"))?;
    let path = dir.join("hex_history.jsonl");
    std::fs::write(&path, out).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(HistoryTarget {
        connection: CONNECTION.into(),
        kind: WarehouseKind::Postgres,
        environment: "hex_history.jsonl".into(),
        source: Arc::new(FileHistory::new(path)),
        lookback: chrono::Duration::days(365),
        runs_counted_by: None,
        default_database: Some("analytics".into()),
        default_schema: Some("public".into()),
    })
}

/// The demo's one connection.
const CONNECTION: &str = "jaffle_warehouse";

/// Writes the bundled artifacts under `dir` and describes the demo connection.
pub fn prepare(dir: &Path) -> Result<DbtTarget> {
    let artifacts = dir.join("artifacts");
    std::fs::create_dir_all(&artifacts)
        .with_context(|| format!("cannot create {}", artifacts.display()))?;
    for (name, bytes) in ARTIFACTS {
        let path = artifacts.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(DbtTarget {
        connection: ConnectionRecord {
            name: CONNECTION.into(),
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
