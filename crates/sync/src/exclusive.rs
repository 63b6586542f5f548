//! One run of a sync at a time, across every process sharing the store.

use store::{Store, StoreError, SyncLock};

/// Another process is running this sync right now.
#[derive(Debug, thiserror::Error)]
#[error("another process is running the {what} now; this run was skipped and the next one will try again")]
pub struct Busy {
    /// Which sync, e.g. "dbt sync of warehouse".
    pub what: String,
}

/// The lock of `key`, or [`Busy`] naming `what` when another process holds it.
pub(crate) async fn exclusive(
    store: &Store,
    key: &str,
    what: impl FnOnce() -> String,
) -> Result<Result<SyncLock, Busy>, StoreError> {
    Ok(store
        .try_lock_sync(key)
        .await?
        .ok_or_else(|| Busy { what: what() }))
}
