use crate::{demo_app, get};
use axum::http::StatusCode;

#[tokio::test]
async fn the_table_page_shows_what_dbt_knows() {
    let (state, _dir) = demo_app().await;
    let (status, ctype, html) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/marts/fct_orders",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/html"));
    assert!(
        html.contains("<strong>One row per order</strong>"),
        "markdown rendered"
    );
    assert!(html.contains("accepted_values fail"));
    assert!(
        html.contains("https://docs.example.com/jaffle/#!/model/model.jaffle_analytics.fct_orders")
    );
    assert!(html.contains("owner analytics@acme.com"));
}

#[tokio::test]
async fn source_pages_show_freshness_with_age_and_rule() {
    let (state, _dir) = demo_app().await;
    let (_, _, html) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/raw/raw_payments",
    )
    .await;
    assert!(html.contains("freshness warn"), "{html}");
    assert!(html.contains("warn after 24"), "{html}");
    assert!(html.contains("30 h old"), "{html}");
}

#[tokio::test]
async fn html_in_dbt_descriptions_is_never_markup() {
    let (state, _dir) = demo_app().await;
    let (_, _, html) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/staging/stg_products",
    )
    .await;
    assert!(
        !html.contains("<script>alert"),
        "script from a description reached the page"
    );
    let (_, _, json) = get(
        &state,
        "/api/connections/jaffle_warehouse/tables/analytics/staging/stg_products",
    )
    .await;
    assert!(
        json.contains("<script>alert(1)</script>"),
        "the API returns the text as dbt wrote it"
    );
}

#[tokio::test]
async fn every_page_sends_a_strict_content_security_policy() {
    let (state, _dir) = demo_app().await;
    let res = tower::ServiceExt::oneshot(
        server::app(state),
        axum::http::Request::get("/")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn assets_are_embedded_and_nothing_else_is_served() {
    let (state, _dir) = demo_app().await;
    let (status, ctype, css) = get(&state, "/assets/app.css").await;
    assert_eq!(
        (status, ctype.as_str()),
        (StatusCode::OK, "text/css; charset=utf-8")
    );
    assert!(css.contains("--pass"));
    for probe in [
        "/assets/..%2F..%2FCargo.toml",
        "/assets/%2e%2e%2fsrc%2flib.rs",
        "/assets/nope.js",
    ] {
        assert_eq!(get(&state, probe).await.0, StatusCode::NOT_FOUND, "{probe}");
    }
}

#[tokio::test]
async fn status_and_missing_pages() {
    let (state, _dir) = demo_app().await;
    let (status, _, html) = get(&state, "/connections/jaffle_warehouse/status").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Refresh history") && html.contains("local artifacts"));
    let (status, _, html) = get(&state, "/connections/ghost").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("no connection named"));
    let (_, _, html) = get(&state, "/search?q=%3Cb%3Ecustomer").await;
    assert!(
        !html.contains("<b>customer") && html.contains("&#60;b&#62;customer"),
        "the query is escaped"
    );
}

#[tokio::test]
async fn the_table_page_lists_hex_cells_live_and_stale() {
    let (state, _dir) = demo_app().await;
    let (_, _, html) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/marts/fct_orders",
    )
    .await;
    assert!(html.contains("Used in Hex"), "{html}");
    assert!(html.contains("Ops: order status monitor"));
    assert!(html.contains("https://app.hex.tech/jaffle/hex/9c4f5d1b-6e0a-4b8c-ad74-3f5a0b1c2d43/draft/logic?selectedCellId=dab8f2a7-8e9c-4d3b-b5e6-0172839aabc6"));
    assert!(
        html.contains("12 scheduled · 2 API") || html.contains("2 API · 12 scheduled"),
        "{html}"
    );
    let (_, _, stale) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/raw/raw_products",
    )
    .await;
    assert!(
        stale.contains("hex-stale") && !stale.contains("hex-live"),
        "{stale}"
    );
}

#[tokio::test]
async fn the_table_page_shows_a_timeline_of_runs() {
    let (state, _dir) = demo_app().await;
    let (_, _, html) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/marts/fct_orders",
    )
    .await;
    assert!(html.contains("id=\"test-timeline\""), "{html}");
    assert!(
        html.contains("class=\"tick fail\""),
        "the failing accepted_values test: {html}"
    );
    let (_, _, source) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/raw/raw_payments",
    )
    .await;
    assert!(source.contains("id=\"freshness-timeline\"") && source.contains("class=\"tick warn\""));
}

#[tokio::test]
async fn the_refresh_button_runs_the_connection_sources_for_same_origin_posts_only() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let (mut state, dir) = demo_app().await;
    let history = dir.path().join("more.jsonl");
    std::fs::write(
        &history,
        "{\"query_text\": \"select * from analytics.marts.dim_products\\n-- Hex query metadata: {\\\"project_id\\\": \\\"fresh\\\", \\\"context\\\": \\\"APP_VIEW\\\", \\\"project_url\\\": \\\"https://app.hex.tech/a/hex/fresh/app?selectedCellId=c\\\"}\", \"start_time\": \"2026-11-23T08:00:00Z\"}\n",
    )
    .unwrap();
    let target = sync::HistoryTarget {
        connection: "jaffle_warehouse".into(),
        kind: model::WarehouseKind::Postgres,
        environment: "more".into(),
        source: std::sync::Arc::new(history::file::FileHistory::new(history)),
        lookback: chrono::Duration::days(3650),
        runs_counted_by: None,
        default_database: Some("analytics".into()),
        default_schema: Some("public".into()),
    };
    state.refresher = Some(std::sync::Arc::new(server::Refresher::new(sync::Sources {
        history: vec![target],
        ..sync::Sources::default()
    })));
    let (_, _, page) = get(&state, "/connections/jaffle_warehouse").await;
    assert!(page.contains("Refresh now"), "{page}");

    let post = |site: &'static str| {
        Request::post("/connections/jaffle_warehouse/refresh")
            .header("sec-fetch-site", site)
            .body(Body::empty())
            .unwrap()
    };
    let cross = server::app(state.clone())
        .oneshot(post("cross-site"))
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let before = state
        .store
        .hex_usage(
            "jaffle_warehouse",
            "analytics.marts.dim_products",
            "2000-01-01",
        )
        .await
        .unwrap();
    assert!(before.iter().all(|u| u.project_id != "fresh"));

    let same = server::app(state.clone())
        .oneshot(post("same-origin"))
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::SEE_OTHER);
    let after = state
        .store
        .hex_usage(
            "jaffle_warehouse",
            "analytics.marts.dim_products",
            "2000-01-01",
        )
        .await
        .unwrap();
    assert!(after.iter().any(|u| u.project_id == "fresh"), "{after:?}");
}

#[tokio::test]
async fn hostile_hex_titles_and_labels_are_text_in_the_lineage_graph_and_exports() {
    let (state, _dir) = demo_app().await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    crate::add_hostile_hex(&state.store, evil).await;
    let (status, _, page) = get(
        &state,
        "/lineage?node=dbt%3Ajaffle_warehouse%3Amodel.jaffle_analytics.customer_ltv&column=net_ltv",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "shown as text"
    );
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "javascript:alert",
    ] {
        assert!(!page.contains(raw), "{raw} reached the page as markup");
    }
    let (_, _, table) = get(
        &state,
        "/connections/jaffle_warehouse/tables/analytics/finance/customer_ltv",
    )
    .await;
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "href=\"javascript:",
    ] {
        assert!(
            !table.contains(raw),
            "{raw} reached the table page as markup"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_turns_wait_and_all_are_answered() {
    let (state, _dir) = demo_app().await;
    let state = state.with_turns(1);
    let pages = [
        "/",
        "/hex",
        "/connections/jaffle_warehouse",
        "/search?q=orders",
    ];
    let mut asked = tokio::task::JoinSet::new();
    for page in pages {
        let state = state.clone();
        asked.spawn(async move { (page, get(&state, page).await.0) });
    }
    let answers = asked.join_all().await;
    assert_eq!(answers.len(), pages.len());
    for (page, status) in answers {
        assert_eq!(status, StatusCode::OK, "{page}");
    }
}

#[tokio::test]
async fn a_request_that_waits_too_long_for_a_turn_is_told_to_come_back() {
    use axum::body::Body;
    use tower::ServiceExt;
    let (state, _dir) = demo_app().await;
    // No turns at all: the request waits out the limit, which paused time skips.
    tokio::time::pause();
    let res = server::app(state.with_turns(0))
        .oneshot(axum::http::Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
}

#[tokio::test]
async fn no_route_serves_a_file_outside_the_embedded_assets() {
    let (state, _dir) = demo_app().await;
    for path in [
        "/assets/..%2f..%2fCargo.toml",
        "/assets/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/assets/../../Cargo.toml",
        "/assets/..%5c..%5cCargo.toml",
        "/assets/app.css%00.txt",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
    ] {
        let (status, _, body) = get(&state, path).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{path}: {status}"
        );
        assert!(
            !body.contains("[workspace]") && !body.contains("root:"),
            "{path}"
        );
    }
    assert_eq!(get(&state, "/assets/app.css").await.0, StatusCode::OK);
}
