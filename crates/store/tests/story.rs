use crate::{both, demo_paths, demo_project};
use model::WarehouseKind;
use store::now;

both!(
    a_load_fills_tree_table_pages_and_search,
    |store: store::Store| async move {
        let project = demo_project();
        let counts = store
            .replace_dbt("warehouse", &project, &now())
            .await
            .unwrap();
        assert_eq!(counts.nodes as usize, project.nodes.len());
        assert!(counts.tests > 20);

        let tree = store.tree("warehouse").await.unwrap();
        let schemas: Vec<&str> = tree[0].schemas.iter().map(|s| s.name.as_str()).collect();
        assert!(
            schemas.contains(&"marts") && schemas.contains(&"staging") && schemas.contains(&"raw"),
            "{schemas:?}"
        );

        let overview = store.connection("warehouse").await.unwrap();
        assert_eq!(overview.tests.fail, 1, "{:?}", overview.tests);
        assert_eq!(overview.tests.warn, 1, "{:?}", overview.tests);
        assert_eq!(overview.freshness.warn, 1, "{:?}", overview.freshness);
        assert!(overview.last_sync.unwrap().ok);

        let index = store.search_index().await.unwrap();
        let hits = index.search("customer", 20);
        assert!(hits.iter().any(|h| h.hit == "table"), "{hits:?}");
        assert!(hits.iter().any(|h| h.hit == "column"), "{hits:?}");
        assert!(index.search("100%_", 20).is_empty());
    }
);

both!(
    table_pages_carry_everything_dbt_knows,
    |store: store::Store| async move {
        store
            .replace_dbt("warehouse", &demo_project(), &now())
            .await
            .unwrap();
        let tree = store.tree("warehouse").await.unwrap();
        let failing = tree
            .iter()
            .flat_map(|d| &d.schemas)
            .flat_map(|s| &s.tables)
            .find(|t| t.tests.fail > 0)
            .expect("a table with a failing test");
        let page = store
            .table(
                "warehouse",
                &failing.database,
                &failing.schema,
                &failing.name,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(!page.node.description.is_empty());
        assert!(
            page.columns.iter().all(|c| c.data_type.is_some()),
            "catalog types"
        );
        let failed = page.tests.iter().find(|t| t.status == "fail").unwrap();
        assert!(failed.failures.unwrap_or(0) > 0);
        assert!(failed.column.is_some());
        let build = page.build.expect("built by dbt build");
        assert_eq!(build.status, "pass");
        assert!(!page.parents.is_empty());

        let warned = tree
            .iter()
            .flat_map(|d| &d.schemas)
            .flat_map(|s| &s.tables)
            .find(|t| t.freshness.as_deref() == Some("warn"))
            .expect("a source with a freshness warning");
        let page = store
            .table("warehouse", &warned.database, &warned.schema, &warned.name)
            .await
            .unwrap()
            .unwrap();
        let fresh = page.freshness.unwrap();
        assert!(fresh.age_seconds.unwrap() > 24.0 * 3600.0);
        assert!(fresh.warn_after.is_some());
        assert!(store
            .table("warehouse", "x", "y", "z")
            .await
            .unwrap()
            .is_none());
    }
);

both!(
    a_failed_sync_keeps_the_last_good_data,
    |store: store::Store| async move {
        store
            .replace_dbt("warehouse", &demo_project(), &now())
            .await
            .unwrap();
        let before = store.tree("warehouse").await.unwrap();
        store
            .record_failure(
                "warehouse",
                "dbt",
                &now(),
                "manifest.json: invalid JSON at line 1",
            )
            .await
            .unwrap();
        assert_eq!(store.tree("warehouse").await.unwrap(), before);
        let overview = store.connection("warehouse").await.unwrap();
        let last = overview.last_sync.unwrap();
        assert!(!last.ok);
        assert_eq!(
            last.error.as_deref(),
            Some("manifest.json: invalid JSON at line 1")
        );
        assert!(overview.last_success_at.is_some());
    }
);

both!(
    results_from_a_docs_generate_run_never_erase_test_outcomes,
    |store: store::Store| async move {
        store
            .replace_dbt("warehouse", &demo_project(), &now())
            .await
            .unwrap();
        let mut paths = demo_paths();
        paths.run_results = vec![paths
            .manifest
            .with_file_name("run_results.docs_generate.json")];
        let docs_only = dbt::load(&paths, WarehouseKind::Postgres).unwrap();
        assert!(docs_only.runs.is_empty());
        store
            .replace_dbt("warehouse", &docs_only, &now())
            .await
            .unwrap();
        let overview = store.connection("warehouse").await.unwrap();
        assert_eq!(overview.tests.fail, 1);
        // Loading the same build results again adds nothing twice.
        let again = store
            .replace_dbt("warehouse", &demo_project(), &now())
            .await
            .unwrap();
        assert_eq!(again.new_runs, 0);
    }
);

both!(
    readers_never_see_half_a_load,
    |store: store::Store| async move {
        let project = demo_project();
        store
            .replace_dbt("warehouse", &project, &now())
            .await
            .unwrap();
        let full = store.connection("warehouse").await.unwrap().tables;
        let reader = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for _ in 0..200 {
                    seen.push(store.connection("warehouse").await.unwrap().tables);
                    tokio::task::yield_now().await;
                }
                seen
            })
        };
        for _ in 0..10 {
            store
                .replace_dbt("warehouse", &project, &now())
                .await
                .unwrap();
        }
        let seen = reader.await.unwrap();
        assert!(
            seen.iter().all(|n| *n == full),
            "a reader saw a partial load: {seen:?}"
        );
    }
);

both!(
    loading_an_unknown_connection_is_not_found,
    |store: store::Store| async move {
        let err = store
            .replace_dbt("nope", &demo_project(), &now())
            .await
            .unwrap_err();
        assert!(matches!(err, store::StoreError::NotFound(_)));
    }
);

fn relation(schema: &str, name: &str, columns: &[&str]) -> store::WarehouseRelation {
    store::WarehouseRelation {
        database: "analytics".into(),
        schema: schema.into(),
        name: name.into(),
        rel_key: format!("analytics.{schema}.{name}"),
        kind: "table".into(),
        comment: None,
        row_estimate: Some(10),
        columns: columns
            .iter()
            .map(|c| (c.to_string(), "text".to_string(), None))
            .collect(),
    }
}

both!(
    the_warehouse_catalog_adds_unmanaged_tables_not_built_nodes_and_drift,
    |store: store::Store| async move {
        store
            .replace_dbt("warehouse", &demo_project(), &now())
            .await
            .unwrap();
        let marts = store::StoredSchema {
            database: "analytics".into(),
            schema: "marts".into(),
            changed_at: None,
            synced_at: String::new(),
        };
        // fct_orders lacks `coupon_amount` and has an undocumented `legacy_flag`; dim_customers
        // and the other marts models are missing; `scratch_export` is not dbt's.
        let fct_columns = [
            "order_id",
            "customer_id",
            "ordered_at",
            "order_date",
            "status",
            "item_count",
            "unit_count",
            "items_amount",
            "credit_card_amount",
            "bank_transfer_amount",
            "gift_card_amount",
            "legacy_flag",
        ];
        let relations = vec![
            relation("marts", "fct_orders", &fct_columns),
            relation("marts", "scratch_export", &["id"]),
        ];
        store
            .replace_warehouse_schema("warehouse", &marts, &relations)
            .await
            .unwrap();

        let tree = store.tree("warehouse").await.unwrap();
        let marts_tables = &tree[0]
            .schemas
            .iter()
            .find(|s| s.name == "marts")
            .unwrap()
            .tables;
        let row = |name: &str| marts_tables.iter().find(|t| t.name == name).unwrap();
        assert_eq!(row("scratch_export").node_kind, "table");
        assert_eq!(row("scratch_export").unique_id, "");
        assert_eq!(row("fct_orders").in_warehouse, Some(true));
        assert_eq!(row("dim_customers").in_warehouse, Some(false));
        let staging = &tree[0]
            .schemas
            .iter()
            .find(|s| s.name == "staging")
            .unwrap()
            .tables;
        assert!(
            staging.iter().all(|t| t.in_warehouse.is_none()),
            "staging was never introspected"
        );

        let fct = store
            .table_with_usage(
                "warehouse",
                "analytics",
                "marts",
                "fct_orders",
                "2000-01-01",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fct.in_warehouse, Some(true));
        let column = |name: &str| fct.columns.iter().find(|c| c.name == name).unwrap();
        assert_eq!(column("coupon_amount").in_warehouse, Some(false));
        assert_eq!(column("order_id").in_warehouse, Some(true));
        assert!(
            !column("legacy_flag").documented && column("legacy_flag").in_warehouse == Some(true)
        );
        let dim = store
            .table_with_usage(
                "warehouse",
                "analytics",
                "marts",
                "dim_customers",
                "2000-01-01",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(dim.in_warehouse, Some(false));
        let scratch = store
            .warehouse_table(
                "warehouse",
                "analytics",
                "marts",
                "scratch_export",
                "2000-01-01",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(scratch.columns.len(), 1);
        let counts = store.schema_counts("warehouse").await.unwrap();
        let marts_count = counts.iter().find(|c| c.schema == "marts").unwrap();
        assert_eq!(
            marts_count.tables, 5,
            "4 dbt models + the unmanaged table: {counts:?}"
        );
    }
);

both!(
    table_pages_keep_a_timeline_of_test_runs_and_freshness,
    |store: store::Store| async move {
        store
            .replace_dbt("warehouse", &demo_project(), &now())
            .await
            .unwrap();
        let fct = store
            .table("warehouse", "analytics", "marts", "fct_orders")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fct.test_history.len(), 1);
        assert_eq!(fct.test_history[0].fail, 1);
        let payments = store
            .table("warehouse", "analytics", "raw", "raw_payments")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(payments.freshness_history[0].status, "warn");
    }
);

both!(
    a_relation_dbt_names_twice_shows_one_page_with_both_nodes,
    |store: store::Store| async move {
        // A model built on the very table a seed loads and a source declares: the page is the
        // model's, the others are listed beside it, and all their tests and freshness belong
        // to the table.
        let mut project = demo_project();
        let source = project
            .nodes
            .iter()
            .find(|n| {
                n.relation
                    .as_ref()
                    .is_some_and(|r| r.name == "raw_payments")
                    && n.unique_id.starts_with("source.")
            })
            .expect("the raw_payments source")
            .clone();
        let mut model = source.clone();
        model.unique_id = "model.jaffle_analytics.payments_in_place".into();
        model.name = "payments_in_place".into();
        model.kind = model::NodeKind::Model;
        model.source_name = None;
        project.nodes.push(model.clone());
        let mut test = project.tests[0].clone();
        test.unique_id = "test.jaffle_analytics.not_null_payments_in_place_id".into();
        test.name = "not_null_payments_in_place_id".into();
        test.attached_to = vec![model.unique_id.clone()];
        project.tests.push(test);
        store
            .replace_dbt("warehouse", &project, &now())
            .await
            .unwrap();

        let page = store
            .table("warehouse", "analytics", "raw", "raw_payments")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(page.node.unique_id, model.unique_id);
        let also: Vec<&str> = page.also.iter().map(|n| n.unique_id.as_str()).collect();
        assert_eq!(
            also,
            [
                "seed.jaffle_analytics.raw_payments",
                source.unique_id.as_str()
            ]
        );
        assert_eq!(
            page.tests[0].name, "not_null_payments_in_place_id",
            "the page's own node first"
        );
        assert!(
            page.tests.len() > 1,
            "the source's tests too: {:?}",
            page.tests
        );
        assert_eq!(
            page.freshness.as_ref().map(|f| f.status.as_str()),
            Some("warn"),
            "the source's"
        );
        assert_eq!(page.freshness_history[0].status, "warn");
        assert!(page.table_key.is_some());
        assert_eq!(page.warehouse, "postgres");
    }
);

both!(
    statistics_refresh_after_a_load_on_both_back_ends,
    |store: store::Store| async move {
        // A load big enough to pass PostgreSQL's threshold (1,000 changed rows) in one table.
        let mut project = demo_project();
        let template = project.nodes[0].clone();
        for i in 0..1_200 {
            let mut node = template.clone();
            node.unique_id = format!("model.bulk.m{i}");
            node.name = format!("m{i}");
            project.nodes.push(node);
        }
        store
            .replace_dbt("warehouse", &project, &now())
            .await
            .unwrap();
        store.refresh_statistics().await.unwrap();
        store.refresh_statistics().await.unwrap();
    }
);
