//! Integration tests of the lineage engine: statement shapes, dialects, columns, bad input
//! and the engine-verified corpus.

mod columns;
mod corpus;
mod dialects;
mod errors;
mod properties;
mod statements;

use sql::{analyze, Dialect, Lineage, Options};

/// Lineage of `sql` merged over its statements; panics with the error if any.
pub fn lineage(dialect: Dialect, defaults: (Option<&str>, Option<&str>), sql: &str) -> Lineage {
    let options = Options::new(dialect).with_defaults(defaults.0, defaults.1);
    let analysis = analyze(sql, &options, None);
    if let Some(error) = analysis.error() {
        panic!("{sql}\n-> {error}");
    }
    analysis.merged()
}

/// Asserts the reads and writes of `sql`.
pub fn check(
    dialect: Dialect,
    defaults: (Option<&str>, Option<&str>),
    sql: &str,
    reads: &[&str],
    writes: &[&str],
) {
    let lineage = lineage(dialect, defaults, sql);
    let got_reads: Vec<&str> = lineage.reads.iter().map(String::as_str).collect();
    let got_writes: Vec<&str> = lineage.writes.iter().map(String::as_str).collect();
    let mut want_reads = reads.to_vec();
    want_reads.sort_unstable();
    let mut want_writes = writes.to_vec();
    want_writes.sort_unstable();
    assert_eq!((got_reads, got_writes), (want_reads, want_writes), "{sql}");
}

pub const PG: (Option<&str>, Option<&str>) = (Some("analytics"), Some("public"));
