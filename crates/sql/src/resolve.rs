//! Name resolution: turns parsed statements into qualified tables and base-table columns.
//!
//! Each query gets a scope holding its CTEs and FROM sources; a column reference is looked
//! up from the innermost scope outwards (so correlated subqueries work), and derived tables
//! and CTEs pass on the base columns behind each of their outputs, which is what makes
//! column lineage reach through any number of CTE layers.

use crate::ast::{
    self, Alias, Assignment, Create, Endpoint, Expr, FromItem, Ident, Insert, Location, Modify,
    Name, Query, Relation, Select, SelectItem, SetExpr, Statement,
};
use crate::catalog::Catalog;
use crate::dialect::Dialect;
use crate::{ColumnLineage, Lineage};
use std::borrow::Cow;
use std::collections::HashMap;

/// A base-table column: (qualified table, column).
type ColumnId = (String, String);

/// One output column of a query and the base columns it is computed from.
#[derive(Clone, Debug)]
struct Output {
    name: String,
    sources: Vec<ColumnId>,
    /// For `*` over a table whose columns are unknown: that table.
    star: Option<String>,
}

#[derive(Debug)]
enum SourceKind {
    Base {
        table: String,
        parts: Vec<String>,
        columns: Option<Vec<String>>,
        /// False for the target of UPDATE/DELETE/MERGE, whose columns are not reads.
        record: bool,
    },
    Derived(Vec<Output>),
    /// UNNEST, FLATTEN, table functions, stages: columns named only by the alias, each
    /// computed from the base columns the arguments name (`UNNEST(o.items) AS item`: every
    /// `item.x` comes from `items`).
    Opaque(Vec<String>, Vec<ColumnId>),
}

#[derive(Debug)]
struct Source {
    name: String,
    kind: SourceKind,
}

/// Whether a source has a column.
#[derive(PartialEq, Eq)]
enum Has {
    Yes,
    No,
    Unknown,
}

#[derive(Default)]
struct Scope<'p> {
    /// Each CTE's name, outputs, and what its body reads: added to the statement only where
    /// the CTE is referenced, so a CTE defined but never used reads nothing.
    ctes: Vec<(String, Vec<Output>, Lineage)>,
    sources: Vec<Source>,
    parent: Option<&'p Scope<'p>>,
}

impl<'p> Scope<'p> {
    fn child(parent: Option<&'p Scope<'p>>) -> Self {
        Scope {
            parent,
            ..Scope::default()
        }
    }
}

/// The defaults a statement's names are qualified with; `USE` changes them.
#[derive(Clone, Debug)]
pub(crate) struct Defaults {
    pub database: Option<String>,
    pub schema: Option<String>,
}

impl Defaults {
    /// Defaults as given by a user or a query history row, folded like unquoted names
    /// unless written in double quotes.
    pub(crate) fn new(dialect: Dialect, database: Option<&str>, schema: Option<&str>) -> Self {
        let fold = |text: &str| match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(quoted) => dialect.fold(quoted, true).into_owned(),
            None => dialect.fold(text, false).into_owned(),
        };
        Defaults {
            database: database.filter(|d| !d.is_empty()).map(fold),
            schema: schema.filter(|s| !s.is_empty()).map(fold),
        }
    }
}

/// What one statement leaves for the next ones of the same text: the defaults `USE` set,
/// the variables `SET` gave a value, and the procedures `CREATE PROCEDURE` defined.
pub(crate) struct Session<'s, 'a> {
    pub defaults: Defaults,
    variables: HashMap<String, String>,
    procedures: HashMap<String, &'s Statement<'a>>,
}

impl Session<'_, '_> {
    pub(crate) fn new(defaults: Defaults) -> Self {
        Session {
            defaults,
            variables: HashMap::new(),
            procedures: HashMap::new(),
        }
    }
}

/// How deep `CALL` may go into procedures that call procedures (a recursive one stops).
const MAX_CALL_DEPTH: u32 = 8;

pub(crate) struct Resolver<'c, 's, 'a> {
    dialect: Dialect,
    session: Session<'s, 'a>,
    defaults: Defaults,
    catalog: Option<&'c Catalog>,
    lineage: Lineage,
    calls: u32,
}

impl<'c, 's, 'a> Resolver<'c, 's, 'a> {
    pub(crate) fn new(
        dialect: Dialect,
        session: Session<'s, 'a>,
        catalog: Option<&'c Catalog>,
    ) -> Self {
        Resolver {
            dialect,
            defaults: session.defaults.clone(),
            session,
            catalog,
            lineage: Lineage::default(),
            calls: 0,
        }
    }

    /// Resolves one statement; returns its lineage and the session for the next one.
    pub(crate) fn statement(mut self, statement: &'s Statement<'a>) -> (Lineage, Session<'s, 'a>) {
        self.dispatch(statement, None);
        self.session.defaults = self.defaults;
        (self.lineage, self.session)
    }

    fn dispatch(&mut self, statement: &'s Statement<'a>, parent: Option<&Scope<'_>>) {
        match statement {
            Statement::Query(query) => {
                let outputs = self.query(query, parent);
                self.output_lineage(None, &outputs, &[]);
            }
            Statement::Insert(insert) => self.insert(insert, parent),
            Statement::Create(create) => self.create(create, parent),
            Statement::Update(modify) | Statement::Delete(modify) | Statement::Merge(modify) => {
                self.modify(modify, parent);
            }
            Statement::Touch { targets, .. } => {
                for name in targets {
                    self.write(name);
                }
            }
            Statement::Rename { from, to, swap } => {
                self.read(from);
                self.write(to);
                if *swap {
                    self.read(to);
                    self.write(from);
                }
            }
            Statement::Copy { from, to, .. } => {
                self.endpoint(from, parent, true);
                self.endpoint(to, parent, false);
            }
            Statement::Use { database, schema } => self.use_defaults(database, schema),
            Statement::Variable { name, value, reads } => {
                let scope = Scope::child(parent);
                self.expr(reads, &scope, None);
                if let Some(value) = value {
                    let key = name.trim_start_matches('$').to_ascii_uppercase();
                    self.session.variables.insert(key, value.to_string());
                }
            }
            Statement::With(with, inner) => {
                let mut scope = Scope::child(parent);
                self.ctes(with, &mut scope);
                self.dispatch(inner, Some(&scope));
            }
            Statement::Block {
                statements,
                conditions,
                ..
            } => {
                let scope = Scope::child(parent);
                self.expr(conditions, &scope, None);
                for statement in statements {
                    self.dispatch(statement, parent);
                }
            }
            Statement::Procedure { name, .. } => {
                let key = self.procedure_key(name);
                self.session.procedures.insert(key, statement);
            }
            Statement::Call(name) => self.call(name, parent),
            Statement::NoLineage(_) => {}
        }
    }

    /// Procedures are found by their name as written (folded), whatever its qualification.
    fn procedure_key(&self, name: &Name<'_>) -> String {
        name.last()
            .map(|i| self.fold(i).to_ascii_uppercase())
            .unwrap_or_default()
    }

    /// `CALL p`: the statements of `p` when this text defined it, in the session as it is now.
    fn call(&mut self, name: &Name<'_>, parent: Option<&Scope<'_>>) {
        let key = self.procedure_key(name);
        let Some(&procedure) = self.session.procedures.get(&key) else {
            return;
        };
        if self.calls >= MAX_CALL_DEPTH {
            return;
        }
        self.calls += 1;
        if let Statement::Procedure { body, text, .. } = procedure {
            for statement in body {
                self.dispatch(statement, parent);
            }
            if let Some(text) = text {
                self.nested_text(text);
            }
        }
        self.calls -= 1;
    }

    /// SQL written inside a string (UNLOAD's query, a procedure body): read as a text of its
    /// own under the current defaults, its lineage added to this statement's.
    fn nested_text(&mut self, sql: &str) {
        let options = crate::Options {
            dialect: self.dialect,
            default_database: self.defaults.database.clone(),
            default_schema: self.defaults.schema.clone(),
        };
        let analysis = crate::analyze(sql, &options, self.catalog);
        let mut inner = analysis.merged();
        inner.columns.lineage.clear();
        self.lineage.absorb(&inner);
    }

    fn read(&mut self, name: &Name<'_>) {
        if !ast::is_unknown(name) {
            let table = self.qualify(name);
            self.lineage.reads.insert(table);
        }
    }

    fn write(&mut self, name: &Name<'_>) {
        if !ast::is_unknown(name) {
            let table = self.qualify(name);
            self.lineage.writes.insert(table);
        }
    }

    /// One end of a data move: read from when `from`, else written to.
    fn endpoint(&mut self, endpoint: &Endpoint<'_>, parent: Option<&Scope<'_>>, from: bool) {
        let record = |resolver: &mut Self, name: String| {
            if from {
                resolver.lineage.reads.insert(name);
            } else {
                resolver.lineage.writes.insert(name);
            }
        };
        match endpoint {
            Endpoint::Table(name) if !ast::is_unknown(name) => {
                let table = self.qualify(name);
                record(self, table);
            }
            Endpoint::Table(_) | Endpoint::None => {}
            Endpoint::Query(query) => {
                let outputs = self.query(query, parent);
                self.output_lineage(None, &outputs, &[]);
            }
            Endpoint::Text(sql) => self.nested_text(sql),
            Endpoint::Location(location) => {
                let name = self.location(location);
                record(self, name);
            }
            Endpoint::Locations(locations) => {
                for location in locations {
                    let name = self.location(location);
                    record(self, name);
                }
            }
        }
    }

    /// `stage:DB.SCHEMA.NAME`, `stage:~`, `stage:%DB.SCHEMA.TABLE`, `path:<as written>`.
    fn location(&self, location: &Location<'_>) -> String {
        match location {
            Location::Path(path) => format!("path:{path}"),
            Location::Stage(name) => match name.first().map(|i| i.text.as_ref()) {
                Some("~") => "stage:~".to_string(),
                Some("%") => format!("stage:%{}", self.qualify(&name[1..].to_vec())),
                _ => format!("stage:{}", self.qualify(name)),
            },
        }
    }

    fn use_defaults(&mut self, database: &Option<Ident<'_>>, schema: &Option<Ident<'_>>) {
        if let Some(database) = database {
            self.defaults.database = Some(self.fold(database).into_owned());
        }
        if let Some(schema) = schema {
            self.defaults.schema = Some(self.fold(schema).into_owned());
        }
    }

    // --- names ------------------------------------------------------------------------

    fn fold<'i>(&self, ident: &'i Ident<'_>) -> Cow<'i, str> {
        self.dialect.fold(&ident.text, ident.quoted)
    }

    /// CTE names, aliases and columns compare like this.
    fn same(&self, a: &str, b: &str) -> bool {
        same(self.dialect, a, b)
    }

    fn parts(&self, name: &Name<'_>) -> Vec<String> {
        name.iter().map(|i| self.fold(i).into_owned()).collect()
    }

    /// `db.schema.table`, qualified as far as the defaults allow. `IDENTIFIER($var)` names
    /// the table its variable holds when this text set it, and otherwise, like a bind
    /// (`:name`, `?`, `$1`), stays as written.
    fn qualify(&self, name: &Name<'_>) -> String {
        if let Some(placeholder) = ast::placeholder(name) {
            let variable = placeholder
                .strip_prefix('$')
                .and_then(|v| self.session.variables.get(&v.to_ascii_uppercase()));
            return match variable {
                Some(value) => {
                    let named = crate::parser::split_name_string(value);
                    qualify_parts(&self.parts(&named), &self.defaults)
                }
                // Databricks names its variables bare; the `$` only marked one.
                None if self.dialect == Dialect::Databricks => {
                    placeholder.trim_start_matches('$').to_string()
                }
                None => placeholder.to_string(),
            };
        }
        qualify_parts(&self.parts(name), &self.defaults)
    }

    // --- queries ----------------------------------------------------------------------

    fn query(&mut self, query: &Query<'_>, parent: Option<&Scope<'_>>) -> Vec<Output> {
        let mut scope = Scope::child(parent);
        self.ctes(&query.with, &mut scope);
        self.set_expr(&query.body, &scope, Some(&query.tail))
    }

    fn ctes(&mut self, with: &ast::With<'_>, scope: &mut Scope<'_>) {
        for cte in &with.ctes {
            let name = self.fold(&cte.name).into_owned();
            let recursive = with.recursive
                || (self.dialect == Dialect::Snowflake
                    && matches!(cte.query.body, SetExpr::SetOp(..)));
            let outer = std::mem::take(&mut self.lineage);
            let mut outputs = if recursive {
                // The recursive term sees the CTE itself, with the anchor's columns.
                scope
                    .ctes
                    .push((name.clone(), Vec::new(), Lineage::default()));
                let anchor = self.anchor_outputs(&cte.query, scope);
                if let Some(slot) = scope.ctes.last_mut() {
                    slot.1 = anchor;
                }
                let outputs = self.query(&cte.query, Some(scope));
                scope.ctes.pop();
                outputs
            } else {
                self.query(&cte.query, Some(scope))
            };
            let body = std::mem::replace(&mut self.lineage, outer);
            rename(&mut outputs, &cte.columns, |i| self.fold(i).into_owned());
            scope.ctes.push((name, outputs, body));
        }
    }

    /// The output names of a recursive CTE's anchor, resolved without recording anything.
    fn anchor_outputs(&mut self, query: &Query<'_>, scope: &Scope<'_>) -> Vec<Output> {
        let mut anchor = &query.body;
        while let SetExpr::SetOp(left, _) = anchor {
            anchor = left;
        }
        let saved = std::mem::take(&mut self.lineage);
        let outputs = self.set_expr(anchor, scope, None);
        self.lineage = saved;
        outputs
    }

    fn set_expr(
        &mut self,
        body: &SetExpr<'_>,
        scope: &Scope<'_>,
        tail: Option<&Expr<'_>>,
    ) -> Vec<Output> {
        match body {
            SetExpr::Select(select) => self.select(select, scope, tail),
            SetExpr::Nested(query) => {
                let outputs = self.query(query, Some(scope));
                self.tail_over_outputs(tail, scope, &outputs);
                outputs
            }
            SetExpr::SetOp(left, right) => {
                let mut outputs = self.set_expr(left, scope, None);
                let right = self.set_expr(right, scope, None);
                for (out, more) in outputs.iter_mut().zip(right) {
                    out.sources.extend(more.sources);
                }
                self.tail_over_outputs(tail, scope, &outputs);
                outputs
            }
            SetExpr::Values(values) => {
                self.expr(values, scope, None);
                Vec::new()
            }
        }
    }

    /// ORDER BY after a set operation names output columns; subqueries in it still read.
    fn tail_over_outputs(
        &mut self,
        tail: Option<&Expr<'_>>,
        scope: &Scope<'_>,
        outputs: &[Output],
    ) {
        if let Some(tail) = tail {
            let empty = Scope::child(Some(scope));
            self.expr(tail, &empty, Some(outputs));
        }
    }

    fn select(
        &mut self,
        select: &Select<'_>,
        parent: &Scope<'_>,
        tail: Option<&Expr<'_>>,
    ) -> Vec<Output> {
        let mut scope = Scope::child(Some(parent));
        for item in &select.from {
            let source = self.source_of(item, &scope);
            scope.sources.push(source);
        }
        for item in &select.from {
            self.expr(&item.condition, &scope, None);
        }
        let mut outputs = Vec::with_capacity(select.items.len());
        for item in &select.items {
            self.select_item(item, &scope, &mut outputs);
        }
        self.expr(&select.filters, &scope, None);
        self.expr(&select.alias_filters, &scope, Some(&outputs));
        if let Some(tail) = tail {
            self.expr(tail, &scope, Some(&outputs));
        }
        if let Some(into) = select.into.as_ref().filter(|n| !ast::is_unknown(n)) {
            let table = self.qualify(into);
            self.output_lineage(Some(&table), &outputs, &[]);
            self.lineage.writes.insert(table);
        }
        outputs
    }

    fn select_item(&mut self, item: &SelectItem<'_>, scope: &Scope<'_>, outputs: &mut Vec<Output>) {
        match item {
            SelectItem::Wildcard { qualifier, except } => {
                let except: Vec<String> =
                    except.iter().map(|i| self.fold(i).into_owned()).collect();
                let qualifier = qualifier.as_ref().map(|q| self.parts(q));
                for (i, source) in scope.sources.iter().enumerate() {
                    let selected = qualifier
                        .as_ref()
                        .is_none_or(|q| self.source_matches(source, q));
                    if selected {
                        self.expand_star(scope, i, &except, outputs);
                    }
                }
            }
            SelectItem::Expr { expr, name } => {
                let lateral = self.dialect.lateral_aliases().then_some(outputs.as_slice());
                let sources = self.expr(expr, scope, lateral);
                let name = match name {
                    Some(name) => self.fold(name).into_owned(),
                    None => format!("_col{}", outputs.len() + 1),
                };
                outputs.push(Output {
                    name,
                    sources,
                    star: None,
                });
            }
        }
    }

    fn expand_star(
        &mut self,
        scope: &Scope<'_>,
        index: usize,
        except: &[String],
        outputs: &mut Vec<Output>,
    ) {
        let dialect = self.dialect;
        let kept = |name: &str| !except.iter().any(|e| same(dialect, e, name));
        match &scope.sources[index].kind {
            SourceKind::Base {
                table,
                columns,
                record,
                ..
            } => match columns {
                Some(columns) => {
                    for column in columns.iter().filter(|c| kept(c)) {
                        if *record {
                            self.read_column(table, column);
                        }
                        outputs.push(Output {
                            name: column.clone(),
                            sources: vec![(table.clone(), column.clone())],
                            star: None,
                        });
                    }
                }
                None => {
                    if *record {
                        self.read_column(table, "*");
                    }
                    outputs.push(Output {
                        name: "*".to_string(),
                        sources: vec![(table.clone(), "*".to_string())],
                        star: Some(table.clone()),
                    });
                }
            },
            SourceKind::Derived(derived) => {
                outputs.extend(derived.iter().filter(|o| kept(&o.name)).cloned());
            }
            SourceKind::Opaque(columns, inputs) => {
                outputs.extend(columns.iter().filter(|c| kept(c)).map(|c| Output {
                    name: c.clone(),
                    sources: inputs.clone(),
                    star: None,
                }));
            }
        }
    }

    fn read_column(&mut self, table: &str, column: &str) {
        let columns = match self.lineage.columns.read.get_mut(table) {
            Some(columns) => columns,
            None => self
                .lineage
                .columns
                .read
                .entry(table.to_string())
                .or_default(),
        };
        if !columns.contains(column) {
            columns.insert(column.to_string());
        }
    }

    // --- FROM -------------------------------------------------------------------------

    fn source_of(&mut self, item: &FromItem<'_>, scope: &Scope<'_>) -> Source {
        let mut source = self.relation(&item.relation, scope, true);
        if let Some(alias) = &item.alias {
            self.apply_alias(&mut source, alias);
        }
        source
    }

    fn apply_alias(&self, source: &mut Source, alias: &Alias<'_>) {
        source.name = self.fold(&alias.name).into_owned();
        match &mut source.kind {
            SourceKind::Derived(outputs) => {
                rename(outputs, &alias.columns, |i| self.fold(i).into_owned());
            }
            SourceKind::Opaque(columns, _) => {
                columns.extend(alias.columns.iter().map(|i| self.fold(i).into_owned()));
                if self.dialect == Dialect::BigQuery {
                    // `UNNEST(arr) AS item` names the element itself.
                    columns.push(source.name.clone());
                }
            }
            SourceKind::Base { .. } => {}
        }
    }

    fn relation(&mut self, relation: &Relation<'_>, scope: &Scope<'_>, record: bool) -> Source {
        match relation {
            Relation::Table(name) => self.table(name, scope, record),
            Relation::Derived(query) => Source {
                name: String::new(),
                kind: SourceKind::Derived(self.query(query, Some(scope))),
            },
            Relation::Function(args) => {
                let inputs = self.expr(args, scope, None);
                Source {
                    name: String::new(),
                    kind: SourceKind::Opaque(self.function_columns(), inputs),
                }
            }
            Relation::Location(locations) => {
                if record {
                    for location in locations {
                        let name = self.location(location);
                        self.lineage.reads.insert(name);
                    }
                }
                Source {
                    name: String::new(),
                    kind: SourceKind::Opaque(Vec::new(), Vec::new()),
                }
            }
        }
    }

    /// Columns every row of Snowflake's FLATTEN has.
    fn function_columns(&self) -> Vec<String> {
        if self.dialect == Dialect::Snowflake {
            ["SEQ", "KEY", "PATH", "INDEX", "VALUE", "THIS"]
                .map(String::from)
                .to_vec()
        } else {
            Vec::new()
        }
    }

    fn table(&mut self, name: &Name<'_>, scope: &Scope<'_>, record: bool) -> Source {
        if ast::is_unknown(name) {
            return Source {
                name: String::new(),
                kind: SourceKind::Opaque(Vec::new(), Vec::new()),
            };
        }
        let parts = self.parts(name);
        if let [single] = parts.as_slice() {
            if let Some(outputs) = self.cte(scope, single) {
                return Source {
                    name: single.clone(),
                    kind: SourceKind::Derived(outputs),
                };
            }
        }
        if self.dialect.comma_unnest() && parts.len() >= 2 {
            if let Some(first) = scope
                .sources
                .iter()
                .position(|s| self.same(&s.name, &parts[0]))
            {
                // BigQuery's `FROM t, t.items AS item`: an array column of `t`, not a table.
                self.column_in(scope, first, &parts[1]);
                return Source {
                    name: parts.last().cloned().unwrap_or_default(),
                    kind: SourceKind::Opaque(Vec::new(), Vec::new()),
                };
            }
        }
        let table = self.qualify(name);
        if record {
            self.lineage.reads.insert(table.clone());
        }
        let columns = self
            .catalog
            .and_then(|c| c.columns(&table))
            .map(<[String]>::to_vec);
        Source {
            name: parts.last().cloned().unwrap_or_default(),
            kind: SourceKind::Base {
                table,
                parts,
                columns,
                record,
            },
        }
    }

    /// The outputs of CTE `name`, whose body's reads now count.
    fn cte(&mut self, scope: &Scope<'_>, name: &str) -> Option<Vec<Output>> {
        let mut current = Some(scope);
        while let Some(s) = current {
            if let Some((_, outputs, body)) =
                s.ctes.iter().rev().find(|(n, _, _)| self.same(n, name))
            {
                self.lineage.absorb(body);
                return Some(outputs.clone());
            }
            current = s.parent;
        }
        None
    }

    // --- columns ----------------------------------------------------------------------

    /// Resolves every column an expression mentions (and its subqueries) to base columns.
    fn expr(
        &mut self,
        expr: &Expr<'_>,
        scope: &Scope<'_>,
        aliases: Option<&[Output]>,
    ) -> Vec<ColumnId> {
        let mut sources = Vec::new();
        for name in &expr.columns {
            let parts = self.parts(name);
            sources.extend(self.column(&parts, scope, aliases));
        }
        for query in &expr.subqueries {
            for output in self.query(query, Some(scope)) {
                sources.extend(output.sources);
            }
        }
        sources
    }

    fn column(
        &mut self,
        parts: &[String],
        scope: &Scope<'_>,
        aliases: Option<&[Output]>,
    ) -> Vec<ColumnId> {
        if let [single] = parts {
            if let Some(found) = aliases.and_then(|a| a.iter().find(|o| self.same(&o.name, single)))
            {
                if !scope
                    .sources
                    .iter()
                    .any(|s| self.has(s, single) == Has::Yes)
                {
                    return found.sources.clone();
                }
            }
        }
        let mut current = Some(scope);
        while let Some(s) = current {
            if let Some(found) = self.column_in_scope(parts, s) {
                return found;
            }
            current = s.parent;
        }
        // `struct_column.field` with no matching qualifier: the struct column itself.
        if parts.len() >= 2 {
            return self.column(&parts[..1], scope, None);
        }
        Vec::new()
    }

    /// `Some` once this scope decides what the reference means (even "ambiguous").
    fn column_in_scope(&mut self, parts: &[String], scope: &Scope<'_>) -> Option<Vec<ColumnId>> {
        if let [column] = parts {
            return self.unqualified(column, scope);
        }
        for split in (1..parts.len()).rev() {
            let (qualifier, rest) = parts.split_at(split);
            if let Some(index) = scope
                .sources
                .iter()
                .position(|s| self.source_matches(s, qualifier))
            {
                return Some(self.column_in(scope, index, &rest[0]));
            }
        }
        None
    }

    fn unqualified(&mut self, column: &str, scope: &Scope<'_>) -> Option<Vec<ColumnId>> {
        let mut yes = scope
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| self.has(s, column) == Has::Yes);
        if let Some((index, _)) = yes.next() {
            return Some(if yes.next().is_none() {
                self.column_in(scope, index, column)
            } else {
                Vec::new()
            });
        }
        let mut unknown = scope
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| self.has(s, column) == Has::Unknown);
        match (unknown.next(), unknown.next()) {
            (Some((index, _)), None) => Some(self.column_in(scope, index, column)),
            (Some(_), Some(_)) => Some(Vec::new()),
            (None, _) => None,
        }
    }

    fn has(&self, source: &Source, column: &str) -> Has {
        match &source.kind {
            SourceKind::Base { columns: None, .. } => Has::Unknown,
            SourceKind::Base {
                columns: Some(columns),
                ..
            } => yes_if(columns.iter().any(|c| self.same(c, column))),
            SourceKind::Derived(outputs) => {
                if outputs.iter().any(|o| self.same(&o.name, column)) {
                    Has::Yes
                } else if outputs.iter().any(|o| o.star.is_some()) {
                    Has::Unknown
                } else {
                    Has::No
                }
            }
            SourceKind::Opaque(columns, _) => yes_if(columns.iter().any(|c| self.same(c, column))),
        }
    }

    fn source_matches(&self, source: &Source, qualifier: &[String]) -> bool {
        match qualifier {
            [alias] => self.same(&source.name, alias),
            _ => match &source.kind {
                SourceKind::Base { parts, .. } => {
                    parts.len() >= qualifier.len()
                        && parts[parts.len() - qualifier.len()..]
                            .iter()
                            .zip(qualifier)
                            .all(|(a, b)| self.same(a, b))
                }
                _ => false,
            },
        }
    }

    /// The base columns behind `column` of the source at `index`.
    fn column_in(&mut self, scope: &Scope<'_>, index: usize, column: &str) -> Vec<ColumnId> {
        match &scope.sources[index].kind {
            SourceKind::Base { table, record, .. } => {
                if *record {
                    self.read_column(table, column);
                }
                vec![(table.clone(), column.to_string())]
            }
            SourceKind::Derived(outputs) => {
                if let Some(output) = outputs.iter().find(|o| self.same(&o.name, column)) {
                    return output.sources.clone();
                }
                let mut stars = outputs.iter().filter_map(|o| o.star.as_ref());
                match (stars.next(), stars.next()) {
                    (Some(table), None) => {
                        let table = table.clone();
                        self.read_column(&table, column);
                        vec![(table, column.to_string())]
                    }
                    _ => Vec::new(),
                }
            }
            SourceKind::Opaque(_, inputs) => inputs.clone(),
        }
    }

    // --- writes -----------------------------------------------------------------------

    fn insert(&mut self, insert: &Insert<'_>, parent: Option<&Scope<'_>>) {
        let scope = Scope::child(parent);
        let outputs = match &insert.source {
            Some(query) => self.query(query, Some(&scope)),
            None => Vec::new(),
        };
        self.expr(&insert.exprs, &scope, None);
        for (target, columns) in insert.targets.iter().filter(|(n, _)| !ast::is_unknown(n)) {
            let table = self.qualify(target);
            let names: Vec<String> = columns.iter().map(|i| self.fold(i).into_owned()).collect();
            self.output_lineage(Some(&table), &outputs, &names);
            self.lineage.writes.insert(table);
        }
    }

    fn create(&mut self, create: &Create<'_>, parent: Option<&Scope<'_>>) {
        if ast::is_unknown(&create.target) {
            return;
        }
        let table = self.qualify(&create.target);
        self.lineage.writes.insert(table.clone());
        let scope = Scope::child(parent);
        if let Some(copy_of) = create.copy_of.as_ref().filter(|n| !ast::is_unknown(n)) {
            let source = self.qualify(copy_of);
            self.lineage.reads.insert(source);
        }
        if let Some(query) = &create.query {
            let outputs = self.query(query, Some(&scope));
            let names: Vec<String> = create
                .columns
                .iter()
                .map(|i| self.fold(i).into_owned())
                .collect();
            self.output_lineage(Some(&table), &outputs, &names);
        }
    }

    /// UPDATE, DELETE and MERGE: the target is written; its columns are visible but are not
    /// reads, and FROM / USING relations are read.
    fn modify(&mut self, modify: &Modify<'_>, parent: Option<&Scope<'_>>) {
        let mut scope = Scope::child(parent);
        let table = (!ast::is_unknown(&modify.target)).then(|| self.qualify(&modify.target));
        if let Some(table) = &table {
            self.lineage.writes.insert(table.clone());
        }
        let mut target = self.table(&modify.target, &scope, false);
        if let Some(alias) = &modify.alias {
            self.apply_alias(&mut target, alias);
        }
        scope.sources.push(target);
        for item in &modify.from {
            let source = self.source_of(item, &scope);
            scope.sources.push(source);
        }
        for item in &modify.from {
            self.expr(&item.condition, &scope, None);
        }
        self.expr(&modify.exprs, &scope, None);
        let assigned = self.assignments(&modify.sets, &scope);
        if let Some(table) = table {
            self.output_lineage(Some(&table), &assigned, &[]);
        }
    }

    /// Each column SET (or inserted by MERGE) and its sources, a column set in several
    /// branches of a MERGE once with all of them.
    fn assignments(&mut self, sets: &[Assignment<'_>], scope: &Scope<'_>) -> Vec<Output> {
        let mut outputs: Vec<Output> = Vec::new();
        for set in sets {
            let values = match (set.columns.len(), set.value.subqueries.as_slice()) {
                (2.., [query]) if set.value.columns.is_empty() => self
                    .query(query, Some(scope))
                    .into_iter()
                    .map(|o| o.sources)
                    .collect(),
                _ => vec![self.expr(&set.value, scope, None)],
            };
            for (column, sources) in set.columns.iter().zip(values) {
                let name = self.fold(column).into_owned();
                match outputs.iter_mut().find(|o| self.same(&o.name, &name)) {
                    Some(output) => output.sources.extend(sources),
                    None => outputs.push(Output {
                        name,
                        sources,
                        star: None,
                    }),
                }
            }
        }
        outputs
    }

    /// Records which base columns each output column comes from, under `names` when given.
    fn output_lineage(&mut self, table: Option<&str>, outputs: &[Output], names: &[String]) {
        for (i, output) in outputs.iter().enumerate() {
            let target = names.get(i).unwrap_or(&output.name).clone();
            let mut sources: Vec<String> = output
                .sources
                .iter()
                .map(|(table, column)| format!("{table}.{column}"))
                .collect();
            sources.sort_unstable();
            sources.dedup();
            self.lineage.columns.lineage.push(ColumnLineage {
                table: table.map(str::to_string),
                target,
                sources,
            });
        }
    }
}

/// Joins name parts, filling in the default database and schema for 1- and 2-part names.
pub(crate) fn qualify_parts(parts: &[String], defaults: &Defaults) -> String {
    let mut full: Vec<&str> = Vec::with_capacity(3);
    match parts.len() {
        1 => {
            if let Some(schema) = &defaults.schema {
                full.extend(defaults.database.as_deref());
                full.push(schema);
            }
        }
        2 => full.extend(defaults.database.as_deref()),
        _ => {}
    }
    full.extend(parts.iter().map(String::as_str));
    full.join(".")
}

fn same(dialect: Dialect, a: &str, b: &str) -> bool {
    if dialect.names_ignore_case() {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn yes_if(found: bool) -> Has {
    if found {
        Has::Yes
    } else {
        Has::No
    }
}

/// Renames outputs positionally, as `name (a, b) AS …` and `AS alias (a, b)` do.
fn rename(outputs: &mut [Output], names: &[Ident<'_>], fold: impl Fn(&Ident<'_>) -> String) {
    for (output, name) in outputs.iter_mut().zip(names) {
        output.name = fold(name);
        output.star = None;
    }
}
