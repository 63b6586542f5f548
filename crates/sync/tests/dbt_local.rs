//! Issue 7: a dbt sync reads column lineage from compiled SQL and stores it with the load.

use crate::store_with;
use model::{ColumnEdge, WarehouseKind};
use std::path::PathBuf;
use sync::{DbtSource, DbtTarget};

#[tokio::test]
async fn a_dbt_sync_stores_the_column_lineage_of_compiled_models() {
    let (store, _dir) = store_with("warehouse", WarehouseKind::Postgres).await;
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jaffle_analytics/artifacts");
    let paths = dbt::ArtifactPaths {
        manifest: dir.join("manifest.json"),
        catalog: Some(dir.join("catalog.json")),
        ..Default::default()
    };
    let record = store::ConnectionRecord {
        name: "warehouse".into(),
        kind: WarehouseKind::Postgres,
        default_database: None,
        default_schema: None,
        docs_url: None,
        dbt_source: None,
        access: None,
    };
    let target = DbtTarget {
        connection: record,
        dbt: Some(DbtSource::Local(paths)),
    };
    let report = sync::sync_dbt(&store, &target).await.unwrap().unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(report.counts.column_lineage > 100, "{:?}", report.counts);
    assert!(report.lineage_time <= report.parse_time);
    let lineage = store.column_lineage("warehouse").await.unwrap();
    assert_eq!(lineage.len() as u64, report.counts.column_lineage);
    let has = |node: &str, column: &str, parent: &str, parent_column: &str| {
        lineage.contains(&ColumnEdge {
            node_id: format!("model.jaffle_analytics.{node}"),
            column: column.into(),
            parent_key: format!("analytics.{parent}"),
            parent_column: parent_column.into(),
        })
    };
    assert!(has(
        "customer_ltv",
        "net_ltv",
        "finance.fct_payments",
        "net_amount"
    ));
    assert!(has(
        "rpt_monthly_revenue",
        "net_revenue",
        "finance.fct_payments",
        "net_amount"
    ));
    assert!(has("stg_orders", "order_id", "raw.raw_orders", "id"));
    assert!(has(
        "dim_customers",
        "lifetime_value",
        "staging.stg_payments",
        "amount"
    ));
}
