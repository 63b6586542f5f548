use crate::{demo_app, get};
use axum::http::StatusCode;
use serde_json::Value;

async fn json(state: &server::AppState, uri: &str) -> (StatusCode, Value) {
    let (status, ctype, body) = get(state, uri).await;
    assert!(ctype.starts_with("application/json"), "{uri}: {ctype}");
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn connections_report_counts_tests_and_freshness() {
    let (state, _dir) = demo_app().await;
    let (status, body) = json(&state, "/api/connections").await;
    assert_eq!(status, StatusCode::OK);
    let conn = &body[0];
    assert_eq!(conn["name"], "jaffle_warehouse");
    assert_eq!(conn["models"], 12, "ephemeral models are not relations");
    assert_eq!(conn["tests"]["fail"], 1);
    assert_eq!(conn["tests"]["warn"], 1);
    assert_eq!(conn["tests"]["pass"], 54);
    assert_eq!(conn["freshness"]["warn"], 1);
    assert_eq!(conn["project"]["manifest_version"], 12);
}

#[tokio::test]
async fn tree_and_table_pages_have_json_twins() {
    let (state, _dir) = demo_app().await;
    let (_, tree) = json(&state, "/api/connections/jaffle_warehouse/tree").await;
    let schemas: Vec<&str> = tree[0]["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(schemas, ["finance", "marts", "raw", "snapshots", "staging"]);
    let (status, table) = json(
        &state,
        "/api/connections/jaffle_warehouse/tables/analytics/marts/fct_orders",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        table["node"]["unique_id"],
        "model.jaffle_analytics.fct_orders"
    );
    assert_eq!(table["build"]["status"], "pass");
    let failing: Vec<&Value> = table["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "fail")
        .collect();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0]["column"], "status");
    let (_, syncs) = json(&state, "/api/connections/jaffle_warehouse/syncs").await;
    assert_eq!(syncs[0]["ok"], true);
}

#[tokio::test]
async fn search_finds_tables_columns_and_descriptions() {
    let (state, _dir) = demo_app().await;
    let (_, hits) = json(&state, "/api/search?q=ltv").await;
    assert_eq!(hits[0]["table"], "customer_ltv");
    let (_, hits) = json(&state, "/api/search?q=first_order").await;
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["hit"] == "column" && h["table"] == "dim_customers"),
        "{hits}"
    );
    let (_, hits) = json(&state, "/api/search?q=fulfilment&limit=5").await;
    assert!(
        !hits.as_array().unwrap().is_empty(),
        "description words match"
    );
}

#[tokio::test]
async fn unknown_things_are_json_404s() {
    let (state, _dir) = demo_app().await;
    let (status, body) = json(&state, "/api/connections/nope/tree").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("nope"));
    let (status, _) = json(&state, "/api/connections/jaffle_warehouse/tables/a/b/c").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json(&state, "/api/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Bad query parameters are the client's mistake, said in each surface's own format.
#[tokio::test]
async fn bad_parameters_are_400s_in_json_and_in_pages() {
    let (state, _dir) = demo_app().await;
    let (status, body) = json(&state, "/api/connections/jaffle_warehouse/syncs?limit=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("limit"), "{error}");
    // A path segment that is not UTF-8 once decoded.
    let (status, body) = json(&state, "/api/connections/%FF").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string(), "{body}");
    let (status, ctype, page) = get(&state, "/connections/%FF/status").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(page.contains("UTF-8"), "{page}");
}

#[tokio::test]
async fn table_json_carries_hex_usage() {
    let (state, _dir) = demo_app().await;
    let (status, body) = json(
        &state,
        "/api/connections/jaffle_warehouse/tables/analytics/finance/rpt_monthly_revenue",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let hex = body["hex"].as_array().unwrap();
    assert_eq!(hex.len(), 2, "{hex:#?}");
    assert_eq!(hex[0]["project_name"], "Revenue dashboard");
    assert_eq!(hex[0]["cell_label"], "Monthly revenue");
    assert_eq!(hex[0]["owner"], "ana@jaffle.shop");
    assert_eq!(hex[0]["observed"], true);
    assert_eq!(hex[0]["in_project_sql"], true);
    assert_eq!(hex[0]["hex_confirms"], true);
    // The archived deck's SQL reads the table; nobody ran it in the history.
    assert_eq!(hex[1]["project_name"], "Q3 board deck");
    assert_eq!(hex[1]["state"], "archived");
    assert_eq!(hex[1]["observed"], false);
    assert_eq!(hex[1]["in_project_sql"], true);
    assert_eq!(hex[1]["hex_confirms"], false);
    assert_eq!(hex[1]["live"], false);
    assert_eq!(hex[0]["runs"], 21);
    assert_eq!(hex[0]["runs_by_context"]["scheduled"], 14);
    assert_eq!(hex[0]["runs_by_context"]["app_view"], 7);
    assert_eq!(hex[0]["live"], true);
    assert_eq!(
        hex[0]["columns"],
        serde_json::json!(["gross_revenue", "net_revenue", "revenue_month"])
    );
}

/// Runs of one cell that reads several tables, per surface: each execution counts once.
#[tokio::test]
async fn every_surface_counts_a_multi_table_cells_runs_once() {
    let (state, _dir) = demo_app().await;
    let (_, graph) = json(&state, "/api/graph").await;
    let nodes = graph["nodes"].as_array().unwrap();
    let edges = graph["edges"].as_array().unwrap();
    let reads_of = |id: &str| {
        edges
            .iter()
            .filter(|e| e["to"] == id && e["kind"] == "reads")
            .count()
    };
    let runs = |activity: &Value| -> i64 {
        activity["runs_by_context"]
            .as_object()
            .map_or(0, |m| m.values().map(|v| v.as_i64().unwrap()).sum())
    };
    let cell = nodes
        .iter()
        .find(|n| {
            n["kind"] == "hex_cell"
                && reads_of(n["id"].as_str().unwrap()) >= 2
                && runs(&n["activity"]) > 0
        })
        .expect("the demo has a cell that ran and reads two tables");
    let id = cell["id"].as_str().unwrap();
    let (project_id, cell_id) = id["cell:".len()..].split_once(':').unwrap();
    let graph_runs = runs(&cell["activity"]);

    let (status, project) = json(&state, &format!("/api/hex/projects/{project_id}")).await;
    assert_eq!(status, StatusCode::OK);
    let detail = project["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cell_id"] == cell_id)
        .unwrap();
    assert_eq!(detail["runs"].as_i64().unwrap(), graph_runs, "{detail:#}");
    let project_node = nodes
        .iter()
        .find(|n| n["id"] == format!("hex:{project_id}"))
        .unwrap();
    assert_eq!(
        runs(&project_node["activity"]),
        project["runs"].as_i64().unwrap(),
        "project in the graph and on its page"
    );
    // Each table page shows the same runs for this cell.
    let observed: Vec<&Value> = detail["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["observed"] == true)
        .collect();
    assert!(observed.len() >= 2, "{detail:#}");
    for table in observed {
        let key = table["table_key"].as_str().unwrap();
        let mut parts = key.splitn(3, '.');
        let (database, schema, name) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let (_, page) = json(
            &state,
            &format!("/api/connections/jaffle_warehouse/tables/{database}/{schema}/{name}"),
        )
        .await;
        let usage = page["hex"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["cell_id"] == cell_id)
            .unwrap_or_else(|| panic!("{key} lists the cell: {page:#}"));
        assert_eq!(usage["runs"].as_i64().unwrap(), graph_runs, "{key}");
    }
}

/// Hex work reading from a model with a failing test, or a late source, says so, with the
/// path from the cell and since when; a project reading only healthy data is healthy.
#[tokio::test]
async fn health_names_the_upstream_problem_with_its_path() {
    let (state, _dir) = demo_app().await;
    let (status, body) = json(&state, "/api/health").await;
    assert_eq!(status, StatusCode::OK);
    let projects = body.as_array().unwrap();
    let revenue = projects
        .iter()
        .find(|p| p["title"] == "Revenue dashboard")
        .unwrap();
    assert_eq!(revenue["health"], "failing", "{revenue:#}");
    let cell = revenue["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "Orders with cash-equivalent payments")
        .unwrap();
    let findings = cell["findings"].as_array().unwrap();
    let test = &findings[0];
    assert_eq!(test["problem"]["kind"], "test_failed");
    assert_eq!(test["problem"]["column"], "status");
    assert!(test["problem"]["since"].is_string());
    let labels = |f: &Value| -> Vec<String> {
        f["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["label"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        labels(test),
        ["Orders with cash-equivalent payments", "fct_orders"]
    );
    let late = findings
        .iter()
        .find(|f| f["problem"]["kind"] == "source_warned")
        .unwrap();
    assert_eq!(labels(late).last().unwrap(), "shop.payments", "{late:#}");
    // Worst first: failing projects before warning and healthy ones.
    let order: Vec<&str> = projects
        .iter()
        .map(|p| p["health"].as_str().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|h| {
        ["failing", "warning", "healthy"]
            .iter()
            .position(|x| x == h)
    });
    assert_eq!(order, sorted);
    let (status, one) = json(
        &state,
        &format!(
            "/api/health?project={}",
            revenue["project_id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one.as_array().unwrap().len(), 1);
    let (status, _) = json(&state, "/api/health?project=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The Hex list filters and sorts by health.
#[tokio::test]
async fn the_hex_list_filters_and_sorts_by_health() {
    let (state, _dir) = demo_app().await;
    let (_, _, healthy) = get(&state, "/hex?state=all&health=healthy").await;
    assert!(!healthy.contains("failing upstream"), "{healthy}");
    assert!(healthy.contains(">healthy<"), "{healthy}");
    let (_, _, failing) = get(&state, "/hex?state=all&health=failing").await;
    assert!(failing.contains("Revenue dashboard") && !failing.contains(">healthy<"));
    let (_, _, sorted) = get(&state, "/hex?state=all&sort=health").await;
    let first_failing = sorted.find("failing upstream").unwrap();
    let first_healthy = sorted.find(">healthy<").unwrap();
    assert!(first_failing < first_healthy, "failing first");
}
