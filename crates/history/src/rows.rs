//! What the sources share between a warehouse's answer and the sync: pages of rows sent as
//! they fill, columns found by name, and cells decoded with the column named on failure.

use crate::{HistoryError, HistoryRow, RowSink};
use chrono::{DateTime, Utc};

/// Collects rows into pages of the requested size and sends each as soon as it is full, so
/// the sync parses while the warehouse still sends.
pub(crate) struct Pager<'a> {
    sink: &'a RowSink,
    size: usize,
    page: Vec<HistoryRow>,
}

impl<'a> Pager<'a> {
    /// A pager on `sink`, or `Cancelled` when nobody reads it any more: then there is no
    /// point in asking the warehouse.
    pub(crate) fn open(sink: &'a RowSink, size: usize) -> Result<Self, HistoryError> {
        if sink.is_closed() {
            return Err(HistoryError::Cancelled);
        }
        let size = size.max(1);
        Ok(Pager {
            sink,
            size,
            page: Vec::with_capacity(size),
        })
    }

    pub(crate) async fn push(&mut self, row: HistoryRow) -> Result<(), HistoryError> {
        self.page.push(row);
        if self.page.len() >= self.size {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sends the last, partly filled page.
    pub(crate) async fn finish(mut self) -> Result<(), HistoryError> {
        if !self.page.is_empty() {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), HistoryError> {
        let page = std::mem::replace(&mut self.page, Vec::with_capacity(self.size));
        self.sink
            .send(page)
            .await
            .map_err(|_| HistoryError::Cancelled)
    }

    /// [`Pager::push`] for readers on a blocking thread (files, logs).
    pub(crate) fn push_blocking(&mut self, row: HistoryRow) -> Result<(), HistoryError> {
        self.page.push(row);
        if self.page.len() >= self.size {
            self.flush_blocking()?;
        }
        Ok(())
    }

    /// [`Pager::finish`] for readers on a blocking thread.
    pub(crate) fn finish_blocking(mut self) -> Result<(), HistoryError> {
        if !self.page.is_empty() {
            self.flush_blocking()?;
        }
        Ok(())
    }

    fn flush_blocking(&mut self) -> Result<(), HistoryError> {
        let page = std::mem::replace(&mut self.page, Vec::with_capacity(self.size));
        self.sink
            .blocking_send(page)
            .map_err(|_| HistoryError::Cancelled)
    }
}

/// Logs a group whose text the warehouse returned as NULL; the caller drops it.
pub(crate) fn skip_null_text(source: &str) {
    tracing::debug!(source, "skipped a query group with NULL text");
}

/// The position of each column we asked for, looked up by name (case-insensitively, as the
/// warehouses re-case unquoted names), so a reordered answer is still read right.
pub(crate) fn column_index(
    names: &[String],
    wanted: &str,
    call: &str,
) -> Result<usize, HistoryError> {
    names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| HistoryError::Malformed {
            call: call.to_string(),
            detail: format!(
                "the result has no column {wanted} (columns: {})",
                names.join(", ")
            ),
        })
}

/// Where each column of a grouped history answer sits. Every source's SQL names its columns
/// alike (`QUERY_TEXT`, `DATABASE_NAME`, `SCHEMA_NAME`, `EXECUTIONS`, `FIRST_SEEN`,
/// `LAST_SEEN`, `USERS` and, when asked for, `ENGINE_TABLES`).
#[derive(Clone)]
pub(crate) struct GroupColumns {
    pub(crate) text: usize,
    pub(crate) database: usize,
    pub(crate) schema: usize,
    pub(crate) executions: usize,
    pub(crate) first_seen: usize,
    pub(crate) last_seen: usize,
    pub(crate) users: usize,
    pub(crate) engine_tables: Option<usize>,
}

impl GroupColumns {
    pub(crate) fn find(
        names: &[String],
        call: &str,
        engine_tables: bool,
    ) -> Result<Self, HistoryError> {
        let at = |wanted| column_index(names, wanted, call);
        Ok(GroupColumns {
            text: at("QUERY_TEXT")?,
            database: at("DATABASE_NAME")?,
            schema: at("SCHEMA_NAME")?,
            executions: at("EXECUTIONS")?,
            first_seen: at("FIRST_SEEN")?,
            last_seen: at("LAST_SEEN")?,
            users: at("USERS")?,
            engine_tables: engine_tables.then(|| at("ENGINE_TABLES")).transpose()?,
        })
    }

    /// One row of an answer whose cells are all strings or NULL (Snowflake, Databricks);
    /// `None` for a group without text.
    // HistoryRow has fields no source fills (the sync's `problem`): default whatever is not read.
    pub(crate) fn decode_strings(
        &self,
        cells: &Cells<'_>,
        row: &[Option<String>],
    ) -> Result<Option<HistoryRow>, HistoryError> {
        let cell = |i: usize| row.get(i).and_then(|c| c.as_deref());
        let Some(text) = cell(self.text) else {
            return Ok(None);
        };
        let engine_tables = match self.engine_tables {
            Some(i) => known_tables(cells.json_strings("ENGINE_TABLES", cell(i))?),
            None => None,
        };
        Ok(Some(HistoryRow {
            text: text.to_string(),
            database: cell(self.database).map(str::to_string),
            schema: cell(self.schema).map(str::to_string),
            users: cells.json_strings("USERS", cell(self.users))?,
            executions: cells.count("EXECUTIONS", cell(self.executions))?,
            first_seen: cells.millis("FIRST_SEEN", cell(self.first_seen))?,
            last_seen: cells.millis("LAST_SEEN", cell(self.last_seen))?,
            engine_tables,
            ..HistoryRow::default()
        }))
    }
}

/// Decodes the cells of one answer, naming the call and column when a cell is wrong.
pub(crate) struct Cells<'a> {
    pub(crate) call: &'a str,
}

impl Cells<'_> {
    fn malformed(&self, column: &str, detail: String) -> HistoryError {
        HistoryError::Malformed {
            call: self.call.to_string(),
            detail: format!("column {column}: {detail}"),
        }
    }

    /// A `COUNT(*)` sent as a decimal string.
    pub(crate) fn count(&self, column: &str, cell: Option<&str>) -> Result<u64, HistoryError> {
        let cell = cell.ok_or_else(|| self.malformed(column, "NULL count".to_string()))?;
        cell.trim()
            .parse()
            .map_err(|_| self.malformed(column, format!("expected a count, got {cell:?}")))
    }

    /// Milliseconds since the epoch sent as a decimal string: every source converts its
    /// timestamps so in SQL, which spares parsing each warehouse's timestamp format.
    pub(crate) fn millis(
        &self,
        column: &str,
        cell: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>, HistoryError> {
        let Some(cell) = cell else { return Ok(None) };
        let bad = || self.malformed(column, format!("expected epoch milliseconds, got {cell:?}"));
        let millis: i64 = cell.trim().parse().map_err(|_| bad())?;
        DateTime::from_timestamp_millis(millis)
            .map(Some)
            .ok_or_else(bad)
    }

    /// An array the warehouse serialised as JSON text (Snowflake ARRAY, Databricks
    /// `collect_set`): its strings, sorted and without repeats; NULL is an empty list.
    pub(crate) fn json_strings(
        &self,
        column: &str,
        cell: Option<&str>,
    ) -> Result<Vec<String>, HistoryError> {
        let Some(cell) = cell else {
            return Ok(Vec::new());
        };
        let items: Vec<Option<String>> = serde_json::from_str(cell).map_err(|e| {
            self.malformed(column, format!("expected a JSON array of strings: {e}"))
        })?;
        Ok(sorted(items.into_iter().flatten()))
    }
}

/// NULL or an empty list says nothing: the engine recorded no table (not yet, a cache hit,
/// or a query that reads none), so the sync falls back to parsing.
pub(crate) fn known_tables(tables: Vec<String>) -> Option<Vec<String>> {
    (!tables.is_empty()).then_some(tables)
}

/// Sorted, deduplicated: warehouses return set aggregates in no particular order.
pub(crate) fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.into_iter().collect();
    items.sort();
    items.dedup();
    items
}

/// The checkpoint every time-windowed source returns: the end of the window it read.
pub(crate) fn checkpoint(until: DateTime<Utc>) -> crate::Checkpoint {
    crate::Checkpoint(until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// The checkpoint of a source read row by row (files, logs): the latest start time it
/// passed on, or the previous one when it found nothing newer. Microseconds, because the next
/// read skips rows at or before it and exports keep microseconds.
pub(crate) fn latest_checkpoint(
    latest: Option<DateTime<Utc>>,
    previous: Option<DateTime<Utc>>,
) -> crate::Checkpoint {
    crate::Checkpoint(latest.max(previous).map(model::stamp).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_name_the_column_when_wrong() {
        let cells = Cells { call: "POST x" };
        assert_eq!(cells.count("N", Some("12")).unwrap(), 12);
        let error = cells.count("N", Some("twelve")).unwrap_err().to_string();
        assert!(
            error.contains("POST x") && error.contains("column N"),
            "{error}"
        );
        assert_eq!(
            cells.millis("T", Some("1700000000000")).unwrap(),
            DateTime::from_timestamp_millis(1_700_000_000_000)
        );
        assert_eq!(cells.millis("T", None).unwrap(), None);
        assert_eq!(
            cells
                .json_strings("U", Some(r#"["b", "a", null, "b"]"#))
                .unwrap(),
            vec!["a", "b"]
        );
        assert!(cells.json_strings("U", Some("[1")).is_err());
    }

    #[tokio::test]
    async fn pages_fill_to_size_and_a_closed_sink_cancels() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let mut pager = Pager::open(&tx, 2).unwrap();
        for _ in 0..3 {
            pager.push(HistoryRow::default()).await.unwrap();
        }
        pager.finish().await.unwrap();
        assert_eq!(rx.recv().await.map(|p| p.len()), Some(2));
        assert_eq!(rx.recv().await.map(|p| p.len()), Some(1));
        let mut pager = Pager::open(&tx, 1).unwrap();
        drop(rx);
        let error = pager.push(HistoryRow::default()).await.unwrap_err();
        assert!(matches!(error, HistoryError::Cancelled));
        assert!(matches!(Pager::open(&tx, 1), Err(HistoryError::Cancelled)));
    }
}
