//! Property tests: generated, mutated and hostile SQL, checked against what must hold for any
//! input (issue 8, item 6).
//!
//! Each property runs a fixed number of cases so the suite stays fast; `PROPTEST_CASES` runs
//! more: `PROPTEST_CASES=100000 cargo test -p downstream-sql --test tests properties -- --nocapture`.
//! Every property runs in a child process with a time limit per case, so a hang or a stack
//! overflow fails the case that caused it (and proptest shrinks it) instead of stalling or
//! killing the suite.

mod garbage;
mod generated;
mod layout;
mod mutations;

use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;
use serde::Deserialize;
use sql::{Analysis, Dialect};
use std::fmt::Debug;
use std::sync::OnceLock;

/// Generous: a case takes milliseconds, so only a hang (or a quadratic blow-up on a big
/// input) gets near it, even on a loaded machine.
const TIMEOUT_MS: u32 = 10_000;

/// [`propcheck::check`] with this crate's time limit per case.
pub fn check<S>(
    test_name: &'static str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    propcheck::check(test_name, cases, TIMEOUT_MS, strategy, test);
}

/// Any dialect.
pub fn dialect() -> impl Strategy<Value = Dialect> {
    prop::sample::select(Dialect::ALL.to_vec())
}

/// What holds for the analysis of any text: the fingerprint is the one lexing alone gives,
/// errors point inside the text with a consistent line and column, and statements come in
/// order.
pub fn sane(sql: &str, dialect: Dialect, analysis: &Analysis) -> TestCaseResult {
    let fingerprint = &analysis.fingerprint;
    prop_assert!(fingerprint.len() == 32 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    prop_assert_eq!(fingerprint, &sql::fingerprint(sql, dialect));
    let lines = sql.split('\n').count();
    let mut previous_line = 1;
    for statement in &analysis.statements {
        prop_assert!(
            (previous_line..=lines).contains(&statement.line),
            "{:?}",
            statement
        );
        previous_line = statement.line;
        if let Some(error) = &statement.error {
            prop_assert!(error.offset <= sql.len(), "{:?}", error);
            prop_assert_eq!((error.line, error.column), position(sql, error.offset));
        }
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset, counted the slow way.
fn position(sql: &str, offset: usize) -> (usize, usize) {
    let before = &sql[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// One statement of the engine-verified corpus.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub dialect: Dialect,
    pub default_database: Option<String>,
    pub default_schema: Option<String>,
    pub sql: String,
}

impl Case {
    pub fn options(&self) -> sql::Options {
        sql::Options::new(self.dialect).with_defaults(
            self.default_database.as_deref(),
            self.default_schema.as_deref(),
        )
    }
}

/// The corpus, read once per process.
pub fn corpus() -> &'static [Case] {
    static CORPUS: OnceLock<Vec<Case>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        include_str!("../corpus/corpus.jsonl")
            .lines()
            .map(|line| serde_json::from_str(line).expect("corpus line"))
            .collect()
    })
}

/// A corpus statement, by index.
pub fn corpus_case() -> impl Strategy<Value = &'static Case> {
    (0..corpus().len()).prop_map(|i| &corpus()[i])
}
