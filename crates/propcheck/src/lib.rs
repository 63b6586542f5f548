//! The runner the property tests of the SQL engine, the Hex comment parser and the dbt
//! artifact readers share: each case runs in a child process with a time limit, so a hang or
//! a stack overflow fails the case that caused it (and proptest shrinks it) instead of
//! stalling or killing the suite.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};
use std::fmt::Debug;

/// Runs `test` on `cases` values of `strategy` (or `PROPTEST_CASES` of them), each case given
/// `timeout_ms`, and prints how many ran. `test_name` is the test's full path: proptest
/// re-runs it in the child process.
pub fn check<S>(
    test_name: &'static str,
    cases: u32,
    timeout_ms: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let config = Config {
        cases,
        timeout: timeout_ms,
        // A failure is kept as a named regression test instead of a seed file.
        failure_persistence: None,
        test_name: Some(test_name),
        ..Config::default()
    };
    if let Err(failure) = TestRunner::new(config).run(&strategy, test) {
        panic!("{test_name}: {failure}");
    }
    println!("{test_name}: {cases} cases passed");
}
