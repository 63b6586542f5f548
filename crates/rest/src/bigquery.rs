//! BigQuery's REST API: an access token (given, or from a service-account key), and query
//! jobs run with `jobs.query` and read with `jobs.getQueryResults` until complete, page by page.
//! API: <https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query>.

use crate::{checked_id, request_id, HttpClient, HttpOptions, Request, RestError};
use chrono::Utc;
use model::Secret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The OAuth scope for running query jobs.
const SCOPE: &str = "https://www.googleapis.com/auth/bigquery";
const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// Where the access token comes from.
#[derive(Clone, Debug)]
pub enum BigQueryCredentials {
    /// A ready OAuth2 access token (e.g. from `gcloud auth print-access-token`).
    AccessToken(Secret),
    /// A service-account key file's JSON: its RS256-signed JWT is exchanged for access
    /// tokens, kept until they expire.
    ServiceAccountKey(Secret),
}

/// A signed-in BigQuery API client for one set of credentials.
pub struct BigQueryApi {
    http: HttpClient,
    credentials: BigQueryCredentials,
    api_base: String,
    token_url: Option<String>,
    wait_per_call: Duration,
    max_wait: Duration,
    token: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: Secret,
    renew_at: Instant,
}

/// Where and how long: the endpoints and the waits of a [`BigQueryApi`].
#[derive(Clone, Debug)]
pub struct BigQuerySettings {
    /// The API base, e.g. `https://bigquery.googleapis.com`.
    pub api_base: String,
    /// Where to exchange the signed JWT; the key's own `token_uri` when `None`.
    pub token_url: Option<String>,
    /// How long one call may wait for a job to finish (`timeoutMs`).
    pub wait_per_call: Duration,
    /// How long to keep polling a job that has not finished.
    pub max_wait: Duration,
    /// Time limits and retries of each HTTP call; keep the timeout above `wait_per_call`.
    pub http: HttpOptions,
}

/// One query job to run.
pub struct QueryJob<'a> {
    /// The project the job runs (and is billed) in.
    pub project: &'a str,
    /// Standard SQL.
    pub sql: &'a str,
    /// Where the job runs; BigQuery finds it from the tables read when `None`.
    pub location: Option<&'a str>,
    /// Rows per page.
    pub page_size: usize,
    /// What to grant when BigQuery answers 403.
    pub grant: &'a str,
}

impl BigQueryApi {
    /// A client; nothing is sent before the first call.
    pub fn new(credentials: BigQueryCredentials, settings: BigQuerySettings) -> Self {
        BigQueryApi {
            http: HttpClient::new(settings.http),
            credentials,
            api_base: settings.api_base.trim_end_matches('/').to_string(),
            token_url: settings.token_url,
            wait_per_call: settings.wait_per_call,
            max_wait: settings.max_wait,
            token: Mutex::new(None),
        }
    }

    /// `path` (e.g. `/bigquery/v2/projects`) on the API base.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }

    /// A signed-in `GET` of `url` with `query` parameters.
    pub async fn get<T: DeserializeOwned>(
        &self,
        url: &str,
        query: Vec<(&'static str, String)>,
        grant: &str,
    ) -> Result<T, RestError> {
        let token = self.access_token().await?;
        let mut request = Request::get(url).bearer(&token).grant(grant);
        for (name, value) in query {
            request = request.query(name, value);
        }
        Ok(self.http.send(&request).await?.body)
    }

    /// Starts `job` and waits until it is complete: its results are then ready to page. The
    /// request carries a `requestId`, the same on every retry, so BigQuery runs the job once
    /// however often the POST is resent (QueryRequest.requestId, `jobs.query` reference).
    pub async fn query(&self, job: QueryJob<'_>) -> Result<QueryResults<'_>, RestError> {
        let url = self.url(&format!("/bigquery/v2/projects/{}/queries", job.project));
        let mut body = serde_json::json!({
            "query": job.sql,
            "useLegacySql": false,
            "maxResults": job.page_size,
            "timeoutMs": self.wait_per_call.as_millis() as u64,
            "requestId": request_id(),
        });
        if let Some(location) = job.location {
            body["location"] = Value::String(location.to_string());
        }
        let token = self.access_token().await?;
        let request = Request::post_json(&url, body)
            .bearer(&token)
            .grant(job.grant);
        let first: QueryAnswer = self.http.send(&request).await?.body;
        let started = Started::from_answer(&first, &url, job.location)?;
        let mut results = QueryResults {
            api: self,
            url: match &started.id {
                Some(id) => format!("{url}/{id}"),
                None => url.clone(),
            },
            location: started.location,
            grant: job.grant.to_string(),
            page_size: job.page_size,
            columns: Vec::new(),
            pending: None,
            page_token: None,
        };
        results.wait(first).await?;
        Ok(results)
    }

    /// A valid access token: the configured one, or the cached exchange while it lasts.
    async fn access_token(&self) -> Result<Secret, RestError> {
        let key = match &self.credentials {
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
    async fn exchange(&self, key: &Secret) -> Result<CachedToken, RestError> {
        let key: ServiceAccountKey = serde_json::from_str(key.expose())
            .map_err(|e| key_problem(format!("not a service-account key: {e}")))?;
        let url = self
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
}

/// The job a `jobs.query` call started; none when BigQuery answered without creating one.
struct Started {
    id: Option<String>,
    location: Option<String>,
}

impl Started {
    fn from_answer(
        answer: &QueryAnswer,
        url: &str,
        location: Option<&str>,
    ) -> Result<Started, RestError> {
        let call = format!("POST {url}");
        // With `jobCreationMode: JOB_CREATION_OPTIONAL` (not the default today) a query whose
        // whole result is in the answer runs without a job: complete, with nothing to poll.
        let Some(reference) = answer.job_reference.as_ref() else {
            if answer.job_complete && answer.page_token.is_none() {
                return Ok(Started {
                    id: None,
                    location: location.map(str::to_string),
                });
            }
            return Err(RestError::Malformed {
                call,
                detail: "no jobReference in an answer that is not complete".to_string(),
            });
        };
        Ok(Started {
            id: Some(checked_id(&call, "jobReference.jobId", &reference.job_id)?.to_string()),
            location: reference
                .location
                .clone()
                .or_else(|| location.map(str::to_string)),
        })
    }
}

/// `jobs.getQueryResults` for one complete job: its columns and its rows, page by page.
pub struct QueryResults<'a> {
    api: &'a BigQueryApi,
    url: String,
    location: Option<String>,
    grant: String,
    page_size: usize,
    columns: Vec<String>,
    /// The page the last call brought and nobody took yet.
    pending: Option<QueryAnswer>,
    page_token: Option<String>,
}

impl QueryResults<'_> {
    /// `GET <results URL>`, the name errors about the results carry.
    pub fn call(&self) -> String {
        format!("GET {}", self.url)
    }

    /// The result's column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The next page of rows, or `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Row>>, RestError> {
        let answer = match (self.pending.take(), self.page_token.take()) {
            (Some(answer), _) => answer,
            (None, Some(token)) => self.fetch(Some(token)).await?,
            (None, None) => return Ok(None),
        };
        self.page_token = answer.page_token;
        Ok(Some(answer.rows.unwrap_or_default()))
    }

    /// Polls until the job is complete; its answer then holds the columns and first page.
    async fn wait(&mut self, mut answer: QueryAnswer) -> Result<(), RestError> {
        let max_wait = self.api.max_wait;
        let deadline = Instant::now() + max_wait;
        while !answer.job_complete {
            if Instant::now() >= deadline {
                return Err(RestError::Timeout {
                    call: self.call(),
                    seconds: max_wait.as_secs(),
                });
            }
            answer = self.fetch(None).await?;
        }
        self.columns = answer
            .schema
            .take()
            .map(|schema| schema.fields.into_iter().map(|f| f.name).collect())
            .unwrap_or_default();
        self.pending = Some(answer);
        Ok(())
    }

    async fn fetch(&self, page_token: Option<String>) -> Result<QueryAnswer, RestError> {
        let token = self.api.access_token().await?;
        let wait = self.api.wait_per_call.as_millis() as u64;
        let mut request = Request::get(&self.url);
        if let Some(location) = &self.location {
            request = request.query("location", location);
        }
        request = request
            .query("maxResults", self.page_size.to_string())
            .query("timeoutMs", wait.to_string())
            .bearer(&token)
            .grant(&self.grant);
        if let Some(page_token) = page_token {
            request = request.query("pageToken", page_token);
        }
        Ok(self.api.http.send(&request).await?.body)
    }
}

/// One result row: `{"f": [{"v": …}]}`, where `v` is a string, NULL, or for arrays and
/// records nested `{"v": …}` values.
#[derive(Debug, Deserialize)]
pub struct Row {
    #[serde(default)]
    f: Vec<Cell>,
}

impl Row {
    /// The value of column `index`; `None` past the end.
    pub fn value(&self, index: usize) -> Option<&Value> {
        self.f.get(index).map(|cell| &cell.v)
    }

    /// Column `index` as text; `None` when NULL, not a scalar or past the end.
    pub fn text(&self, index: usize) -> Option<&str> {
        self.value(index).and_then(Value::as_str)
    }
}

#[derive(Debug, Deserialize)]
struct Cell {
    #[serde(default)]
    v: Value,
}

fn key_problem(detail: String) -> RestError {
    RestError::Malformed {
        call: "service-account key".to_string(),
        detail,
    }
}

fn signed_jwt(key: &ServiceAccountKey, audience: &str, now: i64) -> Result<String, RestError> {
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

#[derive(Debug, Deserialize)]
struct SchemaField {
    name: String,
}

/// A BigQuery quoted identifier.
pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
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
