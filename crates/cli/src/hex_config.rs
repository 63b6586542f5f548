//! `[[hex]]`: Hex workspaces, and how each connection is recognised among Hex's data
//! connections.

use crate::config::WarehouseAccess;
use anyhow::{bail, Result};
use hex::{HexClient, HexConfig, Workspace};
use model::{Secret, WarehouseKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use sync::{ConnectionIdentity, HexAccess, HexTarget};

/// Cells are read again only after an edit, so an hourly round costs a few requests.
const REFRESH_SECONDS: u64 = 3_600;

/// queriedTables changes with published runs: read again daily, one request per project.
const QUERIED_TABLES_HOURS: u32 = 24;

/// One `[[hex]]` block as written.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHex {
    name: Option<String>,
    workspace_url: String,
    token_env: String,
    refresh_seconds: Option<u64>,
    queried_tables_hours: Option<u32>,
    requests_per_minute: Option<u32>,
    requests_per_hour: Option<u32>,
    #[serde(default)]
    connections: BTreeMap<String, String>,
}

/// Resolves a `[[hex]]` block; `ours` are the configured connections.
pub fn resolve(raw: RawHex, ours: &[ConnectionIdentity]) -> Result<HexTarget> {
    let location = Workspace::parse(&raw.workspace_url)
        .map_err(|e| anyhow::anyhow!("[[hex]] workspace_url: {e}"))?;
    let workspace = raw
        .name
        .clone()
        .unwrap_or_else(|| location.slug().to_string());
    for (hex_name, our) in &raw.connections {
        if !ours.iter().any(|c| &c.name == our) {
            bail!("[[hex]] {workspace:?}: connections.{hex_name:?} = {our:?} names no [[connections]] entry");
        }
    }
    let client = match Secret::from_env(&raw.token_env) {
        Ok(token) => {
            HexAccess::Ready(Arc::new(HexClient::new(config(&raw, location.clone(), token))))
        }
        Err(missing) => HexAccess::Missing(missing.with_hint(
            "create a workspace token under Settings → API keys in Hex (scopes Projects, Cells and Data connections: Read access, and \"Read project queried tables\" on Enterprise plans) and export it",
        )),
    };
    Ok(HexTarget {
        workspace,
        location,
        client,
        connections: ours.to_vec(),
        overrides: raw.connections,
        queried_tables_every: chrono::Duration::hours(i64::from(
            raw.queried_tables_hours
                .unwrap_or(QUERIED_TABLES_HOURS)
                .max(1),
        )),
        refresh: std::time::Duration::from_secs(
            raw.refresh_seconds.unwrap_or(REFRESH_SECONDS).max(60),
        ),
    })
}

/// Hex's own limits (30 a minute, 1,800 an hour), unless the workspace agreed on others.
fn config(raw: &RawHex, workspace: Workspace, token: Secret) -> HexConfig {
    let mut config = HexConfig::new(workspace, token);
    for window in &mut config.limits {
        let configured = match window.window.as_secs() {
            60 => raw.requests_per_minute,
            3_600 => raw.requests_per_hour,
            _ => None,
        };
        if let Some(limit) = configured {
            window.limit = limit;
        }
    }
    config
}

/// How Hex would describe the warehouse behind one of our connections.
pub fn identity(
    name: &str,
    kind: WarehouseKind,
    database: Option<&str>,
    schema: Option<&str>,
    access: Option<&WarehouseAccess>,
) -> ConnectionIdentity {
    let host = access.and_then(|a| {
        a.host
            .clone()
            .or_else(|| a.account.clone())
            .or_else(|| a.project.clone())
            .or_else(|| a.url_env.as_deref().and_then(host_from_url_env))
    });
    ConnectionIdentity {
        name: name.to_string(),
        kind,
        host,
        database: database.map(str::to_string),
        schema: schema.map(str::to_string),
    }
}

/// The host of a `postgres://user:password@host:port/db` URL held in `variable`; only the
/// host leaves this function, never the password.
fn host_from_url_env(variable: &str) -> Option<String> {
    let url = std::env::var(variable).ok()?;
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = host_port.split(':').next()?;
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_comes_out_of_a_url_without_the_password() {
        std::env::set_var(
            "DOWNSTREAM_TEST_HOST_URL",
            "postgres://u:s3cret@db.acme.io:5432/analytics",
        );
        assert_eq!(
            host_from_url_env("DOWNSTREAM_TEST_HOST_URL").as_deref(),
            Some("db.acme.io")
        );
        assert_eq!(host_from_url_env("DOWNSTREAM_TEST_NOT_SET"), None);
    }

    #[test]
    fn a_missing_token_is_reported_at_sync_not_at_start() {
        let raw: RawHex = toml::from_str(
            "workspace_url = \"https://app.hex.tech/acme/\"\ntoken_env = \"DOWNSTREAM_TEST_NO_HEX_TOKEN\"",
        )
        .unwrap();
        let target = resolve(raw, &[]).unwrap();
        assert_eq!(target.workspace, "acme");
        assert_eq!(target.refresh.as_secs(), 3_600);
        let HexAccess::Missing(model::Misconfigured(message)) = target.client else {
            panic!("a client without a token");
        };
        assert!(
            message.starts_with("$DOWNSTREAM_TEST_NO_HEX_TOKEN is not set"),
            "{message}"
        );
    }

    #[test]
    fn configured_limits_replace_hex_defaults_one_window_at_a_time() {
        let raw: RawHex = toml::from_str(
            "workspace_url = \"https://app.hex.tech/acme/\"\ntoken_env = \"T\"\nrequests_per_minute = 10",
        )
        .unwrap();
        let workspace = Workspace::parse(&raw.workspace_url).unwrap();
        let limits: Vec<(u32, u64)> = config(&raw, workspace, Secret::new("t"))
            .limits
            .iter()
            .map(|w| (w.limit, w.window.as_secs()))
            .collect();
        assert_eq!(limits, [(10, 60), (1_800, 3_600)]);
    }

    #[test]
    fn an_override_must_name_a_connection() {
        let raw: RawHex = toml::from_str(
            "workspace_url = \"https://app.hex.tech/acme/\"\ntoken_env = \"T\"\n[connections]\n\"Prod\" = \"nope\"",
        )
        .unwrap();
        let error = resolve(raw, &[]).err().unwrap().to_string();
        assert!(
            error.contains("\"nope\" names no [[connections]] entry"),
            "{error}"
        );
    }
}
