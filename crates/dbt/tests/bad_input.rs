//! Broken, truncated and mismatched artifacts give errors that name the file and field.

use dbt::{ArtifactError, ArtifactPaths};
use model::WarehouseKind;
use std::path::{Path, PathBuf};

const MANIFEST: &str = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "dbt_version": "1.11.0"},
 "nodes": {"model.p.orders": {"resource_type": "model", "unique_id": "model.p.orders", "name": "orders",
   "database": "db", "schema": "marts", "alias": "orders", "config": {"materialized": "table"},
   "columns": {"id": {"name": "id", "description": "Key"}}, "depends_on": {"nodes": []}}},
 "sources": {}}"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn load_manifest(text: &str) -> Result<model::DbtProject, ArtifactError> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "manifest.json", text);
    dbt::load(
        &ArtifactPaths {
            manifest: path,
            ..ArtifactPaths::default()
        },
        WarehouseKind::Postgres,
    )
}

#[test]
fn a_minimal_manifest_loads() {
    let project = load_manifest(MANIFEST).unwrap();
    assert_eq!(
        project.nodes[0].relation.as_ref().unwrap().key(),
        "db.marts.orders"
    );
}

#[test]
fn truncated_json_names_the_file_and_says_truncated() {
    let err = load_manifest(&MANIFEST[..MANIFEST.len() / 2])
        .unwrap_err()
        .to_string();
    assert!(err.contains("manifest.json"), "{err}");
    assert!(err.contains("truncated"), "{err}");
}

/// Issue 8 (property tests): a file cut inside a number (`0.`) is an invalid number to
/// serde_json, and came without the hint that the file ends early.
#[test]
fn issue_8_a_file_cut_inside_a_number_says_truncated() {
    let cut = MANIFEST.replace(r#""depends_on": {"nodes": []}}},"#, r#""x": 0."#);
    let cut = &cut[..cut.find("0.").unwrap() + 2];
    let err = load_manifest(cut).unwrap_err().to_string();
    assert!(err.contains("invalid number"), "{err}");
    assert!(err.contains("truncated"), "{err}");
    // Malformed but complete is not called truncated.
    let err = load_manifest(r#"{"metadata": 1.}"#)
        .unwrap_err()
        .to_string();
    assert!(!err.contains("truncated"), "{err}");
}

#[test]
fn a_catalog_given_as_manifest_is_named_as_such() {
    let catalog = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"}, "nodes": {}, "sources": {}}"#;
    let err = load_manifest(catalog).unwrap_err().to_string();
    assert!(err.contains("expected a manifest.json"), "{err}");
    assert!(err.contains("catalog"), "{err}");
}

#[test]
fn a_wrong_shape_in_the_wrong_file_still_names_the_kind() {
    let run_results = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}, "nodes": [1, 2]}"#;
    let err = load_manifest(run_results).unwrap_err().to_string();
    assert!(err.contains("expected a manifest.json"), "{err}");
}

#[test]
fn unknown_newer_versions_load_with_a_warning() {
    let future = MANIFEST.replace("manifest/v12", "manifest/v14");
    let project = load_manifest(&future).unwrap();
    assert_eq!(project.nodes.len(), 1);
    assert!(
        project.warnings[0].contains("v14"),
        "{:?}",
        project.warnings
    );
}

#[test]
fn missing_metadata_and_garbage_are_errors() {
    let err = load_manifest(r#"{"nodes": {}}"#).unwrap_err().to_string();
    assert!(err.contains("metadata.dbt_schema_version"), "{err}");
    let err = load_manifest("\u{0}\u{1}garbage").unwrap_err().to_string();
    assert!(err.contains("invalid JSON"), "{err}");
}

#[test]
fn a_missing_file_names_the_path() {
    let paths = ArtifactPaths {
        manifest: PathBuf::from("/nonexistent/target/manifest.json"),
        ..ArtifactPaths::default()
    };
    let err = dbt::load(&paths, WarehouseKind::Postgres)
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/target/manifest.json"), "{err}");
}

#[test]
fn results_from_another_project_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "manifest.json", MANIFEST);
    let rr = write(
        dir.path(),
        "run_results.json",
        r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json", "generated_at": "2024-01-01T00:00:00Z", "invocation_id": "x"},
            "args": {"which": "build"},
            "results": [{"unique_id": "model.other.thing", "status": "success", "timing": [], "execution_time": 1.0}]}"#,
    );
    let project = dbt::load(
        &ArtifactPaths {
            manifest,
            run_results: vec![rr],
            ..ArtifactPaths::default()
        },
        WarehouseKind::Postgres,
    )
    .unwrap();
    assert!(
        project
            .warnings
            .iter()
            .any(|w| w.contains("model.other.thing") && w.contains("different projects")),
        "{:?}",
        project.warnings
    );
}

#[test]
fn a_wrongly_typed_field_is_tolerated_not_fatal() {
    // Older dbt wrote `tags` as a string and `description` as null in places.
    let odd = MANIFEST.replace(
        r#""name": "orders","#,
        r#""name": "orders", "tags": "daily", "description": null,"#,
    );
    let project = load_manifest(&odd).unwrap();
    assert_eq!(project.nodes[0].tags, vec!["daily".to_string()]);
}

#[test]
fn an_artifact_over_the_size_limit_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    // Sparse: one byte over the limit costs no disk, and the size is all the loader reads.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(dbt::max_artifact_bytes() + 1).unwrap();
    let paths = ArtifactPaths {
        manifest: path,
        ..ArtifactPaths::default()
    };
    let err = dbt::load(&paths, WarehouseKind::Postgres).unwrap_err();
    assert!(matches!(err, ArtifactError::TooLarge { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("manifest.json"), "{text}");
    assert!(text.contains("limit for one dbt artifact"), "{text}");
    assert!(text.contains("DOWNSTREAM_MAX_ARTIFACT_MB"), "{text}");
}
