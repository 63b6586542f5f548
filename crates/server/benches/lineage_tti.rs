//! Time to interactive of the lineage page in real headless Chromium, for neighbourhoods of
//! 200 and 2,000 nodes (target: under 1 s for 2,000). Run with
//! `cargo bench -p downstream-server --bench lineage_tti` (bench/lineage-tti.sh does that);
//! needs `chromium` and `chromium-driver`, which scripts/test installs.
//!
//! A synthetic project is loaded into a SQLite store: sources → staging models → one hub
//! model → marts → Hex cells → Hex projects. The page focuses the hub with both depths at
//! "all", so the whole project is its neighbourhood. Time to interactive is the
//! `graph-ready` mark lineage.js sets once the graph answers input, from navigation start:
//! it covers the server (graph, layout, HTML), the transfer, parsing, style, layout and the
//! script. Each size is loaded 5 times in a fresh tab; the median is reported.

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use model::{DbtProject, RelationName};
use serde_json::json;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::{HexCellRecord, HexProjectRecord, Store};

const RUNS: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "| nodes | edges | server (ms) | time to interactive (ms, median of {RUNS}) | min | max |"
    );
    println!("|---|---|---|---|---|---|");
    for size in [200, 2_000] {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = synthetic_store(dir.path(), size).await;
        let (nodes, edges) = graph_size(&store).await;
        let base = support::serve(server::AppState::new(store)).await;
        let url = format!("{base}/lineage?node=dbt%3Awh%3Amodel.bench.hub&up=50&down=50");
        let server_ms = fetch_ms(&url).await;
        let mut samples = measure(&url).await;
        samples.sort_by(f64::total_cmp);
        println!(
            "| {nodes} | {edges} | {server_ms:.0} | {:.0} | {:.0} | {:.0} |",
            samples[RUNS / 2],
            samples[0],
            samples[RUNS - 1]
        );
    }
}

/// A project whose hub's neighbourhood holds about `size` nodes.
async fn synthetic_store(dir: &std::path::Path, size: usize) -> Store {
    let store = Store::open(&dir.join("bench.sqlite").display().to_string())
        .await
        .expect("a store");
    let fifth = size / 5;
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for i in 0..fifth {
        nodes.push(support::dbt_node(
            &format!("source.bench.raw.t{i}"),
            "source",
            "raw",
            &format!("t{i}"),
            1,
        ));
        nodes.push(support::dbt_node(
            &format!("model.bench.stg_{i}"),
            "model",
            "staging",
            &format!("stg_{i}"),
            1,
        ));
        edges.push((
            format!("source.bench.raw.t{i}"),
            format!("model.bench.stg_{i}"),
        ));
        edges.push((
            format!("model.bench.stg_{i}"),
            "model.bench.hub".to_string(),
        ));
        nodes.push(support::dbt_node(
            &format!("model.bench.mart_{i}"),
            "model",
            "marts",
            &format!("mart_{i}"),
            1,
        ));
        edges.push((
            "model.bench.hub".to_string(),
            format!("model.bench.mart_{i}"),
        ));
    }
    nodes.push(support::dbt_node(
        "model.bench.hub",
        "model",
        "core",
        "hub",
        1,
    ));
    let project = DbtProject {
        nodes,
        edges,
        ..DbtProject::default()
    };
    support::add_connection(&store).await;
    store
        .replace_dbt("wh", &project, &store::now())
        .await
        .expect("the project");
    add_hex(&store, fifth).await;
    store
}

/// 1.5 cells per mart, three cells a project.
async fn add_hex(store: &Store, marts: usize) {
    let cells = marts * 3 / 2;
    let projects: Vec<HexProjectRecord> = (0..cells.div_ceil(3))
        .map(|p| HexProjectRecord {
            project_id: format!("p{p}"),
            title: format!("Project {p}"),
            kind: "PROJECT".into(),
            url: format!("https://app.hex.tech/bench/hex/p{p}"),
            ..HexProjectRecord::default()
        })
        .collect();
    support::add_hex(store, "bench", &projects, |n| {
        (n * 3..(n * 3 + 3).min(cells))
            .map(|c| cell(c, marts))
            .collect()
    })
    .await;
}

fn cell(c: usize, marts: usize) -> HexCellRecord {
    let key = |i: usize| {
        RelationName {
            database: Some("analytics".into()),
            schema: Some("marts".into()),
            name: format!("mart_{}", i % marts),
        }
        .key()
    };
    HexCellRecord {
        cell_id: format!("c{c}"),
        static_id: None,
        cell_type: "SQL".into(),
        label: Some(format!("Cell {c}")),
        hex_connection_id: Some("hc".into()),
        connection: Some("wh".into()),
        sql_text: None,
        parse_error: None,
        tables: vec![
            (key(c), vec!["c0".into()]),
            (key(c * 7 + 1), vec!["c0".into()]),
        ],
    }
}

async fn graph_size(store: &Store) -> (usize, usize) {
    let g = store.lineage_graph("2000-01-01").await.expect("the graph");
    (g.nodes().len(), g.edges().len())
}

/// The server's share alone, warm: graph (cached after the first), layout and HTML.
async fn fetch_ms(url: &str) -> f64 {
    let client = reqwest::Client::new();
    let _ = client.get(url).send().await;
    let started = Instant::now();
    let body = client
        .get(url)
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("its body");
    assert!(body.contains("lineage-svg"), "the page has the graph");
    started.elapsed().as_secs_f64() * 1000.0
}

async fn measure(url: &str) -> Vec<f64> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let mut driver = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {chromedriver} ({e}): install chromium-driver"));
    let profile = tempfile::tempdir().expect("a profile dir");
    let caps = json!({"goog:chromeOptions": {
        "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--window-size=1280,1000",
                 format!("--user-data-dir={}", profile.path().display())]}});
    let caps = caps.as_object().cloned().unwrap_or_default();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let client = client.expect("chromedriver accepts a session");
    // One warm-up load: the first navigation also starts the renderer.
    let mut samples = Vec::new();
    for run in 0..=RUNS {
        client.goto("about:blank").await.expect("a blank tab");
        client.goto(url).await.expect("the page");
        client
            .wait()
            .for_element(Locator::Css("body[data-graph-ready]"))
            .await
            .expect("the graph becomes ready");
        let mark = client
            .execute(
                "return performance.getEntriesByName('graph-ready')[0].startTime",
                vec![],
            )
            .await
            .expect("the mark");
        if run > 0 {
            samples.push(mark.as_f64().unwrap_or(f64::NAN));
        }
    }
    let _ = client.close().await;
    let _ = driver.kill();
    let _ = driver.wait();
    samples
}
