//! `[[connections.history]]`: where each connection's query history comes from.
//!
//! Secrets are named by environment variable (`token_env`, `url_env`, `credentials_env`) and
//! read when the config loads; a missing variable is an error that names it.

use anyhow::{bail, Context, Result};
use history::bigquery::{BigQuery, BigQueryConfig, BigQueryCredentials};
use history::databricks::{Databricks, DatabricksConfig};
use history::file::FileHistory;
use history::postgres::{LogFormat, ServerLog, StatStatements};
use history::redshift::{Redshift, RedshiftConfig};
use history::snowflake::{Snowflake, SnowflakeConfig};
use history::{QueryHistory, Secret};
use model::WarehouseKind;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use sync::HistoryTarget;

/// `[history]`: settings shared by every history source.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHistorySettings {
    /// Hex work that ran within this many days is live (default 14).
    pub window_days: Option<u32>,
    /// How far back a source's first sync reads (default 30 days).
    pub lookback_days: Option<u32>,
    /// Seconds between history syncs in `serve` (default 900).
    pub refresh_seconds: Option<u64>,
}

/// One `[[connections.history]]` entry, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHistory {
    /// The environment's name, unique within the connection.
    name: String,
    /// `postgres_statements`, `postgres_log`, `file`, `snowflake`, `bigquery`, `databricks`
    /// or `redshift`.
    pub(crate) kind: String,
    url_env: Option<String>,
    path: Option<PathBuf>,
    /// `postgres_log`: `jsonlog` or `csvlog`, for a directory that holds both.
    log_format: Option<String>,
    account: Option<String>,
    account_url: Option<String>,
    token_env: Option<String>,
    token_type: Option<String>,
    /// Snowflake key-pair sign-in: the user and the variable holding the PEM private key.
    user: Option<String>,
    private_key_env: Option<String>,
    /// Databricks OAuth machine-to-machine sign-in of a service principal.
    client_id: Option<String>,
    client_secret_env: Option<String>,
    /// The Databricks workspace whose statements to read (system.query.history holds every
    /// workspace of the region); found from the workspace itself when not given.
    workspace_id: Option<String>,
    role: Option<String>,
    warehouse: Option<String>,
    #[serde(default)]
    access_history: bool,
    #[serde(default)]
    projects: Vec<String>,
    region: Option<String>,
    credentials_env: Option<String>,
    host: Option<String>,
    warehouse_id: Option<String>,
    #[serde(default)]
    table_lineage: bool,
    /// Session defaults for rows that carry none.
    database: Option<String>,
    schema: Option<String>,
}

/// Resolves one entry of connection `connection`.
pub fn target(
    connection: &str,
    kind: WarehouseKind,
    defaults: (Option<&str>, Option<&str>),
    raw: RawHistory,
    lookback_days: u32,
    base: &Path,
) -> Result<HistoryTarget> {
    let what = format!("connection {connection:?}, history {:?}", raw.name);
    if raw.name.trim().is_empty() {
        bail!("connection {connection:?}: a [[connections.history]] entry has an empty name");
    }
    let source = match source(&raw, base) {
        Ok(source) => source,
        // A missing secret fails this source at each sync (shown on the connection), not
        // every command that loads the config.
        Err(e) if e.downcast_ref::<MissingSecret>().is_some() => {
            Arc::new(crate::catalog::Misconfigured(format!("{what}: {e}"))) as Arc<dyn QueryHistory>
        }
        Err(e) => return Err(e.context(what)),
    };
    Ok(HistoryTarget {
        connection: connection.to_string(),
        kind,
        environment: raw.name,
        source,
        lookback: chrono::Duration::days(i64::from(lookback_days)),
        runs_counted_by: None,
        default_database: raw.database.or(defaults.0.map(str::to_string)),
        default_schema: raw.schema.or(defaults.1.map(str::to_string)),
    })
}

fn source(raw: &RawHistory, base: &Path) -> Result<Arc<dyn QueryHistory>> {
    let at = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        }
    };
    Ok(match raw.kind.as_str() {
        "postgres_statements" => Arc::new(StatStatements::new(secret(&raw.url_env, "url_env")?)),
        "postgres_log" => Arc::new(server_log(raw, at(need(&raw.path, "path")?))?),
        "file" => Arc::new(FileHistory::new(at(need(&raw.path, "path")?))),
        "redshift" => Arc::new(Redshift::new(RedshiftConfig::new(secret(&raw.url_env, "url_env")?))),
        "snowflake" => Arc::new(Snowflake::new(snowflake(raw)?)),
        "bigquery" => Arc::new(BigQuery::new(bigquery(raw)?)),
        "databricks" => Arc::new(Databricks::new(databricks(raw)?)),
        other => bail!(
            "kind = {other:?}: expected postgres_statements, postgres_log, file, snowflake, bigquery, databricks or redshift"
        ),
    })
}

fn server_log(raw: &RawHistory, path: PathBuf) -> Result<ServerLog> {
    let log = ServerLog::new(path);
    Ok(match raw.log_format.as_deref() {
        None => log,
        Some("jsonlog") => log.with_format(LogFormat::Json),
        Some("csvlog") => log.with_format(LogFormat::Csv),
        Some(other) => bail!("log_format = {other:?}: expected jsonlog or csvlog"),
    })
}

fn snowflake(raw: &RawHistory) -> Result<SnowflakeConfig> {
    let account = need(&raw.account, "account")?;
    let auth = crate::credentials::snowflake_auth(
        account,
        raw.user.as_deref(),
        optional_secret(&raw.token_env, "token_env")?,
        raw.token_type.as_deref(),
        optional_secret(&raw.private_key_env, "private_key_env")?,
    )?;
    let mut config = SnowflakeConfig::new(account.clone(), auth);
    if let Some(url) = &raw.account_url {
        config.account_url = url.trim_end_matches('/').to_string();
    }
    config.role = raw.role.clone();
    config.warehouse = raw.warehouse.clone();
    config.access_history = raw.access_history;
    Ok(config)
}

fn bigquery(raw: &RawHistory) -> Result<BigQueryConfig> {
    if raw.projects.is_empty() {
        bail!("projects: list the GCP projects whose jobs to read, e.g. projects = [\"acme-analytics\"]");
    }
    let credentials = match (&raw.credentials_env, &raw.token_env) {
        (Some(_), _) => {
            BigQueryCredentials::ServiceAccountKey(secret(&raw.credentials_env, "credentials_env")?)
        }
        (None, Some(_)) => BigQueryCredentials::AccessToken(secret(&raw.token_env, "token_env")?),
        (None, None) => bail!(
            "set credentials_env (a service-account key's JSON) or token_env (an access token)"
        ),
    };
    let region = raw.region.clone().unwrap_or_else(|| "us".into());
    Ok(BigQueryConfig::new(
        raw.projects.clone(),
        region,
        credentials,
    ))
}

fn databricks(raw: &RawHistory) -> Result<DatabricksConfig> {
    let host = need(&raw.host, "host")?;
    let warehouse = need(&raw.warehouse_id, "warehouse_id")?;
    let auth = crate::credentials::databricks_auth(
        host,
        optional_secret(&raw.token_env, "token_env")?,
        raw.client_id.as_deref(),
        optional_secret(&raw.client_secret_env, "client_secret_env")?,
    )?;
    let mut config = DatabricksConfig::new(host.clone(), auth, warehouse.clone());
    config.table_lineage = raw.table_lineage;
    config.workspace_id = raw.workspace_id.clone();
    Ok(config)
}

fn need<'a, T>(value: &'a Option<T>, field: &str) -> Result<&'a T> {
    value
        .as_ref()
        .with_context(|| format!("{field} is required for this kind"))
}

/// The secret held by the environment variable that `field` names.
fn secret(variable: &Option<String>, field: &str) -> Result<Secret> {
    let variable = need(variable, field)?;
    Secret::from_env(variable)
        .map_err(|missing| MissingSecret(format!("{field}: {missing}")).into())
}

/// The secret `field` names, or `None` when the config names no variable there.
fn optional_secret(variable: &Option<String>, field: &str) -> Result<Option<Secret>> {
    match variable {
        Some(_) => secret(variable, field).map(Some),
        None => Ok(None),
    }
}

/// A secret the config names but the environment lacks: the source fails at each sync
/// instead of the whole config.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct MissingSecret(String);
