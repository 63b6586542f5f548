//! The refresh button: runs a connection's dbt, catalog, history and Hex syncs now.
//!
//! Like every state change, only same-origin posts reach it and only admins may run it
//! (`auth::guard`).

use crate::extract::PagePath;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::response::Redirect;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use sync::{HexTarget, HistoryTarget, IntrospectTarget, SyncTarget};

/// What `serve` can refresh, by connection.
#[derive(Default, Debug)]
pub struct Refresher {
    /// dbt metadata sources.
    pub dbt: Vec<SyncTarget>,
    /// Warehouse catalogs.
    pub catalogs: Vec<IntrospectTarget>,
    /// Query-history sources.
    pub history: Vec<HistoryTarget>,
    /// Hex workspaces; each serves every connection its data connections map to.
    pub hex: Vec<HexTarget>,
    running: Mutex<HashSet<String>>,
}

impl Refresher {
    /// A refresher over these sources.
    pub fn new(
        dbt: Vec<SyncTarget>,
        catalogs: Vec<IntrospectTarget>,
        history: Vec<HistoryTarget>,
    ) -> Self {
        Refresher {
            dbt,
            catalogs,
            history,
            hex: Vec::new(),
            running: Mutex::new(HashSet::new()),
        }
    }

    /// Adds Hex workspaces to refresh with every connection.
    pub fn with_hex(mut self, hex: Vec<HexTarget>) -> Self {
        self.hex = hex;
        self
    }

    /// Runs every source of `connection`; failures are recorded on its status page by the
    /// syncs themselves. A second click while one runs does not start another.
    async fn run(self: Arc<Self>, store: store::Store, connection: String) {
        let Some(_claim) = Claim::take(&self, &connection) else {
            return;
        };
        let connection = connection.as_str();
        let store = &store;
        for target in self.dbt.iter().filter(|t| t.connection.name == connection) {
            if let Err(e) = sync::sync_dbt(store, target).await {
                tracing::warn!(connection, "dbt refresh failed: {e}");
            }
        }
        for target in self.catalogs.iter().filter(|t| t.connection == connection) {
            if let Err(e) = sync::sync_warehouse(store, target).await {
                tracing::warn!(connection, "catalog refresh failed: {e}");
            }
        }
        for target in self.history.iter().filter(|t| t.connection == connection) {
            let progress = Arc::new(std::sync::atomic::AtomicU64::new(0));
            if let Err(e) = sync::sync_history(store, target, progress).await {
                tracing::warn!(connection, "history refresh failed: {e}");
            }
        }
        for target in &self.hex {
            if let Err(e) = sync::sync_hex(store, target).await {
                tracing::warn!(connection, "Hex refresh failed: {e}");
            }
        }
    }
}

/// A connection marked as refreshing until this is dropped, however the run ends.
struct Claim<'a> {
    refresher: &'a Refresher,
    connection: String,
}

impl<'a> Claim<'a> {
    fn take(refresher: &'a Refresher, connection: &str) -> Option<Self> {
        let mut running = refresher.running.lock().ok()?;
        running.insert(connection.to_string()).then(|| Claim {
            refresher,
            connection: connection.to_string(),
        })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Ok(mut running) = self.refresher.running.lock() {
            running.remove(&self.connection);
        }
    }
}

/// `POST /connections/{name}/refresh`, then back to the connection's status page.
pub(crate) async fn refresh(
    State(s): State<AppState>,
    PagePath(name): PagePath<String>,
) -> Result<Redirect, AppError> {
    s.store.connection(&name).await?;
    let refresher = s.refresher.clone().ok_or_else(|| {
        AppError::Forbidden("this server was started without sources to refresh".into())
    })?;
    // Its own task: a browser that gives up waiting does not cut a sync short.
    let run = tokio::spawn(refresher.run(s.store.clone(), name.clone()));
    let _ = run.await;
    Ok(Redirect::to(&format!(
        "/connections/{}/status",
        crate::format::segment(&name)
    )))
}
