use crate::mock::{assert_no_token, client, hex_error, page, Mock, Reply};
use hex::{HexClient, HexError};
use serde_json::json;
use std::time::{Duration, Instant};

/// Runs `call` against a mock serving `replies` and returns the error it must end in, after
/// checking that the error does not show the token.
async fn failing<F, Fut, T>(replies: Vec<Reply>, attempts: u32, call: F) -> (Mock, HexError)
where
    F: FnOnce(HexClient) -> Fut,
    Fut: std::future::Future<Output = Result<T, HexError>>,
    T: std::fmt::Debug,
{
    let mock = Mock::start(replies).await;
    let error = call(client(&mock, attempts))
        .await
        .expect_err("the call should fail");
    assert_no_token(&error);
    (mock, error)
}

#[tokio::test]
async fn unauthorized_says_to_create_a_token() {
    let replies = vec![hex_error(401, "Invalid or expired token")];
    let (mock, error) = failing(replies, 3, |c| async move { c.projects().await }).await;
    assert!(matches!(error, HexError::Unauthorized { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&mock.call("GET /api/v1/projects")),
        "{text}"
    );
    assert!(
        text.contains("401 Unauthorized: Invalid or expired token"),
        "{text}"
    );
    assert!(
        text.contains(
            "the workspace token is invalid or expired: create one under Settings → API keys in Hex"
        ),
        "{text}"
    );
    assert_eq!(mock.seen().len(), 1, "401 is not retried");
}

#[tokio::test]
async fn forbidden_names_the_scope_each_call_needs() {
    let details = "Token lacks the required scope";
    let (mock, projects) = failing(vec![hex_error(403, details)], 3, |c| async move {
        c.projects().await
    })
    .await;
    assert!(
        matches!(projects, HexError::Forbidden { .. }),
        "{projects:?}"
    );
    let text = projects.to_string();
    assert!(
        text.starts_with(&mock.call("GET /api/v1/projects")),
        "{text}"
    );
    assert!(
        text.contains(&format!("403 Forbidden: {details}")),
        "{text}"
    );
    assert!(text.contains("read access to projects"), "{text}");
    assert_eq!(mock.seen().len(), 1, "403 is not retried");

    let (_, cells) = failing(vec![hex_error(403, details)], 1, |c| async move {
        c.cells("proj-1").await
    })
    .await;
    assert!(
        cells.to_string().contains("read access to projects"),
        "{cells}"
    );

    let (_, connections) = failing(vec![hex_error(403, details)], 1, |c| async move {
        c.data_connections().await
    })
    .await;
    let text = connections.to_string();
    assert!(text.contains("read data connections"), "{text}");
}

#[tokio::test]
async fn a_server_error_is_retried() {
    let mock = Mock::start(vec![
        hex_error(500, "Internal error"),
        page(json!([{"id": "p1", "title": "One"}]), None),
    ])
    .await;
    let projects = client(&mock, 3).projects().await.expect("retried");
    assert_eq!(projects.len(), 1);
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn other_statuses_come_back_verbatim_once_retries_run_out() {
    let replies = vec![hex_error(502, "Bad gateway"), hex_error(502, "Bad gateway")];
    let (mock, error) = failing(replies, 2, |c| async move { c.projects().await }).await;
    assert!(
        matches!(error, HexError::Http { status: 502, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("HTTP 502"), "{error}");
    assert_eq!(mock.seen().len(), 2);

    let (_, error) = failing(
        vec![hex_error(404, "Project not found")],
        3,
        |c| async move { c.cells("gone").await },
    )
    .await;
    let text = error.to_string();
    assert!(
        text.contains("HTTP 404") && text.contains("Project not found"),
        "{text}"
    );
}

#[tokio::test]
async fn too_many_requests_waits_as_long_as_hex_asks() {
    let mock = Mock::start(vec![
        hex_error(429, "Rate limit exceeded").header("retry-after", "1"),
        page(json!([{"id": "p1", "title": "One"}]), None),
    ])
    .await;
    let started = Instant::now();
    let projects = client(&mock, 3).projects().await.expect("after waiting");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(projects.len(), 1);
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(1));
}

#[tokio::test]
async fn bodies_not_in_the_documented_shape_are_malformed() {
    let cases = [
        (
            Reply::raw(200, "<html>Hex is down for maintenance</html>"),
            "not JSON",
        ),
        (
            Reply::raw(200, r#"{"values": [{"id": "p1", "title": "On"#),
            "truncated JSON",
        ),
        (
            Reply::json(200, json!({"values": {"id": "p1"}})),
            "documented shape",
        ),
        (
            Reply::json(200, json!({"values": [{"id": 42}]})),
            "documented shape",
        ),
        (
            Reply::json(200, json!({"projects": []})),
            "missing field `values`",
        ),
    ];
    for (reply, expected) in cases {
        let (mock, error) = failing(vec![reply], 3, |c| async move { c.projects().await }).await;
        assert!(matches!(error, HexError::Malformed { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.starts_with(&mock.call("GET /api/v1/projects")),
            "{text}"
        );
        assert!(text.contains(expected), "{text}");
        assert_eq!(mock.seen().len(), 1, "a bad body is not retried: {text}");
    }
}

#[tokio::test]
async fn a_bad_second_page_names_its_cursor() {
    let replies = vec![
        page(json!([{"id": "c1"}]), Some("page-2")),
        Reply::raw(200, r#"{"values": ["#),
    ];
    let (_, error) = failing(replies, 1, |c| async move { c.cells("proj-1").await }).await;
    let text = error.to_string();
    assert!(text.contains("after=page-2"), "{text}");
    assert!(text.contains("truncated JSON"), "{text}");
}

#[tokio::test]
async fn a_cursor_that_repeats_stops_the_listing() {
    let replies = vec![
        page(json!([{"id": "p1"}]), Some("same")),
        page(json!([{"id": "p2"}]), Some("same")),
    ];
    let (mock, error) = failing(replies, 1, |c| async move { c.projects().await }).await;
    assert!(matches!(error, HexError::Malformed { .. }), "{error:?}");
    assert!(error.to_string().contains("\"same\" came back"), "{error}");
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn an_answer_that_never_comes_times_out() {
    let replies = vec![Reply::hang(), Reply::hang()];
    let (mock, error) = failing(replies, 2, |c| async move { c.data_connections().await }).await;
    assert!(matches!(error, HexError::Timeout { .. }), "{error:?}");
    assert!(error
        .to_string()
        .starts_with(&mock.call("GET /api/v1/data-connections")));
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn config_and_client_do_not_show_the_token() {
    let mock = Mock::start(vec![]).await;
    let client = client(&mock, 1);
    let text = format!("{client:?}");
    assert!(!text.contains(crate::mock::TOKEN), "{text}");
    assert!(text.contains("acme"), "{text}");
}
