//! What is wrong with a dbt node right now, as the store reads it from dbt's results: the
//! input of the health assessment (`health` crate).

use serde::Serialize;

/// A kind of problem, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The latest build of a model, seed or snapshot ended in an error.
    BuildFailed,
    /// A test's latest result is `fail` or `error`.
    TestFailed,
    /// A source's latest freshness check is past its `error_after` (or could not run).
    SourceLate,
    /// A source's latest freshness check is past its `warn_after`.
    SourceWarned,
    /// A test's latest result is `warn`.
    TestWarned,
}

impl ProblemKind {
    /// Whether the data behind it is wrong (rather than worth a look).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            ProblemKind::BuildFailed | ProblemKind::TestFailed | ProblemKind::SourceLate
        )
    }

    /// A few words for people: `failing test`, `late source`, ….
    pub fn describe(self) -> &'static str {
        match self {
            ProblemKind::BuildFailed => "failed build",
            ProblemKind::TestFailed => "failing test",
            ProblemKind::SourceLate => "late source",
            ProblemKind::SourceWarned => "source past its warning",
            ProblemKind::TestWarned => "warning test",
        }
    }
}

/// One current problem of one dbt node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    /// Our connection.
    pub connection: String,
    /// The dbt node it is about (the model a test tests, the source a check checks).
    pub node_id: String,
    /// What is wrong.
    pub kind: ProblemKind,
    /// The test's name, or the node's own for builds and freshness.
    pub name: String,
    /// The column a column test tests.
    pub column: Option<String>,
    /// dbt's status word (`fail`, `error`, `warn`, `runtime error`).
    pub status: String,
    /// Since when, RFC 3339: the first result of the current run of bad ones.
    pub since: Option<String>,
    /// dbt's message, when it gave one.
    pub message: Option<String>,
}
