//! A run's artifacts, downloaded into one folder that then holds exactly that run's set:
//! `manifest.json`, `catalog.json`, `run_results.step{N}.json` (or `run_results.json` when
//! the steps are unknown) and `sources.json`.

use super::api::{Api, Run};
use super::select::{self, ResultSteps};
use super::CloudError;
use crate::run_results::{builds_or_tests, command_in};
use crate::ArtifactPaths;
use std::path::{Path, PathBuf};

const MANIFEST: &str = "manifest.json";
const CATALOG: &str = "catalog.json";
const RUN_RESULTS: &str = "run_results.json";
const SOURCES: &str = "sources.json";

/// Downloads the docs run's artifacts, and `sources.json` of `sources_run` when there is one.
pub(crate) async fn artifacts(
    api: &Api,
    dir: &Path,
    run: &Run,
    sources_run: Option<u64>,
    warnings: &mut Vec<String>,
) -> Result<ArtifactPaths, CloudError> {
    prepare(dir).await?;
    let manifest = dir.join(MANIFEST);
    api.download(&api.artifact_url(run.id, MANIFEST, None), &manifest)
        .await?;
    let catalog = optional(api, run.id, CATALOG, None, dir, warnings).await?;
    let run_results = run_results(api, dir, run, warnings).await?;
    let sources = match sources_run {
        Some(id) => optional(api, id, SOURCES, None, dir, warnings).await?,
        None => None,
    };
    Ok(ArtifactPaths {
        manifest,
        catalog,
        run_results,
        sources,
    })
}

/// The set a previous fetch left in `dir`, or `None` when it holds no manifest.
pub(crate) fn present(dir: &Path) -> Option<ArtifactPaths> {
    let manifest = dir.join(MANIFEST);
    if !manifest.is_file() {
        return None;
    }
    Some(ArtifactPaths {
        manifest,
        catalog: file_in(dir, CATALOG),
        run_results: result_files(dir),
        sources: file_in(dir, SOURCES),
    })
}

fn file_in(dir: &Path, name: &str) -> Option<PathBuf> {
    Some(dir.join(name)).filter(|path| path.is_file())
}

/// The run results files we wrote into `dir`, in step order.
fn result_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((results_order(entry.file_name().to_str()?)?, entry.path())))
        .collect();
    found.sort();
    found.into_iter().map(|(_, path)| path).collect()
}

/// Where a file of ours sorts among the run results (by step number), or `None` when the name
/// is not one we write.
fn results_order(name: &str) -> Option<u64> {
    if name == RUN_RESULTS {
        return Some(u64::MAX);
    }
    name.strip_prefix("run_results.step")?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

/// Makes `dir` and removes what an earlier fetch left that this one may not replace, so a
/// catalog or a step's results never outlive their run.
async fn prepare(dir: &Path) -> Result<(), CloudError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CloudError::Io { path, source }
    };
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    let optional = [CATALOG, SOURCES]
        .into_iter()
        .filter_map(|name| file_in(dir, name));
    for path in optional.chain(result_files(dir)) {
        tokio::fs::remove_file(&path).await.map_err(io(&path))?;
    }
    Ok(())
}

/// Downloads an artifact a run may lack: a 404 becomes a warning and `None`. Only run
/// results are asked per step, and saved under the step's number.
async fn optional(
    api: &Api,
    run: u64,
    name: &str,
    step: Option<u64>,
    dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Option<PathBuf>, CloudError> {
    let path = match step {
        Some(step) => dir.join(format!("run_results.step{step}.json")),
        None => dir.join(name),
    };
    match api
        .download(&api.artifact_url(run, name, step), &path)
        .await
    {
        Ok(()) => Ok(Some(path)),
        Err(CloudError::Http { status: 404, .. }) => {
            let at = step.map(|s| format!(" step {s}")).unwrap_or_default();
            warnings.push(format!(
                "dbt Cloud run {run}{at} has no {name} (HTTP 404): {}",
                missing_means(name)
            ));
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

fn missing_means(name: &str) -> &'static str {
    match name {
        CATALOG => "warehouse column types and table statistics are left out",
        SOURCES => "source freshness is left out",
        _ => "its test and build outcomes are left out",
    }
}

/// The results of the steps that built or tested; never those of `dbt docs generate`, which
/// is often the last step and whose file says nothing about tests. The steps come from
/// Retrieve Run, the one call that documents `run_steps`.
async fn run_results(
    api: &Api,
    dir: &Path,
    run: &Run,
    warnings: &mut Vec<String>,
) -> Result<Vec<PathBuf>, CloudError> {
    let retrieved;
    let run = match run.run_steps {
        Some(_) => run,
        None => {
            retrieved = api.run_with_steps(run.id).await?;
            &retrieved
        }
    };
    let steps = match select::result_steps(run) {
        ResultSteps::Known(steps) => steps,
        ResultSteps::Unknown => return last_step_results(api, dir, run, warnings).await,
    };
    if steps.is_empty() {
        warnings.push(format!(
            "dbt Cloud run {} has no step that runs dbt build, test, run, seed or snapshot: test outcomes are left out",
            run.id
        ));
    }
    let mut paths = Vec::new();
    for step in steps {
        paths.extend(optional(api, run.id, RUN_RESULTS, Some(step), dir, warnings).await?);
    }
    Ok(paths)
}

/// Without steps only the last step's file can be had: kept when its `args.which` builds or
/// tests.
async fn last_step_results(
    api: &Api,
    dir: &Path,
    run: &Run,
    warnings: &mut Vec<String>,
) -> Result<Vec<PathBuf>, CloudError> {
    let Some(path) = optional(api, run.id, RUN_RESULTS, None, dir, warnings).await? else {
        return Ok(Vec::new());
    };
    let command = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || command_in(&path)).await
    };
    let problem = match command {
        Ok(Ok(command)) if builds_or_tests(&command) => return Ok(vec![path]),
        Ok(Ok(command)) => format!("its last step ran `{command}`, which neither builds nor tests, and the answer named no steps to choose from"),
        Ok(Err(error)) => error.to_string(),
        Err(error) => format!("could not be read: {error}"),
    };
    warnings.push(format!(
        "dbt Cloud run {}: run_results.json was dropped: {problem}; test outcomes are left out",
        run.id
    ));
    let _ = tokio::fs::remove_file(&path).await;
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_result_files_are_listed_in_step_order() {
        assert_eq!(results_order("run_results.step4.json"), Some(4));
        assert_eq!(results_order("run_results.json"), Some(u64::MAX));
        assert_eq!(results_order("run_results.stepX.json"), None);
        assert_eq!(results_order("run_results.docs_generate.json"), None);

        let dir = tempfile::tempdir().unwrap();
        assert_eq!(present(dir.path()), None, "no manifest, no set");
        for name in [
            "manifest.json",
            "run_results.step10.json",
            "run_results.step4.json",
            "notes.json",
        ] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let paths = present(dir.path()).unwrap();
        assert_eq!(
            paths.run_results,
            [
                dir.path().join("run_results.step4.json"),
                dir.path().join("run_results.step10.json")
            ]
        );
        assert_eq!((paths.catalog, paths.sources), (None, None));
    }
}
