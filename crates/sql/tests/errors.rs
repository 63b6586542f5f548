//! Bad input: errors say where and why, nothing panics, and work stays bounded.

use sql::{analyze, Dialect, Options};

fn first_error(sql: &str) -> String {
    analyze(sql, &Options::new(Dialect::Postgres), None)
        .error()
        .unwrap_or_default()
}

#[test]
fn errors_name_the_line_column_and_what_was_expected() {
    let error = first_error("select a\n  from where t");
    assert!(error.starts_with("line 2, column 8"), "{error}");
    assert!(
        error.contains("expected a table name, found \"where\""),
        "{error}"
    );
    assert!(first_error("select 'unterminated").contains("unterminated string"));
    assert!(first_error("select (a from t").contains("expected `)`"));
}

#[test]
fn a_bad_statement_does_not_hide_the_good_ones() {
    let analysis = analyze(
        "select from from; select * from ok; insert into",
        &Options::new(Dialect::Postgres),
        None,
    );
    assert_eq!(analysis.statements.len(), 3);
    assert!(analysis.statements[0].error.is_some());
    assert!(analysis.statements[1].lineage.reads.contains("ok"));
    assert!(analysis.statements[2].error.is_some());
    assert!(analysis.error().unwrap().starts_with("statement 1: "));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let sql = format!("select {}1{}", "(".repeat(depth), ")".repeat(depth));
    assert!(first_error(&sql).contains("nesting deeper than"));
    let subqueries = format!(
        "{}select 1{}",
        "select * from (".repeat(5000),
        ") x".repeat(5000)
    );
    assert!(first_error(&subqueries).contains("nesting deeper than"));
}

#[test]
fn garbage_never_panics() {
    // Every prefix of a rich statement, and byte soup, in every dialect.
    let sql = "with a as (select x::int, y[1], z:p.q from `p.d.t` t, lateral flatten(input => t.v) f where $1 = 'it''s' and \"Q\" in (select 1)) merge into t using a on a.x = t.x when matched then update set y = a.y; /* tail";
    for dialect in Dialect::ALL {
        for end in (0..sql.len()).filter(|&i| sql.is_char_boundary(i)) {
            let _ = analyze(&sql[..end], &Options::new(dialect), None);
        }
    }
    let soup: String = (0..4000u32)
        .map(|i| char::from_u32((i * 7919) % 0x250).unwrap_or('x'))
        .collect();
    for dialect in Dialect::ALL {
        let _ = analyze(&soup, &Options::new(dialect), None);
    }
}

#[test]
fn every_prefix_of_corpus_statements_is_handled() {
    let corpus = include_str!("../corpus/corpus.jsonl");
    for line in corpus.lines().step_by(17) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let sql = case["sql"].as_str().unwrap();
        let dialect: Dialect = case["dialect"].as_str().unwrap().parse().unwrap();
        for end in (0..sql.len())
            .step_by(5)
            .filter(|&i| sql.is_char_boundary(i))
        {
            let analysis = analyze(&sql[..end], &Options::new(dialect), None);
            for statement in &analysis.statements {
                if let Some(error) = &statement.error {
                    assert!(error.line >= 1 && error.column >= 1, "{error:?}");
                }
            }
        }
    }
}

#[test]
fn many_statements_in_one_text_stay_linear() {
    // 50,000 statements with errors: positions come from a line index, not rescans.
    let sql = "select (\n;".repeat(50_000);
    let analysis = analyze(&sql, &Options::new(Dialect::Postgres), None);
    assert_eq!(analysis.statements.len(), 50_000);
    let last = analysis.statements.last().unwrap().error.as_ref().unwrap();
    assert_eq!((last.line, last.column), (50_001, 1));
}
