//! Databricks: `system.query.history` (and, when enabled, `system.access.table_lineage`)
//! read through the SQL Statement Execution API on a SQL warehouse.
//!
//! The statement filters on the workspace, the Hex marker, success and the window and groups
//! identical texts in Databricks. The API waits up to `wait_timeout`, then reports
//! PENDING/RUNNING and is polled. Results use the `EXTERNAL_LINKS` disposition: `INLINE`
//! aborts any statement whose result passes 25 MiB, which the distinct Hex texts of a busy
//! workspace's month easily do. Each chunk is a pre-signed URL fetched without our
//! `Authorization` header (the API reference says it must not carry it), downloaded to a
//! temporary file and decoded row by row, so no chunk sits in memory whole; the next chunk's
//! links come from `next_chunk_internal_link`, and an expired link is asked for again.
//! API: <https://docs.databricks.com/api/workspace/statementexecution>.

use crate::rows::{checkpoint, skip_null_text, Cells, GroupColumns, Pager};
use crate::{Checkpoint, HistoryError, HistoryRequest, QueryHistory, RowSink, HEX_MARKER};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use rest::databricks::DatabricksAuth;
use rest::{checked_id, Answer, HttpClient, HttpOptions, Request, RestError};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// system.query.history records typically appear within an hour: a window that ends later
/// would be checkpointed past queries not visible yet.
const LATENCY_MINUTES: i64 = 60;

/// A statement runs two days at most by default (`STATEMENT_TIMEOUT` = 172800 s): the window
/// is on `end_time`, so a long statement is read once it finished, and `start_time` is
/// bounded this far before the window only to prune.
const LONGEST_STATEMENT_HOURS: i64 = 48;

/// The headers a Databricks answer names its workspace in: the legacy name the server still
/// sends, and the one it is moving to (the Databricks SDKs read them from `scim/v2/Me`).
const WORKSPACE_HEADERS: [&str; 2] = ["x-databricks-org-id", "x-databricks-workspace-id"];

const GRANT: &str = "Grant the principal USE CATALOG on system, USE SCHEMA and SELECT on \
                     system.query (and system.access for table lineage), e.g. GRANT SELECT ON \
                     system.query.history TO <principal>";

/// How to reach one Databricks workspace.
#[derive(Clone, Debug)]
pub struct DatabricksConfig {
    /// The workspace URL, e.g. `https://adb-1234567890123456.7.azuredatabricks.net`.
    pub host: String,
    /// How calls sign in: a personal access token or a service principal's OAuth client.
    pub auth: DatabricksAuth,
    /// The SQL warehouse that runs the statement.
    pub warehouse_id: String,
    /// The workspace whose statements to read: `system.query.history` holds every workspace
    /// of the account in the region. From an Azure host name or the workspace's own answers
    /// when `None`.
    pub workspace_id: Option<String>,
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
    pub fn new(
        host: impl Into<String>,
        auth: DatabricksAuth,
        warehouse_id: impl Into<String>,
    ) -> Self {
        DatabricksConfig {
            host: host.into(),
            auth,
            warehouse_id: warehouse_id.into(),
            workspace_id: None,
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
    /// The workspace id, once an answer named it.
    workspace: OnceCell<String>,
}

impl Databricks {
    /// A source for `config`; nothing is sent before [`QueryHistory::read`].
    pub fn new(config: DatabricksConfig) -> Self {
        let workspace = OnceCell::new_with(config.workspace_id.clone());
        Databricks {
            http: HttpClient::new(config.http.clone()),
            config,
            workspace,
        }
    }

    fn host(&self) -> &str {
        self.config.host.trim_end_matches('/')
    }

    fn statements_url(&self) -> String {
        format!("{}/api/2.0/sql/statements", self.host())
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: String) -> Result<T, HistoryError> {
        let token = self.config.auth.bearer().await?;
        let request = Request::get(url).bearer(&token).grant(GRANT);
        Ok(self.http.send(&request).await?.body)
    }

    /// The workspace id: configured, else in an Azure workspace's host name
    /// (`adb-<workspace id>.<n>.azuredatabricks.net`), else from the `X-Databricks-Org-Id`
    /// header of `GET /api/2.0/preview/scim/v2/Me`, where the Databricks SDKs read it. Only
    /// digits pass, as the id goes into the statement.
    async fn workspace_id(&self) -> Result<&str, HistoryError> {
        let id = self
            .workspace
            .get_or_try_init(|| async {
                if let Some(id) = azure_workspace_id(self.host()) {
                    return Ok(id);
                }
                let url = format!("{}/api/2.0/preview/scim/v2/Me", self.host());
                let call = format!("GET {url}");
                let token = self.config.auth.bearer().await?;
                let request = Request::get(&url).bearer(&token).grant(GRANT);
                let answer: Answer<serde::de::IgnoredAny> = self.http.send(&request).await?;
                let header = WORKSPACE_HEADERS
                    .iter()
                    .find_map(|name| answer.headers.get(*name));
                let id = header.and_then(|v| v.to_str().ok()).map(str::to_string);
                id.ok_or_else(|| HistoryError::Malformed {
                    call,
                    detail: "no X-Databricks-Org-Id header names the workspace: set \
                             workspace_id in the config (the number after ?o= in the \
                             workspace URL)"
                        .to_string(),
                })
            })
            .await?;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(HistoryError::Malformed {
                call: "workspace_id".into(),
                detail: format!("{id:?} is not a workspace id (digits only)"),
            });
        }
        Ok(id)
    }

    /// Submits the statement and polls until it leaves PENDING/RUNNING.
    async fn execute(&self, statement: &str) -> Result<(String, StatementAnswer), HistoryError> {
        let body = serde_json::json!({
            "warehouse_id": self.config.warehouse_id,
            "statement": statement,
            "wait_timeout": format!("{}s", self.config.wait_timeout.as_secs()),
            "on_wait_timeout": "CONTINUE",
            "disposition": "EXTERNAL_LINKS",
            "format": "JSON_ARRAY",
        });
        let token = self.config.auth.bearer().await?;
        let request = Request::post_json(self.statements_url(), body)
            .bearer(&token)
            .grant(GRANT);
        let mut answer: StatementAnswer = self.http.send(&request).await?.body;
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
        statement: &str,
        mut call: String,
        mut chunk: Chunk,
        columns: &GroupColumns,
        out: &Out<'_>,
    ) -> Result<(), HistoryError> {
        loop {
            if let Some(rows) = chunk.data_array.take() {
                self.inline_rows(&call, rows, columns, out).await?;
            }
            let mut next = chunk.next_chunk_internal_link.take();
            for link in std::mem::take(&mut chunk.external_links) {
                next = link.next_chunk_internal_link.clone().or(next);
                self.download(statement, &call, link, columns, out).await?;
            }
            let Some(next) = next else {
                return Ok(());
            };
            let url = self.chunk_url(&call, &next)?;
            call = format!("GET {url}");
            chunk = self.get(url).await?;
        }
    }

    /// Rows a chunk carried inline (the answer of a warehouse that ignores the disposition).
    async fn inline_rows(
        &self,
        call: &str,
        rows: Vec<Vec<Option<String>>>,
        columns: &GroupColumns,
        out: &Out<'_>,
    ) -> Result<(), HistoryError> {
        let cells = Cells { call };
        let mut pager = Pager::open(out.sink, out.page_size)?;
        for row in rows {
            match columns.decode_strings(&cells, &row)? {
                Some(row) => pager.push(row).await?,
                None => skip_null_text(&self.describe()),
            }
        }
        pager.finish().await
    }

    /// Fetches one external link into a temporary file and sends its rows. A link that
    /// expired (or is refused) is asked for again once, by its chunk index.
    async fn download(
        &self,
        statement: &str,
        call: &str,
        link: ExternalLink,
        columns: &GroupColumns,
        out: &Out<'_>,
    ) -> Result<(), HistoryError> {
        let file = tempfile::NamedTempFile::new().map_err(|e| HistoryError::File {
            path: "a temporary file".into(),
            message: format!("cannot create it for a result chunk: {e}"),
        })?;
        let fetched = self.fetch_link(call, &link, file.path()).await;
        let link = match fetched {
            Ok(()) => link,
            Err(error) if refused(&error) => {
                let fresh = self.fresh_link(statement, call, link.chunk_index).await?;
                self.fetch_link(call, &fresh, file.path()).await?;
                fresh
            }
            Err(error) => return Err(error.into()),
        };
        let chunk_call = format!("{call} (chunk {})", link.chunk_index);
        stream_rows(file.path(), &chunk_call, columns, out, self.describe()).await
    }

    /// `GET` of a pre-signed link: no `Authorization` (the storage would refuse it and must
    /// never see our token), only the headers the API listed for it.
    async fn fetch_link(
        &self,
        call: &str,
        link: &ExternalLink,
        path: &Path,
    ) -> Result<(), RestError> {
        if !link.external_link.starts_with("https://") && !link.external_link.starts_with("http://")
        {
            return Err(RestError::Malformed {
                call: call.to_string(),
                detail: "an external_link is not an http(s) URL".into(),
            });
        }
        let mut request = Request::get(&link.external_link);
        for (name, value) in &link.http_headers {
            request = request.header(name.clone(), value.clone());
        }
        self.http.download(&request, path).await.map(|_| ())
    }

    /// The links of chunk `index` again (`GET …/result/chunks/{index}`), for one that expired.
    async fn fresh_link(
        &self,
        statement: &str,
        call: &str,
        index: u64,
    ) -> Result<ExternalLink, HistoryError> {
        let url = format!(
            "{}/{statement}/result/chunks/{index}",
            self.statements_url()
        );
        let chunk: Chunk = self.get(url).await?;
        let link = chunk
            .external_links
            .into_iter()
            .find(|l| l.chunk_index == index);
        link.ok_or_else(|| HistoryError::Malformed {
            call: call.to_string(),
            detail: format!("chunk {index} came back without its external link"),
        })
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

/// The id in an Azure workspace's host: `https://adb-1234567890123456.7.azuredatabricks.net`.
fn azure_workspace_id(host: &str) -> Option<String> {
    let host = host.split_once("://").map_or(host, |(_, rest)| rest);
    let id = host.strip_prefix("adb-")?.split('.').next()?;
    let azure = host.contains(".azuredatabricks.net");
    (azure && !id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_string())
}

/// A pre-signed link that no longer works: storage answers 403 (expired signature) or 400/404.
fn refused(error: &RestError) -> bool {
    matches!(error, RestError::Forbidden { .. })
        || matches!(
            error,
            RestError::Http {
                status: 400 | 404,
                ..
            }
        )
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
        let out = Out {
            sink,
            page_size: request.page_size,
        };
        // Nobody reading: no point in asking the warehouse.
        Pager::open(sink, request.page_size)?;
        let Some(until) = request.settled_until(chrono::Duration::minutes(LATENCY_MINUTES)) else {
            return Ok(checkpoint(request.since));
        };
        let workspace = self.workspace_id().await?;
        let window = Window {
            workspace,
            since: request.since,
            until,
        };
        let sql = statement(&window, self.config.table_lineage);
        let (id, answer) = self.execute(&sql).await?;
        let call = format!("GET {}/{id}", self.statements_url());
        let columns = GroupColumns::find(&answer.column_names(), &call, self.config.table_lineage)?;
        let first = answer.result.unwrap_or_default();
        self.emit_chunks(&id, call, first, &columns, &out).await?;
        Ok(checkpoint(until))
    }

    /// The workspace id (a call that proves the token and the warehouse id), then one row of
    /// each system table the read uses, whatever the latency.
    async fn check(&self) -> Result<String, HistoryError> {
        let workspace = self.workspace_id().await?;
        let mut tables = vec!["system.query.history"];
        if self.config.table_lineage {
            tables.push("system.access.table_lineage");
        }
        for table in &tables {
            let sql = format!("SELECT 1 FROM {table} WHERE workspace_id = '{workspace}' LIMIT 1");
            self.execute(&sql).await?;
        }
        Ok(format!(
            "workspace {workspace}: {} readable on warehouse {}",
            tables.join(" and "),
            self.config.warehouse_id
        ))
    }
}

/// What one read asks for.
struct Window<'a> {
    workspace: &'a str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
}

/// The statement: everything but decoding happens in Databricks. The query history has no
/// session catalog or schema, so those columns are NULL. Arrays go through `to_json` so
/// the JSON_ARRAY format carries them as JSON text. Statements belong to the window they
/// ended in, so one still running at a sync is read by the next.
fn statement(window: &Window<'_>, table_lineage: bool) -> String {
    let earliest =
        (window.since - chrono::Duration::hours(LONGEST_STATEMENT_HOURS)).timestamp_millis();
    let (since, until) = (
        window.since.timestamp_millis(),
        window.until.timestamp_millis(),
    );
    let workspace = window.workspace;
    let (tables_column, tables_join) = if table_lineage {
        (
            ",\n       to_json(collect_set(l.source_table_full_name)) AS ENGINE_TABLES",
            // Lineage events are logged at or after the statement's start.
            format!(
                "\nLEFT JOIN system.access.table_lineage l\n  ON l.statement_id = h.statement_id\n \
                 AND l.workspace_id = '{workspace}'\n \
                 AND l.event_time >= timestamp_millis({earliest})\n \
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
         WHERE h.workspace_id = '{workspace}'\n  \
         AND h.statement_text LIKE '%{HEX_MARKER}%'\n  AND h.execution_status = 'FINISHED'\n  \
         AND h.start_time >= timestamp_millis({earliest})\n  \
         AND h.end_time >= timestamp_millis({since})\n  \
         AND h.end_time < timestamp_millis({until})\n\
         GROUP BY h.statement_text"
    )
}

/// Where the rows of downloaded chunks go: decoded on a blocking thread, they travel in
/// pages of their own.
struct Out<'a> {
    sink: &'a RowSink,
    page_size: usize,
}

/// Sends the rows of a downloaded JSON_ARRAY chunk (`[["a", null, …], …]`) one by one from a
/// blocking thread, so a chunk never sits in memory whole, as text or as a tree.
async fn stream_rows(
    path: &Path,
    call: &str,
    columns: &GroupColumns,
    out: &Out<'_>,
    source: String,
) -> Result<(), HistoryError> {
    let (path, call, columns) = (path.to_path_buf(), call.to_string(), columns.clone());
    let (sink, page_size) = (out.sink.clone(), out.page_size);
    let read = tokio::task::spawn_blocking(move || {
        let mut pager = Pager::open(&sink, page_size)?;
        let cells = Cells { call: &call };
        let mut failed = None;
        let mut each = |row: Vec<Option<String>>| {
            let pushed = match columns.decode_strings(&cells, &row) {
                Ok(Some(row)) => pager.push_blocking(row),
                Ok(None) => {
                    skip_null_text(&source);
                    Ok(())
                }
                Err(error) => Err(error),
            };
            pushed.map_err(|error| failed = Some(error))
        };
        let parsed = parse_rows(&path, &mut each);
        if let Some(error) = failed {
            return Err(error);
        }
        parsed.map_err(|detail| HistoryError::Malformed {
            call: call.clone(),
            detail: format!("the chunk is not a JSON array of rows: {detail}"),
        })?;
        pager.finish_blocking()
    })
    .await;
    read.map_err(|e| HistoryError::File {
        path: "a result chunk".into(),
        message: format!("its reader stopped: {e}"),
    })?
}

fn parse_rows(
    path: &Path,
    each: &mut dyn FnMut(Vec<Option<String>>) -> Result<(), ()>,
) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
    RowsSeed { each }
        .deserialize(&mut reader)
        .map_err(|e| e.to_string())?;
    reader.end().map_err(|e| e.to_string())
}

/// Hands each element of the outer array to `each` as soon as it is read.
struct RowsSeed<'f> {
    each: &'f mut dyn FnMut(Vec<Option<String>>) -> Result<(), ()>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<Vec<Option<String>>>()? {
            if (self.each)(row).is_err() {
                return Err(serde::de::Error::custom("the sync stopped taking rows"));
            }
        }
        Ok(())
    }
}

/// A statement's answer: its state, the result's columns and the first chunk.
#[derive(Debug, Deserialize)]
struct StatementAnswer {
    statement_id: Option<String>,
    status: Option<Status>,
    manifest: Option<Manifest>,
    result: Option<Chunk>,
}

impl StatementAnswer {
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

/// One chunk of results (ResultData): inline rows, or the external links to fetch them from.
#[derive(Debug, Default, Deserialize)]
struct Chunk {
    data_array: Option<Vec<Vec<Option<String>>>>,
    #[serde(default)]
    external_links: Vec<ExternalLink>,
    next_chunk_internal_link: Option<String>,
}

/// A pre-signed URL holding one chunk, and the headers its `GET` must carry.
#[derive(Debug, Deserialize)]
struct ExternalLink {
    #[serde(default)]
    chunk_index: u64,
    external_link: String,
    #[serde(default)]
    http_headers: BTreeMap<String, String>,
    next_chunk_internal_link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_hosts_name_their_workspace() {
        assert_eq!(
            azure_workspace_id("https://adb-1234567890123456.7.azuredatabricks.net"),
            Some("1234567890123456".to_string())
        );
        assert_eq!(
            azure_workspace_id("https://dbc-a1b2.cloud.databricks.com"),
            None
        );
        assert_eq!(
            azure_workspace_id("https://adb-12x.7.azuredatabricks.net"),
            None
        );
    }
}
