//! `downstream impact`: what a change to the dbt project breaks downstream, at column level.
//! Reads the change (a new manifest, names, or a git diff), compares it with the synced
//! project, walks the lineage graph and prints the report; the analysis is the `impact`
//! crate's.

use crate::impact_print;
use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args, ValueEnum};
use impact::{ChangeSet, ChangeSource};
use std::path::PathBuf;
use std::process::ExitCode;
use store::{Store, SyncedProject};

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
    let since = model::live_since(args.window_days.unwrap_or(window_days));
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

/// The change and a line saying where it came from, read off the runtime.
async fn read_change(before: SyncedProject, args: &ImpactArgs) -> Result<(ChangeSet, String)> {
    let source = if let Some(manifest) = args.manifest.clone() {
        ChangeSource::Manifest {
            manifest,
            catalog: args.catalog.clone(),
        }
    } else if let Some(base) = args.git_diff.clone() {
        ChangeSource::GitDiff {
            base,
            dir: args
                .project_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(".")),
        }
    } else {
        ChangeSource::Names {
            models: args.models.clone(),
            columns: args.columns.clone(),
        }
    };
    Ok(tokio::task::spawn_blocking(move || source.read(&before)).await??)
}
