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

/// A Hex workspace that answers 401 to the token.
async fn rejecting_hex() -> Mock {
    mockhttp::hex::mock(vec![Reply::json(
        401,
        json!({"details": "Invalid token", "traceId": "t", "reason": "UNAUTHORIZED"}),
    )
    .off_spec("ListProjects lists no 401 in Hex's document")])
    .await
}

async fn check(dir: &Path) -> Output {
    check_with(dir, &[]).await
}

async fn check_with(dir: &Path, extra: &[&'static str]) -> Output {
    let dir = dir.to_path_buf();
    let extra = extra.to_vec();
    tokio::task::spawn_blocking(move || {
        crate::bin()
            .arg("check")
            .args(extra)
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

#[tokio::test(flavor = "multi_thread")]
async fn every_source_gets_a_row_and_a_rejected_token_fails_the_check() {
    let hex = rejecting_hex().await;
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
    // The resolved config comes first, the secret as its variable.
    assert!(shown.contains("live window 14 days"), "{shown}");
    assert!(
        shown.contains("token_env = <from $DOWNSTREAM_TEST_HEX_TOKEN>"),
        "{shown}"
    );
    assert!(
        shown.contains("export: kind = file, path = history.jsonl"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_as_json_gives_the_resolved_config_and_each_verdict() {
    let hex = rejecting_hex().await;
    let dir = config_with_hex(&hex.url);
    let out = check_with(dir.path(), &["--format", "json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(doc["ok"], false, "{doc}");
    assert_eq!(doc["config"]["window_days"], 14, "{doc}");
    assert_eq!(doc["config"]["connections"][0]["name"], "wh", "{doc}");
    assert_eq!(
        doc["config"]["hex"][0]["token_env"], "<from $DOWNSTREAM_TEST_HEX_TOKEN>",
        "{doc}"
    );
    let sources = doc["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3, "{doc}");
    assert!(sources.iter().any(|s| s["ok"] == false
        && s["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("401 Unauthorized")));
    assert!(!doc.to_string().contains(TOKEN), "the token leaked: {doc}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_without_queried_tables_still_passes_and_says_so() {
    use mockhttp::hex::{cell, connection, error_details, page, project, uuid};
    let (p1, hc) = (uuid(1), uuid(2));
    let hex = mockhttp::hex::mock(vec![
        page(
            json!([project(&p1, "Revenue", "2024-05-01T09:00:00Z")]),
            None,
        ),
        page(json!([connection(&hc, "Prod", "postgres")]), None),
        page(json!([cell("c1", "SQL", &p1)]), None),
        error_details(403, "Forbidden", "Enterprise plan required"),
    ])
    .await;
    let dir = config_with_hex(&hex.url);
    let out = check(dir.path()).await;
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("projects readable; data connections readable; cells readable; queried tables not readable"),
        "{shown}"
    );
    assert!(shown.contains("Read project queried tables"), "{shown}");
    // The cheapest calls: one value of each listing.
    let calls: Vec<String> = hex
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.path, s.query))
        .collect();
    assert_eq!(
        calls,
        [
            "/api/v1/projects limit=1".to_string(),
            "/api/v1/data-connections limit=1".into(),
            format!("/api/v1/cells projectId={p1}&limit=1"),
            format!("/api/v1/projects/{p1}/queriedTables limit=1"),
        ]
    );
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

/// Runs the binary with the token in its environment and every log level on.
async fn run_logged(dir: &Path, args: &'static [&'static str]) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        crate::bin()
            .args(args)
            .current_dir(&dir)
            .env_remove("DOWNSTREAM_CONFIG")
            .env_remove("DOWNSTREAM_STORE")
            .env("DOWNSTREAM_TEST_HEX_TOKEN", TOKEN)
            .env("DOWNSTREAM_LOG", "trace")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_never_reaches_logs_errors_or_pages_even_when_echoed() {
    let echo = json!({"details": format!("rejected header Authorization: Bearer {TOKEN}"), "traceId": "t"});
    let mut replies: Vec<Reply> = (0..4).map(|_| Reply::json(500, echo.clone())).collect();
    replies.push(Reply::json(401, echo.clone()));
    let hex = Mock::start(replies).await;
    let dir = config_with_hex(&hex.url);

    let synced = run_logged(dir.path(), &["sync"]).await;
    let checked = run_logged(dir.path(), &["check"]).await;
    assert_eq!(synced.status.code(), Some(1), "{}", text(&synced));
    assert!(text(&synced).contains("HTTP 500"), "{}", text(&synced));
    assert!(
        text(&checked).contains("401 Unauthorized"),
        "{}",
        text(&checked)
    );
    assert!(
        text(&synced).contains("[redacted]"),
        "the echo is cut, not dropped"
    );

    let served = crate::serve(dir.path());
    let mut shown = String::new();
    for path in [
        "/",
        "/connections/wh",
        "/connections/wh/status",
        "/api/connections",
        "/api/connections/wh",
    ] {
        shown.push_str(&crate::http_get(&served.url, path));
    }
    assert!(shown.contains("HTTP 500"), "the failure is on the pages");
    for (what, output) in [
        ("sync", text(&synced)),
        ("check", text(&checked)),
        ("pages", shown),
    ] {
        assert!(!output.contains(TOKEN), "{what} shows the token:\n{output}");
    }
}
