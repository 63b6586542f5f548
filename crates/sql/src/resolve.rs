//! Name resolution: turns parsed statements into qualified tables and base-table columns.
//!
//! Each query gets a scope holding its CTEs and FROM sources; a column reference is looked
//! up from the innermost scope outwards (so correlated subqueries work), and derived tables
//! and CTEs pass on the base columns behind each of their outputs, which is what makes
//! column lineage reach through any number of CTE layers.

use crate::ast::{
    self, Alias, Create, Expr, FromItem, Ident, Insert, Modify, Name, Query, Relation, Select,
    SelectItem, SetExpr, Statement,
};
use crate::catalog::Catalog;
use crate::dialect::Dialect;
use crate::{ColumnLineage, Lineage};
use std::borrow::Cow;

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
    /// UNNEST, FLATTEN, table functions, stages: columns named only by the alias.
    Opaque(Vec<String>),
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
    ctes: Vec<(String, Vec<Output>)>,
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

pub(crate) struct Resolver<'c> {
    dialect: Dialect,
    defaults: Defaults,
    catalog: Option<&'c Catalog>,
    lineage: Lineage,
}

impl<'c> Resolver<'c> {
    pub(crate) fn new(dialect: Dialect, defaults: Defaults, catalog: Option<&'c Catalog>) -> Self {
        Resolver {
            dialect,
            defaults,
            catalog,
            lineage: Lineage::default(),
        }
    }

    /// Resolves one statement; returns its lineage and the defaults for the next one.
    pub(crate) fn statement(mut self, statement: &Statement<'_>) -> (Lineage, Defaults) {
        self.dispatch(statement, None);
        (self.lineage, self.defaults)
    }

    fn dispatch(&mut self, statement: &Statement<'_>, parent: Option<&Scope<'_>>) {
        match statement {
            Statement::Query(query) => {
                let outputs = self.query(query, parent);
                self.output_lineage(&outputs, &[]);
            }
            Statement::Insert(insert) => self.insert(insert, parent),
            Statement::Create(create) => self.create(create, parent),
            Statement::Update(modify) | Statement::Delete(modify) | Statement::Merge(modify) => {
                self.modify(modify, parent);
            }
            Statement::Truncate(names) => {
                for name in names.iter().filter(|n| !ast::is_unknown(n)) {
                    let table = self.qualify(name);
                    self.lineage.writes.insert(table);
                }
            }
            Statement::Unload(relation) => {
                let scope = Scope::child(parent);
                self.relation(relation, &scope, true);
            }
            Statement::Use { database, schema } => self.use_defaults(database, schema),
            Statement::With(with, inner) => {
                let mut scope = Scope::child(parent);
                self.ctes(with, &mut scope);
                self.dispatch(inner, Some(&scope));
            }
            Statement::Other => {}
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

    /// `db.schema.table`, qualified as far as the defaults allow.
    fn qualify(&self, name: &Name<'_>) -> String {
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
            let mut outputs = if recursive {
                // The recursive term sees the CTE itself, with the anchor's columns.
                scope.ctes.push((name.clone(), Vec::new()));
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
            rename(&mut outputs, &cte.columns, |i| self.fold(i).into_owned());
            scope.ctes.push((name, outputs));
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
                let sources = self.expr(expr, scope, None);
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
            SourceKind::Opaque(columns) => {
                outputs.extend(columns.iter().filter(|c| kept(c)).map(|c| Output {
                    name: c.clone(),
                    sources: Vec::new(),
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
            SourceKind::Opaque(columns) => {
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
                self.expr(args, scope, None);
                Source {
                    name: String::new(),
                    kind: SourceKind::Opaque(self.function_columns()),
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
                kind: SourceKind::Opaque(Vec::new()),
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
                    kind: SourceKind::Opaque(Vec::new()),
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

    fn cte(&self, scope: &Scope<'_>, name: &str) -> Option<Vec<Output>> {
        let mut current = Some(scope);
        while let Some(s) = current {
            if let Some((_, outputs)) = s.ctes.iter().rev().find(|(n, _)| self.same(n, name)) {
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
            SourceKind::Opaque(columns) => yes_if(columns.iter().any(|c| self.same(c, column))),
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
            SourceKind::Opaque(_) => Vec::new(),
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
            self.lineage.writes.insert(table);
            let names: Vec<String> = columns.iter().map(|i| self.fold(i).into_owned()).collect();
            self.output_lineage(&outputs, &names);
        }
    }

    fn create(&mut self, create: &Create<'_>, parent: Option<&Scope<'_>>) {
        if ast::is_unknown(&create.target) {
            return;
        }
        let table = self.qualify(&create.target);
        self.lineage.writes.insert(table);
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
            self.output_lineage(&outputs, &names);
        }
    }

    /// UPDATE, DELETE and MERGE: the target is written; its columns are visible but are not
    /// reads, and FROM / USING relations are read.
    fn modify(&mut self, modify: &Modify<'_>, parent: Option<&Scope<'_>>) {
        let mut scope = Scope::child(parent);
        if !ast::is_unknown(&modify.target) {
            let table = self.qualify(&modify.target);
            self.lineage.writes.insert(table);
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
    }

    /// Records which base columns each output column comes from, under `names` when given.
    fn output_lineage(&mut self, outputs: &[Output], names: &[String]) {
        for (i, output) in outputs.iter().enumerate() {
            let target = names.get(i).unwrap_or(&output.name).clone();
            let mut sources: Vec<String> = output
                .sources
                .iter()
                .map(|(table, column)| format!("{table}.{column}"))
                .collect();
            sources.sort_unstable();
            sources.dedup();
            self.lineage
                .columns
                .lineage
                .push(ColumnLineage { target, sources });
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
