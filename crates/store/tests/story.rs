use crate::{demo_paths, demo_project, fresh_store};
use model::WarehouseKind;
use store::now;

#[tokio::test]
async fn a_load_fills_tree_table_pages_and_search() {
    let (store, _dir) = fresh_store().await;
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

    let hits = store.search("customer", 20).await.unwrap();
    assert!(hits.iter().any(|h| h.hit == "table"), "{hits:?}");
    assert!(hits.iter().any(|h| h.hit == "column"), "{hits:?}");
    assert!(store.search("100%_", 20).await.unwrap().is_empty());
}

#[tokio::test]
async fn table_pages_carry_everything_dbt_knows() {
    let (store, _dir) = fresh_store().await;
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

#[tokio::test]
async fn a_failed_sync_keeps_the_last_good_data() {
    let (store, _dir) = fresh_store().await;
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

#[tokio::test]
async fn results_from_a_docs_generate_run_never_erase_test_outcomes() {
    let (store, _dir) = fresh_store().await;
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

#[tokio::test]
async fn readers_never_see_half_a_load() {
    let (store, _dir) = fresh_store().await;
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

#[tokio::test]
async fn loading_an_unknown_connection_is_not_found() {
    let (store, _dir) = fresh_store().await;
    let err = store
        .replace_dbt("nope", &demo_project(), &now())
        .await
        .unwrap_err();
    assert!(matches!(err, store::StoreError::NotFound(_)));
}
