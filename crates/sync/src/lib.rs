//! Runs sources and writes their output to the store.
//!
//! One module per source (dbt metadata, warehouse catalog, query history, Hex), and
//! [`Sources`] runs them all for `sync`, `serve`, the Refresh button and `demo`. A sync reads
//! and resolves everything first, off the async runtime, and only then opens one store
//! transaction. A source that fails leaves the store as it was and records the error,
//! verbatim, against the connection.
#![deny(missing_docs)]

mod catalog;
pub mod columns;
mod dbt;
mod exclusive;
mod hex;
mod history;
mod parallel;
mod reads;
mod schedule;
mod sources;

pub use catalog::{sync_catalog, CatalogSummary, CatalogSyncError, CatalogTarget};
pub use dbt::{
    register_connection, sync_dbt, CloudSource, DbtReport, DbtSource, DbtSyncError, DbtTarget,
};
pub use exclusive::Busy;
pub use hex::{sync_hex, ConnectionIdentity, HexAccess, HexSummary, HexSyncError, HexTarget};
pub use history::{sync_history, HistorySummary, HistorySyncError, HistoryTarget, Progress};
pub use schedule::Intervals;
pub use sources::{Observer, Quiet, Report, Sources};
