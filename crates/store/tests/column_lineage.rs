//! Issue 7: column lineage and node checksums are stored with the rest of a dbt load and read
//! back for impact analysis.

use crate::{both, demo_project};
use model::ColumnEdge;
use store::{now, StoreError};

fn edge(node: &str, column: &str, parent: &str, parent_column: &str) -> ColumnEdge {
    ColumnEdge {
        node_id: format!("model.jaffle_analytics.{node}"),
        column: column.into(),
        parent_key: format!("analytics.{parent}"),
        parent_column: parent_column.into(),
    }
}

both!(
    column_lineage_and_checksums_round_trip_and_are_replaced,
    |store: store::Store| async move {
        assert!(matches!(
            store.synced_project("warehouse").await,
            Err(StoreError::NotFound(_))
        ));
        let mut project = demo_project();
        project.column_lineage = vec![
            edge(
                "customer_ltv",
                "net_ltv",
                "finance.fct_payments",
                "net_amount",
            ),
            edge(
                "fct_payments",
                "net_amount",
                "staging.stg_payments",
                "amount",
            ),
        ];
        let counts = store
            .replace_dbt("warehouse", &project, &now())
            .await
            .unwrap();
        assert_eq!(counts.column_lineage, 2);
        assert_eq!(store.dbt_connections().await.unwrap(), ["warehouse"]);

        let synced = store.synced_project("warehouse").await.unwrap();
        assert_eq!(synced.kind, model::WarehouseKind::Postgres);
        assert_eq!(synced.column_lineage.len(), 2);
        assert_eq!(synced.column_lineage[0].column, "net_ltv");
        let ltv = synced
            .nodes
            .iter()
            .find(|n| n.unique_id == "model.jaffle_analytics.customer_ltv")
            .unwrap();
        assert_eq!(ltv.path, "models/marts/finance/customer_ltv.sql");
        assert_eq!(
            ltv.checksum.as_deref(),
            Some("b99ffc125c0bc4187e4e3f77d369980c5752382ec41ab0f4582670bbacb1656c")
        );
        assert_eq!(
            ltv.relation_key.as_deref(),
            Some("analytics.finance.customer_ltv")
        );
        assert!(
            ltv.columns.contains(&"net_ltv".to_string()),
            "{:?}",
            ltv.columns
        );

        // A later load replaces the lineage; it does not accumulate.
        project.column_lineage.truncate(1);
        store
            .replace_dbt("warehouse", &project, &now())
            .await
            .unwrap();
        assert_eq!(store.column_lineage("warehouse").await.unwrap().len(), 1);
    }
);
