//! BigQuery's catalog against a local server answering in the REST API's documented shapes
//! (`projects.list`, `jobs.query`, `jobs.getQueryResults`).

use crate::mock::{
    at, error_cases, fast_http, relations, schema, table, ErrorCases, Mock, Reply, TOKEN,
};
use model::Secret;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use std::time::Duration;
use warehouse::bigquery::{BigQueryCatalog, BigQueryCatalogConfig, BigQueryCredentials};
use warehouse::{CatalogReader, Column, Relation, RelationKind, SchemaRef};

fn config(url: &str, projects: &[&str], regions: &[&str]) -> BigQueryCatalogConfig {
    let strings = |items: &[&str]| items.iter().map(|i| i.to_string()).collect();
    let credentials = BigQueryCredentials::AccessToken(Secret::new(TOKEN));
    let mut config = BigQueryCatalogConfig::new(strings(projects), strings(regions), credentials);
    config.api_base = url.to_string();
    config.wait_per_call = Duration::from_millis(50);
    config.http = fast_http();
    config
}

/// Rows in the `{f: [{v}]}` shape, from a [`table`]; every scalar is a string or NULL.
fn rows(text: &str) -> Value {
    table(text)
        .into_iter()
        .map(|row| json!({"f": row.into_iter().map(|v| json!({"v": v})).collect::<Vec<_>>()}))
        .collect()
}

fn fields(names: &[&str]) -> Value {
    json!({"fields": names.iter().map(|n| json!({"name": n, "type": "STRING"})).collect::<Vec<_>>()})
}

/// A `jobs.query` or `getQueryResults` answer for job `job` in `location`.
fn answer(job: &str, location: &str, names: &[&str], page: Value, token: Option<&str>) -> Reply {
    let mut body = json!({
        "kind": "bigquery#queryResponse",
        "jobReference": {"projectId": "acme-analytics", "jobId": job, "location": location},
        "jobComplete": true,
        "schema": fields(names),
        "rows": page,
    });
    if let Some(token) = token {
        body["pageToken"] = json!(token);
    }
    Reply::json(200, body)
}

fn not_done(job: &str, location: &str) -> Reply {
    Reply::json(
        200,
        json!({
            "kind": "bigquery#queryResponse",
            "jobReference": {"projectId": "acme-analytics", "jobId": job, "location": location},
            "jobComplete": false,
        }),
    )
}

fn project_page(ids: &[&str], next: Option<&str>) -> Reply {
    let projects: Vec<Value> = ids
        .iter()
        .map(|id| json!({"kind": "bigquery#project", "id": id, "projectReference": {"projectId": id}}))
        .collect();
    let mut body = json!({"kind": "bigquery#projectList", "projects": projects, "totalItems": 3});
    if let Some(next) = next {
        body["nextPageToken"] = json!(next);
    }
    Reply::json(200, body)
}

const SCHEMATA: [&str; 3] = ["catalog_name", "schema_name", "f0_"];

#[tokio::test]
async fn schemas_of_every_listed_project_in_each_region() {
    let mock = Mock::start(vec![
        project_page(&["acme-analytics"], Some("page-2")),
        project_page(&["acme-raw"], None),
        not_done("job_a_us", "US"),
        answer(
            "job_a_us",
            "US",
            &SCHEMATA,
            rows(
                "acme-analytics | marts   | 1714550400000
                 acme-analytics | staging | NULL",
            ),
            None,
        ),
        answer("job_a_eu", "EU", &SCHEMATA, json!([]), None),
        answer(
            "job_r_us",
            "US",
            &SCHEMATA,
            rows("acme-raw | stripe | 1714636800123"),
            None,
        ),
        answer("job_r_eu", "EU", &SCHEMATA, Value::Null, None),
    ])
    .await;
    let source = BigQueryCatalog::new(config(&mock.url, &[], &["us", "eu"]));
    assert_eq!(
        source.describe(),
        "bigquery catalog of every listed project"
    );

    let schemas = source.schemas().await.unwrap();

    let expected: Vec<SchemaRef> = [
        ("acme-analytics", "marts", at(1_714_550_400_000)),
        ("acme-analytics", "staging", None),
        ("acme-raw", "stripe", at(1_714_636_800_123)),
    ]
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
            "GET /bigquery/v2/projects",
            "GET /bigquery/v2/projects",
            "POST /bigquery/v2/projects/acme-analytics/queries",
            "GET /bigquery/v2/projects/acme-analytics/queries/job_a_us",
            "POST /bigquery/v2/projects/acme-analytics/queries",
            "POST /bigquery/v2/projects/acme-raw/queries",
            "POST /bigquery/v2/projects/acme-raw/queries",
        ]
    );
    let seen = mock.seen();
    assert_eq!(seen[0].param("pageToken"), None);
    assert_eq!(seen[1].param("pageToken").as_deref(), Some("page-2"));
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let job = seen[2].json();
    assert_eq!(job["location"], "us");
    assert_eq!(job["useLegacySql"], false);
    let sql = job["query"].as_str().unwrap();
    assert!(
        sql.contains("FROM `acme-analytics`.`region-us`.INFORMATION_SCHEMA.SCHEMATA"),
        "{sql}"
    );
    assert!(sql.contains("UNIX_MILLIS(last_modified_time)"));
    assert_eq!(seen[3].param("location").as_deref(), Some("US"));
    assert_eq!(seen[4].json()["location"], "eu");
    assert!(seen[6].json()["query"]
        .as_str()
        .unwrap()
        .contains("`acme-raw`.`region-eu`"));
}

const RELATIONS: [&str; 8] = [
    "table_name",
    "table_type",
    "option_value",
    "row_count",
    "ordinal_position",
    "field_path",
    "data_type",
    "description",
];

#[tokio::test]
async fn relations_with_nested_fields_across_result_pages() {
    let address = "STRUCT<zip STRING, city STRUCT<name STRING, code STRING>>";
    let city = "STRUCT<name STRING, code STRING>";
    // One row per field path, sorted as the query sorts them: by column, then path.
    let first = rows(
        r#"customers     | VIEW              | NULL                    | 0    | 1    | id                | INT64  |
           orders        | BASE TABLE        | "One \"row\" per order" | 1200 | 1    | order_id          | INT64  | Surrogate key
           orders        | BASE TABLE        | "One \"row\" per order" | 1200 | 2    | address           | STRUCT<zip STRING, city STRUCT<name STRING, code STRING>> | Where it ships
           orders        | BASE TABLE        | "One \"row\" per order" | 1200 | 2    | address.city      | STRUCT<name STRING, code STRING> | NULL"#,
    );
    let second = rows(
        r#"orders        | BASE TABLE        | "One \"row\" per order" | 1200 | 2    | address.city.code | STRING | NULL
           orders        | BASE TABLE        | "One \"row\" per order" | 1200 | 2    | address.city.name | STRING | NULL
           orders        | BASE TABLE        | "One \"row\" per order" | 1200 | 2    | address.zip       | STRING | Postal code
           orders_daily  | MATERIALIZED VIEW | NULL                    | 31   | 1    | day               | DATE   | NULL
           stripe_events | EXTERNAL          | NULL                    | 0    | NULL | NULL              | NULL   | NULL"#,
    );
    let mock = Mock::start(vec![
        answer("job_rel", "US", &RELATIONS, first, Some("page-2")),
        answer("job_rel", "US", &RELATIONS, second, None),
    ])
    .await;
    let source = BigQueryCatalog::new(config(&mock.url, &["acme-analytics"], &["us"]));
    assert_eq!(source.describe(), "bigquery catalog acme-analytics");

    let (result, relations) = relations(&source, &schema("acme-analytics", "marts")).await;

    result.unwrap();
    let column = |name: &str, data_type: &str, comment: Option<&str>| Column {
        name: name.to_string(),
        data_type: data_type.to_string(),
        comment: comment.map(str::to_string),
    };
    let relation = |name: &str, kind, comment: Option<&str>, rows, columns| Relation {
        database: "acme-analytics".to_string(),
        schema: "marts".to_string(),
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
                "customers",
                RelationKind::View,
                None,
                None,
                vec![column("id", "INT64", None)],
            ),
            relation(
                "orders",
                RelationKind::Table,
                Some("One \"row\" per order"),
                Some(1200),
                vec![
                    column("order_id", "INT64", Some("Surrogate key")),
                    column("address", address, Some("Where it ships")),
                    column("address.zip", "STRING", Some("Postal code")),
                    column("address.city", city, None),
                    column("address.city.name", "STRING", None),
                    column("address.city.code", "STRING", None),
                ],
            ),
            relation(
                "orders_daily",
                RelationKind::MaterializedView,
                None,
                Some(31),
                vec![column("day", "DATE", None)],
            ),
            relation("stripe_events", RelationKind::External, None, None, vec![]),
        ]
    );
    assert_eq!(
        mock.calls(),
        [
            "POST /bigquery/v2/projects/acme-analytics/queries",
            "GET /bigquery/v2/projects/acme-analytics/queries/job_rel",
        ]
    );
    let seen = mock.seen();
    let job = seen[0].json();
    assert_eq!(
        job.get("location"),
        None,
        "BigQuery finds the dataset's location"
    );
    let sql = job["query"].as_str().unwrap();
    for view in ["TABLES", "TABLE_OPTIONS", "COLUMNS", "COLUMN_FIELD_PATHS"] {
        let qualified = format!("`acme-analytics`.`marts`.INFORMATION_SCHEMA.{view} ");
        assert!(sql.contains(&qualified), "{qualified} in {sql}");
    }
    assert!(sql.contains("`acme-analytics`.`marts`.__TABLES__"));
    assert_eq!(seen[1].param("pageToken").as_deref(), Some("page-2"));
    assert_eq!(seen[1].param("location").as_deref(), Some("US"));
}

const CASES: ErrorCases = ErrorCases {
    build: |url| {
        Box::new(BigQueryCatalog::new(config(
            url,
            &["acme-analytics"],
            &["us"],
        )))
    },
    first_call: "POST /bigquery/v2/projects/acme-analytics/queries",
    grant: "roles/bigquery.metadataViewer on project acme-analytics",
};

error_cases!(CASES);
