//! `downstream check`: reads the config, shows it as resolved (defaults filled in, secrets
//! as the variables that hold them), and tries every source's credentials with the cheapest
//! call that proves them, one row per source. Nothing is written to the store.

use crate::config::Config;
use crate::report::Format;
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;
use sync::{CatalogTarget, DbtSource, HexAccess, HexTarget, HistoryTarget};

/// One source's verdict.
#[derive(Serialize)]
struct Row {
    source: String,
    connection: String,
    ok: bool,
    detail: String,
}

/// Checks every source and prints the resolved config and the table (or both as one JSON
/// document); exit 1 when any failed.
pub async fn run(config: &Config, format: Format) -> ExitCode {
    let mut rows = Vec::new();
    for target in &config.targets {
        if let Some(dbt) = &target.dbt {
            rows.push(dbt_row(&target.connection.name, target.connection.kind, dbt).await);
        }
    }
    for target in &config.catalogs {
        rows.push(catalog_row(target).await);
    }
    for target in &config.history {
        rows.push(history_row(target).await);
    }
    for source in &config.hex {
        rows.push(hex_row(source).await);
    }
    let failed = rows.iter().filter(|r| !r.ok).count();
    let none = "no sources configured: add [[connections]] with [connections.dbt], [connections.warehouse], [[connections.history]] or [[hex]]";
    match format {
        Format::Json => {
            let document = serde_json::json!({
                "ok": failed == 0 && !rows.is_empty(),
                "config": config.resolved,
                "sources": rows,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            );
        }
        Format::Text if rows.is_empty() => println!("{none}"),
        Format::Text => {
            println!("{}", config.resolved.text());
            print_table(&rows);
            println!("\n{} of {} sources ok", rows.len() - failed, rows.len());
        }
    }
    if failed == 0 && !rows.is_empty() {
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
            Err(missing) => row(false, missing.to_string()),
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

async fn catalog_row(target: &CatalogTarget) -> Row {
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

/// The source's own check: the cheapest call that proves the login and the privileges the
/// real read needs.
async fn history_row(target: &HistoryTarget) -> Row {
    let describe = target.source.describe();
    let checked = tokio::time::timeout(Duration::from_secs(120), target.source.check()).await;
    let (ok, detail) = match checked {
        Ok(Ok(what)) => (true, format!("{describe}: {what}")),
        Ok(Err(e)) => (false, e.to_string()),
        Err(_) => (false, format!("{describe}: no answer within 120 s")),
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
        HexAccess::Missing(missing) => return row(false, missing.to_string()),
    };
    match client.check().await {
        Ok(detail) => row(true, detail),
        Err(e) => row(false, e.to_string()),
    }
}
