//! `run_results.json` v1 to v6: per-node outcomes of one dbt invocation.

use crate::json::{lenient_f64, lenient_string};
use crate::timestamp;
use crate::version::Metadata;
use model::{NodeRun, RunStatus};
use serde::Deserialize;
use std::path::Path;

/// Commands whose results say nothing about builds or tests. `dbt docs generate` is the trap:
/// it is often a job's last step and overwrites `run_results.json` with compile results.
const NON_EXECUTING: &[&str] = &[
    "generate",
    "compile",
    "docs",
    "parse",
    "list",
    "ls",
    "show",
    "run-operation",
    "debug",
    "deps",
    "clean",
    "serve",
    "retry-compile",
];

#[derive(Deserialize)]
pub(crate) struct RawRunResults {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    results: Vec<RawResult>,
    #[serde(default)]
    args: Option<RawArgs>,
}

#[derive(Deserialize)]
struct RawArgs {
    #[serde(default, deserialize_with = "lenient_string")]
    which: Option<String>,
}

#[derive(Deserialize)]
struct RawResult {
    #[serde(default)]
    unique_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    status: Option<String>,
    #[serde(default)]
    timing: Vec<RawTiming>,
    #[serde(default, deserialize_with = "lenient_f64")]
    execution_time: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    failures: Option<f64>,
    #[serde(default, deserialize_with = "lenient_string")]
    message: Option<String>,
}

#[derive(Deserialize)]
struct RawTiming {
    #[serde(default, deserialize_with = "lenient_string")]
    completed_at: Option<String>,
}

/// Only `args`, for a look at which command wrote a file.
#[derive(Deserialize)]
struct ArgsOnly {
    #[serde(default)]
    args: Option<RawArgs>,
}

/// `args.which` of the `run_results.json` at `path` ("unknown" when absent), reading nothing
/// else into memory: the dbt Cloud client uses it to drop a last step that did not build or test.
pub(crate) fn command_in(path: &Path) -> Result<String, crate::ArtifactError> {
    let io = |source| crate::ArtifactError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let head: ArgsOnly = serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| crate::ArtifactError::json(path, e))?;
    Ok(head
        .args
        .and_then(|a| a.which)
        .unwrap_or_else(|| "unknown".into()))
}

/// Whether results of `command` (an `args.which`) say anything about builds or tests.
pub(crate) fn builds_or_tests(command: &str) -> bool {
    !NON_EXECUTING.contains(&command)
}

/// What an invocation's results amount to.
pub(crate) enum Outcome {
    /// Results of an executing command.
    Runs(Vec<NodeRun>),
    /// The command does not build or test (the value names it).
    NotExecuting(String),
}

impl RawRunResults {
    pub(crate) fn command(&self) -> String {
        self.args
            .as_ref()
            .and_then(|a| a.which.clone())
            .unwrap_or_else(|| "unknown".into())
    }

    pub(crate) fn into_runs(self) -> Outcome {
        let command = self.command();
        if !builds_or_tests(&command) {
            return Outcome::NotExecuting(command);
        }
        let invocation = self.metadata.invocation_id.clone().unwrap_or_default();
        let generated_at = self.metadata.generated_at.clone().unwrap_or_default();
        let runs = self
            .results
            .into_iter()
            .filter_map(|r| r.into_run(&invocation, &command, &generated_at))
            .collect();
        Outcome::Runs(runs)
    }
}

impl RawResult {
    fn into_run(self, invocation: &str, command: &str, generated_at: &str) -> Option<NodeRun> {
        let status = RunStatus::parse(self.status.as_deref()?)?;
        // Skipped nodes have no timing; they happened when the invocation ended.
        let completed_at = self
            .timing
            .iter()
            .rev()
            .find_map(|t| t.completed_at.as_deref().and_then(timestamp::normalize))
            .or_else(|| timestamp::normalize(generated_at))?;
        Some(NodeRun {
            unique_id: self.unique_id,
            invocation_id: invocation.to_string(),
            command: command.to_string(),
            status,
            completed_at,
            execution_time: self.execution_time.unwrap_or(0.0),
            failures: self.failures.map(|f| f as i64),
            message: self.message.filter(|m| !m.is_empty()),
        })
    }
}
