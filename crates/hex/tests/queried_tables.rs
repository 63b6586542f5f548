use crate::mock::{
    assert_bearer, client, hex_error, hex_error_details, hex_mock, queried_page, uuid, Mock,
};
use hex::{HexError, QueriedTable, QueriedTables};
use pretty_assertions::assert_eq;
use serde_json::json;

fn path(project: &str) -> String {
    format!("GET /api/v1/projects/{project}/queriedTables")
}

#[tokio::test]
async fn queried_tables_over_two_pages() {
    let (project, one, two) = (uuid(1), uuid(8), uuid(9));
    let mock = hex_mock(vec![
        queried_page(
            json!([{"dataConnectionId": one, "dataConnectionName": "Prod Snowflake",
                    "tableName": "ANALYTICS.MARTS.\"Revenue\""}]),
            Some("t-2"),
        ),
        queried_page(
            json!([{"dataConnectionId": two, "dataConnectionName": "Postgres", "tableName": "orders"}]),
            None,
        ),
    ])
    .await;
    let tables = client(&mock, 1)
        .queried_tables(&project)
        .await
        .expect("tables");
    let expected = QueriedTables::Tables(vec![
        QueriedTable {
            data_connection_id: one,
            data_connection_name: "Prod Snowflake".into(),
            table_name: "ANALYTICS.MARTS.\"Revenue\"".into(),
        },
        QueriedTable {
            data_connection_id: two,
            data_connection_name: "Postgres".into(),
            table_name: "orders".into(),
        },
    ]);
    assert_eq!(tables, expected);
    let seen = mock.seen();
    assert_eq!(mock.calls(), [path(&project), path(&project)]);
    assert_bearer(&seen);
    assert_eq!(seen[0].param("limit").as_deref(), Some("100"));
    assert_eq!(seen[1].param("after").as_deref(), Some("t-2"));
}

#[tokio::test]
async fn forbidden_means_unavailable_not_an_error() {
    let details = "This feature requires an Enterprise plan";
    let project = uuid(1);
    let mock = hex_mock(vec![hex_error_details(403, "Forbidden", details)]).await;
    let tables = client(&mock, 3)
        .queried_tables(&project)
        .await
        .expect("a 403 is an answer");
    let QueriedTables::Unavailable(message) = tables else {
        panic!("expected Unavailable, got {tables:?}");
    };
    assert!(
        message.starts_with(&mock.call(&path(&project))),
        "{message}"
    );
    assert!(message.contains(details), "{message}");
    assert!(message.contains("Enterprise"), "{message}");
    assert!(message.contains("Read project queried tables"), "{message}");
    assert!(message.contains("query history"), "{message}");
    assert_eq!(mock.seen().len(), 1, "403 is not retried");
}

/// The document lists 404 and 422 for this call: each refuses one project, and says so.
#[tokio::test]
async fn not_found_and_unprocessable_refuse_one_project() {
    for (status, reason) in [
        (404, "Project not found"),
        (422, "Project has no published version"),
    ] {
        let project = uuid(status.into());
        let mock = hex_mock(vec![hex_error(status, reason)]).await;
        let tables = client(&mock, 3)
            .queried_tables(&project)
            .await
            .expect("an answer");
        let QueriedTables::Refused(message) = tables else {
            panic!("expected Refused, got {tables:?}");
        };
        assert!(message.contains(&format!("HTTP {status}")), "{message}");
        assert!(message.contains(reason), "{message}");
        assert_eq!(mock.seen().len(), 1, "{status} is not retried");
    }
}

#[tokio::test]
async fn other_failures_stay_errors() {
    // ListProjects and queriedTables list no 401 in Hex's document; the shape is its own.
    let mock = hex_mock(vec![hex_error(401, "Invalid token").off_spec(
        "Hex documents no 401 for this call; the error shape is the call's own",
    )])
    .await;
    let error = client(&mock, 1).queried_tables(&uuid(1)).await.unwrap_err();
    assert!(matches!(error, HexError::Unauthorized { .. }), "{error:?}");
}

#[tokio::test]
async fn a_project_id_that_could_change_the_path_is_not_sent() {
    let mock = Mock::start(vec![]).await;
    let error = client(&mock, 1)
        .queried_tables("../admin")
        .await
        .unwrap_err();
    assert!(matches!(error, HexError::Malformed { .. }), "{error:?}");
    assert!(
        error.to_string().contains("\"../admin\" is not an id"),
        "{error}"
    );
    assert!(mock.seen().is_empty());
}
