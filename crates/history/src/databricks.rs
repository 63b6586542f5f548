//! Databricks: `system.query.history` (and, when enabled, `system.access.table_lineage`)
//! read through the SQL Statement Execution API on a SQL warehouse.
//!
//! The statement filters on the Hex marker, success and the window and groups identical
//! texts in Databricks. The API waits up to `wait_timeout`, then reports PENDING/RUNNING
//! and is polled; results come inline in chunks linked one to the next.
//! API: <https://docs.databricks.com/api/workspace/statementexecution>.

use crate::rows::{checkpoint, skip_null_text, Cells, GroupColumns, Pager};
use crate::{Checkpoint, HistoryError, HistoryRequest, QueryHistory, RowSink, Secret, HEX_MARKER};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rest::{checked_id, HttpClient, HttpOptions, Request};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// system.query.history records typically appear within an hour: a window that ends later
/// would be checkpointed past queries not visible yet.
const LATENCY_MINUTES: i64 = 60;

const GRANT: &str = "Grant the principal USE CATALOG on system, USE SCHEMA and SELECT on \
                     system.query (and system.access for table lineage), e.g. GRANT SELECT ON \
                     system.query.history TO <principal>";

/// How to reach one Databricks workspace.
#[derive(Clone, Debug)]
pub struct DatabricksConfig {
    /// The workspace URL, e.g. `https://adb-1234567890123456.7.azuredatabricks.net`.
    pub host: String,
    /// A personal access token (or OAuth token) of a principal that may read the system tables.
    pub token: Secret,
    /// The SQL warehouse that runs the statement.
    pub warehouse_id: String,
    /// Also read engine-recorded source tables from `system.access.table_lineage`.
    pub table_lineage: bool,
    /// How long the first call waits for the result (`wait_timeout`: 0 or 5–50 s); keep
    /// the HTTP timeout above it.
    pub wait_timeout: Duration,
    /// Wait between two polls of a running statement.
    pub poll_interval: Duration,
    /// How long to keep polling a statement that has not finished.
    pub max_wait: Duration,
    /// Time limits and retries of each HTTP call.
    pub http: HttpOptions,
}

impl DatabricksConfig {
    /// A configuration with default limits.
    pub fn new(host: impl Into<String>, token: Secret, warehouse_id: impl Into<String>) -> Self {
        DatabricksConfig {
            host: host.into(),
            token,
            warehouse_id: warehouse_id.into(),
            table_lineage: false,
            wait_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(2),
            max_wait: Duration::from_secs(600),
            http: HttpOptions::default(),
        }
    }
}

/// Query history of one Databricks workspace.
pub struct Databricks {
    config: DatabricksConfig,
    http: HttpClient,
}

impl Databricks {
    /// A source for `config`; nothing is sent before [`QueryHistory::read`].
    pub fn new(config: DatabricksConfig) -> Self {
        Databricks {
            http: HttpClient::new(config.http.clone()),
            config,
        }
    }

    fn host(&self) -> &str {
        self.config.host.trim_end_matches('/')
    }

    fn statements_url(&self) -> String {
        format!("{}/api/2.0/sql/statements", self.host())
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: String) -> Result<T, HistoryError> {
        let request = Request::get(url).bearer(&self.config.token).grant(GRANT);
        Ok(self.http.send(&request).await?.body)
    }

    /// Submits the statement and polls until it leaves PENDING/RUNNING.
    async fn execute(&self, statement: &str) -> Result<(String, Answer), HistoryError> {
        let body = serde_json::json!({
            "warehouse_id": self.config.warehouse_id,
            "statement": statement,
            "wait_timeout": format!("{}s", self.config.wait_timeout.as_secs()),
            "disposition": "INLINE",
            "format": "JSON_ARRAY",
        });
        let request = Request::post_json(self.statements_url(), body)
            .bearer(&self.config.token)
            .grant(GRANT);
        let mut answer: Answer = self.http.send(&request).await?.body;
        let post = format!("POST {}", self.statements_url());
        let id = answer.statement_id.clone().unwrap_or_default();
        let id = checked_id(&post, "statement_id", &id)?.to_string();
        let url = format!("{}/{id}", self.statements_url());
        let deadline = Instant::now() + self.config.max_wait;
        while answer.running(&post)? {
            if Instant::now() >= deadline {
                return Err(HistoryError::Timeout {
                    call: format!("GET {url}"),
                    seconds: self.config.max_wait.as_secs(),
                });
            }
            tokio::time::sleep(self.config.poll_interval).await;
            answer = self.get(url.clone()).await?;
        }
        answer.succeeded(&format!("GET {url}"))?;
        Ok((id, answer))
    }

    /// Sends the rows of `chunk` and of every chunk linked after it. `call` names the
    /// request that brought the chunk.
    async fn emit_chunks(
        &self,
        mut call: String,
        mut chunk: Chunk,
        columns: &GroupColumns,
        pager: &mut Pager<'_>,
    ) -> Result<(), HistoryError> {
        loop {
            let cells = Cells { call: &call };
            for row in chunk.data_array.take().unwrap_or_default() {
                match columns.decode_strings(&cells, &row)? {
                    Some(row) => pager.push(row).await?,
                    None => skip_null_text(&self.describe()),
                }
            }
            let Some(link) = chunk.next_chunk_internal_link.take() else {
                return Ok(());
            };
            let url = self.chunk_url(&call, &link)?;
            call = format!("GET {url}");
            chunk = self.get(url).await?;
        }
    }

    /// The next chunk's URL. The link must be a path on the workspace: the token goes with
    /// the request, so an answer must not send it elsewhere.
    fn chunk_url(&self, call: &str, link: &str) -> Result<String, HistoryError> {
        if link.starts_with('/') && !link.starts_with("//") {
            Ok(format!("{}{link}", self.host()))
        } else {
            Err(HistoryError::Malformed {
                call: call.to_string(),
                detail: format!("next_chunk_internal_link {link:?} is not a path"),
            })
        }
    }
}

#[async_trait]
impl QueryHistory for Databricks {
    fn describe(&self) -> String {
        let host = self.host();
        let host = host.split_once("://").map_or(host, |(_, rest)| rest);
        format!("databricks {host}")
    }

    /// `previous` is not needed: the sync already starts the window at it.
    async fn read(
        &self,
        request: &HistoryRequest,
        _previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let mut pager = Pager::open(sink, request.page_size)?;
        let latest = Utc::now() - chrono::Duration::minutes(LATENCY_MINUTES);
        let until = request.until.min(latest);
        if until <= request.since {
            return Ok(checkpoint(request.since));
        }
        let sql = statement(request.since, until, self.config.table_lineage);
        let (id, answer) = self.execute(&sql).await?;
        let call = format!("GET {}/{id}", self.statements_url());
        let columns = GroupColumns::find(&answer.column_names(), &call, self.config.table_lineage)?;
        let first = answer.result.unwrap_or_default();
        self.emit_chunks(call, first, &columns, &mut pager).await?;
        pager.finish().await?;
        Ok(checkpoint(until))
    }
}

/// The statement: everything but decoding happens in Databricks. The query history has no
/// session catalog or schema, so those columns are NULL. Arrays go through `to_json` so
/// the JSON_ARRAY format carries them as JSON text.
fn statement(since: DateTime<Utc>, until: DateTime<Utc>, table_lineage: bool) -> String {
    let (since, until) = (since.timestamp_millis(), until.timestamp_millis());
    let (tables_column, tables_join) = if table_lineage {
        (
            ",\n       to_json(collect_set(l.source_table_full_name)) AS ENGINE_TABLES",
            // Lineage events are logged at or after the statement's start.
            format!(
                "\nLEFT JOIN system.access.table_lineage l\n  ON l.statement_id = h.statement_id\n \
                 AND l.event_time >= timestamp_millis({since})\n \
                 AND l.source_table_full_name IS NOT NULL"
            ),
        )
    } else {
        ("", String::new())
    };
    format!(
        "SELECT h.statement_text AS QUERY_TEXT, CAST(NULL AS STRING) AS DATABASE_NAME, \
         CAST(NULL AS STRING) AS SCHEMA_NAME,\n       \
         COUNT(DISTINCT h.statement_id) AS EXECUTIONS,\n       \
         unix_millis(MIN(h.start_time)) AS FIRST_SEEN,\n       \
         unix_millis(MAX(h.start_time)) AS LAST_SEEN,\n       \
         to_json(collect_set(h.executed_by)) AS USERS{tables_column}\n\
         FROM system.query.history h{tables_join}\n\
         WHERE h.statement_text LIKE '%{HEX_MARKER}%'\n  AND h.execution_status = 'FINISHED'\n  \
         AND h.start_time >= timestamp_millis({since})\n  \
         AND h.start_time < timestamp_millis({until})\n\
         GROUP BY h.statement_text"
    )
}

/// A statement's answer: its state, the result's columns and the first chunk.
#[derive(Debug, Deserialize)]
struct Answer {
    statement_id: Option<String>,
    status: Option<Status>,
    manifest: Option<Manifest>,
    result: Option<Chunk>,
}

impl Answer {
    /// Whether the statement is still PENDING or RUNNING.
    fn running(&self, call: &str) -> Result<bool, HistoryError> {
        match self.status.as_ref().map(|s| s.state.as_str()) {
            Some(state) => Ok(matches!(state, "PENDING" | "RUNNING")),
            None => Err(HistoryError::Malformed {
                call: call.to_string(),
                detail: "no status.state in the answer".to_string(),
            }),
        }
    }

    /// SUCCEEDED, or the warehouse's reason; a permission error gets the grant hint.
    fn succeeded(&self, call: &str) -> Result<(), HistoryError> {
        let Some(status) = &self.status else {
            return Ok(());
        };
        if status.state == "SUCCEEDED" {
            return Ok(());
        }
        let error = status.error.as_ref();
        let code = error.and_then(|e| e.error_code.as_deref()).unwrap_or("");
        let message = error
            .and_then(|e| e.message.as_deref())
            .unwrap_or("no message");
        if code == "PERMISSION_DENIED" || message.contains("INSUFFICIENT_PERMISSIONS") {
            return Err(HistoryError::Forbidden {
                call: call.to_string(),
                message: message.to_string(),
                grant: GRANT.to_string(),
            });
        }
        Err(HistoryError::Database {
            call: call.to_string(),
            message: format!("statement {}: {code} {message}", status.state),
        })
    }

    fn column_names(&self) -> Vec<String> {
        let columns = self.manifest.as_ref().and_then(|m| m.schema.as_ref());
        columns
            .map(|schema| schema.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
    error: Option<StatusError>,
}

#[derive(Debug, Deserialize)]
struct StatusError {
    error_code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    schema: Option<ManifestSchema>,
}

#[derive(Debug, Deserialize)]
struct ManifestSchema {
    #[serde(default)]
    columns: Vec<Column>,
}

#[derive(Debug, Deserialize)]
struct Column {
    name: String,
}

/// One chunk of inline JSON_ARRAY results; every cell is a string or NULL.
#[derive(Debug, Default, Deserialize)]
struct Chunk {
    data_array: Option<Vec<Vec<Option<String>>>>,
    next_chunk_internal_link: Option<String>,
}
