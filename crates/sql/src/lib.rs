//! SQL lineage: the tables and columns each warehouse statement reads and writes.
//!
//! The pipeline is lex → parse → resolve. The lexer borrows the text and follows each
//! dialect's quoting and comment rules; the parser keeps only what lineage needs (relations,
//! column references, subqueries, CTEs, DML targets); the resolver qualifies names with the
//! session defaults, folds them as the warehouse does, and traces output columns back to base
//! columns through CTEs and subqueries. Bad SQL gives an error with a line and column, never a
//! panic, and nesting depth is bounded.
//!
//! ```
//! use sql::{analyze, Dialect, Options};
//!
//! let options = Options::new(Dialect::Snowflake).with_defaults(Some("analytics"), Some("marts"));
//! let analysis = analyze(
//!     "with paid as (select * from raw.payments where status = 'paid')
//!      select o.id, sum(p.amount) as revenue
//!      from orders o join paid p on p.order_id = o.id group by 1",
//!     &options,
//!     None,
//! );
//! let lineage = analysis.merged();
//! assert_eq!(
//!     lineage.reads.iter().collect::<Vec<_>>(),
//!     ["ANALYTICS.MARTS.ORDERS", "ANALYTICS.RAW.PAYMENTS"]
//! );
//! assert_eq!(lineage.columns.lineage[1].target, "REVENUE");
//! assert_eq!(lineage.columns.lineage[1].sources, ["ANALYTICS.RAW.PAYMENTS.AMOUNT"]);
//! ```
#![deny(missing_docs)]

mod ast;
pub mod batch;
mod catalog;
mod dialect;
mod fingerprint;
mod keywords;
mod lexer;
mod parser;
mod reserved;
mod resolve;
mod tokens;

pub use catalog::Catalog;
pub use dialect::Dialect;
pub use tokens::{tokens, TokenKind};

use resolve::{Defaults, Resolver, Session};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// How to read SQL: the dialect and the session's current database and schema.
#[derive(Clone, Debug)]
pub struct Options {
    /// The SQL dialect.
    pub dialect: Dialect,
    /// The current database (Snowflake, PostgreSQL), project (BigQuery) or catalog
    /// (Databricks), used to qualify 1- and 2-part names.
    pub default_database: Option<String>,
    /// The current schema (or BigQuery dataset), used to qualify 1-part names.
    pub default_schema: Option<String>,
}

impl Options {
    /// Options for `dialect` with no defaults.
    pub fn new(dialect: Dialect) -> Self {
        Options {
            dialect,
            default_database: None,
            default_schema: None,
        }
    }

    /// Sets the current database and schema.
    pub fn with_defaults(mut self, database: Option<&str>, schema: Option<&str>) -> Self {
        self.default_database = database.map(str::to_string);
        self.default_schema = schema.map(str::to_string);
        self
    }
}

/// A statement that could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct SqlError {
    /// Byte offset into the text.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was wrong.
    pub message: String,
}

impl SqlError {
    pub(crate) fn at(offset: usize, message: impl Into<String>) -> Self {
        SqlError {
            offset,
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    /// Fills in the line and column of `offset`.
    fn locate(mut self, lines: &Lines<'_>) -> Self {
        (self.line, self.column) = lines.position(self.offset);
        self
    }
}

/// Where each line of a text starts, so positions cost a binary search, not a scan: a text of
/// many statements must not take quadratic time.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

/// What statements read and write.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// Tables and views read, qualified and folded (`db.schema.table`).
    pub reads: BTreeSet<String>,
    /// Tables and views written: INSERT, CREATE … AS, MERGE, UPDATE, DELETE, COPY INTO…
    pub writes: BTreeSet<String>,
    /// Column-level detail.
    pub columns: Columns,
}

/// Which columns are read, and where each output column comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Columns {
    /// Table → columns referenced anywhere in the statement (`*` when it selects all of a
    /// table whose columns are unknown).
    pub read: BTreeMap<String, BTreeSet<String>>,
    /// Each output (or inserted) column and the base columns it is computed from.
    pub lineage: Vec<ColumnLineage>,
}

/// One output column and its sources, `table.column`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnLineage {
    /// The table or view the column is written to; `None` for a query's result.
    pub table: Option<String>,
    /// The output column's name.
    pub target: String,
    /// `db.schema.table.column` of every base column it is computed from.
    pub sources: Vec<String>,
}

impl Lineage {
    fn absorb(&mut self, other: &Lineage) {
        self.reads.extend(other.reads.iter().cloned());
        self.writes.extend(other.writes.iter().cloned());
        for (table, columns) in &other.columns.read {
            let slot = self.columns.read.entry(table.clone()).or_default();
            slot.extend(columns.iter().cloned());
        }
        self.columns
            .lineage
            .extend(other.columns.lineage.iter().cloned());
    }
}

/// One statement of a text.
#[derive(Clone, Debug)]
pub struct StatementLineage {
    /// `select`, `insert`, `create_table`, `create_table_as`, `create_view`, `update`,
    /// `delete`, `merge`, `truncate`, `drop`, `alter`, `rename`, `swap`, `copy`, `unload`,
    /// `export`, `load`, `use`, `set`, `block`, `call`, a kind without lineage (`show`,
    /// `grant`, `transaction`, …), or `error`.
    pub kind: &'static str,
    /// 1-based line where the statement starts.
    pub line: usize,
    /// What it reads and writes (empty when it failed to parse).
    pub lineage: Lineage,
    /// A statement kind that has no lineage at all (SET, SHOW, GRANT, USE, a transaction…):
    /// reading nothing is its whole meaning, not a gap.
    pub without_lineage: bool,
    /// Why it could not be read.
    pub error: Option<SqlError>,
}

/// Everything known about one SQL text.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Each `;`-separated statement, in order.
    pub statements: Vec<StatementLineage>,
    /// A hash of the text's shape: equal for texts differing only in literals, layout,
    /// comments and unquoted-name case.
    pub fingerprint: String,
}

impl Analysis {
    /// The union over all statements. Tables a statement writes and a later one reads (a
    /// staging table) appear in both lists.
    pub fn merged(&self) -> Lineage {
        let mut merged = Lineage::default();
        for statement in &self.statements {
            merged.absorb(&statement.lineage);
        }
        merged
    }

    /// The first error, prefixed with its statement number when there are several.
    pub fn error(&self) -> Option<String> {
        let several = self.statements.len() > 1;
        self.statements
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.error.as_ref().map(|e| (i, e)))
            .map(|(i, e)| {
                if several {
                    format!("statement {}: {e}", i + 1)
                } else {
                    e.to_string()
                }
            })
    }
}

/// The fingerprint [`analyze`] would give `sql`, without parsing it: lexing only.
pub fn fingerprint(sql: &str, dialect: Dialect) -> String {
    match lexer::tokenize(sql, dialect) {
        Ok(tokens) => fingerprint::of_tokens(sql, &tokens, dialect),
        Err(_) => fingerprint::of_text(sql, dialect),
    }
}

/// Reads every statement in `sql`. `catalog` supplies known columns for `*` and bare names.
pub fn analyze(sql: &str, options: &Options, catalog: Option<&Catalog>) -> Analysis {
    let dialect = options.dialect;
    let lines = Lines::new(sql);
    let tokens = match lexer::tokenize(sql, dialect) {
        Ok(tokens) => tokens,
        Err(error) => {
            return Analysis {
                statements: vec![failed(error.locate(&lines))],
                fingerprint: fingerprint::of_text(sql, dialect),
            }
        }
    };
    let fingerprint = fingerprint::of_tokens(sql, &tokens, dialect);
    let defaults = Defaults::new(
        dialect,
        options.default_database.as_deref(),
        options.default_schema.as_deref(),
    );
    let parsed = parser::parse(sql, &tokens, dialect);
    let mut session = Session::new(defaults);
    let mut statements = Vec::with_capacity(parsed.len());
    for parsed in &parsed {
        let line = lines.position(parsed.start).0;
        let statement = match &parsed.statement {
            Ok(statement) => {
                let resolver = Resolver::new(dialect, session, catalog);
                let (lineage, next) = resolver.statement(statement);
                session = next;
                let resolved_nothing = lineage.reads.is_empty() && lineage.writes.is_empty();
                StatementLineage {
                    kind: parser::statement_kind(statement),
                    line,
                    lineage,
                    without_lineage: parser::without_lineage(statement, resolved_nothing),
                    error: None,
                }
            }
            Err(error) => StatementLineage {
                line,
                ..failed(error.clone().locate(&lines))
            },
        };
        statements.push(statement);
    }
    Analysis {
        statements,
        fingerprint,
    }
}

fn failed(error: SqlError) -> StatementLineage {
    StatementLineage {
        kind: "error",
        line: error.line,
        lineage: Lineage::default(),
        without_lineage: false,
        error: Some(error),
    }
}

impl fmt::Display for Lineage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |set: &BTreeSet<String>| {
            if set.is_empty() {
                "-".to_string()
            } else {
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        writeln!(f, "  reads:  {}", list(&self.reads))?;
        writeln!(f, "  writes: {}", list(&self.writes))?;
        for (table, columns) in &self.columns.read {
            writeln!(f, "  columns of {table}: {}", list(columns))?;
        }
        for lineage in &self.columns.lineage {
            let sources = if lineage.sources.is_empty() {
                "(no table column)".to_string()
            } else {
                lineage.sources.join(", ")
            };
            writeln!(f, "  {} <- {sources}", lineage.target)?;
        }
        Ok(())
    }
}
