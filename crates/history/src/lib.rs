//! Warehouse query history: the queries Hex ran, read where the warehouse keeps them.
//!
//! Each warehouse is one module implementing [`QueryHistory`]. A source pushes the heavy
//! work into the warehouse (filter on the Hex comment marker, the time window and success,
//! group identical texts with counts, first and last run and users) and streams the groups it
//! gets back as pages of [`HistoryRow`]s. [`hex`] reads the comment Hex appends to each query.
//!
//! ```
//! use history::hex::parse_comment;
//! use model::hex::RunContext;
//!
//! let sql = "select * from orders\n-- Hex query metadata: {\"context\": \"SCHEDULED_RUN\", \
//!            \"project_id\": \"p1\", \"project_url\": \"https://app.hex.tech/acme/hex/p1/draft/logic?selectedCellId=c9\"}";
//! let hex = parse_comment(sql).unwrap().unwrap();
//! assert_eq!(hex.project_id, "p1");
//! assert_eq!(hex.cell_id.as_deref(), Some("c9"));
//! assert_eq!(hex.context, RunContext::Scheduled);
//! ```
#![deny(missing_docs)]

pub mod bigquery;
pub mod databricks;
pub mod file;
pub mod hex;
pub mod postgres;
pub mod redshift;
mod rows;
pub mod snowflake;

pub use model::Secret;
pub use rest::HttpOptions;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The text every Hex query carries, used to filter history inside the warehouse.
pub const HEX_MARKER: &str = "Hex query metadata";

/// One group of identical query texts, as the warehouse aggregated them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryRow {
    /// The full statement text, Hex comment included.
    pub text: String,
    /// The session's current database (BigQuery: the job's project) when the query ran.
    pub database: Option<String>,
    /// The session's current schema (BigQuery: default dataset).
    pub schema: Option<String>,
    /// Warehouse users that ran it.
    pub users: Vec<String>,
    /// How many successful executions the group holds.
    pub executions: u64,
    /// Earliest start time in the group.
    pub first_seen: Option<DateTime<Utc>>,
    /// Latest start time in the group.
    pub last_seen: Option<DateTime<Utc>>,
    /// Tables the engine itself recorded (BigQuery `referenced_tables`, Snowflake
    /// ACCESS_HISTORY, Databricks table lineage), as `db.schema.table`; `None` when the
    /// warehouse does not say.
    pub engine_tables: Option<Vec<String>>,
    /// Set when the source could not read this row fully (bad JSON line, NULL text…): the
    /// sync counts it under this reason and goes on.
    pub problem: Option<String>,
}

/// What to read: Hex-tagged successful queries started in `[since, until)`.
#[derive(Clone, Debug)]
pub struct HistoryRequest {
    /// Start of the window: the last sync's checkpoint, or the first sync's look-back.
    pub since: DateTime<Utc>,
    /// End of the window (now, minus the warehouse's ingestion latency where it has one).
    pub until: DateTime<Utc>,
    /// Rows per page pulled from the warehouse.
    pub page_size: usize,
}

impl HistoryRequest {
    /// The end of the window for a warehouse whose history shows a query only `latency`
    /// after it ran: rows newer than that are not there yet, so the next sync reads them.
    /// `None` when nothing of the window has settled.
    pub fn settled_until(&self, latency: chrono::Duration) -> Option<DateTime<Utc>> {
        let until = self.until.min(Utc::now() - latency);
        (until > self.since).then_some(until)
    }
}

/// Where a source got to: stored after a successful sync, handed back on the next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checkpoint(pub String);

/// Pages of rows flow from a source to the sync through this channel.
pub type RowSink = tokio::sync::mpsc::Sender<Vec<HistoryRow>>;

/// A place that keeps query history.
#[async_trait]
pub trait QueryHistory: Send + Sync {
    /// A short description for summaries and errors: "snowflake account acme-xy12345".
    fn describe(&self) -> String;

    /// Streams the Hex-tagged query groups of `request` into `sink`, returning the checkpoint
    /// to resume from. `previous` is the checkpoint of the last successful sync.
    async fn read(
        &self,
        request: &HistoryRequest,
        previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError>;

    /// Proves the credentials and every privilege [`QueryHistory::read`] needs with the
    /// cheapest call that does, and says what it saw. By default, the last minute is read;
    /// sources whose reads skip recent minutes (ingestion latency) ask their views directly,
    /// so a check always reaches the warehouse.
    async fn check(&self) -> Result<String, HistoryError> {
        let until = Utc::now();
        let request = HistoryRequest {
            since: until - chrono::Duration::minutes(1),
            until,
            page_size: 100,
        };
        let (sink, mut pages) = tokio::sync::mpsc::channel::<Vec<HistoryRow>>(4);
        let count = async move {
            let mut rows = 0usize;
            while let Some(page) = pages.recv().await {
                rows += page.len();
            }
            rows
        };
        let (read, rows) = tokio::join!(
            async move {
                let read = self.read(&request, None, &sink).await;
                drop(sink);
                read
            },
            count
        );
        read?;
        Ok(format!("readable ({rows} query groups in the last minute)"))
    }
}

/// Why a history source failed. Every variant names the call or file involved.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// 401: the credential is wrong or expired.
    #[error("{call}: 401 Unauthorized: {message}")]
    Unauthorized {
        /// The request, e.g. `POST https://acme.snowflakecomputing.com/api/v2/statements`.
        call: String,
        /// The warehouse's own words.
        message: String,
    },
    /// 403 or a missing privilege; `grant` says what to grant.
    #[error("{call}: 403 Forbidden: {message}. {grant}")]
    Forbidden {
        /// The request.
        call: String,
        /// The warehouse's own words.
        message: String,
        /// What to grant, e.g. "GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE …".
        grant: String,
    },
    /// Any other HTTP failure, verbatim, after retries.
    #[error("{call}: HTTP {status}: {body}")]
    Http {
        /// The request.
        call: String,
        /// The HTTP status.
        status: u16,
        /// The body, shortened.
        body: String,
    },
    /// No answer in time, after retries.
    #[error("{call}: timed out after {seconds} s")]
    Timeout {
        /// The request.
        call: String,
        /// The time limit.
        seconds: u64,
    },
    /// An answer that is not in the documented shape (truncated, not JSON, missing fields).
    #[error("{call}: unexpected answer: {detail}")]
    Malformed {
        /// The request.
        call: String,
        /// What was wrong.
        detail: String,
    },
    /// A database error from a wire-protocol source (PostgreSQL, Redshift).
    #[error("{call}: {message}")]
    Database {
        /// The query or connection step.
        call: String,
        /// The server's message.
        message: String,
    },
    /// The source cannot work as configured (a secret missing from the environment).
    #[error(transparent)]
    Misconfigured(#[from] model::Misconfigured),
    /// A file that could not be read.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong, with the line where it applies.
        message: String,
    },
    /// The sync stopped reading (the receiving side went away).
    #[error("the sync stopped reading rows")]
    Cancelled,
}

/// The HTTP layer's errors are history's own: same variants, same words.
impl From<rest::RestError> for HistoryError {
    fn from(error: rest::RestError) -> Self {
        use rest::RestError;
        match error {
            RestError::Unauthorized { call, message } => {
                HistoryError::Unauthorized { call, message }
            }
            RestError::Forbidden {
                call,
                message,
                grant,
            } => HistoryError::Forbidden {
                call,
                message,
                grant,
            },
            RestError::Http { call, status, body } => HistoryError::Http { call, status, body },
            RestError::Timeout { call, seconds } => HistoryError::Timeout { call, seconds },
            RestError::Malformed { call, detail } => HistoryError::Malformed { call, detail },
        }
    }
}
