//! The Hex public API (v1) client: which projects and components a workspace has, their cells
//! and SQL, the tables Hex says they query, and the data connections they run on.
//!
//! A user pastes the workspace URL from the browser; [`Workspace`] derives the API host and
//! the links a user expects from it. [`HexClient`] fetches every page of each listing, waits
//! for its turn under Hex's rate limits (one limiter for all its calls) and leaves retries,
//! `Retry-After` and time limits to [`rest::HttpClient`]. Answers become typed structs that
//! tolerate unknown and missing fields; failures become [`HexError`]s that name the call and
//! say what to fix, never the token.
//!
//! ```
//! use hex::{HexClient, HexConfig, Workspace};
//! use model::Secret;
//!
//! // Any page of the workspace will do, as long as the workspace is in its path.
//! let workspace = Workspace::parse("https://app.hex.tech/acme/home")?;
//! assert_eq!(workspace.api_base(), "https://app.hex.tech/api/v1");
//! assert_eq!(workspace.slug(), "acme");
//! assert_eq!(workspace.project_url("1b2c"), "https://app.hex.tech/acme/hex/1b2c");
//! assert_eq!(
//!     workspace.cell_url("1b2c", "9f8e"),
//!     "https://app.hex.tech/acme/hex/1b2c/draft/logic?selectedCellId=9f8e"
//! );
//!
//! let error = Workspace::parse("https://app.hex.tech/").unwrap_err();
//! assert!(error.to_string().contains("paste the workspace URL as shown in the browser"));
//!
//! // 30 requests a minute and 1,800 an hour unless told otherwise.
//! let config = HexConfig::new(workspace, Secret::new("hxtw_example"));
//! assert_eq!(config.limits.len(), 2);
//! assert!(!format!("{config:?}").contains("hxtw_example"));
//! let client = HexClient::new(config);
//! // In async code: `let projects = client.projects().await?;`
//! # drop(client);
//! # Ok::<(), hex::HexError>(())
//! ```
#![deny(missing_docs)]

mod cell;
mod client;
mod connection;
mod error;
mod lenient;
mod page;
mod project;
mod workspace;

pub use cell::Cell;
pub use client::{HexClient, HexConfig};
pub use connection::{DataConnection, QueriedTable, QueriedTables};
pub use error::HexError;
pub use project::{AppViews, Project, ProjectKind};
pub use workspace::Workspace;
