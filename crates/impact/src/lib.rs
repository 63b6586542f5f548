//! Impact analysis: what a change to a dbt project does to what is built on it. It syncs
//! nothing: it reads the synced project and the lineage graph from the store's models.
//!
//! Three steps. [`ChangeSource`] reads where the change comes from (a new manifest, names,
//! or `git diff`); [`changes`] tells what changed against the synced project (removed and
//! modified nodes; per model its dropped, added and renamed columns); [`walk`] follows each
//! change down the lineage graph: dbt nodes downstream are affected; a Hex cell using a
//! dropped or renamed column, directly or through models computing columns from it,
//! breaks, and so does anything reading a removed node.
#![deny(missing_docs)]

pub mod changes;
mod source;
pub mod walk;

pub use changes::{
    diff_manifest, find_node, from_names, from_paths, Change, ChangeSet, ColumnsFrom, NameError,
    NewProject, NodeChange, Rename,
};
pub use source::{ChangeSource, ImpactError};
pub use walk::{add_column_pairs, analyze, DbtImpact, HexImpact, Reason, Report};
