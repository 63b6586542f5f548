//! Access control for a shared deployment: logins, API tokens, a trusted proxy header, roles,
//! and state changes only from this site.

use crate::demo_app;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use model::Secret;
use server::auth::{Auth, Credential, Role};
use server::AppState;
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN_PASSWORD: &str = "correct horse battery";
const VIEWER_TOKEN: &str = "viewer-token-0123456789";

async fn guarded() -> (AppState, tempfile::TempDir) {
    let (mut state, dir) = demo_app().await;
    state.auth = Some(Arc::new(Auth {
        users: vec![Credential {
            name: "ana".into(),
            role: Role::Admin,
            secret: Secret::new(ADMIN_PASSWORD),
        }],
        tokens: vec![Credential {
            name: "ci".into(),
            role: Role::Viewer,
            secret: Secret::new(VIEWER_TOKEN),
        }],
        trusted_header: Some("x-forwarded-user".into()),
        header_admins: vec!["root".into()],
        secure_cookie: false,
        session_hours: 1,
    }));
    (state, dir)
}

struct Answer {
    status: StatusCode,
    location: String,
    cookie: String,
    body: String,
}

async fn send(state: &AppState, req: Request<Body>) -> Answer {
    let res = server::app(state.clone()).oneshot(req).await.unwrap();
    let header = |name| {
        res.headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (location, cookie) = (header(header::LOCATION), header(header::SET_COOKIE));
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        location,
        cookie,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::get(uri)
}

fn login(user: &str, password: &str, next: &str) -> Request<Body> {
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(format!(
            "user={user}&password={password}&next={next}"
        )))
        .unwrap()
}

#[tokio::test]
async fn pages_send_strangers_to_the_login_and_the_api_answers_401() {
    let (state, _dir) = guarded().await;
    let page = send(
        &state,
        get("/connections/jaffle_warehouse?x=1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location,
        "/login?next=%2Fconnections%2Fjaffle_warehouse%3Fx%3D1"
    );
    let api = send(&state, get("/api/connections").body(Body::empty()).unwrap()).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert!(api.body.contains("Authorization: Bearer"), "{}", api.body);
    let wrong = send(
        &state,
        get("/api/connections")
            .header(header::AUTHORIZATION, "Bearer nope")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let login_page = send(&state, get("/login").body(Body::empty()).unwrap()).await;
    assert_eq!(
        login_page.status,
        StatusCode::OK,
        "the login page is public"
    );
    let css = send(&state, get("/assets/app.css").body(Body::empty()).unwrap()).await;
    assert_eq!(css.status, StatusCode::OK, "so are the assets it needs");
}

#[tokio::test]
async fn a_viewer_token_reads_but_may_not_refresh() {
    let (state, _dir) = guarded().await;
    let bearer = format!("Bearer {VIEWER_TOKEN}");
    let api = send(
        &state,
        get("/api/connections")
            .header(header::AUTHORIZATION, &bearer)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(api.body.contains("jaffle_warehouse"));
    let refresh = send(
        &state,
        Request::post("/connections/jaffle_warehouse/refresh")
            .header(header::AUTHORIZATION, &bearer)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(refresh.status, StatusCode::FORBIDDEN);
    assert!(refresh.body.contains("ci is a viewer"), "{}", refresh.body);
}

#[tokio::test]
async fn a_login_starts_a_session_that_a_logout_ends() {
    let (state, _dir) = guarded().await;
    let wrong = send(&state, login("ana", "guess", "/")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Unknown user or wrong password"));
    assert!(wrong.cookie.is_empty());

    let ok = send(
        &state,
        login("ana", "correct+horse+battery", "//evil.example/"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location, "/", "never off-site");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(ok.cookie.contains(flag), "{}", ok.cookie);
    }
    let session = ok.cookie.split(';').next().unwrap().to_string();
    let page = send(
        &state,
        get("/")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("jaffle_warehouse"));

    let out = send(
        &state,
        Request::post("/logout")
            .header(header::COOKIE, &session)
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = send(
        &state,
        get("/")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session is gone");
}

#[tokio::test]
async fn state_changes_come_only_from_this_site() {
    let (state, _dir) = guarded().await;
    let session = send(&state, login("ana", "correct+horse+battery", "/"))
        .await
        .cookie;
    let session = session.split(';').next().unwrap().to_string();
    let forged = send(
        &state,
        Request::post("/connections/jaffle_warehouse/refresh")
            .header(header::COOKIE, &session)
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let other_origin = send(
        &state,
        Request::post("/logout")
            .header(header::COOKIE, &session)
            .header(header::HOST, "downstream.internal")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(other_origin.status, StatusCode::FORBIDDEN);
    let cross_site_login = send(
        &state,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from(format!("user=ana&password={ADMIN_PASSWORD}")))
            .unwrap(),
    )
    .await;
    assert_eq!(
        cross_site_login.status,
        StatusCode::FORBIDDEN,
        "no login CSRF either"
    );
}

#[tokio::test]
async fn a_trusted_proxy_header_names_the_user_and_the_admins() {
    let (state, _dir) = guarded().await;
    let viewer = send(
        &state,
        Request::post("/connections/jaffle_warehouse/refresh")
            .header("x-forwarded-user", "bo")
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    let page = send(
        &state,
        get("/")
            .header("x-forwarded-user", "bo")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let admin = send(
        &state,
        Request::post("/connections/jaffle_warehouse/refresh")
            .header("x-forwarded-user", "root")
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    // Admins pass the guard; this state has no sources to refresh, which the handler says.
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert!(
        admin.body.contains("without sources to refresh"),
        "{}",
        admin.body
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_anything_reads_it() {
    let (state, _dir) = guarded().await;
    let huge = format!("user=ana&password={}", "x".repeat(100_000));
    let res = send(
        &state,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(huge))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
}
