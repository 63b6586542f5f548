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

both!(
    a_sync_lock_is_held_until_dropped,
    |store: store::Store| async move {
        let first = store.try_lock_sync("dbt:warehouse").await.unwrap();
        assert!(first.is_some());
        assert!(
            store
                .try_lock_sync("dbt:warehouse")
                .await
                .unwrap()
                .is_none(),
            "a second taker waits"
        );
        let other = store.try_lock_sync("history:warehouse:prod").await.unwrap();
        assert!(other.is_some(), "other syncs are not held up");
        drop(first);
        let again = retake(&store, "dbt:warehouse").await;
        drop(again);
    }
);

/// What a sync killed mid-way leaves in a SQLite store: a lease of a process that is gone.
/// (On PostgreSQL the advisory lock goes with the dead process's connection.)
#[tokio::test]
async fn a_sqlite_lease_left_by_a_dead_process_is_taken_over() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let store = store::Store::open(path.to_str().unwrap()).await.unwrap();
    let url = format!("sqlite:{}", path.display());
    let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO sync_leases (lease, holder, expires_at) VALUES ('dbt:warehouse', '4194303999:2026-11-23T00:00:00Z', '2999-01-01T00:00:00Z')",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    let lock = store.try_lock_sync("dbt:warehouse").await.unwrap();
    assert!(
        lock.is_some(),
        "the dead holder does not block the next sync"
    );
}
