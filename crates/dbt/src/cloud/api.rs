//! The Admin API v2 calls the client makes and the shapes of their answers.
//!
//! Every answer is the envelope `{"status": {...}, "data": ..., "extra": {"pagination":
//! {"count", "total_count"}}}`. Ids from answers are read as JSON numbers: a `u64` cannot carry
//! `/`, `?` or `..` into the next URL, which is the check `rest::checked_id` makes for
//! string ids.

use super::error::Context;
use super::{CloudConfig, CloudError};
use crate::json::{lenient_string, string_list};
use model::Secret;
use rest::{HttpClient, Request};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The most `limit` allows.
const PAGE: usize = 100;
/// An API that ignores `offset` would page forever; no project has 10,000 jobs.
const MAX_PAGES: usize = 100;
/// `include_related=["run_steps"]`, encoded once so the call names errors carry match the URL.
/// Only Retrieve Run documents `run_steps` among its `include_related` values; List Runs
/// takes `trigger`, `job`, `audit` and `debug_logs` (dbt-cloud-openapi-spec, openapi-v2.yaml).
const WITH_STEPS: &str = "include_related=%5B%22run_steps%22%5D";
/// `state` of a deleted job (1 is active).
const JOB_DELETED: i64 = 2;

#[derive(Deserialize)]
struct Envelope<T> {
    data: Option<T>,
    #[serde(default)]
    extra: Option<Extra>,
}

#[derive(Deserialize)]
struct Extra {
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    total_count: Option<usize>,
}

/// `GET …/projects/{p}/`: what the project says about its jobs.
#[derive(Debug, Deserialize)]
pub(crate) struct Project {
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default)]
    pub docs_job_id: Option<u64>,
    #[serde(default)]
    pub freshness_job_id: Option<u64>,
}

/// One job of `GET …/jobs/`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Job {
    pub id: u64,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default)]
    generate_docs: Option<bool>,
    #[serde(default)]
    run_generate_sources: Option<bool>,
    #[serde(default)]
    state: Option<i64>,
    #[serde(default, deserialize_with = "string_list")]
    execute_steps: Vec<String>,
}

impl Job {
    pub fn is_deleted(&self) -> bool {
        self.state == Some(JOB_DELETED)
    }

    /// "Generate docs on run", or a step of its own that runs `dbt docs generate`.
    pub fn generates_docs(&self) -> bool {
        self.generate_docs == Some(true)
            || self
                .execute_steps
                .iter()
                .any(|s| s.contains("docs generate"))
    }

    /// "Run source freshness", or a step of its own that runs `dbt source freshness`.
    pub fn generates_sources(&self) -> bool {
        self.run_generate_sources == Some(true)
            || self
                .execute_steps
                .iter()
                .any(|s| s.contains("source freshness"))
    }
}

/// One run of `GET …/runs/`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Run {
    pub id: u64,
    #[serde(default, deserialize_with = "lenient_string")]
    pub finished_at: Option<String>,
    #[serde(default)]
    has_docs_generated: Option<bool>,
    #[serde(default)]
    has_sources_generated: Option<bool>,
    /// Present when Retrieve Run is asked with `include_related=["run_steps"]`.
    #[serde(default)]
    pub run_steps: Option<Vec<RunStep>>,
}

impl Run {
    pub fn has_docs(&self) -> bool {
        self.has_docs_generated == Some(true)
    }

    pub fn has_sources(&self) -> bool {
        self.has_sources_generated == Some(true)
    }
}

/// One step of a run: `index` (from 1) is what `?step=N` takes.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct RunStep {
    pub index: u64,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
}

/// The calls, signed with the token.
pub(crate) struct Api {
    http: HttpClient,
    token: Secret,
    base: String,
    account_id: u64,
    project_id: u64,
    attempts: u32,
    backoff: Duration,
}

impl Api {
    pub fn new(config: &CloudConfig, base: String) -> Self {
        Api {
            http: HttpClient::new(config.http.clone()),
            token: config.token.clone(),
            base,
            account_id: config.account_id,
            project_id: config.project_id,
            attempts: config.http.attempts.max(1),
            backoff: config.http.backoff,
        }
    }

    fn account_url(&self) -> String {
        format!("{}/api/v2/accounts/{}", self.base, self.account_id)
    }

    fn context(&self, is_project_call: bool) -> Context {
        Context {
            account_id: self.account_id,
            project_id: self.project_id,
            is_project_call,
        }
    }

    /// `GET url` and the envelope's `data`, with the total count when the answer is paged.
    async fn data<T: DeserializeOwned>(
        &self,
        url: &str,
        is_project_call: bool,
    ) -> Result<(T, Option<usize>), CloudError> {
        let request = Request::get(url).token(&self.token);
        let answer = self.http.send::<Envelope<T>>(&request).await;
        let envelope = answer
            .map_err(|e| CloudError::from_rest(e, self.context(is_project_call)))?
            .body;
        let total = envelope.extra.and_then(|e| e.pagination?.total_count);
        let data = envelope.data.ok_or_else(|| CloudError::Malformed {
            call: format!("GET {url}"),
            detail: "the envelope has no `data`".to_string(),
        })?;
        Ok((data, total))
    }

    pub async fn project(&self) -> Result<Project, CloudError> {
        let url = format!("{}/projects/{}/", self.account_url(), self.project_id);
        Ok(self.data(&url, true).await?.0)
    }

    /// Every job of the project, page by page.
    pub async fn jobs(&self) -> Result<Vec<Job>, CloudError> {
        let mut jobs = Vec::new();
        for _ in 0..MAX_PAGES {
            let url = format!(
                "{}/jobs/?project_id={}&limit={PAGE}&offset={}",
                self.account_url(),
                self.project_id,
                jobs.len()
            );
            let (page, total): (Vec<Job>, _) = self.data(&url, false).await?;
            let count = page.len();
            jobs.extend(page);
            // Without a total, a short page is the last one.
            let done = count == 0 || total.map_or(count < PAGE, |total| jobs.len() >= total);
            if done {
                return Ok(jobs);
            }
        }
        Err(CloudError::Malformed {
            call: format!(
                "GET {}/jobs/?project_id={}",
                self.account_url(),
                self.project_id
            ),
            detail: format!("still more jobs after {MAX_PAGES} pages: the paging does not end"),
        })
    }

    /// The newest successful run of `job` (List Runs), without its steps.
    pub async fn latest_success(&self, job: u64) -> Result<Option<Run>, CloudError> {
        let url = format!(
            "{}/runs/?job_definition_id={job}&status=10&order_by=-finished_at&limit=1",
            self.account_url()
        );
        let (runs, _): (Vec<Run>, _) = self.data(&url, false).await?;
        Ok(runs.into_iter().next())
    }

    /// Run `run` with its steps (Retrieve Run), to find the steps that built and tested.
    pub async fn run_with_steps(&self, run: u64) -> Result<Run, CloudError> {
        let url = format!("{}/runs/{run}/?{WITH_STEPS}", self.account_url());
        Ok(self.data(&url, false).await?.0)
    }

    /// The URL of artifact `name` of `run`; the last step's when `step` is `None`.
    pub fn artifact_url(&self, run: u64, name: &str, step: Option<u64>) -> String {
        let url = format!("{}/runs/{run}/artifacts/{name}", self.account_url());
        match step {
            Some(step) => format!("{url}?step={step}"),
            None => url,
        }
    }

    /// Streams artifact `url` into `path` and checks that it is whole JSON. A body cut short
    /// with a matching length (a proxy, a storage hiccup) passes HTTP unnoticed, so the check
    /// is ours, and so is its retry.
    pub async fn download(&self, url: &str, path: &Path) -> Result<(), CloudError> {
        let request = Request::get(url).token(&self.token);
        let mut attempt = 1;
        loop {
            self.http
                .download(&request, path)
                .await
                .map_err(|e| CloudError::from_rest(e, self.context(false)))?;
            let Err(detail) = whole_json(path).await else {
                return Ok(());
            };
            if attempt >= self.attempts {
                let _ = tokio::fs::remove_file(path).await;
                let call = format!("GET {url}");
                return Err(CloudError::Malformed { call, detail });
            }
            attempt += 1;
            tokio::time::sleep(self.backoff).await;
        }
    }
}

/// Reads the file through a JSON parser that keeps nothing: a manifest may exceed 100 MB.
async fn whole_json(path: &Path) -> Result<(), String> {
    let path = path.to_path_buf();
    let checked = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        serde_json::from_reader::<_, IgnoredAny>(std::io::BufReader::new(file))
            .map(|_| ())
            .map_err(|e| json_problem(&e, size))
    })
    .await;
    checked.unwrap_or_else(|e| Err(format!("the check of the download failed: {e}")))
}

fn json_problem(error: &serde_json::Error, size: u64) -> String {
    if error.is_eof() {
        format!(
            "truncated JSON: the body ({size} bytes) ends at line {} column {}",
            error.line(),
            error.column()
        )
    } else {
        format!("not JSON: {error}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_read_leniently() {
        let job: Job = serde_json::from_str(
            r#"{"id": 7, "name": null, "generate_docs": null, "state": 1,
                "execute_steps": ["dbt build", "dbt docs generate"], "environment_id": 3}"#,
        )
        .unwrap();
        assert!(job.generates_docs() && !job.generates_sources() && !job.is_deleted());
        let odd_id = serde_json::from_str::<Job>(r#"{"id": "7/../../x"}"#);
        assert!(odd_id.is_err(), "ids are numbers, never paths");
    }
}
