//! A model-based check: statements generated from a small grammar of SELECT, JOIN, CTE,
//! subquery, UNION, INSERT … SELECT and CREATE … AS over generated table names read exactly
//! the tables the generator put in, qualified and folded as the warehouse would.

use super::garbage::quote;
use super::{check, dialect};
use proptest::prelude::*;
use proptest::sample::Index;
use sql::{analyze, Dialect, Options};
use std::collections::BTreeSet;

const DATABASE: &str = "Analytics";
const SCHEMA: &str = "Public";

/// One part of a table name as written.
#[derive(Clone, Debug)]
struct Part {
    text: String,
    quoted: bool,
}

/// Unquoted parts end in a digit, so no generated name is a keyword; quoted ones may hold
/// spaces, any case and non-ASCII letters, but no quotes or dots. Neither starts with `_`,
/// which keeps them apart from CTE names and aliases (in BigQuery `alias.field` in FROM
/// unnests the alias's array, so a table `a4.x` after an alias `a4` is not a table).
fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        3 => "[a-zA-Z][a-zA-Z0-9_]{0,8}[0-9]".prop_map(|text| Part { text, quoted: false }),
        1 => "[a-zA-Z0-9éß][a-zA-Z0-9 _éß]{0,9}".prop_map(|text| Part { text, quoted: true }),
    ]
}

type Table = Vec<Part>;

fn table() -> impl Strategy<Value = Table> {
    prop::collection::vec(part(), 1..=3)
}

/// A source in FROM: a base table, a derived table, or a CTE of an enclosing WITH.
#[derive(Clone, Debug)]
enum Source {
    Table(Index),
    Derived(Box<Query>),
    Cte(Index),
}

#[derive(Clone, Debug)]
struct Select {
    from: Vec<Source>,
    /// `WHERE EXISTS (…)` and a scalar subquery in the select list.
    exists: Option<Box<Query>>,
    scalar: Option<Box<Query>>,
}

#[derive(Clone, Debug)]
struct Query {
    ctes: Vec<Query>,
    body: Vec<Select>,
}

/// What a statement does with its query.
#[derive(Clone, Debug)]
enum Kind {
    Select,
    Insert(Index),
    CreateAs(Index),
}

fn select(query: BoxedStrategy<Query>) -> impl Strategy<Value = Select> {
    let source = prop_oneof![
        4 => any::<Index>().prop_map(Source::Table),
        1 => query.clone().prop_map(|q| Source::Derived(Box::new(q))),
        2 => any::<Index>().prop_map(Source::Cte),
    ];
    let sub = prop::option::weighted(0.2, query.prop_map(Box::new));
    (prop::collection::vec(source, 1..4), sub.clone(), sub).prop_map(|(from, exists, scalar)| {
        Select {
            from,
            exists,
            scalar,
        }
    })
}

fn query() -> impl Strategy<Value = Query> {
    let leaf = any::<Index>().prop_map(|i| Query {
        ctes: Vec::new(),
        body: vec![Select {
            from: vec![Source::Table(i)],
            exists: None,
            scalar: None,
        }],
    });
    leaf.prop_recursive(4, 24, 4, |inner| {
        let inner = inner.boxed();
        (
            prop::collection::vec(inner.clone(), 0..3),
            prop::collection::vec(select(inner), 1..3),
        )
            .prop_map(|(ctes, body)| Query { ctes, body })
    })
}

/// Writes SQL and, alongside, the tables it must read.
struct Writer<'a> {
    dialect: Dialect,
    tables: &'a [Table],
    upper: bool,
    sql: String,
    reads: BTreeSet<String>,
    aliases: usize,
}

impl Writer<'_> {
    fn kw(&mut self, keyword: &str) {
        let keyword = if self.upper {
            keyword.to_uppercase()
        } else {
            keyword.to_string()
        };
        self.sql.push_str(&keyword);
    }

    fn text(&mut self, text: &str) {
        self.sql.push_str(text);
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("_a{}", self.aliases)
    }

    /// Writes a table name and returns it qualified and folded.
    fn table(&mut self, index: &Index) -> String {
        let table = index.get(self.tables);
        let q = quote(self.dialect);
        let written: Vec<String> = table
            .iter()
            .map(|p| {
                if p.quoted {
                    format!("{q}{}{q}", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect();
        self.text(&written.join("."));
        let defaults = [DATABASE, SCHEMA].map(|d| self.dialect.fold(d, false).into_owned());
        let folded = table
            .iter()
            .map(|p| self.dialect.fold(&p.text, p.quoted).into_owned());
        let qualified: Vec<String> = defaults[..3 - table.len()]
            .iter()
            .cloned()
            .chain(folded)
            .collect();
        qualified.join(".")
    }

    /// `ctes` are the CTEs in scope (innermost last), each with what its body reads: a CTE
    /// that is never referenced reads nothing.
    fn query(&mut self, query: &Query, ctes: &[Cte]) {
        let mut scope = ctes.to_vec();
        if !query.ctes.is_empty() {
            self.kw("with ");
            for (i, cte) in query.ctes.iter().enumerate() {
                let name = format!("_c{}", scope.len());
                self.text(if i == 0 { "" } else { ", " });
                self.text(&name);
                self.kw(" as (");
                let outer = std::mem::take(&mut self.reads);
                self.query(cte, &scope);
                let body = std::mem::replace(&mut self.reads, outer);
                self.text(") ");
                scope.push((name, body));
            }
        }
        for (i, select) in query.body.iter().enumerate() {
            if i > 0 {
                self.kw(" union all ");
            }
            self.select(select, &scope);
        }
    }

    fn select(&mut self, select: &Select, ctes: &[Cte]) {
        self.kw("select ");
        if let Some(scalar) = &select.scalar {
            self.text("(");
            self.query(scalar, ctes);
            self.text(") as s, ");
        }
        self.text("1 as one");
        self.kw(" from ");
        for (i, source) in select.from.iter().enumerate() {
            if i > 0 {
                self.kw(if i % 2 == 1 { " join " } else { " left join " });
            }
            self.source(source, ctes);
            if i > 0 {
                self.kw(" on ");
                self.text("1 = 1");
            }
        }
        if let Some(exists) = &select.exists {
            self.kw(" where exists (");
            self.query(exists, ctes);
            self.text(")");
        }
    }

    fn source(&mut self, source: &Source, ctes: &[Cte]) {
        match source {
            Source::Cte(i) if !ctes.is_empty() => {
                let (name, body) = i.get(ctes).clone();
                self.text(&name);
                self.reads.extend(body);
            }
            Source::Table(i) | Source::Cte(i) => {
                let table = self.table(i);
                self.reads.insert(table);
            }
            Source::Derived(query) => {
                self.text("(");
                self.query(query, ctes);
                self.text(")");
            }
        }
        let alias = self.alias();
        self.kw(" as ");
        self.text(&alias);
    }
}

/// A CTE in scope: its name and what its body reads.
type Cte = (String, BTreeSet<String>);

fn statement() -> impl Strategy<Value = (Dialect, Vec<Table>, Kind, Query, bool)> {
    let kind = prop_oneof![
        2 => Just(Kind::Select),
        1 => any::<Index>().prop_map(Kind::Insert),
        1 => any::<Index>().prop_map(Kind::CreateAs),
    ];
    (
        dialect(),
        prop::collection::vec(table(), 1..6),
        kind,
        query(),
        any::<bool>(),
    )
}

#[test]
fn generated_statements_read_exactly_the_generated_tables() {
    check(
        concat!(
            module_path!(),
            "::generated_statements_read_exactly_the_generated_tables"
        ),
        512,
        statement(),
        |(dialect, tables, kind, query, upper)| {
            let mut writer = Writer {
                dialect,
                tables: &tables,
                upper,
                sql: String::new(),
                reads: BTreeSet::new(),
                aliases: 0,
            };
            let mut writes = BTreeSet::new();
            match &kind {
                Kind::Select => {}
                Kind::Insert(target) => {
                    writer.kw("insert into ");
                    writes.insert(writer.table(target));
                    writer.text(" ");
                }
                Kind::CreateAs(target) => {
                    writer.kw("create table ");
                    writes.insert(writer.table(target));
                    writer.kw(" as ");
                }
            }
            writer.query(&query, &[]);
            let options = Options::new(dialect).with_defaults(Some(DATABASE), Some(SCHEMA));
            let analysis = analyze(&writer.sql, &options, None);
            prop_assert_eq!(analysis.error(), None, "{}", writer.sql);
            let lineage = analysis.merged();
            prop_assert_eq!(&lineage.reads, &writer.reads, "{}", writer.sql);
            prop_assert_eq!(&lineage.writes, &writes, "{}", writer.sql);
            Ok(())
        },
    );
}
