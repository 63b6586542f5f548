//! One sync of a source at a time across every process sharing the store, while readers go
//! on: PostgreSQL holds a session advisory lock on a connection of its own (released when
//! that connection closes, even if the process dies); SQLite takes a lease row that expires.

use crate::{Backend, Store, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::Any;
use xxhash_rust::xxh3::xxh3_64;

/// How long a SQLite lease lasts before another process may take it over.
const LEASE_MINUTES: i64 = 120;

/// Held while a sync runs. [`SyncLock::release`] lets the next one in at once; a lock only
/// dropped (a sync that panicked or was cancelled) is released in the background.
pub struct SyncLock {
    hold: Option<Hold>,
}

enum Hold {
    /// The connection that owns the advisory lock, and its key.
    Advisory { conn: PoolConnection<Any>, id: i64 },
    /// A lease row, removed on drop by a background task.
    Lease {
        store: Store,
        key: String,
        holder: String,
    },
}

impl std::fmt::Debug for SyncLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncLock")
    }
}

impl SyncLock {
    /// Releases the lock before returning, so a sync started right after finds it free.
    pub async fn release(mut self) {
        match self.hold.take() {
            Some(Hold::Advisory { mut conn, id }) => {
                let unlocked = sqlx::query::<Any>("SELECT pg_advisory_unlock($1)")
                    .bind(id)
                    .execute(&mut *conn)
                    .await;
                if unlocked.is_err() {
                    // Closing the session releases every lock it held.
                    conn.close_on_drop();
                }
            }
            Some(Hold::Lease { store, key, holder }) => store.release_lease(&key, &holder).await,
            None => {}
        }
    }
}

impl Drop for SyncLock {
    fn drop(&mut self) {
        match &mut self.hold {
            Some(Hold::Advisory { conn, .. }) => conn.close_on_drop(),
            Some(Hold::Lease { store, key, holder }) => {
                let (store, key, holder) = (store.clone(), key.clone(), holder.clone());
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move { store.release_lease(&key, &holder).await });
                }
            }
            None => {}
        }
    }
}

impl Store {
    /// Takes the lock of `key` (e.g. `dbt:warehouse`), or `None` when another sync holds it.
    pub async fn try_lock_sync(&self, key: &str) -> Result<Option<SyncLock>, StoreError> {
        match self.backend {
            Backend::Postgres => self.advisory_lock(key).await,
            Backend::Sqlite => self.lease(key).await,
        }
    }

    async fn advisory_lock(&self, key: &str) -> Result<Option<SyncLock>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        // Advisory keys are 64-bit; a hash of the name keeps them stable across processes.
        let id = xxh3_64(key.as_bytes()) as i64;
        let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(taken.then_some(SyncLock {
            hold: Some(Hold::Advisory { conn, id }),
        }))
    }

    async fn lease(&self, key: &str) -> Result<Option<SyncLock>, StoreError> {
        let now = chrono::Utc::now();
        let holder = format!("{}:{}", std::process::id(), model::stamp(now));
        let expires = model::stamp(now + chrono::Duration::minutes(LEASE_MINUTES));
        let taken = sqlx::query::<Any>(
            "INSERT INTO sync_leases (lease, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (lease) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE sync_leases.expires_at < $4",
        )
        .bind(key.to_string())
        .bind(holder.clone())
        .bind(expires.clone())
        .bind(model::stamp(now))
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        let taken = taken || self.take_from_the_dead(key, &holder, &expires).await?;
        Ok(taken.then(|| SyncLock {
            hold: Some(Hold::Lease {
                store: self.clone(),
                key: key.to_string(),
                holder,
            }),
        }))
    }

    /// A SQLite file is shared by processes of one machine: a lease whose process is gone
    /// (killed mid-sync) is taken over at once instead of blocking syncs until it expires.
    async fn take_from_the_dead(
        &self,
        key: &str,
        holder: &str,
        expires: &str,
    ) -> Result<bool, StoreError> {
        let current: Option<(String,)> =
            sqlx::query_as("SELECT holder FROM sync_leases WHERE lease = $1")
                .bind(key.to_string())
                .fetch_optional(&self.pool)
                .await?;
        let Some((current,)) = current else {
            return Ok(false);
        };
        let pid = current
            .split(':')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_none_or(|pid| pid == std::process::id() || process_alive(pid)) {
            return Ok(false);
        }
        let moved = sqlx::query::<Any>(
            "UPDATE sync_leases SET holder = $3, expires_at = $4 WHERE lease = $1 AND holder = $2",
        )
        .bind(key.to_string())
        .bind(current)
        .bind(holder.to_string())
        .bind(expires.to_string())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(moved == 1)
    }

    async fn release_lease(&self, key: &str, holder: &str) {
        let released =
            sqlx::query::<Any>("DELETE FROM sync_leases WHERE lease = $1 AND holder = $2")
                .bind(key.to_string())
                .bind(holder.to_string())
                .execute(&self.pool)
                .await;
        if let Err(e) = released {
            tracing::warn!(
                key,
                "could not release the sync lease (it expires by itself): {e}"
            );
        }
    }
}

/// Whether a process runs on this machine; where that cannot be told, it is assumed alive
/// and its lease simply expires.
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}
