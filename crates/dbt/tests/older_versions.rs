//! Manifest v1–v12, run_results v1–v6 and catalog v1 as dbt itself wrote them.

use crate::shared_fixtures;
use dbt::ArtifactPaths;
use model::{NodeKind, WarehouseKind};
use std::path::{Path, PathBuf};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn manifest_only(path: &Path) -> ArtifactPaths {
    ArtifactPaths {
        manifest: path.to_path_buf(),
        ..ArtifactPaths::default()
    }
}

#[test]
fn every_manifest_version_yields_models_tests_and_edges() {
    let Some(root) = shared_fixtures() else {
        return;
    };
    let manifests = files_under(&root.join("manifest"));
    let mut versions = std::collections::BTreeSet::new();
    for path in &manifests {
        let project = dbt::load(&manifest_only(path), WarehouseKind::Postgres)
            .unwrap_or_else(|e| panic!("{e}"));
        versions.insert(project.meta.manifest_version);
        let models = project
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Model)
            .count();
        assert!(models >= 5, "{}: {models} models", path.display());
        assert!(project.tests.len() >= 20, "{}", path.display());
        assert!(!project.edges.is_empty(), "{}", path.display());
        // Every generic test on a column knows its column and at most one node it checks
        // (none where the fixture manifest lacks the model the test refs).
        for test in project.tests.iter().filter(|t| t.test_type == "unique") {
            assert!(
                test.column.is_some(),
                "{}: {}",
                path.display(),
                test.unique_id
            );
            assert!(
                test.attached_to.len() <= 1,
                "{}: {}",
                path.display(),
                test.unique_id
            );
        }
        let attached = project
            .tests
            .iter()
            .filter(|t| !t.attached_to.is_empty())
            .count();
        assert!(
            attached * 4 >= project.tests.len() * 3,
            "{}: {attached} attached",
            path.display()
        );
        // Every model that is not ephemeral resolves to a relation.
        for node in project
            .nodes
            .iter()
            .filter(|n| n.materialized.as_deref() != Some("ephemeral"))
        {
            assert!(
                node.relation.is_some(),
                "{}: {}",
                path.display(),
                node.unique_id
            );
        }
        assert!(project.warnings.is_empty(), "{:?}", project.warnings);
    }
    assert_eq!(versions, (1..=12).collect(), "manifest versions read");
}

#[test]
fn relationships_tests_attach_to_the_model_they_are_declared_on() {
    let Some(root) = shared_fixtures() else {
        return;
    };
    let path = root.join("manifest/v4/jaffle_shop/manifest.json");
    let project = dbt::load(&manifest_only(&path), WarehouseKind::BigQuery).unwrap();
    let rel = project
        .tests
        .iter()
        .find(|t| t.test_type == "relationships")
        .expect("a relationships test");
    assert_eq!(
        rel.attached_to,
        vec!["model.jaffle_shop.orders".to_string()]
    );
    assert_eq!(rel.column.as_deref(), Some("customer_id"));
}

#[test]
fn every_run_results_version_yields_node_runs() {
    let Some(root) = shared_fixtures() else {
        return;
    };
    for path in files_under(&root.join("run_results")) {
        let manifest = root.join("manifest/v12/jaffle_shop/manifest_1.11.json");
        let paths = ArtifactPaths {
            run_results: vec![path.clone()],
            ..manifest_only(&manifest)
        };
        let project = dbt::load(&paths, WarehouseKind::Postgres).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("\"which\": \"generate\"") {
            assert!(project.runs.is_empty(), "{}", path.display());
            assert!(project
                .warnings
                .iter()
                .any(|w| w.contains("neither builds nor tests")));
        } else {
            assert!(!project.runs.is_empty(), "{}", path.display());
            assert!(project.runs.iter().all(|r| r.completed_at.ends_with('Z')));
        }
    }
}

#[test]
fn catalog_v1_gives_types_and_row_counts() {
    let Some(root) = shared_fixtures() else {
        return;
    };
    let paths = ArtifactPaths {
        catalog: Some(root.join("catalog/v1/jaffle_shop/catalog.json")),
        ..manifest_only(&root.join("manifest/v12/jaffle_shop/manifest_1.9.json"))
    };
    let project = dbt::load(&paths, WarehouseKind::BigQuery).unwrap();
    let customers = project
        .nodes
        .iter()
        .find(|n| n.unique_id == "model.jaffle_shop.customers")
        .unwrap();
    let id = customers
        .columns
        .iter()
        .find(|c| c.name == "customer_id")
        .unwrap();
    assert_eq!(id.data_type.as_deref(), Some("INT64"));
    assert_eq!(id.position, Some(1));
    assert_eq!(customers.row_count, Some(100));
}

/// Compiled SQL is `compiled_sql` before manifest v7 and `compiled_code` from v7 on; v1 and
/// v4 fixtures were never compiled and yield none.
#[test]
fn compiled_sql_is_read_under_both_names() {
    let Some(root) = shared_fixtures() else {
        return;
    };
    for (version, compiled) in [("v1", false), ("v2", true), ("v6", true), ("v7", true)] {
        let path = root.join(format!("manifest/{version}/jaffle_shop/manifest.json"));
        let (project, sql) = dbt::load_with_sql(&manifest_only(&path), WarehouseKind::Postgres)
            .unwrap_or_else(|e| panic!("{e}"));
        let models = project
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Model)
            .count();
        if compiled {
            assert_eq!(sql.len(), models, "{version}");
            assert!(
                sql.iter().all(|c| c.sql.to_lowercase().contains("select")),
                "{version}"
            );
        } else {
            assert!(sql.is_empty(), "{version}");
        }
    }
}
