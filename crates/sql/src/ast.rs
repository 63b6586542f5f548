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

/// A table name whose text is only known at run time (`IDENTIFIER($var)`) is empty.
pub(crate) fn is_unknown(name: &Name<'_>) -> bool {
    name.is_empty()
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
    /// A table function, UNNEST, FLATTEN or a stage: its arguments may name columns.
    Function(Expr<'a>),
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
    /// A statement that writes whole tables without reading any (TRUNCATE, COPY … FROM).
    Truncate(Vec<Name<'a>>),
    /// COPY of a table or query out of the warehouse.
    Unload(Relation<'a>),
    /// `USE …`, `SET search_path …`: changes the defaults for the statements after it.
    Use {
        database: Option<Ident<'a>>,
        schema: Option<Ident<'a>>,
    },
    /// WITH before INSERT/UPDATE/DELETE/MERGE.
    With(With<'a>, Box<Statement<'a>>),
    /// Anything without lineage: SET, SHOW, BEGIN, GRANT, DROP…
    Other,
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
    pub exprs: Expr<'a>,
}
