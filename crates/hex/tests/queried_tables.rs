use crate::mock::{assert_bearer, client, hex_error, page, Mock};
use hex::{HexError, QueriedTable, QueriedTables};
use pretty_assertions::assert_eq;
use serde_json::json;

#[tokio::test]
async fn queried_tables_over_two_pages() {
    let mock = Mock::start(vec![
        page(
            json!([{"dataConnectionId": "conn-1", "dataConnectionName": "Prod Snowflake",
                    "tableName": "ANALYTICS.MARTS.\"Revenue\""}]),
            Some("t-2"),
        ),
        page(
            json!([{"dataConnectionId": "conn-2", "dataConnectionName": null, "tableName": "orders"}]),
            None,
        ),
    ])
    .await;
    let tables = client(&mock, 1)
        .queried_tables("proj-1")
        .await
        .expect("tables");
    let expected = QueriedTables::Tables(vec![
        QueriedTable {
            data_connection_id: "conn-1".into(),
            data_connection_name: "Prod Snowflake".into(),
            table_name: "ANALYTICS.MARTS.\"Revenue\"".into(),
        },
        QueriedTable {
            data_connection_id: "conn-2".into(),
            data_connection_name: String::new(),
            table_name: "orders".into(),
        },
    ]);
    assert_eq!(tables, expected);
    let seen = mock.seen();
    assert_eq!(
        mock.calls(),
        ["GET /api/v1/projects/proj-1/queriedTables"; 2]
    );
    assert_bearer(&seen);
    assert_eq!(seen[0].param("limit").as_deref(), Some("100"));
    assert_eq!(seen[1].param("after").as_deref(), Some("t-2"));
}

#[tokio::test]
async fn forbidden_means_unavailable_not_an_error() {
    let details = "This feature requires an Enterprise plan";
    let mock = Mock::start(vec![hex_error(403, details)]).await;
    let tables = client(&mock, 3)
        .queried_tables("proj-1")
        .await
        .expect("a 403 is an answer");
    let QueriedTables::Unavailable(message) = tables else {
        panic!("expected Unavailable, got {tables:?}");
    };
    let call = mock.call("GET /api/v1/projects/proj-1/queriedTables");
    assert!(message.starts_with(&call), "{message}");
    assert!(message.contains(details), "{message}");
    assert!(message.contains("Enterprise"), "{message}");
    assert!(message.contains("read project queried tables"), "{message}");
    assert!(message.contains("query history"), "{message}");
    assert_eq!(mock.seen().len(), 1, "403 is not retried");
}

#[tokio::test]
async fn other_failures_stay_errors() {
    let mock = Mock::start(vec![hex_error(401, "Invalid token")]).await;
    let error = client(&mock, 1).queried_tables("proj-1").await.unwrap_err();
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
