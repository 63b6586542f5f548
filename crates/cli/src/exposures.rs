//! `downstream exposures`: dbt exposures YAML, one per Hex project that reads dbt nodes, so dbt
//! docs and `dbt ls --select +exposure:…` know what Hex builds on.
//!
//! Generated entries carry `config.meta.downstream_generated: true` and are the only ones ever
//! replaced. Hand-written exposures stay as they are: in other files they are read to avoid
//! their names and the projects they already describe (same URL); in the output file itself
//! they are kept.

use anyhow::{bail, Context, Result};
use clap::Args;
use model::graph::{EdgeKind, Graph, Node, NodeKind};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use store::Store;
use yaml_serde::{Mapping, Value};

/// The flag on every generated exposure.
const GENERATED: &str = "downstream_generated";
/// Where a dbt project gets the file unless told otherwise.
const DEFAULT_FILE: &str = "models/exposures/hex_exposures.yml";
/// Runs (scheduled and app views) within the window that make a project's maturity high.
const BUSY: i64 = 10;

/// `downstream exposures`.
#[derive(Args, Debug)]
pub struct ExposuresArgs {
    /// A dbt project: hand-written exposures under its models/ are respected and the file is
    /// written to models/exposures/hex_exposures.yml unless --out says otherwise.
    #[arg(long)]
    project_dir: Option<PathBuf>,
    /// The YAML file to write (standard output when neither this nor --project-dir is given).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Only dbt nodes of this connection.
    #[arg(long)]
    connection: Option<String>,
    /// Hex work that ran within this many days is live (and its exposure more mature).
    /// Default: `[history] window_days` of the config, else 14.
    #[arg(long)]
    window_days: Option<u32>,
}

/// What the hand-written exposures already take.
#[derive(Default)]
struct Taken {
    names: HashSet<String>,
    urls: HashSet<String>,
}

/// Writes the exposures and says how many.
/// `window_days` is the config's, for when the command line gives none.
pub async fn run(store: &Store, args: ExposuresArgs, window_days: u32) -> Result<()> {
    let since = model::stamp(
        chrono::Utc::now()
            - chrono::Duration::days(i64::from(args.window_days.unwrap_or(window_days))),
    );
    let graph = store.lineage_graph(&since).await?;
    let out = args
        .out
        .clone()
        .or_else(|| args.project_dir.as_ref().map(|d| d.join(DEFAULT_FILE)));
    let (kept, mut taken) = match &out {
        Some(path) => kept_entries(path)?,
        None => (Vec::new(), Taken::default()),
    };
    if let Some(dir) = &args.project_dir {
        hand_written(&dir.join("models"), out.as_deref(), &mut taken)?;
    }
    let generated = exposures(&graph, args.connection.as_deref(), &mut taken);
    let count = generated.len();
    let text = document(kept, generated)?;
    match &out {
        Some(path) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {count} Hex exposures to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Hand-written entries of an existing output file (kept), and what they take.
fn kept_entries(path: &Path) -> Result<(Vec<Value>, Taken)> {
    let mut taken = Taken::default();
    if !path.exists() {
        return Ok((Vec::new(), taken));
    }
    let kept: Vec<Value> = read_exposures(path)?
        .into_iter()
        .filter(|e| !is_generated(e))
        .collect();
    for e in &kept {
        take(e, &mut taken);
    }
    Ok((kept, taken))
}

/// Every exposure in the YAML files under `dir`, except `skip` (our own file).
fn hand_written(dir: &Path, skip: Option<&Path>, taken: &mut Taken) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hand_written(&path, skip, taken)?;
        } else if is_yaml(&path) && Some(path.as_path()) != skip {
            for e in read_exposures(&path)?.iter().filter(|e| !is_generated(e)) {
                take(e, taken);
            }
        }
    }
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

fn read_exposures(path: &Path) -> Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value = match yaml_serde::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => bail!("{}: not YAML dbt can read: {e}", path.display()),
    };
    Ok(match doc.get("exposures") {
        Some(Value::Sequence(list)) => list.clone(),
        _ => Vec::new(),
    })
}

fn is_generated(e: &Value) -> bool {
    let meta = e
        .get("config")
        .and_then(|c| c.get("meta"))
        .or_else(|| e.get("meta"));
    meta.and_then(|m| m.get(GENERATED)).and_then(Value::as_bool) == Some(true)
}

fn take(e: &Value, taken: &mut Taken) {
    if let Some(name) = e.get("name").and_then(Value::as_str) {
        taken.names.insert(name.to_string());
    }
    if let Some(url) = e.get("url").and_then(Value::as_str) {
        taken.urls.insert(url.to_string());
    }
}

/// One exposure per Hex project that reads dbt nodes, in title order.
fn exposures(g: &Graph, connection: Option<&str>, taken: &mut Taken) -> Vec<Value> {
    let mut projects: Vec<usize> = (0..g.nodes().len())
        .filter(|&at| g.node(at).kind == NodeKind::HexProject)
        .collect();
    projects.sort_by(|a, b| g.node(*a).label.cmp(&g.node(*b).label));
    projects
        .into_iter()
        .filter_map(|p| exposure(g, p, connection, taken))
        .collect()
}

fn exposure(
    g: &Graph,
    project: usize,
    connection: Option<&str>,
    taken: &mut Taken,
) -> Option<Value> {
    let p = g.node(project);
    let url = p.external_url.clone().filter(|u| u.starts_with("https://"));
    if url.as_ref().is_some_and(|u| taken.urls.contains(u)) {
        return None;
    }
    let depends_on = dependencies(g, project, connection);
    if depends_on.is_empty() {
        return None;
    }
    let name = unique_name(&p.label, &mut taken.names);
    let mut e = Mapping::new();
    e.insert("name".into(), name.into());
    e.insert("label".into(), p.label.clone().into());
    e.insert("type".into(), kind(p).into());
    e.insert("maturity".into(), maturity(p).into());
    if let Some(url) = url {
        e.insert("url".into(), url.into());
    }
    e.insert(
        "description".into(),
        "A Hex project. Generated by `downstream exposures` from query history and the Hex API: edit the project in Hex, not this entry.".into(),
    );
    e.insert("owner".into(), owner(p));
    e.insert(
        "depends_on".into(),
        Value::Sequence(depends_on.into_iter().map(Value::from).collect()),
    );
    e.insert("config".into(), config(p));
    Some(Value::Mapping(e))
}

/// `ref('model')` and `source('src', 'table')` for every dbt node its cells (or the project,
/// per Hex's queried tables) read.
fn dependencies(g: &Graph, project: usize, connection: Option<&str>) -> BTreeSet<String> {
    let cells = g
        .incoming(project)
        .filter(|e| e.kind == EdgeKind::Contains)
        .map(|e| e.from);
    std::iter::once(project)
        .chain(cells)
        .flat_map(|at| g.incoming(at).filter(|e| e.kind == EdgeKind::Reads))
        .map(|e| g.node(e.from))
        .filter(|n| n.kind.is_dbt())
        .filter(|n| connection.is_none_or(|c| n.connection.as_deref() == Some(c)))
        .filter_map(dbt_reference)
        .collect()
}

fn dbt_reference(n: &Node) -> Option<String> {
    let unique_id = n.unique_id.as_deref()?;
    match n.kind {
        NodeKind::Source => {
            // source.<package>.<source name>.<table>
            let mut parts = unique_id.splitn(4, '.').skip(2);
            let (source, table) = (parts.next()?, parts.next()?);
            Some(format!("source('{source}', '{table}')"))
        }
        _ => Some(format!("ref('{}')", n.label)),
    }
}

/// `hex_` and the title in snake case, numbered when taken.
fn unique_name(title: &str, names: &mut HashSet<String>) -> String {
    let mut snake = String::from("hex");
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        snake.push('_');
        snake.push_str(&word.to_ascii_lowercase());
    }
    let mut name = snake.clone();
    let mut n = 2;
    while names.contains(&name) {
        name = format!("{snake}_{n}");
        n += 1;
    }
    names.insert(name.clone());
    name
}

/// A published project, or one people open as an app, is a dashboard; one they work in, a
/// notebook.
fn kind(p: &Node) -> &'static str {
    let Some(a) = &p.activity else {
        return "notebook";
    };
    let published = a.status.as_deref() == Some("Published");
    if published || a.runs_by_context.get("app_view").copied().unwrap_or(0) > 0 {
        "dashboard"
    } else {
        "notebook"
    }
}

/// high: live and busy (scheduled runs and app views); medium: live; low: stale or never seen.
fn maturity(p: &Node) -> &'static str {
    let Some(a) = p.activity.as_ref().filter(|a| a.live) else {
        return "low";
    };
    let busy: i64 = ["scheduled", "app_view"]
        .iter()
        .filter_map(|c| a.runs_by_context.get(*c))
        .sum();
    if busy >= BUSY {
        "high"
    } else {
        "medium"
    }
}

fn owner(p: &Node) -> Value {
    let mut owner = Mapping::new();
    match p.detail.as_deref().filter(|d| d.contains('@')) {
        Some(email) => {
            let name = email.split('@').next().unwrap_or(email);
            owner.insert("name".into(), name.into());
            owner.insert("email".into(), email.into());
        }
        None => {
            owner.insert("name".into(), "Hex".into());
        }
    }
    Value::Mapping(owner)
}

fn config(p: &Node) -> Value {
    let mut meta = Mapping::new();
    meta.insert(GENERATED.into(), true.into());
    meta.insert(
        "hex_project_id".into(),
        p.id.trim_start_matches("hex:").into(),
    );
    if let Some(last) = p.activity.as_ref().and_then(|a| a.last_run.clone()) {
        meta.insert("hex_last_run".into(), last.into());
    }
    let mut config = Mapping::new();
    config.insert("tags".into(), Value::Sequence(vec!["hex".into()]));
    config.insert("meta".into(), Value::Mapping(meta));
    Value::Mapping(config)
}

fn document(kept: Vec<Value>, generated: Vec<Value>) -> Result<String> {
    let mut doc = Mapping::new();
    doc.insert("version".into(), 2.into());
    doc.insert(
        "exposures".into(),
        Value::Sequence(kept.into_iter().chain(generated).collect()),
    );
    let body = yaml_serde::to_string(&Value::Mapping(doc))?;
    Ok(format!(
        "# Hex projects as dbt exposures, written by `downstream exposures`.\n# Entries with config.meta.{GENERATED}: true are rewritten on every run; others are kept.\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case_identifiers_and_unique() {
        let mut names = HashSet::from(["hex_revenue_dashboard".to_string()]);
        assert_eq!(
            unique_name("Revenue dashboard", &mut names),
            "hex_revenue_dashboard_2"
        );
        assert_eq!(
            unique_name("Ops: order status — monitor!", &mut names),
            "hex_ops_order_status_monitor"
        );
        assert_eq!(
            unique_name("Q3 board deck", &mut names),
            "hex_q3_board_deck"
        );
    }

    #[test]
    fn generated_entries_are_recognised_by_their_flag() {
        let ours: Value =
            yaml_serde::from_str("name: a\nconfig:\n  meta:\n    downstream_generated: true")
                .unwrap();
        let theirs: Value =
            yaml_serde::from_str("name: b\nmeta:\n  downstream_generated: false").unwrap();
        assert!(is_generated(&ours));
        assert!(!is_generated(&theirs));
    }
}
