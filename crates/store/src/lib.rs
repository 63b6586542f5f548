//! Where downstream keeps what it learned: one SQLite file by default, PostgreSQL when shared.
//!
//! Both back ends run the same queries through `sqlx::Any` (placeholders are `$n`, which both
//! accept); each keeps its own `migrations/` for DDL. Writes of one source's data happen in one
//! transaction, so readers see the previous load or the new one, never half of one.
//!
//! ```no_run
//! # async fn demo() -> Result<(), store::StoreError> {
//! let store = store::Store::open("downstream.sqlite").await?;
//! for conn in store.connections().await? {
//!     println!("{}: {} tables", conn.name, conn.tables);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod batch;
mod connections;
mod dbt;
mod error;
mod graph;
mod hex;
mod history;
mod locks;
mod read;
mod sessions;
mod statistics;
mod views;
mod warehouse;

pub use connections::{now, ConnectionRecord};
pub use dbt::cloud::CloudRunRecord;
pub use dbt::state::{SyncedNode, SyncedProject};
pub use dbt::write::LoadCounts;
pub use error::StoreError;
pub use hex::pages::{
    HexCellDetail, HexProjectDetail, HexProjectOrder, HexProjectSummary, HexRelation, HexTableUse,
};
pub use hex::usage::HexUse;
pub use hex::write::{
    HexCellRecord, HexConnectionRecord, HexProjectCells, HexProjectRecord, HexReadMarks,
    HexWorkspaceRecord,
};
pub use history::{HistoryBatch, HistoryCounts, ProjectRecord, QueryRecord, RunRecord};
pub use locks::SyncLock;
pub use read::search::SearchIndex;
pub use sessions::SessionRecord;
pub use views::{
    BuildDetail, ColumnDetail, ConnectionOverview, FreshnessDetail, FreshnessPoint, NodeDetail,
    NodeRef, ProjectInfo, SchemaCount, SearchHit, StatusCounts, SyncRecord, TableDetail,
    TestDetail, TestRound, TreeDatabase, TreeSchema, TreeTable,
};
pub use warehouse::{StoredSchema, WarehouseColumn, WarehouseRelation, WarehouseTable};

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database is behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The store: a pool over SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    location: String,
    /// The last store version read; shared by clones, as the pool is.
    version: std::sync::Arc<graph::VersionMemo>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the store at a file path, `sqlite:` URL or
    /// `postgres://` URL.
    pub async fn open(location: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let (url, backend) = resolve_location(location)?;
        let redacted = error::redact_url(&url);
        let pool = pool_options(backend)
            .connect(&url)
            .await
            .map_err(|source| StoreError::Open {
                location: redacted.clone(),
                source,
            })?;
        if backend == Backend::Sqlite {
            // WAL lets readers go on while a sync writes; the mode is stored in the file.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        let store = Store {
            pool,
            backend,
            location: redacted,
            version: Default::default(),
        };
        // A store written before statistics were kept plans well from its first read. Only an
        // optimization: a writer holding the file or a role without ANALYZE must not stop
        // the store from opening.
        if let Err(e) = store.refresh_statistics().await {
            tracing::warn!("planner statistics not refreshed: {e}");
        }
        Ok(store)
    }
}

fn pool_options(backend: Backend) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
    match backend {
        Backend::Sqlite => options.max_connections(8).after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY")
                    .await?;
                Ok(())
            })
        }),
        Backend::Postgres => options.max_connections(16),
    }
}

/// Most values one `IN (…)` list binds: well under SQLite's and PostgreSQL's parameter limits.
pub(crate) const IN_LIST_CHUNK: usize = 500;

/// `$first, $first+1, …`: placeholders for `n` values bound after a query's fixed parameters.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text values bound in order as `$1, $2, …`: for statements whose parameter count varies
/// (`IN` lists, optional filters), with `sqlx::query_with` or `query_as_with`.
pub(crate) fn text_args<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<sqlx::any::AnyArguments<'static>, StoreError> {
    use sqlx::Arguments;
    let mut args = sqlx::any::AnyArguments::default();
    for value in values {
        args.add(value.to_string()).map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

/// A bare path becomes a `sqlite:` URL that creates the file when missing.
fn resolve_location(location: &str) -> Result<(String, Backend), StoreError> {
    let location = location.trim();
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Ok((location.to_string(), Backend::Postgres));
    }
    if let Some(rest) = location.strip_prefix("sqlite:") {
        let url = if rest.contains("mode=") {
            location.to_string()
        } else {
            let sep = if rest.contains('?') { '&' } else { '?' };
            format!("{location}{sep}mode=rwc")
        };
        return Ok((url, Backend::Sqlite));
    }
    if location.is_empty() || location.contains("://") {
        return Err(StoreError::BadLocation(location.to_string()));
    }
    Ok((format!("sqlite://{location}?mode=rwc"), Backend::Sqlite))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_pick_the_back_end() {
        assert_eq!(
            resolve_location("data/ds.sqlite").unwrap(),
            ("sqlite://data/ds.sqlite?mode=rwc".into(), Backend::Sqlite)
        );
        assert_eq!(
            resolve_location("postgres://u@h/db").unwrap().1,
            Backend::Postgres
        );
        assert_eq!(
            resolve_location("sqlite:x.db").unwrap().0,
            "sqlite:x.db?mode=rwc".to_string()
        );
        assert!(resolve_location("mysql://x").is_err());
    }
}
