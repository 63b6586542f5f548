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
    let mut cmd = bin();
    cmd.args([
        "--store",
        "s.sqlite",
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

/// Projects the store knows, from the graph export.
fn projects(dir: &Path) -> usize {
    let out = bin()
        .args(["--store", "s.sqlite", "export", "graph"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    graph["nodes"]
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
        let mut child = import(dir.path(), "big.jsonl")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(after));
        let _ = child.kill();
        let _ = child.wait();
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
