//! dbt Cloud as a connection's dbt source, against a local server answering as dbt Labs'
//! OpenAPI document defines the Admin API v2 ([`mockhttp::dbt_cloud`]), with the example
//! project's artifacts: load, skip an unchanged run, and keep
//! the last good data through the errors users know.

use crate::store_with;
use dbt::cloud::{CloudClient, CloudConfig};
use mockhttp::dbt_cloud::{
    self, failure, job, jobs, project, retrieved, run, runs, steps, ACCOUNT, PROJECT,
};
use mockhttp::{Mock, Reply, TOKEN};
use model::{Secret, WarehouseKind};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use store::{ConnectionRecord, Store};
use sync::{sync_dbt, CloudSource, DbtSource, DbtTarget};

const RUN: u64 = 9001;

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jaffle_analytics/artifacts")
}

/// The lookups of one sync, in dbt Cloud's documented shapes: the project, its jobs and
/// the docs job's latest run.
fn lookups() -> Vec<Reply> {
    let mut nightly = job(13, "Nightly build", true, false);
    nightly["execute_steps"] = json!(["dbt build", "dbt docs generate"]);
    vec![
        project(Some(13), None),
        jobs(vec![nightly]),
        runs(Some(docs_run())),
    ]
}

fn docs_run() -> Value {
    run(RUN, 13, "2026-11-23 06:10:31+00:00", true, false)
}

/// Retrieve Run: the steps, `dbt build` third and `dbt docs generate` last.
fn with_steps() -> Reply {
    let steps = steps(
        RUN,
        &[
            (1, "Clone git repository"),
            (2, "Invoke dbt with `dbt deps`"),
            (3, "Invoke dbt with `dbt build`"),
            (4, "Invoke dbt with `dbt docs generate`"),
        ],
    );
    retrieved(docs_run(), steps)
}

fn file(name: &str) -> Reply {
    Reply::raw(
        200,
        std::fs::read_to_string(artifacts().join(name)).unwrap(),
    )
}

fn downloads() -> Vec<Reply> {
    vec![
        file("manifest.json"),
        file("catalog.json"),
        with_steps(),
        file("run_results.json"),
    ]
}

fn target(mock: &Mock, dir: &std::path::Path) -> DbtTarget {
    let mut config = CloudConfig::new(mock.url.clone(), ACCOUNT, PROJECT, Secret::new(TOKEN));
    config.http = mockhttp::fast_http(2);
    DbtTarget {
        connection: ConnectionRecord {
            name: "wh".into(),
            kind: WarehouseKind::Postgres,
            default_database: None,
            default_schema: None,
            docs_url: None,
            dbt_source: None,
            access: None,
        },
        dbt: Some(DbtSource::Cloud(CloudSource {
            client: Ok(Arc::new(CloudClient::new(config).unwrap())),
            dir: dir.join("cloud"),
            label: "dbt Cloud test".into(),
            refresh_seconds: 600,
        })),
    }
}

async fn nodes(store: &Store) -> i64 {
    store.connection("wh").await.unwrap().models
}

#[tokio::test]
async fn the_latest_docs_run_is_loaded_once_and_links_to_its_docs() {
    let (store, dir) = store_with("wh", WarehouseKind::Postgres).await;
    let mut replies = lookups();
    replies.extend(downloads());
    let mock = dbt_cloud::mock(replies).await;
    let report = sync_dbt(&store, &target(&mock, dir.path())).await.unwrap();
    let report = report.expect("a new run is loaded");
    assert!(report.counts.nodes > 10, "{:?}", report.counts);
    let steps: Vec<String> = mock
        .seen()
        .iter()
        .filter(|s| s.path.ends_with("run_results.json"))
        .map(|s| s.param("step").unwrap_or_default())
        .collect();
    assert_eq!(
        steps,
        ["3"],
        "the build step's results, not docs generate's"
    );

    let overview = store.connection("wh").await.unwrap();
    assert_eq!(
        overview.docs_url,
        Some(format!("{}/accounts/{ACCOUNT}/jobs/13/docs", mock.url))
    );
    assert_eq!(overview.dbt_source.as_deref(), Some("dbt Cloud test"));
    let run = store.cloud_run("wh").await.unwrap().unwrap();
    assert_eq!(
        (run.run_id.as_str(), run.job_name.as_str()),
        ("9001", "Nightly build")
    );
    assert!(run.explorer_url.ends_with(&format!(
        "/explore/{ACCOUNT}/projects/{PROJECT}/environments/production/details/"
    )));
    let tests = overview.tests;
    assert!(
        tests.pass > 0,
        "test outcomes came with the build step: {tests:?}"
    );

    let again = dbt_cloud::mock(lookups()).await;
    let models = nodes(&store).await;
    assert!(sync_dbt(&store, &target(&again, dir.path()))
        .await
        .unwrap()
        .is_none());
    assert_eq!(again.calls().len(), 3, "no downloads: {:?}", again.calls());
    assert_eq!(nodes(&store).await, models);
}

#[tokio::test]
async fn a_rejected_token_says_401_unauthorized_and_keeps_the_last_load() {
    let (store, dir) = store_with("wh", WarehouseKind::Postgres).await;
    let mut replies = lookups();
    replies.extend(downloads());
    sync_dbt(&store, &target(&dbt_cloud::mock(replies).await, dir.path()))
        .await
        .unwrap();
    let models = nodes(&store).await;

    let bad = dbt_cloud::mock(vec![failure(401, "Invalid token.")]).await;
    let error = sync_dbt(&store, &target(&bad, dir.path()))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("401 Unauthorized"), "{error}");
    assert!(
        error.contains("Metadata Only") && error.contains("Job Admin"),
        "{error}"
    );
    assert!(!error.contains(TOKEN));
    let failing = store.failing_syncs("wh").await.unwrap();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].error.as_deref(), Some(error.as_str()));
    assert_eq!(nodes(&store).await, models, "the last good load stays");
}

#[tokio::test]
async fn a_project_without_a_docs_run_says_no_jobs_found_and_why() {
    let (store, dir) = store_with("wh", WarehouseKind::Postgres).await;
    let mut hourly = job(14, "Hourly run", false, false);
    hourly["execute_steps"] = json!(["dbt run"]);
    let mock = dbt_cloud::mock(vec![project(None, None), jobs(vec![hourly])]).await;
    let error = sync_dbt(&store, &target(&mock, dir.path()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("No jobs found for this project"),
        "{error}"
    );
    assert!(
        error.contains("Hourly run"),
        "names the job it passed over: {error}"
    );
}

#[tokio::test]
async fn a_missing_token_variable_fails_on_the_connection() {
    let (store, dir) = store_with("wh", WarehouseKind::Postgres).await;
    let mock = dbt_cloud::mock(vec![]).await;
    let mut target = target(&mock, dir.path());
    if let Some(DbtSource::Cloud(cloud)) = &mut target.dbt {
        cloud.client = Err(model::Misconfigured(
            "$DBT_CLOUD_TOKEN is not set in the environment".into(),
        ));
    }
    let error = sync_dbt(&store, &target).await.unwrap_err().to_string();
    assert!(error.contains("$DBT_CLOUD_TOKEN"), "{error}");
    assert!(mock.calls().is_empty());
    assert_eq!(store.failing_syncs("wh").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_sync_another_process_runs_is_skipped_not_failed() {
    let (store, dir) = store_with("wh", WarehouseKind::Postgres).await;
    let mock = dbt_cloud::mock(vec![]).await;
    let held = store
        .try_lock_sync("dbt:wh")
        .await
        .unwrap()
        .expect("the lock");
    let error = sync_dbt(&store, &target(&mock, dir.path()))
        .await
        .unwrap_err();
    assert!(matches!(error, sync::DbtSyncError::Busy(_)), "{error}");
    assert!(error
        .to_string()
        .contains("another process is running the dbt sync of wh"));
    assert!(mock.calls().is_empty(), "nothing was asked of dbt Cloud");
    assert!(
        store.failing_syncs("wh").await.unwrap().is_empty(),
        "not a failure"
    );
    drop(held);
}
