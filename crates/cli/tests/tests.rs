//! The `downstream` binary as a user runs it.

mod check;
mod faults;
mod impact;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_downstream"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .env_remove("DOWNSTREAM_CONFIG")
        .env_remove("DOWNSTREAM_STORE")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jaffle_analytics/artifacts")
}

/// A store loaded by `downstream demo` (dbt, query history and the Hex API replay), in its
/// temp dir, and the store's path.
fn demo_store() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &["demo", "--no-serve", "--dir", dir.path().to_str().unwrap()],
        Path::new("."),
    );
    assert!(out.status.success(), "{}", text(&out));
    let store = dir.path().join("demo.sqlite").display().to_string();
    (dir, store)
}

/// A config whose connection reads a copy of the demo artifacts in `dir/target`.
fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::create_dir(&target).unwrap();
    for f in [
        "manifest.json",
        "catalog.json",
        "run_results.json",
        "sources.json",
    ] {
        std::fs::copy(artifacts().join(f), target.join(f)).unwrap();
    }
    std::fs::write(
        dir.path().join("downstream.toml"),
        "[store]\nlocation = \"ds.sqlite\"\n\n[[connections]]\nname = \"wh\"\nkind = \"postgres\"\ndatabase = \"analytics\"\n\n[connections.dbt]\ntarget_dir = \"target\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn help_lists_commands_with_examples() {
    let out = run(&["--help"], Path::new("."));
    let help = text(&out);
    for word in [
        "demo",
        "sync",
        "serve",
        "default-config",
        "Examples:",
        "Exit codes",
    ] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}

#[test]
fn completions_and_the_manual_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell], Path::new("."));
        assert!(out.status.success(), "{shell}: {}", text(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("downstream") && script.contains("lineage"),
            "{shell}"
        );
    }
    let man = run(&["man"], Path::new("."));
    assert!(man.status.success(), "{}", text(&man));
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH downstream"),
        "{page}"
    );
}

#[test]
fn quiet_prints_failures_only_and_logs_are_plain_off_a_terminal() {
    let dir = project_dir();
    let quiet = run(&["-q", "sync"], dir.path());
    assert!(quiet.status.success(), "{}", text(&quiet));
    assert!(quiet.stdout.is_empty(), "{}", text(&quiet));
    std::fs::remove_file(dir.path().join("target/manifest.json")).unwrap();
    let failed = run(&["-q", "sync"], dir.path());
    assert_eq!(failed.status.code(), Some(1));
    let message = text(&failed);
    assert!(message.contains("manifest.json"), "{message}");
    assert!(
        !message.contains('\u{1b}'),
        "no colour codes in a pipe: {message:?}"
    );
}

#[test]
fn default_config_prints_the_annotated_example() {
    let out = run(&["default-config"], Path::new("."));
    assert!(out.status.success());
    let config = String::from_utf8(out.stdout).unwrap();
    assert!(config.contains("[[connections]]") && config.contains("# "));
}

#[test]
fn demo_loads_the_bundled_project() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &["demo", "--no-serve", "--dir", dir.path().to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("loaded 25 nodes"), "{}", text(&out));
    assert!(
        text(&out).contains("Hex jaffle: 6 projects")
            && text(&out).contains("1/1 data connections matched"),
        "the recorded Hex API answers go through the real client: {}",
        text(&out)
    );
    assert!(dir.path().join("demo.sqlite").exists());
}

/// On the demo, live Hex work reads a model with a failing test: `health` says which, in each
/// format, and exits 1 for cron and CI.
#[test]
fn health_lists_live_work_reading_failing_data_and_exits_1() {
    let (dir, store) = demo_store();
    let store = store.as_str();
    let out = run(&["--store", store, "health"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.starts_with("6 Hex projects: 3 failing (2 live)"),
        "{report}"
    );
    assert!(
        report.contains("Revenue dashboard [failing] live"),
        "{report}"
    );
    let json = run(
        &["--store", store, "health", "--format", "json"],
        dir.path(),
    );
    let projects: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(projects[0]["health"], "failing");
    let markdown = run(
        &["--store", store, "health", "--format", "markdown"],
        dir.path(),
    );
    assert!(
        text(&markdown).starts_with("### 6 Hex projects"),
        "{}",
        text(&markdown)
    );
}

#[test]
fn sync_and_history_sync_keep_where_the_dbt_metadata_comes_from() {
    let dir = project_dir();
    let config = dir.path().join("downstream.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(
        "\n[[connections.history]]\nname = \"export\"\nkind = \"file\"\npath = \"history.jsonl\"\n",
    );
    std::fs::write(&config, toml).unwrap();
    let row =
        r#"{"query_text": "select * from marts.orders", "start_time": "2026-12-01T10:00:00Z"}"#;
    std::fs::write(dir.path().join("history.jsonl"), format!("{row}\n")).unwrap();
    for args in [&["sync"][..], &["history", "sync"][..]] {
        let out = run(args, dir.path());
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let served = serve(dir.path());
    let body = http_get(&served.url, "/api/connections/wh");
    let conn: serde_json::Value = serde_json::from_str(&body).unwrap();
    let source = conn["dbt_source"].as_str().unwrap_or_default();
    assert!(source.contains("manifest.json"), "{body}");
    let status = http_get(&served.url, "/connections/wh/status");
    assert!(
        status.contains("<dt>dbt metadata</dt><dd>local artifacts: target/manifest.json</dd>"),
        "{status}"
    );
}

/// `--format json` prints the reports the text lines give as one document on stdout, a
/// failure included, with the same exit code.
#[test]
fn sync_reports_as_json_say_what_each_source_did_or_why_it_failed() {
    let dir = project_dir();
    let out = run(&["sync", "--format", "json"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(doc["ok"], true, "{doc}");
    let dbt = &doc["sources"][0];
    assert_eq!(dbt["source"], "dbt", "{doc}");
    assert_eq!(dbt["connection"], "wh", "{doc}");
    assert_eq!(dbt["summary"]["counts"]["nodes"], 25, "{doc}");
    assert!(dbt["summary"]["parse_seconds"].is_f64(), "{doc}");

    let manifest = dir.path().join("target/manifest.json");
    let full = std::fs::read(&manifest).unwrap();
    std::fs::write(&manifest, &full[..full.len() / 3]).unwrap();
    let failed = run(&["sync", "--format", "json"], dir.path());
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    let doc: serde_json::Value = serde_json::from_slice(&failed.stdout).expect("stdout is JSON");
    assert_eq!(doc["ok"], false, "{doc}");
    assert_eq!(doc["sources"][0]["ok"], false, "{doc}");
    let error = doc["sources"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("manifest.json") && error.contains("truncated"),
        "{doc}"
    );
}

/// `export`, `exposures` and `impact` take the activity window from `[history] window_days`
/// unless `--window-days` says otherwise.
#[test]
fn the_activity_window_comes_from_the_config_unless_the_flag_gives_one() {
    let dir = project_dir();
    let config = dir.path().join("downstream.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let toml = format!("[history]\nwindow_days = 1\n\n{toml}\n[[connections.history]]\nname = \"export\"\nkind = \"file\"\npath = \"history.jsonl\"\n");
    std::fs::write(&config, toml).unwrap();
    let ran = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let comment = r#"-- Hex query metadata: {\"context\": \"SCHEDULED_RUN\", \"project_id\": \"p1\", \"project_url\": \"https://app.hex.tech/acme/hex/p1/draft/logic?selectedCellId=c1\", \"user_email\": \"ana@acme.com\"}"#;
    let row = format!(
        r#"{{"query_text": "select * from marts.orders\n{comment}", "start_time": "{ran}"}}"#
    );
    std::fs::write(dir.path().join("history.jsonl"), format!("{row}\n")).unwrap();
    let synced = run(&["history", "sync"], dir.path());
    assert!(synced.status.success(), "{}", text(&synced));
    let live = |extra: &[&str]| {
        let out = run(&[&["export", "graph"][..], extra].concat(), dir.path());
        assert!(out.status.success(), "{}", text(&out));
        let graph: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let project = graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == "hex:p1")
            .cloned()
            .unwrap_or_else(|| panic!("{graph:#}"));
        project["activity"]["live"].as_bool().unwrap()
    };
    assert!(!live(&[]), "ran 3 days ago, window 1 day from the config");
    assert!(live(&["--window-days", "7"]), "the flag wins");
}

#[test]
fn a_broken_artifact_fails_the_sync_names_the_file_and_keeps_the_data() {
    let dir = project_dir();
    let ok = run(&["sync"], dir.path());
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("wh: loaded 25 nodes"), "{}", text(&ok));

    let manifest = dir.path().join("target/manifest.json");
    let full = std::fs::read(&manifest).unwrap();
    std::fs::write(&manifest, &full[..full.len() / 3]).unwrap();
    let failed = run(&["sync"], dir.path());
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    let message = text(&failed);
    assert!(
        message.contains("manifest.json") && message.contains("truncated"),
        "{message}"
    );
    assert!(message.contains("keeping the last good data"), "{message}");

    // The served data is still the last good load, and the failure is on record.
    let served = serve(dir.path());
    let body = http_get(&served.url, "/api/connections/wh");
    let conn: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(conn["tables"], 19, "{body}");
    assert_eq!(conn["last_sync"]["ok"], false, "{body}");
    assert!(conn["last_sync"]["error"]
        .as_str()
        .unwrap()
        .contains("truncated"));
}

#[test]
fn config_mistakes_exit_2_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("downstream.toml"),
        "[[connections]]\nname = \"a\"\nknd = \"postgres\"\n",
    )
    .unwrap();
    let out = run(&["sync"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("knd"), "{}", text(&out));
    let out = run(&["sync", "--config", "missing.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("missing.toml"), "{}", text(&out));
}

/// A `downstream serve --no-sync` process on a free port; killed when dropped.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(dir: &Path) -> Served {
    let mut child = bin()
        .args(["serve", "--no-sync", "--bind", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("DOWNSTREAM_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // Own the process first, so a failed assertion below still kills it.
    let mut served = Served {
        child,
        url: String::new(),
    };
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "binds loopback: {url}"
    );
    served.url = url.trim_end_matches('/').to_string();
    served
}

/// A minimal HTTP/1.1 GET: the tests need no HTTP client crate.
pub(crate) fn http_get(base: &str, path: &str) -> String {
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

fn run_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn lineage_sql_prints_reads_writes_and_columns() {
    let out = run_stdin(
        &["lineage", "sql", "--dialect", "snowflake", "--default-database", "analytics"],
        "insert into marts.daily select order_date, sum(amount) as revenue from raw.orders group by 1;",
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("statement 1 (insert, line 1)"),
        "{printed}"
    );
    assert!(
        printed.contains("reads:  ANALYTICS.RAW.ORDERS"),
        "{printed}"
    );
    assert!(
        printed.contains("writes: ANALYTICS.MARTS.DAILY"),
        "{printed}"
    );
    assert!(
        printed.contains("REVENUE <- ANALYTICS.RAW.ORDERS.AMOUNT"),
        "{printed}"
    );
}

#[test]
fn lineage_sql_json_uses_the_schema_file_and_exits_1_on_bad_sql() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, r#"{"public.orders": ["id", "amount"]}"#).unwrap();
    let schema = schema.to_str().unwrap();
    let out = run_stdin(
        &[
            "lineage",
            "sql",
            "--dialect",
            "postgres",
            "--default-schema",
            "public",
            "--schema",
            schema,
            "--format",
            "json",
        ],
        "select * from orders",
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["reads"][0], "public.orders");
    assert_eq!(json["columns"]["lineage"][1]["target"], "amount");
    assert_eq!(
        json["columns"]["lineage"][1]["sources"][0],
        "public.orders.amount"
    );

    let bad = run_stdin(
        &[
            "lineage",
            "sql",
            "--dialect",
            "postgres",
            "--format",
            "json",
        ],
        "select (a from t",
    );
    assert_eq!(bad.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert!(json["error"]
        .as_str()
        .unwrap()
        .starts_with("line 1, column 11: expected `)`"));

    std::fs::write(dir.path().join("broken.json"), "{\"t\": ").unwrap();
    let broken = dir.path().join("broken.json");
    let out = run_stdin(
        &[
            "lineage",
            "sql",
            "--dialect",
            "postgres",
            "--schema",
            broken.to_str().unwrap(),
        ],
        "select 1",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("broken.json: expected a JSON object"),
        "{}",
        text(&out)
    );
}

#[test]
fn lineage_sql_jsonl_answers_every_line_in_order() {
    let input: String = (0..600)
        .map(|i| {
            if i % 100 == 7 {
                format!("{{\"id\": {i}, \"sql\": \"select from from\"}}\n")
            } else {
                format!("{{\"id\": {i}, \"sql\": \"select * from s.t{i}\", \"dialect\": \"bigquery\"}}\n")
            }
        })
        .collect();
    let out = run_stdin(
        &[
            "lineage",
            "sql",
            "--jsonl",
            "--threads",
            "3",
            "--default-database",
            "proj",
        ],
        &input,
    );
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 600);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["id"], i);
        if i % 100 == 7 {
            assert!(line["error"].as_str().unwrap().contains("no \"dialect\""));
        } else {
            assert_eq!(line["reads"][0], format!("proj.s.t{i}"));
            assert_eq!(line["fingerprint"].as_str().unwrap().len(), 32);
        }
    }
}

#[test]
fn history_import_reports_what_it_added_and_adds_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    let comment = r#"-- Hex query metadata: {\"context\": \"SCHEDULED_RUN\", \"project_id\": \"p1\", \"project_name\": \"Revenue\", \"project_url\": \"https://app.hex.tech/acme/hex/p1/draft/logic?selectedCellId=c1\", \"user_email\": \"ana@acme.com\"}"#;
    std::fs::write(
        &history,
        format!(
            "{{\"query_text\": \"select sum(amount) from marts.orders\\n{comment}\", \"start_time\": \"2026-11-20T10:00:00Z\", \"database_name\": \"analytics\"}}\n{{\"query_text\": \"select 1\", \"start_time\": \"2026-11-20T10:01:00Z\"}}\nnot json\n"
        ),
    )
    .unwrap();
    let args = [
        "--store",
        "h.sqlite",
        "history",
        "import",
        "--connection",
        "wh",
        "--kind",
        "postgres",
        "history.jsonl",
    ];
    let first = run(&args, dir.path());
    assert!(first.status.success(), "{}", text(&first));
    let printed = text(&first);
    assert!(printed.contains("imported 3 rows"), "{printed}");
    assert!(printed.contains("1 Hex, 1 other"), "{printed}");
    assert!(
        printed.contains("new runs 1") && printed.contains("new edges 1"),
        "{printed}"
    );
    assert!(
        printed.contains("skipped 1 rows: not a JSON history row"),
        "{printed}"
    );
    let again = text(&run(&args, dir.path()));
    assert!(
        again.contains("new runs 0, updated runs 0, new edges 0"),
        "{again}"
    );
    // The same report as JSON, into a fresh store: the figures the first line gave.
    let mut fresh = args.to_vec();
    fresh[1] = "j.sqlite";
    fresh.extend(["--format", "json"]);
    let json = run(&fresh, dir.path());
    assert!(json.status.success(), "{}", text(&json));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("stdout is JSON");
    let summary = &doc["sources"][0]["summary"];
    assert_eq!(summary["rows"], 3, "{doc}");
    assert_eq!(summary["hex_rows"], 1, "{doc}");
    assert_eq!(summary["stored"]["new_runs"], 1, "{doc}");
    assert_eq!(summary["failed"]["not a JSON history row"], 1, "{doc}");

    let unknown = run(
        &[
            "--store",
            "h.sqlite",
            "history",
            "import",
            "--connection",
            "other",
            "history.jsonl",
        ],
        dir.path(),
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown).contains("pass --kind"), "{}", text(&unknown));
}

#[test]
fn a_history_source_without_its_secret_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("downstream.toml"),
        "[[connections]]\nname = \"wh\"\nkind = \"snowflake\"\n\n[[connections.history]]\nname = \"prod\"\nkind = \"snowflake\"\naccount = \"acme\"\ntoken_env = \"DOWNSTREAM_TEST_NO_SUCH_TOKEN\"\n",
    )
    .unwrap();
    // The config still loads (`serve` and the other sources run); this source fails each
    // sync, naming the variable.
    let out = run(&["history", "sync"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let printed = text(&out);
    assert!(
        printed.contains("connection \"wh\", history \"prod\""),
        "{printed}"
    );
    assert!(
        printed.contains("token_env: $DOWNSTREAM_TEST_NO_SUCH_TOKEN is not set in the environment"),
        "{printed}"
    );
}

#[test]
fn a_catalog_without_its_secret_fails_on_the_connection_not_the_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("downstream.toml"),
        "[store]\nlocation = \"s.sqlite\"\n\n[[connections]]\nname = \"sf\"\nkind = \"snowflake\"\n\n[connections.warehouse]\naccount = \"acme\"\ntoken_env = \"DOWNSTREAM_TEST_NO_SUCH_TOKEN\"\n",
    )
    .unwrap();
    let out = run(&["sync"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let printed = text(&out);
    assert!(
        printed.contains("sf: warehouse catalog failed, keeping the last good one: [connections.warehouse] token_env: $DOWNSTREAM_TEST_NO_SUCH_TOKEN is not set in the environment"),
        "{printed}"
    );
}

#[test]
fn export_writes_the_graph_and_openlineage_events_of_the_demo() {
    let (dir, store) = demo_store();
    let store = store.as_str();
    let graph = run(&["export", "graph", "--store", store], dir.path());
    assert!(graph.status.success(), "{}", text(&graph));
    let graph: serde_json::Value = serde_json::from_slice(&graph.stdout).unwrap();
    let ids: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"dbt:jaffle_warehouse:model.jaffle_analytics.customer_ltv"));
    assert!(
        ids.contains(&"hex:7a2d3b9f-4c8e-4f6a-8b52-1d3e8f9a0b21"),
        "{ids:?}"
    );
    let reads = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["kind"] == "reads"
                && e["from"] == "dbt:jaffle_warehouse:model.jaffle_analytics.customer_ltv"
        })
        .expect("a Hex cell reads customer_ltv");
    assert!(reads["columns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c[0] == "net_ltv"));

    let out = dir.path().join("events.jsonl");
    let events = run(
        &[
            "export",
            "openlineage",
            "--store",
            store,
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(events.status.success(), "{}", text(&events));
    let lines = std::fs::read_to_string(out).unwrap();
    let events: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        events.len() >= 8,
        "one per Hex cell that reads a table: {}",
        events.len()
    );
    let ltv = events
        .iter()
        .find(|e| e["job"]["name"] == "Customer lifetime value.LTV tiers")
        .expect("the LTV tiers cell");
    assert_eq!(ltv["inputs"][0]["namespace"], "postgres://jaffle_warehouse");
    assert_eq!(ltv["inputs"][0]["name"], "analytics.finance.customer_ltv");
}

#[test]
fn exposures_keep_hand_written_entries_and_replace_their_own() {
    let (dir, store) = demo_store();
    let out = dir.path().join("exposures.yml");
    std::fs::write(
        &out,
        "version: 2\nexposures:\n  - name: ops_wallboard\n    type: dashboard\n    owner: {email: ops@jaffle.shop}\n    depends_on: [\"ref('fct_orders')\"]\n  - name: hex_old\n    type: notebook\n    owner: {name: x}\n    config: {meta: {downstream_generated: true}}\n",
    )
    .unwrap();
    let args = [
        "exposures",
        "--store",
        &store,
        "--out",
        out.to_str().unwrap(),
    ];
    for _ in 0..2 {
        let ran = run(&args, dir.path());
        assert!(ran.status.success(), "{}", text(&ran));
    }
    let yaml = std::fs::read_to_string(&out).unwrap();
    assert!(
        yaml.contains("name: ops_wallboard"),
        "hand-written kept:\n{yaml}"
    );
    assert!(
        !yaml.contains("hex_old"),
        "its own old entries replaced:\n{yaml}"
    );
    assert_eq!(
        yaml.matches("name: hex_revenue_dashboard").count(),
        1,
        "{yaml}"
    );
    assert!(yaml.contains("- ref('rpt_monthly_revenue')"), "{yaml}");
    assert!(
        yaml.contains("maturity: high") && yaml.contains("maturity: low"),
        "{yaml}"
    );

    // The same run as JSON: the file is still written; the report lists what it generated.
    let json = run(&[&args[..], &["--format", "json"]].concat(), dir.path());
    assert!(json.status.success(), "{}", text(&json));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("stdout is JSON");
    assert_eq!(doc["kept"], 1, "{doc}");
    let names: Vec<&str> = doc["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(names.contains(&"hex_revenue_dashboard"), "{doc}");
    assert_eq!(
        names.len(),
        yaml.matches("hex_project_id:").count(),
        "{doc}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), yaml);
}

#[test]
fn serving_beyond_loopback_needs_auth() {
    let dir = project_dir();
    let out = run(&["serve", "--no-sync", "--bind", "0.0.0.0:0"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("configure [auth]"),
        "says what to do: {}",
        text(&out)
    );
}

/// The Hex answers the demo replays (scripts/gen-demo-hex-api) are what Hex's OpenAPI
/// document says Hex answers: the demo shows what a real workspace would.
#[test]
fn the_demo_s_hex_answers_follow_hex_s_document() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/jaffle_analytics/hex/api.json");
    let answers: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let spec = mockhttp::hex::spec();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (key, body) in answers.as_object().unwrap() {
        let Some(path) = key
            .strip_prefix('/')
            .map(|_| key.split('?').next().unwrap())
        else {
            continue;
        };
        checked += 1;
        problems.extend(spec.check(&mockhttp::openapi::Answer {
            method: "GET",
            path,
            status: 200,
            body,
        }));
    }
    assert!(checked > 4, "{checked} answers");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
