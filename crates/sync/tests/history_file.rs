//! History imported from a JSON Lines export: attribution, edges, incremental re-import and
//! bad rows.

use crate::{hex_comment, store_with};
use model::WarehouseKind;
use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use sync::{sync_history, HistoryTarget};

fn line(sql: &str, at: &str, user: &str) -> String {
    serde_json::json!({
        "query_id": "q", "query_text": sql, "start_time": at, "user_name": user,
        "database_name": "ANALYTICS", "schema_name": "MARTS", "warehouse_kind": "snowflake",
        "execution_status": "SUCCESS"
    })
    .to_string()
}

fn export(lines: &[String]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(".jsonl")
        .tempfile()
        .unwrap();
    for l in lines {
        writeln!(file, "{l}").unwrap();
    }
    file
}

fn target(path: &std::path::Path) -> HistoryTarget {
    HistoryTarget {
        connection: "wh".into(),
        kind: WarehouseKind::Snowflake,
        environment: "export".into(),
        source: Arc::new(history::file::FileHistory::new(path)),
        lookback: chrono::Duration::days(3650),
        runs_counted_by: None,
        default_database: None,
        default_schema: None,
    }
}

const REVENUE: &str = "select o.order_date, sum(p.amount) as revenue\nfrom orders o join raw.payments p on p.order_id = o.id\ngroup by 1";

#[tokio::test]
async fn hex_queries_become_edges_to_projects_cells_and_columns() {
    let (store, _dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let now = chrono::Utc::now();
    let recent = (now - chrono::Duration::days(2)).to_rfc3339();
    let old = (now - chrono::Duration::days(40)).to_rfc3339();
    let lines = vec![
        line(&format!("{REVENUE}\n{}", hex_comment("p1", "c1", "SCHEDULED_RUN", "ana@acme.com")), &recent, "HEX"),
        line(&format!("{REVENUE}\n{}", hex_comment("p1", "c1", "APP_VIEW", "bo@acme.com")), &recent, "HEX"),
        // The same SQL from another project is another attribution.
        line(&format!("{REVENUE}\n{}", hex_comment("p2", "c7", "LOGIC_VIEW", "cy@acme.com")), &old, "HEX"),
        line("select * from marts.customers", &recent, "DBT"),
        line("select 1\n-- Hex query metadata: {\"project_id\": \"p3\", \"project_url\": \"https://app.hex", &recent, "HEX"),
        "{\"query_text\": null, \"start_time\": \"2026-01-01T00:00:00Z\"}".to_string(),
        "not json at all".to_string(),
    ];
    let file = export(&lines);
    let summary = sync_history(&store, &target(file.path()), Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    assert_eq!(summary.rows, 7);
    assert_eq!(summary.hex_rows, 4);
    assert_eq!(summary.other_rows, 1);
    assert_eq!(summary.parsed, 1, "one SQL shape, parsed once");
    assert_eq!(summary.failed["truncated Hex metadata"], 1);
    assert_eq!(summary.failed["no query_text"], 1);
    assert_eq!(summary.failed["not a JSON history row"], 1);
    assert_eq!(summary.stored.new_runs, 3);
    assert_eq!(summary.stored.new_edges, 4, "2 tables x 2 cells");

    let live_since =
        (now - chrono::Duration::days(14)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let uses = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", &live_since)
        .await
        .unwrap();
    assert_eq!(uses.len(), 2);
    let p1 = &uses[0];
    assert_eq!(
        (p1.project_id.as_str(), p1.cell_id.as_deref()),
        ("p1", Some("c1"))
    );
    assert_eq!(p1.project_name.as_deref(), Some("Project p1"));
    assert_eq!(
        p1.project_url.as_deref(),
        Some("https://app.hex.tech/acme/hex/p1")
    );
    assert_eq!(p1.runs, 2);
    assert_eq!(p1.runs_by_context["scheduled"], 1);
    assert_eq!(p1.runs_by_context["app_view"], 1);
    assert_eq!(p1.users, ["ana@acme.com", "bo@acme.com"]);
    assert_eq!(p1.columns, ["AMOUNT", "ORDER_ID"]);
    assert!(p1.live);
    let p2 = &uses[1];
    assert_eq!(p2.project_id, "p2");
    assert!(!p2.live, "a run 40 days ago is stale, and kept");
    let orders = store
        .hex_usage("wh", "ANALYTICS.MARTS.ORDERS", &live_since)
        .await
        .unwrap();
    assert_eq!(orders[0].columns, ["ID", "ORDER_DATE"]);
}

#[tokio::test]
async fn importing_twice_adds_nothing_twice_and_new_rows_add_up() {
    let (store, _dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let sql = format!(
        "{REVENUE}\n{}",
        hex_comment("p1", "c1", "SCHEDULED_RUN", "ana@acme.com")
    );
    let mut lines = vec![
        line(&sql, "2026-11-01T10:00:00Z", "HEX"),
        line(&sql, "2026-11-02T10:00:00Z", "HEX"),
    ];
    let file = export(&lines);
    let progress = || Arc::new(AtomicU64::new(0));
    let first = sync_history(&store, &target(file.path()), progress())
        .await
        .unwrap();
    assert_eq!((first.hex_rows, first.stored.new_runs), (2, 1));
    let again = sync_history(&store, &target(file.path()), progress())
        .await
        .unwrap();
    assert_eq!(
        (again.rows, again.stored.new_runs, again.stored.updated_runs),
        (0, 0, 0)
    );

    lines.push(line(&sql, "2026-11-03T10:00:00Z", "HEX"));
    let grown = export(&lines);
    let mut t = target(grown.path());
    t.environment = "export".into();
    let third = sync_history(&store, &t, progress()).await.unwrap();
    assert_eq!(
        (
            third.hex_rows,
            third.stored.new_runs,
            third.stored.updated_runs
        ),
        (1, 0, 1)
    );
    let uses = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", "2026-01-01")
        .await
        .unwrap();
    assert_eq!(uses[0].runs, 3);
    assert_eq!(
        uses[0].last_run.as_deref(),
        Some("2026-11-03T10:00:00.000000Z")
    );
}

#[tokio::test]
async fn a_failed_source_keeps_the_last_good_data_and_records_why() {
    let (store, _dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let sql = format!(
        "{REVENUE}\n{}",
        hex_comment("p1", "c1", "SCHEDULED_RUN", "ana@acme.com")
    );
    let file = export(&[line(&sql, "2026-11-01T10:00:00Z", "HEX")]);
    sync_history(&store, &target(file.path()), Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    let missing = target(std::path::Path::new("/nonexistent/history.jsonl"));
    let error = sync_history(&store, &missing, Arc::new(AtomicU64::new(0)))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("/nonexistent/history.jsonl: cannot open"),
        "{error}"
    );
    let uses = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", "2026-01-01")
        .await
        .unwrap();
    assert_eq!(uses.len(), 1, "the earlier import is still there");
    let syncs = store.syncs("wh", 10).await.unwrap();
    assert!(syncs.iter().any(|s| !s.ok
        && s.error
            .as_deref()
            .is_some_and(|e| e.contains("cannot open"))));
}

#[tokio::test]
async fn overlapping_syncs_of_one_source_never_count_runs_twice() {
    let (store, _dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let sql = format!(
        "{REVENUE}\n{}",
        hex_comment("p1", "c1", "SCHEDULED_RUN", "ana@acme.com")
    );
    let file = export(&[
        line(&sql, "2026-11-01T10:00:00Z", "HEX"),
        line(&sql, "2026-11-02T10:00:00Z", "HEX"),
    ]);
    let (first, second) = (target(file.path()), target(file.path()));
    let (a, b) = tokio::join!(
        sync_history(&store, &first, Arc::new(AtomicU64::new(0))),
        sync_history(&store, &second, Arc::new(AtomicU64::new(0))),
    );
    // The lock lets one run; the other is skipped (or, had it read before the first wrote,
    // would lose the checkpoint race): either way nothing is counted twice.
    let lost = [&a, &b].iter().filter(|r| r.is_err()).count();
    assert!(lost <= 1, "{a:?} {b:?}");
    if lost == 1 {
        let error = a.err().or(b.err()).unwrap().to_string();
        assert!(
            error.contains("another process is running the history sync of wh / export")
                || error.contains("another sync of history source"),
            "{error}"
        );
    }
    let uses = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", "2026-01-01")
        .await
        .unwrap();
    assert_eq!(uses[0].runs, 2, "two executions, whichever sync wrote them");
}

#[tokio::test]
async fn a_comment_in_one_warehouse_never_renames_a_project_in_another() {
    let (store, _dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let other = store::ConnectionRecord {
        name: "other".into(),
        kind: WarehouseKind::Snowflake,
        default_database: None,
        default_schema: None,
        docs_url: None,
        dbt_source: None,
        access: None,
    };
    store.upsert_connection(&other).await.unwrap();
    let real = format!(
        "{REVENUE}\n{}",
        hex_comment("p1", "c1", "SCHEDULED_RUN", "ana@acme.com")
    );
    let forged = format!(
        "{REVENUE}\n-- Hex query metadata: {{\"project_id\": \"p1\", \"project_name\": \"Forged\", \"context\": \"API\", \"user_email\": \"x@evil.io\", \"project_url\": \"https://evil.example/hex/p1\"}}"
    );
    let real_file = export(&[line(&real, "2026-11-01T10:00:00Z", "HEX")]);
    let forged_file = export(&[line(&forged, "2026-11-02T10:00:00Z", "MALLORY")]);
    sync_history(
        &store,
        &target(real_file.path()),
        Arc::new(AtomicU64::new(0)),
    )
    .await
    .unwrap();
    let mut elsewhere = target(forged_file.path());
    elsewhere.connection = other.name.clone();
    sync_history(&store, &elsewhere, Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    let ours = store
        .hex_usage("wh", "ANALYTICS.RAW.PAYMENTS", "2026-01-01")
        .await
        .unwrap();
    assert_eq!(ours[0].project_name.as_deref(), Some("Project p1"));
    let theirs = store
        .hex_usage("other", "ANALYTICS.RAW.PAYMENTS", "2026-01-01")
        .await
        .unwrap();
    assert_eq!(theirs[0].project_name.as_deref(), Some("Forged"));
}

#[tokio::test]
async fn a_row_past_the_size_limit_is_skipped_and_the_rest_imported() {
    let (store, _dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let at = chrono::Utc::now().to_rfc3339();
    let huge = format!(
        "{{\"query_text\": \"select '{}'\"}}",
        "x".repeat(history::file::MAX_ROW_BYTES as usize)
    );
    let lines = vec![
        line("select * from marts.orders", &at, "DBT"),
        huge,
        line("select * from marts.customers", &at, "DBT"),
    ];
    let file = export(&lines);
    let summary = sync_history(&store, &target(file.path()), Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    assert_eq!(summary.rows, 3);
    assert_eq!(summary.other_rows, 2, "the rows on either side are read");
    assert_eq!(
        summary.failed["row longer than 16 MB"], 1,
        "{:?}",
        summary.failed
    );
}

#[tokio::test]
async fn summaries_count_unparsed_and_lineage_free_statements_apart() {
    let (store, _dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let at = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let hex = |sql: &str, cell: &str| {
        let comment = hex_comment("p1", cell, "SCHEDULED_RUN", "ana@acme.com");
        line(&format!("{sql}\n{comment}"), &at, "HEX")
    };
    let lines = vec![
        hex(REVENUE, "c1"),
        // A typo is a statement that did not parse, never one that reads nothing.
        hex("selec x from marts.orders", "c2"),
        hex("alter session set timezone = 'UTC'", "c3"),
        hex("show tables in schema marts", "c4"),
    ];
    let file = export(&lines);
    let summary = sync_history(&store, &target(file.path()), Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    assert_eq!(summary.parsed, 4);
    assert_eq!(summary.parse_failed, 1, "{summary:?}");
    assert_eq!(summary.no_lineage, 2, "{summary:?}");
}

/// The one runner: every source runs in turn, a failing one stops nothing, and the reports
/// come back in order; `of` keeps the named connections' sources.
#[tokio::test]
async fn the_runner_runs_every_source_and_a_failure_stops_none() {
    let (store, dir) = store_with("wh", WarehouseKind::Snowflake).await;
    let at = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let comment = hex_comment("p1", "c1", "SCHEDULED_RUN", "ana@acme.com");
    let file = export(&[line(&format!("{REVENUE}\n{comment}"), &at, "HEX")]);
    let mut missing = target(&dir.path().join("no-such-export.jsonl"));
    missing.environment = "missing".into();
    let mut other = target(file.path());
    other.connection = "elsewhere".into();
    let sources = sync::Sources {
        history: vec![missing, target(file.path()), other],
        ..sync::Sources::default()
    };
    let reports = sources
        .of(&["wh".to_string()])
        .run(&store, &sync::Quiet)
        .await;
    let outcomes: Vec<(String, bool)> = reports
        .iter()
        .map(|r| match r {
            sync::Report::History {
                environment,
                result,
                ..
            } => (environment.clone(), result.is_ok()),
            other => panic!("only history was configured: {other:?}"),
        })
        .collect();
    assert_eq!(
        outcomes,
        [("missing".to_string(), false), ("export".to_string(), true)]
    );
    assert!(reports[0].failed() && !reports[1].failed());
}
