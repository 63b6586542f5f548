//! Snowflake: each database's `INFORMATION_SCHEMA`, read through the SQL API.
//!
//! One statement per database lists its schemas with `SCHEMATA.LAST_ALTERED`; one per schema
//! returns its relations joined to their columns, in name then ordinal order, with the schema
//! filter inside each view's subquery (Snowflake refuses `INFORMATION_SCHEMA` queries that
//! would return too much, so the filter must reach the views). Statements that run long are
//! polled and results come in partitions ([`rest::snowflake`]); relations go to the sync as
//! each partition arrives.
//! Views: <https://docs.snowflake.com/en/sql-reference/info-schema/schemata>,
//! <https://docs.snowflake.com/en/sql-reference/info-schema/tables>,
//! <https://docs.snowflake.com/en/sql-reference/info-schema/columns>.

use crate::api::{unexpected, RelationPages};
use crate::{CatalogError, CatalogReader, Column, Relation, RelationKind, RelationSink, SchemaRef};
use async_trait::async_trait;
use chrono::DateTime;
use rest::snowflake::{quote, SqlApi, SqlApiSettings};
use rest::{HttpOptions, RestError};
use std::time::Duration;

pub use rest::snowflake::{KeyPair, SnowflakeAuth, SnowflakeTokenType};

/// How to reach one Snowflake account's catalog.
#[derive(Clone, Debug)]
pub struct SnowflakeCatalogConfig {
    /// The account identifier, e.g. `acme-xy12345`; names the source in errors.
    pub account: String,
    /// The API base; [`SnowflakeCatalogConfig::new`] sets `https://<account>.snowflakecomputing.com`.
    pub account_url: String,
    /// How statements sign in: a programmatic access token, an OAuth token or the user's
    /// key pair.
    pub auth: SnowflakeAuth,
    /// The role to read as; the catalog shows only what it may use. The user's default
    /// when `None`.
    pub role: Option<String>,
    /// The warehouse that runs the catalog queries; the user's default when `None`.
    pub warehouse: Option<String>,
    /// The databases to read; empty means every database `SHOW DATABASES` lists.
    pub databases: Vec<String>,
    /// Sent as each statement's `timeout`; polling gives up a little after it.
    pub statement_timeout: Duration,
    /// Wait between two polls of a running statement.
    pub poll_interval: Duration,
    /// Time limits and retries of each HTTP call.
    pub http: HttpOptions,
}

impl SnowflakeCatalogConfig {
    /// A configuration with the account's default URL, every database and default limits.
    pub fn new(account: impl Into<String>, auth: SnowflakeAuth) -> Self {
        let account = account.into();
        SnowflakeCatalogConfig {
            account_url: format!("https://{account}.snowflakecomputing.com"),
            account,
            auth,
            role: None,
            warehouse: None,
            databases: Vec::new(),
            statement_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
            http: HttpOptions::default(),
        }
    }
}

/// The catalog of one Snowflake account.
pub struct SnowflakeCatalog {
    config: SnowflakeCatalogConfig,
    api: SqlApi,
}

impl SnowflakeCatalog {
    /// A source for `config`; nothing is sent before [`CatalogReader::schemas`].
    pub fn new(config: SnowflakeCatalogConfig) -> Self {
        let settings = SqlApiSettings {
            account_url: config.account_url.clone(),
            auth: config.auth.clone(),
            warehouse: config.warehouse.clone(),
            role: config.role.clone(),
            database: None,
            statement_timeout: config.statement_timeout,
            poll_interval: config.poll_interval,
            http: config.http.clone(),
        };
        let grant = grant(config.role.as_deref(), None);
        SnowflakeCatalog {
            api: SqlApi::new(settings, grant),
            config,
        }
    }

    /// Runs `statement`; its rows then come partition by partition. `database` is the one
    /// the statement reads, for the grant a refusal names.
    async fn run(
        &self,
        statement: &str,
        bindings: &[&str],
        database: Option<&str>,
    ) -> Result<Partitions<'_>, CatalogError> {
        let (handle, mut first) = self
            .api
            .execute(statement, bindings)
            .await
            .map_err(|error| self.explain(error, database))?;
        Ok(Partitions {
            source: self,
            call: format!("GET {}", self.api.statement_url(&handle)),
            columns: first.columns(),
            count: first.partitions(),
            next: 0,
            first: first.take_rows(),
            handle,
            database: database.map(str::to_string),
        })
    }

    /// The names `SHOW DATABASES` lists, unless the configuration names them.
    async fn databases(&self) -> Result<Vec<String>, CatalogError> {
        if !self.config.databases.is_empty() {
            return Ok(self.config.databases.clone());
        }
        let mut result = self.run("SHOW DATABASES", &[], None).await?;
        let Some(name) = result
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case("name"))
        else {
            return Err(unexpected(
                &result.call,
                "SHOW DATABASES has no name column",
            ));
        };
        let mut databases = Vec::new();
        while let Some((_, rows)) = result.next().await? {
            let names = rows.into_iter().filter_map(|row| row.into_iter().nth(name));
            databases.extend(names.flatten());
        }
        Ok(databases)
    }

    /// A rejected statement as the error to show: a 403 (which the SQL API client makes of
    /// the 422 Snowflake gives for an object the role may not see) says what to grant on
    /// `database`.
    fn explain(&self, error: RestError, database: Option<&str>) -> CatalogError {
        match error {
            RestError::Forbidden { call, message, .. } => CatalogError::Forbidden {
                call,
                message,
                grant: grant(self.config.role.as_deref(), database),
            },
            other => other.into(),
        }
    }
}

#[async_trait]
impl CatalogReader for SnowflakeCatalog {
    fn describe(&self) -> String {
        format!("snowflake catalog {}", self.config.account)
    }

    async fn schemas(&self) -> Result<Vec<SchemaRef>, CatalogError> {
        let mut schemas = Vec::new();
        for database in self.databases().await? {
            let statement = schemas_statement(&database);
            let mut result = self.run(&statement, &[], Some(&database)).await?;
            while let Some((call, rows)) = result.next().await? {
                for row in rows {
                    schemas.push(schema(Cells::new(&call, row, 3)?)?);
                }
            }
        }
        Ok(schemas)
    }

    async fn relations(&self, schema: &SchemaRef, sink: &RelationSink) -> Result<(), CatalogError> {
        let statement = relations_statement(&schema.database);
        let bindings = [schema.schema.as_str(), schema.schema.as_str()];
        let mut result = self
            .run(&statement, &bindings, Some(&schema.database))
            .await?;
        let mut pages = RelationPages::new(sink);
        while let Some((call, rows)) = result.next().await? {
            for row in rows {
                let cells = Cells::new(&call, row, 7)?;
                let name = cells.required(0, "TABLE_NAME")?;
                let row_estimate = cells.integer(3, "ROW_COUNT")?;
                let start = || {
                    Ok(Relation {
                        database: schema.database.clone(),
                        schema: schema.schema.clone(),
                        name: name.clone(),
                        kind: kind(cells.text(1).unwrap_or_default()),
                        comment: cells.text(2).map(str::to_string),
                        row_estimate,
                        columns: Vec::new(),
                    })
                };
                pages.column(&name, start, column(&cells)).await?;
            }
        }
        pages.finish().await
    }
}

/// A statement's result, read one partition at a time.
struct Partitions<'a> {
    source: &'a SnowflakeCatalog,
    handle: String,
    /// `GET <statement URL>`, the call that errors about the rows name.
    call: String,
    columns: Vec<String>,
    count: usize,
    next: usize,
    first: Option<Vec<Row>>,
    database: Option<String>,
}

type Row = Vec<Option<String>>;

impl Partitions<'_> {
    /// The next partition's rows and the call that brought them; `None` after the last.
    async fn next(&mut self) -> Result<Option<(String, Vec<Row>)>, CatalogError> {
        let partition = self.next;
        self.next += 1;
        if partition == 0 {
            return Ok(Some((
                self.call.clone(),
                self.first.take().unwrap_or_default(),
            )));
        }
        if partition >= self.count {
            return Ok(None);
        }
        let source = self.source;
        let mut answer = source
            .api
            .partition(&self.handle, partition)
            .await
            .map_err(|error| source.explain(error, self.database.as_deref()))?;
        let call = format!("{}?partition={partition}", self.call);
        let rows = answer
            .take_rows()
            .ok_or_else(|| unexpected(&call, "no data in the partition"))?;
        Ok(Some((call, rows)))
    }
}

/// A row of [`schemas_statement`]: database, schema, last change in epoch milliseconds.
fn schema(cells: Cells<'_>) -> Result<SchemaRef, CatalogError> {
    let changed_ms = cells.integer(2, "LAST_ALTERED")?;
    Ok(SchemaRef {
        database: cells.required(0, "CATALOG_NAME")?,
        schema: cells.required(1, "SCHEMA_NAME")?,
        changed_at: changed_ms.and_then(DateTime::from_timestamp_millis),
    })
}

/// The column of a [`relations_statement`] row; `None` for a relation without columns.
fn column(cells: &Cells<'_>) -> Option<Column> {
    let name = cells.text(4)?;
    Some(Column {
        name: name.to_string(),
        data_type: cells.text(5).unwrap_or_default().to_string(),
        comment: cells.text(6).map(str::to_string),
    })
}

/// One row's cells, read by position with the column named on failure.
struct Cells<'a> {
    call: &'a str,
    row: Row,
}

impl<'a> Cells<'a> {
    fn new(call: &'a str, row: Row, width: usize) -> Result<Self, CatalogError> {
        if row.len() < width {
            let detail = format!("a row has {} cells, expected {width}", row.len());
            return Err(unexpected(call, detail));
        }
        Ok(Cells { call, row })
    }

    fn text(&self, index: usize) -> Option<&str> {
        self.row.get(index).and_then(|cell| cell.as_deref())
    }

    fn required(&self, index: usize, column: &str) -> Result<String, CatalogError> {
        self.text(index)
            .map(str::to_string)
            .ok_or_else(|| unexpected(self.call, format!("{column} is NULL")))
    }

    fn integer(&self, index: usize, column: &str) -> Result<Option<i64>, CatalogError> {
        self.text(index)
            .map(|text| {
                text.parse()
                    .map_err(|_| unexpected(self.call, format!("{column} {text:?} is no integer")))
            })
            .transpose()
    }
}

/// `TABLE_TYPE` as Snowflake spells it; dynamic, event and temporary tables are tables.
fn kind(table_type: &str) -> RelationKind {
    match table_type {
        "VIEW" => RelationKind::View,
        "MATERIALIZED VIEW" => RelationKind::MaterializedView,
        "EXTERNAL TABLE" => RelationKind::External,
        _ => RelationKind::Table,
    }
}

/// The schemas of `database` with their last change in epoch milliseconds, so neither the
/// session's time zone nor its output format matters.
fn schemas_statement(database: &str) -> String {
    format!(
        "SELECT CATALOG_NAME, SCHEMA_NAME, DATE_PART(EPOCH_MILLISECOND, LAST_ALTERED)\n\
         FROM {}.INFORMATION_SCHEMA.SCHEMATA\n\
         WHERE SCHEMA_NAME <> 'INFORMATION_SCHEMA'\n\
         ORDER BY SCHEMA_NAME",
        quote(database)
    )
}

/// The relations of one schema of `database` (bound twice, as `?`) with their columns.
/// LEFT JOIN keeps relations without columns.
fn relations_statement(database: &str) -> String {
    let database = quote(database);
    format!(
        "WITH t AS (\n  \
           SELECT TABLE_NAME, TABLE_TYPE, COMMENT, ROW_COUNT\n  \
           FROM {database}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?\n\
         ), c AS (\n  \
           SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COMMENT, ORDINAL_POSITION\n  \
           FROM {database}.INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ?\n\
         )\n\
         SELECT t.TABLE_NAME, t.TABLE_TYPE, t.COMMENT, t.ROW_COUNT, c.COLUMN_NAME, c.DATA_TYPE, \
         c.COMMENT\n\
         FROM t LEFT JOIN c ON c.TABLE_NAME = t.TABLE_NAME\n\
         ORDER BY t.TABLE_NAME, c.ORDINAL_POSITION"
    )
}

/// What to grant `role` so it sees `database`'s catalog (any database when `None`).
fn grant(role: Option<&str>, database: Option<&str>) -> String {
    let role = role.unwrap_or("<role>");
    let database = database.map_or_else(|| "<database>".to_string(), quote);
    format!(
        "Grant it with: GRANT USAGE ON DATABASE {database} TO ROLE {role}; GRANT USAGE ON ALL \
         SCHEMAS IN DATABASE {database} TO ROLE {role} (a shared database needs GRANT IMPORTED \
         PRIVILEGES ON DATABASE {database} TO ROLE {role})"
    )
}

/// Snowflake's SQL error for an object the role may not use reads "does not exist or not
/// authorized" (or "Insufficient privileges"), not 403.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_types_map_to_kinds() {
        assert_eq!(kind("BASE TABLE"), RelationKind::Table);
        assert_eq!(kind("VIEW"), RelationKind::View);
        assert_eq!(kind("MATERIALIZED VIEW"), RelationKind::MaterializedView);
        assert_eq!(kind("EXTERNAL TABLE"), RelationKind::External);
        assert_eq!(kind("EVENT TABLE"), RelationKind::Table);
    }

    #[test]
    fn database_names_are_quoted_in_statements() {
        assert!(schemas_statement("Odd\"Db").contains("FROM \"Odd\"\"Db\".INFORMATION_SCHEMA"));
    }
}
