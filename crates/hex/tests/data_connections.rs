use crate::mock::{assert_bearer, client, connection, detailed_connection, hex_mock, page, uuid};
use hex::DataConnection;
use pretty_assertions::assert_eq;
use serde_json::json;
use std::collections::BTreeMap;

fn details(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The shapes ListDataConnections may answer (its `values` are either form): with details,
/// keyed by type as `ReadableConnectionDetails` has them, and without.
#[tokio::test]
async fn data_connections_over_two_pages_in_both_forms() {
    let (snow, bq, pg) = (uuid(1), uuid(2), uuid(3));
    let snowflake = detailed_connection(
        &snow,
        "Prod Snowflake",
        "snowflake",
        json!({"accountName": "acme-xy12345", "warehouse": "REPORTING", "database": "ANALYTICS",
               "schema": null, "role": "HEX", "username": "hex_svc"}),
    );
    let bigquery = detailed_connection(
        &bq,
        "BigQuery",
        "bigquery",
        json!({"projectId": "acme-prod", "enableStorageApi": true, "enableDriveAccess": false}),
    );
    let mock = hex_mock(vec![
        page(json!([snowflake, bigquery]), Some("dc-2")),
        page(json!([connection(&pg, "Postgres", "postgres")]), None),
    ])
    .await;
    let connections = client(&mock, 1)
        .data_connections()
        .await
        .expect("connections");
    let expected = vec![
        DataConnection {
            id: snow,
            name: "Prod Snowflake".into(),
            kind: "snowflake".into(),
            host: Some("acme-xy12345".into()),
            database: Some("ANALYTICS".into()),
            details: details(&[
                ("accountName", "acme-xy12345"),
                ("database", "ANALYTICS"),
                ("role", "HEX"),
                ("username", "hex_svc"),
                ("warehouse", "REPORTING"),
            ]),
            has_details: true,
        },
        DataConnection {
            id: bq,
            name: "BigQuery".into(),
            kind: "bigquery".into(),
            host: Some("acme-prod".into()),
            database: None,
            details: details(&[("projectId", "acme-prod")]),
            has_details: true,
        },
        DataConnection {
            id: pg,
            name: "Postgres".into(),
            kind: "postgres".into(),
            host: None,
            database: None,
            details: BTreeMap::new(),
            has_details: false,
        },
    ];
    assert_eq!(connections, expected);
    let seen = mock.seen();
    assert_eq!(mock.calls(), ["GET /api/v1/data-connections"; 2]);
    assert_bearer(&seen);
    assert_eq!(seen[0].param("limit").as_deref(), Some("100"));
    assert_eq!(seen[1].param("after").as_deref(), Some("dc-2"));
}

/// GetDataConnection always answers with the details, which the listing may leave out.
#[tokio::test]
async fn one_connection_comes_with_its_details() {
    let id = uuid(4);
    let mock = hex_mock(vec![mockhttp::Reply::json(
        200,
        detailed_connection(
            &id,
            "Warehouse B",
            "postgres",
            json!({"hostname": "db-b.acme.com", "database": "analytics", "port": 5432, "username": "hex"}),
        ),
    )])
    .await;
    let found = client(&mock, 1).data_connection(&id).await.expect("one");
    assert_eq!(found.host.as_deref(), Some("db-b.acme.com"));
    assert_eq!(found.database.as_deref(), Some("analytics"));
    assert_eq!(mock.calls(), [format!("GET /api/v1/data-connections/{id}")]);
}

/// A bare array, or `values` without `pagination`, is not what Hex documents; it is read
/// as the only page all the same.
#[tokio::test]
async fn a_bare_array_or_values_alone_is_the_only_page() {
    let postgres = detailed_connection(
        &uuid(3),
        "Postgres",
        "postgres",
        json!({"hostname": "db.acme.com", "database": "app", "port": 5432, "username": "hex"}),
    );
    let mock = hex_mock(vec![
        mockhttp::Reply::json(200, json!([postgres.clone()])).off_spec("tolerance: no envelope"),
        mockhttp::Reply::json(200, json!({"values": [postgres]}))
            .off_spec("tolerance: no pagination"),
    ])
    .await;
    let client = client(&mock, 1);
    for _ in 0..2 {
        let connections = client.data_connections().await.expect("connections");
        assert_eq!(connections.len(), 1);
        assert_eq!(connections[0].host.as_deref(), Some("db.acme.com"));
        assert_eq!(connections[0].database.as_deref(), Some("app"));
    }
    assert_eq!(mock.seen().len(), 2, "one request each");
}
