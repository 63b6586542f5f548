//! `downstream exposures`: dbt exposures YAML, one per Hex project that reads dbt nodes, so dbt
//! docs and `dbt ls --select +exposure:…` know what Hex builds on. What an exposure is comes
//! from [`export::exposures`]; this module reads and writes the YAML files.
//!
//! Generated entries carry `config.meta.downstream_generated: true` and are the only ones ever
//! replaced. Hand-written exposures stay as they are: in other files they are read to avoid
//! their names and the projects they already describe (same URL); in the output file itself
//! they are kept.

use ::export::exposures::{exposures, Exposure, Taken, GENERATED};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use store::Store;
use yaml_serde::{Mapping, Value};

/// Where a dbt project gets the file unless told otherwise.
const DEFAULT_FILE: &str = "models/exposures/hex_exposures.yml";

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
    /// `text`: the YAML (or, with a file, a line saying how many were written); `json`: the
    /// generated exposures, the file and the hand-written entries kept, as one document.
    #[arg(long, value_enum, default_value_t)]
    format: crate::report::Format,
}

/// Writes the exposures and says how many.
/// `window_days` is the config's, for when the command line gives none.
pub async fn run(store: &Store, args: ExposuresArgs, window_days: u32) -> Result<()> {
    let since = model::live_since(args.window_days.unwrap_or(window_days));
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
    let report = serde_json::json!({
        "file": out.as_ref().map(|p| p.display().to_string()),
        "kept": kept.len(),
        "exposures": &generated,
    });
    let count = generated.len();
    let text = document(kept, generated)?;
    let json = args.format == crate::report::Format::Json;
    match &out {
        Some(path) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !json {
                eprintln!("wrote {count} Hex exposures to {}", path.display());
            }
        }
        None if !json => print!("{text}"),
        None => {}
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
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

/// The file: hand-written entries as they were, then ours, serialized from their types.
fn document(kept: Vec<Value>, generated: Vec<Exposure>) -> Result<String> {
    let generated = generated
        .iter()
        .map(yaml_serde::to_value)
        .collect::<Result<Vec<Value>, _>>()?;
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
