//! Accuracy on the engine-verified corpus (`corpus/corpus.jsonl`): its expected reads and
//! writes come from PostgreSQL's plans and catalog, never from this crate.

use serde::Deserialize;
use sql::{analyze, Options};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct Case {
    id: String,
    shape: String,
    dialect: sql::Dialect,
    default_database: Option<String>,
    default_schema: Option<String>,
    sql: String,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    reads: BTreeSet<String>,
    writes: BTreeSet<String>,
}

#[derive(Default)]
struct Score {
    true_positive: usize,
    false_positive: usize,
    false_negative: usize,
}

impl Score {
    fn add(&mut self, got: &BTreeSet<String>, want: &BTreeSet<String>) {
        self.true_positive += got.intersection(want).count();
        self.false_positive += got.difference(want).count();
        self.false_negative += want.difference(got).count();
    }

    fn f1(&self) -> f64 {
        let tp = self.true_positive as f64;
        let precision = tp / (tp + self.false_positive as f64).max(1.0);
        let recall = tp / (tp + self.false_negative as f64).max(1.0);
        if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        }
    }
}

#[test]
fn corpus_f1_is_at_least_0_99_for_reads_and_writes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/corpus.jsonl");
    let text = std::fs::read_to_string(path).expect("the corpus is committed with the crate");
    let (mut reads, mut writes) = (Score::default(), Score::default());
    let mut per_shape: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for line in text.lines() {
        let case: Case = serde_json::from_str(line).expect("corpus line");
        let options = Options::new(case.dialect).with_defaults(
            case.default_database.as_deref(),
            case.default_schema.as_deref(),
        );
        let lineage = analyze(&case.sql, &options, None).merged();
        reads.add(&lineage.reads, &case.expected.reads);
        writes.add(&lineage.writes, &case.expected.writes);
        let exact = lineage.reads == case.expected.reads && lineage.writes == case.expected.writes;
        let slot = per_shape.entry(case.shape).or_default();
        slot.0 += usize::from(exact);
        slot.1 += 1;
        if !exact {
            misses.push(format!(
                "{}: got {:?} / {:?}, want {:?} / {:?}",
                case.id, lineage.reads, lineage.writes, case.expected.reads, case.expected.writes
            ));
        }
    }
    for (shape, (exact, total)) in &per_shape {
        println!("{shape:<24} {exact:>5}/{total:<5} exact");
    }
    for miss in misses.iter().take(40) {
        println!("{miss}");
    }
    println!(
        "reads F1 {:.4}, writes F1 {:.4}, {} misses",
        reads.f1(),
        writes.f1(),
        misses.len()
    );
    assert!(reads.f1() >= 0.99, "reads F1 {:.4}", reads.f1());
    assert!(writes.f1() >= 0.99, "writes F1 {:.4}", writes.f1());
}
