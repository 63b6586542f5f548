//! The parts of a statement that lineage needs, borrowed from the SQL text.
//!
//! Expressions are not kept as trees: lineage only needs the columns and subqueries an
//! expression mentions, so an [`Expr`] is that list. This keeps parsing allocation-light.

use std::borrow::Cow;

/// An identifier as written, with its quotes removed.
#[derive(Clone, Debug)]
pub(crate) struct Ident<'a> {
    pub text: Cow<'a, str>,
    pub quoted: bool,
}

/// A dotted name: `db.schema.table`, `alias.column`, `column.field`.
pub(crate) type Name<'a> = Vec<Ident<'a>>;

/// A table name whose text is only known at run time is empty.
pub(crate) fn is_unknown(name: &Name<'_>) -> bool {
    name.is_empty()
}

/// `IDENTIFIER($var)`, `IDENTIFIER(:name)`, `IDENTIFIER(?)`, Databricks' `IDENTIFIER(var)`
/// and `IDENTIFIER(:p || '.t')`: the placeholder as written.
pub(crate) fn placeholder<'n>(name: &'n Name<'_>) -> Option<&'n str> {
    match name.as_slice() {
        [only] if only.quoted && only.text.starts_with(['$', ':', '?']) => Some(&only.text),
        [only] if only.quoted && only.text.contains("||") => Some(&only.text),
        _ => None,
    }
}

/// Where data comes from or goes to, beside tables: a stage or a file, directory or URL.
#[derive(Debug)]
pub(crate) enum Location<'a> {
    /// `@stage/path`: `~` for the user stage, `%table` for a table's stage.
    Stage(Name<'a>),
    /// `'s3://bucket/dir/'`, `'data.parquet'`, as written.
    Path(Cow<'a, str>),
}

/// One end of a data move: a table, a query's rows, or a location. `None` is STDIN/STDOUT
/// (or a client's file), which no lineage names.
#[derive(Debug)]
pub(crate) enum Endpoint<'a> {
    Table(Name<'a>),
    Query(Box<Query<'a>>),
    /// A query written as a string (Redshift's UNLOAD), read as SQL of its own.
    Text(String),
    Location(Location<'a>),
    /// Several files or URLs (BigQuery's `uris = [...]`).
    Locations(Vec<Location<'a>>),
    None,
}

/// What an expression mentions.
#[derive(Debug, Default)]
pub(crate) struct Expr<'a> {
    pub columns: Vec<Name<'a>>,
    pub subqueries: Vec<Query<'a>>,
}

/// A query: `WITH … body ORDER BY … LIMIT …`.
#[derive(Debug)]
pub(crate) struct Query<'a> {
    pub with: With<'a>,
    pub body: SetExpr<'a>,
    /// ORDER BY, LIMIT, OFFSET and FETCH expressions.
    pub tail: Expr<'a>,
}

/// The common table expressions of a `WITH` clause.
#[derive(Debug, Default)]
pub(crate) struct With<'a> {
    pub recursive: bool,
    pub ctes: Vec<Cte<'a>>,
}

/// One common table expression.
#[derive(Debug)]
pub(crate) struct Cte<'a> {
    pub name: Ident<'a>,
    pub columns: Vec<Ident<'a>>,
    pub query: Query<'a>,
}

/// A query body: a SELECT, a parenthesized query, a set operation or VALUES.
#[derive(Debug)]
pub(crate) enum SetExpr<'a> {
    Select(Box<Select<'a>>),
    Nested(Box<Query<'a>>),
    SetOp(Box<SetExpr<'a>>, Box<SetExpr<'a>>),
    Values(Expr<'a>),
}

/// One SELECT block.
#[derive(Debug, Default)]
pub(crate) struct Select<'a> {
    pub items: Vec<SelectItem<'a>>,
    /// PostgreSQL's `SELECT … INTO new_table`.
    pub into: Option<Name<'a>>,
    pub from: Vec<FromItem<'a>>,
    /// WHERE, GROUP BY, HAVING, WINDOW and DISTINCT ON.
    pub filters: Expr<'a>,
    /// QUALIFY and ORDER BY may name select-list aliases.
    pub alias_filters: Expr<'a>,
}

/// One entry of the select list.
#[derive(Debug)]
pub(crate) enum SelectItem<'a> {
    /// `*` or `t.*`, minus the columns of `EXCEPT (…)` / `EXCLUDE (…)`.
    Wildcard {
        qualifier: Option<Name<'a>>,
        except: Vec<Ident<'a>>,
    },
    /// An expression with its alias, or with the column it names when it is a bare column.
    Expr {
        expr: Expr<'a>,
        name: Option<Ident<'a>>,
    },
}

/// A relation in FROM (or a DML target), flattened out of any join tree.
#[derive(Debug)]
pub(crate) struct FromItem<'a> {
    pub relation: Relation<'a>,
    pub alias: Option<Alias<'a>>,
    /// The ON condition and any expressions the relation's clauses mention.
    pub condition: Expr<'a>,
}

/// What a FROM item reads.
#[derive(Debug)]
pub(crate) enum Relation<'a> {
    Table(Name<'a>),
    Derived(Box<Query<'a>>),
    /// A table function, UNNEST or FLATTEN: its arguments may name columns.
    Function(Expr<'a>),
    /// A stage or a file read as a table (`FROM @stage`, DuckDB's `FROM 'x.parquet'`,
    /// `read_csv('x.csv')`, Databricks' ``parquet.`s3://…` ``); a reader of a list of files
    /// holds each.
    Location(Vec<Location<'a>>),
}

/// `AS alias (c1, c2)`.
#[derive(Debug)]
pub(crate) struct Alias<'a> {
    pub name: Ident<'a>,
    pub columns: Vec<Ident<'a>>,
}

/// A parsed statement.
#[derive(Debug)]
pub(crate) enum Statement<'a> {
    Query(Query<'a>),
    Insert(Insert<'a>),
    /// CREATE TABLE / VIEW, with or without AS.
    Create(Create<'a>),
    Update(Modify<'a>),
    Delete(Modify<'a>),
    Merge(Modify<'a>),
    /// Changes whole tables without reading any: TRUNCATE, DROP, ALTER … ADD COLUMN.
    Touch {
        kind: &'static str,
        targets: Vec<Name<'a>>,
    },
    /// `ALTER TABLE a RENAME TO b` (reads a, writes b); `SWAP WITH` reads and writes both.
    Rename {
        from: Name<'a>,
        to: Name<'a>,
        swap: bool,
    },
    /// Rows moved in or out: COPY, UNLOAD, EXPORT DATA, LOAD DATA, PUT, GET,
    /// INSERT OVERWRITE DIRECTORY.
    Copy {
        kind: &'static str,
        from: Endpoint<'a>,
        to: Endpoint<'a>,
    },
    /// `USE …`, `SET search_path …`: changes the defaults for the statements after it.
    Use {
        database: Option<Ident<'a>>,
        schema: Option<Ident<'a>>,
    },
    /// `SET name = value` (a session or script variable): remembered for `IDENTIFIER($name)`;
    /// a subquery in the value reads.
    Variable {
        name: Cow<'a, str>,
        value: Option<Cow<'a, str>>,
        reads: Expr<'a>,
    },
    /// WITH before INSERT/UPDATE/DELETE/MERGE.
    With(With<'a>, Box<Statement<'a>>),
    /// A scripting block (BEGIN … END, IF, loops, DECLARE … BEGIN): its statements, in order,
    /// and the expressions of its conditions.
    Block {
        kind: &'static str,
        statements: Vec<Statement<'a>>,
        conditions: Expr<'a>,
    },
    /// `CREATE PROCEDURE p … BEGIN … END` (or a body written as a string): analysed where a
    /// later `CALL p` runs it.
    Procedure {
        name: Name<'a>,
        body: Vec<Statement<'a>>,
        text: Option<String>,
    },
    /// `CALL p(…)`.
    Call(Name<'a>),
    /// A statement kind without lineage (SET, SHOW, GRANT, BEGIN TRANSACTION, …).
    NoLineage(&'static str),
}

/// INSERT (including Snowflake's multi-table INSERT ALL).
#[derive(Debug)]
pub(crate) struct Insert<'a> {
    pub targets: Vec<(Name<'a>, Vec<Ident<'a>>)>,
    pub source: Option<Query<'a>>,
    pub exprs: Expr<'a>,
}

/// CREATE TABLE / VIEW.
#[derive(Debug)]
pub(crate) struct Create<'a> {
    pub target: Name<'a>,
    pub view: bool,
    pub columns: Vec<Ident<'a>>,
    pub query: Option<Query<'a>>,
    /// `LIKE t` / `CLONE t`.
    pub copy_of: Option<Name<'a>>,
}

/// UPDATE, DELETE and MERGE: a target plus the relations and expressions around it.
#[derive(Debug)]
pub(crate) struct Modify<'a> {
    pub target: Name<'a>,
    pub alias: Option<Alias<'a>>,
    /// UPDATE … FROM, DELETE … USING, MERGE … USING.
    pub from: Vec<FromItem<'a>>,
    /// Conditions and every other expression that reads without being written.
    pub exprs: Expr<'a>,
    /// The columns written and what each is computed from (UPDATE's and MERGE's SET, a MERGE
    /// INSERT's columns and values).
    pub sets: Vec<Assignment<'a>>,
}

/// `c = e`, or `(a, b) = (SELECT x, y …)` whose columns take the query's outputs in order.
#[derive(Debug)]
pub(crate) struct Assignment<'a> {
    pub columns: Vec<Ident<'a>>,
    pub value: Expr<'a>,
}
