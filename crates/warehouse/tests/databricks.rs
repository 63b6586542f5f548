//! Databricks' Unity Catalog against a local server answering in the REST API's documented
//! shapes (`/api/2.1/unity-catalog/catalogs`, `/schemas`, `/tables`).

use crate::mock::{at, error_cases, fast_http, relations, schema, ErrorCases, Mock, Reply, TOKEN};
use model::Secret;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use warehouse::databricks::{DatabricksCatalog, DatabricksCatalogConfig};
use warehouse::{CatalogReader, Column, Relation, RelationKind, SchemaRef};

fn config(url: &str) -> DatabricksCatalogConfig {
    let auth = warehouse::databricks::DatabricksAuth::Token(Secret::new(TOKEN));
    let mut config = DatabricksCatalogConfig::new(url, auth);
    config.http = fast_http();
    config
}

/// A listing page: `items` under `key`, and the next page's token if any.
fn page(key: &str, items: Value, next: Option<&str>) -> Reply {
    let mut body = json!({ key: items });
    if let Some(next) = next {
        body["next_page_token"] = json!(next);
    }
    Reply::json(200, body)
}

fn schema_info(catalog: &str, name: &str, updated_at: Option<i64>) -> Value {
    let mut info = json!({
        "name": name,
        "catalog_name": catalog,
        "full_name": format!("{catalog}.{name}"),
        "created_at": 1_700_000_000_000_i64,
        "owner": "data-eng",
    });
    if let Some(updated_at) = updated_at {
        info["updated_at"] = json!(updated_at);
    }
    info
}

#[tokio::test]
async fn schemas_of_every_catalog_page_by_page() {
    let mock = Mock::start(vec![
        page(
            "catalogs",
            json!([{"name": "main", "catalog_type": "MANAGED_CATALOG"}]),
            Some("c-2"),
        ),
        page(
            "catalogs",
            json!([{"name": "sandbox", "catalog_type": "MANAGED_CATALOG"}]),
            None,
        ),
        page(
            "schemas",
            json!([
                schema_info("main", "information_schema", None),
                schema_info("main", "sales", Some(1_714_550_400_000)),
            ]),
            Some("s-2"),
        ),
        // A page may be empty and still lead on.
        page("schemas", json!([]), Some("s-3")),
        page(
            "schemas",
            json!([schema_info("main", "finance", None)]),
            Some(""),
        ),
        page(
            "schemas",
            json!([schema_info("sandbox", "scratch", Some(1_714_636_800_123))]),
            None,
        ),
    ])
    .await;
    let source = DatabricksCatalog::new(config(&mock.url));
    assert!(source
        .describe()
        .starts_with("databricks catalog 127.0.0.1:"));

    let schemas = source.schemas().await.unwrap();

    let expected: Vec<SchemaRef> = [
        ("main", "sales", at(1_714_550_400_000)),
        ("main", "finance", None),
        ("sandbox", "scratch", at(1_714_636_800_123)),
    ]
    .into_iter()
    .map(|(database, schema, changed_at)| SchemaRef {
        database: database.to_string(),
        schema: schema.to_string(),
        changed_at,
    })
    .collect();
    assert_eq!(schemas, expected);
    let catalogs = "GET /api/2.1/unity-catalog/catalogs";
    let schemas = "GET /api/2.1/unity-catalog/schemas";
    assert_eq!(
        mock.calls(),
        [catalogs, catalogs, schemas, schemas, schemas, schemas]
    );
    let seen = mock.seen();
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(seen[0].param("max_results").as_deref(), Some("0"));
    assert_eq!(seen[0].param("include_browse").as_deref(), Some("true"));
    assert_eq!(seen[0].param("page_token"), None);
    assert_eq!(seen[1].param("page_token").as_deref(), Some("c-2"));
    let params = |i: usize| (seen[i].param("catalog_name"), seen[i].param("page_token"));
    assert_eq!(params(2), (Some("main".to_string()), None));
    assert_eq!(
        params(3),
        (Some("main".to_string()), Some("s-2".to_string()))
    );
    assert_eq!(
        params(4),
        (Some("main".to_string()), Some("s-3".to_string()))
    );
    assert_eq!(params(5), (Some("sandbox".to_string()), None));
}

fn column_info(name: &str, type_text: &str, position: i64, comment: Option<&str>) -> Value {
    json!({"name": name, "type_text": type_text, "type_name": type_text.to_uppercase(),
           "position": position, "nullable": true, "comment": comment})
}

#[tokio::test]
async fn relations_with_columns_in_position_order() {
    let orders = json!({
        "name": "orders", "catalog_name": "main", "schema_name": "sales",
        "table_type": "MANAGED", "data_source_format": "DELTA",
        "comment": "One row per order",
        // Unity Catalog does not promise the order; position does.
        "columns": [
            column_info("amount", "decimal(10,2)", 1, Some("In cents")),
            column_info("order_id", "bigint", 0, None),
            column_info("placed_at", "timestamp", 2, None),
        ],
    });
    let views = json!([
        {"name": "orders_v", "table_type": "VIEW",
         "columns": [column_info("order_id", "bigint", 0, None)]},
        {"name": "orders_daily", "table_type": "MATERIALIZED_VIEW",
         "columns": [column_info("day", "date", 0, Some("Order date"))]},
        {"name": "landing", "table_type": "EXTERNAL", "comment": "Raw files"},
    ]);
    let mock = Mock::start(vec![
        page("tables", json!([orders]), Some("t-2")),
        page("tables", json!([]), Some("t-3")),
        page("tables", views, None),
    ])
    .await;
    let source = DatabricksCatalog::new(config(&mock.url));

    let (result, relations) = relations(&source, &schema("main", "sales")).await;

    result.unwrap();
    let column = |name: &str, data_type: &str, comment: Option<&str>| Column {
        name: name.to_string(),
        data_type: data_type.to_string(),
        comment: comment.map(str::to_string),
    };
    let relation = |name: &str, kind, comment: Option<&str>, columns| Relation {
        database: "main".to_string(),
        schema: "sales".to_string(),
        name: name.to_string(),
        kind,
        comment: comment.map(str::to_string),
        row_estimate: None,
        columns,
    };
    assert_eq!(
        relations,
        [
            relation(
                "orders",
                RelationKind::Table,
                Some("One row per order"),
                vec![
                    column("order_id", "bigint", None),
                    column("amount", "decimal(10,2)", Some("In cents")),
                    column("placed_at", "timestamp", None),
                ],
            ),
            relation(
                "orders_v",
                RelationKind::View,
                None,
                vec![column("order_id", "bigint", None)],
            ),
            relation(
                "orders_daily",
                RelationKind::MaterializedView,
                None,
                vec![column("day", "date", Some("Order date"))],
            ),
            relation("landing", RelationKind::External, Some("Raw files"), vec![]),
        ]
    );
    let seen = mock.seen();
    assert_eq!(mock.calls(), vec!["GET /api/2.1/unity-catalog/tables"; 3]);
    assert_eq!(seen[0].param("catalog_name").as_deref(), Some("main"));
    assert_eq!(seen[0].param("schema_name").as_deref(), Some("sales"));
    assert_eq!(seen[0].param("omit_properties").as_deref(), Some("true"));
    assert_eq!(seen[1].param("page_token").as_deref(), Some("t-2"));
    assert_eq!(seen[2].param("page_token").as_deref(), Some("t-3"));
}

#[tokio::test]
async fn configured_catalogs_are_not_listed() {
    let mock = Mock::start(vec![page(
        "schemas",
        json!([schema_info("main", "sales", None)]),
        None,
    )])
    .await;
    let mut config = config(&mock.url);
    config.catalogs = vec!["main".to_string()];
    assert!(!format!("{config:?}").contains(TOKEN));
    let source = DatabricksCatalog::new(config);

    let schemas = source.schemas().await.unwrap();

    assert_eq!(schemas, [schema("main", "sales")]);
    assert_eq!(mock.calls(), ["GET /api/2.1/unity-catalog/schemas"]);
}

const CASES: ErrorCases = ErrorCases {
    build: |url| Box::new(DatabricksCatalog::new(config(url))),
    first_call: "GET /api/2.1/unity-catalog/catalogs",
    grant: "GRANT USE CATALOG ON CATALOG <catalog> TO `<principal>`",
};

error_cases!(CASES);
