//! The one way to run a deployment's sources: dbt metadata, warehouse catalogs, query
//! history and Hex, in that order (history attributes runs to dbt's tables; Hex maps its
//! connections onto what the others wrote). `sync`, `serve`'s start-up, the Refresh button
//! and `demo` all call [`Sources::run`], so "refresh a connection" means one thing.

use crate::{
    sync_catalog, sync_dbt, sync_hex, sync_history, CatalogSummary, CatalogSyncError,
    CatalogTarget, DbtReport, DbtSyncError, DbtTarget, HexSummary, HexSyncError, HexTarget,
    HistorySummary, HistorySyncError, HistoryTarget, Progress,
};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use store::Store;

/// Every source a deployment reads, by kind.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Each connection, with its dbt metadata source if it has one.
    pub dbt: Vec<DbtTarget>,
    /// Warehouse catalogs.
    pub catalogs: Vec<CatalogTarget>,
    /// Query-history sources.
    pub history: Vec<HistoryTarget>,
    /// Hex workspaces; each serves every connection its data connections map to.
    pub hex: Vec<HexTarget>,
}

/// What one source's run came to.
#[derive(Debug)]
pub enum Report {
    /// A connection's dbt metadata; `Ok(None)` when it has none or dbt Cloud's latest run is
    /// the one already loaded (`configured` tells which).
    Dbt {
        /// The connection.
        connection: String,
        /// Whether the connection has a dbt source at all.
        configured: bool,
        /// The outcome.
        result: Result<Option<DbtReport>, DbtSyncError>,
    },
    /// A connection's warehouse catalog.
    Catalog {
        /// The connection.
        connection: String,
        /// The outcome.
        result: Result<CatalogSummary, CatalogSyncError>,
    },
    /// One history source of a connection.
    History {
        /// The connection.
        connection: String,
        /// The source's name within it.
        environment: String,
        /// The outcome.
        result: Result<HistorySummary, HistorySyncError>,
    },
    /// A Hex workspace.
    Hex {
        /// The workspace's name.
        workspace: String,
        /// The outcome.
        result: Result<HexSummary, HexSyncError>,
    },
}

impl Report {
    /// Whether the source failed (its last good data stays).
    pub fn failed(&self) -> bool {
        match self {
            Report::Dbt { result, .. } => result.is_err(),
            Report::Catalog { result, .. } => result.is_err(),
            Report::History { result, .. } => result.is_err(),
            Report::Hex { result, .. } => result.is_err(),
        }
    }
}

/// What the caller sees while sources run: a history source's row counter as it starts, and
/// each report as soon as its source is done.
pub trait Observer: Sync {
    /// A history source starts; `rows` counts the rows read so far.
    fn history_started(&self, _target: &HistoryTarget, _rows: &Progress) {}
    /// The history source that started last is done (before its report).
    fn history_finished(&self) {}
    /// A source is done.
    fn report(&self, report: &Report);
}

/// An observer that only collects.
pub struct Quiet;

impl Observer for Quiet {
    fn report(&self, _report: &Report) {}
}

impl Sources {
    /// The sources of the named connections (every one when `connections` is empty); Hex
    /// workspaces are kept, since each may serve any connection.
    pub fn of(&self, connections: &[String]) -> Sources {
        let keep = |name: &str| connections.is_empty() || connections.iter().any(|c| c == name);
        Sources {
            dbt: self
                .dbt
                .iter()
                .filter(|t| keep(&t.connection.name))
                .cloned()
                .collect(),
            catalogs: self
                .catalogs
                .iter()
                .filter(|t| keep(&t.connection))
                .cloned()
                .collect(),
            history: self
                .history
                .iter()
                .filter(|t| keep(&t.connection))
                .cloned()
                .collect(),
            hex: self.hex.clone(),
        }
    }

    /// Only the dbt metadata and catalogs: what `serve` reads before it answers (history and
    /// Hex have loops of their own that start at once).
    pub fn metadata(&self) -> Sources {
        Sources {
            dbt: self.dbt.clone(),
            catalogs: self.catalogs.clone(),
            history: Vec::new(),
            hex: Vec::new(),
        }
    }

    /// Runs every source in turn, dbt first, then catalogs, history and Hex; a failure
    /// stops nothing else. Each source records its own outcome on the connection's status
    /// page; the reports come back in the order the sources ran.
    pub async fn run(&self, store: &Store, observer: &dyn Observer) -> Vec<Report> {
        let mut reports = Vec::new();
        let mut done = |report: Report| {
            observer.report(&report);
            reports.push(report);
        };
        for target in &self.dbt {
            done(Report::Dbt {
                connection: target.connection.name.clone(),
                configured: target.dbt.is_some(),
                result: sync_dbt(store, target).await,
            });
        }
        for target in &self.catalogs {
            done(Report::Catalog {
                connection: target.connection.clone(),
                result: sync_catalog(store, target).await,
            });
        }
        for target in &self.history {
            let rows: Progress = Arc::new(AtomicU64::new(0));
            observer.history_started(target, &rows);
            let result = sync_history(store, target, rows).await;
            observer.history_finished();
            done(Report::History {
                connection: target.connection.clone(),
                environment: target.environment.clone(),
                result,
            });
        }
        for target in &self.hex {
            done(Report::Hex {
                workspace: target.workspace.clone(),
                result: sync_hex(store, target).await,
            });
        }
        reports
    }
}
