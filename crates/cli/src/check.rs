//! `downstream check`: reads the config and tries every source's credentials with the
//! cheapest call that proves them, one row per source. Nothing is written to the store.

use crate::config::Config;
use std::process::ExitCode;
use std::time::Duration;
use sync::{DbtSource, HexAccess, HexTarget, HistoryTarget, IntrospectTarget};

/// One source's verdict.
struct Row {
    source: String,
    connection: String,
    ok: bool,
    detail: String,
}

/// Checks every source and prints the table; exit 1 when any failed.
pub async fn run(config: &Config) -> ExitCode {
    let mut rows = Vec::new();
    for target in &config.targets {
        if let Some(dbt) = &target.dbt {
            rows.push(dbt_row(&target.connection.name, target.connection.kind, dbt).await);
        }
    }
    for target in &config.introspect {
        rows.push(catalog_row(target).await);
    }
    for target in &config.history {
        rows.push(history_row(target).await);
    }
    for source in &config.hex {
        rows.push(hex_row(&source.target).await);
    }
    if rows.is_empty() {
        println!("no sources configured: add [[connections]] with [connections.dbt], [connections.warehouse], [[connections.history]] or [[hex]]");
        return ExitCode::from(1);
    }
    print_table(&rows);
    let failed = rows.iter().filter(|r| !r.ok).count();
    println!("\n{} of {} sources ok", rows.len() - failed, rows.len());
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_table(rows: &[Row]) {
    let width = |f: fn(&Row) -> &str, title: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let source_w = width(|r| &r.source, "SOURCE");
    let conn_w = width(|r| &r.connection, "CONNECTION");
    println!(
        "{:source_w$}  {:conn_w$}  {:6}  DETAIL",
        "SOURCE", "CONNECTION", "STATUS"
    );
    for r in rows {
        let status = if r.ok { "ok" } else { "FAILED" };
        println!(
            "{:source_w$}  {:conn_w$}  {status:6}  {}",
            r.source, r.connection, r.detail
        );
    }
}

async fn dbt_row(connection: &str, kind: model::WarehouseKind, source: &DbtSource) -> Row {
    let row = |ok, detail| Row {
        source: "dbt metadata".into(),
        connection: connection.into(),
        ok,
        detail,
    };
    match source {
        DbtSource::Local(paths) => {
            let paths = paths.clone();
            let loaded = tokio::task::spawn_blocking(move || dbt::load(&paths, kind)).await;
            match loaded {
                Ok(Ok(p)) => row(
                    true,
                    format!(
                        "{}: {} nodes, {} tests, manifest v{}",
                        p.meta.project_name.as_deref().unwrap_or("dbt project"),
                        p.nodes.len(),
                        p.tests.len(),
                        p.meta.manifest_version
                    ),
                ),
                Ok(Err(e)) => row(false, e.to_string()),
                Err(e) => row(false, format!("the artifact reader stopped: {e}")),
            }
        }
        DbtSource::Cloud(cloud) => match &cloud.client {
            Err(missing) => row(false, missing.clone()),
            Ok(client) => match client.locate().await {
                Ok(found) => row(
                    true,
                    format!(
                        "{}: run {} of job {} {:?}{}",
                        found.project_name.as_deref().unwrap_or("dbt Cloud project"),
                        found.run_id,
                        found.job_id,
                        found.job_name,
                        found
                            .sources_run_id
                            .map(|r| format!(", freshness from run {r}"))
                            .unwrap_or_default()
                    ),
                ),
                Err(e) => row(false, e.to_string()),
            },
        },
    }
}

async fn catalog_row(target: &IntrospectTarget) -> Row {
    let (ok, detail) = match target.source.schemas().await {
        Ok(schemas) => (true, format!("{} schemas visible", schemas.len())),
        Err(e) => (false, e.to_string()),
    };
    Row {
        source: "warehouse catalog".into(),
        connection: target.connection.clone(),
        ok,
        detail,
    }
}

/// Reads the last minute of history: proves the login and the privileges the real query
/// needs, and returns at once on a quiet warehouse.
async fn history_row(target: &HistoryTarget) -> Row {
    let until = chrono::Utc::now();
    let request = history::HistoryRequest {
        since: until - chrono::Duration::minutes(1),
        until,
        page_size: 100,
    };
    let (sink, mut rows) = tokio::sync::mpsc::channel::<Vec<history::HistoryRow>>(4);
    let drain = tokio::spawn(async move {
        let mut n = 0usize;
        while let Some(page) = rows.recv().await {
            n += page.len();
        }
        n
    });
    let read = tokio::time::timeout(
        Duration::from_secs(120),
        target.source.read(&request, None, &sink),
    )
    .await;
    drop(sink);
    let seen = drain.await.unwrap_or(0);
    let (ok, detail) = match read {
        Ok(Ok(_)) => (
            true,
            format!(
                "{}: readable ({seen} query groups in the last minute)",
                target.source.describe()
            ),
        ),
        Ok(Err(e)) => (false, e.to_string()),
        Err(_) => (
            false,
            format!("{}: no answer within 120 s", target.source.describe()),
        ),
    };
    Row {
        source: format!("query history ({})", target.environment),
        connection: target.connection.clone(),
        ok,
        detail,
    }
}

async fn hex_row(target: &HexTarget) -> Row {
    let row = |ok, detail| Row {
        source: format!("Hex workspace {}", target.workspace),
        connection: "-".into(),
        ok,
        detail,
    };
    let client = match &target.client {
        HexAccess::Ready(client) => client,
        HexAccess::Missing(message) => return row(false, message.clone()),
    };
    let projects = match client.projects().await {
        Ok(projects) => projects,
        Err(e) => return row(false, e.to_string()),
    };
    let connections = match client.data_connections().await {
        Ok(connections) => connections,
        Err(e) => return row(false, e.to_string()),
    };
    let queried = match projects.first() {
        None => "not checked (no projects)".to_string(),
        Some(p) => match client.queried_tables(&p.id).await {
            Ok(hex::QueriedTables::Tables(_)) => "available".into(),
            Ok(hex::QueriedTables::Unavailable(why)) => format!("unavailable ({why})"),
            Err(e) => return row(false, e.to_string()),
        },
    };
    row(
        true,
        format!(
            "{} projects, {} data connections; queried tables: {queried}",
            projects.len(),
            connections.len()
        ),
    )
}
