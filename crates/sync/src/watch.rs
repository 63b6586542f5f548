//! Keeps the store current: reloads a connection's artifacts whenever dbt rewrites them.

use crate::{sync_dbt, DbtSource, SyncTarget};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use store::Store;

/// Size and modification time of every artifact: a cheap signal that dbt wrote new ones.
type Fingerprint = Vec<(PathBuf, Option<(u64, SystemTime)>)>;

fn fingerprint(source: &DbtSource) -> Fingerprint {
    let DbtSource::Local(paths) = source;
    paths
        .all()
        .map(|p| {
            let meta = std::fs::metadata(p).ok();
            let stamp = meta.and_then(|m| Some((m.len(), m.modified().ok()?)));
            (p.to_path_buf(), stamp)
        })
        .collect()
}

/// Checks every `interval` and syncs the connections whose artifacts changed since the last
/// check (the first check syncs only those changed since `initial` fingerprints were taken).
/// Runs until the task is dropped.
pub async fn watch(store: Store, targets: Vec<SyncTarget>, interval: Duration) {
    let mut seen: HashMap<String, Fingerprint> = targets
        .iter()
        .filter_map(|t| Some((t.connection.name.clone(), fingerprint(t.dbt.as_ref()?))))
        .collect();
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        for target in &targets {
            let Some(source) = &target.dbt else { continue };
            let now = fingerprint(source);
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
