//! `downstream serve`: the server, with every source on its schedule ([`sync::Sources::schedule`]).
//! Syncs write in single transactions, so pages keep answering from the last good data while
//! a loop runs.

use crate::config::Config;
use anyhow::Result;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// Reads dbt metadata and catalogs, starts every schedule, serves until Ctrl-C, then stops
/// the schedules.
pub async fn run(config: Config, store: Store, bind: SocketAddr, no_sync: bool) -> Result<()> {
    let sources = config.sources();
    if !no_sync {
        sources
            .metadata()
            .run(&store, &crate::report::Printer::default())
            .await;
    }
    let every = sync::Intervals {
        artifacts: Duration::from_secs(config.refresh_seconds),
        catalogs: Duration::from_secs(config.catalog_seconds),
        history: Duration::from_secs(config.history_refresh_seconds),
    };
    let loops = sources.schedule(&store, every, no_sync);
    let mut state = server::AppState::new(store);
    state.window_days = config.window_days;
    state.refresher = Some(Arc::new(server::Refresher::new(sources)));
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
