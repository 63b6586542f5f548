use crate::mock::{assert_bearer, client, page, Mock, Reply};
use hex::DataConnection;
use pretty_assertions::assert_eq;
use serde_json::json;
use std::collections::BTreeMap;

fn snowflake() -> serde_json::Value {
    json!({
        "id": "conn-1", "name": "Prod Snowflake", "type": "snowflake",
        "connectionDetails": {"account": "acme-xy12345", "warehouse": "REPORTING", "database": "ANALYTICS",
                              "role": "HEX", "port": 443},
        "sharing": {"workspace": {"public": "CAN_VIEW"}}
    })
}

fn bigquery() -> serde_json::Value {
    json!({
        "id": "conn-2", "name": "BigQuery", "type": "bigquery",
        "connectionDetails": {"bigquery": {"projectId": "acme-prod", "serviceAccountJsonConfig": "{...}"}}
    })
}

fn details(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn data_connections_over_two_pages() {
    let mock = Mock::start(vec![
        page(json!([snowflake()]), Some("dc-2")),
        page(json!([bigquery()]), None),
    ])
    .await;
    let connections = client(&mock, 1)
        .data_connections()
        .await
        .expect("connections");
    let expected = vec![
        DataConnection {
            id: "conn-1".into(),
            name: "Prod Snowflake".into(),
            kind: "snowflake".into(),
            host: None,
            database: Some("ANALYTICS".into()),
            details: details(&[
                ("account", "acme-xy12345"),
                ("database", "ANALYTICS"),
                ("role", "HEX"),
                ("warehouse", "REPORTING"),
            ]),
        },
        DataConnection {
            id: "conn-2".into(),
            name: "BigQuery".into(),
            kind: "bigquery".into(),
            host: None,
            database: None,
            // The service account's key is a credential: it goes no further.
            details: details(&[("projectId", "acme-prod")]),
        },
    ];
    assert_eq!(connections, expected);
    let seen = mock.seen();
    assert_eq!(mock.calls(), ["GET /api/v1/data-connections"; 2]);
    assert_bearer(&seen);
    assert_eq!(seen[0].param("limit").as_deref(), Some("100"));
    assert_eq!(seen[1].param("after").as_deref(), Some("dc-2"));
}

#[tokio::test]
async fn a_bare_array_or_values_alone_is_the_only_page() {
    let postgres = json!({"id": "conn-3", "name": "Postgres", "type": "postgres",
                          "connectionDetails": {"host": "db.acme.com", "database": "app"}});
    let mock = Mock::start(vec![
        Reply::json(200, json!([postgres.clone()])),
        Reply::json(200, json!({"values": [postgres]})),
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
