//! The warehouse catalog: every database, schema, table and column a connection can see,
//! so the schema browser shows the warehouse as it is and dbt decorates what it manages.
//!
//! Each warehouse is one module implementing [`CatalogReader`]. A source first lists schemas
//! with, where the warehouse says, when each last changed; the sync then reads only the
//! schemas that changed, streaming their relations into the store.
#![deny(missing_docs)]

mod api;
pub mod bigquery;
pub mod databricks;
pub mod postgres;
pub mod snowflake;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One schema (BigQuery dataset) of one database (project, catalog).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaRef {
    /// Database, BigQuery project or Databricks catalog, as the warehouse stores it.
    pub database: String,
    /// Schema or dataset, as the warehouse stores it.
    pub schema: String,
    /// When anything in it last changed, if the warehouse tells (Snowflake `LAST_ALTERED`,
    /// BigQuery `lastModifiedTime`, Unity Catalog `updated_at`); `None` means "read it".
    pub changed_at: Option<DateTime<Utc>>,
}

/// What kind of relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    /// A table.
    Table,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// An external or foreign table.
    External,
}

impl RelationKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::View => "view",
            RelationKind::MaterializedView => "materialized_view",
            RelationKind::External => "external",
        }
    }
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Name as stored.
    pub name: String,
    /// Type as the warehouse spells it.
    pub data_type: String,
    /// Comment, if any.
    pub comment: Option<String>,
}

/// One table or view with its columns in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    /// Database, as stored.
    pub database: String,
    /// Schema, as stored.
    pub schema: String,
    /// Name, as stored.
    pub name: String,
    /// Table, view…
    pub kind: RelationKind,
    /// Comment, if any.
    pub comment: Option<String>,
    /// The warehouse's row estimate, if it keeps one.
    pub row_estimate: Option<i64>,
    /// Columns in ordinal order.
    pub columns: Vec<Column>,
}

/// Pages of relations flow from a source to the sync through this channel.
pub type RelationSink = tokio::sync::mpsc::Sender<Vec<Relation>>;

/// A warehouse whose catalog can be read.
#[async_trait]
pub trait CatalogReader: Send + Sync {
    /// A short description for errors: "postgres db.example.com:5432/analytics".
    fn describe(&self) -> String;

    /// Every schema the connection can see.
    async fn schemas(&self) -> Result<Vec<SchemaRef>, CatalogError>;

    /// The relations of `schema`, streamed in pages.
    async fn relations(&self, schema: &SchemaRef, sink: &RelationSink) -> Result<(), CatalogError>;
}

/// Why reading a catalog failed. Every variant names the call involved.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// 401 or a rejected login.
    #[error("{call}: 401 Unauthorized: {message}")]
    Unauthorized {
        /// The request or connection step.
        call: String,
        /// The warehouse's own words.
        message: String,
    },
    /// A missing privilege; `grant` says what to grant.
    #[error("{call}: 403 Forbidden: {message}. {grant}")]
    Forbidden {
        /// The request.
        call: String,
        /// The warehouse's own words.
        message: String,
        /// What to grant.
        grant: String,
    },
    /// Any other failure of a call, verbatim.
    #[error("{call}: {message}")]
    Failed {
        /// The request or query.
        call: String,
        /// What went wrong.
        message: String,
    },
    /// The sync stopped reading.
    #[error("the sync stopped reading relations")]
    Cancelled,
    /// The source cannot work as configured (a secret missing from the environment).
    #[error(transparent)]
    Misconfigured(#[from] model::Misconfigured),
}
