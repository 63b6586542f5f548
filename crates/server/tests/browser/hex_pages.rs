//! The Hex pages in real Chromium: the list sorted by a click on a column header, then a
//! project with its cells.

use super::{browser, screenshot, serve_demo, visible_text};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sorts_the_hex_projects_and_opens_one() {
    let (base, _dir) = serve_demo().await;
    let b = browser().await;
    let c = &b.client;

    c.goto(&base).await.unwrap();
    c.find(Locator::LinkText("Hex"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let list = visible_text(c, "#hex-projects").await;
    for title in ["Revenue dashboard", "Churn early warning", "Q3 board deck"] {
        assert!(list.contains(title), "{title}: {list}");
    }
    assert!(
        list.contains("not observed") && list.contains("archived"),
        "{list}"
    );
    assert!(
        list.contains("failing upstream") && list.contains("healthy"),
        "{list}"
    );
    screenshot(c, "hex-projects").await;

    c.find(Locator::Css("th.sortable a[href*='sort=app_views']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let first = visible_text(c, "#hex-projects tbody tr:first-child").await;
    assert!(
        first.contains("Ops: order status monitor"),
        "most app views first: {first}"
    );
    let sorted = visible_text(c, "th[aria-sort]").await;
    assert!(
        sorted.contains("APP VIEWS") || sorted.contains("App views"),
        "{sorted}"
    );

    c.find(Locator::LinkText("Revenue dashboard"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = visible_text(c, "h1").await;
    assert!(
        title.contains("Revenue dashboard") && title.contains("live"),
        "{title}"
    );
    let cells = c.find_all(Locator::Css("section.cell")).await.unwrap();
    assert_eq!(cells.len(), 3);
    let first_cell = cells[0].text().await.unwrap();
    assert!(
        first_cell.contains("Monthly revenue")
            && first_cell.contains("select revenue_month")
            && first_cell.contains("analytics.finance.rpt_monthly_revenue"),
        "{first_cell}"
    );
    let keyword = c.find(Locator::Css("pre.sql .tok-kw")).await.unwrap();
    assert_eq!(keyword.text().await.unwrap(), "select");
    // Health on the first screen, the evidence one glance below.
    assert!(title.contains("failing upstream"), "{title}");
    let why = visible_text(c, "#why").await;
    assert!(
        why.contains("failing test")
            && why.contains("Orders with cash-equivalent payments → fct_orders")
            && why.contains("source past its warning"),
        "{why}"
    );
    screenshot(c, "hex-project").await;
    super::element_screenshot(c, "#why", "hex-project-why").await;

    c.find(Locator::LinkText("analytics.finance.rpt_monthly_revenue"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let hex = visible_text(c, "#hex").await;
    assert!(
        hex.contains("Revenue dashboard"),
        "the table page it links to: {hex}"
    );
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_sql_wraps_and_scrolls_inside_its_cell() {
    let (state, dir) = crate::demo_app().await;
    let columns: Vec<String> = (1..=40).map(|i| format!("o.column_number_{i}")).collect();
    let body: Vec<String> = (1..=60)
        .map(|i| format!("  and o.status <> 'status_{i}'"))
        .collect();
    let sql = format!(
        "select {}, '{}' as unbroken\nfrom analytics.marts.fct_orders o\nwhere 1 = 1\n{}",
        columns.join(", "),
        "x".repeat(400),
        body.join("\n")
    );
    crate::hex_pages::add_history_project(&state.store, "zz-long", "Long SQL", &sql).await;
    let (base, _dir) = super::serve_state(state, dir).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&format!("{base}/hex/projects/zz-long"))
        .await
        .unwrap();
    let pre = c.find(Locator::Css("pre.sql")).await.unwrap();
    let (_, _, pre_width, pre_height) = pre.rectangle().await.unwrap();
    let (_, _, cell_width, _) = c
        .find(Locator::Css("section.cell"))
        .await
        .unwrap()
        .rectangle()
        .await
        .unwrap();
    assert!(
        pre_width < cell_width,
        "the SQL stays inside its cell: {pre_width} vs {cell_width}"
    );
    assert!(pre_height <= 440.0, "long SQL scrolls: {pre_height}");
    let page_width: f64 = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(page_width <= 1280.0, "no sideways scrolling: {page_width}");
    screenshot(c, "hex-project-long-sql").await;
    c.clone().close().await.unwrap();
}
