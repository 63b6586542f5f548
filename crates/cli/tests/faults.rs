//! A process killed in the middle of a sync leaves the last complete data, and the next sync
//! completes as if nothing had happened.

use crate::{bin, text};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// `rows` Hex-tagged executions over `projects` projects, as an export.
fn history(path: &Path, rows: usize, projects: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..rows {
        let p = i % projects;
        let comment = format!(
            r#"-- Hex query metadata: {{\"context\": \"SCHEDULED_RUN\", \"project_id\": \"p{p}\", \"project_name\": \"Project {p}\", \"project_url\": \"https://app.hex.tech/acme/hex/p{p}/draft/logic?selectedCellId=c{p}\", \"user_email\": \"u{p}@acme.com\"}}"#
        );
        writeln!(
            out,
            r#"{{"query_text": "select amount, status from marts.orders_{t} where id > {i}\n{comment}", "start_time": "2026-11-20T10:{m:02}:00Z", "database_name": "analytics", "schema_name": "marts"}}"#,
            t = i % 50,
            m = i % 60,
        )
        .unwrap();
    }
}

fn import(dir: &Path, file: &str) -> std::process::Command {
    import_into(dir, "s.sqlite", file)
}

fn import_into(dir: &Path, store: &str, file: &str) -> std::process::Command {
    let mut cmd = bin();
    cmd.args([
        "--store",
        store,
        "history",
        "import",
        "--connection",
        "wh",
        "--kind",
        "postgres",
        file,
    ])
    .current_dir(dir)
    .env_remove("DOWNSTREAM_CONFIG")
    .env_remove("DOWNSTREAM_STORE");
    cmd
}

/// Starts an import of `file` and SIGKILLs it after `ms` milliseconds: no handler runs, so
/// its lease and any uncommitted write stay behind.
fn kill_import_after(dir: &Path, file: &str, ms: u64) {
    let mut child = import(dir, file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    // Ok as well when the import already finished and is not yet reaped.
    child.kill().unwrap();
    let _ = child.wait();
}

/// The store's graph export.
fn graph(dir: &Path, store: &str) -> serde_json::Value {
    let out = bin()
        .args(["--store", store, "export", "graph"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every node and edge of the graph export, each as its JSON text, sorted: two stores hold
/// the same lineage and the same runs exactly when these are equal.
fn contents(dir: &Path, store: &str) -> Vec<String> {
    let graph = graph(dir, store);
    let mut all: Vec<String> = ["nodes", "edges"]
        .iter()
        .flat_map(|k| graph[k].as_array().unwrap().iter().map(|v| v.to_string()))
        .collect();
    all.sort();
    all
}

/// Projects the store knows, from the graph export.
fn projects(dir: &Path) -> usize {
    graph(dir, "s.sqlite")["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "hex_project")
        .count()
}

#[test]
fn a_sync_killed_midway_keeps_the_last_data_and_the_next_one_completes() {
    let dir = tempfile::tempdir().unwrap();
    history(&dir.path().join("small.jsonl"), 30, 3);
    history(&dir.path().join("big.jsonl"), 200_000, 400);
    let first = import(dir.path(), "small.jsonl").output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(projects(dir.path()), 3);

    // Killed at several points of reading, parsing and writing.
    for after in [150, 600, 1_200] {
        kill_import_after(dir.path(), "big.jsonl", after);
        let seen = projects(dir.path());
        assert!(
            seen == 3 || seen == 400,
            "after a kill at {after} ms the store holds the last complete import or the new one, never part: {seen}"
        );
    }
    let last = import(dir.path(), "big.jsonl").output().unwrap();
    assert!(last.status.success(), "{}", text(&last));
    assert_eq!(projects(dir.path()), 400, "the next import completes");
}

/// SIGKILL in the middle of writing, then the same import at once: the dead process's lease
/// is taken over, and the store ends as an import nobody interrupted leaves it, runs included.
#[test]
fn an_import_killed_and_run_again_at_once_equals_one_never_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    history(&dir.path().join("big.jsonl"), 120_000, 300);
    let clean = import_into(dir.path(), "clean.sqlite", "big.jsonl")
        .output()
        .unwrap();
    assert!(clean.status.success(), "{}", text(&clean));
    for after in [300, 900] {
        kill_import_after(dir.path(), "big.jsonl", after);
        let again = import(dir.path(), "big.jsonl").output().unwrap();
        assert!(again.status.success(), "{}", text(&again));
        assert!(
            !text(&again).contains("another process"),
            "{}",
            text(&again)
        );
    }
    assert_eq!(
        contents(dir.path(), "s.sqlite"),
        contents(dir.path(), "clean.sqlite"),
        "killed and resumed, the store equals an uninterrupted import"
    );
}
