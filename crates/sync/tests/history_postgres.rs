//! PostgreSQL for real: Hex-tagged queries run against the throwaway server `scripts/test`
//! starts, then synced from its JSON log and from pg_stat_statements.

use crate::{hex_comment, store_with};
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
fn wait_for_log(dir: &str, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
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
        default_database: None,
        default_schema: Some("public".into()),
    }
}

#[tokio::test]
async fn the_json_log_attributes_every_execution_to_its_project_and_cell() {
    let Some((url, log_dir)) = server("jsonlog") else {
        return;
    };
    let schema = "hx_log";
    let mut conn = warehouse(&url, schema).await;
    run_hex_queries(&mut conn, schema).await;
    wait_for_log(&log_dir, &names(schema));
    let (store, _dir) = store_with("pg", WarehouseKind::Postgres).await;
    let log = Arc::new(history::postgres::ServerLog::new(&log_dir));
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
