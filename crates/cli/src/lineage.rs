//! `downstream lineage sql`: what SQL reads and writes, for people, scripts and batches.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use sql::{analyze, Analysis, Catalog, Dialect, Lineage, Options};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `downstream lineage sql`.
#[derive(Args)]
pub struct SqlArgs {
    /// SQL dialect: snowflake, bigquery, redshift, databricks, postgres or duckdb (with
    /// --jsonl, the default for lines without a "dialect" field).
    #[arg(long, value_parser = parse_dialect, required_unless_present = "jsonl")]
    dialect: Option<Dialect>,
    /// Current database (BigQuery project, Databricks catalog) for 1- and 2-part names.
    #[arg(long)]
    default_database: Option<String>,
    /// Current schema (BigQuery dataset) for 1-part names.
    #[arg(long)]
    default_schema: Option<String>,
    /// JSON file mapping table names to their columns (a list, or an object of column to
    /// type), used to expand `*` and place unqualified columns.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Output format for SQL text input.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Batch mode: each input line is {"id": …, "sql": …} with optional "dialect",
    /// "default_database" and "default_schema"; one JSON result line per input line, in order.
    #[arg(long)]
    jsonl: bool,
    /// Worker threads for --jsonl (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// SQL file (or JSON Lines with --jsonl); standard input when absent.
    file: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_dialect(s: &str) -> Result<Dialect, String> {
    s.parse()
}

/// Runs the command: exit 0 when every statement was read, 1 when some could not be.
pub fn run(args: SqlArgs) -> Result<ExitCode> {
    // Only --jsonl runs without --dialect; its catalog then folds names as PostgreSQL does.
    let options = Options::new(args.dialect.unwrap_or(Dialect::Postgres)).with_defaults(
        args.default_database.as_deref(),
        args.default_schema.as_deref(),
    );
    let catalog = args
        .schema
        .as_ref()
        .map(|path| load_catalog(path, &options))
        .transpose()?;
    if args.jsonl {
        let settings = sql::batch::Settings {
            dialect: args.dialect,
            default_database: args.default_database.clone(),
            default_schema: args.default_schema.clone(),
            catalog,
        };
        return run_batch(&args, &settings);
    }
    let sql = read_input(args.file.as_ref())?;
    let analysis = analyze(&sql, &options, catalog.as_deref());
    let mut stdout = io::stdout().lock();
    match args.format {
        Format::Text => print_text(&mut stdout, &analysis)?,
        Format::Json => print_json(&mut stdout, &analysis)?,
    }
    Ok(if analysis.error().is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn load_catalog(path: &PathBuf, options: &Options) -> Result<Arc<Catalog>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the schema file {}", path.display()))?;
    let catalog = Catalog::from_json(
        &text,
        options.dialect,
        options.default_database.as_deref(),
        options.default_schema.as_deref(),
    )
    .with_context(|| {
        format!(
            "{}: expected a JSON object of table name to a list of columns",
            path.display()
        )
    })?;
    Ok(Arc::new(catalog))
}

fn read_input(file: Option<&PathBuf>) -> Result<String> {
    let mut sql = String::new();
    match file {
        Some(path) => {
            sql = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
        }
        None => {
            io::stdin()
                .read_to_string(&mut sql)
                .context("cannot read standard input")?;
        }
    }
    Ok(sql)
}

fn run_batch(args: &SqlArgs, settings: &sql::batch::Settings) -> Result<ExitCode> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let input: Box<dyn BufRead + Send> = match &args.file {
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Box::new(BufReader::with_capacity(1 << 20, file))
        }
        None => Box::new(BufReader::with_capacity(1 << 20, io::stdin())),
    };
    let stdout = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    match sql::batch::run(input, stdout, settings, threads) {
        Ok(_) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is a normal way to stop reading.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("batch lineage"),
    }
}

fn print_text(out: &mut impl Write, analysis: &Analysis) -> Result<()> {
    for (i, statement) in analysis.statements.iter().enumerate() {
        writeln!(
            out,
            "statement {} ({}, line {})",
            i + 1,
            statement.kind,
            statement.line
        )?;
        match &statement.error {
            Some(error) => writeln!(out, "  error: {error}")?,
            None => write!(out, "{}", statement.lineage)?,
        }
    }
    writeln!(out, "fingerprint: {}", analysis.fingerprint)?;
    Ok(())
}

#[derive(Serialize)]
struct JsonStatement<'a> {
    kind: &'a str,
    line: usize,
    #[serde(flatten)]
    lineage: &'a Lineage,
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    lineage: Lineage,
    fingerprint: &'a str,
    error: Option<String>,
    statements: Vec<JsonStatement<'a>>,
}

fn print_json(out: &mut impl Write, analysis: &Analysis) -> Result<()> {
    let report = JsonReport {
        lineage: analysis.merged(),
        fingerprint: &analysis.fingerprint,
        error: analysis.error(),
        statements: analysis
            .statements
            .iter()
            .map(|s| JsonStatement {
                kind: s.kind,
                line: s.line,
                lineage: &s.lineage,
                error: s.error.as_ref().map(ToString::to_string),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)?;
    Ok(())
}
