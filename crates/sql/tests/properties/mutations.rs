//! Corpus statements, changed: layout and comments change nothing, literals change nothing
//! but their values, names change the fingerprint, quoting a name as the warehouse folds it
//! reads the same table, and any token edit is handled without a panic.

use super::garbage::{quote, FRAGMENTS};
use super::layout::{Layout, Word};
use super::{check, corpus, corpus_case, sane, Case};
use proptest::prelude::*;
use proptest::sample::Index;
use sql::{analyze, Dialect, Lineage};
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

/// A corpus statement the layout reader handles, with its layout and analysis.
pub struct Prepared {
    case: &'static Case,
    layout: Layout,
    lineage: Lineage,
    failed: bool,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {:?}",
            self.case.id, self.case.dialect, self.case.sql
        )
    }
}

impl Prepared {
    fn analyze(&self, sql: &str) -> sql::Analysis {
        analyze(sql, &self.case.options(), None)
    }

    /// The names of every table the statement reads or writes, each part folded.
    fn table_parts(&self) -> BTreeSet<&str> {
        let tables = self.lineage.reads.iter().chain(&self.lineage.writes);
        tables.flat_map(|t| t.split('.')).collect()
    }

    /// String and number literals, except strings that name a table (`identifier('s.t')`,
    /// `table('s.t')`) or a schema (`SET search_path TO 's'`).
    fn literals(&self) -> Vec<Range<usize>> {
        let sql = &self.case.sql;
        let names_table = |span: &Range<usize>| {
            let before = sql[..span.start].trim_end();
            before.strip_suffix('(').is_some_and(|b| {
                let b = b.trim_end().to_ascii_lowercase();
                b.ends_with("identifier") || b.ends_with("table")
            })
        };
        let names_schema = |span: &Range<usize>| {
            let statement = sql[..span.start].rsplit(';').next().unwrap_or("");
            let words: Vec<String> = statement
                .split_whitespace()
                .take(3)
                .map(str::to_ascii_lowercase)
                .collect();
            words.first().is_some_and(|w| w == "set")
                && words[1..]
                    .iter()
                    .any(|w| w.starts_with("search_path") || w == "schema")
        };
        let strings = self.layout.strings.iter();
        let strings = strings.filter(|s| !names_table(s) && !names_schema(s));
        strings.chain(&self.layout.numbers).cloned().collect()
    }

    /// Parts of dotted names (`schema.table`, `alias.column`).
    fn dotted_names(&self) -> Vec<&Word> {
        let words = self.layout.words.iter();
        words.filter(|w| w.dotted() && !w.sigiled()).collect()
    }

    /// Unquoted names in table position (dotted, or after FROM, JOIN, INTO…) that fold to a
    /// part of a table the statement reads or writes. The position rules out keywords that
    /// spell a table's name (`from "order" … order by`).
    fn table_names(&self) -> Vec<&Word> {
        let parts = self.table_parts();
        let sql = &self.case.sql;
        let dialect = self.case.dialect;
        let table_name = |w: &&Word| {
            let placed = w.dotted() || after_table_keyword(&sql[..w.span.start]);
            let folded = dialect.fold(&sql[w.span.clone()], false);
            placed && !w.sigiled() && parts.contains(folded.as_ref())
        };
        self.layout.words.iter().filter(table_name).collect()
    }
}

/// Whether `before` ends with a keyword that a table name follows.
fn after_table_keyword(before: &str) -> bool {
    let last = before.trim_end();
    let last = last.rsplit(|c: char| !c.is_ascii_alphabetic()).next();
    ["from", "join", "into", "update", "table", "view", "using"]
        .iter()
        .any(|k| last.is_some_and(|l| l.eq_ignore_ascii_case(k)))
}

/// Every corpus statement the layout reader handles, prepared once per process.
fn prepared() -> &'static [Prepared] {
    static PREPARED: OnceLock<Vec<Prepared>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let readable = corpus().iter().filter_map(|case| {
            let layout = Layout::read(&case.sql, case.dialect)?;
            let analysis = analyze(&case.sql, &case.options(), None);
            Some(Prepared {
                case,
                layout,
                lineage: analysis.merged(),
                failed: analysis.error().is_some(),
            })
        });
        readable.collect()
    })
}

/// A prepared statement for which `keep` holds, chosen uniformly among those.
fn prepared_where(keep: fn(&Prepared) -> bool) -> impl Strategy<Value = &'static Prepared> {
    let chosen: Vec<&'static Prepared> = prepared().iter().filter(|p| keep(p)).collect();
    assert!(!chosen.is_empty(), "no corpus statement fits");
    prop::sample::select(chosen)
}

/// Whitespace and comments that may sit between any two tokens of `dialect`. Each starts
/// with a space so that it cannot join the token before it (`-` + `-- c` is a comment).
fn fillers(dialect: Dialect) -> Vec<&'static str> {
    let mut fillers = vec![
        " ",
        "\n",
        "\t",
        "\r\n",
        "  \n\t ",
        " /* c */ ",
        " /* two\nlines */",
        " -- note\n",
        " --\n",
        "\n-- Hex query metadata: {\"project_id\": \"p\"}\n",
    ];
    match dialect {
        Dialect::BigQuery => fillers.push(" # c\n"),
        Dialect::Snowflake => fillers.push(" // c\n"),
        Dialect::Postgres | Dialect::Databricks | Dialect::DuckDb => {
            fillers.push(" /* a /* nested */ comment */ ");
        }
        Dialect::Redshift => {}
    }
    fillers
}

/// `text` with `insert` put at each offset, applied from the back so offsets stay valid.
fn insert_all(text: &str, mut inserts: Vec<(usize, &str)>) -> String {
    inserts.sort_by_key(|&(at, _)| std::cmp::Reverse(at));
    let mut out = text.to_string();
    for (at, insert) in inserts {
        out.insert_str(at, insert);
    }
    out
}

/// `text` with each span replaced, applied from the back. Spans must not overlap.
fn replace_all(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    edits.dedup_by_key(|(span, _)| span.start);
    let mut out = text.to_string();
    for (span, with) in edits {
        out.replace_range(span, &with);
    }
    out
}

#[test]
fn whitespace_and_comments_between_tokens_change_nothing() {
    let picks = prop::collection::vec((any::<Index>(), any::<Index>()), 1..8);
    check(
        concat!(
            module_path!(),
            "::whitespace_and_comments_between_tokens_change_nothing"
        ),
        512,
        (prepared_where(|_| true), picks),
        |(p, picks)| {
            let fillers = fillers(p.case.dialect);
            let inserts = picks
                .iter()
                .map(|(gap, filler)| (*gap.get(&p.layout.gaps), *filler.get(&fillers)))
                .collect();
            let changed = insert_all(&p.case.sql, inserts);
            let analysis = p.analyze(&changed);
            sane(&changed, p.case.dialect, &analysis)?;
            let fingerprint = sql::fingerprint(&p.case.sql, p.case.dialect);
            prop_assert_eq!(&analysis.fingerprint, &fingerprint, "{}", changed);
            let lineage = analysis.merged();
            prop_assert_eq!(&lineage.reads, &p.lineage.reads, "{}", changed);
            prop_assert_eq!(&lineage.writes, &p.lineage.writes, "{}", changed);
            prop_assert_eq!(analysis.error().is_some(), p.failed, "{}", changed);
            Ok(())
        },
    );
}

/// An edit of a whitespace-separated list of tokens.
#[derive(Clone, Debug)]
enum Edit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Replace(Index, &'static str),
    Insert(Index, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let fragment = || prop::sample::select(FRAGMENTS);
    prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        any::<Index>().prop_map(Edit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<Index>(), fragment()).prop_map(|(i, f)| Edit::Replace(i, f)),
        (any::<Index>(), fragment()).prop_map(|(i, f)| Edit::Insert(i, f)),
    ]
}

impl Edit {
    fn apply(&self, tokens: &mut Vec<&str>) {
        let len = tokens.len();
        if len == 0 {
            return;
        }
        match self {
            Edit::Delete(i) => {
                tokens.remove(i.index(len));
            }
            Edit::Duplicate(i) => {
                let i = i.index(len);
                tokens.insert(i, tokens[i]);
            }
            Edit::Swap(a, b) => tokens.swap(a.index(len), b.index(len)),
            Edit::Replace(i, with) => *i.get_mut(tokens) = with,
            Edit::Insert(i, with) => tokens.insert(i.index(len + 1), with),
        }
    }
}

#[test]
fn token_edits_never_panic() {
    check(
        concat!(module_path!(), "::token_edits_never_panic"),
        512,
        (
            corpus_case(),
            prop::collection::vec(edit(), 1..6),
            any::<bool>(),
        ),
        |(case, edits, spaced)| {
            let mut tokens: Vec<&str> = case.sql.split_whitespace().collect();
            for edit in &edits {
                edit.apply(&mut tokens);
            }
            // Joined without spaces, edits also split and fuse tokens.
            let changed = tokens.join(if spaced { " " } else { "" });
            sane(
                &changed,
                case.dialect,
                &analyze(&changed, &case.options(), None),
            )
        },
    );
}

fn string_value() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _%:-]{0,12}"
}

fn number_value() -> impl Strategy<Value = String> {
    "[0-9]{1,6}(\\.[0-9]{1,3})?"
}

#[test]
fn changing_literals_keeps_the_fingerprint_and_the_tables() {
    let values = prop::collection::vec((any::<Index>(), string_value(), number_value()), 1..4);
    check(
        concat!(
            module_path!(),
            "::changing_literals_keeps_the_fingerprint_and_the_tables"
        ),
        512,
        (prepared_where(|p| !p.literals().is_empty()), values),
        |(p, values)| {
            let sql = &p.case.sql;
            let literals = p.literals();
            let edits = values
                .into_iter()
                .map(|(i, string, number)| {
                    let span = i.get(&literals).clone();
                    let q = sql[span.clone()].chars().next().unwrap_or('\'');
                    let value = if q.is_ascii_digit() {
                        number
                    } else {
                        format!("{q}{string}{q}")
                    };
                    (span, value)
                })
                .collect();
            let changed = replace_all(sql, edits);
            let analysis = p.analyze(&changed);
            prop_assert_eq!(
                &analysis.fingerprint,
                &sql::fingerprint(sql, p.case.dialect),
                "{}",
                changed
            );
            let lineage = analysis.merged();
            prop_assert_eq!(&lineage.reads, &p.lineage.reads, "{}", changed);
            prop_assert_eq!(&lineage.writes, &p.lineage.writes, "{}", changed);
            Ok(())
        },
    );
}

#[test]
fn changing_a_name_changes_the_fingerprint() {
    check(
        concat!(module_path!(), "::changing_a_name_changes_the_fingerprint"),
        512,
        (
            prepared_where(|p| !p.dotted_names().is_empty()),
            any::<Index>(),
            "[a-z][a-z0-9_]{0,5}",
        ),
        |(p, pick, suffix)| {
            let word = pick.get(&p.dotted_names()).span.clone();
            let renamed = format!("{}_{suffix}", &p.case.sql[word.clone()]);
            let changed = replace_all(&p.case.sql, vec![(word, renamed)]);
            let before = sql::fingerprint(&p.case.sql, p.case.dialect);
            prop_assert_ne!(
                sql::fingerprint(&changed, p.case.dialect),
                before,
                "{}",
                changed
            );
            Ok(())
        },
    );
}

#[test]
fn quoting_a_name_as_the_warehouse_folds_it_reads_the_same_tables() {
    let picks = prop::collection::vec(any::<Index>(), 1..6);
    check(
        concat!(
            module_path!(),
            "::quoting_a_name_as_the_warehouse_folds_it_reads_the_same_tables"
        ),
        512,
        (
            prepared_where(|p| !p.failed && !p.table_names().is_empty()),
            picks,
        ),
        |(p, picks)| {
            let dialect = p.case.dialect;
            let names = p.table_names();
            let q = quote(dialect);
            let edits = picks
                .iter()
                .map(|pick| {
                    let span = pick.get(&names).span.clone();
                    let folded = dialect.fold(&p.case.sql[span.clone()], false);
                    (span, format!("{q}{folded}{q}"))
                })
                .collect();
            let changed = replace_all(&p.case.sql, edits);
            let analysis = p.analyze(&changed);
            prop_assert_eq!(analysis.error(), None, "{}", changed);
            let lineage = analysis.merged();
            prop_assert_eq!(&lineage.reads, &p.lineage.reads, "{}", changed);
            prop_assert_eq!(&lineage.writes, &p.lineage.writes, "{}", changed);
            Ok(())
        },
    );
}
