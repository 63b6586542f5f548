//! Every schedule `serve` keeps, in one place: local dbt artifacts are watched, dbt Cloud
//! and Hex run at their own intervals, catalogs and query history at the deployment's. Each
//! loop runs one source at a time; a failure is recorded on the status page, logged, and
//! retried next round with the last good data kept.

use crate::dbt::watch;
use crate::{sync_catalog, sync_dbt, sync_hex, sync_history, DbtSource, Sources};
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::task::JoinHandle;

/// How often the sources without an interval of their own run (dbt Cloud and Hex targets
/// carry theirs).
#[derive(Clone, Copy, Debug)]
pub struct Intervals {
    /// Between looks at local dbt artifacts; they are reloaded only when they changed.
    pub artifacts: Duration,
    /// Between warehouse catalog reads.
    pub catalogs: Duration,
    /// Between query-history rounds.
    pub history: Duration,
}

impl Sources {
    /// Starts one loop per schedule; abort the handles to stop them. dbt metadata and
    /// catalogs wait a round first (`serve` runs them before it answers, or was told not
    /// to); history and Hex start at once unless `wait_first`.
    pub fn schedule(
        &self,
        store: &Store,
        every: Intervals,
        wait_first: bool,
    ) -> Vec<JoinHandle<()>> {
        let mut loops = vec![tokio::spawn(watch(
            store.clone(),
            self.dbt.clone(),
            every.artifacts,
        ))];
        loops.extend(self.cloud_loops(store));
        loops.extend(self.catalog_loops(store, every.catalogs));
        loops.extend(self.history_loop(store, every.history, wait_first));
        loops.extend(self.hex_loops(store, wait_first));
        loops
    }

    fn cloud_loops(&self, store: &Store) -> Vec<JoinHandle<()>> {
        let clouds = self.dbt.iter().filter_map(|target| match &target.dbt {
            Some(DbtSource::Cloud(cloud)) => Some((target.clone(), cloud.refresh_seconds)),
            _ => None,
        });
        clouds
            .map(|(target, seconds)| {
                let store = store.clone();
                repeat(Duration::from_secs(seconds), true, move || {
                    let (store, target) = (store.clone(), target.clone());
                    async move {
                        let name = &target.connection.name;
                        match sync_dbt(&store, &target).await {
                            Ok(Some(_)) => tracing::info!(connection = %name, "new dbt Cloud run loaded"),
                            Ok(None) => tracing::debug!(connection = %name, "dbt Cloud run unchanged"),
                            Err(e) => tracing::warn!(connection = %name, "dbt Cloud refresh failed, keeping the last good data: {e}"),
                        }
                    }
                })
            })
            .collect()
    }

    fn catalog_loops(&self, store: &Store, interval: Duration) -> Vec<JoinHandle<()>> {
        self.catalogs
            .iter()
            .map(|target| {
                let (store, target) = (store.clone(), target.clone());
                repeat(interval, true, move || {
                    let (store, target) = (store.clone(), target.clone());
                    async move {
                        if let Err(e) = sync_catalog(&store, &target).await {
                            tracing::warn!(connection = %target.connection, "warehouse catalog failed, keeping the last good one: {e}");
                        }
                    }
                })
            })
            .collect()
    }

    /// One loop for every history source, so two sources of one warehouse never read it at
    /// once.
    fn history_loop(
        &self,
        store: &Store,
        interval: Duration,
        wait_first: bool,
    ) -> Option<JoinHandle<()>> {
        if self.history.is_empty() {
            return None;
        }
        let (store, targets) = (store.clone(), self.history.clone());
        Some(repeat(interval, wait_first, move || {
            let (store, targets) = (store.clone(), targets.clone());
            async move {
                for target in &targets {
                    let progress = Arc::new(AtomicU64::new(0));
                    let (connection, environment) = (&target.connection, &target.environment);
                    match sync_history(&store, target, progress).await {
                        Ok(s) => tracing::info!(
                            %connection,
                            %environment,
                            rows = s.rows,
                            hex_rows = s.hex_rows,
                            new_runs = s.stored.new_runs,
                            new_edges = s.stored.new_edges,
                            "history synced"
                        ),
                        Err(e) => tracing::warn!(
                            %connection,
                            %environment,
                            "history sync failed, keeping the last good data: {e}"
                        ),
                    }
                }
            }
        }))
    }

    fn hex_loops(&self, store: &Store, wait_first: bool) -> Vec<JoinHandle<()>> {
        self.hex
            .iter()
            .map(|target| {
                let (store, target) = (store.clone(), target.clone());
                repeat(target.refresh, wait_first, move || {
                    let (store, target) = (store.clone(), target.clone());
                    async move {
                        match sync_hex(&store, &target).await {
                            Ok(s) => tracing::info!(
                                workspace = %target.workspace,
                                projects = s.projects,
                                read = s.projects_read,
                                sql_edges = s.sql_edges,
                                "Hex synced"
                            ),
                            Err(e) => {
                                tracing::warn!("Hex sync failed, keeping the last good data: {e}")
                            }
                        }
                    }
                })
            })
            .collect()
    }
}

/// Runs `job` every `interval`, the first time at once unless `wait_first`.
fn repeat<F, Fut>(interval: Duration, wait_first: bool, mut job: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        if wait_first {
            tokio::time::sleep(interval).await;
        }
        loop {
            job().await;
            tokio::time::sleep(interval).await;
        }
    })
}
