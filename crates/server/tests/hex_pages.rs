//! The Hex pages (issue 7): the project list across connections and each project's cells,
//! as HTML and JSON, over the demo's query history and recorded Hex API answers.

use crate::{demo_app, get};
use axum::http::StatusCode;
use serde_json::Value;

const REVENUE: &str = "6f1c2a8e-3b7d-4e59-9a41-0c2d7e8f9a10";
const CHURN: &str = "ad5a6e2c-7f1b-4c9d-be85-4a6b1c2d3e54";

async fn json(state: &server::AppState, uri: &str) -> Value {
    let (status, _, body) = get(state, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect()
}

fn project<'a>(list: &'a Value, title: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no {title} in {list}"))
}

#[tokio::test]
async fn the_list_has_every_demo_project_newest_run_first() {
    let (state, _dir) = demo_app().await;
    let list = json(&state, "/api/hex/projects").await;
    assert_eq!(
        titles(&list),
        [
            "Ops: order status monitor",
            "Revenue dashboard",
            "Customer lifetime value",
            "Product mix exploration",
            "Churn early warning",
            "Q3 board deck",
        ]
    );
    let churn = project(&list, "Churn early warning");
    assert_eq!(churn["observed"], false, "{churn}");
    assert_eq!(churn["last_run"], Value::Null);
    assert_eq!(
        churn["cell_count"], 2,
        "two SQL cells from the API: {churn}"
    );
    let deck = project(&list, "Q3 board deck");
    assert_eq!(deck["state"], "archived", "{deck}");
    assert_eq!(deck["app_views_all_time"], 38);
    let revenue = project(&list, "Revenue dashboard");
    assert_eq!(revenue["live"], true);
    assert_eq!(revenue["owner"], "ana@jaffle.shop");
    assert_eq!(revenue["runs_by_context"]["scheduled"], 25, "{revenue}");
    assert_eq!(revenue["runs_by_context"]["app_view"], 9, "{revenue}");
    assert_eq!(revenue["runs"], 35);
    assert_eq!(revenue["app_views_30d"], 117);
    assert_eq!(
        (&revenue["cell_count"], &revenue["table_count"]),
        (&Value::from(3), &Value::from(3))
    );
    assert_eq!(revenue["connections"][0], "jaffle_warehouse");
    let stale = project(&list, "Product mix exploration");
    assert_eq!(
        (&stale["live"], &stale["observed"]),
        (&false.into(), &true.into())
    );
}

#[tokio::test]
async fn the_list_sorts_and_filters_on_the_server() {
    let (state, _dir) = demo_app().await;
    let by_views = json(&state, "/api/hex/projects?sort=app_views").await;
    assert_eq!(
        titles(&by_views)[..3],
        [
            "Ops: order status monitor",
            "Revenue dashboard",
            "Customer lifetime value"
        ]
    );
    let stalest = json(&state, "/api/hex/projects?sort=staleness").await;
    assert_eq!(
        titles(&stalest),
        [
            "Churn early warning",
            "Q3 board deck",
            "Product mix exploration",
            "Customer lifetime value",
            "Revenue dashboard",
            "Ops: order status monitor",
        ]
    );
    let live = json(&state, "/api/hex/projects?state=live").await;
    assert_eq!(
        titles(&live),
        [
            "Ops: order status monitor",
            "Revenue dashboard",
            "Customer lifetime value"
        ]
    );
    let stale = json(&state, "/api/hex/projects?state=stale&sort=app_views").await;
    assert_eq!(
        titles(&stale),
        [
            "Q3 board deck",
            "Churn early warning",
            "Product mix exploration"
        ],
        "never-observed projects count as stale; ties in 30-day views go by all-time views"
    );
    let unknown = json(&state, "/api/hex/projects?sort=bogus&state=bogus").await;
    assert_eq!(
        titles(&unknown).len(),
        6,
        "unknown values fall back to the default"
    );
}

/// Where `needle` first appears in `html`, so tests can compare row order.
fn at(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the page"))
}

#[tokio::test]
async fn the_list_page_links_each_project_and_sorts_by_column() {
    let (state, _dir) = demo_app().await;
    let (status, ctype, html) = get(&state, "/hex").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/html"));
    assert!(
        html.contains(&format!("href=\"/hex/projects/{REVENUE}\"")),
        "{html}"
    );
    assert!(html.contains("not observed") && html.contains("archived"));
    assert!(
        html.contains(
            "<span class=\"run\">25 scheduled</span> · <span class=\"run\">9 app view</span> · <span class=\"run\">1 interactive</span>"
        ),
        "runs per context, the most first: {html}"
    );
    assert!(at(&html, "Revenue dashboard") < at(&html, "Churn early warning"));
    assert!(
        html.contains("href=\"/hex?sort=app_views&#38;state=all\""),
        "header links: {html}"
    );
    assert!(
        html.contains("<a href=\"/hex\">Hex</a>"),
        "the site nav links here"
    );

    let (_, _, html) = get(&state, "/hex?sort=app_views").await;
    assert!(at(&html, "Ops: order status monitor") < at(&html, "Revenue dashboard"));
    assert!(
        html.contains("aria-sort=\"descending\"><a href=\"/hex?sort=app_views"),
        "{html}"
    );

    let (_, _, html) = get(&state, "/hex?state=live").await;
    assert!(!html.contains("Churn early warning"), "{html}");
    assert!(
        html.contains("href=\"/hex?sort=last_run&#38;state=live\" class=\"active\""),
        "{html}"
    );
}

#[tokio::test]
async fn a_project_page_shows_each_cell_with_highlighted_sql_and_its_tables() {
    let (state, _dir) = demo_app().await;
    let (status, _, html) = get(&state, &format!("/hex/projects/{REVENUE}")).await;
    assert_eq!(status, StatusCode::OK);
    for label in [
        "Monthly revenue",
        "Revenue by payment method",
        "Orders with cash-equivalent payments",
    ] {
        assert!(html.contains(label), "{label}: {html}");
    }
    assert_eq!(html.matches("<section class=\"cell\"").count(), 3, "{html}");
    assert!(
        html.contains("<span class=\"tok-kw\">select</span>"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"tok-str\">&#39;month&#39;</span>"),
        "{html}"
    );
    assert!(
        html.contains(
            "href=\"/connections/jaffle_warehouse/tables/analytics/finance/rpt_monthly_revenue\""
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<span class=\"run\">14 scheduled</span> · <span class=\"run\">7 app view</span>"
        ),
        "{html}"
    );
    assert!(html.contains("Hex lists it") && html.contains("observed"));
    assert!(html.contains(
        "https://app.hex.tech/jaffle/hex/6f1c2a8e-3b7d-4e59-9a41-0c2d7e8f9a10/draft/logic?selectedCellId=c3a1e5f0-1d2b-4c6a-8e7f-9a0b1c2d3e4f"
    ), "cell links into Hex: {html}");
    assert!(
        html.contains("Monthly revenue for the finance team"),
        "the description"
    );
    assert!(html.contains("117 in 30 days · 412 all time"), "{html}");
}

#[tokio::test]
async fn cells_that_never_ran_show_their_sql_as_not_observed() {
    let (state, _dir) = demo_app().await;
    let detail = json(&state, &format!("/api/hex/projects/{CHURN}")).await;
    let cells = detail["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2, "{detail}");
    for cell in cells {
        assert_eq!(cell["observed"], false, "{cell}");
        assert_eq!(cell["sql_from"], "project", "{cell}");
        assert!(cell["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["in_project_sql"] == true));
    }
    let (_, _, html) = get(&state, &format!("/hex/projects/{CHURN}")).await;
    assert!(html.contains("Lifetime value of the quiet ones"), "{html}");
    assert!(
        html.contains("not observed") && html.contains("in the project&#39;s SQL"),
        "{html}"
    );
}

#[tokio::test]
async fn unknown_projects_are_not_found() {
    let (state, _dir) = demo_app().await;
    let (status, _, html) = get(&state, "/hex/projects/no-such-project").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("no Hex project"), "{html}");
    let (status, _, body) = get(&state, "/api/hex/projects/no-such-project").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(body["error"].as_str().unwrap().contains("no Hex project"));
}

/// A project only query history knows, whose SQL and comment carry markup.
async fn add_history_only_project(store: &store::Store) {
    let sql = "select '<script>alert(1)</script>' as x, status from analytics.marts.fct_orders";
    add_history_project(
        store,
        "zz-adhoc",
        "Ad hoc <img src=x onerror=alert(1)>",
        sql,
    )
    .await;
}

/// Writes one run of `sql` by cell `cell-x` of project `id`, as a history sync would.
pub(crate) async fn add_history_project(store: &store::Store, id: &str, name: &str, sql: &str) {
    let run = store::RunRecord {
        // Distinct per project id: the store only needs keys to be distinct.
        run_key: id.bytes().fold(17u128, |h, b| {
            h.wrapping_mul(31).wrapping_add(u128::from(b))
        }),
        query_key: format!("{id}-query").into(),
        project_id: id.into(),
        cell_id: "cell-x".into(),
        context: model::hex::RunContext::Interactive,
        user_name: "<b>mallory</b>".into(),
        hex_connection: None,
        runs: 2,
        first_seen: Some(chrono::Utc::now()),
        last_seen: Some(chrono::Utc::now()),
    };
    let batch = store::HistoryBatch {
        connection: "jaffle_warehouse".into(),
        environment: format!("{id}-history"),
        checkpoint: "1".into(),
        previous_checkpoint: None,
        queries: vec![store::QueryRecord {
            query_key: run.query_key.to_string(),
            sql_text: sql.into(),
            statement_kind: "select".into(),
            tables_from: "parsed".into(),
            error: None,
            tables: vec![("analytics.marts.fct_orders".into(), vec!["status".into()])],
        }],
        runs: vec![run],
        projects: vec![store::ProjectRecord {
            project_id: id.into(),
            name: Some(name.into()),
            url: Some("javascript:alert(1)".into()),
            status: None,
            categories: vec![],
        }],
        started_at: store::now(),
        summary: "{}".into(),
        warnings: vec![],
    };
    store.write_history(&batch).await.unwrap();
}

#[tokio::test]
async fn cells_only_query_history_knows_show_its_sql_escaped() {
    let (state, _dir) = demo_app().await;
    add_history_only_project(&state.store).await;
    let list = json(&state, "/api/hex/projects").await;
    let adhoc = project(&list, "Ad hoc <img src=x onerror=alert(1)>");
    assert_eq!(
        (&adhoc["in_hex_api"], &adhoc["live"]),
        (&false.into(), &true.into())
    );

    let detail = json(&state, "/api/hex/projects/zz-adhoc").await;
    assert_eq!(detail["cells"][0]["sql_from"], "query_history", "{detail}");
    let (status, _, html) = get(&state, "/hex/projects/zz-adhoc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<script>alert"),
        "SQL reached the page as markup: {html}"
    );
    assert!(
        !html.contains("<img src=x") && !html.contains("<b>mallory"),
        "{html}"
    );
    assert!(
        html.contains(
            "<span class=\"tok-str\">&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;</span>"
        ),
        "{html}"
    );
    assert!(html.contains("newest run query history saw"), "{html}");
    assert!(
        !html.contains("javascript:"),
        "only https links into Hex: {html}"
    );
    assert!(
        html.contains("href=\"/connections/jaffle_warehouse/tables/analytics/marts/fct_orders\""),
        "{html}"
    );
    let (_, _, list_html) = get(&state, "/hex").await;
    assert!(!list_html.contains("<img src=x"), "{list_html}");
}
