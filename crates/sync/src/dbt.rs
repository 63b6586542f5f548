//! dbt metadata for a connection: local dbt Core artifacts or the latest dbt Cloud docs run,
//! read off the runtime and written to the store in one transaction; [`watch`] reloads local
//! artifacts when they change.

pub(crate) mod cloud;
mod watch;

pub use cloud::CloudSource;
pub(crate) use watch::watch;

use crate::{columns, exclusive, Busy};
use dbt::{ArtifactError, ArtifactPaths};
use serde::Serialize;
use std::time::{Duration, Instant};
use store::{ConnectionRecord, LoadCounts, Store, StoreError};

/// Where a connection's dbt metadata comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbtSource {
    /// Artifacts on disk, from a dbt Core `target/` directory or explicit paths.
    Local(ArtifactPaths),
    /// The latest docs run of a dbt Cloud project.
    Cloud(CloudSource),
}

impl DbtSource {
    /// A one-line description for the status page.
    pub fn describe(&self) -> String {
        match self {
            DbtSource::Local(paths) => format!("local artifacts: {}", paths.manifest.display()),
            DbtSource::Cloud(cloud) => cloud.label.clone(),
        }
    }
}

/// A connection and the sources that feed it.
#[derive(Clone, Debug, PartialEq)]
pub struct DbtTarget {
    /// The connection as the store keeps it.
    pub connection: ConnectionRecord,
    /// Its dbt metadata source, if configured.
    pub dbt: Option<DbtSource>,
}

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum DbtSyncError {
    /// An artifact could not be used.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// dbt Cloud failed; the message is the one the status page shows.
    #[error("{0}")]
    Cloud(String),
    /// Another process loads this connection's dbt metadata now.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// The reader task died.
    #[error("artifact reader stopped unexpectedly: {0}")]
    Task(String),
}

/// What a successful dbt sync did.
#[derive(Clone, Debug, Serialize)]
pub struct DbtReport {
    /// Connection name.
    pub connection: String,
    /// What was written.
    pub counts: LoadCounts,
    /// Problems that did not stop it.
    pub warnings: Vec<String>,
    /// Time to read and resolve the artifacts, column lineage included.
    #[serde(rename = "parse_seconds", serialize_with = "seconds")]
    pub parse_time: Duration,
    /// Of which: parsing compiled SQL for column lineage.
    #[serde(rename = "lineage_seconds", serialize_with = "seconds")]
    pub lineage_time: Duration,
    /// Time to write them.
    #[serde(rename = "store_seconds", serialize_with = "seconds")]
    pub store_time: Duration,
}

/// A duration as seconds, the way every other report gives its times.
fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Writes the connection as the config describes it, with where its dbt metadata comes from:
/// the one path every command (`sync`, `history sync`, `serve`, Refresh, `demo`) takes, so
/// none erases what another recorded. A docs link dbt Cloud gave stays until the config sets
/// one.
pub async fn register_connection(
    store: &Store,
    target: &DbtTarget,
) -> Result<store::ConnectionRecord, DbtSyncError> {
    let mut record = target.connection.clone();
    record.dbt_source = target.dbt.as_ref().map(DbtSource::describe);
    if record.docs_url.is_none() && matches!(target.dbt, Some(DbtSource::Cloud(_))) {
        record.docs_url = match store.connection(&record.name).await {
            Ok(known) => known.docs_url,
            Err(store::StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
    }
    store.upsert_connection(&record).await?;
    Ok(record)
}

/// Registers the connection and loads its dbt metadata, if it has a source. `Ok(None)` when
/// there is none, or dbt Cloud's latest run is the one already loaded.
pub async fn sync_dbt(
    store: &Store,
    target: &DbtTarget,
) -> Result<Option<DbtReport>, DbtSyncError> {
    let record = register_connection(store, target).await?;
    if target.dbt.is_none() {
        return Ok(None);
    }
    let key = format!("dbt:{}", record.name);
    let what = || format!("dbt sync of {}", record.name);
    exclusive::exclusive(store, &key, what, load_dbt(store, &record, target)).await
}

async fn load_dbt(
    store: &Store,
    record: &ConnectionRecord,
    target: &DbtTarget,
) -> Result<Option<DbtReport>, DbtSyncError> {
    let started_at = store::now();
    match &target.dbt {
        None => Ok(None),
        Some(DbtSource::Local(paths)) => load_artifacts(store, record, paths, &started_at)
            .await
            .map(Some),
        Some(DbtSource::Cloud(cloud)) => cloud::sync(store, record, cloud, &started_at).await,
    }
}

/// Reads artifacts off the async runtime and replaces the connection's dbt data with them;
/// a failure is recorded against the connection and changes nothing else.
pub(crate) async fn load_artifacts(
    store: &Store,
    record: &ConnectionRecord,
    paths: &ArtifactPaths,
    started_at: &str,
) -> Result<DbtReport, DbtSyncError> {
    let name = &record.name;
    let parse_start = Instant::now();
    let (paths, kind) = (paths.clone(), record.kind);
    let loaded = tokio::task::spawn_blocking(move || {
        let (mut project, compiled) = dbt::load_with_sql(&paths, kind)?;
        let lineage_start = Instant::now();
        columns::add_column_lineage(&mut project, compiled, kind);
        Ok::<_, ArtifactError>((project, lineage_start.elapsed()))
    })
    .await
    .map_err(|e| DbtSyncError::Task(e.to_string()))?;
    let (project, lineage_time) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => {
            store
                .record_failure(name, "dbt", started_at, &err.to_string())
                .await?;
            return Err(err.into());
        }
    };
    let parse_time = parse_start.elapsed();
    let store_start = Instant::now();
    let counts = match store.replace_dbt(name, &project, started_at).await {
        Ok(counts) => counts,
        Err(err) => {
            // Best effort: the store may be the thing that is failing.
            let _ = store
                .record_failure(name, "dbt", started_at, &err.to_string())
                .await;
            return Err(err.into());
        }
    };
    for w in &project.warnings {
        tracing::warn!(connection = %name, "{w}");
    }
    Ok(DbtReport {
        connection: name.clone(),
        counts,
        warnings: project.warnings,
        parse_time,
        lineage_time,
        store_time: store_start.elapsed(),
    })
}
