//! The example project's artifacts as dbt Core 1.4 to 1.11 wrote them
//! (scripts/gen-dbt-fixtures), and the demo's own (scripts/gen-demo-artifacts).

use crate::repo_root;
use dbt::ArtifactPaths;
use model::{NodeKind, RunStatus, WarehouseKind};
use std::path::Path;

fn paths(dir: &Path) -> ArtifactPaths {
    ArtifactPaths {
        manifest: dir.join("manifest.json"),
        catalog: Some(dir.join("catalog.json")),
        run_results: vec![dir.join("run_results.json")],
        sources: Some(dir.join("sources.json")),
    }
}

fn fixture_dirs() -> Vec<std::path::PathBuf> {
    let root = repo_root().join("crates/dbt/tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.push(repo_root().join("examples/jaffle_analytics/artifacts"));
    dirs
}

#[test]
fn every_dbt_version_gives_the_same_project() {
    let dirs = fixture_dirs();
    assert!(dirs.len() >= 8, "fixtures for dbt 1.4..1.11: {dirs:?}");
    for dir in dirs {
        let project =
            dbt::load(&paths(&dir), WarehouseKind::Postgres).unwrap_or_else(|e| panic!("{e}"));
        let at = dir.display();
        let count = |k: NodeKind| project.nodes.iter().filter(|n| n.kind == k).count();
        assert_eq!(
            (
                count(NodeKind::Model),
                count(NodeKind::Seed),
                count(NodeKind::Snapshot),
                count(NodeKind::Source)
            ),
            (13, 6, 1, 5),
            "{at}"
        );
        assert_eq!(project.tests.len(), 56, "{at}");
        assert!(project.warnings.is_empty(), "{at}: {:?}", project.warnings);

        // The one failing test: accepted_values on fct_orders.status, severity error.
        let test_runs: Vec<_> = project
            .runs
            .iter()
            .filter(|r| r.unique_id.starts_with("test."))
            .collect();
        let failed: Vec<_> = test_runs
            .iter()
            .filter(|r| r.status == RunStatus::Fail)
            .collect();
        assert_eq!(failed.len(), 1, "{at}");
        let test = project
            .tests
            .iter()
            .find(|t| t.unique_id == failed[0].unique_id)
            .unwrap();
        assert_eq!(test.test_type, "accepted_values");
        assert_eq!(test.column.as_deref(), Some("status"));
        assert_eq!(
            test.attached_to,
            vec!["model.jaffle_analytics.fct_orders".to_string()],
            "{at}"
        );
        assert_eq!(test.severity, "error");
        assert_eq!(
            test_runs
                .iter()
                .filter(|r| r.status == RunStatus::Warn)
                .count(),
            1,
            "{at}"
        );

        // Models were built by `dbt build`, so they have a completion time.
        let built = project
            .runs
            .iter()
            .find(|r| r.unique_id == "model.jaffle_analytics.fct_orders")
            .unwrap();
        assert_eq!(
            (built.status, built.command.as_str()),
            (RunStatus::Pass, "build")
        );

        // Freshness: payments warns, three pass.
        let warn: Vec<_> = project
            .freshness
            .iter()
            .filter(|f| f.status == RunStatus::Warn)
            .map(|f| f.unique_id.as_str())
            .collect();
        assert_eq!(warn, ["source.jaffle_analytics.shop.payments"], "{at}");
        assert_eq!(
            project
                .freshness
                .iter()
                .filter(|f| f.status == RunStatus::Pass)
                .count(),
            3,
            "{at}"
        );
        let payments = project
            .freshness
            .iter()
            .find(|f| f.status == RunStatus::Warn)
            .unwrap();
        assert!(payments.age_seconds.unwrap() > 24.0 * 3600.0);
        assert!(payments.rule.warn_after.is_some());

        // Catalog types and warehouse names; the ephemeral model is no relation.
        let orders = project
            .nodes
            .iter()
            .find(|n| n.unique_id == "model.jaffle_analytics.fct_orders")
            .unwrap();
        assert_eq!(
            orders.relation.as_ref().unwrap().key(),
            "analytics.marts.fct_orders",
            "{at}"
        );
        assert!(
            orders
                .columns
                .iter()
                .all(|c| c.data_type.is_some() && c.in_warehouse == Some(true)),
            "{at}"
        );
        assert_eq!(orders.owner.as_deref(), Some("analytics@acme.com"), "{at}");
        assert!(
            orders.description.contains("One row per order"),
            "{at}: docs block rendered"
        );
        let ephemeral = project
            .nodes
            .iter()
            .find(|n| n.name == "int_order_payments_pivoted")
            .unwrap();
        assert_eq!(ephemeral.relation, None, "{at}");
        let source = project
            .nodes
            .iter()
            .find(|n| n.unique_id == "source.jaffle_analytics.shop.payments")
            .unwrap();
        assert!(source.freshness_rule.is_some(), "{at}");
        assert!(
            project.edges.contains(&(
                "model.jaffle_analytics.stg_orders".into(),
                "model.jaffle_analytics.fct_orders".into()
            )),
            "{at}"
        );
    }
}

#[test]
fn the_docs_generate_run_results_is_recognised_and_ignored() {
    let dir = repo_root().join("examples/jaffle_analytics/artifacts");
    let mut p = paths(&dir);
    p.run_results = vec![dir.join("run_results.docs_generate.json")];
    let project = dbt::load(&p, WarehouseKind::Postgres).unwrap();
    assert!(project.runs.is_empty());
    assert!(
        project.warnings[0].contains("\"generate\""),
        "{:?}",
        project.warnings
    );
}

/// Issue 7: column lineage needs each model's compiled SQL; `load` keeps none of it.
#[test]
fn compiled_sql_and_checksums_of_models_and_snapshots() {
    let dir = repo_root().join("examples/jaffle_analytics/artifacts");
    let (project, compiled) =
        dbt::load_with_sql(&paths(&dir), WarehouseKind::Postgres).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        project,
        dbt::load(&paths(&dir), WarehouseKind::Postgres).unwrap()
    );
    let ids: Vec<&str> = compiled.iter().map(|c| c.unique_id.as_str()).collect();
    assert_eq!(ids.len(), 14, "13 models and the snapshot: {ids:?}");
    assert!(ids
        .iter()
        .all(|id| id.starts_with("model.") || id.starts_with("snapshot.")));
    let ltv = compiled
        .iter()
        .find(|c| c.unique_id == "model.jaffle_analytics.customer_ltv")
        .unwrap();
    assert!(ltv.sql.contains("as net_ltv"), "{}", ltv.sql);
    assert!(!ltv.sql.contains("ref("), "compiled, not raw: {}", ltv.sql);
    let node = |id: &str| project.nodes.iter().find(|n| n.unique_id == id).unwrap();
    assert_eq!(
        node("model.jaffle_analytics.customer_ltv")
            .checksum
            .as_deref(),
        Some("b99ffc125c0bc4187e4e3f77d369980c5752382ec41ab0f4582670bbacb1656c")
    );
    assert!(node("seed.jaffle_analytics.payment_methods")
        .checksum
        .is_some());
    // dbt writes no checksum for sources.
    assert_eq!(node("source.jaffle_analytics.shop.orders").checksum, None);
}
