//! A dbt Cloud client: finds the run that holds a project's docs and downloads its artifacts
//! through the Admin API v2, ready for [`crate::load`].
//!
//! The docs run is the newest successful run with `has_docs_generated` of the pinned job, else
//! of the project's `docs_job_id`, else of any job that generates docs. Test outcomes come
//! from the steps that ran `dbt build`/`test`/`run`/`seed`/`snapshot`, never from a last
//! `dbt docs generate` step; source freshness from the project's freshness job when it has
//! one.
//!
//! ```no_run
//! use dbt::cloud::{CloudClient, CloudConfig};
//! use model::{Secret, WarehouseKind};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let token = Secret::from_env("DBT_CLOUD_TOKEN")?;
//! let client = CloudClient::new(CloudConfig::new("https://cloud.getdbt.com", 1, 2, token))?;
//! let fetched = client.fetch("cache/dbt".as_ref(), None).await?;
//! // The next fetch downloads again only when a newer docs or freshness run exists.
//! let again = client.fetch("cache/dbt".as_ref(), Some(fetched.ids())).await?;
//! assert!(again.unchanged || again.run_id != fetched.run_id || again.sources_run_id != fetched.sources_run_id);
//! let project = dbt::load(&fetched.paths, WarehouseKind::Snowflake)?;
//! println!("run {} of {:?}: {} nodes", fetched.run_id, fetched.job_name, project.nodes.len());
//! # Ok(())
//! # }
//! ```

mod api;
mod config;
mod download;
mod error;
mod select;

pub use config::CloudConfig;
pub use error::{CloudError, SkipReason, SkippedJob};

use crate::ArtifactPaths;
use api::{Api, Job, Project, Run};
use std::fmt;
use std::path::Path;

/// The runs a fetch took its artifacts from. Freshness jobs usually run more often than the
/// docs job, so a new sources run alone is reason to download again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunIds {
    /// The docs run: manifest, catalog and test results.
    pub docs: u64,
    /// The run `sources.json` came from, if any.
    pub sources: Option<u64>,
}

/// What [`CloudClient::fetch`] found and where it put it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudFetch {
    /// The docs run.
    pub run_id: u64,
    /// When it finished, as dbt Cloud wrote it.
    pub finished_at: Option<String>,
    /// The run whose `sources.json` was taken, if any.
    pub sources_run_id: Option<u64>,
    /// The runs are `previous`: nothing was downloaded and `paths` are what `dir` holds.
    pub unchanged: bool,
    /// The job the run belongs to.
    pub job_id: u64,
    /// That job's name.
    pub job_name: String,
    /// The project's name.
    pub project_name: Option<String>,
    /// The downloaded artifacts.
    pub paths: ArtifactPaths,
    /// What is missing or was passed over, for the user.
    pub warnings: Vec<String>,
    /// The job's hosted docs, `{access}/accounts/{a}/jobs/{job}/docs/`; append
    /// `#!/model/<unique_id>` (`#!/source/…` for sources) for one node.
    pub docs_url: String,
    /// The project in dbt Explorer,
    /// `{access}/explore/{a}/projects/{p}/environments/production/details/`; append a
    /// `unique_id` for one node.
    pub explorer_url: String,
}

/// The client for one project.
pub struct CloudClient {
    config: CloudConfig,
    base: String,
    api: Api,
}

impl fmt::Debug for CloudClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CloudClient {
    /// A client for `config`, checked first: a [`CloudError::Config`] says what is wrong.
    /// Nothing is sent before [`CloudClient::fetch`].
    pub fn new(config: CloudConfig) -> Result<Self, CloudError> {
        let base = config.checked_base()?;
        let api = Api::new(&config, base.clone());
        Ok(CloudClient { config, base, api })
    }

    /// Finds the docs and sources runs and, unless they are `previous` and `dir` still holds a
    /// manifest, downloads their artifacts into `dir` (made if missing). Files an earlier
    /// fetch left in `dir` are replaced or removed.
    pub async fn fetch(
        &self,
        dir: &Path,
        previous: Option<RunIds>,
    ) -> Result<CloudFetch, CloudError> {
        let (mut fetch, run) = self.find(&project_and_jobs(&self.api).await?).await?;
        if previous == Some(fetch.ids()) {
            if let Some(paths) = download::present(dir) {
                fetch.unchanged = true;
                fetch.paths = paths;
                return Ok(fetch);
            }
        }
        fetch.paths = download::artifacts(
            &self.api,
            dir,
            &run,
            fetch.sources_run_id,
            &mut fetch.warnings,
        )
        .await?;
        Ok(fetch)
    }

    /// Finds the runs [`CloudClient::fetch`] would download, downloading nothing: proves the
    /// token, the ids and that a usable docs run exists (`downstream check`).
    pub async fn locate(&self) -> Result<CloudFetch, CloudError> {
        let (fetch, _) = self.find(&project_and_jobs(&self.api).await?).await?;
        Ok(fetch)
    }

    async fn find(
        &self,
        (project, jobs): &(Project, Vec<Job>),
    ) -> Result<(CloudFetch, Run), CloudError> {
        let mut warnings = Vec::new();
        let (job, run) = self.docs_run(project, jobs, &mut warnings).await?;
        let sources_run = self.sources_run(project, jobs, job, &run).await?;
        let mut fetch = self.describe(project, job, &run, warnings);
        fetch.sources_run_id = sources_run;
        Ok((fetch, run))
    }

    /// `{access}/accounts/{a}/jobs/{job}/docs/`.
    pub fn docs_url(&self, job_id: u64) -> String {
        format!(
            "{}/accounts/{}/jobs/{job_id}/docs/",
            self.base, self.config.account_id
        )
    }

    /// `{access}/explore/{a}/projects/{p}/environments/production/details/`.
    pub fn explorer_url(&self) -> String {
        format!(
            "{}/explore/{}/projects/{}/environments/production/details/",
            self.base, self.config.account_id, self.config.project_id
        )
    }

    fn describe(
        &self,
        project: &Project,
        job: &Job,
        run: &Run,
        warnings: Vec<String>,
    ) -> CloudFetch {
        CloudFetch {
            run_id: run.id,
            finished_at: run.finished_at.clone(),
            sources_run_id: None,
            unchanged: false,
            job_id: job.id,
            job_name: job
                .name
                .clone()
                .unwrap_or_else(|| format!("job {}", job.id)),
            project_name: project.name.clone(),
            paths: ArtifactPaths::default(),
            warnings,
            docs_url: self.docs_url(job.id),
            explorer_url: self.explorer_url(),
        }
    }

    /// The newest successful run with docs of the first stage of the plan that has one.
    async fn docs_run<'j>(
        &self,
        project: &Project,
        jobs: &'j [Job],
        warnings: &mut Vec<String>,
    ) -> Result<(&'j Job, Run), CloudError> {
        let plan = select::docs_plan(self.config.job_id, project, jobs);
        let mut skipped = plan.skipped;
        for stage in plan.stages {
            let mut found = Vec::new();
            for job in stage {
                match select::usable(self.api.latest_success(job.id).await?) {
                    Ok(run) => found.push((job, run)),
                    Err(reason) => skipped.push(select::skipped(job, reason)),
                }
            }
            if let Some((job, run)) = select::newest(found) {
                warnings.extend(passed_over_docs_job(project, job, &skipped));
                return Ok((job, run));
            }
        }
        // In the order of the project's job list; ids that are not in it first.
        skipped.sort_by_key(|s| jobs.iter().position(|job| job.id == s.id));
        Err(CloudError::NoJobs {
            account_id: self.config.account_id,
            project_id: self.config.project_id,
            skipped,
        })
    }

    /// The run whose `sources.json` to take: the freshness job's newest successful run with
    /// sources, else the docs run when it generated sources. None is fine.
    async fn sources_run(
        &self,
        project: &Project,
        jobs: &[Job],
        docs_job: &Job,
        docs_run: &Run,
    ) -> Result<Option<u64>, CloudError> {
        let mut found = Vec::new();
        for job in select::freshness_jobs(project, jobs) {
            let run = if job.id == docs_job.id {
                Some(docs_run.clone())
            } else {
                self.api.latest_success(job.id).await?
            };
            found.extend(run.filter(Run::has_sources).map(|run| (job, run)));
        }
        let newest = select::newest(found).map(|(_, run)| run.id);
        Ok(newest.or_else(|| docs_run.has_sources().then_some(docs_run.id)))
    }
}

async fn project_and_jobs(api: &Api) -> Result<(Project, Vec<Job>), CloudError> {
    Ok((api.project().await?, api.jobs().await?))
}

impl CloudFetch {
    /// The runs this fetch stands for, to hand to the next one.
    pub fn ids(&self) -> RunIds {
        RunIds {
            docs: self.run_id,
            sources: self.sources_run_id,
        }
    }
}

/// Says so when the project's own docs job could not be used and another job's run was.
fn passed_over_docs_job(project: &Project, chosen: &Job, skipped: &[SkippedJob]) -> Option<String> {
    let preferred = project.docs_job_id.filter(|id| *id != chosen.id)?;
    let why = skipped.iter().find(|s| s.id == preferred)?;
    Some(format!(
        "the project's documentation job cannot be used ({why}); the docs come from job {} {:?} instead",
        chosen.id,
        chosen.name.as_deref().unwrap_or("")
    ))
}
