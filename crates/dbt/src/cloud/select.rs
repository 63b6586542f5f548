//! Which job's run holds the docs, which of its steps hold the test outcomes, and which jobs
//! may hold source freshness. Pure decisions over answers already read.

use super::api::{Job, Project, Run, RunStep};
use super::error::{SkipReason, SkippedJob};
use crate::timestamp;

/// dbt commands whose `run_results.json` holds build and test outcomes.
const EXECUTING: &[&str] = &["build", "test", "run", "seed", "snapshot"];

/// Every other command a step may run: the first known word after `dbt` is the command, so
/// flags and their values before it are passed over.
const OTHER_COMMANDS: &[&str] = &[
    "docs",
    "source",
    "compile",
    "deps",
    "run-operation",
    "ls",
    "list",
    "parse",
    "clean",
    "debug",
    "show",
    "retry",
    "clone",
    "init",
];

/// The jobs whose runs may hold the docs.
#[derive(Debug)]
pub(crate) struct DocsPlan<'j> {
    /// Groups tried in order: the first group where a job qualifies wins, and within a group
    /// the newest run.
    pub stages: Vec<Vec<&'j Job>>,
    /// Jobs ruled out before any call.
    pub skipped: Vec<SkippedJob>,
}

/// The pinned job alone; else the project's docs job, then every job that generates docs.
pub(crate) fn docs_plan<'j>(
    pinned: Option<u64>,
    project: &Project,
    jobs: &'j [Job],
) -> DocsPlan<'j> {
    let mut plan = DocsPlan {
        stages: Vec::new(),
        skipped: Vec::new(),
    };
    if let Some(id) = pinned {
        plan.add_stage_of(id, jobs);
        return plan;
    }
    let preferred = project.docs_job_id;
    if let Some(id) = preferred {
        plan.add_stage_of(id, jobs);
    }
    let mut generating = Vec::new();
    for job in jobs.iter().filter(|job| Some(job.id) != preferred) {
        match skip_reason(job) {
            None => generating.push(job),
            Some(reason) => plan.skipped.push(skipped(job, reason)),
        }
    }
    plan.stages.push(generating);
    plan
}

impl<'j> DocsPlan<'j> {
    /// A job named by id is tried whether or not it says it generates docs: the run's
    /// `has_docs_generated` decides.
    fn add_stage_of(&mut self, id: u64, jobs: &'j [Job]) {
        match job_by_id(id, jobs) {
            Ok(job) => self.stages.push(vec![job]),
            Err(skip) => self.skipped.push(skip),
        }
    }
}

fn job_by_id(id: u64, jobs: &[Job]) -> Result<&Job, SkippedJob> {
    match jobs.iter().find(|job| job.id == id) {
        None => Err(SkippedJob {
            id,
            name: None,
            reason: SkipReason::NotInProject,
        }),
        Some(job) if job.is_deleted() => Err(skipped(job, SkipReason::Deleted)),
        Some(job) => Ok(job),
    }
}

fn skip_reason(job: &Job) -> Option<SkipReason> {
    if job.is_deleted() {
        Some(SkipReason::Deleted)
    } else if !job.generates_docs() {
        Some(SkipReason::NoDocs)
    } else {
        None
    }
}

pub(crate) fn skipped(job: &Job, reason: SkipReason) -> SkippedJob {
    SkippedJob {
        id: job.id,
        name: job.name.clone(),
        reason,
    }
}

/// A job's newest successful run when it generated docs, else why not.
pub(crate) fn usable(run: Option<Run>) -> Result<Run, SkipReason> {
    match run {
        None => Err(SkipReason::NoSuccessfulRun),
        Some(run) if !run.has_docs() => Err(SkipReason::RunWithoutDocs { run_id: run.id }),
        Some(run) => Ok(run),
    }
}

/// The run that finished last; the higher id when times are missing or equal.
pub(crate) fn newest(found: Vec<(&Job, Run)>) -> Option<(&Job, Run)> {
    found.into_iter().max_by_key(|(_, run)| {
        let finished = run.finished_at.as_deref().and_then(timestamp::parse);
        (finished, run.id)
    })
}

/// Where a run's build and test outcomes are.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ResultSteps {
    /// The steps (their `index`) that ran an executing command; may be empty.
    Known(Vec<u64>),
    /// The answer had no steps: only the last step's file can be read, and checked.
    Unknown,
}

pub(crate) fn result_steps(run: &Run) -> ResultSteps {
    match run.run_steps.as_deref() {
        None | Some([]) => ResultSteps::Unknown,
        Some(steps) => ResultSteps::Known(
            steps
                .iter()
                .filter(|s| executes(s))
                .map(|s| s.index)
                .collect(),
        ),
    }
}

fn executes(step: &RunStep) -> bool {
    let command = step.name.as_deref().and_then(step_command);
    command.is_some_and(|c| EXECUTING.contains(&c))
}

/// The dbt command a step ran, from names like "Invoke dbt with `dbt build --select x`".
fn step_command(name: &str) -> Option<&str> {
    // The command line is what the backticks hold; older names have none.
    let line = name.split('`').nth(1).unwrap_or(name);
    let mut words = line.split_whitespace().skip_while(|w| *w != "dbt").skip(1);
    words.find(|w| EXECUTING.contains(w) || OTHER_COMMANDS.contains(w))
}

/// The jobs that may hold source freshness: the project's freshness job, else every job
/// that runs source freshness.
pub(crate) fn freshness_jobs<'j>(project: &Project, jobs: &'j [Job]) -> Vec<&'j Job> {
    if let Some(job) = project
        .freshness_job_id
        .and_then(|id| job_by_id(id, jobs).ok())
    {
        return vec![job];
    }
    jobs.iter()
        .filter(|job| !job.is_deleted() && job.generates_sources())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_give_their_command() {
        for (name, command) in [
            ("Invoke dbt with `dbt build`", Some("build")),
            ("Invoke dbt with `dbt docs generate`", Some("docs")),
            (
                "Invoke dbt with `dbt --warn-error run --select tag:nightly`",
                Some("run"),
            ),
            ("Invoke dbt with `dbt source freshness`", Some("source")),
            (
                "Invoke dbt with `dbt run-operation build_things`",
                Some("run-operation"),
            ),
            ("dbt test", Some("test")),
            ("Clone git repository", None),
            ("Create profile from connection Postgres", None),
        ] {
            assert_eq!(step_command(name), command, "{name}");
        }
    }

    #[test]
    fn only_executing_steps_are_taken() {
        let run: Run = serde_json::from_value(serde_json::json!({
            "id": 9,
            "run_steps": [
                {"index": 1, "name": "Clone git repository"},
                {"index": 3, "name": "Invoke dbt with `dbt deps`"},
                {"index": 4, "name": "Invoke dbt with `dbt seed`"},
                {"index": 5, "name": "Invoke dbt with `dbt build --exclude resource_type:seed`"},
                {"index": 6, "name": "Invoke dbt with `dbt docs generate`"}
            ]
        }))
        .unwrap();
        assert_eq!(result_steps(&run), ResultSteps::Known(vec![4, 5]));
        let bare: Run = serde_json::from_value(serde_json::json!({"id": 9})).unwrap();
        assert_eq!(result_steps(&bare), ResultSteps::Unknown);
    }

    #[test]
    fn the_newest_run_wins_and_times_beat_ids() {
        let job: Job = serde_json::from_value(serde_json::json!({"id": 1})).unwrap();
        let run = |id: u64, at: &str| -> Run {
            serde_json::from_value(serde_json::json!({"id": id, "finished_at": at})).unwrap()
        };
        let found = vec![
            (&job, run(50, "2024-05-01 10:00:00.000000+00:00")),
            (&job, run(40, "2024-05-02 09:00:00.000000+00:00")),
        ];
        assert_eq!(newest(found).map(|(_, run)| run.id), Some(40));
    }
}
