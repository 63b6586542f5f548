//! BigQuery against a local server answering in the REST API's documented shapes, with a
//! service-account token exchange signed by a test-only key.

use crate::mock::{
    at, error_cases, fast_http, hex_sql, read, window, ErrorCases, Mock, Reply, TOKEN,
};
use chrono::{DateTime, Utc};
use history::bigquery::{BigQuery, BigQueryConfig, BigQueryCredentials};
use history::{Checkpoint, HistoryError, HistoryRow, QueryHistory, Secret};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use std::time::Duration;

/// Test-only key pair made with `openssl genpkey -algorithm RSA`; it guards nothing.
const TEST_ONLY_KEY: &str = include_str!("data/test-only-service-account.key.pem");
const TEST_ONLY_PUBLIC_KEY: &str = include_str!("data/test-only-service-account.pub.pem");
const CLIENT_EMAIL: &str = "hex-reader@acme-analytics.iam.gserviceaccount.com";
const ACCESS_TOKEN: &str = "ya29.test-access-token";

fn config(url: &str, projects: &[&str], credentials: BigQueryCredentials) -> BigQueryConfig {
    let projects = projects.iter().map(|p| p.to_string()).collect();
    let mut config = BigQueryConfig::new(projects, "us", credentials);
    config.api_base = url.to_string();
    config.token_url = Some(format!("{url}/token"));
    config.wait_per_call = Duration::from_millis(50);
    config.http = fast_http();
    config
}

fn with_token(url: &str) -> BigQueryConfig {
    config(
        url,
        &["acme-analytics"],
        BigQueryCredentials::AccessToken(Secret::new(TOKEN)),
    )
}

fn service_account_key() -> Secret {
    let key = json!({
        "type": "service_account",
        "project_id": "acme-analytics",
        "private_key_id": "test-key-1",
        "private_key": TEST_ONLY_KEY,
        "client_email": CLIENT_EMAIL,
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    Secret::new(key.to_string())
}

fn schema() -> Value {
    let field =
        |name: &str, kind: &str, mode: &str| json!({"name": name, "type": kind, "mode": mode});
    json!({"fields": [
        field("QUERY_TEXT", "STRING", "NULLABLE"),
        field("DATABASE_NAME", "STRING", "NULLABLE"),
        field("SCHEMA_NAME", "STRING", "NULLABLE"),
        field("EXECUTIONS", "INTEGER", "NULLABLE"),
        field("FIRST_SEEN", "INTEGER", "NULLABLE"),
        field("LAST_SEEN", "INTEGER", "NULLABLE"),
        field("USERS", "STRING", "REPEATED"),
        field("ENGINE_TABLES", "STRING", "REPEATED"),
    ]})
}

/// One row in the `{f: [{v}]}` shape; arrays as `{v: [{v: …}]}`.
fn row(
    text: Option<&str>,
    project: &str,
    count: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    users: &[&str],
    tables: &[&str],
) -> Value {
    let array = |items: &[&str]| {
        items
            .iter()
            .map(|item| json!({"v": item}))
            .collect::<Vec<_>>()
    };
    json!({"f": [
        {"v": text}, {"v": project}, {"v": null}, {"v": count.to_string()},
        {"v": first.timestamp_millis().to_string()}, {"v": last.timestamp_millis().to_string()},
        {"v": array(users)}, {"v": array(tables)},
    ]})
}

fn job(project: &str, id: &str) -> Value {
    json!({"projectId": project, "jobId": id, "location": "US"})
}

fn one_page() -> Vec<Reply> {
    let text = hex_sql("select 1", "p1");
    vec![Reply::json(
        200,
        json!({
            "kind": "bigquery#queryResponse", "jobComplete": true, "schema": schema(),
            "jobReference": job("acme-analytics", "job_one"), "totalRows": "1",
            "rows": [row(Some(&text), "acme-analytics", 1, at(1, 1, 0), at(1, 1, 0), &["ana@acme.com"], &[])],
        }),
    )]
}

#[tokio::test]
async fn exchanges_a_key_polls_the_job_and_follows_pages() {
    let orders = hex_sql("SELECT * FROM `acme-analytics.sales.orders`", "p1");
    let cached = hex_sql("SELECT 42", "p2");
    let events = hex_sql("SELECT * FROM web.events", "p3");
    let mock = Mock::start(vec![
        Reply::json(200, json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"})),
        Reply::json(200, json!({"kind": "bigquery#queryResponse", "jobComplete": false,
                                "jobReference": job("acme-analytics", "job_a1")})),
        Reply::json(200, json!({"jobComplete": false, "jobReference": job("acme-analytics", "job_a1")})),
        Reply::json(200, json!({
            "jobComplete": true, "schema": schema(), "jobReference": job("acme-analytics", "job_a1"),
            "totalRows": "3", "pageToken": "page-2",
            "rows": [row(Some(&orders), "acme-analytics", 4, at(1, 6, 0), at(1, 18, 0),
                         &["svc-hex@acme.com", "ana@acme.com"],
                         &["acme-analytics.sales.orders", "acme-analytics.sales.customers"])],
        })),
        Reply::json(200, json!({
            "jobComplete": true, "schema": schema(), "jobReference": job("acme-analytics", "job_a1"),
            "totalRows": "3",
            "rows": [row(None, "acme-analytics", 1, at(1, 6, 0), at(1, 6, 0), &[], &[]),
                     row(Some(&cached), "acme-analytics", 2, at(1, 7, 0), at(1, 9, 0), &["ana@acme.com"], &[])],
        })),
        Reply::json(200, json!({
            "jobComplete": true, "schema": schema(), "jobReference": job("acme-web", "job_b1"),
            "totalRows": "1",
            "rows": [row(Some(&events), "acme-web", 1, at(1, 12, 0), at(1, 12, 0),
                         &["bo@acme.com"], &["acme-web.web.events"])],
        })),
    ])
    .await;
    let source = BigQuery::new(config(
        &mock.url,
        &["acme-analytics", "acme-web"],
        BigQueryCredentials::ServiceAccountKey(service_account_key()),
    ));
    assert_eq!(source.describe(), "bigquery acme-analytics, acme-web (us)");

    let (result, pages) = read(&source, &window(2)).await;

    assert_eq!(
        result.unwrap(),
        Checkpoint("2024-05-02T00:00:00.000Z".to_string())
    );
    let queries = "/bigquery/v2/projects/acme-analytics/queries";
    assert_eq!(
        mock.calls(),
        [
            "POST /token".to_string(),
            format!("POST {queries}"),
            format!("GET {queries}/job_a1"),
            format!("GET {queries}/job_a1"),
            format!("GET {queries}/job_a1"),
            "POST /bigquery/v2/projects/acme-web/queries".to_string(),
        ],
        "one token exchange serves both projects"
    );
    let seen = mock.seen();
    check_assertion(&seen[0]);
    for request in &seen[1..] {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {ACCESS_TOKEN}").as_str())
        );
    }
    assert_eq!(seen[2].param("location").as_deref(), Some("US"));
    assert_eq!(seen[2].param("pageToken"), None);
    assert_eq!(seen[4].param("pageToken").as_deref(), Some("page-2"));
    assert_eq!(seen[4].param("maxResults").as_deref(), Some("2"));
    check_query(&seen[1].json(), "acme-analytics");
    check_query(&seen[5].json(), "acme-web");

    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
    let rows: Vec<HistoryRow> = pages.into_iter().flatten().collect();
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        rows,
        [
            HistoryRow {
                text: orders,
                database: Some("acme-analytics".to_string()),
                users: strings(&["ana@acme.com", "svc-hex@acme.com"]),
                executions: 4,
                first_seen: Some(at(1, 6, 0)),
                last_seen: Some(at(1, 18, 0)),
                engine_tables: Some(strings(&[
                    "acme-analytics.sales.customers",
                    "acme-analytics.sales.orders"
                ])),
                ..HistoryRow::default()
            },
            HistoryRow {
                text: cached,
                database: Some("acme-analytics".to_string()),
                users: strings(&["ana@acme.com"]),
                executions: 2,
                first_seen: Some(at(1, 7, 0)),
                last_seen: Some(at(1, 9, 0)),
                engine_tables: None,
                ..HistoryRow::default()
            },
            HistoryRow {
                text: events,
                database: Some("acme-web".to_string()),
                users: strings(&["bo@acme.com"]),
                executions: 1,
                first_seen: Some(at(1, 12, 0)),
                last_seen: Some(at(1, 12, 0)),
                engine_tables: Some(strings(&["acme-web.web.events"])),
                ..HistoryRow::default()
            },
        ]
    );
}

/// The token request is a JWT-bearer grant signed by the service account's key.
fn check_assertion(request: &crate::mock::Seen) {
    assert_eq!(
        request.form_param("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    let assertion = request.form_param("assertion").unwrap();
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(TEST_ONLY_PUBLIC_KEY.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    let audience = format!("http://{}/token", request.header("host").unwrap());
    validation.set_audience(&[audience]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    let token = jsonwebtoken::decode::<Value>(&assertion, &key, &validation).unwrap();
    assert_eq!(token.header.kid.as_deref(), Some("test-key-1"));
    assert_eq!(
        token.claims["scope"],
        "https://www.googleapis.com/auth/bigquery"
    );
    let lifetime = token.claims["exp"].as_i64().unwrap() - token.claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 3600);
}

/// The work is pushed into BigQuery: filter, window, grouping and the table union.
fn check_query(body: &Value, project: &str) {
    assert_eq!(body["useLegacySql"], false);
    assert_eq!(body["maxResults"], 2);
    assert_eq!(body["timeoutMs"], 50);
    assert_eq!(body["location"], "us");
    // The same requestId on every retry makes the POST idempotent (QueryRequest.requestId).
    assert_eq!(body["requestId"].as_str().map(str::len), Some(36));
    let query = body["query"].as_str().unwrap();
    for part in [
        &format!("FROM `{project}`.`region-us`.INFORMATION_SCHEMA.JOBS_BY_PROJECT j"),
        "j.query LIKE '%Hex query metadata%'",
        "j.job_type = 'QUERY'",
        "j.state = 'DONE'",
        "j.error_result IS NULL",
        // Jobs belong to the window they ended in, so one RUNNING at a sync is read by the
        // next; creation_time (the partitioning column) bounds the scan by six hours, the
        // longest a query job runs.
        &format!(
            "j.creation_time >= TIMESTAMP_MILLIS({})",
            (at(1, 0, 0) - chrono::Duration::hours(6)).timestamp_millis()
        ),
        &format!(
            "j.end_time >= TIMESTAMP_MILLIS({})",
            at(1, 0, 0).timestamp_millis()
        ),
        &format!(
            "j.end_time < TIMESTAMP_MILLIS({})",
            at(2, 0, 0).timestamp_millis()
        ),
        "GROUP BY j.query, j.project_id",
        "COUNT(DISTINCT j.job_id) AS EXECUTIONS",
        "ARRAY_AGG(DISTINCT j.user_email IGNORE NULLS) AS USERS",
        "LEFT JOIN UNNEST(j.referenced_tables) t",
    ] {
        assert!(query.contains(part), "missing {part:?} in\n{query}");
    }
    crate::mock::assert_reads(
        query,
        sql::Dialect::BigQuery,
        &[&format!(
            "{project}.region-us.INFORMATION_SCHEMA.JOBS_BY_PROJECT"
        )],
    );
}

#[tokio::test]
async fn a_rejected_key_names_the_token_call() {
    let mock = Mock::start(vec![Reply::json(
        400,
        json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
    )])
    .await;
    let source = BigQuery::new(config(
        &mock.url,
        &["acme-analytics"],
        BigQueryCredentials::ServiceAccountKey(service_account_key()),
    ));
    let (result, _) = read(&source, &window(10)).await;
    let error = result.unwrap_err();
    assert!(
        matches!(error, HistoryError::Http { status: 400, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("POST {}/token: HTTP 400", mock.url)),
        "{text}"
    );
    assert!(text.contains("Invalid JWT Signature."), "{text}");
}

#[tokio::test]
async fn a_key_that_is_not_a_key_is_reported_without_its_contents() {
    let source = BigQuery::new(config(
        "http://127.0.0.1:9",
        &["acme-analytics"],
        BigQueryCredentials::ServiceAccountKey(Secret::new(
            json!({"client_email": CLIENT_EMAIL, "private_key": "secret-material"}).to_string(),
        )),
    ));
    let (result, _) = read(&source, &window(10)).await;
    let text = result.unwrap_err().to_string();
    assert!(text.starts_with("service-account key: "), "{text}");
    assert!(!text.contains("secret-material"), "{text}");
}

#[test]
fn debug_hides_the_credentials() {
    let shown = format!(
        "{:?}",
        config(
            "https://bigquery.googleapis.com",
            &["p"],
            BigQueryCredentials::ServiceAccountKey(service_account_key())
        )
    );
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains(CLIENT_EMAIL),
        "{shown}"
    );
}

error_cases!(ErrorCases {
    spec: None,
    build: |url| Box::new(BigQuery::new(with_token(url))),
    success: one_page,
    first_call: "POST /bigquery/v2/projects/acme-analytics/queries",
    grant: "roles/bigquery.resourceViewer (bigquery.jobs.listAll)",
});

/// A `jobs.query` POST resent after a 5xx carries the same requestId, so BigQuery runs the
/// job once however often the request arrives.
#[tokio::test]
async fn a_resent_query_keeps_its_request_id() {
    let mut replies = vec![Reply::raw(503, "backend error")];
    replies.extend(one_page());
    let mock = Mock::start(replies).await;
    let (result, _) = read(&BigQuery::new(with_token(&mock.url)), &window(1)).await;
    result.unwrap();
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    let ids: Vec<Value> = seen.iter().map(|s| s.json()["requestId"].clone()).collect();
    assert!(ids[0].is_string(), "{ids:?}");
    assert_eq!(ids[0], ids[1]);
}

/// With optional job creation BigQuery may answer a small query without a job: complete, no
/// jobReference, nothing to poll. Both answers are read.
#[tokio::test]
async fn an_answer_without_a_job_is_the_whole_result() {
    let text = hex_sql("select 1", "p1");
    let mock = Mock::start(vec![Reply::json(
        200,
        json!({"kind": "bigquery#queryResponse", "jobComplete": true, "schema": schema(),
               "queryId": "q-1", "totalRows": "1",
               "rows": [row(Some(&text), "acme-analytics", 1, at(1, 1, 0), at(1, 1, 0), &["ana@acme.com"], &[])]}),
    )])
    .await;
    let (result, pages) = read(&BigQuery::new(with_token(&mock.url)), &window(10)).await;
    result.unwrap();
    assert_eq!(pages.concat().len(), 1);
    assert_eq!(mock.seen().len(), 1, "nothing to poll");
}

/// `referenced_tables` stops at 50: a group that reaches it is parsed, not trusted.
#[tokio::test]
async fn fifty_referenced_tables_are_not_taken_as_all_of_them() {
    let text = hex_sql("select * from a.t0", "p1");
    let tables: Vec<String> = (0..50).map(|i| format!("acme-analytics.a.t{i}")).collect();
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    let mock = Mock::start(vec![Reply::json(
        200,
        json!({"kind": "bigquery#queryResponse", "jobComplete": true, "schema": schema(),
               "jobReference": job("acme-analytics", "job_many"), "totalRows": "1",
               "rows": [row(Some(&text), "acme-analytics", 1, at(1, 1, 0), at(1, 1, 0), &[], &tables)]}),
    )])
    .await;
    let (result, pages) = read(&BigQuery::new(with_token(&mock.url)), &window(10)).await;
    result.unwrap();
    assert_eq!(pages.concat()[0].engine_tables, None);
}
