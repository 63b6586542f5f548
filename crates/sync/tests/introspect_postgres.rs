//! Introspection of the real PostgreSQL server `scripts/test` starts: create, sync, alter,
//! sync again, and see the change.

use crate::store_with;
use model::WarehouseKind;
use sqlx::Connection;
use std::sync::Arc;
use sync::{sync_warehouse, IntrospectTarget};

fn url(test: &str) -> Option<String> {
    let url = std::env::var("DOWNSTREAM_TEST_PG_URL").ok();
    if url.is_none() {
        eprintln!(
            "SKIPPED {test}: DOWNSTREAM_TEST_PG_URL is not set (scripts/test starts a server)"
        );
    }
    url
}

async fn run(url: &str, sql: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
}

fn names(tree: &[store::TreeDatabase], schema: &str) -> Vec<(String, String)> {
    tree.iter()
        .flat_map(|d| &d.schemas)
        .filter(|s| s.name == schema)
        .flat_map(|s| &s.tables)
        .map(|t| (t.name.clone(), t.node_kind.clone()))
        .collect()
}

#[tokio::test]
async fn a_new_table_appears_after_a_refresh_and_a_dropped_one_goes() {
    let Some(url) = url("introspection") else {
        return;
    };
    run(
        &url,
        "DROP SCHEMA IF EXISTS wh_intro CASCADE; CREATE SCHEMA wh_intro;
         CREATE TABLE wh_intro.orders (id bigint, amount numeric(10, 2), placed_at timestamptz);
         COMMENT ON TABLE wh_intro.orders IS 'Orders <b>as placed</b>';
         COMMENT ON COLUMN wh_intro.orders.amount IS 'In dollars';
         CREATE VIEW wh_intro.big_orders AS SELECT * FROM wh_intro.orders WHERE amount > 100;",
    )
    .await;
    let (store, _dir) = store_with("pg", WarehouseKind::Postgres).await;
    let target = IntrospectTarget {
        connection: "pg".into(),
        source: Arc::new(warehouse::postgres::PostgresCatalog::new(
            model::Secret::new(url.clone()),
        )),
    };
    let first = sync_warehouse(&store, &target).await.unwrap();
    assert!(first.read >= 1 && first.relations >= 2, "{first:?}");
    let tree = store.tree("pg").await.unwrap();
    assert_eq!(
        names(&tree, "wh_intro"),
        [
            ("big_orders".to_string(), "view".to_string()),
            ("orders".to_string(), "table".to_string())
        ]
    );
    let orders = store
        .warehouse_table("pg", "postgres", "wh_intro", "orders", "2000-01-01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(orders.comment.as_deref(), Some("Orders <b>as placed</b>"));
    let columns: Vec<(&str, &str)> = orders
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("id", "bigint"),
            ("amount", "numeric(10,2)"),
            ("placed_at", "timestamp with time zone")
        ]
    );
    assert_eq!(orders.columns[1].comment.as_deref(), Some("In dollars"));

    run(
        &url,
        "CREATE TABLE wh_intro.refunds (id bigint, order_id bigint);
         DROP VIEW wh_intro.big_orders; ALTER TABLE wh_intro.orders DROP COLUMN placed_at;",
    )
    .await;
    sync_warehouse(&store, &target).await.unwrap();
    let tree = store.tree("pg").await.unwrap();
    assert_eq!(
        names(&tree, "wh_intro"),
        [
            ("orders".to_string(), "table".to_string()),
            ("refunds".to_string(), "table".to_string())
        ]
    );
    let orders = store
        .warehouse_table("pg", "postgres", "wh_intro", "orders", "2000-01-01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(orders.columns.len(), 2, "the dropped column is gone");

    run(&url, "DROP SCHEMA wh_intro CASCADE").await;
    let last = sync_warehouse(&store, &target).await.unwrap();
    assert!(last.removed >= 1, "{last:?}");
    assert!(names(&store.tree("pg").await.unwrap(), "wh_intro").is_empty());
}

#[tokio::test]
async fn a_failed_introspection_keeps_the_last_tree_and_says_why() {
    let Some(url) = url("introspection failure") else {
        return;
    };
    run(
        &url,
        "DROP SCHEMA IF EXISTS wh_keep CASCADE; CREATE SCHEMA wh_keep; CREATE TABLE wh_keep.t (id int);",
    )
    .await;
    let (store, _dir) = store_with("pg", WarehouseKind::Postgres).await;
    let good = IntrospectTarget {
        connection: "pg".into(),
        source: Arc::new(warehouse::postgres::PostgresCatalog::new(
            model::Secret::new(url.clone()),
        )),
    };
    sync_warehouse(&store, &good).await.unwrap();
    let bad_url = url.replace("postgres@", "nobody@");
    let bad = IntrospectTarget {
        connection: "pg".into(),
        source: Arc::new(warehouse::postgres::PostgresCatalog::new(
            model::Secret::new(bad_url),
        )),
    };
    let error = sync_warehouse(&store, &bad).await.unwrap_err().to_string();
    assert!(error.contains("connecting"), "{error}");
    assert!(!error.contains("nobody@"), "no URL in errors: {error}");
    assert_eq!(names(&store.tree("pg").await.unwrap(), "wh_keep").len(), 1);
    let syncs = store.syncs("pg", 5).await.unwrap();
    assert!(syncs.iter().any(|s| s.source == "warehouse" && !s.ok));
    // Recovering clears the warning: the successful read is the newest sync.
    sync_warehouse(&store, &good).await.unwrap();
    let latest = &store.syncs("pg", 1).await.unwrap()[0];
    assert!(latest.source == "warehouse" && latest.ok, "{latest:?}");
}
