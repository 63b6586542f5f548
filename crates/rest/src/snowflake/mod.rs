//! Snowflake's SQL API: a statement is posted, polled while Snowflake answers 202, and its
//! result read partition by partition.
//!
//! Snowflake holds a `POST` for up to 45 s, then answers 202 with a handle to poll. The
//! first partition comes with the result; the others are fetched by number (gzip-compressed).
//! Every statement is posted with a `requestId`, and a resent one adds `retry=true`, so a
//! statement whose first answer was lost is not run twice (SQL API reference, "POST
//! /api/v2/statements" query parameters).
//! API: <https://docs.snowflake.com/en/developer-guide/sql-api/reference>.

mod keypair;

pub use keypair::{KeyError, KeyPair};

use crate::{checked_id, request_id, Answer, HttpClient, HttpOptions, Request, RestError};
use model::Secret;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The kinds of bearer token the SQL API accepts as they are given
/// (`X-Snowflake-Authorization-Token-Type`); key-pair JWTs are signed here ([`KeyPair`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnowflakeTokenType {
    /// A programmatic access token.
    ProgrammaticAccessToken,
    /// An OAuth access token.
    OAuth,
}

impl SnowflakeTokenType {
    /// The header's value for this kind.
    pub fn header_value(self) -> &'static str {
        match self {
            SnowflakeTokenType::ProgrammaticAccessToken => "PROGRAMMATIC_ACCESS_TOKEN",
            SnowflakeTokenType::OAuth => "OAUTH",
        }
    }
}

/// How statements sign in.
#[derive(Clone, Debug)]
pub enum SnowflakeAuth {
    /// A token sent as it is: a programmatic access token or an OAuth access token.
    Token {
        /// The token.
        token: Secret,
        /// Which kind it is.
        kind: SnowflakeTokenType,
    },
    /// The user's key pair: each call carries a JWT signed here, renewed before its hour
    /// ends.
    KeyPair(Arc<KeyPair>),
}

impl SnowflakeAuth {
    /// The bearer token for a call made now, and its `X-Snowflake-Authorization-Token-Type`.
    pub fn bearer(&self) -> Result<(Secret, &'static str), RestError> {
        match self {
            SnowflakeAuth::Token { token, kind } => Ok((token.clone(), kind.header_value())),
            SnowflakeAuth::KeyPair(pair) => {
                Ok((pair.token(chrono::Utc::now().timestamp())?, "KEYPAIR_JWT"))
            }
        }
    }
}

/// How statements reach an account and in which session they run.
#[derive(Clone, Debug)]
pub struct SqlApiSettings {
    /// The API base, e.g. `https://acme-xy12345.snowflakecomputing.com`.
    pub account_url: String,
    /// How statements sign in.
    pub auth: SnowflakeAuth,
    /// The warehouse that runs statements; the user's default when `None`.
    pub warehouse: Option<String>,
    /// The role to use; the user's default when `None`.
    pub role: Option<String>,
    /// The session database, for statements with unqualified names.
    pub database: Option<String>,
    /// Sent as each statement's `timeout`; polling gives up a little after it.
    pub statement_timeout: Duration,
    /// Wait between two polls of a running statement.
    pub poll_interval: Duration,
    /// Time limits and retries of each HTTP call.
    pub http: HttpOptions,
}

/// Runs statements through the SQL API.
pub struct SqlApi {
    http: HttpClient,
    settings: SqlApiSettings,
    grant: String,
}

impl SqlApi {
    /// A client for `settings`; `grant` is what a 403 tells the user to grant.
    pub fn new(settings: SqlApiSettings, grant: String) -> Self {
        SqlApi {
            http: HttpClient::new(settings.http.clone()),
            settings,
            grant,
        }
    }

    /// `…/api/v2/statements`.
    pub fn statements_url(&self) -> String {
        format!(
            "{}/api/v2/statements",
            self.settings.account_url.trim_end_matches('/')
        )
    }

    /// The URL of statement `handle`, where its status and partitions are read.
    pub fn statement_url(&self, handle: &str) -> String {
        format!("{}/{handle}", self.statements_url())
    }

    /// Runs `statement` with `bindings` for its `?` placeholders (as text), and returns its
    /// handle and first partition, polling while it runs.
    pub async fn execute(
        &self,
        statement: &str,
        bindings: &[&str],
    ) -> Result<(String, ResultSet), RestError> {
        let bearer = self.settings.auth.bearer()?;
        let request = Request::post_json(self.statements_url(), self.body(statement, bindings))
            .query("requestId", request_id())
            .retry_query("retry", "true");
        let answer: Answer<ResultSet> = self
            .http
            .send(&self.authorized(request, &bearer))
            .await
            .map_err(|e| self.refusal(e))?;
        let call = format!("POST {}", self.statements_url());
        let handle = answer.body.handle(&call)?;
        if answer.status == 200 && answer.body.meta.is_some() {
            return Ok((handle, answer.body));
        }
        let first = self.poll(&handle).await?;
        Ok((handle, first))
    }

    /// Partition `partition` (1 and up; 0 came with [`SqlApi::execute`]) of statement `handle`.
    pub async fn partition(&self, handle: &str, partition: usize) -> Result<ResultSet, RestError> {
        let bearer = self.settings.auth.bearer()?;
        let request =
            Request::get(self.statement_url(handle)).query("partition", partition.to_string());
        Ok(self
            .http
            .send(&self.authorized(request, &bearer))
            .await?
            .body)
    }

    /// A SQL error for an object the role may not see (422 "does not exist or not
    /// authorized", SQL API handling-responses) is a missing grant: a 403 with what to grant.
    fn refusal(&self, error: RestError) -> RestError {
        match error {
            RestError::Http {
                call,
                status: 422,
                body,
            } if not_authorized(&body) => RestError::Forbidden {
                call,
                message: sql_error_message(&body),
                grant: self.grant.clone(),
            },
            other => other,
        }
    }

    fn authorized<'a>(
        &'a self,
        request: Request<'a>,
        (token, kind): &'a (Secret, &'static str),
    ) -> Request<'a> {
        request
            .bearer(token)
            .header("X-Snowflake-Authorization-Token-Type", *kind)
            .header("Accept", "application/json")
            .grant(&self.grant)
    }

    fn body(&self, statement: &str, bindings: &[&str]) -> serde_json::Value {
        let mut body = serde_json::json!({
            "statement": statement,
            "timeout": self.settings.statement_timeout.as_secs(),
        });
        let optional = [
            ("database", &self.settings.database),
            ("warehouse", &self.settings.warehouse),
            ("role", &self.settings.role),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                body[key] = serde_json::Value::String(value.clone());
            }
        }
        if !bindings.is_empty() {
            body["bindings"] = text_bindings(bindings);
        }
        body
    }

    /// Polls a statement Snowflake answered with 202 until it answers 200 with a result.
    async fn poll(&self, handle: &str) -> Result<ResultSet, RestError> {
        let url = self.statement_url(handle);
        let settings = &self.settings;
        let deadline = Instant::now() + settings.statement_timeout + settings.http.timeout;
        loop {
            if Instant::now() >= deadline {
                return Err(RestError::Timeout {
                    call: format!("GET {url}"),
                    seconds: settings.statement_timeout.as_secs(),
                });
            }
            tokio::time::sleep(settings.poll_interval).await;
            let bearer = settings.auth.bearer()?;
            let request = self.authorized(Request::get(&url), &bearer);
            let answer: Answer<ResultSet> = self
                .http
                .send(&request)
                .await
                .map_err(|e| self.refusal(e))?;
            if answer.status == 200 && answer.body.meta.is_some() {
                return Ok(answer.body);
            }
            tracing::debug!(statement = handle, "statement still running");
        }
    }
}

fn not_authorized(body: &str) -> bool {
    body.contains("not authorized") || body.contains("Insufficient privileges")
}

/// The `message` of a SQL API error body (`QueryFailureStatus`), or the body itself.
fn sql_error_message(body: &str) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = json.as_ref().and_then(|json| json["message"].as_str());
    message.unwrap_or(body).to_string()
}

/// `{"1": {"type": "TEXT", "value": …}, …}`: the SQL API numbers bindings from 1.
fn text_bindings(values: &[&str]) -> serde_json::Value {
    let bindings = values.iter().enumerate().map(|(i, value)| {
        let binding = serde_json::json!({"type": "TEXT", "value": value});
        ((i + 1).to_string(), binding)
    });
    serde_json::Value::Object(bindings.collect())
}

/// The SQL API's answer: a result set (200) or a running statement's status (202).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultSet {
    statement_handle: Option<String>,
    #[serde(rename = "resultSetMetaData")]
    meta: Option<Meta>,
    data: Option<Vec<Vec<Option<String>>>>,
}

impl ResultSet {
    /// The result's column names, in order (only the first partition carries them).
    pub fn columns(&self) -> Vec<String> {
        let fields = self.meta.iter().flat_map(|meta| &meta.row_type);
        fields.map(|field| field.name.clone()).collect()
    }

    /// How many partitions the result has (only the first partition says).
    pub fn partitions(&self) -> usize {
        self.meta
            .as_ref()
            .map_or(0, |meta| meta.partition_info.len())
    }

    /// The rows, every cell as text or NULL; `None` when the answer has no `data`.
    pub fn take_rows(&mut self) -> Option<Vec<Vec<Option<String>>>> {
        self.data.take()
    }

    fn handle(&self, call: &str) -> Result<String, RestError> {
        let handle = self
            .statement_handle
            .as_deref()
            .ok_or_else(|| RestError::Malformed {
                call: call.to_string(),
                detail: "no statementHandle in the answer".to_string(),
            })?;
        Ok(checked_id(call, "statementHandle", handle)?.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    row_type: Vec<Field>,
    #[serde(default)]
    partition_info: Vec<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct Field {
    name: String,
}

/// A Snowflake quoted identifier: names are stored as written, so quoting keeps their case.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("ANALYTICS"), "\"ANALYTICS\"");
        assert_eq!(quote("odd\"name"), "\"odd\"\"name\"");
    }

    #[test]
    fn bindings_are_numbered_from_one() {
        assert_eq!(
            text_bindings(&["PUBLIC", "x"]),
            serde_json::json!({"1": {"type": "TEXT", "value": "PUBLIC"},
                               "2": {"type": "TEXT", "value": "x"}})
        );
    }
}
