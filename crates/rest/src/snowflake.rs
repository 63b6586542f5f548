//! Snowflake's SQL API: a statement is posted, polled while Snowflake answers 202, and its
//! result read partition by partition.
//!
//! Snowflake holds a `POST` for up to 45 s, then answers 202 with a handle to poll. The
//! first partition comes with the result; the others are fetched by number (gzip-compressed).
//! API: <https://docs.snowflake.com/en/developer-guide/sql-api/reference>.

use crate::{checked_id, Answer, HttpClient, HttpOptions, Request, RestError};
use model::Secret;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// The kinds of bearer token the SQL API accepts (`X-Snowflake-Authorization-Token-Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnowflakeTokenType {
    /// A programmatic access token.
    ProgrammaticAccessToken,
    /// An OAuth access token.
    OAuth,
    /// A JWT signed with the user's key pair, made beforehand.
    KeypairJwt,
}

impl SnowflakeTokenType {
    /// The header's value for this kind.
    pub fn header_value(self) -> &'static str {
        match self {
            SnowflakeTokenType::ProgrammaticAccessToken => "PROGRAMMATIC_ACCESS_TOKEN",
            SnowflakeTokenType::OAuth => "OAUTH",
            SnowflakeTokenType::KeypairJwt => "KEYPAIR_JWT",
        }
    }
}

/// How statements reach an account and in which session they run.
#[derive(Clone, Debug)]
pub struct SqlApiSettings {
    /// The API base, e.g. `https://acme-xy12345.snowflakecomputing.com`.
    pub account_url: String,
    /// The bearer token.
    pub token: Secret,
    /// What kind of token `token` is.
    pub token_type: SnowflakeTokenType,
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
        let request = self.authorized(Request::post_json(
            self.statements_url(),
            self.body(statement, bindings),
        ));
        let answer: Answer<ResultSet> = self.http.send(&request).await?;
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
        let request = self.authorized(
            Request::get(self.statement_url(handle)).query("partition", partition.to_string()),
        );
        Ok(self.http.send(&request).await?.body)
    }

    fn authorized<'a>(&'a self, request: Request<'a>) -> Request<'a> {
        request
            .bearer(&self.settings.token)
            .header(
                "X-Snowflake-Authorization-Token-Type",
                self.settings.token_type.header_value(),
            )
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
            let answer: Answer<ResultSet> =
                self.http.send(&self.authorized(Request::get(&url))).await?;
            if answer.status == 200 && answer.body.meta.is_some() {
                return Ok(answer.body);
            }
            tracing::debug!(statement = handle, "statement still running");
        }
    }
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
