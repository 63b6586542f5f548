//! Databricks sign-in: a personal access token as it is, or a service principal's OAuth
//! machine-to-machine credentials, exchanged for access tokens that are renewed before they
//! expire (they last one hour).
//!
//! The exchange is `POST {workspace}/oidc/v1/token` with HTTP Basic `client_id:client_secret`
//! and `grant_type=client_credentials&scope=all-apis`; the answer is `{access_token,
//! token_type, expires_in}` (<https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html>).

use crate::{HttpClient, Request, RestError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use model::Secret;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How calls to one workspace sign in.
#[derive(Clone, Debug)]
pub enum DatabricksAuth {
    /// A personal access token (or any bearer token made beforehand).
    Token(Secret),
    /// A service principal's OAuth client id and secret.
    OAuth(Arc<OAuthClient>),
}

impl DatabricksAuth {
    /// OAuth machine-to-machine sign-in for `client_id` on the workspace at `host`.
    pub fn oauth(host: &str, client_id: String, client_secret: Secret, http: HttpClient) -> Self {
        let credentials =
            Secret::new(STANDARD.encode(format!("{client_id}:{}", client_secret.expose())));
        DatabricksAuth::OAuth(Arc::new(OAuthClient {
            token_url: format!("{}/oidc/v1/token", host.trim_end_matches('/')),
            client_id,
            credentials,
            http,
            token: Mutex::new(None),
        }))
    }

    /// The bearer token for a call made now.
    pub async fn bearer(&self) -> Result<Secret, RestError> {
        match self {
            DatabricksAuth::Token(token) => Ok(token.clone()),
            DatabricksAuth::OAuth(client) => client.token().await,
        }
    }
}

/// Exchanges a service principal's credentials for access tokens and keeps the current one.
pub struct OAuthClient {
    token_url: String,
    client_id: String,
    /// base64 of `client_id:client_secret`.
    credentials: Secret,
    http: HttpClient,
    token: Mutex<Option<(Secret, Instant)>>,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

impl OAuthClient {
    async fn token(&self) -> Result<Secret, RestError> {
        let mut cached = self.token.lock().await;
        if let Some((token, renew_at)) = cached.as_ref() {
            if Instant::now() < *renew_at {
                return Ok(token.clone());
            }
        }
        let form = vec![
            ("grant_type", "client_credentials".to_string()),
            ("scope", "all-apis".to_string()),
        ];
        let request = Request::post_form(&self.token_url, form)
            .basic(&self.credentials)
            .grant("the service principal's OAuth secret was refused: check client_id and the secret, and that the principal is added to this workspace");
        let answer: TokenAnswer = self.http.send(&request).await?.body;
        // Renewed five minutes early, so a polled statement never carries an expired token.
        let lifetime = answer
            .expires_in
            .unwrap_or(3600)
            .saturating_sub(300)
            .max(60);
        let token = Secret::new(answer.access_token);
        *cached = Some((
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        ));
        Ok(token)
    }
}
