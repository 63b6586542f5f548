//! `downstream history`: import exported query history, or sync the configured sources.

use anyhow::{Context, Result};
use clap::Args;
use history::file::FileHistory;
use model::WarehouseKind;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{ConnectionRecord, Store};
use sync::{HistorySummary, HistoryTarget};

/// Arguments of `downstream history import`.
#[derive(Args)]
pub struct ImportArgs {
    /// Connection the history belongs to (created in the store if missing).
    #[arg(long)]
    connection: String,
    /// Warehouse kind of a new connection, and the SQL dialect: snowflake, bigquery,
    /// databricks, postgres, redshift.
    #[arg(long)]
    kind: Option<WarehouseKind>,
    /// Default database for rows without `database_name`.
    #[arg(long)]
    database: Option<String>,
    /// Default schema for rows without `schema_name`.
    #[arg(long)]
    schema: Option<String>,
    /// JSON Lines or CSV (by extension) with `query_text`, `start_time` and optionally
    /// `user_name`, `database_name`, `schema_name`, `execution_status`, `executions`.
    file: PathBuf,
}

/// Imports a history file; re-importing it adds nothing twice.
pub async fn import(store: &Store, args: ImportArgs) -> Result<ExitCode> {
    let kind = ensure_connection(store, &args).await?;
    let name = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let target = HistoryTarget {
        connection: args.connection.clone(),
        kind,
        environment: format!("file:{name}"),
        source: Arc::new(FileHistory::new(&args.file)),
        // An export is imported whole, however old.
        lookback: chrono::Duration::days(365 * 100),
        runs_counted_by: None,
        default_database: args.database.clone(),
        default_schema: args.schema.clone(),
    };
    Ok(run_target(store, &target).await)
}

async fn ensure_connection(store: &Store, args: &ImportArgs) -> Result<WarehouseKind> {
    if let Ok(existing) = store.connection(&args.connection).await {
        return existing
            .kind
            .parse()
            .map_err(|e: String| anyhow::anyhow!("connection {}: {e}", args.connection));
    }
    let kind = args.kind.with_context(|| {
        format!(
            "connection {} is not in the store yet: pass --kind to create it",
            args.connection
        )
    })?;
    store
        .upsert_connection(&ConnectionRecord {
            name: args.connection.clone(),
            kind,
            default_database: args.database.clone(),
            default_schema: args.schema.clone(),
            docs_url: None,
            dbt_source: None,
            access: None,
        })
        .await?;
    Ok(kind)
}

/// Runs one history target, printing its summary; exit 1 if it failed.
pub async fn run_target(store: &Store, target: &HistoryTarget) -> ExitCode {
    let progress = Arc::new(AtomicU64::new(0));
    let ticker = std::io::stderr()
        .is_terminal()
        .then(|| tokio::spawn(show_progress(progress.clone())));
    let result = sync::sync_history(store, target, progress).await;
    if let Some(ticker) = ticker {
        ticker.abort();
        eprint!("\r\x1b[K");
    }
    let label = format!("{} / {}", target.connection, target.environment);
    match result {
        Ok(summary) => {
            print_summary(&label, &summary);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{label}: history sync failed, keeping the last good data: {e}");
            ExitCode::from(1)
        }
    }
}

/// A one-line progress display with the rate, redrawn in place.
async fn show_progress(rows: Arc<AtomicU64>) {
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let n = rows.load(Ordering::Relaxed);
        let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-3);
        eprint!("\r\x1b[Kreading history: {n} rows, {rate:.0} rows/s");
    }
}

fn print_summary(label: &str, s: &HistorySummary) {
    println!(
        "{label}: imported {} rows ({} runs) in {:.2} s, {:.0} rows/s: {} Hex, {} other; {} distinct SQL texts, {} statements parsed ({} did not parse, {} are kinds without lineage such as SET or SHOW); new runs {}, updated runs {}, new edges {}",
        s.rows,
        s.executions,
        s.seconds,
        s.rate(),
        s.hex_rows,
        s.other_rows,
        s.distinct_sql,
        s.parsed,
        s.parse_failed,
        s.no_lineage,
        s.stored.new_runs,
        s.stored.updated_runs,
        s.stored.new_edges,
    );
    for (why, n) in &s.failed {
        println!("{label}: skipped {n} rows: {why}");
    }
}

/// Runs every target in turn; exit 1 if any failed (the others still run).
pub async fn run_all(store: &Store, targets: &[HistoryTarget]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for target in targets {
        if run_target(store, target).await != ExitCode::SUCCESS {
            code = ExitCode::from(1);
        }
    }
    code
}

/// `serve`'s history loop: every source, every `interval`. Failures are recorded on the
/// connection's status page and logged; the next round tries again.
pub async fn refresh(
    store: Store,
    targets: Vec<HistoryTarget>,
    interval: Duration,
    skip_first: bool,
) {
    if targets.is_empty() {
        return;
    }
    if skip_first {
        tokio::time::sleep(interval).await;
    }
    loop {
        for target in &targets {
            let progress = Arc::new(AtomicU64::new(0));
            match sync::sync_history(&store, target, progress).await {
                Ok(s) => tracing::info!(
                    connection = %target.connection,
                    environment = %target.environment,
                    rows = s.rows,
                    hex_rows = s.hex_rows,
                    new_runs = s.stored.new_runs,
                    new_edges = s.stored.new_edges,
                    "history synced"
                ),
                Err(e) => tracing::warn!(
                    connection = %target.connection,
                    environment = %target.environment,
                    "history sync failed, keeping the last good data: {e}"
                ),
            }
        }
        tokio::time::sleep(interval).await;
    }
}
