//! Snowflake: `SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY` (and, when enabled, `ACCESS_HISTORY`)
//! read through the SQL API.
//!
//! The statement filters on the Hex marker, success and the window, and groups identical
//! texts in Snowflake; the answer comes back in partitions ([`rest::snowflake`]), each sent
//! on as it arrives.

use crate::rows::{checkpoint, skip_null_text, Cells, GroupColumns, Pager};
use crate::{Checkpoint, HistoryError, HistoryRequest, QueryHistory, RowSink, HEX_MARKER};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rest::snowflake::{SqlApi, SqlApiSettings};
use rest::HttpOptions;
use std::time::Duration;

pub use rest::snowflake::{KeyPair, SnowflakeAuth, SnowflakeTokenType};

/// ACCOUNT_USAGE.QUERY_HISTORY shows a query up to 45 minutes after it ran: a window that
/// ends later would be checkpointed past queries not visible yet.
const LATENCY_MINUTES: i64 = 45;

/// ACCESS_HISTORY lags further, up to three hours (the latency column of Snowflake's Account
/// Usage views table). With engine tables on, the window ends that far back, so no query is
/// stored without the tables the engine will record for it.
const ACCESS_HISTORY_LATENCY_MINUTES: i64 = 180;

/// A statement runs at most two days by default (`STATEMENT_TIMEOUT_IN_SECONDS` = 172800):
/// the window is on END_TIME, so a long query is read once it finished, and START_TIME is
/// bounded this far before the window only to let Snowflake prune.
const LONGEST_STATEMENT_HOURS: i64 = 48;

/// ACCESS_HISTORY `objectDomain`s that name something a query reads rows from; stages,
/// functions, procedures and the rest are not tables.
const TABLE_DOMAINS: &str =
    "'Table', 'View', 'Materialized view', 'External table', 'Dynamic table', 'Iceberg table', 'Event table'";

/// How to reach one Snowflake account.
#[derive(Clone, Debug)]
pub struct SnowflakeConfig {
    /// The account identifier, e.g. `acme-xy12345`; names the source in summaries.
    pub account: String,
    /// The API base; [`SnowflakeConfig::new`] sets `https://<account>.snowflakecomputing.com`.
    pub account_url: String,
    /// How statements sign in: a programmatic access token, an OAuth token or the user's
    /// key pair.
    pub auth: SnowflakeAuth,
    /// The warehouse that runs the statement; the user's default when `None`.
    pub warehouse: Option<String>,
    /// The role to use; it needs IMPORTED PRIVILEGES on database SNOWFLAKE.
    pub role: Option<String>,
    /// The session database; not needed, the views are fully qualified.
    pub database: Option<String>,
    /// Also read engine-recorded tables from ACCESS_HISTORY (Enterprise edition and up).
    pub access_history: bool,
    /// Sent as the statement's `timeout`; polling gives up a little after it.
    pub statement_timeout: Duration,
    /// Wait between two polls of a running statement.
    pub poll_interval: Duration,
    /// Time limits and retries of each HTTP call.
    pub http: HttpOptions,
}

impl SnowflakeConfig {
    /// A configuration with the account's default URL and default limits.
    pub fn new(account: impl Into<String>, auth: SnowflakeAuth) -> Self {
        let account = account.into();
        SnowflakeConfig {
            account_url: format!("https://{account}.snowflakecomputing.com"),
            account,
            auth,
            warehouse: None,
            role: None,
            database: None,
            access_history: false,
            statement_timeout: Duration::from_secs(600),
            poll_interval: Duration::from_secs(2),
            http: HttpOptions::default(),
        }
    }
}

/// Query history of one Snowflake account.
pub struct Snowflake {
    config: SnowflakeConfig,
    api: SqlApi,
}

impl Snowflake {
    /// A source for `config`; nothing is sent before [`QueryHistory::read`].
    pub fn new(config: SnowflakeConfig) -> Self {
        let role = config.role.as_deref().unwrap_or("<role>");
        let grant = format!(
            "Grant it with: GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE {role} \
             (or GRANT DATABASE ROLE SNOWFLAKE.GOVERNANCE_VIEWER TO ROLE {role})"
        );
        let settings = SqlApiSettings {
            account_url: config.account_url.clone(),
            auth: config.auth.clone(),
            warehouse: config.warehouse.clone(),
            role: config.role.clone(),
            database: config.database.clone(),
            statement_timeout: config.statement_timeout,
            poll_interval: config.poll_interval,
            http: config.http.clone(),
        };
        Snowflake {
            api: SqlApi::new(settings, grant),
            config,
        }
    }

    async fn emit(
        &self,
        data: Vec<Vec<Option<String>>>,
        columns: &GroupColumns,
        cells: &Cells<'_>,
        pager: &mut Pager<'_>,
    ) -> Result<(), HistoryError> {
        for row in data {
            match columns.decode_strings(cells, &row)? {
                Some(row) => pager.push(row).await?,
                None => skip_null_text(&self.describe()),
            }
        }
        Ok(())
    }
}

#[async_trait]
impl QueryHistory for Snowflake {
    fn describe(&self) -> String {
        format!("snowflake {}", self.config.account)
    }

    /// `previous` is not needed: the sync already starts the window at it.
    async fn read(
        &self,
        request: &HistoryRequest,
        _previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let mut pager = Pager::open(sink, request.page_size)?;
        let latency = match self.config.access_history {
            true => ACCESS_HISTORY_LATENCY_MINUTES,
            false => LATENCY_MINUTES,
        };
        let Some(until) = request.settled_until(chrono::Duration::minutes(latency)) else {
            return Ok(checkpoint(request.since));
        };
        let statement = statement(request.since, until, self.config.access_history);
        let (handle, mut first) = self.api.execute(&statement, &[]).await?;
        let call = format!("GET {}", self.api.statement_url(&handle));
        let columns = GroupColumns::find(&first.columns(), &call, self.config.access_history)?;
        let cells = Cells { call: &call };
        let rows = first.take_rows().unwrap_or_default();
        self.emit(rows, &columns, &cells, &mut pager).await?;
        for partition in 1..first.partitions() {
            let mut part = self.api.partition(&handle, partition).await?;
            let data = part.take_rows().ok_or_else(|| HistoryError::Malformed {
                call: format!("{call}?partition={partition}"),
                detail: "no data in the partition".to_string(),
            })?;
            self.emit(data, &columns, &cells, &mut pager).await?;
        }
        pager.finish().await?;
        Ok(checkpoint(until))
    }

    /// One row of each view the read joins, whatever the latency: proves the sign-in, the
    /// warehouse, the role and its grant.
    async fn check(&self) -> Result<String, HistoryError> {
        let mut views = vec!["QUERY_HISTORY"];
        if self.config.access_history {
            views.push("ACCESS_HISTORY");
        }
        for view in &views {
            let statement = format!("SELECT 1 FROM SNOWFLAKE.ACCOUNT_USAGE.{view} LIMIT 1");
            self.api.execute(&statement, &[]).await?;
        }
        Ok(format!(
            "SNOWFLAKE.ACCOUNT_USAGE.{} readable",
            views.join(" and ")
        ))
    }
}

/// The statement: everything but decoding happens in Snowflake. Times are epoch
/// milliseconds both ways, so no session time zone or output format matters. Queries belong
/// to the window they ended in: one still running at a sync is read by the next.
fn statement(since: DateTime<Utc>, until: DateTime<Utc>, access_history: bool) -> String {
    let earliest = (since - chrono::Duration::hours(LONGEST_STATEMENT_HOURS)).timestamp_millis();
    let (since, until) = (since.timestamp_millis(), until.timestamp_millis());
    let (tables_column, tables_join) = if access_history {
        (
            ",\n       ARRAY_UNION_AGG(a.TABLES) AS ENGINE_TABLES",
            access_history_join(earliest, until),
        )
    } else {
        ("", String::new())
    };
    format!(
        "SELECT q.QUERY_TEXT AS QUERY_TEXT, q.DATABASE_NAME AS DATABASE_NAME, \
         q.SCHEMA_NAME AS SCHEMA_NAME,\n       COUNT(*) AS EXECUTIONS,\n       \
         DATE_PART(EPOCH_MILLISECOND, MIN(q.START_TIME)) AS FIRST_SEEN,\n       \
         DATE_PART(EPOCH_MILLISECOND, MAX(q.START_TIME)) AS LAST_SEEN,\n       \
         ARRAY_UNIQUE_AGG(q.USER_NAME) AS USERS{tables_column}\n\
         FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY q{tables_join}\n\
         WHERE q.QUERY_TEXT ILIKE '%{HEX_MARKER}%'\n  AND q.EXECUTION_STATUS = 'SUCCESS'\n  \
         AND q.START_TIME >= TO_TIMESTAMP_LTZ({earliest}, 3)\n  \
         AND q.END_TIME >= TO_TIMESTAMP_LTZ({since}, 3)\n  \
         AND q.END_TIME < TO_TIMESTAMP_LTZ({until}, 3)\n\
         GROUP BY q.QUERY_TEXT, q.DATABASE_NAME, q.SCHEMA_NAME"
    )
}

/// One row per query with the objects it named: DIRECT_OBJECTS_ACCESSED keeps views (most
/// dbt models), where BASE_OBJECTS_ACCESSED "will never specify view names" (ACCESS_HISTORY
/// reference), and only table-like domains count. Aggregated per query first so the join
/// does not multiply executions.
fn access_history_join(earliest: i64, until: i64) -> String {
    format!(
        "\nLEFT JOIN (\n  SELECT ah.QUERY_ID, ARRAY_UNIQUE_AGG(o.value:\"objectName\"::STRING) AS TABLES\n  \
         FROM SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY ah,\n       \
         LATERAL FLATTEN(input => ah.DIRECT_OBJECTS_ACCESSED) o\n  \
         WHERE ah.QUERY_START_TIME >= TO_TIMESTAMP_LTZ({earliest}, 3)\n    \
         AND ah.QUERY_START_TIME < TO_TIMESTAMP_LTZ({until}, 3)\n    \
         AND o.value:\"objectDomain\"::STRING IN ({TABLE_DOMAINS})\n  \
         GROUP BY ah.QUERY_ID\n) a ON a.QUERY_ID = q.QUERY_ID"
    )
}
