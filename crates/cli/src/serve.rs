//! `downstream serve`: the server plus one refresh loop per source, each on its own schedule.
//! Syncs write in single transactions, so pages keep answering from the last good data while
//! a loop runs.

use crate::config::Config;
use crate::hex_config::HexSource;
use anyhow::Result;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use sync::DbtSource;
use tokio::task::JoinHandle;

/// Starts every loop, serves until Ctrl-C, then stops the loops.
pub async fn run(config: Config, store: Store, bind: SocketAddr, no_sync: bool) -> Result<()> {
    let sources = config.sources();
    if !no_sync {
        sources
            .metadata()
            .run(&store, &crate::report::Printer::default())
            .await;
    }
    let refresher = server::Refresher::new(sources);
    let mut loops = vec![
        tokio::spawn(sync::watch(
            store.clone(),
            config.targets.clone(),
            Duration::from_secs(config.refresh_seconds),
        )),
        tokio::spawn(crate::history::refresh(
            store.clone(),
            config.history.clone(),
            Duration::from_secs(config.history_refresh_seconds),
            no_sync,
        )),
    ];
    loops.extend(catalog_loops(&store, &config));
    loops.extend(cloud_loops(&store, &config));
    loops.extend(config.hex.iter().map(|h| hex_loop(&store, h, no_sync)));
    let mut state = server::AppState::new(store);
    state.window_days = config.window_days;
    state.refresher = Some(Arc::new(refresher));
    state.auth = config.auth.clone().map(Arc::new);
    if let Some(turns) = config.max_concurrent_requests {
        state = state.with_turns(turns);
    }
    let served = crate::serve(state, bind).await;
    for task in loops {
        task.abort();
    }
    served
}

/// Runs `job` every `interval`, the first time at once unless `wait_first`.
fn every<F, Fut>(interval: Duration, wait_first: bool, mut job: F) -> JoinHandle<()>
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

/// Catalogs were read at start-up with the dbt metadata: the loop waits a round first.
fn catalog_loops(store: &Store, config: &Config) -> Vec<JoinHandle<()>> {
    let interval = Duration::from_secs(config.introspect_seconds);
    config
        .introspect
        .iter()
        .map(|target| {
            let (store, target) = (store.clone(), target.clone());
            every(interval, true, move || {
                let (store, target) = (store.clone(), target.clone());
                async move {
                    if let Err(e) = sync::sync_warehouse(&store, &target).await {
                        tracing::warn!(connection = %target.connection, "warehouse catalog failed, keeping the last good one: {e}");
                    }
                }
            })
        })
        .collect()
}

/// Each dbt Cloud connection checks for a new docs run on its own schedule; the start-up sync
/// (or `--no-sync`) covers the first round.
fn cloud_loops(store: &Store, config: &Config) -> Vec<JoinHandle<()>> {
    config
        .targets
        .iter()
        .filter_map(|target| match &target.dbt {
            Some(DbtSource::Cloud(cloud)) => Some((target.clone(), cloud.refresh_seconds)),
            _ => None,
        })
        .map(|(target, seconds)| {
            let store = store.clone();
            every(Duration::from_secs(seconds), true, move || {
                let (store, target) = (store.clone(), target.clone());
                async move {
                    match sync::sync_dbt(&store, &target).await {
                        Ok(Some(_)) => tracing::info!(connection = %target.connection.name, "new dbt Cloud run loaded"),
                        Ok(None) => tracing::debug!(connection = %target.connection.name, "dbt Cloud run unchanged"),
                        Err(e) => tracing::warn!(connection = %target.connection.name, "dbt Cloud refresh failed, keeping the last good data: {e}"),
                    }
                }
            })
        })
        .collect()
}

fn hex_loop(store: &Store, source: &HexSource, no_sync: bool) -> JoinHandle<()> {
    let (store, target) = (store.clone(), source.target.clone());
    every(
        Duration::from_secs(source.refresh_seconds),
        no_sync,
        move || {
            let (store, target) = (store.clone(), target.clone());
            async move {
                match sync::sync_hex(&store, &target).await {
                    Ok(s) => tracing::info!(
                        workspace = %target.workspace,
                        projects = s.projects,
                        read = s.projects_read,
                        sql_edges = s.sql_edges,
                        "Hex synced"
                    ),
                    Err(e) => tracing::warn!("Hex sync failed, keeping the last good data: {e}"),
                }
            }
        },
    )
}
