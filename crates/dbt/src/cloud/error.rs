//! What can go wrong talking to dbt Cloud, in words that say what to fix. The seed's error
//! table is kept to the letter: "No jobs found for this project", "401 Unauthorized" with the
//! permissions, and anything else verbatim with its HTTP status and a pointer to the status
//! page. No variant ever holds the token: it lives only in the request's header.

use rest::RestError;
use std::fmt;
use std::path::PathBuf;

/// Where dbt Cloud reports incidents.
const STATUS_PAGE: &str = "https://status.getdbt.com";

/// Why [`super::CloudClient::fetch`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// No job of the project has a successful run that generated docs.
    #[error("No jobs found for this project: {}", no_jobs_text(*.account_id, *.project_id, .skipped))]
    NoJobs {
        /// The account.
        account_id: u64,
        /// The project.
        project_id: u64,
        /// Every job looked at and why it did not qualify; empty when the project has no jobs.
        skipped: Vec<SkippedJob>,
    },
    /// 401: the token is wrong, expired or revoked.
    #[error("401 Unauthorized: the service token is invalid or lacks the Metadata Only and Job Admin permissions ({call}: {message})")]
    Unauthorized {
        /// The request, `METHOD URL`.
        call: String,
        /// The API's own words (`status.user_message`).
        message: String,
    },
    /// 403: the token belongs to another account or lacks a permission.
    #[error("403 Forbidden: {message} ({call}). Use a service token of account {account_id} with the Metadata Only and Job Admin permissions")]
    Forbidden {
        /// The request.
        call: String,
        /// The account the config names.
        account_id: u64,
        /// The API's own words.
        message: String,
    },
    /// 404 on the project: the account or project id is wrong (or hidden from this token).
    #[error("404 Not Found: dbt Cloud has no project {project_id} in account {account_id} ({call}: {message}). Check account_id and project_id: they are the numbers in the dbt Cloud URL …/deploy/<account_id>/projects/<project_id>")]
    NotFound {
        /// The request.
        call: String,
        /// The account the config names.
        account_id: u64,
        /// The project the config names.
        project_id: u64,
        /// The API's own words.
        message: String,
    },
    /// Any other HTTP failure, after retries; status 0 when no answer came at all.
    #[error("{}", http_text(.call, *.status, .body))]
    Http {
        /// The request.
        call: String,
        /// The HTTP status.
        status: u16,
        /// The API's words (`status.user_message`) when the body is the envelope, else the
        /// body verbatim (shortened).
        body: String,
    },
    /// No answer in time, after retries.
    #[error("{call}: no answer within {seconds} s; check {STATUS_PAGE}")]
    Timeout {
        /// The request.
        call: String,
        /// The time limit of one attempt.
        seconds: u64,
    },
    /// An answer not in the documented shape: truncated, not JSON, missing fields, odd ids.
    #[error("{call}: unexpected answer: {detail}")]
    Malformed {
        /// The request.
        call: String,
        /// What was wrong.
        detail: String,
    },
    /// The configuration cannot work; nothing was sent.
    #[error("dbt Cloud {field}: {message}")]
    Config {
        /// The setting, e.g. `access_url`.
        field: &'static str,
        /// What is wrong and what would work.
        message: String,
    },
    /// The download folder could not be made or cleaned.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A job that could not provide docs, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedJob {
    /// The job id.
    pub id: u64,
    /// The job's name; `None` when the job is not in the project's job list.
    pub name: Option<String>,
    /// Why it did not qualify.
    pub reason: SkipReason,
}

/// Why a job could not provide docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// "Generate docs on run" is off and no step runs `dbt docs generate`.
    NoDocs,
    /// The job is deleted (`state` 2).
    Deleted,
    /// The id (pinned in the config, or the project's `docs_job_id`) is not a job of the project.
    NotInProject,
    /// The job never finished a run successfully.
    NoSuccessfulRun,
    /// The newest successful run generated no docs.
    RunWithoutDocs {
        /// That run.
        run_id: u64,
    },
}

impl fmt::Display for SkippedJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "job {} {name:?}: {}", self.id, self.reason),
            None => write!(f, "job {}: {}", self.id, self.reason),
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NoDocs => f.write_str("does not generate docs"),
            SkipReason::Deleted => f.write_str("deleted"),
            SkipReason::NotInProject => f.write_str("not a job of this project"),
            SkipReason::NoSuccessfulRun => f.write_str("no successful run with docs"),
            SkipReason::RunWithoutDocs { run_id } => write!(
                f,
                "no successful run with docs (the latest successful run, {run_id}, generated none)"
            ),
        }
    }
}

fn no_jobs_text(account_id: u64, project_id: u64, skipped: &[SkippedJob]) -> String {
    const FIX: &str = "turn on \"Generate docs on run\" in a job's settings (or add a `dbt docs generate` step) and run it successfully";
    if skipped.is_empty() {
        return format!(
            "project {project_id} of account {account_id} has no jobs. Create a job, {FIX}"
        );
    }
    let listed: Vec<String> = skipped.iter().map(SkippedJob::to_string).collect();
    format!(
        "no job has a successful run that generated docs ({}). To fix, {FIX}",
        listed.join("; ")
    )
}

fn http_text(call: &str, status: u16, body: &str) -> String {
    if status == 0 {
        return format!("{call}: {body}; check the access URL, the network, and {STATUS_PAGE}");
    }
    format!("{call}: HTTP {status}: {body}; check {STATUS_PAGE}")
}

/// Which call failed, for the errors that depend on it.
#[derive(Clone, Copy)]
pub(crate) struct Context {
    pub account_id: u64,
    pub project_id: u64,
    /// A 404 here means the ids are wrong; elsewhere it is a plain HTTP error.
    pub is_project_call: bool,
}

impl CloudError {
    /// Gives `error` the dbt Cloud meaning: the envelope's `status.user_message` replaces the
    /// raw body, and 401/403/404 say what to check.
    pub(crate) fn from_rest(error: RestError, at: Context) -> CloudError {
        match error {
            RestError::Unauthorized { call, message } => CloudError::Unauthorized {
                call,
                message: api_words(&message),
            },
            RestError::Forbidden { call, message, .. } => CloudError::Forbidden {
                call,
                account_id: at.account_id,
                message: api_words(&message),
            },
            RestError::Http { call, status, body } if status == 404 && at.is_project_call => {
                CloudError::NotFound {
                    call,
                    account_id: at.account_id,
                    project_id: at.project_id,
                    message: api_words(&body),
                }
            }
            RestError::Http { call, status, body } => CloudError::Http {
                call,
                status,
                body: api_words(&body),
            },
            RestError::Timeout { call, seconds } => CloudError::Timeout { call, seconds },
            RestError::Malformed { call, detail } => CloudError::Malformed { call, detail },
        }
    }
}

/// `status.user_message` of an envelope body (the API's words for the user), else the text
/// as it came.
pub(crate) fn api_words(body: &str) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = json.as_ref().and_then(|json| {
        [
            "/status/user_message",
            "/status/developer_message",
            "/detail",
        ]
        .iter()
        .find_map(|pointer| json.pointer(pointer)?.as_str())
        .filter(|message| !message.trim().is_empty())
    });
    message.unwrap_or(body).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_gives_the_api_words() {
        let body = r#"{"status": {"code": 401, "is_success": false, "user_message": "Invalid token.", "developer_message": ""}, "data": null}"#;
        assert_eq!(api_words(body), "Invalid token.");
        assert_eq!(
            api_words("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
        assert_eq!(
            api_words(r#"{"status": {"user_message": ""}}"#),
            r#"{"status": {"user_message": ""}}"#
        );
    }

    #[test]
    fn no_jobs_lists_each_job() {
        let error = CloudError::NoJobs {
            account_id: 1,
            project_id: 5,
            skipped: vec![
                SkippedJob {
                    id: 12,
                    name: Some("Nightly".into()),
                    reason: SkipReason::NoDocs,
                },
                SkippedJob {
                    id: 13,
                    name: Some("Docs".into()),
                    reason: SkipReason::NoSuccessfulRun,
                },
            ],
        };
        let text = error.to_string();
        assert!(
            text.starts_with("No jobs found for this project: "),
            "{text}"
        );
        assert!(
            text.contains(r#"job 12 "Nightly": does not generate docs; job 13 "Docs": no successful run with docs"#),
            "{text}"
        );
    }
}
