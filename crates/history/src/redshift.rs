//! Redshift: `SYS_QUERY_HISTORY` with the full texts rebuilt from `SYS_QUERY_TEXT`, read over
//! the PostgreSQL wire protocol.
//!
//! `SYS_QUERY_HISTORY.query_text` keeps only 4,000 characters and the Hex comment comes last,
//! so the marker is searched in the text chunks (including across two neighbouring chunks),
//! and texts are rebuilt in `sequence` order, grouped and counted in the warehouse. `LISTAGG`
//! fails the whole statement once one group's result passes 65,535 bytes ("Result size
//! exceeds LISTAGG limit", <https://docs.aws.amazon.com/redshift/latest/dg/r_WF_LISTAGG.html>),
//! so only texts of at most [`MAX_AGGREGATED_CHUNKS`] chunks are rebuilt there; longer ones
//! come back chunk by chunk in a second statement and are joined here, one query at a time.
//! Rows are streamed from the connection, never collected.
//! Views: <https://docs.aws.amazon.com/redshift/latest/dg/SYS_QUERY_HISTORY.html>,
//! <https://docs.aws.amazon.com/redshift/latest/dg/SYS_QUERY_TEXT.html>.
//!
//! The same SQL runs on PostgreSQL (the tests create look-alike tables there); only the
//! string aggregate differs: `LISTAGG … WITHIN GROUP` on Redshift, `string_agg` elsewhere.

use crate::rows::{checkpoint, skip_null_text, sorted, Pager};
use crate::{
    Checkpoint, HistoryError, HistoryRequest, HistoryRow, QueryHistory, RowSink, Secret, HEX_MARKER,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{ConnectOptions, Connection, Row};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

const GRANT: &str = "Without it Redshift shows a user only their own queries. Grant it with: \
                     GRANT ROLE sys:monitor TO <user> (or ALTER USER <user> SYSLOG ACCESS UNRESTRICTED)";
const HISTORY_CALL: &str = "query history (SYS_QUERY_HISTORY, SYS_QUERY_TEXT)";
const LONG_TEXTS_CALL: &str = "long query texts (SYS_QUERY_TEXT chunks)";

/// A SYS_QUERY_TEXT chunk holds at most 4,000 bytes (VARCHAR lengths are bytes in Redshift),
/// so sixteen of them (64,000 bytes) stay under LISTAGG's 65,535.
const MAX_AGGREGATED_CHUNKS: usize = 16;

/// How to reach one Redshift cluster or workgroup.
#[derive(Clone, Debug)]
pub struct RedshiftConfig {
    /// `postgres://user:password@host:5439/database?sslmode=require`; holds the password.
    pub url: Secret,
    /// Limit for connecting and logging in.
    pub connect_timeout: Duration,
}

impl RedshiftConfig {
    /// A configuration with a 30 s connect timeout.
    pub fn new(url: Secret) -> Self {
        RedshiftConfig {
            url,
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// Query history of one Redshift database.
pub struct Redshift {
    config: RedshiftConfig,
    name: String,
}

impl Redshift {
    /// A source for `config`; nothing is sent before [`QueryHistory::read`].
    pub fn new(config: RedshiftConfig) -> Self {
        let name = match PgConnectOptions::from_str(config.url.expose()) {
            Ok(options) => format!(
                "{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("")
            ),
            Err(_) => "(invalid URL)".to_string(),
        };
        Redshift { config, name }
    }

    async fn connect(&self) -> Result<PgConnection, HistoryError> {
        let call = format!("connect to {}", self.name);
        let options = PgConnectOptions::from_str(self.config.url.expose())
            .map_err(|e| database_error(&call, &e))?
            // Redshift accepts -15..2 only; we read no floating-point values anyway.
            .extra_float_digits(None);
        let seconds = self.config.connect_timeout.as_secs_f64().ceil() as u64;
        match tokio::time::timeout(self.config.connect_timeout, options.connect()).await {
            Ok(connection) => connection.map_err(|e| database_error(&call, &e)),
            Err(_) => Err(HistoryError::Timeout { call, seconds }),
        }
    }
}

#[async_trait]
impl QueryHistory for Redshift {
    fn describe(&self) -> String {
        format!("redshift {}", self.name)
    }

    /// `previous` is not needed: the sync already starts the window at it.
    async fn read(
        &self,
        request: &HistoryRequest,
        _previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let mut pager = Pager::open(sink, request.page_size)?;
        let mut connection = self.connect().await?;
        let dialect = Dialect::detect(&mut connection).await?;
        let users = user_names(&mut connection).await;
        let window = (timestamp(request.since), timestamp(request.until));
        let sql = statement(dialect);
        let mut rows = sqlx::query(&sql)
            .bind(&window.0)
            .bind(&window.1)
            .fetch(&mut connection);
        while let Some(row) = rows
            .try_next()
            .await
            .map_err(|e| database_error(HISTORY_CALL, &e))?
        {
            match decode(&row, &users)? {
                Some(row) => pager.push(row).await?,
                None => skip_null_text(&self.describe()),
            }
        }
        drop(rows);
        read_long_texts(&mut connection, &window, &users, &mut pager).await?;
        pager.finish().await?;
        // The read is complete; a failed goodbye changes nothing.
        let _ = connection.close().await;
        Ok(checkpoint(request.until))
    }
}

/// The texts too long for LISTAGG: their chunks arrive in (query, sequence) order and each
/// query's text is joined as soon as its last chunk is in, so at most one text is held.
async fn read_long_texts(
    connection: &mut PgConnection,
    window: &(String, String),
    users: &HashMap<String, String>,
    pager: &mut Pager<'_>,
) -> Result<(), HistoryError> {
    let sql = long_texts_statement();
    let mut rows = sqlx::query(&sql)
        .bind(&window.0)
        .bind(&window.1)
        .fetch(connection);
    let mut current: Option<LongText> = None;
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(|e| database_error(LONG_TEXTS_CALL, &e))?
    {
        let chunk = LongChunk::decode(&row)?;
        match current.as_mut() {
            Some(text) if text.query_id == chunk.query_id => text.text.push_str(&chunk.text),
            _ => {
                if let Some(done) = current.replace(LongText::start(chunk)) {
                    pager.push(done.row(users)).await?;
                }
            }
        }
    }
    if let Some(done) = current {
        pager.push(done.row(users)).await?;
    }
    Ok(())
}

/// One chunk of a long text, with the run it belongs to.
struct LongChunk {
    query_id: i64,
    database: Option<String>,
    user_id: Option<String>,
    started: Option<i64>,
    text: String,
}

impl LongChunk {
    fn decode(row: &PgRow) -> Result<LongChunk, HistoryError> {
        let get = |e| database_error(LONG_TEXTS_CALL, &e);
        Ok(LongChunk {
            query_id: row.try_get(0).map_err(get)?,
            database: row.try_get(1).map_err(get)?,
            user_id: row.try_get(2).map_err(get)?,
            started: row.try_get(3).map_err(get)?,
            text: row
                .try_get::<Option<String>, _>(4)
                .map_err(get)?
                .unwrap_or_default(),
        })
    }
}

/// A long text being joined: one execution, as SYS_QUERY_HISTORY has one row per query.
struct LongText {
    query_id: i64,
    first: LongChunk,
    text: String,
}

impl LongText {
    fn start(mut chunk: LongChunk) -> LongText {
        LongText {
            query_id: chunk.query_id,
            text: std::mem::take(&mut chunk.text),
            first: chunk,
        }
    }

    fn row(self, users: &HashMap<String, String>) -> HistoryRow {
        let at = self.first.started.and_then(DateTime::from_timestamp_millis);
        let user = self
            .first
            .user_id
            .map(|id| users.get(&id).cloned().unwrap_or(id));
        HistoryRow {
            text: self.text,
            database: self.first.database,
            users: user.into_iter().collect(),
            executions: 1,
            first_seen: at,
            last_seen: at,
            ..HistoryRow::default()
        }
    }
}

/// Which string aggregate the server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Redshift,
    Postgres,
}

impl Dialect {
    async fn detect(connection: &mut PgConnection) -> Result<Dialect, HistoryError> {
        let version: String = sqlx::query_scalar("SELECT version()")
            .fetch_one(connection)
            .await
            .map_err(|e| database_error("SELECT version()", &e))?;
        Ok(if version.contains("Redshift") {
            Dialect::Redshift
        } else {
            Dialect::Postgres
        })
    }

    /// `expr` values of a group concatenated with `separator`, in `order` when given.
    fn string_agg(self, expr: &str, separator: &str, order: Option<&str>) -> String {
        match (self, order) {
            (Dialect::Redshift, Some(order)) => {
                format!("LISTAGG({expr}, '{separator}') WITHIN GROUP (ORDER BY {order})")
            }
            (Dialect::Redshift, None) => format!("LISTAGG({expr}, '{separator}')"),
            (Dialect::Postgres, Some(order)) => {
                format!("string_agg({expr}, '{separator}' ORDER BY {order})")
            }
            (Dialect::Postgres, None) => format!("string_agg({expr}, '{separator}')"),
        }
    }
}

/// User names by id, to show names instead of ids; without access to `pg_user` the ids
/// stay as they are.
async fn user_names(connection: &mut PgConnection) -> HashMap<String, String> {
    let sql = "SELECT CAST(usesysid AS VARCHAR(32)), CAST(usename AS VARCHAR(128)) FROM pg_user";
    match sqlx::query_as::<_, (String, String)>(sql)
        .fetch_all(connection)
        .await
    {
        Ok(users) => users.into_iter().collect(),
        Err(error) => {
            tracing::debug!(%error, "could not read pg_user; showing user ids");
            HashMap::new()
        }
    }
}

/// The runs that ended in the window (one still running at a sync is read by the next) and
/// their tagged texts' chunks, shared by both statements.
/// Parameters: `$1` and `$2`, the window as UTC timestamps in text.
fn tagged_chunks() -> String {
    // Every chunk boundary the marker could straddle: the end of one chunk and the start of
    // the next, each one character shorter than the marker.
    let overlap = HEX_MARKER.len() - 1;
    format!(
        "WITH runs AS (\n  \
           SELECT query_id, user_id, TRIM(database_name) AS database_name, start_time\n  \
           FROM sys_query_history\n  \
           WHERE status = 'success'\n    \
             AND end_time >= CAST($1 AS TIMESTAMP) AND end_time < CAST($2 AS TIMESTAMP)\n\
         ), chunks AS (\n  \
           SELECT t.query_id, t.sequence, t.text\n  \
           FROM sys_query_text t JOIN (SELECT DISTINCT query_id FROM runs) q ON q.query_id = t.query_id\n\
         ), tagged AS (\n  \
           SELECT a.query_id, COUNT(*) AS chunk_count\n  \
           FROM chunks a JOIN (\n    \
             SELECT DISTINCT a.query_id\n    \
             FROM chunks a LEFT JOIN chunks b ON b.query_id = a.query_id AND b.sequence = a.sequence + 1\n    \
             WHERE a.text LIKE '%{HEX_MARKER}%'\n       \
                OR RIGHT(a.text, {overlap}) || LEFT(b.text, {overlap}) LIKE '%{HEX_MARKER}%'\n  \
           ) m ON m.query_id = a.query_id\n  \
           GROUP BY a.query_id\n\
         )"
    )
}

/// Texts of at most [`MAX_AGGREGATED_CHUNKS`] chunks, rebuilt, grouped and counted in the
/// warehouse.
fn statement(dialect: Dialect) -> String {
    let text = dialect.string_agg("c.text", "", Some("c.sequence"));
    let users = dialect.string_agg("DISTINCT CAST(r.user_id AS VARCHAR(32))", ",", None);
    format!(
        "{}, texts AS (\n  \
           SELECT c.query_id, {text} AS query_text\n  \
           FROM chunks c JOIN tagged g ON g.query_id = c.query_id\n  \
           WHERE g.chunk_count <= {MAX_AGGREGATED_CHUNKS}\n  \
           GROUP BY c.query_id\n\
         )\n\
         SELECT x.query_text, r.database_name, COUNT(*) AS executions,\n       \
           CAST(EXTRACT(EPOCH FROM MIN(r.start_time)) * 1000 AS BIGINT) AS first_seen,\n       \
           CAST(EXTRACT(EPOCH FROM MAX(r.start_time)) * 1000 AS BIGINT) AS last_seen,\n       \
           {users} AS users\n\
         FROM runs r JOIN texts x ON x.query_id = r.query_id\n\
         GROUP BY x.query_text, r.database_name",
        tagged_chunks()
    )
}

/// The chunks of the longer texts, in the order they are joined.
fn long_texts_statement() -> String {
    format!(
        "{}\n\
         SELECT c.query_id, r.database_name, CAST(r.user_id AS VARCHAR(32)),\n       \
           CAST(EXTRACT(EPOCH FROM r.start_time) * 1000 AS BIGINT), c.text\n\
         FROM chunks c JOIN tagged g ON g.query_id = c.query_id\n  \
         JOIN runs r ON r.query_id = c.query_id\n\
         WHERE g.chunk_count > {MAX_AGGREGATED_CHUNKS}\n\
         ORDER BY c.query_id, c.sequence",
        tagged_chunks()
    )
}

/// A window bound as the server reads it: Redshift keeps times in UTC without a zone.
fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

// HistoryRow has fields no source fills (the sync's `problem`): default whatever is not read.
fn decode(
    row: &PgRow,
    users: &HashMap<String, String>,
) -> Result<Option<HistoryRow>, HistoryError> {
    let get = |e| database_error(HISTORY_CALL, &e);
    let Some(text) = row.try_get::<Option<String>, _>(0).map_err(get)? else {
        return Ok(None);
    };
    let executions: i64 = row.try_get(2).map_err(get)?;
    let first_seen: Option<i64> = row.try_get(3).map_err(get)?;
    let last_seen: Option<i64> = row.try_get(4).map_err(get)?;
    let ids: Option<String> = row.try_get(5).map_err(get)?;
    let names = ids
        .iter()
        .flat_map(|ids| ids.split(','))
        .map(|id| users.get(id).cloned().unwrap_or_else(|| id.to_string()));
    Ok(Some(HistoryRow {
        text,
        database: row.try_get(1).map_err(get)?,
        schema: None,
        users: sorted(names),
        executions: u64::try_from(executions).unwrap_or(0),
        first_seen: first_seen.and_then(DateTime::from_timestamp_millis),
        last_seen: last_seen.and_then(DateTime::from_timestamp_millis),
        engine_tables: None,
        ..HistoryRow::default()
    }))
}

/// A database error in our terms: bad credentials are `Unauthorized`, a missing privilege is
/// `Forbidden` with what to grant, anything else is the server's message.
fn database_error(call: &str, error: &sqlx::Error) -> HistoryError {
    let call = call.to_string();
    let Some(db) = error.as_database_error() else {
        return HistoryError::Database {
            call,
            message: error.to_string(),
        };
    };
    let message = db.message().to_string();
    match db.code().as_deref() {
        // invalid_authorization_specification, invalid_password
        Some("28000") | Some("28P01") => HistoryError::Unauthorized { call, message },
        // insufficient_privilege
        Some("42501") => HistoryError::Forbidden {
            call,
            message,
            grant: GRANT.to_string(),
        },
        Some(code) => HistoryError::Database {
            call,
            message: format!("{message} (SQLSTATE {code})"),
        },
        None => HistoryError::Database { call, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aggregates_follow_the_dialect() {
        let redshift = statement(Dialect::Redshift);
        assert!(redshift.contains("LISTAGG(c.text, '') WITHIN GROUP (ORDER BY c.sequence)"));
        assert!(!redshift.contains("string_agg"));
        let postgres = statement(Dialect::Postgres);
        assert!(postgres.contains("string_agg(c.text, '' ORDER BY c.sequence)"));
        assert!(!postgres.contains("LISTAGG"));
        // Only texts LISTAGG can hold are aggregated; the rest come back chunk by chunk.
        assert!(redshift.contains("WHERE g.chunk_count <= 16"));
        assert!(long_texts_statement().contains("WHERE g.chunk_count > 16"));
        assert!(!long_texts_statement().contains("LISTAGG"));
    }

    #[test]
    fn the_name_leaves_the_password_out() {
        let source = Redshift::new(RedshiftConfig::new(Secret::new(
            "postgres://hex:s3cret@cluster.example:5439/dev",
        )));
        assert_eq!(source.describe(), "redshift cluster.example:5439/dev");
    }
}
