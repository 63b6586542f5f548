//! Pages and API under load: a catalog of 20,000 tables and 200,000 columns (2,000 of them
//! dbt models), 2,000 Hex projects with 6,000 cells reading them, and 50 concurrent clients
//! asking for a mix of what people open, for 20 s. Prints p50, p95, p99 and max latency per
//! route and overall, and the errors (target: p95 under 50 ms, no errors). Run with
//! `cargo bench -p downstream-server --bench load` (bench/load.sh); `--store postgres://…`
//! runs it on PostgreSQL instead of SQLite; `--serve` fills the catalog and only serves it,
//! for oha in another process (bench/load.sh --oha); `--turns N` answers N requests at once
//! instead of the server's default; `--sync-every S` records a sync every S seconds meanwhile.

use model::{DbtProject, RelationName};
mod support;

/// The allocator the `downstream` binary uses, so the bench measures what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{HexCellRecord, HexProjectRecord, Store, StoredSchema, WarehouseRelation};
use tokio::sync::Mutex;

const SCHEMAS: usize = 40;
const TABLES: usize = 500;
const COLUMNS: usize = 10;
const MODELS_PER_SCHEMA: usize = 50;
const PROJECTS: usize = 2_000;
const CLIENTS: usize = 50;
const SECONDS: u64 = 10;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let location = arg("--store");
    let dir = tempfile::tempdir().expect("a temp dir");
    let location = location.unwrap_or_else(|| dir.path().join("load.sqlite").display().to_string());
    let started = Instant::now();
    let store = Store::open(&location).await.expect("the store");
    fill(&store).await;
    eprintln!(
        "loaded the catalog in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut state = server::AppState::new(store.clone());
    if let Some(turns) = arg("--turns").and_then(|t| t.parse().ok()) {
        state = state.with_turns(turns);
    }
    let base = support::serve(state).await;
    let routes = routes();
    warm(&base, &routes).await;
    if args.iter().any(|a| a == "--serve") {
        // For a load generator in another process (bench/load.sh --oha): serve until killed.
        println!("serving {base}");
        std::future::pending::<()>().await;
    }
    if let Some(seconds) = arg("--sync-every").and_then(|t| t.parse().ok()) {
        syncs(store, seconds);
    }
    let results = hammer(&base, &routes).await;
    report(&routes, &results);
}

/// The routes, as a person browsing would ask for them: the same overview pages, and any of
/// the 20,000 tables, 40 schemas and 2,000 projects (`{n}` varies per request, so most table
/// and project pages are rendered afresh rather than served from the response cache).
fn routes() -> Vec<(&'static str, String)> {
    vec![
        ("home", "/".into()),
        ("connection (folded)", "/connections/wh".into()),
        ("schema", "/connections/wh/schemas/analytics/s{n40}".into()),
        (
            "dbt table page",
            "/connections/wh/tables/analytics/s{n40}/t{n50}".into(),
        ),
        (
            "warehouse table page",
            "/connections/wh/tables/analytics/s{n40}/t{n500}".into(),
        ),
        (
            "table JSON",
            "/api/connections/wh/tables/analytics/s{n40}/t{n500}".into(),
        ),
        ("search", "/api/search?q=t{n500}&limit=20".into()),
        (
            "tree JSON (schema)",
            "/api/connections/wh/tree?database=analytics&schema=s{n40}".into(),
        ),
        ("Hex projects", "/hex".into()),
        ("Hex project", "/hex/projects/p{n2000}".into()),
        (
            "lineage",
            "/lineage?node=dbt%3Awh%3Amodel.load.s{n40}_t{n50}&up=2&down=2".into(),
        ),
        ("status", "/connections/wh/status".into()),
    ]
}

/// A route's path for request number `i`: each `{nN}` becomes a number below N, drawn
/// independently of the others, so schema and table vary separately.
fn path(template: &str, i: usize) -> String {
    let mut out = template.to_string();
    for n in [40, 50, 500, 2_000] {
        out = out.replace(
            &format!("{{n{n}}}"),
            &(mix(i as u64, n) % n as u64).to_string(),
        );
    }
    out
}

/// SplitMix64 of `i` salted with `n`: a well-spread pseudo-random number per (request, range).
fn mix(i: u64, n: usize) -> u64 {
    let mut z =
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

async fn fill(store: &Store) {
    support::add_connection(store).await;
    let mut nodes = Vec::new();
    for s in 0..SCHEMAS {
        let schema = StoredSchema {
            database: "analytics".into(),
            schema: format!("s{s}"),
            changed_at: None,
            synced_at: String::new(),
        };
        let relations: Vec<WarehouseRelation> = (0..TABLES).map(|t| relation(s, t)).collect();
        store
            .replace_warehouse_schema("wh", &schema, &relations)
            .await
            .expect("a schema");
        nodes.extend((0..MODELS_PER_SCHEMA).map(|t| model(s, t)));
    }
    let project = DbtProject {
        nodes,
        ..DbtProject::default()
    };
    store
        .replace_dbt("wh", &project, &store::now())
        .await
        .expect("the dbt project");
    hex(store).await;
    // As every sync does after writing.
    store.refresh_statistics().await.expect("statistics");
}

fn relation(s: usize, t: usize) -> WarehouseRelation {
    WarehouseRelation {
        database: "analytics".into(),
        schema: format!("s{s}"),
        name: format!("t{t}"),
        rel_key: key(s, t),
        kind: "table".into(),
        comment: Some(format!("Table {t} of schema {s}")),
        row_estimate: Some(1_000),
        columns: (0..COLUMNS)
            .map(|c| (format!("c{c}"), "integer".to_string(), None))
            .collect(),
    }
}

fn key(s: usize, t: usize) -> String {
    RelationName {
        database: Some("analytics".into()),
        schema: Some(format!("s{s}")),
        name: format!("t{t}"),
    }
    .key()
}

fn model(s: usize, t: usize) -> model::DbtNode {
    let (schema, name) = (format!("s{s}"), format!("t{t}"));
    support::dbt_node(
        &format!("model.load.s{s}_t{t}"),
        "model",
        &schema,
        &name,
        COLUMNS,
    )
}

/// 2,000 projects of three cells, each cell reading two tables.
async fn hex(store: &Store) {
    let projects: Vec<HexProjectRecord> = (0..PROJECTS)
        .map(|p| HexProjectRecord {
            project_id: format!("p{p}"),
            title: format!("Project {p}"),
            kind: "PROJECT".into(),
            owner_email: Some(format!("user{}@acme.com", p % 40)),
            app_views_all_time: Some((p * 7 % 500) as i64),
            url: format!("https://app.hex.tech/acme/hex/p{p}"),
            ..HexProjectRecord::default()
        })
        .collect();
    support::add_hex(store, "acme", &projects, |p| {
        (0..3).map(|c| cell(p, c)).collect()
    })
    .await;
}

fn cell(p: usize, c: usize) -> HexCellRecord {
    let n = p * 3 + c;
    let table = |i: usize| {
        (
            key(i % SCHEMAS, i % TABLES),
            vec!["c1".to_string(), "c2".to_string()],
        )
    };
    HexCellRecord {
        cell_id: format!("c{c}"),
        static_id: None,
        cell_type: "SQL".into(),
        label: Some(format!("Cell {c}")),
        hex_connection_id: Some("hc".into()),
        connection: Some("wh".into()),
        sql_text: Some(format!(
            "select c1, c2 from analytics.s{}.t{}",
            n % SCHEMAS,
            n % TABLES
        )),
        parse_error: None,
        tables: vec![table(n), table(n * 31 + 7)],
    }
}

/// A sync recorded every `seconds` while the clients ask: each one moves the store version, so
/// every cached answer, the search index and the lineage graph go stale at once, as in a
/// deployment whose sources refresh while people browse.
fn syncs(store: Store, seconds: f64) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs_f64(seconds));
        every.tick().await;
        loop {
            every.tick().await;
            let _ = store
                .record_success("wh", "history", &store::now(), "{}")
                .await;
        }
    });
}

/// One request each first: the lineage graph is built once and cached, as in a running server.
async fn warm(base: &str, routes: &[(&str, String)]) {
    let client = reqwest::Client::new();
    for (name, template) in routes {
        let path = path(template, 1);
        let res = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("an answer");
        assert!(res.status().is_success(), "{name} {path}: {}", res.status());
    }
    let mut alone = Vec::new();
    for (name, template) in routes {
        let sent = Instant::now();
        let res = client
            .get(format!("{base}{}", path(template, 2)))
            .send()
            .await;
        let _ = res.expect("an answer").bytes().await;
        alone.push(format!(
            "{name} {:.1} ms",
            sent.elapsed().as_secs_f64() * 1000.0
        ));
    }
    println!("one request at a time: {}", alone.join(", "));
}

type Samples = Vec<Vec<Duration>>;

async fn hammer(base: &str, routes: &[(&'static str, String)]) -> (Samples, usize, Duration) {
    let results = Arc::new(Mutex::new((vec![Vec::new(); routes.len()], 0usize)));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("a client");
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|worker| {
            let (client, results, base) = (client.clone(), results.clone(), base.to_string());
            let routes: Vec<String> = routes.iter().map(|(_, p)| p.clone()).collect();
            tokio::spawn(async move {
                let mut i = worker;
                while Instant::now() < deadline {
                    let route = i % routes.len();
                    let url = format!("{base}{}", path(&routes[route], i / routes.len()));
                    i += CLIENTS;
                    let sent = Instant::now();
                    let ok = match client.get(url).send().await {
                        Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    let took = sent.elapsed();
                    let mut r = results.lock().await;
                    r.0[route].push(took);
                    if !ok {
                        r.1 += 1;
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed();
    let (samples, errors) = Arc::try_unwrap(results).expect("workers done").into_inner();
    (samples, errors, elapsed)
}

fn report(routes: &[(&str, String)], (samples, errors, elapsed): &(Samples, usize, Duration)) {
    println!("{CLIENTS} clients for {SECONDS} s; {SCHEMAS} x {TABLES} tables, {} columns, {PROJECTS} Hex projects", SCHEMAS * TABLES * COLUMNS);
    println!("| route | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |");
    println!("|---|---|---|---|---|---|");
    let mut all = Vec::new();
    for ((name, _), times) in routes.iter().zip(samples) {
        print_row(name, times);
        all.extend_from_slice(times);
    }
    print_row("all", &all);
    println!(
        "{} requests in {:.1} s ({:.0}/s), {errors} errors",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64()
    );
}

fn print_row(name: &str, times: &[Duration]) {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 * q) as usize).min(ms.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
        ms.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        ms.last().copied().unwrap_or(0.0)
    );
}
