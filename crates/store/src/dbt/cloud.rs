//! The dbt Cloud run whose artifacts a connection holds: the next sync skips the download
//! when the latest run is still this one, and pages link to its docs and Explorer.

use crate::{Store, StoreError};
use serde::Serialize;
use sqlx::{Any, Row};

/// A dbt Cloud run that was loaded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CloudRunRecord {
    /// The docs run id.
    pub run_id: String,
    /// The run `sources.json` came from, if any.
    pub sources_run_id: Option<String>,
    /// The job that ran it (the one that generates docs).
    pub job_id: String,
    /// The job's name.
    pub job_name: String,
    /// When the run finished, RFC 3339.
    pub finished_at: Option<String>,
    /// Deployed docs; a node's page is this plus `#!/model/<unique_id>`.
    pub docs_url: String,
    /// Explorer; a node's page is this plus its unique id.
    pub explorer_url: String,
}

impl Store {
    /// Remembers the run whose artifacts `connection` now holds.
    pub async fn record_cloud_run(
        &self,
        connection: &str,
        run: &CloudRunRecord,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO dbt_cloud_runs (connection, run_id, job_id, job_name, finished_at, docs_url, explorer_url, fetched_at, sources_run_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (connection) DO UPDATE SET run_id = excluded.run_id, job_id = excluded.job_id,
               sources_run_id = excluded.sources_run_id,
               job_name = excluded.job_name, finished_at = excluded.finished_at, docs_url = excluded.docs_url,
               explorer_url = excluded.explorer_url, fetched_at = excluded.fetched_at",
        )
        .bind(connection.to_string())
        .bind(run.run_id.clone())
        .bind(run.job_id.clone())
        .bind(run.job_name.clone())
        .bind(run.finished_at.clone())
        .bind(run.docs_url.clone())
        .bind(run.explorer_url.clone())
        .bind(crate::now())
        .bind(run.sources_run_id.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The run `connection` holds, if it comes from dbt Cloud.
    pub async fn cloud_run(&self, connection: &str) -> Result<Option<CloudRunRecord>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT run_id, job_id, job_name, finished_at, docs_url, explorer_url, sources_run_id
               FROM dbt_cloud_runs WHERE connection = $1",
        )
        .bind(connection.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(CloudRunRecord {
                run_id: r.try_get(0)?,
                job_id: r.try_get(1)?,
                job_name: r.try_get(2)?,
                finished_at: r.try_get(3)?,
                docs_url: r.try_get(4)?,
                explorer_url: r.try_get(5)?,
                sources_run_id: r.try_get(6)?,
            })
        })
        .transpose()
    }
}
