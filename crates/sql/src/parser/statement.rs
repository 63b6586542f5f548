//! Statements: which one this is, and the parts of it that read or write tables. DML lives
//! here; DDL in `ddl`, data moves in `transfer`, scripting in `script`.
//!
//! Every statement is either understood, a kind known to have no lineage, or an error: a
//! statement this parser does not know is never taken for one that reads nothing.

use super::{PResult, Parser};
use crate::ast::{Assignment, Expr, Ident, Insert, Modify, Name, Statement};
use crate::keywords::Kw;
use crate::lexer::Kind;
use crate::SqlError;

/// A short name for what a statement does, for people and JSON.
pub(crate) fn statement_kind(statement: &Statement<'_>) -> &'static str {
    match statement {
        Statement::Query(_) => "select",
        Statement::Insert(_) => "insert",
        Statement::Create(create) if create.view => "create_view",
        Statement::Create(create) if create.query.is_some() => "create_table_as",
        Statement::Create(_) => "create_table",
        Statement::Update(_) => "update",
        Statement::Delete(_) => "delete",
        Statement::Merge(_) => "merge",
        Statement::Touch { kind, .. } | Statement::Copy { kind, .. } => kind,
        Statement::Rename { swap: true, .. } => "swap",
        Statement::Rename { .. } => "rename",
        Statement::Use { .. } => "use",
        Statement::Variable { .. } => "set",
        Statement::With(_, inner) => statement_kind(inner),
        Statement::Block { kind, .. } => kind,
        Statement::Procedure { .. } => "create_procedure",
        Statement::Call(_) => "call",
        Statement::NoLineage(kind) => kind,
    }
}

/// Whether the statement is a kind that has no lineage at all. A variable or DECLARE whose
/// value reads no table has none, and so has a CALL of a procedure not defined in the same
/// text (`resolved_nothing`): what its body does is not visible here.
pub(crate) fn without_lineage(statement: &Statement<'_>, resolved_nothing: bool) -> bool {
    let reads_nothing = |e: &Expr<'_>| e.columns.is_empty() && e.subqueries.is_empty();
    match statement {
        Statement::NoLineage(_) | Statement::Use { .. } => true,
        Statement::Variable { reads, .. } => reads_nothing(reads),
        Statement::Block {
            statements,
            conditions,
            ..
        } => {
            reads_nothing(conditions)
                && statements
                    .iter()
                    .all(|s| without_lineage(s, resolved_nothing))
        }
        Statement::Call(_) => resolved_nothing,
        _ => false,
    }
}

/// First words of statements that read and write no table, and the kind each reports.
const NO_LINEAGE: &[(&str, &str)] = &[
    ("ABORT", "transaction"),
    ("ANALYSE", "analyze"),
    ("ANALYZE", "analyze"),
    ("BREAK", "control"),
    ("CACHE", "cache"),
    ("CHECKPOINT", "maintenance"),
    ("CLEAR", "cache"),
    ("CLOSE", "cursor"),
    ("CLUSTER", "maintenance"),
    ("COMMENT", "comment"),
    ("COMMIT", "transaction"),
    ("CONTINUE", "control"),
    ("DEALLOCATE", "prepare"),
    ("DESC", "describe"),
    ("DESCRIBE", "describe"),
    ("DISCARD", "session"),
    ("EXPLAIN", "explain"),
    ("FETCH", "cursor"),
    ("GRANT", "grant"),
    ("INSTALL", "extension"),
    ("ITERATE", "control"),
    ("KILL", "session"),
    ("LEAVE", "control"),
    ("LIST", "list"),
    ("LISTEN", "notify"),
    ("LOAD", "extension"),
    ("LOCK", "lock"),
    ("LS", "list"),
    ("MOVE", "cursor"),
    ("MSCK", "maintenance"),
    ("NOTIFY", "notify"),
    ("OPEN", "cursor"),
    ("OPTIMIZE", "maintenance"),
    ("PREPARE", "prepare"),
    ("RAISE", "control"),
    ("REFRESH", "maintenance"),
    ("REINDEX", "maintenance"),
    ("RELEASE", "transaction"),
    ("REMOVE", "list"),
    ("RESET", "session"),
    ("RETURN", "control"),
    ("REVOKE", "grant"),
    ("RM", "list"),
    ("ROLLBACK", "transaction"),
    ("SAVEPOINT", "transaction"),
    ("SHOW", "show"),
    ("UNCACHE", "cache"),
    ("UNLISTEN", "notify"),
    ("UNLOCK", "lock"),
    ("VACUUM", "maintenance"),
];

impl<'a> Parser<'a> {
    pub(super) fn statement(&mut self) -> PResult<Statement<'a>> {
        if self.at(Kind::LParen) {
            return self.query().map(Statement::Query);
        }
        match self.peek().kw {
            Kw::SELECT | Kw::VALUES | Kw::FROM => self.query().map(Statement::Query),
            Kw::PIVOT | Kw::UNPIVOT if self.dialect == crate::dialect::Dialect::DuckDb => {
                self.query().map(Statement::Query)
            }
            Kw::TABLE if self.at_ident_at(1) => self.query().map(Statement::Query),
            Kw::WITH => self.with_statement(),
            Kw::INSERT if self.insert_directory_follows() => self.insert_directory(),
            Kw::INSERT => self.insert().map(Statement::Insert),
            Kw::CREATE => self.create(),
            Kw::ALTER => self.alter(),
            Kw::DROP => self.drop(),
            Kw::UPDATE => self.update().map(Statement::Update),
            Kw::DELETE => self.delete().map(Statement::Delete),
            Kw::MERGE => self.merge().map(Statement::Merge),
            Kw::TRUNCATE => self.truncate(),
            Kw::COPY => self.copy(),
            Kw::USE => self.use_statement(),
            Kw::SET => self.set_statement(),
            Kw::DECLARE => self.declare(),
            Kw::BEGIN => self.begin(),
            Kw::IF => self.if_block(),
            Kw::CALL => self.call(),
            Kw::EXECUTE if self.at_word_at(1, "IMMEDIATE") => Err(self.dynamic_sql()),
            Kw::FOR if self.dialect_has_scripting() => self.for_block(),
            Kw::START if !self.at_word_at(1, "TRANSACTION") => Err(self.unknown_statement()),
            Kw::END
                if matches!(
                    self.dialect,
                    crate::dialect::Dialect::Postgres | crate::dialect::Dialect::Redshift
                ) =>
            {
                self.no_lineage("transaction")
            }
            _ => self.statement_by_word(),
        }
    }

    /// Statements whose first word is not one of the parser's keywords.
    fn statement_by_word(&mut self) -> PResult<Statement<'a>> {
        let word = self.text(self.peek()).to_ascii_uppercase();
        match word.as_str() {
            "UNLOAD" => self.unload(),
            "EXPORT" if self.at_word_at(1, "DATA") => self.export_data(),
            "LOAD" if self.at_word_at(1, "DATA") => self.load_data(),
            "PUT" => self.put(),
            "ASSERT" if self.dialect == crate::dialect::Dialect::BigQuery => self.assert(),
            "GET" if self.peek_at(1).kind == Kind::Param || self.at_op_at(1, "@") => self.get(),
            "UNDROP" => self.touch_tables("undrop"),
            "WHILE" | "LOOP" | "REPEAT" if self.dialect_has_scripting() => self.loop_block(),
            "START" => self.no_lineage("transaction"),
            _ => match NO_LINEAGE.binary_search_by(|(w, _)| w.cmp(&word.as_str())) {
                Ok(i) => self.no_lineage(NO_LINEAGE[i].1),
                Err(_) => Err(self.unknown_statement()),
            },
        }
    }

    /// Skips the rest of a statement that has no lineage.
    pub(super) fn no_lineage(&mut self, kind: &'static str) -> PResult<Statement<'a>> {
        self.skip_statement();
        Ok(Statement::NoLineage(kind))
    }

    /// A statement whose first word no dialect here gives meaning to (`selec x from y`).
    pub(super) fn unknown_statement(&self) -> SqlError {
        let token = self.peek();
        let word: String = self.text(token).chars().take(40).collect();
        SqlError::at(
            token.start as usize,
            format!("{word:?} does not start a statement downstream understands"),
        )
    }

    /// `EXECUTE IMMEDIATE`: SQL built at run time cannot be read here.
    fn dynamic_sql(&self) -> SqlError {
        SqlError::at(
            self.peek().start as usize,
            "EXECUTE IMMEDIATE runs SQL built at run time, which cannot be read before it runs",
        )
    }

    pub(super) fn at_ident_at(&self, ahead: usize) -> bool {
        matches!(self.peek_at(ahead).kind, Kind::Word | Kind::Quoted)
    }

    pub(super) fn at_op_at(&self, ahead: usize, op: &str) -> bool {
        let token = self.peek_at(ahead);
        token.kind == Kind::Op && self.text(token) == op
    }

    /// `WITH …` before a query or a data-modifying statement (PostgreSQL, Snowflake).
    fn with_statement(&mut self) -> PResult<Statement<'a>> {
        let start = self.pos;
        let with = self.with()?;
        let inner = match self.peek().kw {
            Kw::INSERT => Statement::Insert(self.insert()?),
            Kw::UPDATE => Statement::Update(self.update()?),
            Kw::DELETE => Statement::Delete(self.delete()?),
            Kw::MERGE => Statement::Merge(self.merge()?),
            _ => {
                self.pos = start;
                return self.query().map(Statement::Query);
            }
        };
        Ok(Statement::With(with, Box::new(inner)))
    }

    fn insert(&mut self) -> PResult<Insert<'a>> {
        self.pos += 1;
        let _ = self.eat_kw(Kw::OVERWRITE) || self.eat_kw(Kw::INTO);
        let mut exprs = Expr::default();
        if matches!(self.peek().kw, Kw::ALL | Kw::FIRST) {
            return self.insert_multi(exprs);
        }
        let target = self.insert_target(&mut exprs)?;
        let source = self.insert_source(&mut exprs)?;
        self.insert_tail(&mut exprs)?;
        Ok(Insert {
            targets: vec![target],
            source,
            exprs,
        })
    }

    /// `[INTO] [TABLE] name [AS alias] [PARTITION (…)] [(columns)]`.
    fn insert_target(&mut self, exprs: &mut Expr<'a>) -> PResult<(Name<'a>, Vec<Ident<'a>>)> {
        self.eat_kw(Kw::INTO);
        self.eat_kw(Kw::TABLE);
        let name = self.object_name()?;
        if self.eat_kw(Kw::AS) {
            self.ident()?;
        }
        if self.eat_kw(Kw::PARTITION) {
            self.expect(Kind::LParen, "`(` after PARTITION")?;
            while !self.eat(Kind::RParen) {
                self.expr(exprs)?;
                self.eat(Kind::Comma);
                self.eat(Kind::Eq);
                if self.at(Kind::Eof) {
                    return Err(self.unexpected("`)`"));
                }
            }
        }
        let columns = if self.at(Kind::LParen) && !self.query_follows_paren() {
            self.ident_list()?
        } else {
            Vec::new()
        };
        Ok((name, columns))
    }

    /// The rows: a query, VALUES, DEFAULT VALUES, or Databricks' `REPLACE WHERE … query`.
    fn insert_source(&mut self, exprs: &mut Expr<'a>) -> PResult<Option<crate::ast::Query<'a>>> {
        if self.at_kw(Kw::BY) && self.at_word_at(1, "NAME") {
            self.pos += 2;
        }
        if self.at_kw(Kw::REPLACE) && self.kw_at(1) == Kw::WHERE {
            self.pos += 2;
            self.expr(exprs)?;
        }
        if self.at_kw(Kw::DEFAULT) && self.kw_at(1) == Kw::VALUES {
            self.pos += 2;
            return Ok(None);
        }
        self.query().map(Some)
    }

    /// `ON CONFLICT … DO UPDATE SET …`, `RETURNING …`.
    fn insert_tail(&mut self, exprs: &mut Expr<'a>) -> PResult<()> {
        if self.at_kw(Kw::ON) && self.kw_at(1) == Kw::CONFLICT {
            self.pos += 2;
            if self.at(Kind::LParen) {
                self.skip_group()?;
            } else if self.eat_kw(Kw::ON) {
                self.ident()?;
            }
            self.expect_kw(Kw::DO, "DO after ON CONFLICT")?;
            if !self.eat_kw(Kw::NOTHING) {
                self.expect_kw(Kw::UPDATE, "UPDATE or NOTHING")?;
                self.expect_kw(Kw::SET, "SET")?;
                // The new values come from the row being inserted (EXCLUDED): they read.
                let mut sets = Vec::new();
                self.assignments(&mut sets)?;
                for set in sets {
                    exprs.columns.extend(set.value.columns);
                    exprs.subqueries.extend(set.value.subqueries);
                }
                if self.eat_kw(Kw::WHERE) {
                    self.expr(exprs)?;
                }
            }
        }
        self.returning(exprs)
    }

    fn returning(&mut self, exprs: &mut Expr<'a>) -> PResult<()> {
        if self.eat_kw(Kw::RETURNING) {
            loop {
                if !self.eat(Kind::Star) {
                    self.expr(exprs)?;
                    self.alias_name()?;
                }
                if !self.eat(Kind::Comma) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Snowflake's `INSERT ALL|FIRST [WHEN c THEN] INTO t [(cols)] [VALUES (…)] … SELECT …`.
    fn insert_multi(&mut self, mut exprs: Expr<'a>) -> PResult<Insert<'a>> {
        self.pos += 1;
        let mut targets = Vec::new();
        loop {
            match self.peek().kw {
                Kw::WHEN => {
                    self.pos += 1;
                    self.expr(&mut exprs)?;
                    self.expect_kw(Kw::THEN, "THEN")?;
                }
                Kw::ELSE => self.pos += 1,
                Kw::INTO => {
                    targets.push(self.insert_target(&mut exprs)?);
                    if self.eat_kw(Kw::VALUES) {
                        self.operand(&mut exprs)?;
                    }
                }
                _ => break,
            }
        }
        let source = Some(self.query()?);
        Ok(Insert {
            targets,
            source,
            exprs,
        })
    }

    /// `UPDATE t [AS a] SET c = e, … [FROM …] [WHERE …] [RETURNING …]`.
    fn update(&mut self) -> PResult<Modify<'a>> {
        self.pos += 1;
        self.eat_kw(Kw::ONLY);
        let target = self.object_name()?;
        let alias = self.table_alias()?;
        self.expect_kw(Kw::SET, "SET in UPDATE")?;
        let mut sets = Vec::new();
        self.assignments(&mut sets)?;
        let from = if self.eat_kw(Kw::FROM) {
            self.relations()?
        } else {
            Vec::new()
        };
        let mut exprs = Expr::default();
        self.where_returning(&mut exprs)?;
        Ok(Modify {
            target,
            alias,
            from,
            exprs,
            sets,
        })
    }

    fn where_returning(&mut self, exprs: &mut Expr<'a>) -> PResult<()> {
        if self.eat_kw(Kw::WHERE) {
            if self.at_kw(Kw::CURRENT) && self.kw_at(1) == Kw::OF {
                self.pos += 3;
            } else {
                self.expr(exprs)?;
            }
        }
        self.returning(exprs)
    }

    /// `c = e`, `t.c = e`, `(a, b) = (…)`, `(a, b) = (SELECT …)`, comma-separated.
    fn assignments(&mut self, sets: &mut Vec<Assignment<'a>>) -> PResult<()> {
        loop {
            let columns = if self.at(Kind::LParen) {
                self.ident_list()?
            } else {
                let mut name = self.dotted_name()?;
                if self.at(Kind::LBracket) {
                    self.skip_group()?;
                }
                name.pop().into_iter().collect()
            };
            self.expect(Kind::Eq, "`=` in SET")?;
            self.assigned(columns, sets)?;
            if !self.eat(Kind::Comma) {
                return Ok(());
            }
        }
    }

    /// The value of an assignment; `(a, b) = (x, y)` pairs each column with its own value,
    /// `(a, b) = (SELECT …)` keeps the query whole for its outputs to pair up.
    fn assigned(&mut self, columns: Vec<Ident<'a>>, sets: &mut Vec<Assignment<'a>>) -> PResult<()> {
        let row = columns.len() > 1
            && self.at(Kind::LParen)
            && !matches!(self.kw_at(1), Kw::SELECT | Kw::WITH);
        if !row {
            let mut value = Expr::default();
            self.expr(&mut value)?;
            sets.push(Assignment { columns, value });
            return Ok(());
        }
        self.pos += 1;
        self.paired_values(columns, sets)?;
        self.expect(Kind::RParen, "`)`")
    }

    /// `e1, e2, …` up to a `)`, each the value of the column in the same place.
    fn paired_values(
        &mut self,
        columns: Vec<Ident<'a>>,
        sets: &mut Vec<Assignment<'a>>,
    ) -> PResult<()> {
        let mut columns = columns.into_iter();
        loop {
            let mut value = Expr::default();
            self.expr(&mut value)?;
            sets.push(Assignment {
                columns: columns.next().into_iter().collect(),
                value,
            });
            if !self.eat(Kind::Comma) {
                return Ok(());
            }
        }
    }

    /// `DELETE [FROM] t [AS a] [USING …] [WHERE …] [RETURNING …]`.
    fn delete(&mut self) -> PResult<Modify<'a>> {
        self.pos += 1;
        self.eat_kw(Kw::FROM);
        self.eat_kw(Kw::ONLY);
        let target = self.object_name()?;
        let alias = self.table_alias()?;
        let from = if self.eat_kw(Kw::USING) || self.eat_kw(Kw::FROM) {
            self.relations()?
        } else {
            Vec::new()
        };
        let mut exprs = Expr::default();
        self.where_returning(&mut exprs)?;
        Ok(Modify {
            target,
            alias,
            from,
            exprs,
            sets: Vec::new(),
        })
    }

    /// `MERGE [INTO] t [AS a] USING src ON c WHEN [NOT] MATCHED [BY …] [AND c] THEN …`.
    fn merge(&mut self) -> PResult<Modify<'a>> {
        self.pos += 1;
        self.eat_kw(Kw::INTO);
        let target = self.object_name()?;
        let alias = self.table_alias()?;
        self.expect_kw(Kw::USING, "USING in MERGE")?;
        let mut source = self.table_factor()?;
        self.expect_kw(Kw::ON, "ON in MERGE")?;
        self.expr(&mut source.condition)?;
        let mut exprs = Expr::default();
        let mut sets = Vec::new();
        while self.eat_kw(Kw::WHEN) {
            self.merge_clause(&mut exprs, &mut sets)?;
        }
        // Redshift's simplified form replaces the matching rows with the source's.
        if self.at_word("REMOVE") && self.at_word_at(1, "DUPLICATES") {
            self.pos += 2;
        }
        Ok(Modify {
            target,
            alias,
            from: vec![source],
            exprs,
            sets,
        })
    }

    fn merge_clause(
        &mut self,
        exprs: &mut Expr<'a>,
        sets: &mut Vec<Assignment<'a>>,
    ) -> PResult<()> {
        self.eat_kw(Kw::NOT);
        self.expect_kw(Kw::MATCHED, "MATCHED")?;
        if self.eat_kw(Kw::BY) {
            self.ident()?;
        }
        if self.eat_kw(Kw::AND) {
            self.expr(exprs)?;
        }
        self.expect_kw(Kw::THEN, "THEN")?;
        match self.peek().kw {
            Kw::UPDATE => {
                self.pos += 1;
                self.expect_kw(Kw::SET, "SET")?;
                if !self.eat(Kind::Star) {
                    self.assignments(sets)?;
                }
            }
            Kw::DELETE => self.pos += 1,
            Kw::INSERT => self.merge_insert(exprs, sets)?,
            Kw::DO => {
                self.pos += 1;
                self.expect_kw(Kw::NOTHING, "NOTHING")?;
            }
            _ => return Err(self.unexpected("UPDATE, DELETE or INSERT")),
        }
        if self.eat_kw(Kw::WHERE) {
            self.expr(exprs)?;
        }
        Ok(())
    }

    /// `INSERT [(cols)] VALUES (…)`, `INSERT *`, `INSERT ROW`.
    /// Values without a column list go to columns only the catalog could name: they read.
    fn merge_insert(
        &mut self,
        exprs: &mut Expr<'a>,
        sets: &mut Vec<Assignment<'a>>,
    ) -> PResult<()> {
        self.pos += 1;
        if self.eat(Kind::Star) || self.eat_kw(Kw::ROW) {
            return Ok(());
        }
        let columns = if self.at(Kind::LParen) {
            self.ident_list()?
        } else {
            Vec::new()
        };
        self.expect_kw(Kw::VALUES, "VALUES")?;
        if columns.is_empty() {
            self.operand(exprs)?;
            return Ok(());
        }
        self.expect(Kind::LParen, "`(` after VALUES")?;
        self.paired_values(columns, sets)?;
        self.expect(Kind::RParen, "`)`")
    }

    /// `USE [DATABASE|SCHEMA|CATALOG] name`: the defaults for later statements.
    fn use_statement(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        // `USE DATABASE x` names what it sets; `USE x` and `USE x.y` do not.
        let next = self.peek_at(1).kind;
        let what = (self.at_ident() && matches!(next, Kind::Word | Kind::Quoted))
            .then(|| self.advance())
            .map(|t| self.text(t).to_ascii_uppercase());
        let name = self.object_name()?;
        self.skip_statement();
        let databricks = self.dialect == crate::dialect::Dialect::Databricks;
        Ok(use_target(what.as_deref(), name, databricks))
    }

    /// `SET search_path TO a, b` / `SET SCHEMA 'x'` change the default schema; Snowflake and
    /// BigQuery `SET name = value` sets a variable (read by `IDENTIFIER($name)`); other SETs
    /// change nothing lineage cares about.
    fn set_statement(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let _ = self.eat_kw(Kw::LOCAL) || self.eat_word("SESSION");
        let search_path = self.eat_word("search_path");
        let schema_kw = !search_path && self.eat_kw(Kw::SCHEMA);
        if !(search_path || schema_kw) {
            return self.set_variable();
        }
        let _ = self.eat_kw(Kw::TO) || self.eat(Kind::Eq);
        let token = self.advance();
        let schema = match token.kind {
            Kind::Word | Kind::Quoted => {
                self.pos -= 1;
                Some(self.ident()?)
            }
            Kind::Str => {
                let text = self.text(token);
                Some(Ident {
                    text: std::borrow::Cow::Borrowed(&text[1..text.len() - 1]),
                    quoted: true,
                })
            }
            _ => None,
        };
        self.skip_statement();
        Ok(Statement::Use {
            database: None,
            schema: schema.filter(|s| s.text != "$user"),
        })
    }

    /// `SET name = expr` (Snowflake session variables, BigQuery script variables); any other
    /// SET is a setting.
    fn set_variable(&mut self) -> PResult<Statement<'a>> {
        use crate::dialect::Dialect;
        if self.dialect == Dialect::BigQuery && self.peek().kind == Kind::Param {
            return self.set_bigquery_default();
        }
        let variables = match self.dialect {
            Dialect::Snowflake | Dialect::BigQuery => true,
            Dialect::Databricks => self.eat_word("VAR") || self.eat_word("VARIABLE"),
            _ => false,
        };
        if variables && self.at(Kind::LParen) {
            return self.set_variables();
        }
        if !(variables && self.at_ident() && self.peek_at(1).kind == Kind::Eq) {
            return self.no_lineage("set");
        }
        let name = self.ident()?.text;
        self.pos += 1;
        let value = (self.at(Kind::Str)
            && matches!(self.peek_at(1).kind, Kind::Semicolon | Kind::Eof))
        .then(|| self.string_value(self.peek()));
        let mut reads = Expr::default();
        self.expr(&mut reads)?;
        Ok(Statement::Variable { name, value, reads })
    }

    /// Snowflake's `SET (a, b) = ('x', (SELECT …))`: one variable per name, in order.
    fn set_variables(&mut self) -> PResult<Statement<'a>> {
        let names = self.ident_list()?;
        self.expect(Kind::Eq, "`=` after the variable names")?;
        self.expect(Kind::LParen, "`(` before the values")?;
        let mut statements = Vec::with_capacity(names.len());
        for (i, name) in names.into_iter().enumerate() {
            if i > 0 {
                self.expect(Kind::Comma, "`,` between the values")?;
            }
            let value = (self.at(Kind::Str)
                && matches!(self.peek_at(1).kind, Kind::Comma | Kind::RParen))
            .then(|| self.string_value(self.peek()));
            let mut reads = Expr::default();
            self.expr(&mut reads)?;
            statements.push(Statement::Variable {
                name: name.text,
                value,
                reads,
            });
        }
        self.expect(Kind::RParen, "`)` closing the values")?;
        Ok(Statement::Block {
            kind: "set",
            statements,
            conditions: Expr::default(),
        })
    }

    /// BigQuery's `SET @@dataset_id = 'd'` and `SET @@dataset_project_id = 'p'` change the
    /// defaults later names resolve against; other system variables are settings.
    fn set_bigquery_default(&mut self) -> PResult<Statement<'a>> {
        let variable = self.text(self.peek()).to_ascii_lowercase();
        let value = self.peek_at(2);
        let plain = self.peek_at(1).kind == Kind::Eq && value.kind == Kind::Str;
        if !plain {
            return self.no_lineage("set");
        }
        let ident = Ident {
            text: self.string_value(value),
            quoted: true,
        };
        let (database, schema) = match variable.as_str() {
            "@@dataset_id" => (None, Some(ident)),
            "@@dataset_project_id" => (Some(ident), None),
            _ => return self.no_lineage("set"),
        };
        self.skip_statement();
        Ok(Statement::Use { database, schema })
    }

    /// The text of a string literal: quotes (`'…'`, `"…"`, `$$…$$`, `$tag$…$tag$`, triple
    /// quotes, `r`/`b` prefixes) removed and doubled quotes undoubled.
    pub(super) fn string_value(&self, token: crate::lexer::Token) -> std::borrow::Cow<'a, str> {
        use std::borrow::Cow;
        let text = self.text(token);
        if let Some(end) = text.strip_prefix('$').and_then(|t| t.find('$')) {
            let tag = end + 2;
            if text.len() >= 2 * tag {
                return Cow::Borrowed(&text[tag..text.len() - tag]);
            }
        }
        let text = text.trim_start_matches(['r', 'R', 'b', 'B', 'e', 'E']);
        let width = if text.starts_with("'''") || text.starts_with("\"\"\"") {
            3
        } else {
            1
        };
        let Some(inner) = text.get(width..text.len().saturating_sub(width)) else {
            return Cow::Borrowed("");
        };
        let quote = text.chars().next().unwrap_or('\'');
        let doubled = format!("{quote}{quote}");
        if width == 1 && inner.contains(&doubled) {
            Cow::Owned(inner.replace(&doubled, &quote.to_string()))
        } else {
            Cow::Borrowed(inner)
        }
    }
}

/// What `USE <what> name` sets: a two-part name is database.schema; a bare one-part name is
/// a database in Snowflake and a schema in Databricks, where `USE DATABASE` is `USE SCHEMA`
/// and `USE CATALOG` sets the catalog (our database).
fn use_target<'a>(what: Option<&str>, mut name: Name<'a>, databricks: bool) -> Statement<'a> {
    let what = match what {
        Some("DATABASE") if databricks => Some("SCHEMA"),
        Some("CATALOG") => Some("DATABASE"),
        other => other,
    };
    let last = name.pop();
    let first = name.pop();
    match (what, first, last) {
        (None, None, schema) if databricks => Statement::Use {
            database: None,
            schema,
        },
        (Some("SCHEMA"), Some(db), schema) => Statement::Use {
            database: Some(db),
            schema,
        },
        (Some("SCHEMA"), None, schema) => Statement::Use {
            database: None,
            schema,
        },
        (Some("WAREHOUSE" | "ROLE" | "SECONDARY"), _, _) => Statement::NoLineage("use"),
        (_, Some(db), schema) => Statement::Use {
            database: Some(db),
            schema,
        },
        (_, None, database) => Statement::Use {
            database,
            schema: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_without_lineage_are_sorted_for_bisection() {
        assert!(NO_LINEAGE.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
