//! Issue 7: `downstream impact` against a store loaded with the demo, with the demo's real
//! breaking change (customer_ltv.net_ltv renamed to lifetime_value, built by dbt Core in
//! scripts/gen-demo-change).

use crate::{demo_store, run, text};
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const CHANGE: &str = "examples/jaffle_analytics/artifacts/change/manifest.json";

fn impact(store: &str, args: &[&str], dir: &Path) -> Output {
    let mut all = vec!["--store", store, "impact"];
    all.extend_from_slice(args);
    run(&all, dir)
}

#[test]
fn the_demo_rename_breaks_the_cells_reading_net_ltv() {
    let (_dir, store) = demo_store();
    let out = impact(&store, &["--manifest", CHANGE], &repo());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("customer_ltv (model, modified): renamed net_ltv → lifetime_value"),
        "{report}"
    );
    for cell in [
        "Customer lifetime value / LTV tiers (live)",
        "Customer lifetime value / Top customers (live)",
        "Churn early warning / Lifetime value of the quiet ones (stale)",
    ] {
        assert!(report.contains(cell), "{cell} missing from:\n{report}");
    }
    assert!(
        report.contains("3 Hex cells in 2 projects break"),
        "{report}"
    );
    // Nothing else changed: the other models' checksums are the demo's own.
    assert!(!report.contains("Revenue dashboard"), "{report}");
}

#[test]
fn the_markdown_report_is_a_pull_request_comment() {
    let (_dir, store) = demo_store();
    let out = impact(
        &store,
        &["--manifest", CHANGE, "--format", "markdown"],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let hex = "https://app.hex.tech/jaffle/hex";
    let expected = format!(
        "### downstream impact ❌ 3 Hex cells in 2 projects break: 1 dbt node changed, 0 other Hex cells affected, 0 dbt nodes downstream

Compared manifest {CHANGE} with the synced project of `jaffle_warehouse`.

| Hex project | Cell | Status | Breaks because |
|---|---|---|---|
| [Churn early warning]({hex}/ad5a6e2c-7f1b-4c9d-be85-4a6b1c2d3e54) | Lifetime value of the quiet ones | stale | uses `net_ltv`: `customer_ltv.net_ltv` renamed to `lifetime_value` |
| [Customer lifetime value]({hex}/7a2d3b9f-4c8e-4f6a-8b52-1d3e8f9a0b21) | LTV tiers | live | uses `net_ltv`: `customer_ltv.net_ltv` renamed to `lifetime_value` |
| [Customer lifetime value]({hex}/7a2d3b9f-4c8e-4f6a-8b52-1d3e8f9a0b21) | Top customers | live | uses `net_ltv`: `customer_ltv.net_ltv` renamed to `lifetime_value` |

<details><summary>Changed dbt nodes (1)</summary>

- `customer_ltv` (model, modified): renamed `net_ltv` → `lifetime_value`

</details>

"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn json_carries_the_same_report_and_the_catalog_agrees() {
    let (_dir, store) = demo_store();
    let catalog = CHANGE.replace("manifest.json", "catalog.json");
    let out = impact(
        &store,
        &[
            "--manifest",
            CHANGE,
            "--catalog",
            &catalog,
            "--format",
            "json",
        ],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{report:#}");
    assert_eq!(changes[0]["columns_from"], "catalog");
    assert_eq!(changes[0]["renamed"][0]["to"], "lifetime_value");
    let broken = report["hex"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["breaking"] == true)
        .count();
    assert_eq!(broken, 3);
    assert_eq!(report["breaking"], true);
}

#[test]
fn names_on_the_command_line_and_bad_usage() {
    let (_dir, store) = demo_store();
    // A leaf no Hex cell uses: nothing breaks.
    let out = impact(&store, &["--models", "customers_snapshot"], Path::new("."));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("nothing downstream breaks"),
        "{}",
        text(&out)
    );
    // A dropped upstream column breaks cells through the models computing from it.
    let out = impact(
        &store,
        &["--columns", "fct_payments.net_amount"],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains(
            "uses net_revenue: fct_payments.net_amount dropped, through rpt_monthly_revenue"
        ),
        "{report}"
    );
    assert!(report.contains("uses net_ltv: fct_payments.net_amount dropped, through customer_ltv"));
    // Unknown names and missing inputs are bad usage.
    let out = impact(&store, &["--models", "no_such_model"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("\"no_such_model\" is not a model"),
        "{}",
        text(&out)
    );
    assert_eq!(impact(&store, &[], Path::new(".")).status.code(), Some(2));
    let both = impact(&store, &["--manifest", CHANGE, "--models", "x"], &repo());
    assert_eq!(both.status.code(), Some(2));
    let broken = impact(&store, &["--manifest", "Cargo.toml"], &repo());
    assert_eq!(broken.status.code(), Some(2));
    assert!(text(&broken).contains("Cargo.toml"), "{}", text(&broken));
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

#[test]
fn a_git_diff_names_changed_models_and_a_fresh_manifest_gives_columns() {
    let (_dir, store) = demo_store();
    let project = tempfile::tempdir().unwrap();
    let sql = Path::new("models/marts/finance/customer_ltv.sql");
    std::fs::create_dir_all(project.path().join(sql.parent().unwrap())).unwrap();
    let original = repo().join("examples/jaffle_analytics").join(sql);
    std::fs::copy(&original, project.path().join(sql)).unwrap();
    git(project.path(), &["init", "-q"]);
    git(project.path(), &["add", "."]);
    git(project.path(), &["commit", "-q", "-m", "base"]);
    let changed = std::fs::read_to_string(&original)
        .unwrap()
        .replace("as net_ltv", "as lifetime_value");
    std::fs::write(project.path().join(sql), changed).unwrap();
    let dir = project.path().to_str().unwrap();

    // No target/manifest.json: the model is modified, its cells affected, nothing known broken.
    let out = impact(
        &store,
        &["--git-diff", "HEAD", "--project-dir", dir],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains("customer_ltv (model, modified)"),
        "{report}"
    );
    assert!(
        report.contains("is missing or older than the changed files"),
        "{report}"
    );
    assert!(
        report.contains("Customer lifetime value / LTV tiers"),
        "{report}"
    );

    // A manifest written after the change gives the rename.
    std::fs::create_dir(project.path().join("target")).unwrap();
    std::fs::copy(
        repo().join(CHANGE),
        project.path().join("target/manifest.json"),
    )
    .unwrap();
    let out = impact(
        &store,
        &["--git-diff", "HEAD", "--project-dir", dir],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("renamed net_ltv → lifetime_value"),
        "{}",
        text(&out)
    );
}
