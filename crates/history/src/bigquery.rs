//! BigQuery: `` `region-<loc>`.INFORMATION_SCHEMA.JOBS_BY_PROJECT `` of one or more projects,
//! read with the REST `jobs.query` / `jobs.getQueryResults` calls.
//!
//! Each project's query runs in that project (listing all jobs needs `bigquery.jobs.listAll`
//! there); filtering, grouping and the union of `referenced_tables` happen in BigQuery and
//! the groups come back in pages that go on to the sync one by one. Sign-in and the job
//! protocol are [`rest::bigquery`]'s.

use crate::rows::{checkpoint, known_tables, skip_null_text, sorted, Cells, GroupColumns, Pager};
use crate::{
    Checkpoint, HistoryError, HistoryRequest, HistoryRow, QueryHistory, RowSink, HEX_MARKER,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rest::bigquery::{quote, BigQueryApi, BigQuerySettings, QueryJob, Row};
use rest::HttpOptions;
use serde_json::Value;
use std::time::Duration;

pub use rest::bigquery::BigQueryCredentials;

/// How to reach BigQuery for one or more projects in one region.
#[derive(Clone, Debug)]
pub struct BigQueryConfig {
    /// The GCP projects whose jobs to read; Hex may run each connection in another project.
    pub projects: Vec<String>,
    /// The region the jobs ran in, e.g. `us`, `eu`, `europe-west2`.
    pub region: String,
    /// How to get an access token.
    pub credentials: BigQueryCredentials,
    /// The API base; [`BigQueryConfig::new`] sets `https://bigquery.googleapis.com`.
    pub api_base: String,
    /// Where to exchange the signed JWT; the key's own `token_uri` when `None`.
    pub token_url: Option<String>,
    /// How long one call may wait for the job to finish (`timeoutMs`) before answering
    /// `jobComplete: false`.
    pub wait_per_call: Duration,
    /// How long to keep polling a job that has not finished.
    pub max_wait: Duration,
    /// Time limits and retries of each HTTP call; keep the timeout above `wait_per_call`.
    pub http: HttpOptions,
}

impl BigQueryConfig {
    /// A configuration with Google's endpoints and default limits.
    pub fn new(
        projects: Vec<String>,
        region: impl Into<String>,
        credentials: BigQueryCredentials,
    ) -> Self {
        BigQueryConfig {
            projects,
            region: region.into(),
            credentials,
            api_base: "https://bigquery.googleapis.com".to_string(),
            token_url: None,
            wait_per_call: Duration::from_secs(10),
            max_wait: Duration::from_secs(600),
            http: HttpOptions::default(),
        }
    }
}

/// Query history of BigQuery projects.
pub struct BigQuery {
    config: BigQueryConfig,
    api: BigQueryApi,
}

impl BigQuery {
    /// A source for `config`; nothing is sent before [`QueryHistory::read`].
    pub fn new(config: BigQueryConfig) -> Self {
        let settings = BigQuerySettings {
            api_base: config.api_base.clone(),
            token_url: config.token_url.clone(),
            wait_per_call: config.wait_per_call,
            max_wait: config.max_wait,
            http: config.http.clone(),
        };
        BigQuery {
            api: BigQueryApi::new(config.credentials.clone(), settings),
            config,
        }
    }

    fn grant(project: &str) -> String {
        format!(
            "Grant roles/bigquery.resourceViewer (bigquery.jobs.listAll) and \
             roles/bigquery.jobUser (bigquery.jobs.create) on project {project}"
        )
    }

    /// Reads one project's groups into `pager`.
    async fn read_project(
        &self,
        project: &str,
        sql: &str,
        page_size: usize,
        pager: &mut Pager<'_>,
    ) -> Result<(), HistoryError> {
        let grant = BigQuery::grant(project);
        let job = QueryJob {
            project,
            sql,
            location: Some(&self.config.region),
            page_size,
            grant: &grant,
        };
        let mut results = self.api.query(job).await?;
        let call = results.call();
        let columns = GroupColumns::find(results.columns(), &call, true)?;
        let cells = Cells { call: &call };
        while let Some(rows) = results.next_page().await? {
            for row in rows {
                match decode(&columns, &cells, &row)? {
                    Some(row) => pager.push(row).await?,
                    None => skip_null_text(&self.describe()),
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl QueryHistory for BigQuery {
    fn describe(&self) -> String {
        format!(
            "bigquery {} ({})",
            self.config.projects.join(", "),
            self.config.region
        )
    }

    /// `previous` is not needed: the sync already starts the window at it.
    async fn read(
        &self,
        request: &HistoryRequest,
        _previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let mut pager = Pager::open(sink, request.page_size)?;
        for project in &self.config.projects {
            let sql = statement(project, &self.config.region, request.since, request.until);
            // maxResults 0 would page forever without rows.
            let page_size = request.page_size.max(1);
            self.read_project(project, &sql, page_size, &mut pager)
                .await?;
        }
        pager.finish().await?;
        Ok(checkpoint(request.until))
    }
}

/// One row: `{"f": [{"v": …}]}`, where `v` is a string, NULL, or for arrays `[{"v": …}]`.
// HistoryRow has fields no source fills (the sync's `problem`): default whatever is not read.
fn decode(
    columns: &GroupColumns,
    cells: &Cells<'_>,
    row: &Row,
) -> Result<Option<HistoryRow>, HistoryError> {
    let scalar = |i: usize| row.text(i);
    let array = |i: usize| {
        let items = row.value(i).and_then(Value::as_array);
        sorted(
            items
                .into_iter()
                .flatten()
                .filter_map(|item| item.get("v").and_then(Value::as_str).map(str::to_string)),
        )
    };
    let Some(text) = scalar(columns.text) else {
        return Ok(None);
    };
    let engine_tables = columns
        .engine_tables
        .map(array)
        .filter(|tables| tables.len() < REFERENCED_TABLES_LIMIT)
        .and_then(known_tables);
    Ok(Some(HistoryRow {
        text: text.to_string(),
        database: scalar(columns.database).map(str::to_string),
        schema: scalar(columns.schema).map(str::to_string),
        users: array(columns.users),
        executions: cells.count("EXECUTIONS", scalar(columns.executions))?,
        first_seen: cells.millis("FIRST_SEEN", scalar(columns.first_seen))?,
        last_seen: cells.millis("LAST_SEEN", scalar(columns.last_seen))?,
        engine_tables,
        ..HistoryRow::default()
    }))
}

/// BigQuery lists at most this many `referenced_tables` of a job ("incomplete beyond 50",
/// JobStatistics2.referencedTables): a group that reaches it is parsed instead.
const REFERENCED_TABLES_LIMIT: usize = 50;

/// A query job runs six hours at most (BigQuery quotas, "Query execution time limit").
const LONGEST_JOB_HOURS: i64 = 6;

/// The query for one project. JOBS has no default-dataset column, so groups are per text
/// and project. Joining the unnested `referenced_tables` repeats a job once per table, hence
/// `COUNT(DISTINCT job_id)`. A job belongs to the window it ended in, so one still RUNNING at
/// a sync is read by the next instead of falling behind the checkpoint; `creation_time`,
/// which the view is partitioned by, is bounded by the longest a job runs.
fn statement(project: &str, region: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> String {
    let view = format!(
        "{}.{}.INFORMATION_SCHEMA.JOBS_BY_PROJECT",
        quote(project),
        quote(&format!("region-{region}"))
    );
    let earliest = (since - chrono::Duration::hours(LONGEST_JOB_HOURS)).timestamp_millis();
    let (since, until) = (since.timestamp_millis(), until.timestamp_millis());
    format!(
        "SELECT j.query AS QUERY_TEXT, j.project_id AS DATABASE_NAME, \
         CAST(NULL AS STRING) AS SCHEMA_NAME,\n       \
         COUNT(DISTINCT j.job_id) AS EXECUTIONS,\n       \
         UNIX_MILLIS(MIN(j.creation_time)) AS FIRST_SEEN,\n       \
         UNIX_MILLIS(MAX(j.creation_time)) AS LAST_SEEN,\n       \
         ARRAY_AGG(DISTINCT j.user_email IGNORE NULLS) AS USERS,\n       \
         ARRAY_AGG(DISTINCT CONCAT(t.project_id, '.', t.dataset_id, '.', t.table_id) IGNORE NULLS) \
         AS ENGINE_TABLES\n\
         FROM {view} j\nLEFT JOIN UNNEST(j.referenced_tables) t\n\
         WHERE j.creation_time >= TIMESTAMP_MILLIS({earliest})\n  \
         AND j.end_time >= TIMESTAMP_MILLIS({since})\n  \
         AND j.end_time < TIMESTAMP_MILLIS({until})\n  \
         AND j.job_type = 'QUERY'\n  AND j.state = 'DONE'\n  AND j.error_result IS NULL\n  \
         AND j.query LIKE '%{HEX_MARKER}%'\n\
         GROUP BY j.query, j.project_id"
    )
}
