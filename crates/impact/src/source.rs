//! Where a change comes from: a new manifest (and catalog), names given on the command line,
//! or the files `git diff` reports, each turned into a [`ChangeSet`] against the synced
//! project with a line saying what was compared.

use crate::changes::{diff_manifest, from_names, from_paths, Change, ChangeSet, NewProject};
use crate::NameError;
use dbt::{ArtifactError, ArtifactPaths};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use store::SyncedProject;

/// What the proposed change is.
#[derive(Clone, Debug)]
pub enum ChangeSource {
    /// A manifest built from the changed project, with its catalog when there is one.
    Manifest {
        /// The new `manifest.json`.
        manifest: PathBuf,
        /// The new `catalog.json`.
        catalog: Option<PathBuf>,
    },
    /// Models and `model.column`s named by hand.
    Names {
        /// Models (names or unique ids).
        models: Vec<String>,
        /// Columns as `model.column`.
        columns: Vec<String>,
    },
    /// The files changed since a git revision, in a dbt project directory.
    GitDiff {
        /// The base revision.
        base: String,
        /// The dbt project directory.
        dir: PathBuf,
    },
}

/// Why the change could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    /// The new manifest or catalog could not be used.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// A named model or column is not in the synced project.
    #[error(transparent)]
    Name(#[from] NameError),
    /// `git` could not be run, or failed.
    #[error("{0}")]
    Git(String),
}

impl ChangeSource {
    /// The changes against `before`, and a line saying what was compared. Reads files (and
    /// runs `git`): call it off the async runtime.
    pub fn read(&self, before: &SyncedProject) -> Result<(ChangeSet, String), ImpactError> {
        match self {
            ChangeSource::Manifest { manifest, catalog } => {
                let set = manifest_changes(before, manifest, catalog.as_deref())?;
                Ok((set, format!("manifest {}", manifest.display())))
            }
            ChangeSource::Names { models, columns } => {
                let set = from_names(before, models, columns)?;
                let named: Vec<String> = models
                    .iter()
                    .map(|m| format!("--models {m}"))
                    .chain(columns.iter().map(|c| format!("--columns {c}")))
                    .collect();
                Ok((set, named.join(" ")))
            }
            ChangeSource::GitDiff { base, dir } => git_changes(before, base, dir),
        }
    }
}

/// A new manifest (and catalog) compared node by node with the synced project.
fn manifest_changes(
    before: &SyncedProject,
    manifest: &Path,
    catalog: Option<&Path>,
) -> Result<ChangeSet, ImpactError> {
    let paths = ArtifactPaths {
        manifest: manifest.to_path_buf(),
        catalog: catalog.map(Path::to_path_buf),
        ..ArtifactPaths::default()
    };
    let (project, compiled) = dbt::load_with_sql(&paths, before.kind)?;
    let no_sql = compiled.is_empty();
    // Relations the new manifest reads but whose columns it does not know (no catalog) are
    // expanded with the columns the store has for the same node.
    let stored: HashMap<String, Vec<String>> = before
        .nodes
        .iter()
        .map(|n| (n.unique_id.clone(), n.columns.clone()))
        .collect();
    let sql_catalog = sync::columns::catalog_of(&project, before.kind.into(), &stored);
    let computed = sync::columns::analyze_with(&project, compiled, before.kind, &sql_catalog);
    let mut set = diff_manifest(
        before,
        &NewProject {
            project: &project,
            computed: &computed,
            has_catalog: catalog.is_some(),
        },
    );
    if no_sql && catalog.is_none() {
        set.notes.push(format!(
            "{} holds no compiled SQL (`dbt parse` writes none): new columns come from the docs; run `dbt compile` for column-level detail",
            manifest.display()
        ));
    }
    set.notes.extend(project.warnings);
    Ok(set)
}

/// Changed files since `base` → the synced nodes defined in them; with column detail from
/// target/manifest.json when it was written after every change.
fn git_changes(
    before: &SyncedProject,
    base: &str,
    dir: &Path,
) -> Result<(ChangeSet, String), ImpactError> {
    let files = changed_files(base, dir)?;
    let input = format!("git diff {base} in {}", dir.display());
    let manifest = dir.join("target/manifest.json");
    let newest = files
        .iter()
        .filter_map(|f| modified(&dir.join(f)))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let fresh = |p: &Path| modified(p).is_some_and(|t| t > newest);
    let mut set = if fresh(&manifest) {
        let catalog = Some(dir.join("target/catalog.json")).filter(|c| fresh(c));
        let mut set = manifest_changes(before, &manifest, catalog.as_deref())?;
        let paths: HashMap<&str, &str> = before
            .nodes
            .iter()
            .map(|n| (n.unique_id.as_str(), n.path.as_str()))
            .collect();
        set.changes.retain(|c| {
            paths
                .get(c.unique_id.as_str())
                .is_some_and(|p| files.iter().any(|f| f == p))
        });
        set
    } else {
        let mut set = from_paths(before, &files);
        set.notes.push(format!(
            "{} is missing or older than the changed files: changed models are reported as modified, without column detail (run `dbt compile` first for column-level impact)",
            manifest.display()
        ));
        mark_deleted(&mut set, before, dir);
        set
    };
    note_unmatched(&mut set, before, &files);
    Ok((set, input))
}

fn changed_files(base: &str, dir: &Path) -> Result<Vec<String>, ImpactError> {
    let out = std::process::Command::new("git")
        .args(["diff", "--name-only", "--relative", base, "--"])
        .current_dir(dir)
        .output()
        .map_err(|e| ImpactError::Git(format!("running git in {}: {e}", dir.display())))?;
    if !out.status.success() {
        return Err(ImpactError::Git(format!(
            "`git diff --name-only {base}` failed in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A model whose SQL file is gone is removed, not modified.
fn mark_deleted(set: &mut ChangeSet, before: &SyncedProject, dir: &Path) {
    for change in &mut set.changes {
        let gone = before
            .nodes
            .iter()
            .find(|n| n.unique_id == change.unique_id)
            .is_some_and(|n| n.path.ends_with(".sql") && !dir.join(&n.path).exists());
        if gone {
            change.change = Change::Removed;
        }
    }
}

/// Changed project files no synced node comes from: macros, tests, new models.
fn note_unmatched(set: &mut ChangeSet, before: &SyncedProject, files: &[String]) {
    let unmatched: Vec<&str> = files
        .iter()
        .filter(|f| f.ends_with(".sql") || f.ends_with(".yml") || f.ends_with(".yaml"))
        .filter(|f| !before.nodes.iter().any(|n| &n.path == *f))
        .map(String::as_str)
        .collect();
    if !unmatched.is_empty() {
        set.notes.push(format!(
            "{} changed file(s) define no synced node (new models, macros, tests, YAML): {}",
            unmatched.len(),
            unmatched.join(", ")
        ));
    }
}
