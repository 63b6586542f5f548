//! BigQuery: `` `region-<loc>`.INFORMATION_SCHEMA.JOBS_BY_PROJECT `` of one or more projects,
//! read with the REST `jobs.query` / `jobs.getQueryResults` calls.
//!
//! Each project's query runs in that project (listing all jobs needs `bigquery.jobs.listAll`
//! there); filtering, grouping and the union of `referenced_tables` happen in BigQuery and
//! the groups come back in pages that go on to the sync one by one.
//! API: <https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query>.

use crate::http::{checked_id, HttpClient, HttpOptions, Request};
use crate::rows::{checkpoint, known_tables, skip_null_text, sorted, Cells, GroupColumns, Pager};
use crate::{
    Checkpoint, HistoryError, HistoryRequest, HistoryRow, QueryHistory, RowSink, Secret, HEX_MARKER,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The OAuth scope for running query jobs.
const SCOPE: &str = "https://www.googleapis.com/auth/bigquery";
const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// How to reach BigQuery for one or more projects in one region.
#[derive(Clone, Debug)]
pub struct BigQueryConfig {
    /// The GCP projects whose jobs to read; Hex may run each connection in another project.
    pub projects: Vec<String>,
    /// The region the jobs ran in, e.g. `us`, `eu`, `europe-west2`.
    pub region: String,
    /// How to get an access token.
    pub credentials: BigQueryCredentials,
    /// The API base; [`BigQueryConfig::new`] sets `https://bigquery.googleapis.com`.
    pub api_base: String,
    /// Where to exchange the signed JWT; the key's own `token_uri` when `None`.
    pub token_url: Option<String>,
    /// How long one call may wait for the job to finish (`timeoutMs`) before answering
    /// `jobComplete: false`.
    pub wait_per_call: Duration,
    /// How long to keep polling a job that has not finished.
    pub max_wait: Duration,
    /// Time limits and retries of each HTTP call; keep the timeout above `wait_per_call`.
    pub http: HttpOptions,
}

impl BigQueryConfig {
    /// A configuration with Google's endpoints and default limits.
    pub fn new(
        projects: Vec<String>,
        region: impl Into<String>,
        credentials: BigQueryCredentials,
    ) -> Self {
        BigQueryConfig {
            projects,
            region: region.into(),
            credentials,
            api_base: "https://bigquery.googleapis.com".to_string(),
            token_url: None,
            wait_per_call: Duration::from_secs(10),
            max_wait: Duration::from_secs(600),
            http: HttpOptions::default(),
        }
    }
}

/// Where the access token comes from.
#[derive(Clone, Debug)]
pub enum BigQueryCredentials {
    /// A ready OAuth2 access token (e.g. from `gcloud auth print-access-token`).
    AccessToken(Secret),
    /// A service-account key file's JSON: its RS256-signed JWT is exchanged for access
    /// tokens, kept until they expire.
    ServiceAccountKey(Secret),
}

/// Query history of BigQuery projects.
pub struct BigQuery {
    config: BigQueryConfig,
    http: HttpClient,
    token: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: Secret,
    renew_at: Instant,
}

impl BigQuery {
    /// A source for `config`; nothing is sent before [`QueryHistory::read`].
    pub fn new(config: BigQueryConfig) -> Self {
        BigQuery {
            http: HttpClient::new(config.http.clone()),
            config,
            token: Mutex::new(None),
        }
    }

    /// A valid access token: the configured one, or the cached exchange while it lasts.
    async fn access_token(&self) -> Result<Secret, HistoryError> {
        let key = match &self.config.credentials {
            BigQueryCredentials::AccessToken(token) => return Ok(token.clone()),
            BigQueryCredentials::ServiceAccountKey(key) => key,
        };
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.token.clone());
        }
        let fresh = self.exchange(key).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Signs a JWT with the service account's key and trades it for an access token
    /// (<https://developers.google.com/identity/protocols/oauth2/service-account>).
    async fn exchange(&self, key: &Secret) -> Result<CachedToken, HistoryError> {
        let key: ServiceAccountKey = serde_json::from_str(key.expose())
            .map_err(|e| key_problem(format!("not a service-account key: {e}")))?;
        let url = self
            .config
            .token_url
            .clone()
            .or_else(|| key.token_uri.clone())
            .unwrap_or_else(|| GOOGLE_TOKEN_URL.to_string());
        let assertion = signed_jwt(&key, &url, Utc::now().timestamp())?;
        let form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string(),
            ),
            ("assertion", assertion),
        ];
        let answer: TokenAnswer = self.http.send(&Request::post_form(url, form)).await?.body;
        // Renew a minute early so a token never expires between check and use.
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600).saturating_sub(60));
        Ok(CachedToken {
            token: Secret::new(answer.access_token),
            renew_at: Instant::now() + lifetime,
        })
    }

    fn grant(project: &str) -> String {
        format!(
            "Grant roles/bigquery.resourceViewer (bigquery.jobs.listAll) and \
             roles/bigquery.jobUser (bigquery.jobs.create) on project {project}"
        )
    }

    /// Reads one project's groups into `pager`.
    async fn read_project(
        &self,
        project: &str,
        sql: &str,
        page_size: usize,
        pager: &mut Pager<'_>,
    ) -> Result<(), HistoryError> {
        let (results, first) = self.start(project, sql, page_size).await?;
        let mut answer = results.wait(first).await?;
        let call = format!("GET {}", results.url);
        let names = answer
            .schema
            .as_ref()
            .map(Schema::names)
            .unwrap_or_default();
        let columns = GroupColumns::find(&names, &call, true)?;
        let cells = Cells { call: &call };
        loop {
            for row in answer.rows.take().unwrap_or_default() {
                match decode(&columns, &cells, &row)? {
                    Some(row) => pager.push(row).await?,
                    None => skip_null_text(&self.describe()),
                }
            }
            match answer.page_token.take() {
                Some(token) => answer = results.fetch(Some(token)).await?,
                None => return Ok(()),
            }
        }
    }

    /// Starts the query job in `project`: its results' handle and the first answer.
    async fn start(
        &self,
        project: &str,
        sql: &str,
        page_size: usize,
    ) -> Result<(Results<'_>, QueryAnswer), HistoryError> {
        let grant = BigQuery::grant(project);
        let url = format!(
            "{}/bigquery/v2/projects/{project}/queries",
            self.config.api_base.trim_end_matches('/')
        );
        let body = serde_json::json!({
            "query": sql,
            "useLegacySql": false,
            "maxResults": page_size,
            "timeoutMs": self.config.wait_per_call.as_millis() as u64,
            "location": self.config.region,
        });
        let token = self.access_token().await?;
        let request = Request::post_json(&url, body).bearer(&token).grant(&grant);
        let answer: QueryAnswer = self.http.send(&request).await?.body;
        let job = Job::from_answer(&answer, &url, &self.config.region)?;
        let results = Results {
            source: self,
            url: format!("{url}/{}", job.id),
            job,
            grant,
            page_size,
        };
        Ok((results, answer))
    }
}

#[async_trait]
impl QueryHistory for BigQuery {
    fn describe(&self) -> String {
        format!(
            "bigquery {} ({})",
            self.config.projects.join(", "),
            self.config.region
        )
    }

    /// `previous` is not needed: the sync already starts the window at it.
    async fn read(
        &self,
        request: &HistoryRequest,
        _previous: Option<&Checkpoint>,
        sink: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        let mut pager = Pager::open(sink, request.page_size)?;
        for project in &self.config.projects {
            let sql = statement(project, &self.config.region, request.since, request.until);
            // maxResults 0 would page forever without rows.
            let page_size = request.page_size.max(1);
            self.read_project(project, &sql, page_size, &mut pager)
                .await?;
        }
        pager.finish().await?;
        Ok(checkpoint(request.until))
    }
}

/// The job a `jobs.query` call started.
struct Job {
    id: String,
    location: String,
}

impl Job {
    fn from_answer(answer: &QueryAnswer, url: &str, region: &str) -> Result<Job, HistoryError> {
        let call = format!("POST {url}");
        let reference = answer
            .job_reference
            .as_ref()
            .ok_or_else(|| HistoryError::Malformed {
                call: call.clone(),
                detail: "no jobReference in the answer".to_string(),
            })?;
        Ok(Job {
            id: checked_id(&call, "jobReference.jobId", &reference.job_id)?.to_string(),
            location: reference
                .location
                .clone()
                .unwrap_or_else(|| region.to_string()),
        })
    }
}

/// `jobs.getQueryResults` for one job: waits for it and pages through its rows.
struct Results<'a> {
    source: &'a BigQuery,
    url: String,
    job: Job,
    grant: String,
    page_size: usize,
}

impl Results<'_> {
    /// Polls until the job is complete; the answer then holds the first page.
    async fn wait(&self, mut answer: QueryAnswer) -> Result<QueryAnswer, HistoryError> {
        let max_wait = self.source.config.max_wait;
        let deadline = Instant::now() + max_wait;
        while !answer.job_complete {
            if Instant::now() >= deadline {
                return Err(HistoryError::Timeout {
                    call: format!("GET {}", self.url),
                    seconds: max_wait.as_secs(),
                });
            }
            answer = self.fetch(None).await?;
        }
        Ok(answer)
    }

    async fn fetch(&self, page_token: Option<String>) -> Result<QueryAnswer, HistoryError> {
        let token = self.source.access_token().await?;
        let wait = self.source.config.wait_per_call.as_millis() as u64;
        let mut request = Request::get(&self.url)
            .query("location", &self.job.location)
            .query("maxResults", self.page_size.to_string())
            .query("timeoutMs", wait.to_string())
            .bearer(&token)
            .grant(&self.grant);
        if let Some(page_token) = page_token {
            request = request.query("pageToken", page_token);
        }
        Ok(self.source.http.send(&request).await?.body)
    }
}

/// One row: `{"f": [{"v": …}]}`, where `v` is a string, NULL, or for arrays `[{"v": …}]`.
// HistoryRow has fields no source fills (the sync's `problem`): default whatever is not read.
fn decode(
    columns: &GroupColumns,
    cells: &Cells<'_>,
    row: &Row,
) -> Result<Option<HistoryRow>, HistoryError> {
    let scalar = |i: usize| row.f.get(i).and_then(|cell| cell.v.as_str());
    let array = |i: usize| {
        let items = row.f.get(i).and_then(|cell| cell.v.as_array());
        sorted(
            items
                .into_iter()
                .flatten()
                .filter_map(|item| item.get("v").and_then(Value::as_str).map(str::to_string)),
        )
    };
    let Some(text) = scalar(columns.text) else {
        return Ok(None);
    };
    let engine_tables = columns.engine_tables.map(array).and_then(known_tables);
    Ok(Some(HistoryRow {
        text: text.to_string(),
        database: scalar(columns.database).map(str::to_string),
        schema: scalar(columns.schema).map(str::to_string),
        users: array(columns.users),
        executions: cells.count("EXECUTIONS", scalar(columns.executions))?,
        first_seen: cells.millis("FIRST_SEEN", scalar(columns.first_seen))?,
        last_seen: cells.millis("LAST_SEEN", scalar(columns.last_seen))?,
        engine_tables,
        ..HistoryRow::default()
    }))
}

/// The query for one project. JOBS has no default-dataset column, so groups are per text
/// and project. Joining the unnested `referenced_tables` repeats a job once per table, hence
/// `COUNT(DISTINCT job_id)`.
fn statement(project: &str, region: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> String {
    let view = format!(
        "{}.{}.INFORMATION_SCHEMA.JOBS_BY_PROJECT",
        quote(project),
        quote(&format!("region-{region}"))
    );
    let (since, until) = (since.timestamp_millis(), until.timestamp_millis());
    format!(
        "SELECT j.query AS QUERY_TEXT, j.project_id AS DATABASE_NAME, \
         CAST(NULL AS STRING) AS SCHEMA_NAME,\n       \
         COUNT(DISTINCT j.job_id) AS EXECUTIONS,\n       \
         UNIX_MILLIS(MIN(j.creation_time)) AS FIRST_SEEN,\n       \
         UNIX_MILLIS(MAX(j.creation_time)) AS LAST_SEEN,\n       \
         ARRAY_AGG(DISTINCT j.user_email IGNORE NULLS) AS USERS,\n       \
         ARRAY_AGG(DISTINCT CONCAT(t.project_id, '.', t.dataset_id, '.', t.table_id) IGNORE NULLS) \
         AS ENGINE_TABLES\n\
         FROM {view} j\nLEFT JOIN UNNEST(j.referenced_tables) t\n\
         WHERE j.creation_time >= TIMESTAMP_MILLIS({since})\n  \
         AND j.creation_time < TIMESTAMP_MILLIS({until})\n  \
         AND j.job_type = 'QUERY'\n  AND j.state = 'DONE'\n  AND j.error_result IS NULL\n  \
         AND j.query LIKE '%{HEX_MARKER}%'\n\
         GROUP BY j.query, j.project_id"
    )
}

/// A BigQuery quoted identifier.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

fn key_problem(detail: String) -> HistoryError {
    HistoryError::Malformed {
        call: "service-account key".to_string(),
        detail,
    }
}

fn signed_jwt(key: &ServiceAccountKey, audience: &str, now: i64) -> Result<String, HistoryError> {
    let claims = Claims {
        iss: &key.client_email,
        scope: SCOPE,
        aud: audience,
        iat: now,
        exp: now + 3600,
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = key.private_key_id.clone();
    let signing_key = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes())
        .map_err(|e| key_problem(format!("private_key is not an RSA key in PEM: {e}")))?;
    jsonwebtoken::encode(&header, &claims, &signing_key)
        .map_err(|e| key_problem(format!("could not sign the token request: {e}")))
}

/// The fields of a service-account key file that the exchange needs. Not `Debug`: it holds
/// the private key.
#[derive(Deserialize)]
struct ServiceAccountKey {
    client_email: String,
    private_key: String,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryAnswer {
    #[serde(default)]
    job_complete: bool,
    job_reference: Option<JobReference>,
    schema: Option<Schema>,
    rows: Option<Vec<Row>>,
    page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobReference {
    job_id: String,
    location: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Schema {
    #[serde(default)]
    fields: Vec<SchemaField>,
}

impl Schema {
    fn names(&self) -> Vec<String> {
        self.fields.iter().map(|field| field.name.clone()).collect()
    }
}

#[derive(Debug, Deserialize)]
struct SchemaField {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Row {
    #[serde(default)]
    f: Vec<Cell>,
}

#[derive(Debug, Deserialize)]
struct Cell {
    #[serde(default)]
    v: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("acme-prod"), "`acme-prod`");
        assert_eq!(quote("a`b\\c"), "`a\\`b\\\\c`");
    }
}
