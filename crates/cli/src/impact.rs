//! `downstream impact`: what a change to the dbt project breaks downstream, at column level.
//! Reads the change (a new manifest, names, or a git diff), compares it with the synced
//! project, walks the lineage graph and prints the report; the analysis is `sync::impact`.

use crate::impact_print;
use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args, ValueEnum};
use dbt::ArtifactPaths;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;
use store::{Store, SyncedProject};
use sync::impact::{self, Change, ChangeSet, NewProject};

/// How to print the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a terminal.
    Text,
    /// One JSON object.
    Json,
    /// For a pull-request comment.
    Markdown,
}

/// `downstream impact`.
#[derive(Args, Debug)]
#[command(group(
    ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["manifest", "models", "columns", "git_diff"])
))]
pub struct ImpactArgs {
    /// A new manifest.json (from `dbt compile` for column detail) to compare with the synced
    /// project.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["models", "columns", "git_diff"])]
    manifest: Option<PathBuf>,
    /// The new catalog.json: the models' new columns (else their compiled SQL's output
    /// columns, else their documented ones).
    #[arg(long, value_name = "FILE", requires = "manifest")]
    catalog: Option<PathBuf>,
    /// Models to treat as modified: names or unique_ids, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "MODEL,…",
        conflicts_with = "git_diff"
    )]
    models: Vec<String>,
    /// Columns to treat as dropped: model.column, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "MODEL.COLUMN,…",
        conflicts_with = "git_diff"
    )]
    columns: Vec<String>,
    /// The changes of the dbt project's files since this git revision (`git diff --name-only
    /// BASE`); column detail when target/manifest.json is newer than them.
    #[arg(long, value_name = "BASE")]
    git_diff: Option<String>,
    /// The dbt project for --git-diff (default: the current directory).
    #[arg(long, value_name = "DIR", requires = "git_diff")]
    project_dir: Option<PathBuf>,
    /// The connection whose synced project to compare with (default: the only one with dbt
    /// metadata).
    #[arg(long)]
    connection: Option<String>,
    /// text, json or markdown.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Hex work that ran within this many days is live.
    /// Default: `[history] window_days` of the config, else 14.
    #[arg(long)]
    window_days: Option<u32>,
}

/// Runs the analysis and prints it; exit 1 when something breaks.
/// `window_days` is the config's, for when the command line gives none.
pub async fn run(store: &Store, args: ImpactArgs, window_days: u32) -> Result<ExitCode> {
    let connection = pick_connection(store, args.connection.as_deref()).await?;
    let before = store
        .synced_project(&connection)
        .await
        .with_context(|| format!("reading the synced dbt project of {connection}"))?;
    let (set, input) = read_change(before.clone(), &args).await?;
    let since = model::stamp(
        chrono::Utc::now()
            - chrono::Duration::days(i64::from(args.window_days.unwrap_or(window_days))),
    );
    let mut graph = store
        .lineage_graph(&since)
        .await
        .context("building the lineage graph")?;
    impact::add_column_pairs(&mut graph, &connection, &before.column_lineage);
    let report = impact::analyze(&graph, &connection, set);
    let text = match args.format {
        Format::Text => impact_print::text(&report, &input),
        Format::Markdown => impact_print::markdown(&report, &input),
        Format::Json => impact_print::json(&report, &input)?,
    };
    print!("{text}");
    Ok(if report.breaking {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn pick_connection(store: &Store, named: Option<&str>) -> Result<String> {
    if let Some(name) = named {
        return Ok(name.to_string());
    }
    let with_dbt = store.dbt_connections().await?;
    match with_dbt.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no connection has dbt metadata in the store: run `downstream sync` first"),
        many => bail!(
            "several connections have dbt metadata ({}): pick one with --connection",
            many.join(", ")
        ),
    }
}

/// The change and a line saying where it came from. Manifests are read off the runtime.
async fn read_change(before: SyncedProject, args: &ImpactArgs) -> Result<(ChangeSet, String)> {
    if let Some(manifest) = args.manifest.clone() {
        let catalog = args.catalog.clone();
        let input = format!("manifest {}", manifest.display());
        let set = tokio::task::spawn_blocking(move || {
            manifest_changes(&before, &manifest, catalog.as_deref())
        })
        .await??;
        return Ok((set, input));
    }
    if let Some(base) = args.git_diff.clone() {
        let dir = args
            .project_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        return tokio::task::spawn_blocking(move || git_changes(&before, &base, &dir)).await?;
    }
    let set = impact::from_names(&before, &args.models, &args.columns)?;
    let named: Vec<String> = args
        .models
        .iter()
        .map(|m| format!("--models {m}"))
        .chain(args.columns.iter().map(|c| format!("--columns {c}")))
        .collect();
    Ok((set, named.join(" ")))
}

/// A new manifest (and catalog) compared node by node with the synced project.
fn manifest_changes(
    before: &SyncedProject,
    manifest: &Path,
    catalog: Option<&Path>,
) -> Result<ChangeSet> {
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
    let mut set = impact::diff_manifest(
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
fn git_changes(before: &SyncedProject, base: &str, dir: &Path) -> Result<(ChangeSet, String)> {
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
        let mut set = impact::from_paths(before, &files);
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

fn changed_files(base: &str, dir: &Path) -> Result<Vec<String>> {
    let out = std::process::Command::new("git")
        .args(["diff", "--name-only", "--relative", base, "--"])
        .current_dir(dir)
        .output()
        .with_context(|| format!("running git in {}", dir.display()))?;
    if !out.status.success() {
        bail!(
            "`git diff --name-only {base}` failed in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
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
