//! Connections and their sync records: what each configured connection is, and how each of
//! its sources' latest runs went.

use crate::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection};

/// A configured data connection as the store keeps it (no secrets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// Unique name from the config.
    pub name: String,
    /// Warehouse kind.
    pub kind: model::WarehouseKind,
    /// Default database for short names.
    pub default_database: Option<String>,
    /// Default schema for short names.
    pub default_schema: Option<String>,
    /// Base URL of the deployed dbt docs.
    pub docs_url: Option<String>,
    /// Where its dbt metadata comes from, for the status page.
    pub dbt_source: Option<String>,
    /// How the warehouse is reached, described without secrets.
    pub access: Option<String>,
}

impl Store {
    /// Adds or updates a connection; its data stays.
    pub async fn upsert_connection(&self, c: &ConnectionRecord) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO connections (name, kind, default_database, default_schema, docs_url, dbt_source, access, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, default_database = excluded.default_database,
               default_schema = excluded.default_schema, docs_url = excluded.docs_url,
               dbt_source = excluded.dbt_source, access = excluded.access, updated_at = excluded.updated_at",
        )
        .bind(c.name.clone())
        .bind(c.kind.as_str())
        .bind(c.default_database.clone())
        .bind(c.default_schema.clone())
        .bind(c.docs_url.clone())
        .bind(c.dbt_source.clone())
        .bind(c.access.clone())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a successful sync of a source that writes in several transactions (the
    /// warehouse catalog), so the status page shows it and a past failure no longer does.
    pub async fn record_success(
        &self,
        connection: &str,
        source: &str,
        started_at: &str,
        summary: &str,
    ) -> Result<(), StoreError> {
        self.record_sync(connection, source, started_at, None, summary)
            .await
    }

    /// Records a failed sync; the data of the last good one stays as it is.
    pub async fn record_failure(
        &self,
        connection: &str,
        source: &str,
        started_at: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        self.record_sync(connection, source, started_at, Some(error), "{}")
            .await
    }

    /// One sync record, on a connection of its own (outside any load's transaction).
    async fn record_sync(
        &self,
        connection: &str,
        source: &str,
        started_at: &str,
        error: Option<&str>,
        summary: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_sync(
            &mut conn,
            connection,
            source,
            started_at,
            error,
            &[],
            summary,
        )
        .await?;
        self.wrote();
        Ok(())
    }
}

pub(crate) async fn insert_sync(
    conn: &mut AnyConnection,
    connection: &str,
    source: &str,
    started_at: &str,
    error: Option<&str>,
    warnings: &[String],
    summary: &str,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO syncs (connection, source, started_at, finished_at, ok, error, warnings, summary)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(connection)
    .bind(source)
    .bind(started_at)
    .bind(now())
    .bind(error.is_none() as i64)
    .bind(error.map(|e| crate::batch::storable(e.to_string())))
    .bind(serde_json::to_string(warnings).unwrap_or_default())
    .bind(crate::batch::storable(summary.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored warehouse kind; one this version does not know (a newer one wrote the store) is
/// a decode error that names it, never another kind.
pub(crate) fn warehouse_kind(stored: &str) -> Result<model::WarehouseKind, sqlx::Error> {
    stored
        .parse()
        .map_err(|e: String| sqlx::Error::Decode(e.into()))
}

/// The current time as stored: RFC 3339 UTC with microseconds.
pub fn now() -> String {
    model::stamp(chrono::Utc::now())
}
