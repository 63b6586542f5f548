//! Accuracy on the dialect corpora (`corpus/dialects/*.jsonl`): statements written from each
//! warehouse's SQL reference, with the lineage the warehouse means worked out by hand (see
//! that folder's README). Scored per dialect and per statement kind; misses are printed.

use serde::Deserialize;
use sql::{analyze, Analysis, Options};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct Case {
    id: String,
    dialect: sql::Dialect,
    kind: String,
    default_database: Option<String>,
    default_schema: Option<String>,
    sql: String,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    outcome: Outcome,
    #[serde(default)]
    reads: BTreeSet<String>,
    #[serde(default)]
    writes: BTreeSet<String>,
    columns: Option<Vec<Column>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Lineage,
    NoLineage,
    Error,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
struct Column {
    statement: usize,
    table: String,
    column: String,
    sources: Vec<String>,
}

/// What the engine said about a text, in the corpus's terms.
struct Answer {
    outcome: Outcome,
    reads: BTreeSet<String>,
    writes: BTreeSet<String>,
    columns: BTreeSet<Column>,
    error: Option<String>,
}

impl Answer {
    fn of(analysis: &Analysis) -> Self {
        let merged = analysis.merged();
        let outcome = if analysis.error().is_some() {
            Outcome::Error
        } else if analysis.statements.iter().all(|s| s.without_lineage) {
            Outcome::NoLineage
        } else {
            Outcome::Lineage
        };
        let columns = analysis
            .statements
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.lineage.columns.lineage.iter().filter_map(move |c| {
                    Some(Column {
                        statement: i + 1,
                        table: c.table.clone()?,
                        column: c.target.clone(),
                        sources: c.sources.clone(),
                    })
                })
            })
            .collect();
        Answer {
            outcome,
            reads: merged.reads,
            writes: merged.writes,
            columns,
            error: analysis.error(),
        }
    }

    /// Why the answer differs from what the line expects, if it does.
    fn miss(&self, expected: &Expected) -> Option<String> {
        if self.outcome != expected.outcome {
            return Some(format!(
                "outcome {:?}, want {:?} (reads {:?}, writes {:?}, error {:?})",
                self.outcome, expected.outcome, self.reads, self.writes, self.error
            ));
        }
        if self.outcome != Outcome::Lineage {
            return None;
        }
        if self.reads != expected.reads || self.writes != expected.writes {
            return Some(format!(
                "reads {:?} writes {:?}, want {:?} / {:?}",
                self.reads, self.writes, expected.reads, expected.writes
            ));
        }
        let want: BTreeSet<&Column> = expected.columns.iter().flatten().collect();
        let missing: Vec<&&Column> = want.iter().filter(|c| !self.columns.contains(c)).collect();
        (!missing.is_empty()).then(|| {
            let got: Vec<&Column> = self
                .columns
                .iter()
                .filter(|c| {
                    missing
                        .iter()
                        .any(|m| (m.statement, &m.table) == (c.statement, &c.table))
                })
                .collect();
            format!("columns missing {missing:?}, got {got:?}")
        })
    }
}

#[derive(Default)]
struct Tally {
    exact: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, exact: bool) {
        self.exact += usize::from(exact);
        self.total += 1;
    }

    fn share(&self) -> f64 {
        self.exact as f64 / self.total.max(1) as f64
    }
}

fn cases() -> Vec<Case> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/dialects");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .expect("the dialect corpora are committed with the crate")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable corpus file");
        for (n, line) in text.lines().enumerate() {
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
            cases.push(case);
        }
    }
    cases
}

#[test]
fn every_dialect_corpus_is_read_as_its_warehouse_means_it() {
    let mut per_dialect: BTreeMap<String, Tally> = BTreeMap::new();
    let mut per_kind: BTreeMap<String, Tally> = BTreeMap::new();
    let mut overall = Tally::default();
    let mut misses = Vec::new();
    for case in cases() {
        let options = Options::new(case.dialect).with_defaults(
            case.default_database.as_deref(),
            case.default_schema.as_deref(),
        );
        let answer = Answer::of(&analyze(&case.sql, &options, None));
        let miss = answer.miss(&case.expected);
        let exact = miss.is_none();
        per_dialect
            .entry(format!("{:?}", case.dialect))
            .or_default()
            .add(exact);
        per_kind.entry(case.kind.clone()).or_default().add(exact);
        overall.add(exact);
        if let Some(why) = miss {
            misses.push(format!(
                "{}: {why}\n    {}",
                case.id,
                case.sql.replace('\n', "\n    ")
            ));
        }
    }
    for (name, tally) in per_dialect.iter().chain(&per_kind) {
        println!("{name:<20} {:>4}/{:<4} exact", tally.exact, tally.total);
    }
    for miss in &misses {
        println!("{miss}");
    }
    println!(
        "{}/{} exact ({:.1}%)",
        overall.exact,
        overall.total,
        100.0 * overall.share()
    );
    // The bar is 97% per dialect; every line is exact today, so any miss is a
    // regression to look at (or a line whose expectation needs a second reading).
    for (dialect, tally) in &per_dialect {
        assert!(
            tally.share() >= 0.97,
            "{dialect}: {}/{} exact, below 97%",
            tally.exact,
            tally.total
        );
    }
    assert!(
        misses.is_empty(),
        "{} lines differ (listed above)",
        misses.len()
    );
}
