//! Sync reports as people read them: one line per source on stdout, failures on stderr with
//! what was kept, and a row count while a history source reads: redrawn in place on a
//! terminal, a plain line every [`PLAIN_EVERY`] otherwise (logs, CI).
//! With `--format json`, the same reports as one JSON document on stdout once every source
//! is done (the row count still goes to stderr only).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use sync::{HistorySummary, HistoryTarget, Observer, Progress, Report};
use tokio::task::JoinHandle;

/// How often a history read says how far it got when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// `-q`: only failures are printed.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Set once from the command line, before any report.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// How a command prints its reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per source, as each finishes.
    #[default]
    Text,
    /// One JSON document when all are done: `{"ok": …, "sources": [{"source": …, "ok": …,
    /// "summary" | "error": …}]}`.
    Json,
}

/// Prints each report as its source finishes (text), or nothing until [`Printer::finish`]
/// (JSON).
#[derive(Default)]
pub struct Printer {
    format: Format,
    ticker: Mutex<Option<JoinHandle<()>>>,
}

impl Printer {
    /// A printer in `format`.
    pub fn new(format: Format) -> Self {
        Printer {
            format,
            ticker: Mutex::default(),
        }
    }

    /// Prints what is left to print (the JSON document) and gives the exit code.
    pub fn finish(&self, reports: &[Report]) -> ExitCode {
        if self.format == Format::Json {
            let document = serde_json::json!({
                "ok": !reports.iter().any(Report::failed),
                "sources": reports.iter().map(json).collect::<Vec<_>>(),
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            );
        }
        exit_code(reports)
    }
}

impl Observer for Printer {
    fn history_started(&self, target: &HistoryTarget, rows: &Progress) {
        if QUIET.load(Ordering::Relaxed) {
            return;
        }
        let ticker = if std::io::stderr().is_terminal() {
            tokio::spawn(show_progress(rows.clone()))
        } else {
            let label = format!("{} / {}", target.connection, target.environment);
            tokio::spawn(plain_progress(label, rows.clone()))
        };
        if let Ok(mut slot) = self.ticker.lock() {
            *slot = Some(ticker);
        }
    }

    fn history_finished(&self) {
        let ticker = self.ticker.lock().ok().and_then(|mut slot| slot.take());
        if let Some(ticker) = ticker {
            ticker.abort();
            if std::io::stderr().is_terminal() {
                eprint!("\r\x1b[K");
            }
        }
    }

    fn report(&self, report: &Report) {
        if self.format == Format::Text && (report.failed() || !QUIET.load(Ordering::Relaxed)) {
            print(report);
        }
    }
}

/// 1 when any source failed (the others still ran), else 0.
fn exit_code(reports: &[Report]) -> ExitCode {
    if reports.iter().any(Report::failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print(report: &Report) {
    match report {
        Report::Dbt {
            connection,
            configured,
            result,
        } => match result {
            Ok(Some(r)) => {
                println!(
                    "{connection}: loaded {} nodes, {} columns, {} tests, {} new results, {} new freshness checks, {} column lineage pairs (read {:.2} s, of which column lineage {:.2} s; stored {:.2} s)",
                    r.counts.nodes,
                    r.counts.columns,
                    r.counts.tests,
                    r.counts.new_runs,
                    r.counts.new_freshness,
                    r.counts.column_lineage,
                    r.parse_time.as_secs_f64(),
                    r.lineage_time.as_secs_f64(),
                    r.store_time.as_secs_f64()
                );
                for w in &r.warnings {
                    println!("{connection}: warning: {w}");
                }
            }
            Ok(None) if *configured => {
                println!("{connection}: dbt Cloud's latest run is already loaded")
            }
            Ok(None) => println!("{connection}: no dbt metadata configured"),
            Err(err) => eprintln!("{connection}: sync failed, keeping the last good data: {err}"),
        },
        Report::Catalog { connection, result } => match result {
            Ok(s) => println!(
                "{connection}: warehouse catalog: {} schemas ({} read, {} unchanged, {} removed), {} relations, {} columns in {:.2} s",
                s.schemas, s.read, s.unchanged, s.removed, s.relations, s.columns, s.seconds
            ),
            Err(e) => eprintln!(
                "{connection}: warehouse catalog failed, keeping the last good one: {e}"
            ),
        },
        Report::History {
            connection,
            environment,
            result,
        } => {
            let label = format!("{connection} / {environment}");
            match result {
                Ok(summary) => print_history(&label, summary),
                Err(e) => {
                    eprintln!("{label}: history sync failed, keeping the last good data: {e}")
                }
            }
        }
        Report::Hex { workspace, result } => match result {
            Ok(s) => println!(
                "Hex {workspace}: {} projects ({} read, the rest unchanged), {} cells, {} SQL cells ({} did not parse), {} table reads from SQL; {}/{} data connections matched; queriedTables: {}; {:.2} s",
                s.projects,
                s.projects_read,
                s.cells,
                s.sql_cells,
                s.parse_failed,
                s.sql_edges,
                s.matched_connections,
                s.data_connections,
                s.queried_tables,
                s.seconds
            ),
            Err(e) => eprintln!("Hex {workspace}: sync failed, keeping the last good data: {e}"),
        },
    }
}

/// One report as JSON: which source, whether it worked, and its summary or its error as the
/// text line says it.
fn json(report: &Report) -> serde_json::Value {
    use serde_json::{json, to_value, Value};
    fn outcome<T: serde::Serialize, E: std::fmt::Display>(r: &Result<T, E>) -> (bool, Value) {
        match r {
            Ok(summary) => (
                true,
                json!({ "summary": to_value(summary).unwrap_or(Value::Null) }),
            ),
            Err(e) => (false, json!({ "error": e.to_string() })),
        }
    }
    let (head, (ok, body)) = match report {
        Report::Dbt {
            connection,
            configured,
            result,
        } => (
            json!({ "source": "dbt", "connection": connection, "configured": configured }),
            outcome(result),
        ),
        Report::Catalog { connection, result } => (
            json!({ "source": "catalog", "connection": connection }),
            outcome(result),
        ),
        Report::History {
            connection,
            environment,
            result,
        } => (
            json!({ "source": "history", "connection": connection, "environment": environment }),
            outcome(result),
        ),
        Report::Hex { workspace, result } => (
            json!({ "source": "hex", "workspace": workspace }),
            outcome(result),
        ),
    };
    let mut object = head;
    object["ok"] = Value::Bool(ok);
    if let (Value::Object(out), Value::Object(extra)) = (&mut object, body) {
        out.extend(extra);
    }
    object
}

fn print_history(label: &str, s: &HistorySummary) {
    let counted = match &s.runs_counted_by {
        Some(other) => format!("runs counted by {other}"),
        None => format!("{} runs counted", s.runs_counted),
    };
    println!(
        "{label}: imported {} rows ({} runs) in {:.2} s, {:.0} rows/s: {} Hex, {} other; {} distinct SQL texts, {} statements parsed ({} did not parse, {} are kinds without lineage such as SET or SHOW); {counted}; new runs {}, updated runs {}, new edges {}",
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

/// A line every [`PLAIN_EVERY`] with the rows so far and the rate, for logs.
async fn plain_progress(label: String, rows: Progress) {
    let started = Instant::now();
    let mut before = 0;
    loop {
        tokio::time::sleep(PLAIN_EVERY).await;
        let n = rows.load(Ordering::Relaxed);
        let seconds = started.elapsed().as_secs_f64();
        if n > 0 && n == before {
            // The count stops when the read is done: what is left is the write.
            eprintln!("{label}: {n} rows read, storing them ({seconds:.0} s)");
        } else {
            eprintln!(
                "{label}: reading history: {n} rows in {seconds:.0} s, {:.0} rows/s",
                n as f64 / seconds.max(1e-3)
            );
        }
        before = n;
    }
}

/// A one-line progress display with the rate, redrawn in place.
async fn show_progress(rows: Progress) {
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let n = rows.load(Ordering::Relaxed);
        let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-3);
        eprint!("\r\x1b[Kreading history: {n} rows, {rate:.0} rows/s");
    }
}
