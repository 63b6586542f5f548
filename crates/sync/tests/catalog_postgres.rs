//! Introspection of the real PostgreSQL server `scripts/test` starts: create, sync, alter,
//! sync again, and see the change.

use crate::store_with;
use model::WarehouseKind;
use sqlx::Connection;
use std::sync::Arc;
use sync::{sync_catalog, CatalogTarget};

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
    let target = CatalogTarget {
        connection: "pg".into(),
        source: Arc::new(warehouse::postgres::PostgresCatalog::new(
            model::Secret::new(url.clone()),
        )),
    };
    let first = sync_catalog(&store, &target).await.unwrap();
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
    sync_catalog(&store, &target).await.unwrap();
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
    let last = sync_catalog(&store, &target).await.unwrap();
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
    let good = CatalogTarget {
        connection: "pg".into(),
        source: Arc::new(warehouse::postgres::PostgresCatalog::new(
            model::Secret::new(url.clone()),
        )),
    };
    sync_catalog(&store, &good).await.unwrap();
    let bad_url = url.replace("postgres@", "nobody@");
    let bad = CatalogTarget {
        connection: "pg".into(),
        source: Arc::new(warehouse::postgres::PostgresCatalog::new(
            model::Secret::new(bad_url),
        )),
    };
    let error = sync_catalog(&store, &bad).await.unwrap_err().to_string();
    assert!(error.contains("connecting"), "{error}");
    assert!(!error.contains("nobody@"), "no URL in errors: {error}");
    assert_eq!(names(&store.tree("pg").await.unwrap(), "wh_keep").len(), 1);
    let syncs = store.syncs("pg", 5).await.unwrap();
    assert!(syncs.iter().any(|s| s.source == "warehouse" && !s.ok));
    // Recovering clears the warning: the successful read is the newest sync.
    sync_catalog(&store, &good).await.unwrap();
    let latest = &store.syncs("pg", 1).await.unwrap()[0];
    assert!(latest.source == "warehouse" && latest.ok, "{latest:?}");
}

/// Redshift's catalog from the SVV views AWS documents, laid out as they are on Redshift in a
/// database of their own on the test server: a late-binding view (dbt-redshift's
/// `bind: false`) has its columns only there, never in `pg_attribute`; an external
/// (Spectrum) table is not in `pg_class` at all; the row count is SVV_TABLE_INFO's.
#[tokio::test]
async fn redshift_is_read_from_its_svv_views() {
    let Some(url) = url("redshift catalog") else {
        return;
    };
    for statement in [
        "DROP DATABASE IF EXISTS redshift_svv WITH (FORCE)",
        "CREATE DATABASE redshift_svv",
    ] {
        run(&url, statement).await;
    }
    let db_url = format!("{}/redshift_svv", url.rsplit_once('/').unwrap().0);
    run(
        &db_url,
        "CREATE TABLE svv_tables (table_catalog text, table_schema text, table_name text,
             table_type text, remarks text);
         CREATE TABLE svv_columns (table_catalog text, table_schema text, table_name text,
             column_name text, ordinal_position int, data_type text,
             character_maximum_length int, numeric_precision int, numeric_scale int, remarks text);
         CREATE TABLE svv_table_info (\"database\" text, \"schema\" text, \"table\" text, tbl_rows numeric);
         INSERT INTO svv_tables VALUES
           ('redshift_svv', 'analytics', 'fct_orders', 'BASE TABLE', 'One row per order'),
           ('redshift_svv', 'analytics', 'orders_lbv', 'VIEW', NULL),
           ('redshift_svv', 'spectrum', 'events', 'EXTERNAL TABLE', NULL),
           ('redshift_svv', 'pg_catalog', 'pg_class', 'BASE TABLE', NULL),
           ('other_db', 'analytics', 'elsewhere', 'BASE TABLE', NULL);
         INSERT INTO svv_columns VALUES
           ('redshift_svv', 'analytics', 'fct_orders', 'amount', 2, 'numeric', NULL, 12, 2, 'In dollars'),
           ('redshift_svv', 'analytics', 'fct_orders', 'order_id', 1, 'bigint', NULL, 64, 0, NULL),
           ('redshift_svv', 'analytics', 'orders_lbv', 'status', 1, 'character varying', 256, NULL, NULL, NULL),
           ('redshift_svv', 'spectrum', 'events', 'event_id', 1, 'bigint', NULL, 64, 0, NULL);
         INSERT INTO svv_table_info VALUES ('redshift_svv', 'analytics', 'fct_orders', 1200);",
    )
    .await;
    let (store, _dir) = store_with("rs", WarehouseKind::Redshift).await;
    let catalog = warehouse::postgres::PostgresCatalog::new(model::Secret::new(db_url))
        .with_flavour(warehouse::postgres::Flavour::Redshift);
    let target = CatalogTarget {
        connection: "rs".into(),
        source: Arc::new(catalog),
    };
    sync_catalog(&store, &target).await.unwrap();
    let tree = store.tree("rs").await.unwrap();
    assert_eq!(
        names(&tree, "analytics"),
        [
            ("fct_orders".to_string(), "table".to_string()),
            ("orders_lbv".to_string(), "view".to_string())
        ]
    );
    assert_eq!(
        names(&tree, "spectrum"),
        [("events".to_string(), "external".to_string())]
    );
    assert!(
        names(&tree, "pg_catalog").is_empty(),
        "system schemas are left out"
    );
    let table = |schema: &'static str, name: &'static str| {
        let store = store.clone();
        async move {
            store
                .warehouse_table("rs", "redshift_svv", schema, name, "2000-01-01")
                .await
                .unwrap()
                .unwrap()
        }
    };
    let orders = table("analytics", "fct_orders").await;
    let columns: Vec<(&str, &str)> = orders
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    assert_eq!(
        columns,
        [("order_id", "bigint"), ("amount", "numeric(12,2)")]
    );
    assert_eq!(orders.columns[1].comment.as_deref(), Some("In dollars"));
    assert_eq!(orders.comment.as_deref(), Some("One row per order"));
    assert_eq!(orders.row_estimate, Some(1200));
    let lbv = table("analytics", "orders_lbv").await;
    assert_eq!(lbv.columns[0].data_type, "character varying(256)");
}
