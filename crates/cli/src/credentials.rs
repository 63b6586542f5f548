//! How each warehouse API signs in, from what the config names: shared by query history and
//! the catalog, which read the same account.

use anyhow::{bail, Context, Result};
use model::{Misconfigured, Secret};
use rest::databricks::DatabricksAuth;
use rest::snowflake::{KeyPair, SnowflakeAuth, SnowflakeTokenType};
use rest::{HttpClient, HttpOptions};
use std::sync::Arc;

/// The secret in the variable a config field names; the error names the field and the
/// variable, the one shape every source reports a missing secret in.
pub fn named_secret(variable: &str, field: &str) -> Result<Secret, Misconfigured> {
    Secret::from_env(variable).map_err(|missing| Misconfigured(format!("{field}: {missing}")))
}

/// Snowflake: a key pair (`user` and `private_key_env`), signed here for every hour of a
/// long-running server, or a token as it is (`token_env`, with `token_type`
/// `PROGRAMMATIC_ACCESS_TOKEN` or `OAUTH`).
pub fn snowflake_auth(
    account: &str,
    user: Option<&str>,
    token: Option<Secret>,
    token_type: Option<&str>,
    private_key: Option<Secret>,
) -> Result<SnowflakeAuth> {
    if let Some(key) = private_key {
        let user = user.context(
            "user is required with private_key_env: the Snowflake user the key belongs to",
        )?;
        let pair = KeyPair::from_pem(account, user, &key).context("private_key_env")?;
        return Ok(SnowflakeAuth::KeyPair(Arc::new(pair)));
    }
    let kind = match token_type.unwrap_or("PROGRAMMATIC_ACCESS_TOKEN") {
        "PROGRAMMATIC_ACCESS_TOKEN" => SnowflakeTokenType::ProgrammaticAccessToken,
        "OAUTH" => SnowflakeTokenType::OAuth,
        "KEYPAIR_JWT" => bail!(
            "token_type = \"KEYPAIR_JWT\": a key-pair JWT expires within the hour, so downstream \
             signs its own: set user and private_key_env (the PEM private key) instead of token_env"
        ),
        other => bail!("token_type = {other:?}: expected PROGRAMMATIC_ACCESS_TOKEN or OAUTH"),
    };
    match token {
        Some(token) => Ok(SnowflakeAuth::Token { token, kind }),
        None => bail!(
            "set token_env (a programmatic access token or OAuth token), or user and \
             private_key_env (key-pair sign-in)"
        ),
    }
}

/// Databricks: a service principal's OAuth client (`client_id`, `client_secret_env`) whose
/// tokens renew themselves, or a personal access token (`token_env`).
pub fn databricks_auth(
    host: &str,
    token: Option<Secret>,
    client_id: Option<&str>,
    client_secret: Option<Secret>,
) -> Result<DatabricksAuth> {
    match (token, client_id, client_secret) {
        (_, Some(id), Some(secret)) => Ok(DatabricksAuth::oauth(
            host,
            id.to_string(),
            secret,
            HttpClient::new(HttpOptions::default()),
        )),
        (_, Some(_), None) => bail!("client_id needs client_secret_env: the variable holding the service principal's OAuth secret"),
        (_, None, Some(_)) => bail!("client_secret_env needs client_id: the service principal's application id"),
        (Some(token), None, None) => Ok(DatabricksAuth::Token(token)),
        (None, None, None) => bail!(
            "set token_env (a personal access token), or client_id and client_secret_env (OAuth \
             machine-to-machine for a service principal)"
        ),
    }
}
