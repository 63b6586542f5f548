use crate::mock::{
    assert_no_token, cell, cells_error, client, hex_error, hex_error_details, hex_mock, page,
    project, uuid, Mock, Reply,
};
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
    let mock = hex_mock(replies).await;
    let error = call(client(&mock, attempts))
        .await
        .expect_err("the call should fail");
    assert_no_token(&error);
    (mock, error)
}

#[tokio::test]
async fn unauthorized_says_to_create_a_token() {
    // Hex documents no 401 for ListProjects; it is sent in the call's own error shape.
    let replies = vec![hex_error(401, "Invalid or expired token")
        .off_spec("ListProjects lists no 401 in Hex's document")];
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

/// Each call names the scope of its own (Hex's API key dialog: Projects, Cells, Data
/// connections: Read access), read from the error shape that call documents.
#[tokio::test]
async fn forbidden_names_the_scope_each_call_needs() {
    let (mock, projects) = failing(
        vec![hex_error_details(
            403,
            "Forbidden",
            "Token lacks the required scope",
        )],
        3,
        |c| async move { c.projects().await },
    )
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
        text.contains("403 Forbidden: Forbidden: Token lacks the required scope"),
        "{text}"
    );
    assert!(text.contains("Projects: Read access"), "{text}");
    assert_eq!(mock.seen().len(), 1, "403 is not retried");

    let (_, cells) = failing(
        vec![cells_error(403, "FORBIDDEN", "Insufficient access")],
        1,
        |c| async move { c.cells(&uuid(1)).await },
    )
    .await;
    let text = cells.to_string();
    assert!(
        text.contains("403 Forbidden: Insufficient access"),
        "{text}"
    );
    assert!(text.contains("Cells: Read access"), "{text}");

    let (_, connections) = failing(vec![hex_error(403, "Forbidden")], 1, |c| async move {
        c.data_connections().await
    })
    .await;
    let text = connections.to_string();
    assert!(text.contains("Data connections: Read access"), "{text}");
}

#[tokio::test]
async fn a_server_error_is_retried() {
    let mock = hex_mock(vec![
        hex_error(500, "Internal error").off_spec("ListProjects lists no 500; servers fail anyway"),
        page(json!([project(&uuid(1), "One")]), None),
    ])
    .await;
    let projects = client(&mock, 3).projects().await.expect("retried");
    assert_eq!(projects.len(), 1);
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn other_statuses_come_back_verbatim_once_retries_run_out() {
    let gateway = || hex_error(502, "Bad gateway").off_spec("a proxy's answer, in no document");
    let replies = vec![gateway(), gateway()];
    let (mock, error) = failing(replies, 2, |c| async move { c.projects().await }).await;
    assert!(
        matches!(error, HexError::Http { status: 502, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("HTTP 502"), "{error}");
    assert_eq!(mock.seen().len(), 2);

    let (_, error) = failing(
        vec![cells_error(404, "NOT_FOUND", "Project not found")],
        3,
        |c| async move { c.cells(&uuid(404)).await },
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
    // Hex documents its limits in prose (30 a minute, 1,800 an hour) but no 429 answer, nor
    // whether it sends Retry-After: honoured when present, backed off from when not.
    let mock = hex_mock(vec![
        hex_error(429, "Rate limit exceeded")
            .header("retry-after", "1")
            .off_spec("no 429 answer in Hex's document"),
        page(json!([project(&uuid(1), "One")]), None),
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
        let reply = reply.off_spec("a broken body on purpose");
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
    let project = uuid(1);
    let replies = vec![
        page(json!([cell("c1", "SQL", &project)]), Some("page-2")),
        Reply::raw(200, r#"{"values": ["#).off_spec("truncated on purpose"),
    ];
    let (_, error) = failing(replies, 1, |c| async move { c.cells(&project).await }).await;
    let text = error.to_string();
    assert!(text.contains("after=page-2"), "{text}");
    assert!(text.contains("truncated JSON"), "{text}");
}

#[tokio::test]
async fn a_cursor_that_repeats_stops_the_listing() {
    let replies = vec![
        page(json!([project(&uuid(1), "One")]), Some("same")),
        page(json!([project(&uuid(2), "Two")]), Some("same")),
    ];
    let (mock, error) = failing(replies, 1, |c| async move { c.projects().await }).await;
    assert!(matches!(error, HexError::Malformed { .. }), "{error:?}");
    assert!(error.to_string().contains("\"same\" came back"), "{error}");
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn an_answer_that_never_comes_times_out() {
    let replies = vec![
        Reply::hang().off_spec("never answers"),
        Reply::hang().off_spec("never answers"),
    ];
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
