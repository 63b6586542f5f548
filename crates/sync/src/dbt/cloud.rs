//! dbt Cloud as a connection's dbt source: the latest docs run's artifacts are downloaded to a
//! cache folder, read like local ones, and loaded in one transaction. An unchanged run costs
//! four small API calls and no download.

use crate::{DbtReport, DbtSyncError};
use dbt::cloud::{CloudClient, CloudFetch, RunIds};
use std::path::PathBuf;
use std::sync::Arc;
use store::{CloudRunRecord, ConnectionRecord, Store};

/// A connection's dbt Cloud project.
#[derive(Clone, Debug)]
pub struct CloudSource {
    /// The client, or why there is none (a token variable that is not set).
    pub client: Result<Arc<CloudClient>, model::Misconfigured>,
    /// Where the run's artifacts are kept between syncs.
    pub dir: PathBuf,
    /// "dbt Cloud https://cloud.getdbt.com, account 1, project 2", for the status page.
    pub label: String,
    /// Seconds between checks for a new run in `serve`.
    pub refresh_seconds: u64,
}

impl PartialEq for CloudSource {
    /// Two sources are the same project in the same folder; clients do not compare.
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label && self.dir == other.dir
    }
}

impl Eq for CloudSource {}

/// Fetches and loads the latest run, unless it is the one loaded already (`Ok(None)`).
pub(crate) async fn sync(
    store: &Store,
    record: &ConnectionRecord,
    source: &CloudSource,
    started_at: &str,
) -> Result<Option<DbtReport>, DbtSyncError> {
    let name = record.name.as_str();
    let fetched = match fetch(store, name, source).await {
        Ok(fetched) => fetched,
        Err(message) => {
            store
                .record_failure(name, "dbt", started_at, &message)
                .await?;
            return Err(DbtSyncError::Cloud(message));
        }
    };
    if fetched.unchanged {
        let summary = format!(
            "{{\"unchanged_run\": {}, \"job\": {:?}}}",
            fetched.run_id, fetched.job_name
        );
        store
            .record_success(name, "dbt", started_at, &summary)
            .await?;
        return Ok(None);
    }
    let report = crate::dbt::load_artifacts(store, record, &fetched.paths, started_at).await?;
    store.record_cloud_run(name, &run_record(&fetched)).await?;
    if record.docs_url.is_none() {
        let mut linked = record.clone();
        linked.docs_url = Some(fetched.docs_url.trim_end_matches('/').to_string());
        store.upsert_connection(&linked).await?;
    }
    Ok(Some(DbtReport {
        warnings: [fetched.warnings, report.warnings].concat(),
        ..report
    }))
}

/// The fetch, with its error in the words the seed product uses.
async fn fetch(
    store: &Store,
    connection: &str,
    source: &CloudSource,
) -> Result<CloudFetch, String> {
    let client = source.client.as_ref().map_err(ToString::to_string)?;
    let previous = store
        .cloud_run(connection)
        .await
        .map_err(|e| e.to_string())?
        .and_then(|r| previous_ids(&r));
    client
        .fetch(&source.dir, previous)
        .await
        .map_err(|e| e.to_string())
}

fn previous_ids(run: &CloudRunRecord) -> Option<RunIds> {
    Some(RunIds {
        docs: run.run_id.parse().ok()?,
        sources: match &run.sources_run_id {
            Some(id) => Some(id.parse().ok()?),
            None => None,
        },
    })
}

fn run_record(f: &CloudFetch) -> CloudRunRecord {
    CloudRunRecord {
        run_id: f.run_id.to_string(),
        sources_run_id: f.sources_run_id.map(|id| id.to_string()),
        job_id: f.job_id.to_string(),
        job_name: f.job_name.clone(),
        finished_at: f.finished_at.clone(),
        docs_url: f.docs_url.clone(),
        explorer_url: f.explorer_url.clone(),
    }
}
