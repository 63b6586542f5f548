//! The shared vocabulary of downstream: what every source produces and every sink consumes.
//!
//! Nothing here does I/O. Sources (dbt artifacts, later query history and the Hex API) turn
//! their inputs into these types; the store persists them; the server and CLI render them.
//!
//! ```
//! use model::{RelationName, WarehouseKind};
//!
//! let rel = RelationName::parse(r#""analytics"."Marts".orders"#, WarehouseKind::Postgres).unwrap();
//! assert_eq!(rel.key(), "analytics.Marts.orders");
//! ```
#![deny(missing_docs)]

mod dbt;
pub mod graph;
pub mod health;
pub mod hex;
mod relation;
mod secret;
mod time;
mod warehouse;

pub use dbt::{
    ColumnEdge, DbtColumn, DbtNode, DbtProject, DbtTest, FreshnessCheck, FreshnessRule, NodeKind,
    NodeRun, ProjectMeta, RunStatus,
};
pub use relation::{Ident, RelationName, RelationParseError};
pub use secret::{Misconfigured, Secret};
pub use time::{live_since, stamp};
pub use warehouse::WarehouseKind;
