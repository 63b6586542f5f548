//! `downstream check`: one row per source, exit 1 when any fails, and the token nowhere.

use crate::{project_dir, text};
use mockhttp::{Mock, Reply, TOKEN};
use serde_json::json;
use std::path::Path;
use std::process::Output;

/// A project whose config also has a history export and the Hex workspace at `hex_url`.
fn config_with_hex(hex_url: &str) -> tempfile::TempDir {
    let dir = project_dir();
    std::fs::write(dir.path().join("history.jsonl"), "").unwrap();
    let config = std::fs::read_to_string(dir.path().join("downstream.toml")).unwrap();
    let extra = format!(
        "\n[[connections.history]]\nname = \"export\"\nkind = \"file\"\npath = \"history.jsonl\"\n\n[[hex]]\nworkspace_url = \"{hex_url}/acme/\"\ntoken_env = \"DOWNSTREAM_TEST_HEX_TOKEN\"\n"
    );
    std::fs::write(dir.path().join("downstream.toml"), config + &extra).unwrap();
    dir
}

async fn check(dir: &Path) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        crate::bin()
            .args(["check"])
            .current_dir(&dir)
            .env_remove("DOWNSTREAM_CONFIG")
            .env_remove("DOWNSTREAM_STORE")
            .env("DOWNSTREAM_TEST_HEX_TOKEN", TOKEN)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn page(values: serde_json::Value) -> Reply {
    Reply::json(
        200,
        json!({"values": values, "pagination": {"after": null}}),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_source_gets_a_row_and_a_rejected_token_fails_the_check() {
    let hex = Mock::start(vec![Reply::json(
        401,
        json!({"details": "Invalid token", "traceId": "t", "reason": "UNAUTHORIZED"}),
    )])
    .await;
    let dir = config_with_hex(&hex.url);
    let out = check(dir.path()).await;
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("SOURCE"), "{shown}");
    let row = |prefix: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} row in\n{shown}"))
            .to_string()
    };
    assert!(row("dbt metadata").contains("ok"));
    assert!(row("dbt metadata").contains("jaffle_analytics"));
    assert!(row("query history (export)").contains("ok"));
    let hex_row = row("Hex workspace acme");
    assert!(hex_row.contains("FAILED"), "{hex_row}");
    assert!(hex_row.contains("401 Unauthorized"), "{hex_row}");
    assert!(hex_row.contains("Settings → API keys"), "{hex_row}");
    assert!(shown.contains("2 of 3 sources ok"), "{shown}");
    assert!(!shown.contains(TOKEN), "the token leaked:\n{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_without_queried_tables_still_passes_and_says_so() {
    let hex = Mock::start(vec![
        page(json!([{"id": "p1", "title": "Revenue", "type": "PROJECT"}])),
        page(json!([{"id": "hc", "name": "Prod", "type": "postgres"}])),
        Reply::json(
            403,
            json!({"details": "Enterprise plan required", "traceId": "t"}),
        ),
    ])
    .await;
    let dir = config_with_hex(&hex.url);
    let out = check(dir.path()).await;
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("1 projects, 1 data connections; queried tables: unavailable"),
        "{shown}"
    );
    assert!(shown.contains("Enterprise plan required"), "{shown}");
}

#[test]
fn a_missing_token_variable_is_a_failed_row_naming_it() {
    let dir = config_with_hex("http://127.0.0.1:9");
    let out = crate::bin()
        .args(["check"])
        .current_dir(dir.path())
        .env_remove("DOWNSTREAM_CONFIG")
        .env_remove("DOWNSTREAM_TEST_HEX_TOKEN")
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("$DOWNSTREAM_TEST_HEX_TOKEN is not set in the environment"),
        "{shown}"
    );
}
