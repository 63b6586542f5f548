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
use sync::{Observer, Report, Sources};

/// What `serve` can refresh: every source, run by connection.
#[derive(Default, Debug)]
pub struct Refresher {
    sources: Sources,
    running: Mutex<HashSet<String>>,
}

/// Failures go to the log; each source has recorded its own on the status page.
struct Logged;

impl Observer for Logged {
    fn report(&self, report: &Report) {
        if report.failed() {
            tracing::warn!("refresh: {report:?}");
        }
    }
}

impl Refresher {
    /// A refresher over these sources.
    pub fn new(sources: Sources) -> Self {
        Refresher {
            sources,
            running: Mutex::new(HashSet::new()),
        }
    }

    /// Runs every source of `connection` (and every Hex workspace, which may map to it). A
    /// second click while one runs does not start another.
    async fn run(self: Arc<Self>, store: store::Store, connection: String) {
        let Some(_claim) = Claim::take(&self, &connection) else {
            return;
        };
        self.sources
            .of(std::slice::from_ref(&connection))
            .run(&store, &Logged)
            .await;
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
