//! What the store hands to pages and the JSON API: plain serializable read models.

use serde::Serialize;

/// Latest outcomes counted by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// Passed (or fresh).
    pub pass: i64,
    /// Warned.
    pub warn: i64,
    /// Failed.
    pub fail: i64,
    /// Errored.
    pub error: i64,
    /// Skipped.
    pub skipped: i64,
    /// Never run in any loaded results.
    pub not_run: i64,
}

impl StatusCounts {
    /// Counts one latest status (`None` when never run).
    pub fn add(&mut self, status: Option<&str>) {
        match status {
            Some("pass") => self.pass += 1,
            Some("warn") => self.warn += 1,
            Some("fail") => self.fail += 1,
            Some("error") => self.error += 1,
            Some("skipped") => self.skipped += 1,
            _ => self.not_run += 1,
        }
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: &StatusCounts) {
        self.pass += other.pass;
        self.warn += other.warn;
        self.fail += other.fail;
        self.error += other.error;
        self.skipped += other.skipped;
        self.not_run += other.not_run;
    }

    /// How many were counted.
    pub fn total(&self) -> i64 {
        self.pass + self.warn + self.fail + self.error + self.skipped + self.not_run
    }

    /// The most severe status present, for one badge.
    pub fn worst(&self) -> Option<&'static str> {
        [
            (self.error, "error"),
            (self.fail, "fail"),
            (self.warn, "warn"),
            (self.pass, "pass"),
            (self.skipped, "skipped"),
            (self.not_run, "not run"),
        ]
        .into_iter()
        .find(|(n, _)| *n > 0)
        .map(|(_, s)| s)
    }
}

/// One sync attempt of one source.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncRecord {
    /// Sequence number.
    pub id: i64,
    /// Connection name.
    pub connection: String,
    /// `dbt`, later `history`, `hex`, `warehouse`.
    pub source: String,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End (RFC 3339).
    pub finished_at: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// The error, verbatim, when it failed.
    pub error: Option<String>,
    /// Problems that did not stop it.
    pub warnings: Vec<String>,
    /// Counts it wrote.
    pub summary: serde_json::Value,
}

/// The dbt project last loaded for a connection.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct ProjectInfo {
    /// dbt project name.
    pub project_name: Option<String>,
    /// dbt adapter.
    pub adapter_type: Option<String>,
    /// dbt version that wrote the manifest.
    pub dbt_version: Option<String>,
    /// Manifest schema version.
    pub manifest_version: i64,
    /// When dbt wrote the manifest.
    pub generated_at: Option<String>,
    /// When downstream loaded it.
    pub loaded_at: String,
}

/// A connection with its headline numbers, for the home and status pages.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConnectionOverview {
    /// Name.
    pub name: String,
    /// Warehouse kind.
    pub kind: model::WarehouseKind,
    /// Default database.
    pub default_database: Option<String>,
    /// Default schema.
    pub default_schema: Option<String>,
    /// Base URL of the dbt docs, if configured.
    pub docs_url: Option<String>,
    /// Where its dbt metadata comes from.
    pub dbt_source: Option<String>,
    /// How the warehouse is reached (no secrets).
    pub access: Option<String>,
    /// The loaded project, if any load succeeded.
    pub project: Option<ProjectInfo>,
    /// Relations dbt knows.
    pub tables: i64,
    /// Models among them.
    pub models: i64,
    /// Sources among them.
    pub sources: i64,
    /// Latest test outcomes.
    pub tests: StatusCounts,
    /// Latest freshness outcomes of sources with a rule.
    pub freshness: StatusCounts,
    /// The latest sync of any source.
    pub last_sync: Option<SyncRecord>,
    /// Sources whose latest sync failed, with their errors.
    pub failing: Vec<SyncRecord>,
    /// When a dbt sync last succeeded.
    pub last_success_at: Option<String>,
}

/// A relation in the browser tree.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TreeTable {
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Table or view name.
    pub name: String,
    /// The dbt node it is.
    pub unique_id: String,
    /// `model`, `seed`, `snapshot`, `source`.
    pub node_kind: String,
    /// Materialization.
    pub materialized: Option<String>,
    /// Latest outcomes of its tests.
    pub tests: StatusCounts,
    /// Latest freshness status, for sources.
    pub freshness: Option<String>,
    /// When it was last built successfully.
    pub last_built_at: Option<String>,
    /// Whether the warehouse has it: `None` when its schema was never introspected.
    pub in_warehouse: Option<bool>,
}

/// How many relations a schema holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SchemaCount {
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Relations in it.
    pub tables: i64,
}

/// A schema and its relations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TreeSchema {
    /// Schema name.
    pub name: String,
    /// Relations, by name.
    pub tables: Vec<TreeTable>,
}

/// A database and its schemas.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TreeDatabase {
    /// Database name.
    pub name: String,
    /// Schemas, by name.
    pub schemas: Vec<TreeSchema>,
}

/// A dbt node as a table page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeDetail {
    /// dbt unique id.
    pub unique_id: String,
    /// `model`, `seed`, `snapshot`, `source`.
    pub kind: String,
    /// Node name.
    pub name: String,
    /// Source name, for sources.
    pub source_name: Option<String>,
    /// Package.
    pub package: String,
    /// Markdown description.
    pub description: String,
    /// Markdown description of the source as a whole.
    pub source_description: String,
    /// Materialization.
    pub materialized: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Owner.
    pub owner: Option<String>,
    /// `meta` as JSON text.
    pub meta: String,
    /// File that defines it.
    pub path: String,
    /// Rows, when the catalog knows.
    pub row_count: Option<i64>,
    /// Freshness rule `warn_after`.
    pub warn_after: Option<String>,
    /// Freshness rule `error_after`.
    pub error_after: Option<String>,
}

/// A test with its latest result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestDetail {
    /// dbt unique id.
    pub unique_id: String,
    /// Test node name.
    pub name: String,
    /// Generic test name or `singular`.
    pub test_type: String,
    /// Column it checks.
    pub column: Option<String>,
    /// `error` or `warn`.
    pub severity: String,
    /// Latest status, or `not run`.
    pub status: String,
    /// Failing rows in the latest run.
    pub failures: Option<i64>,
    /// dbt's message from the latest run.
    pub message: Option<String>,
    /// When it last ran.
    pub completed_at: Option<String>,
}

/// A column with its documentation and type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnDetail {
    /// Name.
    pub name: String,
    /// Markdown description.
    pub description: String,
    /// Type.
    pub data_type: Option<String>,
    /// Documented in dbt.
    pub documented: bool,
    /// Present in the warehouse per catalog (`None` without catalog).
    pub in_warehouse: Option<bool>,
}

/// A node's latest build.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BuildDetail {
    /// Latest status of a run/build/seed/snapshot.
    pub status: String,
    /// When that finished.
    pub completed_at: String,
    /// Seconds it took.
    pub execution_time: f64,
    /// The dbt command.
    pub command: String,
    /// The error message, when it failed.
    pub message: Option<String>,
    /// When it last succeeded (may be before the latest attempt).
    pub last_success_at: Option<String>,
}

/// A source's latest freshness check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FreshnessDetail {
    /// `pass`, `warn`, `error`.
    pub status: String,
    /// Latest loaded row time.
    pub max_loaded_at: Option<String>,
    /// When checked.
    pub snapshotted_at: String,
    /// Age of the data when checked, in seconds.
    pub age_seconds: Option<f64>,
    /// Rule applied: warn after.
    pub warn_after: Option<String>,
    /// Rule applied: error after.
    pub error_after: Option<String>,
    /// Runtime error of the check.
    pub error: Option<String>,
}

/// A link to another dbt node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeRef {
    /// dbt unique id.
    pub unique_id: String,
    /// Kind.
    pub kind: String,
    /// Node name.
    pub name: String,
    /// Its relation, when it has one.
    pub database: Option<String>,
    /// Its relation's schema.
    pub schema: Option<String>,
    /// Its relation's name.
    pub table: Option<String>,
}

/// Everything the table page shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableDetail {
    /// Connection name.
    pub connection: String,
    /// Warehouse kind.
    pub warehouse: String,
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Table name.
    pub name: String,
    /// The dbt node this relation is (models before snapshots, seeds and sources).
    pub node: NodeDetail,
    /// Other dbt nodes naming the same relation (e.g. a source declared on a model's table).
    pub also: Vec<NodeRef>,
    /// Columns in warehouse order.
    pub columns: Vec<ColumnDetail>,
    /// Tests on this node, table-level and column-level.
    pub tests: Vec<TestDetail>,
    /// Latest build.
    pub build: Option<BuildDetail>,
    /// Latest freshness check.
    pub freshness: Option<FreshnessDetail>,
    /// Upstream nodes.
    pub parents: Vec<NodeRef>,
    /// Downstream nodes.
    pub children: Vec<NodeRef>,
    /// The relation's key, which query lineage matches on.
    pub table_key: Option<String>,
    /// Hex cells that read this table (filled in by [`Store::table_with_usage`]).
    pub hex: Vec<crate::HexUse>,
    /// Whether the warehouse has the relation: `None` until its schema is introspected.
    pub in_warehouse: Option<bool>,
    /// The table's test outcomes per dbt invocation, newest first (the last 10).
    pub test_history: Vec<TestRound>,
    /// Its freshness checks, newest first (the last 10).
    pub freshness_history: Vec<FreshnessPoint>,
}

/// The outcome of a table's tests in one dbt invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TestRound {
    /// When the invocation's last test finished.
    pub completed_at: String,
    /// Tests that passed.
    pub pass: i64,
    /// Tests that warned.
    pub warn: i64,
    /// Tests that failed or errored.
    pub fail: i64,
}

/// One freshness check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FreshnessPoint {
    /// When dbt checked.
    pub snapshotted_at: String,
    /// `pass`, `warn`, `error` or `runtime error`.
    pub status: String,
}

/// A search result: a relation or a column.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SearchHit {
    /// Connection name.
    pub connection: String,
    /// `table` or `column`.
    pub hit: String,
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Column, for column hits.
    pub column: Option<String>,
    /// dbt node kind.
    pub node_kind: String,
    /// dbt node name.
    pub node_name: String,
    /// The start of the description.
    pub description: String,
}
