//! `downstream history`: import exported query history, or sync the configured sources.

use anyhow::{Context, Result};
use clap::Args;
use history::file::FileHistory;
use model::WarehouseKind;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use store::{ConnectionRecord, Store};
use sync::HistoryTarget;

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
    /// `text`, or `json`: the same report as one JSON document.
    #[arg(long, value_enum, default_value_t)]
    format: crate::report::Format,
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
    let sources = sync::Sources {
        history: vec![target],
        ..sync::Sources::default()
    };
    let printer = crate::report::Printer::new(args.format);
    let reports = sources.run(store, &printer).await;
    Ok(printer.finish(&reports))
}

async fn ensure_connection(store: &Store, args: &ImportArgs) -> Result<WarehouseKind> {
    if let Ok(existing) = store.connection(&args.connection).await {
        return Ok(existing.kind);
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
