//! Who may see and change what, for shared deployments.
//!
//! Three ways in, checked in this order: an API token (`Authorization: Bearer …`), a trusted
//! reverse proxy's user header, a login session (cookie). Viewers read; admins also run
//! refreshes. Without an [`Auth`], the server is single-user on loopback and everyone is admin.
//!
//! Every state-changing request must come from this site's own pages (the browser's
//! `Sec-Fetch-Site`, else `Origin`), and the session cookie is `SameSite=Strict` and
//! `HttpOnly`: another site can neither post with a visitor's session nor read it. Requests
//! with an API token carry no cookie and are exempt.

use crate::{format, AppError, AppState};
use askama::Template;
use axum::extract::{Form, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use model::Secret;
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;

/// The session cookie's name.
const COOKIE: &str = "downstream_session";

/// What someone may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read pages and the API.
    Viewer,
    /// Also run refreshes.
    Admin,
}

impl Role {
    /// `viewer` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }

    /// Parses `viewer` or `admin`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A user with a password, or an API token, and its role.
#[derive(Clone, Debug)]
pub struct Credential {
    /// The user's or the token's name (logs and pages show this, never the secret).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The password or token.
    pub secret: Secret,
}

/// How requests are authenticated.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    /// Users who log in with a password.
    pub users: Vec<Credential>,
    /// API tokens.
    pub tokens: Vec<Credential>,
    /// A header a trusted reverse proxy sets to the signed-in user's name.
    pub trusted_header: Option<String>,
    /// Users of the trusted header who are admins; the others are viewers.
    pub header_admins: Vec<String>,
    /// Mark the cookie `Secure` (when the server is reached over HTTPS).
    pub secure_cookie: bool,
    /// How long a login lasts.
    pub session_hours: u32,
}

/// The signed-in user of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Who {
    /// Their name.
    pub name: String,
    /// What they may do.
    pub role: Role,
}

/// Checks every request: who it is from, whether that may do it, and that a state change
/// comes from this site.
pub(crate) async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let bearer = bearer(req.headers());
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && bearer.is_none() && !same_origin(req.headers()) {
        return AppError::Forbidden("state changes only from this site's own pages".into())
            .into_response();
    }
    let Some(auth) = s.auth.as_deref() else {
        req.extensions_mut().insert(local_admin());
        return next.run(req).await;
    };
    if path == "/login" || path.starts_with("/assets/") {
        return next.run(req).await;
    }
    let who = match identify(&s, auth, req.headers(), bearer.as_deref()).await {
        Ok(Some(who)) => who,
        Ok(None) => return unauthenticated(&path, req.uri().query(), bearer.is_some()),
        Err(e) => return e.into_response(),
    };
    if needs_admin(req.method(), &path) && who.role != Role::Admin {
        return AppError::Forbidden(format!("{} is a viewer: only admins may do this", who.name))
            .into_response();
    }
    req.extensions_mut().insert(who);
    next.run(req).await
}

fn local_admin() -> Who {
    Who {
        name: "local".into(),
        role: Role::Admin,
    }
}

/// Refreshes and anything else that changes state, except logging out.
fn needs_admin(method: &Method, path: &str) -> bool {
    *method != Method::GET && *method != Method::HEAD && path != "/logout"
}

async fn identify(
    s: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    bearer: Option<&str>,
) -> Result<Option<Who>, AppError> {
    if let Some(token) = bearer {
        return Ok(matching(&auth.tokens, None, token));
    }
    if let Some(name) = auth
        .trusted_header
        .as_deref()
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    {
        let role = match auth.header_admins.iter().any(|a| a == name) {
            true => Role::Admin,
            false => Role::Viewer,
        };
        return Ok(Some(Who {
            name: name.to_string(),
            role,
        }));
    }
    let Some(token) = cookie(headers, COOKIE) else {
        return Ok(None);
    };
    let session = s.store.session(&hash(&token)).await?;
    Ok(session.and_then(|r| {
        Some(Who {
            name: r.user,
            role: Role::parse(&r.role)?,
        })
    }))
}

/// The credential whose (name, if given, and) secret match, compared in constant time.
fn matching(list: &[Credential], name: Option<&str>, secret: &str) -> Option<Who> {
    let offered = digest(&SHA256, secret.as_bytes());
    list.iter()
        .filter(|c| name.is_none_or(|n| n == c.name))
        .find(|c| {
            let expected = digest(&SHA256, c.secret.expose().as_bytes());
            // Equal-length digests compared without an early exit.
            expected
                .as_ref()
                .iter()
                .zip(offered.as_ref())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
        .map(|c| Who {
            name: c.name.clone(),
            role: c.role,
        })
}

fn unauthenticated(path: &str, query: Option<&str>, had_token: bool) -> Response {
    if path.starts_with("/api/") {
        let message = match had_token {
            true => "the API token is not valid",
            false => "log in, or send Authorization: Bearer <token>",
        };
        let body = serde_json::json!({ "error": message });
        let mut res = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"downstream\""),
        );
        return res;
    }
    let back = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    Redirect::to(&format!("/login?next={}", format::query_escape(&back))).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// Whether a state-changing request comes from this site's own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        return site == "same-origin";
    }
    match (value(header::ORIGIN.as_str()), value(header::HOST.as_str())) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host),
        // Without either header the origin is unknown: API clients send a token instead.
        _ => false,
    }
}

fn hash(token: &str) -> String {
    digest(&SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AppError::Forbidden("no randomness for a session token".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Only paths of this site, so the login cannot send anyone elsewhere.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

/// `/login`.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    next: String,
    error: Option<String>,
}

/// `?next=`.
#[derive(Deserialize)]
pub(crate) struct Next_ {
    next: Option<String>,
}

pub(crate) async fn login_page(Query(q): Query<Next_>) -> Result<Html<String>, AppError> {
    let page = LoginPage {
        next: local_path(q.next.as_deref()),
        error: None,
    };
    Ok(Html(page.render()?))
}

/// The login form.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    user: String,
    password: String,
    next: Option<String>,
}

pub(crate) async fn login(
    State(s): State<AppState>,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = local_path(form.next.as_deref());
    let Some(auth) = s.auth.as_deref() else {
        return Ok(Redirect::to(&next).into_response());
    };
    let Some(who) = matching(&auth.users, Some(&form.user), &form.password) else {
        tracing::warn!(user = %form.user, "failed login");
        let page = LoginPage {
            next,
            error: Some("Unknown user or wrong password.".into()),
        };
        return Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
    let token = new_token()?;
    let hours = i64::from(auth.session_hours.max(1));
    let expires = chrono::Utc::now() + chrono::Duration::hours(hours);
    let record = store::SessionRecord {
        user: who.name.clone(),
        role: who.role.as_str().into(),
    };
    s.store
        .create_session(&hash(&token), &record, &model::stamp(expires))
        .await?;
    tracing::info!(user = %who.name, "logged in");
    let secure = if auth.secure_cookie { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        hours * 3600
    );
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| AppError::BadRequest("bad cookie".into()))?,
    );
    Ok(res)
}

pub(crate) async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = cookie(&headers, COOKIE) {
        s.store.delete_session(&hash(&token)).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "downstream_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_only_send_people_to_this_site() {
        assert_eq!(
            local_path(Some("/connections/wh?x=1")),
            "/connections/wh?x=1"
        );
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn secrets_match_by_name_and_value_only() {
        let users = vec![Credential {
            name: "ana".into(),
            role: Role::Admin,
            secret: Secret::new("correct horse"),
        }];
        assert_eq!(
            matching(&users, Some("ana"), "correct horse").map(|w| w.role),
            Some(Role::Admin)
        );
        assert_eq!(matching(&users, Some("ana"), "correct hors"), None);
        assert_eq!(matching(&users, Some("bo"), "correct horse"), None);
    }
}
