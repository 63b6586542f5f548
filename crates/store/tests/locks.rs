//! One sync of a source at a time, across processes, on both back ends.

use crate::both;
use std::time::Duration;

/// The lease of a dropped SQLite lock is removed by a task; give it a moment.
async fn retake(store: &store::Store, key: &str) -> store::SyncLock {
    for _ in 0..50 {
        if let Some(lock) = store.try_lock_sync(key).await.unwrap() {
            return lock;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{key} was not released");
}

both!(a_sync_lock_is_held_until_dropped, |store: store::Store| async move {
    let first = store.try_lock_sync("dbt:warehouse").await.unwrap();
    assert!(first.is_some());
    assert!(
        store.try_lock_sync("dbt:warehouse").await.unwrap().is_none(),
        "a second taker waits"
    );
    let other = store.try_lock_sync("history:warehouse:prod").await.unwrap();
    assert!(other.is_some(), "other syncs are not held up");
    drop(first);
    let again = retake(&store, "dbt:warehouse").await;
    drop(again);
});
