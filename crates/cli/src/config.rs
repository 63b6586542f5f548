//! `downstream.toml`: parsed as written, then resolved against its directory and the environment.

use crate::hex_config::{self, RawHex};
use crate::history_config::{self, RawHistory, RawHistorySettings};
use anyhow::{bail, Context, Result};
use dbt::cloud::{CloudClient, CloudConfig};
use dbt::ArtifactPaths;
use model::{Misconfigured, Secret, WarehouseKind};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::ConnectionRecord;
use sync::{CatalogTarget, CloudSource, DbtSource, DbtTarget, HexTarget, HistoryTarget};
use warehouse::bigquery::{BigQueryCatalog, BigQueryCatalogConfig, BigQueryCredentials};
use warehouse::databricks::{DatabricksCatalog, DatabricksCatalogConfig};
use warehouse::postgres::{Flavour, PostgresCatalog};
use warehouse::snowflake::{SnowflakeCatalog, SnowflakeCatalogConfig};
use warehouse::CatalogReader;

mod resolved;

pub use resolved::Resolved;
use resolved::{settings, ResolvedConnection};

/// The example config, embedded so `downstream default-config` prints it anywhere.
pub const EXAMPLE: &str = include_str!("../../../downstream.example.toml");

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    connections: Vec<RawConnection>,
    #[serde(default)]
    history: RawHistorySettings,
    #[serde(default)]
    hex: Vec<RawHex>,
    auth: Option<crate::auth_config::RawAuth>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    location: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: Option<String>,
    refresh_seconds: Option<u64>,
    /// `introspect_seconds` is the key's name before the catalog had one word everywhere.
    #[serde(alias = "introspect_seconds")]
    catalog_seconds: Option<u64>,
    max_concurrent_requests: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnection {
    name: String,
    kind: String,
    database: Option<String>,
    schema: Option<String>,
    #[serde(default)]
    warehouse: Option<WarehouseAccess>,
    dbt: Option<RawDbt>,
    dbt_cloud: Option<RawDbtCloud>,
    #[serde(default)]
    history: Vec<RawHistory>,
}

/// `[connections.dbt_cloud]`: a dbt Cloud project as the connection's dbt source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDbtCloud {
    access_url: Option<String>,
    account_id: u64,
    project_id: u64,
    token_env: String,
    job_id: Option<u64>,
    refresh_seconds: Option<u64>,
    artifacts_dir: Option<PathBuf>,
}

/// How to reach a warehouse. Secrets are named by environment variable, never inlined.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseAccess {
    /// Variable holding a postgres:// URL (PostgreSQL, Redshift).
    pub url_env: Option<String>,
    /// Host name or URL.
    pub host: Option<String>,
    /// Snowflake account identifier.
    pub account: Option<String>,
    /// User name.
    pub user: Option<String>,
    /// Snowflake role.
    pub role: Option<String>,
    /// Snowflake warehouse.
    pub warehouse: Option<String>,
    /// BigQuery project.
    pub project: Option<String>,
    /// BigQuery location.
    pub location: Option<String>,
    /// Databricks SQL warehouse id.
    pub warehouse_id: Option<String>,
    /// Variable holding a token.
    pub token_env: Option<String>,
    /// Snowflake: what kind of token `token_env` holds.
    pub token_type: Option<String>,
    /// Snowflake: variable holding the user's PEM private key (key-pair sign-in).
    pub private_key_env: Option<String>,
    /// Databricks: a service principal's application id (OAuth machine-to-machine).
    pub client_id: Option<String>,
    /// Databricks: variable holding that service principal's OAuth secret.
    pub client_secret_env: Option<String>,
    /// Variable holding service-account credentials JSON.
    pub credentials_env: Option<String>,
}

impl WarehouseAccess {
    /// What the status page shows: names and hosts, and which variables hold the secrets.
    pub fn describe(&self) -> String {
        let fields = [
            ("url from $", &self.url_env),
            ("host ", &self.host),
            ("account ", &self.account),
            ("user ", &self.user),
            ("role ", &self.role),
            ("warehouse ", &self.warehouse),
            ("project ", &self.project),
            ("location ", &self.location),
            ("warehouse id ", &self.warehouse_id),
            ("token from $", &self.token_env),
            ("token type ", &self.token_type),
            ("private key from $", &self.private_key_env),
            ("OAuth client ", &self.client_id),
            ("OAuth secret from $", &self.client_secret_env),
            ("credentials from $", &self.credentials_env),
        ];
        let parts: Vec<String> = fields
            .iter()
            .filter_map(|(label, v)| v.as_ref().map(|v| format!("{label}{v}")))
            .collect();
        if parts.is_empty() {
            "no access configured".into()
        } else {
            parts.join(", ")
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDbt {
    target_dir: Option<PathBuf>,
    manifest: Option<PathBuf>,
    catalog: Option<PathBuf>,
    #[serde(default)]
    run_results: Vec<PathBuf>,
    sources: Option<PathBuf>,
    docs_url: Option<String>,
}

/// The resolved configuration.
#[derive(Debug)]
pub struct Config {
    /// Store location (path or URL).
    pub store: String,
    /// Address the server binds.
    pub bind: SocketAddr,
    /// Seconds between artifact checks in `serve`.
    pub refresh_seconds: u64,
    /// Connections with their sources.
    pub targets: Vec<DbtTarget>,
    /// Every connection's query-history sources.
    pub history: Vec<HistoryTarget>,
    /// Hex work that ran within this many days is live.
    pub window_days: u32,
    /// Seconds between history syncs in `serve`.
    pub history_refresh_seconds: u64,
    /// Connections whose catalog is read from the warehouse.
    pub catalogs: Vec<CatalogTarget>,
    /// Seconds between warehouse catalog reads in `serve`.
    pub catalog_seconds: u64,
    /// Hex workspaces.
    pub hex: Vec<HexTarget>,
    /// Logins and tokens for a shared deployment.
    pub auth: Option<server::auth::Auth>,
    /// Requests answered at once; `None`: the server's default for this machine.
    pub max_concurrent_requests: Option<usize>,
    /// Every setting as resolved, secrets as their variables, for `check`.
    pub resolved: Resolved,
}

/// Defaults, for commands run without a config file.
pub const DEFAULT_STORE: &str = "downstream.sqlite";
/// Loopback unless told otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:8400";

impl Config {
    /// Every source of the config, for the one runner.
    pub fn sources(&self) -> sync::Sources {
        sync::Sources {
            dbt: self.targets.clone(),
            catalogs: self.catalogs.clone(),
            history: self.history.clone(),
            hex: self.hex.clone(),
        }
    }

    /// Reads and resolves `path`; a missing file is an error only when `required`.
    pub fn load(path: &Path, required: bool) -> Result<Config> {
        let raw = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str::<RawConfig>(&text).map_err(|e| {
                anyhow::anyhow!("{}{}", e, closest_key_hint(e.message()))
                    .context(format!("{}: invalid configuration", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => RawConfig::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read config {}", path.display()))
            }
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        resolve(raw, &base).with_context(|| format!("{}: invalid configuration", path.display()))
    }
}

/// For an unknown key or kind, the known one it most likely misspells, as a `help:` line
/// (serde lists the known ones; a key one or two edits away is the likely meaning).
fn closest_key_hint(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return String::new();
    };
    let Some((written, known)) = rest.split_once('`') else {
        return String::new();
    };
    let closest = known
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (edit_distance(written, candidate), candidate))
        .min();
    match closest {
        Some((distance, candidate)) if distance <= written.len().div_ceil(3).max(1) => {
            format!("help: did you mean `{candidate}`?\n")
        }
        _ => String::new(),
    }
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

fn resolve(raw: RawConfig, base: &Path) -> Result<Config> {
    let bind = raw.server.bind.as_deref().unwrap_or(DEFAULT_BIND);
    let bind: SocketAddr = bind.parse().with_context(|| {
        format!("[server].bind = {bind:?} is not an address like 127.0.0.1:8400")
    })?;
    let mut targets = Vec::new();
    let mut history = Vec::new();
    let mut catalogs = Vec::new();
    let mut identities = Vec::new();
    let lookback = raw.history.lookback_days.unwrap_or(30).max(1);
    let mut shown = Vec::new();
    for mut c in raw.connections {
        if targets
            .iter()
            .any(|t: &DbtTarget| t.connection.name == c.name)
        {
            bail!(
                "two connections are named {:?}: names must be unique",
                c.name
            );
        }
        let entries = std::mem::take(&mut c.history);
        catalogs.extend(catalog_target(&c)?);
        let warehouse = c.warehouse.clone();
        let target = connection(c, base)?;
        identities.push(hex_config::identity(
            &target.connection.name,
            target.connection.kind,
            target.connection.default_database.as_deref(),
            target.connection.default_schema.as_deref(),
            warehouse.as_ref(),
        ));
        let record = &target.connection;
        shown.push(ResolvedConnection {
            name: record.name.clone(),
            kind: record.kind.as_str().to_string(),
            dbt: target.dbt.as_ref().map(sync::DbtSource::describe),
            warehouse: warehouse.as_ref().map(settings),
            history: entries.iter().map(settings).collect(),
        });
        let first = history.len();
        let mut aggregate = Vec::new();
        for entry in entries {
            if matches!(
                entry.source,
                history_config::RawSource::PostgresStatements { .. }
            ) {
                aggregate.push(history.len());
            }
            let defaults = (
                record.default_database.as_deref(),
                record.default_schema.as_deref(),
            );
            let resolved =
                history_config::target(&record.name, record.kind, defaults, entry, lookback, base)?;
            if history.iter().any(|h: &HistoryTarget| {
                h.connection == resolved.connection && h.environment == resolved.environment
            }) {
                bail!(
                    "connection {:?} has two history sources named {:?}: names must be unique",
                    resolved.connection,
                    resolved.environment
                );
            }
            history.push(resolved);
        }
        count_runs_once(&mut history[first..], &aggregate, first);
        targets.push(target);
    }
    let hex_shown = raw.hex.iter().map(settings).collect();
    let hex = raw
        .hex
        .into_iter()
        .map(|h| hex_config::resolve(h, &identities))
        .collect::<Result<Vec<_>>>()?;
    if let Some(dup) = hex.iter().enumerate().find_map(|(i, h)| {
        hex[..i]
            .iter()
            .any(|o| o.workspace == h.workspace)
            .then_some(&h.workspace)
    }) {
        bail!("two [[hex]] workspaces are named {dup:?}: give one a name");
    }
    let store = raw.store.location.unwrap_or_else(|| DEFAULT_STORE.into());
    let store = relative_store(&store, base);
    let refresh_seconds = raw.server.refresh_seconds.unwrap_or(60).max(1);
    let window_days = raw.history.window_days.unwrap_or(14).max(1);
    let history_refresh_seconds = raw.history.refresh_seconds.unwrap_or(900).max(10);
    let catalog_seconds = raw.server.catalog_seconds.unwrap_or(900).max(10);
    let resolved = Resolved {
        store: store.clone(),
        bind: bind.to_string(),
        window_days,
        lookback_days: lookback,
        schedules: [
            ("local dbt artifacts", refresh_seconds),
            ("catalogs", catalog_seconds),
            ("history", history_refresh_seconds),
        ]
        .into(),
        connections: shown,
        hex: hex_shown,
    };
    Ok(Config {
        store,
        bind,
        refresh_seconds,
        targets,
        history,
        window_days,
        history_refresh_seconds,
        catalogs,
        catalog_seconds,
        hex,
        auth: raw.auth.map(crate::auth_config::resolve).transpose()?,
        max_concurrent_requests: raw.server.max_concurrent_requests.map(|n| n.max(1)),
        resolved,
    })
}

fn connection(c: RawConnection, base: &Path) -> Result<DbtTarget> {
    let kind: WarehouseKind = c
        .kind
        .parse()
        .map_err(|e: String| anyhow::anyhow!("connection {:?}: kind: {e}", c.name))?;
    if c.name.trim().is_empty() {
        bail!("a connection has an empty name");
    }
    let docs_url = c.dbt.as_ref().and_then(|d| d.docs_url.clone());
    let dbt = match (c.dbt, c.dbt_cloud) {
        (Some(_), Some(_)) => bail!(
            "connection {:?}: has both [connections.dbt] and [connections.dbt_cloud]: keep one",
            c.name
        ),
        (Some(d), None) => Some(dbt_source(&c.name, d, base)?),
        (None, Some(cloud)) => Some(DbtSource::Cloud(cloud_source(&c.name, cloud, base)?)),
        (None, None) => None,
    };
    Ok(DbtTarget {
        connection: ConnectionRecord {
            name: c.name,
            kind,
            default_database: c.database,
            default_schema: c.schema,
            docs_url,
            dbt_source: None,
            access: c.warehouse.as_ref().map(WarehouseAccess::describe),
        },
        dbt,
    })
}

/// The catalog source of a connection whose `[connections.warehouse]` says how to reach it.
fn catalog_target(c: &RawConnection) -> Result<Option<CatalogTarget>> {
    let Some(access) = &c.warehouse else {
        return Ok(None);
    };
    let source = match catalog_reader(&c.kind, access) {
        Ok(Some(source)) => source,
        Ok(None) => return Ok(None),
        // A missing secret shows on the connection at each sync instead of stopping serve.
        Err(missing) => Arc::new(crate::misconfigured::Unusable(missing)),
    };
    Ok(Some(CatalogTarget {
        connection: c.name.clone(),
        source,
    }))
}

/// `Ok(None)`: not enough access configured to read the catalog; `Err`: a named secret is
/// missing from the environment, or the sign-in it describes cannot work.
fn catalog_reader(
    kind: &str,
    a: &WarehouseAccess,
) -> Result<Option<Arc<dyn CatalogReader>>, Misconfigured> {
    let secret =
        |variable: &Option<String>, field: &str| -> Result<Option<Secret>, Misconfigured> {
            let field = format!("[connections.warehouse] {field}");
            variable
                .as_deref()
                .map(|v| crate::credentials::named_secret(v, &field))
                .transpose()
        };
    Ok(match kind {
        "postgres" | "postgresql" | "redshift" => a.url_env.as_ref().map(|v| {
            let flavour = match kind {
                "redshift" => Flavour::Redshift,
                _ => Flavour::Postgres,
            };
            Arc::new(PostgresCatalog::from_env(v.clone()).with_flavour(flavour))
                as Arc<dyn CatalogReader>
        }),
        "snowflake" => {
            let (token, key) = (
                secret(&a.token_env, "token_env")?,
                secret(&a.private_key_env, "private_key_env")?,
            );
            match &a.account {
                Some(account) if token.is_some() || key.is_some() => {
                    let auth = crate::credentials::snowflake_auth(
                        account,
                        a.user.as_deref(),
                        token,
                        a.token_type.as_deref(),
                        key,
                    )
                    .map_err(|e| Misconfigured(format!("{e:#}")))?;
                    let mut config = SnowflakeCatalogConfig::new(account.clone(), auth);
                    config.role = a.role.clone();
                    config.warehouse = a.warehouse.clone();
                    Some(Arc::new(SnowflakeCatalog::new(config)))
                }
                _ => None,
            }
        }
        "bigquery" => {
            let credentials = match (
                secret(&a.credentials_env, "credentials_env")?,
                secret(&a.token_env, "token_env")?,
            ) {
                (Some(key), _) => Some(BigQueryCredentials::ServiceAccountKey(key)),
                (None, Some(token)) => Some(BigQueryCredentials::AccessToken(token)),
                (None, None) => None,
            };
            match (&a.project, credentials) {
                (Some(project), Some(credentials)) => {
                    let region = a
                        .location
                        .clone()
                        .unwrap_or_else(|| "us".into())
                        .to_lowercase();
                    let config = BigQueryCatalogConfig::new(
                        vec![project.clone()],
                        vec![region],
                        credentials,
                    );
                    Some(Arc::new(BigQueryCatalog::new(config)))
                }
                _ => None,
            }
        }
        "databricks" => {
            let (token, client_secret) = (
                secret(&a.token_env, "token_env")?,
                secret(&a.client_secret_env, "client_secret_env")?,
            );
            match &a.host {
                Some(host) if token.is_some() || client_secret.is_some() => {
                    let auth = crate::credentials::databricks_auth(
                        host,
                        token,
                        a.client_id.as_deref(),
                        client_secret,
                    )
                    .map_err(|e| Misconfigured(format!("{e:#}")))?;
                    Some(Arc::new(DatabricksCatalog::new(
                        DatabricksCatalogConfig::new(host.clone(), auth),
                    )))
                }
                _ => None,
            }
        }
        _ => None,
    })
}

fn dbt_source(name: &str, d: RawDbt, base: &Path) -> Result<DbtSource> {
    let at = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let mut paths = match (d.target_dir, d.manifest) {
        (Some(dir), None) => ArtifactPaths::from_target_dir(&at(dir)),
        (None, Some(manifest)) => ArtifactPaths {
            manifest: at(manifest),
            ..ArtifactPaths::default()
        },
        (Some(_), Some(_)) => bail!("connection {name:?}: [dbt] has both target_dir and manifest: use one"),
        (None, None) => bail!("connection {name:?}: [dbt] needs target_dir, or manifest with optional catalog, run_results and sources"),
    };
    if let Some(catalog) = d.catalog {
        paths.catalog = Some(at(catalog));
    }
    if !d.run_results.is_empty() {
        paths.run_results = d.run_results.into_iter().map(at).collect();
    }
    if let Some(sources) = d.sources {
        paths.sources = Some(at(sources));
    }
    Ok(DbtSource::Local(paths))
}

/// dbt Cloud checks for a new docs run this often by default: four small API calls.
const CLOUD_REFRESH_SECONDS: u64 = 600;

fn cloud_source(name: &str, raw: RawDbtCloud, base: &Path) -> Result<CloudSource> {
    let access_url = raw
        .access_url
        .unwrap_or_else(|| "https://cloud.getdbt.com".into());
    let label = format!(
        "dbt Cloud {access_url}, account {}, project {}{}",
        raw.account_id,
        raw.project_id,
        raw.job_id.map(|j| format!(", job {j}")).unwrap_or_default()
    );
    let client = match Secret::from_env(&raw.token_env) {
        Ok(token) => {
            let mut config = CloudConfig::new(access_url, raw.account_id, raw.project_id, token);
            config.job_id = raw.job_id;
            let client = CloudClient::new(config)
                .with_context(|| format!("connection {name:?}: [connections.dbt_cloud]"))?;
            Ok(Arc::new(client))
        }
        Err(missing) => Err(missing.with_hint(
            "create a dbt Cloud service token with the Metadata Only and Job Admin permissions and export it",
        )),
    };
    let dir = match raw.artifacts_dir {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => base.join(dir),
        None => base
            .join(".downstream")
            .join("dbt-cloud")
            .join(file_name(name)),
    };
    Ok(CloudSource {
        client,
        dir,
        label,
        refresh_seconds: raw.refresh_seconds.unwrap_or(CLOUD_REFRESH_SECONDS).max(60),
    })
}

/// A connection name as a folder name.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A relative SQLite path is relative to the config file, like every other path in it.
fn relative_store(location: &str, base: &Path) -> String {
    if location.contains(':') || Path::new(location).is_absolute() || base.as_os_str().is_empty() {
        location.to_string()
    } else {
        base.join(location).display().to_string()
    }
}

/// pg_stat_statements merges executions (and texts that differ only in comments) into
/// counters: beside a source that sees each execution (the server's log, an export) it would
/// count the same runs again, so it then adds only which cells read which tables.
fn count_runs_once(connection: &mut [HistoryTarget], aggregate: &[usize], first: usize) {
    let per_execution = connection
        .iter()
        .enumerate()
        .find(|(i, _)| !aggregate.contains(&(first + i)))
        .map(|(_, t)| t.environment.clone());
    let Some(counter) = per_execution else {
        return;
    };
    for &i in aggregate {
        connection[i - first].runs_counted_by = Some(counter.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_key_or_section_gets_the_closest_known_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("downstream.toml");
        std::fs::write(&path, "[server]\nbind = \"127.0.0.1:1\"\n\n[conections]\n").unwrap();
        let error = format!("{:#}", Config::load(&path, true).unwrap_err());
        assert!(error.contains("downstream.toml"), "{error}");
        assert!(error.contains("line 4"), "{error}");
        assert!(error.contains("did you mean `connections`?"), "{error}");
        assert_eq!(
            closest_key_hint(
                "unknown field `refresh_secnds`, expected `bind` or `refresh_seconds`"
            ),
            "help: did you mean `refresh_seconds`?\n"
        );
        // Nothing close: no guess.
        assert_eq!(
            closest_key_hint("unknown field `colour`, expected `bind`"),
            ""
        );
        assert_eq!(edit_distance("acount", "account"), 1);
    }

    #[test]
    fn the_example_config_is_valid() {
        let raw: RawConfig = toml::from_str(EXAMPLE).unwrap();
        let config = resolve(raw, Path::new("/etc/downstream")).unwrap();
        assert_eq!(config.store, "/etc/downstream/downstream.sqlite");
        assert!(config.bind.ip().is_loopback());
        let Some(DbtSource::Local(paths)) = config.targets[0].dbt.as_ref() else {
            panic!("the example reads local artifacts");
        };
        assert_eq!(
            paths.manifest,
            Path::new("/etc/downstream/../jaffle_analytics/target/manifest.json")
        );
    }

    #[test]
    fn pg_stat_statements_beside_the_log_adds_no_runs() {
        let raw: RawConfig = toml::from_str(
            "[[connections]]\nname = \"pg\"\nkind = \"postgres\"\n\
             [[connections.history]]\nname = \"stats\"\nkind = \"postgres_statements\"\nurl_env = \"NO_SUCH_VAR_FOR_TEST\"\n\
             [[connections.history]]\nname = \"log\"\nkind = \"postgres_log\"\npath = \"/var/log/postgresql\"\n",
        )
        .unwrap();
        let config = resolve(raw, Path::new("/etc")).unwrap();
        let by = |name: &str| {
            let target = config
                .history
                .iter()
                .find(|h| h.environment == name)
                .unwrap();
            target.runs_counted_by.clone()
        };
        assert_eq!(by("stats").as_deref(), Some("log"));
        assert_eq!(by("log"), None);
    }

    #[test]
    fn mistakes_name_the_field() {
        let err = toml::from_str::<RawConfig>(
            "[[connections]]\nname = \"a\"\nkind = \"postgres\"\ndatabse = \"x\"",
        )
        .unwrap_err();
        assert!(err.to_string().contains("databse"), "{err}");
        let raw: RawConfig =
            toml::from_str("[[connections]]\nname = \"a\"\nkind = \"oracle\"").unwrap();
        let err = resolve(raw, Path::new("")).unwrap_err();
        assert!(format!("{err:#}").contains("oracle"), "{err:#}");
        let raw: RawConfig = toml::from_str("[server]\nbind = \"everywhere\"").unwrap();
        assert!(format!("{:#}", resolve(raw, Path::new("")).unwrap_err()).contains("bind"));
    }
}
