//! `[[connections.history]]`: where each connection's query history comes from.
//!
//! Secrets are named by environment variable (`token_env`, `url_env`, `credentials_env`) and
//! read when the config loads; a missing variable is an error that names it.

use anyhow::{bail, Result};
use history::bigquery::{BigQuery, BigQueryConfig, BigQueryCredentials};
use history::databricks::{Databricks, DatabricksConfig};
use history::file::FileHistory;
use history::postgres::{LogFormat, ServerLog, StatStatements};
use history::redshift::{Redshift, RedshiftConfig};
use history::snowflake::{Snowflake, SnowflakeConfig};
use history::QueryHistory;
use model::WarehouseKind;
use model::{Misconfigured, Secret};
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

/// One `[[connections.history]]` entry, as written: what every kind has, and the kind's own
/// fields (serde rejects a field the kind does not take, and names it).
#[derive(Debug, Deserialize, serde::Serialize)]
pub struct RawHistory {
    /// The environment's name, unique within the connection.
    name: String,
    /// Session defaults for rows that carry none.
    database: Option<String>,
    schema: Option<String>,
    #[serde(flatten)]
    pub(crate) source: RawSource,
}

/// Each kind of history source with its fields.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum RawSource {
    /// pg_stat_statements of a PostgreSQL server.
    PostgresStatements { url_env: String },
    /// A PostgreSQL server log (file or directory).
    PostgresLog {
        path: PathBuf,
        /// For a directory that holds both.
        log_format: Option<LogFormatName>,
    },
    /// An exported history (JSON Lines or CSV).
    File { path: PathBuf },
    /// Redshift's SYS_QUERY_HISTORY.
    Redshift { url_env: String },
    /// Snowflake's ACCOUNT_USAGE.QUERY_HISTORY over the SQL API.
    Snowflake(SnowflakeEntry),
    /// BigQuery's INFORMATION_SCHEMA.JOBS of some projects.
    Bigquery(BigqueryEntry),
    /// Databricks' system.query.history.
    Databricks(DatabricksEntry),
}

/// Snowflake's ACCOUNT_USAGE.QUERY_HISTORY over the SQL API.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnowflakeEntry {
    account: String,
    account_url: Option<String>,
    token_env: Option<String>,
    token_type: Option<String>,
    /// Key-pair sign-in: the user and the variable holding the PEM private key.
    user: Option<String>,
    private_key_env: Option<String>,
    role: Option<String>,
    warehouse: Option<String>,
    #[serde(default)]
    access_history: bool,
}

/// BigQuery's INFORMATION_SCHEMA.JOBS of some projects.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BigqueryEntry {
    projects: Vec<String>,
    region: Option<String>,
    credentials_env: Option<String>,
    token_env: Option<String>,
}

/// Databricks' system.query.history.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatabricksEntry {
    host: String,
    warehouse_id: String,
    token_env: Option<String>,
    /// OAuth machine-to-machine sign-in of a service principal.
    client_id: Option<String>,
    client_secret_env: Option<String>,
    /// The workspace whose statements to read (the table holds every workspace of the
    /// region); found from the workspace itself when not given.
    workspace_id: Option<String>,
    #[serde(default)]
    table_lineage: bool,
}

/// `log_format` of a `postgres_log` source.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormatName {
    Jsonlog,
    Csvlog,
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
    let source = match source(&raw.source, base) {
        Ok(source) => source,
        // A missing secret fails this source at each sync (shown on the connection), not
        // every command that loads the config.
        Err(e) if e.downcast_ref::<Misconfigured>().is_some() => Arc::new(
            crate::misconfigured::Unusable(Misconfigured(format!("{what}: {e}"))),
        ) as Arc<dyn QueryHistory>,
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

fn source(raw: &RawSource, base: &Path) -> Result<Arc<dyn QueryHistory>> {
    let at = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        }
    };
    Ok(match raw {
        RawSource::PostgresStatements { url_env } => {
            Arc::new(StatStatements::new(secret(url_env, "url_env")?))
        }
        RawSource::PostgresLog { path, log_format } => {
            let log = ServerLog::new(at(path));
            Arc::new(match log_format {
                None => log,
                Some(LogFormatName::Jsonlog) => log.with_format(LogFormat::Json),
                Some(LogFormatName::Csvlog) => log.with_format(LogFormat::Csv),
            })
        }
        RawSource::File { path } => Arc::new(FileHistory::new(at(path))),
        RawSource::Redshift { url_env } => Arc::new(Redshift::new(RedshiftConfig::new(secret(
            url_env, "url_env",
        )?))),
        RawSource::Snowflake(entry) => Arc::new(Snowflake::new(snowflake(entry)?)),
        RawSource::Bigquery(entry) => Arc::new(BigQuery::new(bigquery(entry)?)),
        RawSource::Databricks(entry) => Arc::new(Databricks::new(databricks(entry)?)),
    })
}

fn snowflake(entry: &SnowflakeEntry) -> Result<SnowflakeConfig> {
    let SnowflakeEntry {
        account,
        account_url,
        token_env,
        token_type,
        user,
        private_key_env,
        role,
        warehouse,
        access_history,
    } = entry;
    let auth = crate::credentials::snowflake_auth(
        account,
        user.as_deref(),
        optional_secret(token_env, "token_env")?,
        token_type.as_deref(),
        optional_secret(private_key_env, "private_key_env")?,
    )?;
    let mut config = SnowflakeConfig::new(account.clone(), auth);
    if let Some(url) = account_url {
        config.account_url = url.trim_end_matches('/').to_string();
    }
    config.role = role.clone();
    config.warehouse = warehouse.clone();
    config.access_history = *access_history;
    Ok(config)
}

fn bigquery(entry: &BigqueryEntry) -> Result<BigQueryConfig> {
    let BigqueryEntry {
        projects,
        region,
        credentials_env,
        token_env,
    } = entry;
    if projects.is_empty() {
        bail!("projects: list the GCP projects whose jobs to read, e.g. projects = [\"acme-analytics\"]");
    }
    let credentials = match (credentials_env, token_env) {
        (Some(variable), _) => {
            BigQueryCredentials::ServiceAccountKey(secret(variable, "credentials_env")?)
        }
        (None, Some(variable)) => BigQueryCredentials::AccessToken(secret(variable, "token_env")?),
        (None, None) => bail!(
            "set credentials_env (a service-account key's JSON) or token_env (an access token)"
        ),
    };
    let region = region.clone().unwrap_or_else(|| "us".into());
    Ok(BigQueryConfig::new(projects.clone(), region, credentials))
}

fn databricks(entry: &DatabricksEntry) -> Result<DatabricksConfig> {
    let DatabricksEntry {
        host,
        warehouse_id,
        token_env,
        client_id,
        client_secret_env,
        workspace_id,
        table_lineage,
    } = entry;
    let auth = crate::credentials::databricks_auth(
        host,
        optional_secret(token_env, "token_env")?,
        client_id.as_deref(),
        optional_secret(client_secret_env, "client_secret_env")?,
    )?;
    let mut config = DatabricksConfig::new(host.clone(), auth, warehouse_id.clone());
    config.table_lineage = *table_lineage;
    config.workspace_id = workspace_id.clone();
    Ok(config)
}

/// The secret held by the environment variable `variable` (the config's `field`).
fn secret(variable: &str, field: &str) -> Result<Secret> {
    Ok(crate::credentials::named_secret(variable, field)?)
}

/// The secret `field` names, or `None` when the config names no variable there.
fn optional_secret(variable: &Option<String>, field: &str) -> Result<Option<Secret>> {
    variable.as_deref().map(|v| secret(v, field)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Result<RawHistory, String> {
        toml::from_str(toml).map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_takes_its_own_fields_beside_the_shared_ones() {
        let raw = parse("name = \"prod\"\nkind = \"snowflake\"\naccount = \"acme\"\ndatabase = \"ANALYTICS\"\naccess_history = true").unwrap();
        assert_eq!(raw.name, "prod");
        assert_eq!(raw.database.as_deref(), Some("ANALYTICS"));
        let RawSource::Snowflake(entry) = raw.source else {
            panic!("a snowflake entry: {:?}", raw.source);
        };
        assert_eq!(entry.account, "acme");
        assert!(entry.access_history);
        let raw = parse(
            "name = \"log\"\nkind = \"postgres_log\"\npath = \"pg/log\"\nlog_format = \"csvlog\"",
        )
        .unwrap();
        assert!(matches!(
            raw.source,
            RawSource::PostgresLog {
                log_format: Some(LogFormatName::Csvlog),
                ..
            }
        ));
    }

    #[test]
    fn a_field_the_kind_does_not_take_or_lacks_is_named() {
        let wrong = parse("name = \"x\"\nkind = \"file\"\npath = \"h.jsonl\"\naccount = \"acme\"")
            .unwrap_err();
        assert!(wrong.contains("unknown field `account`"), "{wrong}");
        let typo = parse("name = \"x\"\nkind = \"snowflake\"\nacount = \"acme\"").unwrap_err();
        assert!(typo.contains("acount"), "{typo}");
        let missing = parse("name = \"x\"\nkind = \"databricks\"\nhost = \"h\"").unwrap_err();
        assert!(
            missing.contains("missing field `warehouse_id`"),
            "{missing}"
        );
        let kind = parse("name = \"x\"\nkind = \"oracle\"").unwrap_err();
        assert!(
            kind.contains("oracle") && kind.contains("snowflake"),
            "{kind}"
        );
        let format =
            parse("name = \"x\"\nkind = \"postgres_log\"\npath = \"p\"\nlog_format = \"xml\"")
                .unwrap_err();
        assert!(format.contains("jsonlog"), "{format}");
    }
}
