//! One run of a sync at a time, across every process sharing the store.

use store::{Store, StoreError};

/// Another process is running this sync right now.
#[derive(Debug, thiserror::Error)]
#[error("another process is running the {what} now; this run was skipped and the next one will try again")]
pub struct Busy {
    /// Which sync, e.g. "dbt sync of warehouse".
    pub what: String,
}

/// Runs `body` holding the lock of `key`, released before returning, then refreshes the
/// planner's statistics for what it wrote; [`Busy`] naming `what` when another process holds it.
pub(crate) async fn exclusive<T, E>(
    store: &Store,
    key: &str,
    what: impl FnOnce() -> String,
    body: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E>
where
    E: From<Busy> + From<StoreError>,
{
    let Some(lock) = store.try_lock_sync(key).await? else {
        return Err(Busy { what: what() }.into());
    };
    let out = body.await;
    lock.release().await;
    if out.is_ok() {
        // The sync itself succeeded; statistics only speed up the reads that follow.
        if let Err(e) = store.refresh_statistics().await {
            tracing::warn!("{}: planner statistics not refreshed: {e}", what());
        }
    }
    out
}
