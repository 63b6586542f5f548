//! Exported query history: JSON Lines or CSV files with documented columns.
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `query_text` | yes | the statement, Hex comment included |
//! | `start_time` | yes | RFC 3339 (a space instead of `T` and a missing zone, read as UTC, are accepted) |
//! | `user_name` | no | the warehouse user |
//! | `database_name`, `schema_name` | no | the session's defaults |
//! | `execution_status` | no | rows other than `SUCCESS`/`FINISHED`/`success`/empty are skipped |
//! | `executions` | no | how many runs the row stands for (default 1) |
//! | `query_id`, `end_time`, `warehouse_kind`, others | no | ignored |
//!
//! Rows at or before the previous checkpoint (the latest `start_time` imported) are skipped,
//! so importing the same file twice adds nothing twice.

use crate::rows::{latest_checkpoint, Pager};
use crate::{Checkpoint, HistoryError, HistoryRequest, HistoryRow, QueryHistory, RowSink};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use serde::Deserialize;
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The two export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

impl FileFormat {
    /// `.csv` is CSV; anything else is read as JSON Lines.
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("csv") => FileFormat::Csv,
            _ => FileFormat::Jsonl,
        }
    }
}

/// A history file.
#[derive(Clone, Debug)]
pub struct FileHistory {
    path: PathBuf,
    format: FileFormat,
}

impl FileHistory {
    /// Reads `path` in the format its extension names.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let format = FileFormat::from_path(&path);
        FileHistory { path, format }
    }
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    query_text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    start_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    database_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    schema_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    execution_status: Option<Cow<'a, str>>,
    executions: Option<u64>,
}

/// Rows per page sent to the sync.
const PAGE: usize = 4096;

/// The longest row read. Warehouses cap a query's text at about a megabyte; a longer line is
/// not a history row, and is skipped rather than held in memory.
pub const MAX_ROW_BYTES: u64 = 16 << 20;

#[async_trait]
impl QueryHistory for FileHistory {
    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    async fn read(
        &self,
        request: &HistoryRequest,
        previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let after = previous.and_then(|c| parse_time(&c.0));
        let reader = Reader {
            path: self.path.clone(),
            format: self.format,
            since: request.since,
            after,
            page: request.page_size.clamp(1, PAGE),
        };
        let sink = sink.clone();
        let latest = tokio::task::spawn_blocking(move || reader.run(&sink))
            .await
            .map_err(|e| HistoryError::File {
                path: self.path.display().to_string(),
                message: format!("the reader stopped: {e}"),
            })??;
        Ok(latest_checkpoint(latest, after))
    }
}

struct Reader {
    path: PathBuf,
    format: FileFormat,
    since: DateTime<Utc>,
    after: Option<DateTime<Utc>>,
    page: usize,
}

impl Reader {
    /// Streams the file; returns the latest start time imported.
    fn run(&self, sink: &RowSink) -> Result<Option<DateTime<Utc>>, HistoryError> {
        let file =
            std::fs::File::open(&self.path).map_err(|e| self.error(format!("cannot open: {e}")))?;
        let input = BufReader::with_capacity(1 << 20, file);
        let mut pages = Rows {
            pager: Pager::open(sink, self.page)?,
            latest: None,
        };
        match self.format {
            FileFormat::Jsonl => self.jsonl(input, &mut pages)?,
            FileFormat::Csv => self.csv(input, &mut pages)?,
        }
        pages.pager.finish_blocking()?;
        Ok(pages.latest)
    }

    fn error(&self, message: String) -> HistoryError {
        HistoryError::File {
            path: self.path.display().to_string(),
            message,
        }
    }

    fn jsonl(&self, mut input: impl BufRead, pages: &mut Rows<'_>) -> Result<(), HistoryError> {
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            let failed = |e: std::io::Error| self.error(format!("line {}: {e}", number + 1));
            let read = (&mut input)
                .take(MAX_ROW_BYTES + 1)
                .read_until(b'\n', &mut line)
                .map_err(failed)?;
            if read == 0 {
                return Ok(());
            }
            if line.len() as u64 > MAX_ROW_BYTES {
                // The rest of the row is skipped, not read into memory.
                input.skip_until(b'\n').map_err(failed)?;
                number += 1;
                pages.push(bad(format!(
                    "line {number}: row longer than {}: skipped",
                    rest::size(MAX_ROW_BYTES)
                )))?;
                continue;
            }
            number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let row = match serde_json::from_slice::<Record<'_>>(&line) {
                Ok(record) => self.row(record, number),
                Err(e) => Some(bad(format!("line {number}: not a JSON history row: {e}"))),
            };
            if let Some(row) = row {
                pages.push(row)?;
            }
        }
    }

    fn csv(&self, input: impl BufRead, pages: &mut Rows<'_>) -> Result<(), HistoryError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| self.error(format!("the header row: {e}")))?
            .clone();
        let mut record = csv::StringRecord::new();
        let mut number = 1u64;
        loop {
            number += 1;
            match reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let row = match record.deserialize::<Record<'_>>(Some(&headers)) {
                        Ok(r) => self.row(r, number),
                        Err(e) => Some(bad(format!("line {number}: {e}"))),
                    };
                    if let Some(row) = row {
                        pages.push(row)?;
                    }
                }
                Err(e) => pages.push(bad(format!("line {number}: {e}")))?,
            }
        }
    }

    /// One row, `None` when it is filtered out (failed, or before the window).
    fn row(&self, record: Record<'_>, number: u64) -> Option<HistoryRow> {
        if record
            .execution_status
            .as_deref()
            .is_some_and(|s| !is_success(s))
        {
            return None;
        }
        let Some(text) = record.query_text.filter(|t| !t.is_empty()) else {
            return Some(bad(format!("line {number}: no query_text")));
        };
        let Some(started) = record.start_time.as_deref().and_then(parse_time) else {
            return Some(bad(format!(
                "line {number}: start_time missing or not a timestamp"
            )));
        };
        if started < self.since || self.after.is_some_and(|a| started <= a) {
            return None;
        }
        Some(HistoryRow {
            text: text.into_owned(),
            database: record.database_name.map(Cow::into_owned),
            schema: record.schema_name.map(Cow::into_owned),
            users: record.user_name.map(Cow::into_owned).into_iter().collect(),
            executions: record.executions.unwrap_or(1),
            first_seen: Some(started),
            last_seen: Some(started),
            engine_tables: None,
            problem: None,
        })
    }
}

fn bad(problem: String) -> HistoryRow {
    HistoryRow {
        problem: Some(problem),
        ..HistoryRow::default()
    }
}

fn is_success(status: &str) -> bool {
    let status = status.trim();
    status.is_empty()
        || ["SUCCESS", "FINISHED", "SUCCEEDED", "DONE"]
            .iter()
            .any(|s| status.eq_ignore_ascii_case(s))
}

/// A JSON Lines export with every `start_time` moved by `by`: replays recorded history (the
/// demo's, the tests') as if it had just run.
///
/// # Errors
/// A line that is not a JSON object, or a `start_time` that is not a timestamp.
pub fn shifted(jsonl: &str, by: chrono::Duration) -> Result<String, String> {
    let mut out = String::with_capacity(jsonl.len());
    for (number, line) in jsonl.lines().enumerate() {
        let mut row: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        if let Some(at) = row.get("start_time").and_then(|v| v.as_str()) {
            let at =
                parse_time(at).ok_or_else(|| format!("line {}: start_time {at:?}", number + 1))?;
            let moved = model::stamp(at + by);
            row.insert("start_time".into(), moved.into());
        }
        out.push_str(&serde_json::Value::Object(row).to_string());
        out.push('\n');
    }
    Ok(out)
}

/// A JSON Lines export moved so its newest `start_time` is `end`: a replay never has runs in
/// the future.
///
/// # Errors
/// As [`shifted`].
pub fn ending_at(jsonl: &str, end: DateTime<Utc>) -> Result<String, String> {
    let mut newest: Option<DateTime<Utc>> = None;
    for (number, line) in jsonl.lines().enumerate() {
        let row: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        if let Some(at) = row.get("start_time").and_then(|v| v.as_str()) {
            let at =
                parse_time(at).ok_or_else(|| format!("line {}: start_time {at:?}", number + 1))?;
            newest = newest.max(Some(at));
        }
    }
    let Some(newest) = newest else {
        return Ok(jsonl.to_string());
    };
    // Whole microseconds, the precision checkpoints keep.
    let end = parse_time(&model::stamp(end)).unwrap_or(end);
    shifted(jsonl, end - newest)
}

/// RFC 3339, `YYYY-MM-DD HH:MM:SS[.frac]` read as UTC (or with ` UTC`/` GMT`), or with a
/// numeric zone such as ` +03` or ` -05:30` (PostgreSQL logs in `log_timezone`). Kept to
/// microseconds, the precision checkpoints store, so a re-read never sees a row as newer.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| with_offset(text))
        .or_else(|| {
            let naive = text
                .trim_end_matches(" UTC")
                .trim_end_matches(" GMT")
                .replace(' ', "T");
            NaiveDateTime::parse_from_str(&naive, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })?;
    parsed.with_nanosecond(parsed.nanosecond() / 1_000 * 1_000)
}

/// `2026-11-23 10:00:00.123 +03` and `… -05:30`.
fn with_offset(text: &str) -> Option<DateTime<Utc>> {
    let (stamp, zone) = text.rsplit_once(' ')?;
    let sign = zone
        .strip_prefix('+')
        .map(|z| (1, z))
        .or_else(|| zone.strip_prefix('-').map(|z| (-1, z)));
    let (sign, zone) = sign?;
    let (hours, minutes) = zone.split_once(':').unwrap_or((zone, "0"));
    let offset = sign * (hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60);
    let naive =
        NaiveDateTime::parse_from_str(&stamp.replace(' ', "T"), "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let zone = chrono::FixedOffset::east_opt(offset)?;
    naive
        .and_local_timezone(zone)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Pages of rows on their way to the sync, and the latest start time among them.
struct Rows<'a> {
    pager: Pager<'a>,
    latest: Option<DateTime<Utc>>,
}

impl Rows<'_> {
    fn push(&mut self, row: HistoryRow) -> Result<(), HistoryError> {
        self.latest = self.latest.max(row.last_seen);
        self.pager.push_blocking(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_ends_at_the_given_moment_and_keeps_the_gaps() {
        let recorded = concat!(
            r#"{"query_text": "select 1", "start_time": "2026-11-20T09:14:00Z"}"#,
            "\n",
            r#"{"query_text": "select 2", "start_time": "2026-11-23T09:14:00Z"}"#,
            "\n",
        );
        let end = "2026-12-07T05:47:00.5Z".parse::<DateTime<Utc>>().unwrap();
        let replayed = ending_at(recorded, end).unwrap();
        let times: Vec<DateTime<Utc>> = replayed
            .lines()
            .map(|l| {
                let row: serde_json::Value = serde_json::from_str(l).unwrap();
                parse_time(row["start_time"].as_str().unwrap()).unwrap()
            })
            .collect();
        assert_eq!(times[1], end, "the newest run is the moment of loading");
        assert_eq!(times[1] - times[0], chrono::Duration::days(3));
    }

    #[test]
    fn timestamps_in_common_export_shapes() {
        let want = "2026-11-20T10:00:00.123Z".parse::<DateTime<Utc>>().unwrap();
        for text in [
            "2026-11-20T10:00:00.123Z",
            "2026-11-20T11:00:00.123+01:00",
            "2026-11-20 10:00:00.123",
            "2026-11-20 10:00:00.123 UTC",
        ] {
            assert_eq!(parse_time(text), Some(want), "{text}");
        }
        assert_eq!(parse_time("2026-11-20 13:00:00.123 +03"), Some(want));
        assert_eq!(parse_time("2026-11-20 04:30:00.123 -05:30"), Some(want));
        let nanos = parse_time("2026-11-20T10:00:00.123456789Z").unwrap();
        assert_eq!(
            nanos.nanosecond(),
            123_456_000,
            "kept to microseconds like checkpoints"
        );
        assert_eq!(parse_time("2026-11-20 10:00:00 CET"), None);
        assert_eq!(parse_time("yesterday"), None);
    }
}
