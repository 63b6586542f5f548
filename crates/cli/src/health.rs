//! `downstream health`: which Hex projects and cells read failing or late data right now,
//! for a terminal, a script (JSON) or a chat message (markdown); exit 1 when live work fails.

use crate::impact::Format;
use anyhow::{Context, Result};
use clap::Args;
use health::{Health, ProjectHealth};
use std::fmt::Write as _;
use std::process::ExitCode;
use store::Store;

/// Arguments of `downstream health`.
#[derive(Args)]
pub struct HealthArgs {
    /// text, json or markdown.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Only this Hex project (its id).
    #[arg(long)]
    project: Option<String>,
    /// Hex work that ran within this many days is live.
    /// Default: `[history] window_days` of the config, else 14.
    #[arg(long)]
    window_days: Option<u32>,
}

/// Prints the health of every Hex project (or one); exit 1 when a live one is failing.
pub async fn run(store: &Store, args: HealthArgs, window_days: u32) -> Result<ExitCode> {
    let since = model::live_since(args.window_days.unwrap_or(window_days));
    let graph = store
        .lineage_graph(&since)
        .await
        .context("building the lineage graph")?;
    let problems = store
        .current_problems()
        .await
        .context("reading test, build and freshness results")?;
    let mut projects = health::assess(&graph, &problems);
    if let Some(id) = &args.project {
        projects.retain(|p| &p.project_id == id);
        anyhow::ensure!(
            !projects.is_empty(),
            "no Hex project {id:?} in the lineage graph"
        );
    }
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&projects)? + "\n",
        Format::Text => text(&projects),
        Format::Markdown => markdown(&projects),
    };
    print!("{out}");
    let broken = projects
        .iter()
        .any(|p| p.live && p.health == Health::Failing);
    Ok(if broken {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn headline(projects: &[ProjectHealth]) -> String {
    let count = |h: Health| projects.iter().filter(|p| p.health == h).count();
    let live_failing = projects
        .iter()
        .filter(|p| p.live && p.health == Health::Failing)
        .count();
    format!(
        "{} Hex projects: {} failing ({live_failing} live), {} warning, {} healthy",
        projects.len(),
        count(Health::Failing),
        count(Health::Warning),
        count(Health::Healthy)
    )
}

/// Each problem once per project, with the cells it reaches.
fn problems(project: &ProjectHealth) -> Vec<(String, Vec<&str>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for cell in &project.cells {
        for f in &cell.findings {
            let column = f
                .problem
                .column
                .as_deref()
                .map(|c| format!(" (column {c})"))
                .unwrap_or_default();
            let since = f
                .problem
                .since
                .as_deref()
                .map(|s| format!(", since {s}"))
                .unwrap_or_default();
            let path: Vec<&str> = f.path.iter().map(|s| s.label.as_str()).collect();
            let line = format!(
                "{} {}{column}{since}: {}",
                f.problem.kind.describe(),
                f.problem.name,
                path.join(" → ")
            );
            match out.iter_mut().find(|(l, _)| *l == line) {
                Some((_, cells)) => cells.push(&cell.label),
                None => out.push((line, vec![&cell.label])),
            }
        }
    }
    out
}

fn text(projects: &[ProjectHealth]) -> String {
    let mut out = headline(projects) + "\n";
    for p in projects.iter().filter(|p| p.health != Health::Healthy) {
        let live = if p.live { "live" } else { "stale" };
        let owner = p
            .owner
            .as_deref()
            .map(|o| format!(", {o}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{} [{}] {live}, {} app views{owner}",
            p.title,
            p.health.as_str(),
            p.app_views
        );
        for (line, _) in problems(p) {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn markdown(projects: &[ProjectHealth]) -> String {
    let mut out = format!("### {}\n", headline(projects));
    for p in projects.iter().filter(|p| p.health != Health::Healthy) {
        let title = match &p.url {
            Some(url) if model::hex::linkable(url) => format!("[{}]({url})", escape(&p.title)),
            _ => escape(&p.title),
        };
        let live = if p.live { "live" } else { "stale" };
        let _ = writeln!(out, "\n**{title}**: {} ({live})\n", p.health.as_str());
        for (line, cells) in problems(p) {
            let _ = writeln!(
                out,
                "- {} (cells: {})",
                escape(&line),
                escape(&cells.join(", "))
            );
        }
    }
    out
}

/// Text from dbt or Hex cannot turn into markdown markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>#|!".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
