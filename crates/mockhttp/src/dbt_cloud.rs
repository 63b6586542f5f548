//! dbt Cloud's Administrative API v2 answers as dbt Labs' OpenAPI document defines them
//! (`specs/dbt-cloud-v2.json`, from dbt-labs/dbt-cloud-openapi-spec `openapi-v2.yaml`), for
//! every test suite that stands in for dbt Cloud. A mock made with [`mock`] checks each
//! answer against that document when its test ends.
//!
//! The document lists only 200 answers: errors are sent in the envelope with
//! `is_success: false`, as the API answers, and marked off the document.

use crate::openapi::Spec;
use crate::{Mock, Reply};
use serde_json::{json, Value};
use std::sync::Arc;

/// The account and project every fixture belongs to.
pub const ACCOUNT: u64 = 70;
/// The project.
pub const PROJECT: u64 = 301;

/// dbt Cloud's document, read once.
pub fn spec() -> Arc<Spec> {
    crate::openapi::bundled("dbt-cloud-v2.json")
}

/// A mock answering `replies` in order, checked against dbt Cloud's document; artifact
/// downloads are files, not API answers, and are not checked.
pub async fn mock(replies: Vec<Reply>) -> Mock {
    Mock::vendor(spec(), Vec::new(), replies).await
}

fn status(code: u16, is_success: bool, message: &str) -> Value {
    json!({"code": code, "is_success": is_success, "user_message": message, "developer_message": ""})
}

/// A successful answer in the envelope: `{status, data}` (the `…Enveloped` schemas).
pub fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        json!({"status": status(200, true, "Success!"), "data": data}),
    )
}

/// One page of a list, with the envelope's `extra` (`filters`, `order_by`, `pagination`).
pub fn page(data: Vec<Value>, total: usize) -> Reply {
    Reply::json(
        200,
        json!({"status": status(200, true, "Success!"),
               "data": data,
               "extra": {"filters": {"project_id": PROJECT}, "order_by": "id",
                         "pagination": {"count": data.len(), "total_count": total}}}),
    )
}

/// A failure in the envelope, as the API answers it.
pub fn failure(status_code: u16, message: &str) -> Reply {
    Reply::json(
        status_code,
        json!({"status": status(status_code, false, message), "data": null}),
    )
    .off_spec("dbt's document lists no error answers")
}

/// `JobDefinition`, as the project embeds its docs and freshness jobs.
fn embedded_job(id: u64, name: &str) -> Value {
    json!({"id": id, "account_id": ACCOUNT, "project_id": PROJECT, "environment_id": 5,
           "name": name, "execution": {"timeout_seconds": 0}, "generate_docs": true,
           "run_generate_sources": false, "settings": {"threads": 4, "target_name": "prod"},
           "state": 1})
}

/// Retrieve Project (`ProjectResponse`). The document makes `docs_job` and `freshness_job`
/// required objects; a project without such a job has them null, outside the document.
pub fn project(docs_job_id: Option<u64>, freshness_job_id: Option<u64>) -> Reply {
    let data = json!({
        "id": PROJECT, "account_id": ACCOUNT, "name": "Jaffle Analytics", "state": 1,
        "docs_job_id": docs_job_id, "freshness_job_id": freshness_job_id,
        "docs_job": docs_job_id.map(|id| embedded_job(id, "Docs")),
        "freshness_job": freshness_job_id.map(|id| embedded_job(id, "Freshness")),
        "connection": {"account_id": ACCOUNT, "project_id": PROJECT, "name": "Postgres",
                       "type": "postgres", "state": 1},
        "repository": {"account_id": ACCOUNT, "state": 1},
        "environments": [], "group_permissions": [], "fusion_readiness": null,
        "default_version": "latest",
        "created_at": "2024-01-02T03:04:05.000000+00:00",
        "updated_at": "2024-05-01T03:04:05.000000+00:00",
    });
    let reply = ok(data);
    match (docs_job_id, freshness_job_id) {
        (Some(_), Some(_)) => reply,
        _ => reply.off_spec("a project without a docs or freshness job has null for it"),
    }
}

/// One job of List Jobs (`HumanReadableJobDefinitionResponse`, every required field).
pub fn job(id: u64, name: &str, generate_docs: bool, run_generate_sources: bool) -> Value {
    json!({"id": id, "account_id": ACCOUNT, "project_id": PROJECT, "environment_id": 5,
           "name": name, "generate_docs": generate_docs, "run_generate_sources": run_generate_sources,
           "job_type": "scheduled", "state": 1, "execute_steps": ["dbt build"],
           "execution": {"timeout_seconds": 0}, "settings": {"threads": 4, "target_name": "prod"},
           "triggers": {"github_webhook": false, "schedule": true},
           "lifecycle_webhooks": false, "lifecycle_webhooks_url": "", "run_compare_changes": false,
           "run_lint": false, "errors_on_lint_failure": true, "is_deferrable": false,
           "raw_dbt_version": "1.11.0", "run_failure_count": 0, "fusion_readiness": null,
           "job_completion_trigger_condition": null,
           "account": {"name": "Acme", "state": 1},
           "project": {"account_id": ACCOUNT, "name": "Jaffle Analytics", "state": 1, "type": 0},
           "environment": {"account_id": ACCOUNT, "project_id": PROJECT, "name": "Production",
                           "state": 1, "supports_docs": true, "type": "deployment",
                           "use_custom_branch": false},
           "created_at": "2024-01-02T03:04:05.000000+00:00",
           "updated_at": "2024-05-01T03:04:05.000000+00:00"})
}

/// List Jobs, all on one page.
pub fn jobs(jobs: Vec<Value>) -> Reply {
    let total = jobs.len();
    page(jobs, total)
}

/// Steps (`RunStep`) of `run`, `(index, name)` each, all successful.
pub fn steps(run: u64, steps: &[(u64, &str)]) -> Value {
    let steps: Vec<Value> = steps
        .iter()
        .map(|(index, name)| {
            json!({"run_id": run, "account_id": ACCOUNT, "index": index, "name": name, "status": 10})
        })
        .collect();
    json!(steps)
}

/// The steps of a typical docs job: setup, `dbt build` (4), then `dbt docs generate` last.
pub fn docs_job_steps(run: u64) -> Value {
    steps(
        run,
        &[
            (1, "Clone git repository"),
            (2, "Create profile from connection Postgres"),
            (3, "Invoke dbt with `dbt deps`"),
            (4, "Invoke dbt with `dbt build`"),
            (5, "Invoke dbt with `dbt docs generate`"),
        ],
    )
}

/// A run as List Runs answers it (`RunResponse`): its steps come only from Retrieve Run.
pub fn run(id: u64, job: u64, finished_at: &str, docs: bool, sources: bool) -> Value {
    json!({"id": id, "account_id": ACCOUNT, "project_id": PROJECT, "job_definition_id": job,
           "status": 10, "status_humanized": "Success", "finished_at": finished_at,
           "has_docs_generated": docs, "has_sources_generated": sources,
           "created_at": "2024-05-02 06:00:00.000000+00:00",
           "updated_at": finished_at,
           "href": format!("https://cloud.getdbt.com/deploy/{ACCOUNT}/projects/{PROJECT}/runs/{id}/")})
}

/// List Runs: the newest successful run, or none.
pub fn runs(run: Option<Value>) -> Reply {
    let runs: Vec<Value> = run.into_iter().collect();
    page(runs.clone(), runs.len())
}

/// Retrieve Run with `include_related=["run_steps"]`: `run` with `steps`.
pub fn retrieved(mut run: Value, steps: Value) -> Reply {
    run["run_steps"] = steps;
    ok(run)
}
