//! Planner statistics. Without them SQLite's planner guesses, and on this schema it guesses
//! wrong: it walks a whole connection's dbt nodes by primary key instead of the relation
//! index, and scans every warehouse relation to join a handful of keys (a table page went from
//! 0.3 ms to 5 ms). A sync replaces many rows at once, so each one refreshes the statistics of
//! the tables it changed enough to matter, before the next read plans without them.

use crate::{Backend, Store, StoreError};
use sqlx::Executor;

/// Rows SQLite samples per index; bounds the cost on a store with millions of history rows.
const SQLITE_ANALYSIS_LIMIT: u32 = 1000;

/// PostgreSQL: `ANALYZE` each table changed by more than a tenth of its rows (or 1,000 rows)
/// since it was last analyzed, as autovacuum's own threshold would, only sooner. One statement,
/// so the table names never leave the server.
const ANALYZE_CHANGED: &str = "DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT relname FROM pg_stat_user_tables
            WHERE n_mod_since_analyze > GREATEST(1000, n_live_tup / 10) LOOP
    EXECUTE format('ANALYZE %I', t);
  END LOOP;
END $$";

impl Store {
    /// Refreshes the planner's statistics of tables that changed enough to matter: SQLite's
    /// `PRAGMA optimize`, PostgreSQL's `ANALYZE` of each such table (both sampled). Costs a
    /// statement or two when nothing changed.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                let sql = format!(
                    "PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}; PRAGMA optimize = 0x10002"
                );
                self.pool.execute(sql.as_str()).await?;
            }
            Backend::Postgres => {
                self.pool.execute(ANALYZE_CHANGED).await?;
            }
        }
        Ok(())
    }
}
