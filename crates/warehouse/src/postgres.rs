//! PostgreSQL and Redshift over the wire protocol: the catalog of the connected database.
//!
//! One query per schema returns every relation with its columns in order (relations of any
//! size stream: rows are grouped as they arrive). Neither keeps a per-schema change time, so
//! every schema is read on each sync; a connection sees only its own database.
//!
//! PostgreSQL is read from `pg_catalog`. Redshift is read from the views AWS documents for
//! it, because `pg_catalog` misses what a dbt project there often has: `SVV_TABLES` lists
//! local and external (Spectrum) tables and views, `SVV_COLUMNS` has the columns of
//! late-binding views (dbt-redshift's `bind: false`), which `pg_attribute` never holds, and
//! `SVV_TABLE_INFO.tbl_rows` is the row count (`reltuples` is not one there).
//! Views: <https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_TABLES.html>,
//! <https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_COLUMNS.html>,
//! <https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_TABLE_INFO.html>.

use crate::{CatalogError, CatalogReader, Column, Relation, RelationKind, RelationSink, SchemaRef};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use model::Secret;
use sqlx::{Connection, PgConnection, Row};

/// Relations sent per page.
const PAGE: usize = 256;

/// Which catalog the server keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// PostgreSQL: `pg_catalog`.
    Postgres,
    /// Amazon Redshift: the `SVV_*` views.
    Redshift,
}

/// The catalog of the database a `postgres://` URL names.
#[derive(Debug)]
pub struct PostgresCatalog {
    url: Url,
    flavour: Flavour,
    /// The connection of the current sync: `schemas` opens it, each schema's read reuses it,
    /// so a sync of hundreds of schemas costs one handshake.
    conn: tokio::sync::Mutex<Option<PgConnection>>,
}

/// The URL, or the environment variable that will hold it when a sync runs (so a server
/// starts without it and shows the missing variable on the connection's status page).
#[derive(Clone, Debug)]
enum Url {
    Given(Secret),
    Env(String),
}

impl PostgresCatalog {
    /// Reads through `url` (any role that can see the schemas: `pg_catalog` shows only what
    /// the role may use).
    pub fn new(url: Secret) -> Self {
        PostgresCatalog {
            url: Url::Given(url),
            flavour: Flavour::Postgres,
            conn: tokio::sync::Mutex::new(None),
        }
    }

    /// Reads through the URL in environment variable `variable`, looked up at each sync.
    pub fn from_env(variable: impl Into<String>) -> Self {
        PostgresCatalog {
            url: Url::Env(variable.into()),
            flavour: Flavour::Postgres,
            conn: tokio::sync::Mutex::new(None),
        }
    }

    /// Reads the catalog `flavour` keeps.
    pub fn with_flavour(mut self, flavour: Flavour) -> Self {
        self.flavour = flavour;
        self
    }

    fn queries(&self) -> (&'static str, &'static str) {
        match self.flavour {
            Flavour::Postgres => (SCHEMAS, RELATIONS),
            Flavour::Redshift => (REDSHIFT_SCHEMAS, REDSHIFT_RELATIONS),
        }
    }

    async fn connect(&self) -> Result<PgConnection, CatalogError> {
        let url = match &self.url {
            Url::Given(url) => url.clone(),
            Url::Env(variable) => Secret::from_env(variable)
                .map_err(|m| m.with_hint("set it to the warehouse's postgres:// URL"))?,
        };
        PgConnection::connect(url.expose())
            .await
            .map_err(|e| failed("connecting", &e))
    }
}

const SCHEMAS: &str = "SELECT current_database(), n.nspname FROM pg_namespace n
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'
   AND has_schema_privilege(n.oid, 'USAGE')
 ORDER BY 2";

/// Every relation of one schema with its columns, in name then column order. LEFT JOIN keeps
/// relations without columns.
const RELATIONS: &str =
    "SELECT c.relname::text, c.relkind::text, obj_description(c.oid, 'pg_class'),
       c.reltuples::float8, a.attname::text, format_type(a.atttypid, a.atttypmod),
       col_description(c.oid, a.attnum)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
 ORDER BY c.relname, a.attnum";

/// Redshift's schemas with a relation the user may see, local and external.
const REDSHIFT_SCHEMAS: &str = "SELECT DISTINCT current_database()::text, t.table_schema::text
  FROM svv_tables t
 WHERE t.table_catalog = current_database()
   AND t.table_schema NOT IN ('pg_catalog', 'information_schema', 'pg_internal', 'pg_automv')
   AND t.table_schema NOT LIKE 'pg_temp_%'
 ORDER BY 2";

/// One Redshift schema's relations and columns, in the same column order as [`RELATIONS`]:
/// the kind as SVV_TABLES says it (`BASE TABLE`, `VIEW`, `EXTERNAL TABLE`), the type with its
/// length or precision, and the row count where SVV_TABLE_INFO shows one (only to users who
/// may see it; never for empty tables).
const REDSHIFT_RELATIONS: &str = "SELECT t.table_name::text, t.table_type::text, t.remarks::text,
       i.tbl_rows::float8, c.column_name::text,
       (c.data_type || CASE
          WHEN c.character_maximum_length IS NOT NULL THEN '(' || c.character_maximum_length || ')'
          WHEN c.data_type = 'numeric' AND c.numeric_precision IS NOT NULL
            THEN '(' || c.numeric_precision || ',' || COALESCE(c.numeric_scale, 0) || ')'
          ELSE '' END)::text,
       c.remarks::text
  FROM svv_tables t
  LEFT JOIN svv_columns c ON c.table_catalog = t.table_catalog
   AND c.table_schema = t.table_schema AND c.table_name = t.table_name
  LEFT JOIN svv_table_info i ON i.\"database\" = t.table_catalog
   AND i.\"schema\" = t.table_schema AND i.\"table\" = t.table_name
 WHERE t.table_catalog = current_database() AND t.table_schema = $1
 ORDER BY t.table_name, c.ordinal_position";

#[async_trait]
impl CatalogReader for PostgresCatalog {
    fn describe(&self) -> String {
        match self.flavour {
            Flavour::Postgres => "postgres catalog".to_string(),
            Flavour::Redshift => "redshift catalog".to_string(),
        }
    }

    async fn schemas(&self) -> Result<Vec<SchemaRef>, CatalogError> {
        let mut slot = self.conn.lock().await;
        // Each sync starts here with a fresh connection: one left from the last sync, many
        // minutes ago, may have been closed by the server.
        *slot = None;
        let conn = slot.insert(self.connect().await?);
        let rows = sqlx::query(self.queries().0)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| failed("listing schemas", &e))?;
        rows.iter()
            .map(|row| {
                Ok(SchemaRef {
                    database: row.try_get(0).map_err(|e| failed("listing schemas", &e))?,
                    schema: row.try_get(1).map_err(|e| failed("listing schemas", &e))?,
                    changed_at: None,
                })
            })
            .collect()
    }

    async fn relations(&self, schema: &SchemaRef, sink: &RelationSink) -> Result<(), CatalogError> {
        let mut slot = self.conn.lock().await;
        let conn = match slot.take() {
            Some(conn) => slot.insert(conn),
            None => slot.insert(self.connect().await?),
        };
        let read = read_schema(conn, self.queries().1, schema, sink).await;
        if read.is_err() {
            // The connection may be what failed: the next schema opens a new one.
            *slot = None;
        }
        read
    }
}

/// Streams one schema's relations, grouping column rows as they arrive.
async fn read_schema(
    conn: &mut PgConnection,
    query: &str,
    schema: &SchemaRef,
    sink: &RelationSink,
) -> Result<(), CatalogError> {
    let call = format!("reading schema {}", schema.schema);
    let mut rows = sqlx::query(query).bind(&schema.schema).fetch(conn);
    let mut page: Vec<Relation> = Vec::with_capacity(PAGE);
    let mut current: Option<Relation> = None;
    while let Some(row) = rows.try_next().await.map_err(|e| failed(&call, &e))? {
        let name: String = row.try_get(0).map_err(|e| failed(&call, &e))?;
        if current.as_ref().is_none_or(|r| r.name != name) {
            if let Some(done) = current.take() {
                push(&mut page, done, sink).await?;
            }
            current = Some(relation(schema, name, &row).map_err(|e| failed(&call, &e))?);
        }
        if let (Some(relation), Some(column)) = (
            current.as_mut(),
            column(&row).map_err(|e| failed(&call, &e))?,
        ) {
            relation.columns.push(column);
        }
    }
    if let Some(done) = current.take() {
        page.push(done);
    }
    if !page.is_empty() {
        sink.send(page).await.map_err(|_| CatalogError::Cancelled)?;
    }
    Ok(())
}

fn relation(
    schema: &SchemaRef,
    name: String,
    row: &sqlx::postgres::PgRow,
) -> Result<Relation, sqlx::Error> {
    let kind: String = row.try_get(1)?;
    let estimate: Option<f64> = row.try_get(3)?;
    Ok(Relation {
        database: schema.database.clone(),
        schema: schema.schema.clone(),
        name,
        kind: match kind.as_str() {
            "v" | "VIEW" => RelationKind::View,
            "m" => RelationKind::MaterializedView,
            "f" | "EXTERNAL TABLE" => RelationKind::External,
            _ => RelationKind::Table,
        },
        comment: row.try_get(2)?,
        // -1 means "never analysed" (PostgreSQL 14+): unknown, not empty.
        row_estimate: estimate.filter(|e| *e >= 0.0).map(|e| e as i64),
        columns: Vec::new(),
    })
}

fn column(row: &sqlx::postgres::PgRow) -> Result<Option<Column>, sqlx::Error> {
    let Some(name) = row.try_get::<Option<String>, _>(4)? else {
        return Ok(None);
    };
    Ok(Some(Column {
        name,
        data_type: row.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
        comment: row.try_get(6)?,
    }))
}

async fn push(
    page: &mut Vec<Relation>,
    relation: Relation,
    sink: &RelationSink,
) -> Result<(), CatalogError> {
    page.push(relation);
    if page.len() >= PAGE {
        let full = std::mem::replace(page, Vec::with_capacity(PAGE));
        sink.send(full).await.map_err(|_| CatalogError::Cancelled)?;
    }
    Ok(())
}

/// A database error, with the privilege to grant when it is one.
fn failed(call: &str, e: &sqlx::Error) -> CatalogError {
    let message = e.to_string();
    if message.contains("permission denied") {
        return CatalogError::Forbidden {
            call: call.to_string(),
            message,
            grant: "GRANT USAGE ON SCHEMA <schema> TO the role downstream connects as".to_string(),
        };
    }
    if message.contains("password authentication failed") {
        return CatalogError::Unauthorized {
            call: call.to_string(),
            message,
        };
    }
    CatalogError::Failed {
        call: call.to_string(),
        message,
    }
}
