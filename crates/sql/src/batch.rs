//! JSON Lines batch mode: one statement text per input line, one result per output line, in
//! input order, on every core, with bounded memory.
//!
//! A reader thread cuts the input into chunks of lines, workers analyse chunks, and the caller's
//! thread writes results back in order. The reader may run at most `IN_FLIGHT` chunks ahead of
//! the writer, so memory stays bounded however large the input is.

use crate::{analyze, Catalog, Dialect, Lineage, Options};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

/// Lines per unit of work: large enough to amortise channel traffic, small enough to
/// spread a short input over all workers.
const CHUNK_LINES: usize = 256;

/// Chunks the reader may run ahead of the writer, per worker.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Worker stacks are generous because parsing recurses (to a bounded depth).
const WORKER_STACK: usize = 32 * 1024 * 1024;

/// Counts of what a batch run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read (blank lines excluded).
    pub lines: u64,
    /// Lines whose SQL (or JSON) had an error.
    pub errors: u64,
}

/// One input line. Unknown fields (such as a corpus's expected answers) are ignored.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    sql: Cow<'a, str>,
    dialect: Option<Dialect>,
    #[serde(borrow)]
    default_database: Option<Cow<'a, str>>,
    #[serde(borrow)]
    default_schema: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Output<'a> {
    id: Option<&'a RawValue>,
    #[serde(flatten)]
    lineage: &'a Lineage,
    fingerprint: Option<&'a str>,
    error: Option<String>,
}

/// What applies to every line unless the line says otherwise.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The dialect of lines without a `dialect` field; such lines are errors when `None`.
    pub dialect: Option<Dialect>,
    /// The default database of lines without `default_database`.
    pub default_database: Option<String>,
    /// The default schema of lines without `default_schema`.
    pub default_schema: Option<String>,
    /// Known table columns.
    pub catalog: Option<Arc<Catalog>>,
}

/// Analyses JSON Lines from `input` into `output` with `threads` workers.
///
/// # Errors
/// Only I/O errors; a bad line gives an output line with `error` set.
pub fn run(
    input: impl BufRead + Send,
    output: impl Write,
    settings: &Settings,
    threads: usize,
) -> io::Result<Summary> {
    if threads <= 1 {
        return run_inline(input, output, settings);
    }
    run_parallel(input, output, settings, threads)
}

fn run_inline(
    input: impl BufRead,
    mut output: impl Write,
    settings: &Settings,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut buffer = String::new();
    for (number, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        buffer.clear();
        let failed = process_line(&line, number + 1, settings, &mut buffer);
        summary.lines += 1;
        summary.errors += u64::from(failed);
        output.write_all(buffer.as_bytes())?;
    }
    output.flush()?;
    Ok(summary)
}

struct Chunk {
    sequence: u64,
    first_line: usize,
    lines: Vec<String>,
}

struct Done {
    sequence: u64,
    text: String,
    summary: Summary,
}

/// How many chunks the writer has finished, so the reader can wait for it.
#[derive(Default)]
struct Progress {
    written: Mutex<u64>,
    changed: Condvar,
}

fn run_parallel(
    input: impl BufRead + Send,
    output: impl Write,
    settings: &Settings,
    threads: usize,
) -> io::Result<Summary> {
    let in_flight = (threads * IN_FLIGHT_PER_WORKER) as u64;
    let (work_tx, work_rx) = sync_channel::<Chunk>(threads * 2);
    let (done_tx, done_rx) = sync_channel::<Done>(threads * 2);
    let progress = Arc::new(Progress::default());
    thread::scope(|scope| {
        let work_rx = Arc::new(Mutex::new(work_rx));
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, move || worker(&work_rx, &done_tx, settings))?;
        }
        // Only workers may hold the work queue: once they stop (the output failed), the
        // reader's next send fails instead of waiting forever.
        drop(work_rx);
        drop(done_tx);
        let reader_progress = Arc::clone(&progress);
        let reader = scope.spawn(move || read_chunks(input, &work_tx, &reader_progress, in_flight));
        let written = write_in_order(&done_rx, output, &progress);
        // Unblock the reader if the writer failed, then surface the first error.
        progress.finish();
        drop(done_rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("reader panicked")));
        let summary = written?;
        read?;
        Ok(summary)
    })
}

fn worker(work: &Mutex<Receiver<Chunk>>, done: &SyncSender<Done>, settings: &Settings) {
    loop {
        let chunk = match work.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(chunk) = chunk else { return };
        let mut text = String::with_capacity(chunk.lines.len() * 256);
        let mut summary = Summary::default();
        for (i, line) in chunk.lines.iter().enumerate() {
            let failed = process_line(line, chunk.first_line + i, settings, &mut text);
            summary.lines += 1;
            summary.errors += u64::from(failed);
        }
        let sent = done.send(Done {
            sequence: chunk.sequence,
            text,
            summary,
        });
        if sent.is_err() {
            return;
        }
    }
}

fn read_chunks(
    input: impl BufRead,
    work: &SyncSender<Chunk>,
    progress: &Progress,
    in_flight: u64,
) -> io::Result<()> {
    let mut sequence = 0u64;
    let mut lines = Vec::with_capacity(CHUNK_LINES);
    let mut first_line = 1;
    for (number, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if lines.is_empty() {
            first_line = number + 1;
        }
        lines.push(line);
        if lines.len() == CHUNK_LINES {
            if !progress.wait_below(sequence, in_flight) {
                return Ok(());
            }
            let chunk = Chunk {
                sequence,
                first_line,
                lines: std::mem::replace(&mut lines, Vec::with_capacity(CHUNK_LINES)),
            };
            if work.send(chunk).is_err() {
                return Ok(());
            }
            sequence += 1;
        }
    }
    if !lines.is_empty() && progress.wait_below(sequence, in_flight) {
        let _ = work.send(Chunk {
            sequence,
            first_line,
            lines,
        });
    }
    Ok(())
}

impl Progress {
    /// Waits until chunk `sequence` is within `in_flight` of the writer; false once the
    /// writer has stopped.
    fn wait_below(&self, sequence: u64, in_flight: u64) -> bool {
        let Ok(mut written) = self.written.lock() else {
            return false;
        };
        while sequence >= *written + in_flight {
            if *written == u64::MAX {
                return false;
            }
            written = match self.changed.wait(written) {
                Ok(guard) => guard,
                Err(_) => return false,
            };
        }
        *written != u64::MAX
    }

    fn advance(&self, written: u64) {
        if let Ok(mut guard) = self.written.lock() {
            *guard = written;
        }
        self.changed.notify_all();
    }

    fn finish(&self) {
        self.advance(u64::MAX);
    }
}

fn write_in_order(
    done: &Receiver<Done>,
    mut output: impl Write,
    progress: &Progress,
) -> io::Result<Summary> {
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    let mut summary = Summary::default();
    for result in done {
        pending.insert(result.sequence, result);
        while let Some(ready) = pending.remove(&next) {
            output.write_all(ready.text.as_bytes())?;
            summary.lines += ready.summary.lines;
            summary.errors += ready.summary.errors;
            next += 1;
            progress.advance(next);
        }
    }
    output.flush()?;
    Ok(summary)
}

/// Appends one output line for one input line; true if it carries an error.
fn process_line(line: &str, number: usize, settings: &Settings, out: &mut String) -> bool {
    let parsed: Line<'_> = match serde_json::from_str(line) {
        Ok(parsed) => parsed,
        Err(error) => {
            let message = format!("input line {number}: not a JSON object with \"sql\": {error}");
            push_output(out, None, &Lineage::default(), None, Some(message));
            return true;
        }
    };
    let Some(dialect) = parsed.dialect.or(settings.dialect) else {
        let message = format!("input line {number}: no \"dialect\" field and no --dialect given");
        push_output(out, parsed.id, &Lineage::default(), None, Some(message));
        return true;
    };
    let options = Options {
        dialect,
        default_database: parsed
            .default_database
            .map(Cow::into_owned)
            .or_else(|| settings.default_database.clone()),
        default_schema: parsed
            .default_schema
            .map(Cow::into_owned)
            .or_else(|| settings.default_schema.clone()),
    };
    let catalog = settings.catalog.as_deref();
    // The parser is written not to panic; this keeps one bad line from ending a batch of
    // millions if it ever does.
    let analysis = catch_unwind(AssertUnwindSafe(|| analyze(&parsed.sql, &options, catalog)));
    match analysis {
        Ok(analysis) => {
            let error = analysis.error();
            let failed = error.is_some();
            let lineage = analysis.merged();
            push_output(out, parsed.id, &lineage, Some(&analysis.fingerprint), error);
            failed
        }
        Err(_) => {
            let message = format!("input line {number}: internal error while analysing this SQL");
            push_output(out, parsed.id, &Lineage::default(), None, Some(message));
            true
        }
    }
}

fn push_output(
    out: &mut String,
    id: Option<&RawValue>,
    lineage: &Lineage,
    fingerprint: Option<&str>,
    error: Option<String>,
) {
    let output = Output {
        id,
        lineage,
        fingerprint,
        error,
    };
    // Serializing plain strings and maps cannot fail.
    if let Ok(json) = serde_json::to_string(&output) {
        out.push_str(&json);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lines(input: &str, threads: usize) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let settings = Settings {
            dialect: Some(Dialect::Postgres),
            default_database: Some("db".into()),
            default_schema: Some("public".into()),
            catalog: None,
        };
        run(input.as_bytes(), &mut out, &settings, threads).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn output_keeps_input_order_on_many_threads() {
        let input: String = (0..2000)
            .map(|i| format!("{{\"id\": {i}, \"sql\": \"select * from t{i}\"}}\n"))
            .collect();
        let lines = run_lines(&input, 4);
        assert_eq!(lines.len(), 2000);
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(line["id"], i);
            assert_eq!(line["reads"][0], format!("db.public.t{i}"));
        }
    }

    /// Output that fails after a few lines, like `| head` closing the pipe.
    struct ClosedAfter(usize);

    impl Write for ClosedAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
            }
            self.0 -= 1;
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_output_stops_the_batch_instead_of_hanging() {
        let input: String = (0..50_000)
            .map(|i| format!("{{\"id\": {i}, \"sql\": \"select * from t{i}\"}}\n"))
            .collect();
        let settings = Settings {
            dialect: Some(Dialect::Postgres),
            ..Settings::default()
        };
        let error = run(input.as_bytes(), ClosedAfter(2), &settings, 2).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn bad_lines_get_an_error_line_and_the_rest_go_on() {
        let lines = run_lines("not json\n{\"id\": \"b\", \"sql\": \"select from where\"}\n{\"id\": \"c\", \"sql\": \"select 1\", \"dialect\": \"snowflake\"}\n", 2);
        assert!(lines[0]["error"].as_str().unwrap().contains("input line 1"));
        assert!(lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("line 1, column"));
        assert_eq!(lines[2]["error"], serde_json::Value::Null);
    }
}
