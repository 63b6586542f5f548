//! The dbt Cloud client against a local server that answers in the Admin API v2 envelope and
//! serves the example project's artifacts as dbt Core 1.11 wrote them.

use crate::repo_root;
use dbt::cloud::{CloudClient, CloudConfig, CloudError, CloudFetch, RunIds, SkipReason};
use mockhttp::dbt_cloud::{
    self, docs_job_steps, failure, job, jobs, ok, page, project, run, runs, ACCOUNT, PROJECT,
};
use mockhttp::{Mock, Reply, Seen, TOKEN};
use model::{RunStatus, Secret, WarehouseKind};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// Attempts per request; a failing endpoint is asked this many times.
const ATTEMPTS: u32 = 3;
/// The docs run most tests find.
const RUN: u64 = 9001;

/// What `dbt docs generate` leaves as the last step's `run_results.json`: no test outcomes.
const DOCS_GENERATE_RESULTS: &str = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
  "dbt_version": "1.11.0", "generated_at": "2024-05-02T06:10:00Z", "invocation_id": "d0c5"},
  "results": [], "elapsed_time": 2.5, "args": {"which": "generate"}}"#;

fn config(mock: &Mock) -> CloudConfig {
    CloudConfig {
        http: mockhttp::fast_http(ATTEMPTS),
        ..CloudConfig::new(
            format!("{}/", mock.url),
            ACCOUNT,
            PROJECT,
            Secret::new(TOKEN),
        )
    }
}

/// Retrieve Run of the docs run, with the steps of a typical docs job.
fn retrieved(id: u64) -> Reply {
    let run = run(id, 13, "2024-05-02 06:10:31+00:00", true, false);
    dbt_cloud::retrieved(run, docs_job_steps(id))
}

/// An artifact body as dbt Core 1.11 wrote it for the example project.
fn artifact(name: &str) -> Reply {
    let path = repo_root()
        .join("crates/dbt/tests/fixtures/dbt-1.11")
        .join(name);
    let body = std::fs::read_to_string(&path).unwrap();
    Reply::raw(200, body).header("content-type", "application/json")
}

/// Manifest, catalog, the run's steps and the build step's results.
fn docs_artifacts() -> Vec<Reply> {
    vec![
        artifact("manifest.json"),
        artifact("catalog.json"),
        retrieved(RUN),
        artifact("run_results.json"),
    ]
}

fn account_path(rest: &str) -> String {
    format!("/api/v2/accounts/{ACCOUNT}/{rest}")
}

fn runs_path() -> String {
    account_path("runs/")
}

fn artifact_path(run: u64, name: &str) -> String {
    account_path(&format!("runs/{run}/artifacts/{name}"))
}

/// The job ids whose runs were looked up, in order.
fn run_lookups(mock: &Mock) -> Vec<u64> {
    mock.seen()
        .iter()
        .filter(|s| s.path == runs_path())
        .map(|s| s.param("job_definition_id").unwrap().parse().unwrap())
        .collect()
}

fn artifact_calls(mock: &Mock) -> Vec<Seen> {
    mock.seen()
        .into_iter()
        .filter(|s| s.path.contains("/artifacts/"))
        .collect()
}

async fn fetch(replies: Vec<Reply>, dir: &Path) -> (Mock, Result<CloudFetch, CloudError>) {
    fetch_with(replies, dir, None, |config| config).await
}

async fn fetch_with(
    replies: Vec<Reply>,
    dir: &Path,
    previous: Option<RunIds>,
    adjust: impl FnOnce(CloudConfig) -> CloudConfig,
) -> (Mock, Result<CloudFetch, CloudError>) {
    let mock = dbt_cloud::mock(replies).await;
    let client = CloudClient::new(adjust(config(&mock))).unwrap();
    let result = client.fetch(dir, previous).await;
    (mock, result)
}

/// A fetch that must fail; the token is in no form of its error.
async fn fail(replies: Vec<Reply>) -> (Mock, CloudError) {
    let dir = tempfile::tempdir().unwrap();
    let (mock, result) = fetch(replies, dir.path()).await;
    let error = result.expect_err("the fetch should fail");
    let (text, debug) = (error.to_string(), format!("{error:?}"));
    assert!(
        !text.contains(TOKEN) && !debug.contains(TOKEN),
        "{text} / {debug}"
    );
    (mock, error)
}

/// A folder as an earlier fetch left it.
fn earlier_fetch(dir: &Path) {
    for name in ["manifest.json", "run_results.step4.json"] {
        std::fs::write(dir.join(name), "{}").unwrap();
    }
}

#[tokio::test]
async fn the_docs_run_is_downloaded_with_the_build_steps_results() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("dbt");
    let mut replies = vec![
        project(None, None),
        jobs(vec![
            job(12, "Nightly", false, false),
            job(13, "Docs", true, false),
        ]),
        runs(Some(run(
            RUN,
            13,
            "2024-05-02 06:10:31.447178+00:00",
            true,
            false,
        ))),
    ];
    replies.extend(docs_artifacts());
    let (mock, result) = fetch(replies, &target).await;
    let fetched = result.unwrap();

    let base = &mock.url;
    assert_eq!(
        (fetched.run_id, fetched.job_id, fetched.job_name.as_str()),
        (RUN, 13, "Docs")
    );
    assert_eq!(fetched.project_name.as_deref(), Some("Jaffle Analytics"));
    assert_eq!(
        fetched.finished_at.as_deref(),
        Some("2024-05-02 06:10:31.447178+00:00")
    );
    assert!(!fetched.unchanged);
    assert!(fetched.warnings.is_empty(), "{:?}", fetched.warnings);
    assert_eq!(
        fetched.docs_url,
        format!("{base}/accounts/{ACCOUNT}/jobs/13/docs/")
    );
    assert_eq!(
        fetched.explorer_url,
        format!("{base}/explore/{ACCOUNT}/projects/{PROJECT}/environments/production/details/")
    );

    assert_eq!(
        mock.calls(),
        [
            format!("GET {}", account_path(&format!("projects/{PROJECT}/"))),
            format!("GET {}", account_path("jobs/")),
            format!("GET {}", runs_path()),
            format!("GET {}", artifact_path(RUN, "manifest.json")),
            format!("GET {}", artifact_path(RUN, "catalog.json")),
            format!("GET {}", account_path(&format!("runs/{RUN}/"))),
            format!("GET {}", artifact_path(RUN, "run_results.json")),
        ]
    );
    let seen = mock.seen();
    let expected = format!("Token {TOKEN}");
    for request in &seen {
        assert_eq!(request.header("authorization"), Some(expected.as_str()));
    }
    let lookup = &seen[2];
    for (name, value) in [
        ("job_definition_id", "13"),
        ("status", "10"),
        ("order_by", "-finished_at"),
        ("limit", "1"),
    ] {
        assert_eq!(lookup.param(name).as_deref(), Some(value), "{name}");
    }
    // List Runs documents no run_steps; Retrieve Run does, and is asked for them.
    assert_eq!(lookup.param("include_related"), None);
    assert_eq!(
        seen[5].param("include_related").as_deref(),
        Some(r#"["run_steps"]"#)
    );
    assert_eq!(seen[3].param("step"), None, "artifacts of the whole run");
    assert_eq!(
        seen[6].param("step").as_deref(),
        Some("4"),
        "the `dbt build` step, not the last (`dbt docs generate`)"
    );

    let paths = &fetched.paths;
    assert_eq!(paths.manifest, target.join("manifest.json"));
    assert_eq!(paths.catalog, Some(target.join("catalog.json")));
    assert_eq!(paths.run_results, [target.join("run_results.step4.json")]);
    assert_eq!(paths.sources, None, "no freshness job, no sources: fine");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&paths.run_results[0]).unwrap()).unwrap();
    assert_eq!(saved["args"]["which"], "build");

    let project = dbt::load(paths, WarehouseKind::Postgres).unwrap();
    assert!(project.warnings.is_empty(), "{:?}", project.warnings);
    assert_eq!(project.tests.len(), 56);
    assert!(project
        .runs
        .iter()
        .any(|r| r.status == RunStatus::Fail && r.command == "build"));
}

#[tokio::test]
async fn without_steps_the_last_steps_results_are_kept_only_when_they_build() {
    // A Retrieve Run answer without the steps asked for: only the last step's file is left.
    let steps_unknown = |id: u64| run(id, 13, "2024-05-02 06:10:31+00:00", true, false);
    let exchange = |run: Value, last_results: Reply| {
        vec![
            project(None, None),
            jobs(vec![job(13, "Docs", true, false)]),
            runs(Some(run.clone())),
            artifact("manifest.json"),
            artifact("catalog.json"),
            ok(run),
            last_results,
        ]
    };

    let dir = tempfile::tempdir().unwrap();
    let docs_last =
        Reply::raw(200, DOCS_GENERATE_RESULTS).header("content-type", "application/json");
    let (mock, result) = fetch(exchange(steps_unknown(RUN), docs_last), dir.path()).await;
    let fetched = result.unwrap();
    assert_eq!(
        artifact_calls(&mock)[2].param("step"),
        None,
        "the default, last step"
    );
    assert!(fetched.paths.run_results.is_empty());
    assert!(!dir.path().join("run_results.json").exists(), "dropped");
    assert_eq!(fetched.warnings.len(), 1, "{:?}", fetched.warnings);
    assert!(
        fetched.warnings[0].contains("`generate`, which neither builds nor tests"),
        "{}",
        fetched.warnings[0]
    );

    let (_, result) = fetch(
        exchange(steps_unknown(RUN + 1), artifact("run_results.json")),
        dir.path(),
    )
    .await;
    let fetched = result.unwrap();
    assert_eq!(
        fetched.paths.run_results,
        [dir.path().join("run_results.json")]
    );
    assert!(fetched.warnings.is_empty(), "{:?}", fetched.warnings);
}

#[tokio::test]
async fn jobs_are_read_page_by_page() {
    let mut first: Vec<Value> = (1..=100)
        .map(|id| job(id, &format!("Job {id}"), false, false))
        .collect();
    first[0]["state"] = json!(2);
    let mut replies = vec![
        project(None, None),
        page(first, 101),
        page(vec![job(101, "Docs", true, false)], 101),
        runs(Some(run(
            RUN,
            101,
            "2024-05-02 06:10:31+00:00",
            true,
            false,
        ))),
    ];
    replies.extend(docs_artifacts());
    let dir = tempfile::tempdir().unwrap();
    let (mock, result) = fetch(replies, dir.path()).await;
    assert_eq!(result.unwrap().job_id, 101);
    let pages: Vec<Seen> = mock
        .seen()
        .into_iter()
        .filter(|s| s.path == account_path("jobs/"))
        .collect();
    let offsets: Vec<_> = pages.iter().map(|s| s.param("offset").unwrap()).collect();
    assert_eq!(offsets, ["0", "100"]);
    for request in &pages {
        assert_eq!(request.param("limit").as_deref(), Some("100"));
        assert_eq!(request.param("project_id"), Some(PROJECT.to_string()));
    }
    assert_eq!(
        run_lookups(&mock),
        [101],
        "only the job that generates docs"
    );
}

#[tokio::test]
async fn a_pinned_job_is_the_only_one_asked() {
    let dir = tempfile::tempdir().unwrap();
    earlier_fetch(dir.path());
    let replies = vec![
        project(Some(13), None),
        jobs(vec![
            job(13, "Docs", true, false),
            job(14, "Hourly", false, false),
        ]),
        runs(Some(run(RUN, 14, "2024-05-02 06:10:31+00:00", true, false))),
    ];
    let pin = |config: CloudConfig| CloudConfig {
        job_id: Some(14),
        ..config
    };
    let previous = RunIds {
        docs: RUN,
        sources: None,
    };
    let (mock, result) = fetch_with(replies, dir.path(), Some(previous), pin).await;
    let fetched = result.unwrap();
    assert_eq!((fetched.job_id, fetched.job_name.as_str()), (14, "Hourly"));
    assert_eq!(run_lookups(&mock), [14]);
    assert!(fetched.docs_url.ends_with("/jobs/14/docs/"));
}

#[tokio::test]
async fn the_projects_docs_job_comes_before_other_docs_jobs() {
    let dir = tempfile::tempdir().unwrap();
    earlier_fetch(dir.path());
    let replies = vec![
        project(Some(14), None),
        jobs(vec![
            job(13, "Docs", true, false),
            job(14, "Docs (prod)", true, false),
        ]),
        runs(Some(run(RUN, 14, "2024-05-01 06:10:31+00:00", true, false))),
    ];
    let previous = RunIds {
        docs: RUN,
        sources: None,
    };
    let (mock, result) = fetch_with(replies, dir.path(), Some(previous), |c| c).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.job_id, 14);
    assert_eq!(run_lookups(&mock), [14], "job 13 is not asked");
    assert!(fetched.warnings.is_empty(), "{:?}", fetched.warnings);
}

#[tokio::test]
async fn without_a_run_of_the_projects_docs_job_the_newest_other_docs_run_wins() {
    let dir = tempfile::tempdir().unwrap();
    earlier_fetch(dir.path());
    let replies = vec![
        project(Some(14), None),
        jobs(vec![
            job(13, "Docs", true, false),
            job(14, "Docs (prod)", true, false),
            job(15, "Docs (staging)", true, false),
        ]),
        runs(None),
        runs(Some(run(RUN, 13, "2024-05-02 06:10:31+00:00", true, false))),
        runs(Some(run(
            RUN - 1,
            15,
            "2024-05-01 06:10:31+00:00",
            true,
            false,
        ))),
    ];
    let previous = RunIds {
        docs: RUN,
        sources: None,
    };
    let (mock, result) = fetch_with(replies, dir.path(), Some(previous), |c| c).await;
    let fetched = result.unwrap();
    assert_eq!((fetched.job_id, fetched.run_id), (13, RUN));
    assert_eq!(run_lookups(&mock), [14, 13, 15]);
    assert_eq!(fetched.warnings.len(), 1);
    assert!(
        fetched.warnings[0].contains(r#"job 14 "Docs (prod)": no successful run with docs"#),
        "{}",
        fetched.warnings[0]
    );
}

#[tokio::test]
async fn sources_come_from_the_freshness_job() {
    let mut replies = vec![
        project(None, Some(20)),
        jobs(vec![
            job(13, "Docs", true, false),
            job(20, "Freshness", false, true),
        ]),
        runs(Some(run(RUN, 13, "2024-05-02 06:10:31+00:00", true, false))),
        runs(Some(run(
            8000,
            20,
            "2024-05-02 07:00:05+00:00",
            false,
            true,
        ))),
    ];
    replies.extend(docs_artifacts());
    replies.push(artifact("sources.json"));
    let dir = tempfile::tempdir().unwrap();
    let (mock, result) = fetch(replies, dir.path()).await;
    let fetched = result.unwrap();
    assert_eq!(run_lookups(&mock), [13, 20]);
    assert_eq!(
        artifact_calls(&mock).last().unwrap().path,
        artifact_path(8000, "sources.json")
    );
    assert_eq!(fetched.paths.sources, Some(dir.path().join("sources.json")));
    let project = dbt::load(&fetched.paths, WarehouseKind::Postgres).unwrap();
    assert_eq!(project.freshness.len(), 4);
}

#[tokio::test]
async fn a_newer_freshness_run_alone_downloads_again() {
    let dir = tempfile::tempdir().unwrap();
    earlier_fetch(dir.path());
    let lookups = || {
        vec![
            project(None, Some(20)),
            jobs(vec![
                job(13, "Docs", true, false),
                job(20, "Freshness", false, true),
            ]),
            runs(Some(run(RUN, 13, "2024-05-02 06:10:31+00:00", true, false))),
            runs(Some(run(
                8001,
                20,
                "2024-05-02 08:00:05+00:00",
                false,
                true,
            ))),
        ]
    };
    let same = RunIds {
        docs: RUN,
        sources: Some(8001),
    };
    let (mock, result) = fetch_with(lookups(), dir.path(), Some(same), |c| c).await;
    assert!(result.unwrap().unchanged);
    assert!(artifact_calls(&mock).is_empty());

    let older = RunIds {
        docs: RUN,
        sources: Some(8000),
    };
    let mut replies = lookups();
    replies.extend(docs_artifacts());
    replies.push(artifact("sources.json"));
    let (mock, result) = fetch_with(replies, dir.path(), Some(older), |c| c).await;
    let fetched = result.unwrap();
    assert!(!fetched.unchanged);
    assert_eq!(fetched.ids(), same);
    assert_eq!(
        artifact_calls(&mock).last().unwrap().path,
        artifact_path(8001, "sources.json")
    );
}

#[tokio::test]
async fn a_missing_catalog_is_a_warning_and_the_docs_run_may_hold_the_sources() {
    let dir = tempfile::tempdir().unwrap();
    // Left by an earlier fetch: it must not pass for this run's catalog.
    std::fs::write(dir.path().join("catalog.json"), "{}").unwrap();
    let replies = vec![
        project(None, None),
        jobs(vec![job(13, "Docs", true, false)]),
        runs(Some(run(RUN, 13, "2024-05-02 06:10:31+00:00", true, true))),
        artifact("manifest.json"),
        failure(404, "The requested resource was not found."),
        retrieved(RUN),
        artifact("run_results.json"),
        artifact("sources.json"),
    ];
    let (mock, result) = fetch(replies, dir.path()).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.paths.catalog, None);
    assert!(!dir.path().join("catalog.json").exists());
    assert_eq!(fetched.warnings.len(), 1, "{:?}", fetched.warnings);
    assert!(
        fetched.warnings[0].contains(&format!("run {RUN} has no catalog.json (HTTP 404)")),
        "{}",
        fetched.warnings[0]
    );
    assert_eq!(
        artifact_calls(&mock).last().unwrap().path,
        artifact_path(RUN, "sources.json")
    );
    assert!(fetched.paths.sources.is_some());
    dbt::load(&fetched.paths, WarehouseKind::Postgres).unwrap();
}

#[tokio::test]
async fn the_previous_run_again_downloads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    earlier_fetch(dir.path());
    let replies = vec![
        project(None, None),
        jobs(vec![job(13, "Docs", true, false)]),
        runs(Some(run(RUN, 13, "2024-05-02 06:10:31+00:00", true, false))),
    ];
    let previous = RunIds {
        docs: RUN,
        sources: None,
    };
    let (mock, result) = fetch_with(replies, dir.path(), Some(previous), |c| c).await;
    let fetched = result.unwrap();
    assert!(fetched.unchanged);
    assert_eq!(fetched.run_id, RUN);
    assert!(artifact_calls(&mock).is_empty(), "{:?}", mock.calls());
    assert_eq!(fetched.paths.manifest, dir.path().join("manifest.json"));
    assert_eq!(
        fetched.paths.run_results,
        [dir.path().join("run_results.step4.json")]
    );
}

#[tokio::test]
async fn a_project_without_jobs_says_so() {
    let (mock, error) = fail(vec![project(None, None), jobs(vec![])]).await;
    assert!(
        matches!(&error, CloudError::NoJobs { skipped, .. } if skipped.is_empty()),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.starts_with("No jobs found for this project"), "{text}");
    assert!(
        text.contains(&format!(
            "project {PROJECT} of account {ACCOUNT} has no jobs"
        )),
        "{text}"
    );
    assert!(text.contains("Generate docs on run"), "{text}");
    assert!(run_lookups(&mock).is_empty());
}

#[tokio::test]
async fn jobs_without_docs_are_listed_with_the_reason() {
    let (_, error) = fail(vec![
        project(None, None),
        jobs(vec![
            job(12, "Nightly", false, false),
            job(13, "Docs", true, false),
            job(14, "Docs (old)", true, false),
        ]),
        runs(None),
        runs(Some(run(
            RUN,
            14,
            "2024-05-02 06:10:31+00:00",
            false,
            false,
        ))),
    ])
    .await;
    let CloudError::NoJobs { skipped, .. } = &error else {
        panic!("{error:?}");
    };
    let reasons: Vec<_> = skipped.iter().map(|s| (s.id, s.reason.clone())).collect();
    assert_eq!(
        reasons,
        [
            (12, SkipReason::NoDocs),
            (13, SkipReason::NoSuccessfulRun),
            (14, SkipReason::RunWithoutDocs { run_id: RUN })
        ]
    );
    let text = error.to_string();
    assert!(text.starts_with("No jobs found for this project"), "{text}");
    assert!(
        text.contains(r#"job 12 "Nightly": does not generate docs; job 13 "Docs": no successful run with docs"#),
        "{text}"
    );
    assert!(text.contains("Generate docs on run"), "{text}");
}

#[tokio::test]
async fn unauthorized_names_the_permissions() {
    let (mock, error) = fail(vec![failure(401, "Invalid token.")]).await;
    assert!(
        matches!(error, CloudError::Unauthorized { .. }),
        "{error:?}"
    );
    let call = mock.call(&format!(
        "GET {}",
        account_path(&format!("projects/{PROJECT}/"))
    ));
    assert_eq!(
        error.to_string(),
        format!("401 Unauthorized: the service token is invalid or lacks the Metadata Only and Job Admin permissions ({call}: Invalid token.)")
    );
    assert_eq!(mock.seen().len(), 1, "401 is not retried");
}

#[tokio::test]
async fn forbidden_says_which_account_the_token_must_belong_to() {
    let (_, error) = fail(vec![failure(
        403,
        "Access denied: Token is not scoped to account.",
    )])
    .await;
    assert!(matches!(error, CloudError::Forbidden { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with("403 Forbidden: Access denied: Token is not scoped to account."),
        "{text}"
    );
    assert!(
        text.contains(&format!("service token of account {ACCOUNT}")),
        "{text}"
    );
}

#[tokio::test]
async fn an_unknown_project_names_the_ids_to_check() {
    let (mock, error) = fail(vec![failure(404, "The requested resource was not found.")]).await;
    assert!(matches!(error, CloudError::NotFound { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains(&format!("no project {PROJECT} in account {ACCOUNT}")),
        "{text}"
    );
    assert!(text.contains("Check account_id and project_id"), "{text}");
    assert!(
        text.contains("The requested resource was not found."),
        "{text}"
    );
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn server_errors_come_back_verbatim_after_retries() {
    let replies = (0..ATTEMPTS)
        .map(|_| {
            Reply::raw(
                500,
                "upstream connect error or disconnect/reset before headers",
            )
            .off_spec("a proxy's answer")
        })
        .collect();
    let (mock, error) = fail(replies).await;
    assert!(
        matches!(error, CloudError::Http { status: 500, .. }),
        "{error:?}"
    );
    let call = mock.call(&format!(
        "GET {}",
        account_path(&format!("projects/{PROJECT}/"))
    ));
    assert_eq!(
        error.to_string(),
        format!("{call}: HTTP 500: upstream connect error or disconnect/reset before headers; check https://status.getdbt.com")
    );
    assert_eq!(mock.seen().len(), ATTEMPTS as usize);
}

#[tokio::test]
async fn an_envelope_error_gives_the_apis_words() {
    let replies = vec![
        project(None, None),
        failure(400, "Invalid filter: project_id"),
    ];
    let (_, error) = fail(replies).await;
    let text = error.to_string();
    assert!(
        text.contains("HTTP 400: Invalid filter: project_id; check https://status.getdbt.com"),
        "{text}"
    );
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    earlier_fetch(dir.path());
    let replies = vec![
        failure(429, "Too many requests").header("retry-after", "1"),
        project(None, None),
        jobs(vec![job(13, "Docs", true, false)]),
        runs(Some(run(RUN, 13, "2024-05-02 06:10:31+00:00", true, false))),
    ];
    let started = Instant::now();
    let previous = RunIds {
        docs: RUN,
        sources: None,
    };
    let (mock, result) = fetch_with(replies, dir.path(), Some(previous), |c| c).await;
    assert!(result.unwrap().unchanged);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let calls = mock.calls();
    assert_eq!(calls[0], calls[1], "the same call is repeated");
}

#[tokio::test]
async fn a_hanging_api_times_out() {
    let hang = || Reply::hang().off_spec("never answers");
    let (mock, error) = fail((0..ATTEMPTS).map(|_| hang()).collect()).await;
    assert!(matches!(error, CloudError::Timeout { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("check https://status.getdbt.com"),
        "{error}"
    );
    assert_eq!(mock.seen().len(), ATTEMPTS as usize);
}

/// The exchange up to the first download.
fn up_to_downloads() -> Vec<Reply> {
    vec![
        project(None, None),
        jobs(vec![job(13, "Docs", true, false)]),
        runs(Some(run(RUN, 13, "2024-05-02 06:10:31+00:00", true, false))),
    ]
}

fn truncated_manifest() -> Reply {
    Reply::raw(200, r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {"model.a"#)
        .header("content-type", "application/json")
        .off_spec("truncated on purpose")
}

#[tokio::test]
async fn a_truncated_manifest_is_fetched_again() {
    let mut replies = up_to_downloads();
    replies.push(truncated_manifest());
    replies.extend(docs_artifacts());
    let dir = tempfile::tempdir().unwrap();
    let (mock, result) = fetch(replies, dir.path()).await;
    let fetched = result.unwrap();
    let manifest = artifact_path(RUN, "manifest.json");
    assert_eq!(
        artifact_calls(&mock)
            .iter()
            .filter(|s| s.path == manifest)
            .count(),
        2
    );
    dbt::load(&fetched.paths, WarehouseKind::Postgres).unwrap();
}

#[tokio::test]
async fn a_manifest_truncated_every_time_is_reported() {
    let mut replies = up_to_downloads();
    replies.extend((0..ATTEMPTS).map(|_| truncated_manifest()));
    let (mock, error) = fail(replies).await;
    assert!(matches!(error, CloudError::Malformed { .. }), "{error:?}");
    let call = mock.call(&format!("GET {}", artifact_path(RUN, "manifest.json")));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("{call}: unexpected answer: truncated JSON")),
        "{text}"
    );
    assert_eq!(artifact_calls(&mock).len(), ATTEMPTS as usize);
}

#[tokio::test]
async fn an_id_that_is_not_a_number_never_reaches_a_url() {
    let replies = vec![
        project(None, None),
        jobs(vec![
            json!({"id": "13/../../../admin", "name": "Docs", "generate_docs": true}),
        ])
        .off_spec("an id that is not a number"),
    ];
    let (mock, error) = fail(replies).await;
    assert!(matches!(error, CloudError::Malformed { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("JSON not in the documented shape"),
        "{error}"
    );
    assert_eq!(mock.seen().len(), 2, "no call with the odd id");
}

#[tokio::test]
async fn config_errors_are_found_before_anything_is_sent() {
    let config = CloudConfig::new("cloud.getdbt.com", ACCOUNT, PROJECT, Secret::new(TOKEN));
    let error = CloudClient::new(config.clone()).unwrap_err();
    assert!(
        matches!(
            error,
            CloudError::Config {
                field: "access_url",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("https://cloud.getdbt.com"),
        "{error}"
    );
    for text in [format!("{config:?}"), format!("{error:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    let good = CloudConfig {
        access_url: "https://ab123.us1.dbt.com/".into(),
        ..config
    };
    let client = CloudClient::new(good).unwrap();
    assert!(!format!("{client:?}").contains(TOKEN));
    assert_eq!(
        client.docs_url(13),
        format!("https://ab123.us1.dbt.com/accounts/{ACCOUNT}/jobs/13/docs/")
    );
}

#[tokio::test]
async fn an_artifact_past_the_download_limit_is_refused_and_not_kept() {
    let mut replies = up_to_downloads();
    replies.extend(docs_artifacts());
    let dir = tempfile::tempdir().unwrap();
    let (mock, result) = fetch_with(replies, dir.path(), None, |mut config| {
        config.http.max_download_bytes = 4096;
        config
    })
    .await;
    let error = result.expect_err("the manifest is far larger than 4 KB");
    let call = mock.call(&format!("GET {}", artifact_path(RUN, "manifest.json")));
    assert_eq!(
        error.to_string(),
        format!("{call}: unexpected answer: the download is larger than 4096 bytes, the most downstream takes from one call; check that the URL is the API's and not a proxy or file server")
    );
    assert!(
        !dir.path().join("manifest.json").exists(),
        "no partial manifest is left behind"
    );
    assert_eq!(
        artifact_calls(&mock).len(),
        1,
        "a refused body is not asked again"
    );
}

#[tokio::test]
async fn an_api_answer_past_the_limit_is_refused_before_it_is_read_whole() {
    let (mock, result) = fetch_with(
        vec![project(None, None)],
        tempfile::tempdir().unwrap().path(),
        None,
        |mut config| {
            config.http.max_answer_bytes = 64;
            config
        },
    )
    .await;
    let error = result.expect_err("the project answer is over 64 bytes");
    assert!(
        error
            .to_string()
            .contains("the answer is larger than 64 bytes"),
        "{error}"
    );
    assert_eq!(mock.seen().len(), 1);
}
