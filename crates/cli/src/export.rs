//! `downstream export`: the lineage graph as JSON, and the Hex jobs as OpenLineage events.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use store::Store;

/// What to export.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Every node (dbt nodes, tables, Hex cells and projects) and edge, with columns.
    Graph,
    /// One OpenLineage `COMPLETE` run event per Hex cell, one JSON object per line.
    Openlineage,
}

/// `downstream export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// graph or openlineage.
    #[arg(value_enum)]
    format: Format,
    /// Write here instead of standard output.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Hex work that ran within this many days is live.
    /// Default: `[history] window_days` of the config, else 14.
    #[arg(long)]
    window_days: Option<u32>,
}

/// Writes the export.
/// `window_days` is the config's, for when the command line gives none.
pub async fn run(store: &Store, args: ExportArgs, window_days: u32) -> Result<()> {
    let now = chrono::Utc::now();
    let since = model::live_since(args.window_days.unwrap_or(window_days));
    let graph = store.lineage_graph(&since).await?;
    let mut text = match args.format {
        Format::Graph => serde_json::to_string_pretty(&graph.export())?,
        Format::Openlineage => {
            let warehouses = store
                .connections()
                .await?
                .into_iter()
                .map(|c| (c.name, c.kind))
                .collect();
            let events = ::export::openlineage::hex_events(&graph, &warehouses, &model::stamp(now));
            let lines: Result<Vec<String>, _> = events.iter().map(serde_json::to_string).collect();
            lines?.join("\n")
        }
    };
    text.push('\n');
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}
