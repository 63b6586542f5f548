//! Redshift: `SYS_QUERY_HISTORY` with the full texts rebuilt from `SYS_QUERY_TEXT`, read over
//! the PostgreSQL wire protocol.
//!
//! `SYS_QUERY_HISTORY.query_text` keeps only 4,000 characters and the Hex comment comes last,
//! so the marker is searched in the text chunks (including across two neighbouring chunks),
//! and texts are rebuilt in `sequence` order, grouped and counted in the warehouse. Rows are
//! streamed from the connection, never collected.
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
        let sql = statement(dialect);
        let mut rows = sqlx::query(&sql)
            .bind(timestamp(request.since))
            .bind(timestamp(request.until))
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
        pager.finish().await?;
        // The read is complete; a failed goodbye changes nothing.
        let _ = connection.close().await;
        Ok(checkpoint(request.until))
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

/// The statement. Parameters: `$1` and `$2`, the window as UTC timestamps in text.
fn statement(dialect: Dialect) -> String {
    // Every chunk boundary the marker could straddle: the end of one chunk and the start of
    // the next, each one character shorter than the marker.
    let overlap = HEX_MARKER.len() - 1;
    let text = dialect.string_agg("c.text", "", Some("c.sequence"));
    let users = dialect.string_agg("DISTINCT CAST(r.user_id AS VARCHAR(32))", ",", None);
    format!(
        "WITH runs AS (\n  \
           SELECT query_id, user_id, TRIM(database_name) AS database_name, start_time\n  \
           FROM sys_query_history\n  \
           WHERE status = 'success'\n    \
             AND start_time >= CAST($1 AS TIMESTAMP) AND start_time < CAST($2 AS TIMESTAMP)\n\
         ), chunks AS (\n  \
           SELECT t.query_id, t.sequence, t.text\n  \
           FROM sys_query_text t JOIN (SELECT DISTINCT query_id FROM runs) q ON q.query_id = t.query_id\n\
         ), tagged AS (\n  \
           SELECT DISTINCT a.query_id\n  \
           FROM chunks a LEFT JOIN chunks b ON b.query_id = a.query_id AND b.sequence = a.sequence + 1\n  \
           WHERE a.text LIKE '%{HEX_MARKER}%'\n     \
              OR RIGHT(a.text, {overlap}) || LEFT(b.text, {overlap}) LIKE '%{HEX_MARKER}%'\n\
         ), texts AS (\n  \
           SELECT c.query_id, {text} AS query_text\n  \
           FROM chunks c JOIN tagged g ON g.query_id = c.query_id\n  \
           GROUP BY c.query_id\n\
         )\n\
         SELECT x.query_text, r.database_name, COUNT(*) AS executions,\n       \
           CAST(EXTRACT(EPOCH FROM MIN(r.start_time)) * 1000 AS BIGINT) AS first_seen,\n       \
           CAST(EXTRACT(EPOCH FROM MAX(r.start_time)) * 1000 AS BIGINT) AS last_seen,\n       \
           {users} AS users\n\
         FROM runs r JOIN texts x ON x.query_id = r.query_id\n\
         GROUP BY x.query_text, r.database_name"
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
    }

    #[test]
    fn the_name_leaves_the_password_out() {
        let source = Redshift::new(RedshiftConfig::new(Secret::new(
            "postgres://hex:s3cret@cluster.example:5439/dev",
        )));
        assert_eq!(source.describe(), "redshift cluster.example:5439/dev");
    }
}
