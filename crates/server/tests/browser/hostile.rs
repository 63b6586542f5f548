//! Hostile text in real Chromium: dbt descriptions and column names, Hex titles, labels and
//! SQL, and a search query, each carrying markup that would run script if it were markup. On
//! every page they reach, a person sees the text as written and no script runs.

use super::{browser, screenshot, serve_state, visible_text};
use crate::{add_hostile_hex, demo_app};
use fantoccini::Client;
use model::WarehouseKind;

/// Sets `window.pwned` (and so says which vector worked) if any of it is ever markup.
const PAYLOAD: &str =
    r#"<script>window.pwned='script'</script><img src=x onerror="window.pwned='img'">"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_is_shown_as_text_and_never_runs() {
    let (state, dir) = demo_app().await;
    add_hostile_dbt(&state.store).await;
    add_hostile_hex(&state.store, PAYLOAD).await;
    let (base, _dir) = serve_state(state, dir).await;
    let b = browser().await;
    let c = &b.client;

    let table = "/connections/jaffle_warehouse/tables/analytics/finance/customer_ltv";
    let pages = [
        (table, true),
        ("/hex", true),
        ("/hex/projects/evil-p", true),
        (
            "/lineage?node=dbt%3Ajaffle_warehouse%3Amodel.jaffle_analytics.customer_ltv&column=net_ltv",
            true,
        ),
        ("/search?q=%3Cscript%3Ewindow.pwned%3D'script'%3C%2Fscript%3E", true),
        (
            "/connections/jaffle_warehouse/tables/analytics/staging/stg_products",
            false,
        ),
    ];
    for (path, shows_payload) in pages {
        c.goto(&format!("{base}{path}")).await.unwrap();
        assert_nothing_ran(c, path).await;
        if shows_payload {
            let text = visible_text(c, "body").await;
            assert!(
                text.contains("<script>window.pwned='script'</script>"),
                "{path}: the text as written is on the page: {text}"
            );
        }
    }
    c.goto(&format!("{base}{table}")).await.unwrap();
    let description = visible_text(c, "#description").await;
    assert!(
        description.contains(r#"Lifetime value. <script>window.pwned='script'</script><img src=x onerror="window.pwned='img'">"#),
        "the description reads as dbt has it: {description}"
    );
    let columns = visible_text(c, "#columns").await;
    assert!(columns.contains("<img src=x onerror="), "{columns}");
    screenshot(c, "hostile-table").await;
}

/// No script set the marker, no alert is open, and no link would run script when clicked.
async fn assert_nothing_ran(c: &Client, path: &str) {
    let verdict = c
        .execute(
            "return [window.pwned === undefined ? 'safe' : String(window.pwned),
                     document.querySelectorAll('a[href^=\"javascript:\" i]').length,
                     document.querySelectorAll('script:not([src])').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        verdict,
        serde_json::json!(["safe", 0, 0]),
        "{path}: [marker, javascript: links, inline scripts]"
    );
    assert!(
        c.get_alert_text().await.is_err(),
        "{path}: an alert is open"
    );
}

/// The demo project with the payload as a model's description, a column's name and a
/// column's description.
async fn add_hostile_dbt(store: &store::Store) {
    let artifacts = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/jaffle_analytics/artifacts");
    let paths = dbt::ArtifactPaths {
        manifest: artifacts.join("manifest.json"),
        catalog: Some(artifacts.join("catalog.json")),
        run_results: vec![artifacts.join("run_results.json")],
        sources: Some(artifacts.join("sources.json")),
    };
    let mut project = dbt::load(&paths, WarehouseKind::Postgres).unwrap();
    let ltv = project
        .nodes
        .iter_mut()
        .find(|n| n.unique_id == "model.jaffle_analytics.customer_ltv")
        .unwrap();
    ltv.description = format!("Lifetime value. {PAYLOAD}");
    let mut column = ltv.columns[0].clone();
    column.name = PAYLOAD.into();
    column.description = PAYLOAD.into();
    ltv.columns.push(column);
    store
        .replace_dbt("jaffle_warehouse", &project, &store::now())
        .await
        .unwrap();
}
