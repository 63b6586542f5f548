//! Snowflake's catalog against a local server answering in the SQL API's documented shapes.

use crate::mock::{at, error_cases, fast_http, relations, schema, table, ErrorCases, Reply, TOKEN};
use model::Secret;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use std::time::Duration;
use warehouse::snowflake::{
    SnowflakeAuth, SnowflakeCatalog, SnowflakeCatalogConfig, SnowflakeTokenType,
};
use warehouse::{CatalogError, CatalogReader, Column, Relation, RelationKind, SchemaRef};

fn config(url: &str) -> SnowflakeCatalogConfig {
    let auth = SnowflakeAuth::Token {
        token: Secret::new(TOKEN),
        kind: SnowflakeTokenType::ProgrammaticAccessToken,
    };
    let mut config = SnowflakeCatalogConfig::new("acme-xy12345", auth);
    config.account_url = url.to_string();
    config.warehouse = Some("HEX_WH".to_string());
    config.role = Some("CATALOG_READER".to_string());
    config.poll_interval = Duration::from_millis(10);
    config.http = fast_http();
    config
}

/// A complete answer: columns named `names`, `partitions` partitions, the first's `rows`.
fn result(handle: &str, names: &[&str], partitions: usize, rows: Value) -> Reply {
    let row_type: Vec<Value> = names
        .iter()
        .map(|name| json!({"name": name, "type": "text"}))
        .collect();
    Reply::json(
        200,
        json!({
            "resultSetMetaData": {"format": "jsonv2", "rowType": row_type,
                                  "partitionInfo": vec![json!({"rowCount": 1}); partitions]},
            "data": rows,
            "code": "090001",
            "statementHandle": handle,
        }),
    )
}

fn still_running(handle: &str) -> Reply {
    Reply::json(
        202,
        json!({
            "code": "333334",
            "message": "Asynchronous execution in progress.",
            "statementHandle": handle,
            "statementStatusUrl": format!("/api/v2/statements/{handle}"),
        }),
    )
}

const SCHEMATA: [&str; 3] = ["CATALOG_NAME", "SCHEMA_NAME", "LAST_ALTERED_MS"];
const RELATIONS: [&str; 7] = [
    "TABLE_NAME",
    "TABLE_TYPE",
    "COMMENT",
    "ROW_COUNT",
    "COLUMN_NAME",
    "DATA_TYPE",
    "COMMENT",
];

#[tokio::test]
async fn schemas_of_every_database_show_databases_lists() {
    let databases = table(
        "2024-01-01 00:00:00.000 -0800 | ANALYTICS | N | N | | SYSADMIN
         2024-01-01 00:00:00.000 -0800 | RAW       | N | N | | SYSADMIN",
    );
    let show = [
        "created_on",
        "name",
        "is_default",
        "is_current",
        "origin",
        "owner",
    ];
    let mock = mockhttp::snowflake::mock(vec![
        result("h-show", &show, 1, json!(databases)),
        still_running("h-analytics"),
        result(
            "h-analytics",
            &SCHEMATA,
            1,
            json!(table(
                "ANALYTICS | MARTS   | 1714550400000
                 ANALYTICS | STAGING | NULL"
            )),
        ),
        result(
            "h-raw",
            &SCHEMATA,
            1,
            json!([["RAW", "stripe", "1714636800123"]]),
        ),
    ])
    .await;
    let source = SnowflakeCatalog::new(config(&mock.url));
    assert_eq!(source.describe(), "snowflake catalog acme-xy12345");

    let schemas = source.schemas().await.unwrap();

    let expected = [
        ("ANALYTICS", "MARTS", at(1_714_550_400_000)),
        ("ANALYTICS", "STAGING", None),
        ("RAW", "stripe", at(1_714_636_800_123)),
    ];
    let expected: Vec<SchemaRef> = expected
        .into_iter()
        .map(|(database, schema, changed_at)| SchemaRef {
            database: database.to_string(),
            schema: schema.to_string(),
            changed_at,
        })
        .collect();
    assert_eq!(schemas, expected);
    assert_eq!(
        mock.calls(),
        [
            "POST /api/v2/statements",
            "POST /api/v2/statements",
            "GET /api/v2/statements/h-analytics",
            "POST /api/v2/statements",
        ]
    );
    let seen = mock.seen();
    let first = seen[0].json();
    assert_eq!(first["statement"], "SHOW DATABASES");
    assert_eq!(first["role"], "CATALOG_READER");
    assert_eq!(first["warehouse"], "HEX_WH");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        seen[0].header("x-snowflake-authorization-token-type"),
        Some("PROGRAMMATIC_ACCESS_TOKEN")
    );
    let schemata = seen[1].json()["statement"].as_str().unwrap().to_string();
    assert!(
        schemata.contains("FROM \"ANALYTICS\".INFORMATION_SCHEMA.SCHEMATA"),
        "{schemata}"
    );
    assert!(schemata.contains("DATE_PART(EPOCH_MILLISECOND, LAST_ALTERED)"));
    assert!(seen[3].json()["statement"]
        .as_str()
        .unwrap()
        .contains("FROM \"RAW\".INFORMATION_SCHEMA.SCHEMATA"));
}

#[tokio::test]
async fn relations_keep_column_order_across_partitions() {
    let first = table(
        "CUSTOMERS    | VIEW              | One row per customer | NULL | ID        | NUMBER        | Surrogate key
         CUSTOMERS    | VIEW              | One row per customer | NULL | NAME      | TEXT          | NULL
         ORDERS       | BASE TABLE        | NULL                 | 1200 | ORDER_ID  | NUMBER        | NULL
         ORDERS       | BASE TABLE        | NULL                 | 1200 | AMOUNT    | NUMBER        | In cents",
    );
    let second = table(
        "ORDERS        | BASE TABLE        | NULL                 | 1200 | PLACED_AT | TIMESTAMP_NTZ | NULL
         ORDERS_DAILY  | MATERIALIZED VIEW | NULL                 | 31   | DAY       | DATE          | NULL
         STRIPE_EVENTS | EXTERNAL TABLE    | Landed files         | NULL | NULL      | NULL          | NULL",
    );
    let mock = mockhttp::snowflake::mock(vec![
        still_running("h-rel"),
        result("h-rel", &RELATIONS, 2, json!(first)),
        Reply::gzip_json(200, json!({ "data": second })),
    ])
    .await;
    let source = SnowflakeCatalog::new(config(&mock.url));
    let marts = SchemaRef {
        changed_at: at(1_714_550_400_000),
        ..schema("ANALYTICS", "MARTS")
    };

    let (result, relations) = relations(&source, &marts).await;

    result.unwrap();
    let column = |name: &str, data_type: &str, comment: Option<&str>| Column {
        name: name.to_string(),
        data_type: data_type.to_string(),
        comment: comment.map(str::to_string),
    };
    let relation = |name: &str, kind, comment: Option<&str>, rows, columns| Relation {
        database: "ANALYTICS".to_string(),
        schema: "MARTS".to_string(),
        name: name.to_string(),
        kind,
        comment: comment.map(str::to_string),
        row_estimate: rows,
        columns,
    };
    assert_eq!(
        relations,
        [
            relation(
                "CUSTOMERS",
                RelationKind::View,
                Some("One row per customer"),
                None,
                vec![
                    column("ID", "NUMBER", Some("Surrogate key")),
                    column("NAME", "TEXT", None),
                ],
            ),
            relation(
                "ORDERS",
                RelationKind::Table,
                None,
                Some(1200),
                vec![
                    column("ORDER_ID", "NUMBER", None),
                    column("AMOUNT", "NUMBER", Some("In cents")),
                    column("PLACED_AT", "TIMESTAMP_NTZ", None),
                ],
            ),
            relation(
                "ORDERS_DAILY",
                RelationKind::MaterializedView,
                None,
                Some(31),
                vec![column("DAY", "DATE", None)],
            ),
            relation(
                "STRIPE_EVENTS",
                RelationKind::External,
                Some("Landed files"),
                None,
                vec![],
            ),
        ]
    );
    assert_eq!(
        mock.calls(),
        [
            "POST /api/v2/statements",
            "GET /api/v2/statements/h-rel",
            "GET /api/v2/statements/h-rel",
        ]
    );
    let seen = mock.seen();
    assert_eq!(seen[2].param("partition").as_deref(), Some("1"));
    let body = seen[0].json();
    let statement = body["statement"].as_str().unwrap();
    // The schema filter reaches both views, as a binding rather than spliced text.
    assert!(
        statement.contains("FROM \"ANALYTICS\".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?"),
        "{statement}"
    );
    assert!(
        statement.contains("FROM \"ANALYTICS\".INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ?")
    );
    assert!(statement.contains("ORDER BY t.TABLE_NAME, c.ORDINAL_POSITION"));
    assert_eq!(
        body["bindings"],
        json!({"1": {"type": "TEXT", "value": "MARTS"}, "2": {"type": "TEXT", "value": "MARTS"}})
    );
}

/// A database the role may not use is a SQL error (422), not a 403; it still says what to
/// grant, on that database.
#[tokio::test]
async fn a_database_the_role_cannot_see_says_what_to_grant() {
    let refusal = json!({
        "code": "002003",
        "message": "SQL compilation error:\nDatabase '\"FINANCE\"' does not exist or not authorized.",
        "sqlState": "02000",
        "statementHandle": "h-fin",
    });
    let mock = mockhttp::snowflake::mock(vec![Reply::json(422, refusal)]).await;
    let mut config = config(&mock.url);
    config.databases = vec!["FINANCE".to_string()];
    let source = SnowflakeCatalog::new(config);

    let error = source.schemas().await.unwrap_err();

    let CatalogError::Forbidden {
        call,
        message,
        grant,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert!(
        call.starts_with(&format!("POST {}/api/v2/statements?requestId=", mock.url)),
        "{call}"
    );
    assert!(
        message.contains("does not exist or not authorized"),
        "{message}"
    );
    assert!(
        grant.contains("GRANT USAGE ON DATABASE \"FINANCE\" TO ROLE CATALOG_READER"),
        "{grant}"
    );
    assert_eq!(
        mock.seen().len(),
        1,
        "configured databases need no SHOW DATABASES"
    );
}

#[tokio::test]
async fn the_token_stays_out_of_debug_output() {
    let config = config("http://127.0.0.1:9");
    assert!(!format!("{config:?}").contains(TOKEN));
}

const CASES: ErrorCases = ErrorCases {
    build: |url| Box::new(SnowflakeCatalog::new(config(url))),
    first_call: "POST /api/v2/statements",
    grant: "GRANT USAGE ON DATABASE <database> TO ROLE CATALOG_READER",
};

error_cases!(CASES);
