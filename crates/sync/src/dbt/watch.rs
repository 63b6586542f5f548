//! Keeps the store current: reloads a connection's local artifacts whenever dbt rewrites them.

use crate::{sync_dbt, DbtSource, DbtTarget};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use store::Store;

/// Size and modification time of every artifact: a cheap signal that dbt wrote new ones.
type Fingerprint = Vec<(PathBuf, Option<(u64, SystemTime)>)>;

/// None for dbt Cloud, which has its own schedule.
fn fingerprint(source: &DbtSource) -> Option<Fingerprint> {
    let DbtSource::Local(paths) = source else {
        return None;
    };
    let stamps = paths
        .all()
        .map(|p| {
            let meta = std::fs::metadata(p).ok();
            let stamp = meta.and_then(|m| Some((m.len(), m.modified().ok()?)));
            (p.to_path_buf(), stamp)
        })
        .collect();
    Some(stamps)
}

/// Checks every `interval` and syncs the connections whose artifacts changed since the previous
/// check. The first fingerprints are taken when `watch` is called, not when the returned future
/// first runs, so files written in between are not missed. Runs until the task is aborted.
pub fn watch(
    store: Store,
    targets: Vec<DbtTarget>,
    interval: Duration,
) -> impl std::future::Future<Output = ()> + Send {
    let seen: HashMap<String, Fingerprint> = targets
        .iter()
        .filter_map(|t| Some((t.connection.name.clone(), fingerprint(t.dbt.as_ref()?)?)))
        .collect();
    poll(store, targets, interval, seen)
}

async fn poll(
    store: Store,
    targets: Vec<DbtTarget>,
    interval: Duration,
    mut seen: HashMap<String, Fingerprint>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        for target in &targets {
            let Some(now) = target.dbt.as_ref().and_then(fingerprint) else {
                continue;
            };
            if seen.get(&target.connection.name) == Some(&now) {
                continue;
            }
            seen.insert(target.connection.name.clone(), now);
            match sync_dbt(&store, target).await {
                Ok(_) => {
                    tracing::info!(connection = %target.connection.name, "dbt artifacts changed: reloaded")
                }
                Err(err) => {
                    tracing::error!(connection = %target.connection.name, "reload failed, keeping the last good data: {err}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbt::ArtifactPaths;
    use std::path::Path;
    use store::ConnectionRecord;

    fn copy_artifacts(from: &Path, to: &Path) {
        for f in [
            "manifest.json",
            "catalog.json",
            "run_results.json",
            "sources.json",
        ] {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }

    #[tokio::test]
    async fn new_artifacts_are_picked_up_without_a_restart() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = tempfile::tempdir().unwrap();
        copy_artifacts(
            &repo.join("examples/jaffle_analytics/artifacts"),
            dir.path(),
        );
        let store = Store::open(dir.path().join("s.sqlite").to_str().unwrap())
            .await
            .unwrap();
        let target = DbtTarget {
            connection: ConnectionRecord {
                name: "wh".into(),
                kind: model::WarehouseKind::Postgres,
                default_database: None,
                default_schema: None,
                docs_url: None,
                dbt_source: None,
                access: None,
            },
            dbt: Some(DbtSource::Local(ArtifactPaths::from_target_dir(dir.path()))),
        };
        sync_dbt(&store, &target).await.unwrap();
        let version = |s: &Store| {
            let s = s.clone();
            async move {
                s.connection("wh")
                    .await
                    .unwrap()
                    .project
                    .unwrap()
                    .dbt_version
                    .unwrap()
            }
        };
        assert!(version(&store).await.starts_with("1.11"));

        let watcher = tokio::spawn(watch(
            store.clone(),
            vec![target],
            Duration::from_millis(50),
        ));
        // dbt 1.4 rewrites the target directory.
        copy_artifacts(&repo.join("crates/dbt/tests/fixtures/dbt-1.4"), dir.path());
        let mut seen = String::new();
        for _ in 0..100 {
            seen = version(&store).await;
            if seen.starts_with("1.4") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        watcher.abort();
        assert!(seen.starts_with("1.4"), "still {seen}");
    }
}
