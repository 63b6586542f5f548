//! PostgreSQL for real: Hex-tagged queries run against the throwaway server `scripts/test`
//! starts, then synced from its JSON log and from pg_stat_statements.

use crate::{hex_comment, store_with};
use history::postgres::LogFormat;
use model::WarehouseKind;
use sqlx::Connection;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync::{sync_history, HistoryTarget};

/// The server's URL and log directory, or SKIPPED when the tests run without them.
fn server(test: &str) -> Option<(String, String)> {
    match (
        std::env::var("DOWNSTREAM_TEST_PG_URL"),
        std::env::var("DOWNSTREAM_TEST_PG_LOG_DIR"),
    ) {
        (Ok(url), Ok(log)) => Some((url, log)),
        _ => {
            eprintln!(
                "SKIPPED {test}: DOWNSTREAM_TEST_PG_URL is not set (scripts/test starts a server)"
            );
            None
        }
    }
}

/// A schema of its own, so tests sharing the server never see each other's tables.
async fn warehouse(url: &str, schema: &str) -> sqlx::PgConnection {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
         CREATE TABLE {schema}.orders (id int, customer_id int, order_date date, amount numeric);
         CREATE TABLE {schema}.customers (id int, name text);"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    conn
}

fn revenue(schema: &str) -> String {
    format!("select o.order_date, sum(o.amount) as revenue from {schema}.orders o group by 1")
}

fn names(schema: &str) -> String {
    format!(
        "select c.name from {schema}.customers c join {schema}.orders o on o.customer_id = c.id"
    )
}

/// Runs the Hex queries of the story: one SQL in two projects, two cells, three contexts.
async fn run_hex_queries(conn: &mut sqlx::PgConnection, schema: &str) {
    let runs = [
        (revenue(schema), "pa", "a1", "SCHEDULED_RUN", "ana@acme.com"),
        (revenue(schema), "pa", "a1", "SCHEDULED_RUN", "ana@acme.com"),
        (revenue(schema), "pa", "a1", "SCHEDULED_RUN", "ana@acme.com"),
        (revenue(schema), "pb", "b1", "APP_VIEW", "bo@acme.com"),
        (names(schema), "pa", "a2", "LOGIC_VIEW", "cy@acme.com"),
    ];
    for (sql, project, cell, context, user) in runs {
        let text = format!("{sql}\n{}", hex_comment(project, cell, context, user));
        sqlx::raw_sql(&text).execute(&mut *conn).await.unwrap();
    }
    sqlx::raw_sql(&format!("select count(*) from {schema}.orders"))
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// The logging collector writes asynchronously: wait until the log holds `needle`.
fn wait_for_log(dir: &str, extension: &str, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == extension))
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(needle)));
        if found {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the PostgreSQL log in {dir} never showed {needle}");
}

fn target(environment: &str, source: Arc<dyn history::QueryHistory>) -> HistoryTarget {
    HistoryTarget {
        connection: "pg".into(),
        kind: WarehouseKind::Postgres,
        environment: environment.into(),
        source,
        lookback: chrono::Duration::days(1),
        runs_counted_by: None,
        default_database: None,
        default_schema: Some("public".into()),
    }
}

#[tokio::test]
async fn the_json_log_attributes_every_execution_to_its_project_and_cell() {
    the_log_attributes_every_execution(LogFormat::Json, "hx_log").await;
}

/// The same server writes csvlog beside jsonlog (scripts/with-postgres): read alone, it tells
/// the same story.
#[tokio::test]
async fn the_csv_log_attributes_every_execution_to_its_project_and_cell() {
    the_log_attributes_every_execution(LogFormat::Csv, "hx_csvlog").await;
}

async fn the_log_attributes_every_execution(format: LogFormat, schema: &str) {
    let Some((url, log_dir)) = server(&format!("{format:?} log")) else {
        return;
    };
    let mut conn = warehouse(&url, schema).await;
    run_hex_queries(&mut conn, schema).await;
    let extension = match format {
        LogFormat::Json => "json",
        LogFormat::Csv => "csv",
    };
    wait_for_log(&log_dir, extension, &names(schema));
    let (store, _dir) = store_with("pg", WarehouseKind::Postgres).await;
    let log = Arc::new(history::postgres::ServerLog::new(&log_dir).with_format(format));
    let summary = sync_history(
        &store,
        &target("log", log.clone()),
        Arc::new(AtomicU64::new(0)),
    )
    .await
    .unwrap();
    assert!(summary.hex_rows >= 5, "{summary:?}");

    let orders = store
        .hex_usage("pg", &format!("postgres.{schema}.orders"), "2000-01-01")
        .await
        .unwrap();
    let cells: Vec<(&str, Option<&str>, i64)> = orders
        .iter()
        .map(|u| (u.project_id.as_str(), u.cell_id.as_deref(), u.runs))
        .collect();
    assert!(cells.contains(&("pa", Some("a1"), 3)), "{cells:?}");
    assert!(
        cells.contains(&("pb", Some("b1"), 1)),
        "same SQL, other project: {cells:?}"
    );
    assert!(cells.contains(&("pa", Some("a2"), 1)), "{cells:?}");
    let a1 = orders
        .iter()
        .find(|u| u.cell_id.as_deref() == Some("a1"))
        .unwrap();
    assert_eq!(a1.runs_by_context["scheduled"], 3);
    assert_eq!(a1.users, ["ana@acme.com"]);
    assert_eq!(a1.columns, ["amount", "order_date"]);
    let customers = store
        .hex_usage("pg", &format!("postgres.{schema}.customers"), "2000-01-01")
        .await
        .unwrap();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0].columns, ["id", "name"]);

    // Nothing new for this schema in the log: a second sync adds nothing to it (other tests
    // share the server, so only this schema's tables are compared).
    sync_history(&store, &target("log", log), Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    let again = store
        .hex_usage("pg", &format!("postgres.{schema}.orders"), "2000-01-01")
        .await
        .unwrap();
    assert_eq!(again, orders, "the same runs, not counted twice");
}

#[tokio::test]
async fn pg_stat_statements_counts_runs_from_the_growth_of_calls() {
    let Some((url, _)) = server("pg_stat_statements") else {
        return;
    };
    let schema = "hx_stat";
    let mut conn = warehouse(&url, schema).await;
    run_hex_queries(&mut conn, schema).await;
    let (store, _dir) = store_with("pg", WarehouseKind::Postgres).await;
    let source = Arc::new(history::postgres::StatStatements::new(
        history::Secret::new(url.clone()),
    ));
    let first = sync_history(
        &store,
        &target("stats", source.clone()),
        Arc::new(AtomicU64::new(0)),
    )
    .await
    .unwrap();
    assert!(first.hex_rows >= 2, "{first:?}");
    let key = format!("postgres.{schema}.orders");
    let orders = store.hex_usage("pg", &key, "2000-01-01").await.unwrap();
    // pg_stat_statements merges texts that differ only in their comment: the four runs of the
    // revenue query (projects pa and pb) count under the first comment it kept.
    let revenue_runs: i64 = orders
        .iter()
        .filter(|u| u.cell_id.as_deref() != Some("a2"))
        .map(|u| u.runs)
        .sum();
    assert_eq!(revenue_runs, 4, "{orders:?}");

    let again_sql = format!(
        "{}\n{}",
        names(schema),
        hex_comment("pa", "a2", "LOGIC_VIEW", "cy@acme.com")
    );
    for _ in 0..2 {
        sqlx::raw_sql(&again_sql).execute(&mut conn).await.unwrap();
    }
    let second = sync_history(
        &store,
        &target("stats", source),
        Arc::new(AtomicU64::new(0)),
    )
    .await
    .unwrap();
    assert!(second.hex_rows >= 1, "{second:?}");
    // Only statements whose calls grew add runs (other tests share this server, so count
    // this schema's tables only).
    let orders = store.hex_usage("pg", &key, "2000-01-01").await.unwrap();
    let revenue_again: i64 = orders
        .iter()
        .filter(|u| u.cell_id.as_deref() != Some("a2"))
        .map(|u| u.runs)
        .sum();
    assert_eq!(
        revenue_again, 4,
        "the revenue query did not run again: {orders:?}"
    );
    let customers = store
        .hex_usage("pg", &format!("postgres.{schema}.customers"), "2000-01-01")
        .await
        .unwrap();
    assert_eq!(customers[0].runs, 3);
}

/// The server's log and pg_stat_statements on one connection: the log counts every execution
/// once, with its own comment; pg_stat_statements (which merges the revenue query of pa and pb
/// under one comment) adds no run, so nothing is counted twice or under the wrong project.
#[tokio::test]
async fn the_log_and_pg_stat_statements_together_count_each_execution_once() {
    let Some((url, log_dir)) = server("log + pg_stat_statements") else {
        return;
    };
    let schema = "hx_both";
    let mut conn = warehouse(&url, schema).await;
    run_hex_queries(&mut conn, schema).await;
    wait_for_log(&log_dir, "json", &names(schema));
    let (store, _dir) = store_with("pg", WarehouseKind::Postgres).await;
    let log = Arc::new(history::postgres::ServerLog::new(&log_dir));
    let stats = Arc::new(history::postgres::StatStatements::new(
        history::Secret::new(url.clone()),
    ));
    let progress = || Arc::new(AtomicU64::new(0));
    sync_history(&store, &target("log", log), progress())
        .await
        .unwrap();
    let mut beside = target("stats", stats);
    beside.runs_counted_by = Some("log".into());
    let summary = sync_history(&store, &beside, progress()).await.unwrap();
    assert!(summary.hex_rows >= 2, "{summary:?}");
    assert_eq!(summary.runs_counted, 0, "{summary:?}");

    let key = format!("postgres.{schema}.orders");
    let orders = store.hex_usage("pg", &key, "2000-01-01").await.unwrap();
    let runs = |project: &str, cell: &str| -> i64 {
        orders
            .iter()
            .filter(|u| u.project_id == project && u.cell_id.as_deref() == Some(cell))
            .map(|u| u.runs)
            .sum()
    };
    assert_eq!(runs("pa", "a1"), 3, "{orders:?}");
    assert_eq!(runs("pb", "b1"), 1, "{orders:?}");
    assert_eq!(runs("pa", "a2"), 1, "{orders:?}");
}

/// pg_stat_statements before 1.9 (PostgreSQL 13, or a database whose extension was never
/// updated) has no `toplevel` column: every sync once failed with "column s.toplevel does
/// not exist". A database of its own holds the extension at 1.8, installed from the scripts
/// PostgreSQL 15 still ships.
#[tokio::test]
async fn pg_stat_statements_without_toplevel_is_read_too() {
    let Some((url, _)) = server("pg_stat_statements 1.8") else {
        return;
    };
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    for statement in [
        "DROP DATABASE IF EXISTS pss_old WITH (FORCE)",
        "CREATE DATABASE pss_old",
    ] {
        sqlx::raw_sql(statement).execute(&mut admin).await.unwrap();
    }
    let old_url = format!("{}/pss_old", url.rsplit_once('/').unwrap().0);
    let mut db = sqlx::PgConnection::connect(&old_url).await.unwrap();
    sqlx::raw_sql("CREATE EXTENSION pg_stat_statements VERSION '1.8'")
        .execute(&mut db)
        .await
        .unwrap();
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT attname::text FROM pg_attribute WHERE attrelid = 'pg_stat_statements'::regclass",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(!columns.iter().any(|c| c == "toplevel"), "{columns:?}");
    let schema = "hx_stat_old";
    sqlx::raw_sql(&format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.orders (id int, customer_id int, order_date date, amount numeric);
         CREATE TABLE {schema}.customers (id int, name text);"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    run_hex_queries(&mut db, schema).await;

    let (store, _dir) = store_with("pg", WarehouseKind::Postgres).await;
    let source = Arc::new(history::postgres::StatStatements::new(
        history::Secret::new(old_url),
    ));
    let summary = sync_history(
        &store,
        &target("stats", source),
        Arc::new(AtomicU64::new(0)),
    )
    .await
    .unwrap();
    assert!(summary.hex_rows >= 2, "{summary:?}");
    let orders = store
        .hex_usage("pg", &format!("pss_old.{schema}.orders"), "2000-01-01")
        .await
        .unwrap();
    let runs: i64 = orders
        .iter()
        .filter(|u| u.cell_id.as_deref() != Some("a2"))
        .map(|u| u.runs)
        .sum();
    assert_eq!(runs, 4, "{orders:?}");
}
