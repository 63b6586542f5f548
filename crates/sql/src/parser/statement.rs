//! Statements: which one this is, and the parts of it that read or write tables.

use super::{PResult, Parser};
use crate::ast::{Create, Expr, Ident, Insert, Modify, Name, Relation, Statement};
use crate::keywords::Kw;
use crate::lexer::Kind;

/// A short name for what a statement does, for people and JSON.
pub(crate) fn statement_kind(statement: &Statement<'_>) -> &'static str {
    match statement {
        Statement::Query(_) => "select",
        Statement::Insert(_) => "insert",
        Statement::Create(create) if create.view => "create_view",
        Statement::Create(_) => "create_table",
        Statement::Update(_) => "update",
        Statement::Delete(_) => "delete",
        Statement::Merge(_) => "merge",
        Statement::Truncate(_) => "truncate",
        Statement::Unload(_) => "copy",
        Statement::Use { .. } => "use",
        Statement::With(_, inner) => statement_kind(inner),
        Statement::Other => "other",
    }
}

impl<'a> Parser<'a> {
    pub(super) fn statement(&mut self) -> PResult<Statement<'a>> {
        if self.at(Kind::LParen) {
            return self.query().map(Statement::Query);
        }
        match self.peek().kw {
            Kw::SELECT | Kw::VALUES | Kw::TABLE | Kw::FROM => self.query().map(Statement::Query),
            Kw::WITH => self.with_statement(),
            Kw::INSERT => self.insert().map(Statement::Insert),
            Kw::CREATE => self.create(),
            Kw::UPDATE => self.update().map(Statement::Update),
            Kw::DELETE => self.delete().map(Statement::Delete),
            Kw::MERGE => self.merge().map(Statement::Merge),
            Kw::TRUNCATE => self.truncate(),
            Kw::COPY => self.copy(),
            Kw::USE => self.use_statement(),
            Kw::SET => self.set_statement(),
            _ => {
                self.skip_statement();
                Ok(Statement::Other)
            }
        }
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
                self.assignments(exprs)?;
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

    /// CREATE [OR REPLACE] [modifiers] TABLE|VIEW name … [AS query | LIKE t | CLONE t].
    fn create(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let mut view = false;
        loop {
            match self.peek().kw {
                Kw::TABLE => break,
                Kw::VIEW => {
                    view = true;
                    break;
                }
                _ if self.at(Kind::Word) && is_create_modifier(self.text(self.peek())) => {
                    self.pos += 1;
                }
                _ => {
                    self.skip_statement();
                    return Ok(Statement::Other);
                }
            }
        }
        self.pos += 1;
        if self.at_kw(Kw::IF) {
            self.pos += 1;
            self.eat_kw(Kw::NOT);
            self.expect_kw(Kw::EXISTS, "EXISTS after IF [NOT]")?;
        }
        let target = self.object_name()?;
        let columns = if self.at(Kind::LParen) && !self.query_follows_paren() {
            self.ident_list()?
        } else {
            Vec::new()
        };
        let mut create = Create {
            target,
            view,
            columns,
            query: None,
            copy_of: None,
        };
        self.create_body(&mut create)?;
        Ok(Statement::Create(create))
    }

    /// Skips options up to `AS query`, `LIKE t` or `CLONE t`.
    fn create_body(&mut self, create: &mut Create<'a>) -> PResult<()> {
        loop {
            let token = self.peek();
            match token.kind {
                Kind::Eof | Kind::Semicolon => return Ok(()),
                Kind::LParen | Kind::LBracket | Kind::LBrace => {
                    if self.query_follows_paren() {
                        create.query = Some(self.query()?);
                        return self.create_trailer();
                    }
                    self.skip_group()?;
                    continue;
                }
                _ => {}
            }
            match token.kw {
                Kw::AS if self.query_after_as() => {
                    self.pos += 1;
                    create.query = Some(self.query()?);
                    return self.create_trailer();
                }
                Kw::LIKE | Kw::CLONE
                    if matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) =>
                {
                    self.pos += 1;
                    create.copy_of = Some(self.object_name()?);
                }
                _ => self.pos += 1,
            }
        }
    }

    fn query_after_as(&self) -> bool {
        let next = self.peek_at(1);
        matches!(next.kw, Kw::SELECT | Kw::WITH | Kw::VALUES | Kw::TABLE)
            || (next.kind == Kind::LParen && {
                let mut ahead = 1;
                while self.peek_at(ahead).kind == Kind::LParen {
                    ahead += 1;
                }
                matches!(self.kw_at(ahead), Kw::SELECT | Kw::WITH | Kw::VALUES)
            })
    }

    /// `WITH [NO] DATA` after a CREATE … AS query.
    fn create_trailer(&mut self) -> PResult<()> {
        if self.at_kw(Kw::WITH) {
            self.pos += 1;
            self.eat_word("NO");
            if !self.eat_word("DATA") {
                return Err(self.unexpected("DATA after WITH [NO]"));
            }
        }
        Ok(())
    }

    /// `UPDATE t [AS a] SET c = e, … [FROM …] [WHERE …] [RETURNING …]`.
    fn update(&mut self) -> PResult<Modify<'a>> {
        self.pos += 1;
        self.eat_kw(Kw::ONLY);
        let target = self.object_name()?;
        let alias = self.table_alias()?;
        self.expect_kw(Kw::SET, "SET in UPDATE")?;
        let mut exprs = Expr::default();
        self.assignments(&mut exprs)?;
        let from = if self.eat_kw(Kw::FROM) {
            self.relations()?
        } else {
            Vec::new()
        };
        self.where_returning(&mut exprs)?;
        Ok(Modify {
            target,
            alias,
            from,
            exprs,
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
    fn assignments(&mut self, exprs: &mut Expr<'a>) -> PResult<()> {
        loop {
            if self.at(Kind::LParen) {
                self.ident_list()?;
            } else {
                self.dotted_name()?;
                if self.at(Kind::LBracket) {
                    self.skip_group()?;
                }
            }
            self.expect(Kind::Eq, "`=` in SET")?;
            self.expr(exprs)?;
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
        while self.eat_kw(Kw::WHEN) {
            self.merge_clause(&mut exprs)?;
        }
        Ok(Modify {
            target,
            alias,
            from: vec![source],
            exprs,
        })
    }

    fn merge_clause(&mut self, exprs: &mut Expr<'a>) -> PResult<()> {
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
                    self.assignments(exprs)?;
                }
            }
            Kw::DELETE => self.pos += 1,
            Kw::INSERT => self.merge_insert(exprs)?,
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
    fn merge_insert(&mut self, exprs: &mut Expr<'a>) -> PResult<()> {
        self.pos += 1;
        if self.eat(Kind::Star) || self.eat_kw(Kw::ROW) {
            return Ok(());
        }
        if self.at(Kind::LParen) {
            self.ident_list()?;
        }
        self.expect_kw(Kw::VALUES, "VALUES")?;
        self.operand(exprs)?;
        Ok(())
    }

    fn truncate(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        self.eat_kw(Kw::TABLE);
        if self.at_kw(Kw::IF) {
            self.pos += 1;
            self.expect_kw(Kw::EXISTS, "EXISTS")?;
        }
        self.eat_kw(Kw::ONLY);
        let mut names = Vec::new();
        loop {
            names.push(self.object_name()?);
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        self.skip_statement();
        Ok(Statement::Truncate(names))
    }

    /// COPY in either direction: into a table (a write) or out of a table or query.
    fn copy(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        self.eat_kw(Kw::INTO);
        if self.at(Kind::LParen) {
            self.pos += 1;
            let query = self.query()?;
            self.expect(Kind::RParen, "`)`")?;
            self.skip_statement();
            return Ok(Statement::Unload(Relation::Derived(Box::new(query))));
        }
        if self.eat(Kind::Param) || self.eat(Kind::Str) {
            // COPY INTO @stage FROM <table or query>: an unload.
            self.expect_kw(Kw::FROM, "FROM")?;
            let item = self.table_factor()?;
            self.skip_statement();
            return Ok(Statement::Unload(item.relation));
        }
        let name = self.object_name()?;
        if self.at(Kind::LParen) {
            self.skip_group()?;
        }
        let unload = self.at_kw(Kw::TO);
        self.skip_statement();
        Ok(if unload {
            Statement::Unload(Relation::Table(name))
        } else {
            Statement::Truncate(vec![name])
        })
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
        let bare_is_schema = self.dialect == crate::dialect::Dialect::Databricks;
        Ok(use_target(what.as_deref(), name, bare_is_schema))
    }

    /// `SET search_path TO a, b` / `SET SCHEMA 'x'` change the default schema; other SETs
    /// change nothing lineage cares about.
    fn set_statement(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let _ = self.eat_kw(Kw::LOCAL) || self.eat_word("SESSION");
        let search_path = self.eat_word("search_path");
        let schema_kw = !search_path && self.eat_kw(Kw::SCHEMA);
        if !(search_path || schema_kw) {
            self.skip_statement();
            return Ok(Statement::Other);
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
}

/// What `USE <what> name` sets: a two-part name is database.schema; a bare one-part name is
/// a database in Snowflake and a schema in Databricks.
fn use_target<'a>(what: Option<&str>, mut name: Name<'a>, bare_is_schema: bool) -> Statement<'a> {
    let last = name.pop();
    let first = name.pop();
    match (what, first, last) {
        (None, None, schema) if bare_is_schema => Statement::Use {
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
        (Some("WAREHOUSE" | "ROLE" | "SECONDARY"), _, _) => Statement::Other,
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

fn is_create_modifier(word: &str) -> bool {
    const MODIFIERS: &[&str] = &[
        "OR",
        "REPLACE",
        "ALTER",
        "TEMP",
        "TEMPORARY",
        "TRANSIENT",
        "VOLATILE",
        "LOCAL",
        "GLOBAL",
        "SECURE",
        "EXTERNAL",
        "UNLOGGED",
        "MATERIALIZED",
        "RECURSIVE",
        "DYNAMIC",
        "ICEBERG",
        "HYBRID",
        "MULTISET",
        "STREAMING",
        "LIVE",
        "SNAPSHOT",
    ];
    MODIFIERS.iter().any(|m| m.eq_ignore_ascii_case(word))
}
