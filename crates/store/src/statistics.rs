//! Planner statistics. Without them SQLite's planner guesses, and on this schema it guesses
//! wrong: it walks a whole connection's dbt nodes by primary key instead of the relation
//! index, and scans every warehouse relation to join a handful of keys (a table page went from
//! 0.3 ms to 5 ms). A sync replaces many rows at once, so each one refreshes the statistics.

use crate::{Backend, Store, StoreError};
use sqlx::Executor;

/// Rows SQLite samples per index; bounds the cost on a store with millions of history rows.
const SQLITE_ANALYSIS_LIMIT: u32 = 1000;

impl Store {
    /// Refreshes the planner's statistics where the data changed enough to matter: SQLite's
    /// `PRAGMA optimize` (every table, sampled) or PostgreSQL's `ANALYZE` (sampled too).
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}; PRAGMA optimize = 0x10002"
            ),
            Backend::Postgres => "ANALYZE".to_string(),
        };
        self.pool.execute(sql.as_str()).await?;
        Ok(())
    }
}
