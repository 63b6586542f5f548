//! PostgreSQL: `pg_stat_statements` for which statements ran and how often, and the server's
//! log (`log_destination = 'jsonlog'` or `'csvlog'`) for when and by whom, one entry per
//! execution.
//!
//! pg_stat_statements keeps no per-execution time and merges statements that differ only in
//! constants or comments (the first text wins), so it says which tables are read and, from
//! the growth of `calls` between syncs, that a statement ran since the last sync. The log
//! keeps every execution with its time, user and full comment: use it to tell Hex projects
//! running the same SQL apart.

use crate::file::parse_time;
use crate::rows::{latest_checkpoint, Pager};
use crate::{
    Checkpoint, HistoryError, HistoryRequest, HistoryRow, QueryHistory, RowSink, Secret, HEX_MARKER,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::Deserialize;
use sqlx::{Connection, Row};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// `pg_stat_statements` of one server.
#[derive(Clone, Debug)]
pub struct StatStatements {
    url: Secret,
}

impl StatStatements {
    /// Reads the view through `url` (a role with `pg_read_all_stats`).
    pub fn new(url: Secret) -> Self {
        StatStatements { url }
    }
}

/// Per statement id, the `calls` seen at the last sync.
#[derive(Default, Deserialize, serde::Serialize)]
struct Calls {
    calls: HashMap<String, i64>,
}

/// An entry is identified by role, database and query id (and, where the view has it,
/// top-level-ness), not query id alone: the same statement run by two roles is two entries
/// with their own `calls`. `toplevel` arrived with pg_stat_statements 1.9 (PostgreSQL 14), and
/// a database keeps the version it was created with until `ALTER EXTENSION … UPDATE`, so the
/// view is asked first whether it has the column.
fn stat_query(toplevel: bool) -> String {
    let level = match toplevel {
        true => " || '/' || s.toplevel::text",
        false => "",
    };
    format!(
        "SELECT s.userid::text || '/' || s.dbid::text || '/' || s.queryid::text{level},
       s.query, s.calls, d.datname, r.rolname
  FROM pg_stat_statements s
  JOIN pg_database d ON d.oid = s.dbid
  LEFT JOIN pg_roles r ON r.oid = s.userid
 WHERE s.query LIKE '%Hex query metadata%' AND s.queryid IS NOT NULL"
    )
}

/// Whether the `pg_stat_statements` the role sees has a `toplevel` column.
const HAS_TOPLEVEL: &str = "SELECT EXISTS (SELECT 1 FROM pg_attribute
  WHERE attrelid = to_regclass('pg_stat_statements') AND attname = 'toplevel' AND NOT attisdropped)";

#[async_trait]
impl QueryHistory for StatStatements {
    fn describe(&self) -> String {
        "postgres pg_stat_statements".to_string()
    }

    async fn read(
        &self,
        request: &HistoryRequest,
        previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let db_error = |call: &str, e: sqlx::Error| HistoryError::Database {
            call: call.to_string(),
            message: e.to_string(),
        };
        let mut conn = sqlx::PgConnection::connect(self.url.expose())
            .await
            .map_err(|e| db_error("connecting to PostgreSQL", e))?;
        let toplevel: bool = sqlx::query_scalar(HAS_TOPLEVEL)
            .fetch_one(&mut conn)
            .await
            .map_err(stat_error)?;
        let before: Option<Calls> = previous.and_then(|c| serde_json::from_str(&c.0).ok());
        let mut now = Calls::default();
        let mut pager = Pager::open(sink, request.page_size)?;
        let statement = stat_query(toplevel);
        let mut rows = sqlx::query(&statement).fetch(&mut conn);
        while let Some(row) = rows.try_next().await.map_err(stat_error)? {
            let id: String = row
                .try_get(0)
                .map_err(|e| db_error("reading pg_stat_statements", e))?;
            let calls: i64 = row
                .try_get(2)
                .map_err(|e| db_error("reading pg_stat_statements", e))?;
            now.calls.insert(id.clone(), calls);
            let Some(executions) = grown(before.as_ref(), &id, calls) else {
                continue;
            };
            pager
                .push(HistoryRow {
                    text: row
                        .try_get(1)
                        .map_err(|e| db_error("reading pg_stat_statements", e))?,
                    database: row.try_get(3).ok(),
                    schema: None,
                    users: row
                        .try_get::<Option<String>, _>(4)
                        .ok()
                        .flatten()
                        .into_iter()
                        .collect(),
                    executions,
                    // No per-execution time: it ran since the last sync, so "now" is its last run.
                    first_seen: None,
                    last_seen: Some(request.until),
                    engine_tables: None,
                    problem: None,
                })
                .await?;
        }
        drop(rows);
        pager.finish().await?;
        Ok(Checkpoint(serde_json::to_string(&now).unwrap_or_default()))
    }
}

/// Executions since the last sync: the growth of `calls`, all of them on the first sync or
/// after a reset.
fn grown(before: Option<&Calls>, id: &str, calls: i64) -> Option<u64> {
    let previous = before.and_then(|b| b.calls.get(id)).copied().unwrap_or(0);
    let delta = if calls < previous {
        calls
    } else {
        calls - previous
    };
    (delta > 0).then_some(delta as u64)
}

fn stat_error(e: sqlx::Error) -> HistoryError {
    let message = e.to_string();
    let hint = if message.contains("pg_stat_statements") && message.contains("does not exist") {
        ": run CREATE EXTENSION pg_stat_statements (and add it to shared_preload_libraries)"
    } else if message.contains("permission denied") {
        ": GRANT pg_read_all_stats TO the role downstream connects as"
    } else {
        ""
    };
    HistoryError::Database {
        call: "SELECT … FROM pg_stat_statements".to_string(),
        message: format!("{message}{hint}"),
    }
}

/// Which of PostgreSQL's structured log formats a log is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// `log_destination = 'jsonlog'` (PostgreSQL 15 and later): one JSON object a line, files
    /// named `*.json`.
    Json,
    /// `log_destination = 'csvlog'`: one CSV record per entry (messages may hold newlines),
    /// files named `*.csv`.
    Csv,
}

impl LogFormat {
    fn extension(self) -> &'static str {
        match self {
            LogFormat::Json => "json",
            LogFormat::Csv => "csv",
        }
    }

    /// The format a log file's name says: `.csv` is csvlog, anything else jsonlog.
    fn of_file(path: &Path) -> LogFormat {
        match path.extension().is_some_and(|x| x == "csv") {
            true => LogFormat::Csv,
            false => LogFormat::Json,
        }
    }
}

/// The server's log: a file, or a directory of `*.json` or `*.csv` files read in name order
/// (PostgreSQL names them by time).
#[derive(Clone, Debug)]
pub struct ServerLog {
    path: PathBuf,
    format: Option<LogFormat>,
}

impl ServerLog {
    /// Reads the log at `path`: a file in the format its name says, or a directory's jsonlog
    /// files (its csvlog files when it has no jsonlog ones).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ServerLog {
            path: path.into(),
            format: None,
        }
    }

    /// Reads only the files of `format`, for a directory that holds both.
    pub fn with_format(mut self, format: LogFormat) -> Self {
        self.format = Some(format);
        self
    }
}

/// One jsonlog line, as far as it matters here.
#[derive(Deserialize)]
struct LogLine<'a> {
    #[serde(borrow)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    dbname: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    error_severity: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<std::borrow::Cow<'a, str>>,
}

/// What either format says of one log entry.
struct LogEntry<'a> {
    timestamp: &'a str,
    user: Option<&'a str>,
    database: Option<&'a str>,
    severity: Option<&'a str>,
    message: &'a str,
}

/// csvlog's columns, by position: the first fourteen have been the same since PostgreSQL 8.3
/// (log_time, user_name, database_name, process_id, connection_from, session_id,
/// session_line_num, command_tag, session_start_time, virtual_transaction_id,
/// transaction_id, error_severity, sql_state_code, message); later versions only append.
const CSV_TIME: usize = 0;
const CSV_USER: usize = 1;
const CSV_DATABASE: usize = 2;
const CSV_SEVERITY: usize = 11;
const CSV_MESSAGE: usize = 13;

#[async_trait]
impl QueryHistory for ServerLog {
    fn describe(&self) -> String {
        format!("postgres log {}", self.path.display())
    }

    async fn read(
        &self,
        request: &HistoryRequest,
        previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let after = previous.and_then(|c| parse_time(&c.0));
        let reader = LogReader {
            since: request.since,
            after,
            page: request.page_size.max(1),
        };
        let files = log_files(&self.path, self.format, after)?;
        let sink = sink.clone();
        let latest = tokio::task::spawn_blocking(move || reader.files(&files, &sink))
            .await
            .map_err(|e| HistoryError::File {
                path: self.path.display().to_string(),
                message: format!("the log reader stopped: {e}"),
            })??;
        Ok(latest_checkpoint(latest, after))
    }
}

/// The log files that may hold lines after `after`: a file last written before it has been
/// read by an earlier sync.
fn log_files(
    path: &Path,
    format: Option<LogFormat>,
    after: Option<DateTime<Utc>>,
) -> Result<Vec<PathBuf>, HistoryError> {
    let error = |message: String| HistoryError::File {
        path: path.display().to_string(),
        message,
    };
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| error(format!("cannot list the log directory: {e}")))?;
    let all: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    let of = |format: LogFormat| {
        let wanted = |p: &&PathBuf| p.extension().is_some_and(|x| x == format.extension());
        all.iter().filter(wanted).cloned().collect::<Vec<_>>()
    };
    let mut files = match format {
        Some(format) => of(format),
        None => Some(of(LogFormat::Json))
            .filter(|json| !json.is_empty())
            .unwrap_or_else(|| of(LogFormat::Csv)),
    };
    files.retain(|p| written_since(p, after));
    files.sort();
    Ok(files)
}

fn written_since(path: &Path, after: Option<DateTime<Utc>>) -> bool {
    let Some(after) = after else { return true };
    let modified = std::fs::metadata(path).and_then(|m| m.modified());
    modified.map_or(true, |m| DateTime::<Utc>::from(m) >= after)
}

struct LogReader {
    since: DateTime<Utc>,
    after: Option<DateTime<Utc>>,
    page: usize,
}

impl LogReader {
    fn files(
        &self,
        files: &[PathBuf],
        sink: &RowSink,
    ) -> Result<Option<DateTime<Utc>>, HistoryError> {
        let mut latest = None;
        let mut pager = Pager::open(sink, self.page)?;
        for path in files {
            let file = std::fs::File::open(path).map_err(|e| HistoryError::File {
                path: path.display().to_string(),
                message: format!("cannot open: {e}"),
            })?;
            let mut emit = |row: HistoryRow| {
                latest = latest.max(row.last_seen);
                pager.push_blocking(row)
            };
            match LogFormat::of_file(path) {
                LogFormat::Json => self.json_file(path, file, &mut emit)?,
                LogFormat::Csv => self.csv_file(path, file, &mut emit)?,
            }
        }
        pager.finish_blocking()?;
        Ok(latest)
    }

    fn json_file(
        &self,
        path: &Path,
        file: std::fs::File,
        emit: &mut impl FnMut(HistoryRow) -> Result<(), HistoryError>,
    ) -> Result<(), HistoryError> {
        for line in std::io::BufReader::new(file).split(b'\n') {
            let line = line.map_err(|e| HistoryError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            // Most log lines are not Hex queries: skip them before decoding JSON.
            if !has_marker(&line) {
                continue;
            }
            let Ok(entry) = serde_json::from_slice::<LogLine<'_>>(&line) else {
                continue;
            };
            let entry = LogEntry {
                timestamp: entry.timestamp.as_deref().unwrap_or(""),
                user: entry.user.as_deref(),
                database: entry.dbname.as_deref(),
                severity: entry.error_severity.as_deref(),
                message: entry.message.as_deref().unwrap_or(""),
            };
            if let Some(row) = self.row(&entry) {
                emit(row)?;
            }
        }
        Ok(())
    }

    /// csvlog through a real CSV reader: a message with newlines is one quoted field.
    fn csv_file(
        &self,
        path: &Path,
        file: std::fs::File,
        emit: &mut impl FnMut(HistoryRow) -> Result<(), HistoryError>,
    ) -> Result<(), HistoryError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::BufReader::new(file));
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    return Err(HistoryError::File {
                        path: path.display().to_string(),
                        message: format!("not a csvlog file: {e}"),
                    })
                }
            }
            let field = |i: usize| record.get(i).and_then(|f| std::str::from_utf8(f).ok());
            let Some(message) = field(CSV_MESSAGE).filter(|m| has_marker(m.as_bytes())) else {
                continue;
            };
            let entry = LogEntry {
                timestamp: field(CSV_TIME).unwrap_or(""),
                user: field(CSV_USER).filter(|u| !u.is_empty()),
                database: field(CSV_DATABASE).filter(|d| !d.is_empty()),
                severity: field(CSV_SEVERITY),
                message,
            };
            if let Some(row) = self.row(&entry) {
                emit(row)?;
            }
        }
    }

    /// A successful statement carrying the Hex marker, inside the window.
    fn row(&self, entry: &LogEntry<'_>) -> Option<HistoryRow> {
        if entry.severity.is_some_and(|s| s != "LOG") {
            return None;
        }
        let text = statement_of(entry.message)?;
        let Some(at) = parse_time(entry.timestamp) else {
            // A zone name (CET, PST…) cannot be read reliably: say so instead of dropping rows.
            return Some(HistoryRow {
                problem: Some(format!(
                    "log timestamp in a named zone: set log_timezone = 'UTC' on the server (saw {:?})",
                    entry.timestamp
                )),
                ..HistoryRow::default()
            });
        };
        if at < self.since || self.after.is_some_and(|a| at <= a) {
            return None;
        }
        Some(HistoryRow {
            text: text.to_string(),
            database: entry.database.map(str::to_string),
            schema: None,
            users: entry.user.map(str::to_string).into_iter().collect(),
            executions: 1,
            first_seen: Some(at),
            last_seen: Some(at),
            engine_tables: None,
            problem: None,
        })
    }
}

fn has_marker(text: &[u8]) -> bool {
    let marker = HEX_MARKER.as_bytes();
    text.windows(marker.len()).any(|w| w == marker)
}

/// The SQL of `statement: …`, `duration: 1.2 ms  statement: …` or `execute <name>: …`.
fn statement_of(message: &str) -> Option<&str> {
    // Only the forms PostgreSQL writes at the start of the message (after an optional
    // duration), so SQL that contains "statement: " itself is not cut.
    let rest = match message.strip_prefix("duration: ") {
        Some(timed) => timed.split_once(" ms  ")?.1,
        None => message,
    };
    if let Some(sql) = rest.strip_prefix("statement: ") {
        return Some(sql);
    }
    let named = rest.strip_prefix("execute ")?;
    named.split_once(": ").map(|(_, sql)| sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_come_out_of_every_message_form() {
        assert_eq!(statement_of("statement: select 1"), Some("select 1"));
        assert_eq!(
            statement_of("duration: 0.051 ms  statement: select 1"),
            Some("select 1")
        );
        assert_eq!(
            statement_of("duration: 0.1 ms  execute <unnamed>: select $1"),
            Some("select $1")
        );
        assert_eq!(statement_of("connection authorized: user=x"), None);
        assert_eq!(
            statement_of("execute s1: select 'statement: x' as t"),
            Some("select 'statement: x' as t")
        );
    }

    #[test]
    fn calls_grow_between_syncs_and_survive_a_reset() {
        let mut before = Calls::default();
        before.calls.insert("1".into(), 10);
        assert_eq!(grown(None, "1", 4), Some(4));
        assert_eq!(grown(Some(&before), "1", 12), Some(2));
        assert_eq!(grown(Some(&before), "1", 10), None);
        assert_eq!(grown(Some(&before), "1", 3), Some(3));
    }
}
