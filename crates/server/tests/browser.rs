//! Real headless Chromium, driven through chromedriver, looking at the demo as a person would.
//! Screenshots land in target/screenshots/; with DOWNSTREAM_UPDATE_SCREENSHOTS=1 the README's
//! picture in docs/ is refreshed too.

mod hex_pages;
mod hostile;

use crate::demo_app;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver process and a browser session; both end on drop.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> Browser {
    let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    let driver = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {chromedriver} ({e}): scripts/test installs Debian's chromium-driver"
            )
        });
    let profile = tempfile::tempdir().unwrap();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let caps: serde_json::Map<String, serde_json::Value> = caps.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..50 {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Browser {
                    client,
                    driver,
                    _profile: profile,
                }
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not accept a session: {last:?}");
}

/// Serves the demo on a free loopback port.
async fn serve_demo() -> (String, tempfile::TempDir) {
    let (state, dir) = demo_app().await;
    serve_state(state, dir).await
}

async fn serve_state(
    state: server::AppState,
    dir: tempfile::TempDir,
) -> (String, tempfile::TempDir) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, server::app(state)).await.unwrap() });
    (base, dir)
}

async fn screenshot(client: &Client, name: &str) {
    save(name, &client.screenshot().await.unwrap());
}

/// Just one element, e.g. a section further down a long page.
async fn element_screenshot(client: &Client, css: &str, name: &str) {
    let element = client.find(Locator::Css(css)).await.unwrap();
    save(name, &element.screenshot().await.unwrap());
}

fn save(name: &str, png: &[u8]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    if std::env::var_os("DOWNSTREAM_UPDATE_SCREENSHOTS").is_some() {
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join(format!("docs/{name}.png")), png).unwrap();
    }
}

async fn visible_text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sees_descriptions_failing_tests_and_freshness_warnings() {
    let (base, _dir) = serve_demo().await;
    let b = browser().await;
    let c = &b.client;

    c.goto(&format!("{base}/connections/jaffle_warehouse"))
        .await
        .unwrap();
    let tree = visible_text(c, ".tree").await;
    assert!(
        tree.contains("fct_orders") && tree.contains("1 failing"),
        "{tree}"
    );
    assert!(tree.contains("freshness warn"), "{tree}");
    screenshot(c, "schema-browser").await;

    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/marts/fct_orders"
    ))
    .await
    .unwrap();
    let description = visible_text(c, "#description").await;
    assert!(description.contains("One row per order"), "{description}");
    let results = visible_text(c, "#test-results").await;
    assert!(
        results.contains("fail") && results.contains("accepted_values"),
        "{results}"
    );
    let build = visible_text(c, "#build").await;
    assert!(build.contains("pass"), "{build}");
    screenshot(c, "table-page").await;
    let hex = visible_text(c, "#hex").await;
    assert!(
        hex.contains("Used in Hex") && hex.contains("Ops: order status monitor"),
        "{hex}"
    );
    assert!(
        hex.contains("live") && hex.contains("12 scheduled"),
        "{hex}"
    );
    element_screenshot(c, "#hex", "used-in-hex").await;

    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/raw/raw_products"
    ))
    .await
    .unwrap();
    let stale = visible_text(c, "#hex").await;
    assert!(
        stale.contains("Product mix exploration") && stale.contains("stale"),
        "work older than the window stays, marked stale: {stale}"
    );

    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/raw/raw_payments"
    ))
    .await
    .unwrap();
    let freshness = visible_text(c, "#freshness").await;
    assert!(
        freshness.contains("freshness warn") && freshness.contains("warn after 24"),
        "{freshness}"
    );
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_lists_matches_as_you_type() {
    let (base, _dir) = serve_demo().await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&base).await.unwrap();
    let input = c.find(Locator::Id("search")).await.unwrap();
    input.send_keys("lifetime").await.unwrap();
    let first = c
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("#search-results li a"))
        .await
        .unwrap();
    let text = first.text().await.unwrap();
    assert!(text.contains("customer_ltv"), "{text}");
    screenshot(c, "search").await;
    first.click().await.unwrap();
    let heading = visible_text(c, "h1").await;
    assert!(heading.contains("customer_ltv"), "{heading}");
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_in_a_description_never_runs() {
    let (base, _dir) = serve_demo().await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/staging/stg_products"
    ))
    .await
    .unwrap();
    // An alert would leave a dialog open; the page must have none and no script element in text.
    assert!(c.get_alert_text().await.is_err(), "an alert is open");
    let scripts = c
        .execute(
            "return document.querySelectorAll('main script').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(scripts, serde_json::json!(0));
    let description = visible_text(c, "#description").await;
    assert!(!description.is_empty());
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_shows_the_warehouse_as_it_is() {
    let (state, dir) = demo_app().await;
    // The warehouse's marts schema has fct_orders and a table dbt does not manage, but no
    // dim_customers (and no other marts model).
    let marts = store::StoredSchema {
        database: "analytics".into(),
        schema: "marts".into(),
        changed_at: None,
        synced_at: String::new(),
    };
    let table = |name: &str, columns: &[&str]| store::WarehouseRelation {
        database: "analytics".into(),
        schema: "marts".into(),
        name: name.into(),
        rel_key: format!("analytics.marts.{name}"),
        kind: "table".into(),
        comment: Some("Exported by finance <script>alert(1)</script>".into()),
        row_estimate: Some(1200),
        columns: columns
            .iter()
            .map(|c| (c.to_string(), "text".to_string(), None))
            .collect(),
    };
    let relations = vec![
        table("fct_orders", &["order_id", "status"]),
        table("scratch_export", &["id", "amount"]),
    ];
    state
        .store
        .replace_warehouse_schema("jaffle_warehouse", &marts, &relations)
        .await
        .unwrap();
    let (base, _dir) = serve_state(state, dir).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&format!("{base}/connections/jaffle_warehouse"))
        .await
        .unwrap();
    let tree = visible_text(c, ".tree").await;
    assert!(tree.contains("scratch_export"), "{tree}");
    assert!(tree.contains("not built"), "{tree}");
    screenshot(c, "tree-with-warehouse").await;
    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/marts/scratch_export"
    ))
    .await
    .unwrap();
    let page = visible_text(c, "main").await;
    assert!(
        page.contains("Not managed by dbt") && page.contains("amount"),
        "{page}"
    );
    assert!(
        page.contains("<script>alert(1)</script>"),
        "comments show as text: {page}"
    );
    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/marts/dim_customers"
    ))
    .await
    .unwrap();
    let not_built = visible_text(c, "#not-built").await;
    assert!(not_built.contains("Not built"), "{not_built}");
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_metadata_names_the_work_and_project_sql_shows_what_never_ran() {
    let (base, _dir) = serve_demo().await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/finance/customer_ltv"
    ))
    .await
    .unwrap();
    let hex = visible_text(c, "#hex").await;
    assert!(
        hex.contains("Customer lifetime value") && hex.contains("LTV tiers"),
        "{hex}"
    );
    assert!(
        hex.contains("cy@jaffle.shop"),
        "the owner from the Hex API: {hex}"
    );
    assert!(
        hex.contains("Hex lists this table for the project"),
        "{hex}"
    );
    assert!(hex.contains("Churn early warning"), "{hex}");
    assert!(
        hex.contains("Lifetime value of the quiet ones")
            && hex.contains("from the project's SQL, not observed"),
        "a cell that never ran still shows: {hex}"
    );
    let link = c
        .find(Locator::LinkText("Churn early warning"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(
        link.as_deref(),
        Some("https://app.hex.tech/jaffle/hex/ad5a6e2c-7f1b-4c9d-be85-4a6b1c2d3e54")
    );
    element_screenshot(c, "#hex", "used-in-hex-api").await;
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_dbt_refresh_puts_a_warning_beside_each_dbt_table() {
    let (state, dir) = demo_app().await;
    let message = "No jobs found for this project: none of its 1 job(s) has generated docs in a successful run";
    state
        .store
        .record_failure("jaffle_warehouse", "dbt", &store::now(), message)
        .await
        .unwrap();
    let (base, _dir) = serve_state(state, dir).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&format!("{base}/connections/jaffle_warehouse"))
        .await
        .unwrap();
    let banner = visible_text(c, "#refresh-error").await;
    assert!(
        banner.contains("dbt metadata: No jobs found for this project"),
        "{banner}"
    );
    let icons = c
        .find_all(Locator::Css(".tables .warn-icon"))
        .await
        .unwrap();
    assert!(
        icons.len() > 10,
        "one beside each dbt table, {} found",
        icons.len()
    );
    let hover = icons[0].attr("title").await.unwrap().unwrap_or_default();
    assert!(
        hover.contains(message),
        "the hover shows the message: {hover}"
    );
    icons[0].clone().click().await.ok();
    screenshot(c, "dbt-error-in-tree").await;
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lineage_graph_reaches_hex_cells_and_follows_a_column() {
    let (base, _dir) = serve_demo().await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&format!(
        "{base}/connections/jaffle_warehouse/tables/analytics/finance/customer_ltv"
    ))
    .await
    .unwrap();
    c.find(Locator::Id("lineage-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("body[data-graph-ready]"))
        .await
        .unwrap();
    screenshot(c, "lineage").await;
    let graph = visible_text(c, "#lineage").await;
    for expected in [
        "customer_ltv",
        "fct_payments",
        "LTV tiers",
        "Customer lifetime value",
        "Churn early warning",
    ] {
        assert!(graph.contains(expected), "{expected} missing from\n{graph}");
    }

    c.find(Locator::LinkText("net_ltv"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let uses = visible_text(c, "#column-uses").await;
    assert!(
        uses.contains("LTV tiers") && uses.contains("Top customers"),
        "{uses}"
    );
    assert!(uses.contains("Lifetime value of the quiet ones"), "{uses}");
    let hits = c.find_all(Locator::Css(".lineage .n.hit")).await.unwrap();
    assert!(
        hits.len() >= 3,
        "the cells using net_ltv are marked: {}",
        hits.len()
    );
    screenshot(c, "lineage-column").await;

    // Upstream, a source column reaches the same cells through the models computed from it.
    c.goto(&format!(
        "{base}/lineage?node=dbt%3Ajaffle_warehouse%3Amodel.jaffle_analytics.fct_payments&down=5&column=net_amount"
    ))
    .await
    .unwrap();
    let through = visible_text(c, "#column-uses").await;
    assert!(
        through.contains("LTV tiers") && through.contains("customer_ltv"),
        "net_amount reaches the LTV cells through customer_ltv: {through}"
    );

    // Clicking a node refocuses the graph on it.
    c.find(Locator::Css(".lineage .n.hex_project"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = visible_text(c, "h1").await;
    assert!(title.contains("hex project"), "{title}");
    c.clone().close().await.unwrap();
}
