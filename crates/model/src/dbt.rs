//! What dbt knows about a project, resolved from its artifacts and independent of their version.

use crate::RelationName;
use serde::{Deserialize, Serialize};

/// The dbt resources that live in the warehouse as relations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// A model (`models/*.sql`).
    Model,
    /// A seed loaded from CSV.
    Seed,
    /// A snapshot table.
    Snapshot,
    /// A source table declared in YAML.
    Source,
}

impl NodeKind {
    /// The name dbt uses in `resource_type` and in docs URLs (`#!/model/...`).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Model => "model",
            NodeKind::Seed => "seed",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Source => "source",
        }
    }

    /// Reads dbt's `resource_type`; tests, analyses and operations are not relations.
    pub fn from_resource_type(s: &str) -> Option<Self> {
        match s {
            "model" => Some(NodeKind::Model),
            "seed" => Some(NodeKind::Seed),
            "snapshot" => Some(NodeKind::Snapshot),
            "source" => Some(NodeKind::Source),
            _ => None,
        }
    }
}

/// Where a set of artifacts came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectMeta {
    /// `metadata.project_name` (dbt ≥ 1.6) or the root package name.
    pub project_name: Option<String>,
    /// `metadata.adapter_type`, e.g. `postgres`.
    pub adapter_type: Option<String>,
    /// The dbt version that wrote the manifest.
    pub dbt_version: Option<String>,
    /// The manifest schema version number (`v12` is 12).
    pub manifest_version: u32,
    /// When the manifest was written (RFC 3339).
    pub generated_at: Option<String>,
    /// The manifest's `invocation_id`.
    pub invocation_id: Option<String>,
}

/// A column as dbt documents it, merged with its warehouse type from the catalog.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DbtColumn {
    /// Column name as the warehouse stores it when the catalog knows it, else as documented.
    pub name: String,
    /// Markdown description.
    pub description: String,
    /// Type from the catalog, else the declared `data_type`.
    pub data_type: Option<String>,
    /// 1-based position in the warehouse table, when the catalog knows it.
    pub position: Option<i64>,
    /// Whether dbt documents this column (false for columns only the catalog lists).
    pub documented: bool,
    /// Whether the warehouse has it (per catalog); `None` without a catalog.
    pub in_warehouse: Option<bool>,
}

/// The freshness rule declared on a source.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FreshnessRule {
    /// e.g. `12 hour`.
    pub warn_after: Option<String>,
    /// e.g. `1 day`.
    pub error_after: Option<String>,
    /// The `loaded_at_field` the rule reads.
    pub loaded_at_field: Option<String>,
}

/// A model, seed, snapshot or source: a dbt node that is a warehouse relation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbtNode {
    /// dbt's `unique_id`, e.g. `model.jaffle.orders`.
    pub unique_id: String,
    /// What kind of resource this is.
    pub kind: NodeKind,
    /// The node name (for sources, the table name).
    pub name: String,
    /// For sources, the source name (`source('name', 'table')`).
    pub source_name: Option<String>,
    /// The package that defines it.
    pub package: String,
    /// Markdown description.
    pub description: String,
    /// For sources, the description of the source as a whole.
    pub source_description: String,
    /// The relation it is built as, when it has one (ephemeral models have none).
    pub relation: Option<RelationName>,
    /// `config.materialized` for models, or the catalog's table type.
    pub materialized: Option<String>,
    /// Tags, from the node and its config.
    pub tags: Vec<String>,
    /// `meta.owner`, `config.meta.owner`, or the owner of the node's group.
    pub owner: Option<String>,
    /// The node's `meta` as JSON text.
    pub meta: String,
    /// `original_file_path`.
    pub path: String,
    /// Documented and catalogued columns, in warehouse order where known.
    pub columns: Vec<DbtColumn>,
    /// The freshness rule, for sources that declare one.
    pub freshness_rule: Option<FreshnessRule>,
    /// Row count from the catalog's statistics, when the warehouse reports one.
    pub row_count: Option<i64>,
    /// The manifest's `checksum.checksum` (a hash of the file), to tell which nodes a later
    /// manifest changed.
    #[serde(default)]
    pub checksum: Option<String>,
}

/// A data test and what it is attached to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbtTest {
    /// dbt's `unique_id`.
    pub unique_id: String,
    /// The test node name.
    pub name: String,
    /// The generic test (`unique`, `not_null`, ...) or `singular`.
    pub test_type: String,
    /// Node ids the test checks: one for generic tests, the referenced nodes for singular ones.
    pub attached_to: Vec<String>,
    /// The column a column-level test checks.
    pub column: Option<String>,
    /// `error` or `warn`.
    pub severity: String,
}

/// The outcome dbt recorded for a node in one invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Model built or test passed.
    Pass,
    /// Test warned.
    Warn,
    /// Test failed.
    Fail,
    /// The node errored.
    Error,
    /// The node was skipped.
    Skipped,
}

impl RunStatus {
    /// Reads dbt's status strings from run_results and sources.json.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "success" | "pass" => Some(RunStatus::Pass),
            "warn" => Some(RunStatus::Warn),
            "fail" => Some(RunStatus::Fail),
            "error" | "runtime error" => Some(RunStatus::Error),
            "skipped" | "no-op" => Some(RunStatus::Skipped),
            _ => None,
        }
    }

    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pass => "pass",
            RunStatus::Warn => "warn",
            RunStatus::Fail => "fail",
            RunStatus::Error => "error",
            RunStatus::Skipped => "skipped",
        }
    }
}

/// One node's result in one dbt invocation (`run`, `build`, `test`, `seed`, `snapshot`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeRun {
    /// The node or test id.
    pub unique_id: String,
    /// The invocation that produced it.
    pub invocation_id: String,
    /// `args.which` of that invocation.
    pub command: String,
    /// Outcome.
    pub status: RunStatus,
    /// When it finished (RFC 3339, UTC).
    pub completed_at: String,
    /// Seconds spent.
    pub execution_time: f64,
    /// For tests, the number of failing rows.
    pub failures: Option<i64>,
    /// dbt's message (error text for failures).
    pub message: Option<String>,
}

/// One source's freshness as `dbt source freshness` measured it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FreshnessCheck {
    /// The source id.
    pub unique_id: String,
    /// `pass`, `warn`, `error` (including runtime errors).
    pub status: RunStatus,
    /// Latest `loaded_at_field` value seen (RFC 3339).
    pub max_loaded_at: Option<String>,
    /// When the check ran (RFC 3339).
    pub snapshotted_at: String,
    /// `max_loaded_at_time_ago_in_s`.
    pub age_seconds: Option<f64>,
    /// Criteria the check applied.
    pub rule: FreshnessRule,
    /// The runtime error, if the check itself failed.
    pub error: Option<String>,
}

/// One output column of a model or snapshot and one input column it is computed from, read
/// from the node's compiled SQL.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ColumnEdge {
    /// The child's `unique_id`.
    pub node_id: String,
    /// The child's column, as the warehouse names it.
    pub column: String,
    /// `RelationName::key` of the relation read: a dbt node's, or a table dbt does not manage.
    pub parent_key: String,
    /// The column read there.
    pub parent_column: String,
}

/// Everything one load of dbt metadata yields for a connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DbtProject {
    /// Where the artifacts came from.
    pub meta: ProjectMeta,
    /// Models, seeds, snapshots and sources.
    pub nodes: Vec<DbtNode>,
    /// Data tests.
    pub tests: Vec<DbtTest>,
    /// `(parent, child)` unique ids between nodes.
    pub edges: Vec<(String, String)>,
    /// Results from run/build/test/seed/snapshot invocations.
    pub runs: Vec<NodeRun>,
    /// Source freshness results.
    pub freshness: Vec<FreshnessCheck>,
    /// Column lineage of models and snapshots, from their compiled SQL (empty when dbt did
    /// not compile them).
    #[serde(default)]
    pub column_lineage: Vec<ColumnEdge>,
    /// Problems that did not stop the load, each naming its file and field.
    pub warnings: Vec<String>,
}
