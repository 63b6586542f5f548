//! Queries: WITH, set operations, SELECT and the FROM clause.

use super::{PResult, Parser};
use crate::ast::{
    Alias, Cte, Expr, FromItem, Ident, Location, Name, Query, Relation, Select, SelectItem,
    SetExpr, With,
};
use crate::dialect::Dialect;
use crate::keywords::Kw;
use crate::lexer::Kind;

impl<'a> Parser<'a> {
    /// Whether the `(` at the cursor opens a query rather than an expression or a join.
    pub(super) fn query_follows_paren(&self) -> bool {
        let mut ahead = 0;
        while self.peek_at(ahead).kind == Kind::LParen {
            ahead += 1;
        }
        ahead > 0
            && matches!(
                self.kw_at(ahead),
                Kw::SELECT | Kw::WITH | Kw::VALUES | Kw::TABLE
            )
            && (self.kw_at(ahead) != Kw::TABLE || self.peek_at(ahead + 1).kind != Kind::LParen)
    }

    /// `[WITH …] body [ORDER BY …] [LIMIT …]`.
    pub(super) fn query(&mut self) -> PResult<Query<'a>> {
        self.nested(|p| {
            let with = p.with()?;
            let body = p.set_expr()?;
            let mut tail = Expr::default();
            p.query_tail(&mut tail)?;
            Ok(Query { with, body, tail })
        })
    }

    pub(super) fn with(&mut self) -> PResult<With<'a>> {
        let mut with = With::default();
        if !self.eat_kw(Kw::WITH) {
            return Ok(with);
        }
        with.recursive = self.eat_kw(Kw::RECURSIVE);
        loop {
            with.ctes.push(self.cte()?);
            if !self.eat(Kind::Comma) {
                return Ok(with);
            }
        }
    }

    fn cte(&mut self) -> PResult<Cte<'a>> {
        let name = self.ident()?;
        // Spark and Databricks allow `WITH w (SELECT …)`, without AS.
        let bare_body = self.dialect == crate::dialect::Dialect::Databricks
            && self.at(Kind::LParen)
            && self.query_follows_paren();
        let columns = if self.at(Kind::LParen) && !bare_body {
            self.ident_list()?
        } else {
            Vec::new()
        };
        if !bare_body {
            self.expect_kw(Kw::AS, "AS after the CTE name")?;
        }
        self.eat_kw(Kw::NOT);
        self.eat_kw(Kw::MATERIALIZED);
        self.expect(Kind::LParen, "`(` opening the CTE body")?;
        let query = self.query()?;
        self.expect(Kind::RParen, "`)` closing the CTE body")?;
        Ok(Cte {
            name,
            columns,
            query,
        })
    }

    fn set_expr(&mut self) -> PResult<SetExpr<'a>> {
        let mut left = self.set_operand()?;
        while matches!(
            self.peek().kw,
            Kw::UNION | Kw::INTERSECT | Kw::EXCEPT | Kw::MINUS
        ) {
            self.pos += 1;
            let _ = self.eat_kw(Kw::ALL) || self.eat_kw(Kw::DISTINCT);
            if self.at_kw(Kw::BY) && self.at_word_at(1, "NAME") {
                self.pos += 2;
            }
            let right = self.set_operand()?;
            left = SetExpr::SetOp(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    pub(super) fn at_word_at(&self, ahead: usize, word: &str) -> bool {
        let token = self.peek_at(ahead);
        token.kind == Kind::Word && self.text(token).eq_ignore_ascii_case(word)
    }

    fn set_operand(&mut self) -> PResult<SetExpr<'a>> {
        match self.peek().kw {
            Kw::SELECT => Ok(SetExpr::Select(Box::new(self.select()?))),
            Kw::FROM => Ok(SetExpr::Select(Box::new(self.select_from_first()?))),
            Kw::PIVOT | Kw::UNPIVOT if self.dialect == Dialect::DuckDb => {
                Ok(SetExpr::Select(Box::new(self.pivot_statement()?)))
            }
            Kw::VALUES => {
                self.pos += 1;
                let mut values = Expr::default();
                self.expr_list(&mut values)?;
                Ok(SetExpr::Values(values))
            }
            Kw::TABLE => {
                // PostgreSQL's `TABLE t` is `SELECT * FROM t`.
                self.pos += 1;
                let from = vec![self.table_factor()?];
                Ok(SetExpr::Select(Box::new(Select {
                    items: vec![SelectItem::Wildcard {
                        qualifier: None,
                        except: Vec::new(),
                    }],
                    from,
                    ..Select::default()
                })))
            }
            _ if self.at(Kind::LParen) => {
                self.pos += 1;
                let query = self.query()?;
                self.expect(Kind::RParen, "`)` closing the subquery")?;
                Ok(SetExpr::Nested(Box::new(query)))
            }
            _ => Err(self.unexpected("SELECT, VALUES or a parenthesized query")),
        }
    }

    /// ORDER BY, LIMIT, OFFSET, FETCH and locking clauses after a query body.
    fn query_tail(&mut self, tail: &mut Expr<'a>) -> PResult<()> {
        loop {
            match self.peek().kw {
                Kw::ORDER if self.kw_at(1) == Kw::BY => {
                    self.pos += 2;
                    self.sort_list(tail)?;
                }
                Kw::LIMIT => {
                    self.pos += 1;
                    if !self.eat_kw(Kw::ALL) {
                        self.expr_list(tail)?;
                    }
                }
                Kw::OFFSET => {
                    self.pos += 1;
                    self.expr(tail)?;
                    let _ = self.eat_kw(Kw::ROW) || self.eat_kw(Kw::ROWS);
                }
                Kw::FETCH => self.fetch(tail)?,
                Kw::FOR if matches!(self.kw_at(1), Kw::UPDATE) || self.at_word_at(1, "SHARE") => {
                    self.pos += 2;
                    self.locking_options()?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// `OF t1, t2`, `NOWAIT`, `SKIP LOCKED` after FOR UPDATE / FOR SHARE.
    fn locking_options(&mut self) -> PResult<()> {
        loop {
            if self.eat_kw(Kw::OF) {
                self.object_name()?;
                while self.eat(Kind::Comma) {
                    self.object_name()?;
                }
            } else if !(self.eat_word("NOWAIT")
                || (self.eat_word("SKIP") && self.eat_word("LOCKED")))
            {
                return Ok(());
            }
        }
    }

    /// `FETCH FIRST n ROWS ONLY`.
    fn fetch(&mut self, tail: &mut Expr<'a>) -> PResult<()> {
        self.pos += 1;
        let _ = self.eat_kw(Kw::FIRST) || self.eat_word("NEXT");
        if !(self.at_kw(Kw::ROW) || self.at_kw(Kw::ROWS)) {
            self.expr(tail)?;
        }
        let _ = self.eat_kw(Kw::ROW) || self.eat_kw(Kw::ROWS);
        let _ = self.eat_kw(Kw::ONLY) || self.eat_word("TIES") || self.eat_kw(Kw::WITH);
        self.eat_word("TIES");
        Ok(())
    }

    /// DuckDB's `FROM t [SELECT …]`: without a select list it means `SELECT *`.
    fn select_from_first(&mut self) -> PResult<Select<'a>> {
        self.pos += 1;
        let from = self.relations()?;
        let mut select = if self.at_kw(Kw::SELECT) {
            self.select()?
        } else {
            let mut select = Select::default();
            select.items.push(SelectItem::Wildcard {
                qualifier: None,
                except: Vec::new(),
            });
            self.select_clauses(&mut select)?;
            select
        };
        select.from.splice(0..0, from);
        Ok(select)
    }

    /// DuckDB's `PIVOT t ON c USING agg(x) [GROUP BY …]` and
    /// `UNPIVOT t ON cols INTO NAME n VALUE v`: a query of `t` that mentions those columns.
    fn pivot_statement(&mut self) -> PResult<Select<'a>> {
        self.pos += 1;
        let mut select = Select {
            from: self.relations()?,
            ..Select::default()
        };
        select.items.push(SelectItem::Wildcard {
            qualifier: None,
            except: Vec::new(),
        });
        loop {
            if self.eat_kw(Kw::ON) || self.eat_kw(Kw::USING) {
                self.pivot_items(&mut select.filters, Kw::None)?;
            } else if self.eat_kw(Kw::INTO) {
                // `INTO NAME n VALUE v [, …]` names new columns.
                while !matches!(self.peek().kind, Kind::Semicolon | Kind::Eof)
                    && !matches!(self.peek().kw, Kw::GROUP | Kw::ORDER | Kw::LIMIT)
                {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
        self.select_clauses(&mut select)?;
        Ok(select)
    }

    fn select(&mut self) -> PResult<Select<'a>> {
        self.pos += 1;
        let mut select = Select::default();
        self.select_modifiers(&mut select)?;
        if !self.select_list_ends() {
            loop {
                select.items.push(self.select_item()?);
                if !self.eat(Kind::Comma) || self.select_list_ends() {
                    break;
                }
            }
        }
        if self.eat_kw(Kw::INTO) {
            while matches!(
                self.peek().kw,
                Kw::TEMP | Kw::TEMPORARY | Kw::UNLOGGED | Kw::TABLE
            ) {
                self.pos += 1;
            }
            select.into = Some(self.object_name()?);
        }
        if self.eat_kw(Kw::FROM) {
            select.from = self.relations()?;
        }
        self.select_clauses(&mut select)?;
        Ok(select)
    }

    /// A select list may be empty in PostgreSQL and end with a comma in BigQuery/DuckDB.
    fn select_list_ends(&self) -> bool {
        matches!(self.peek().kind, Kind::RParen | Kind::Semicolon | Kind::Eof)
            || matches!(
                self.peek().kw,
                Kw::FROM | Kw::UNION | Kw::EXCEPT | Kw::INTERSECT | Kw::MINUS | Kw::WHERE
            )
    }

    /// DISTINCT [ON (…)], ALL, TOP n, BigQuery's AS STRUCT / AS VALUE.
    fn select_modifiers(&mut self, select: &mut Select<'a>) -> PResult<()> {
        if self.eat_kw(Kw::DISTINCT) {
            if self.eat_kw(Kw::ON) {
                self.expect(Kind::LParen, "`(` after DISTINCT ON")?;
                self.expr_list(&mut select.filters)?;
                self.expect(Kind::RParen, "`)`")?;
            }
        } else {
            self.eat_kw(Kw::ALL);
        }
        if self.dialect.select_top() && self.at_kw(Kw::TOP) && self.peek_at(1).kind == Kind::Number
        {
            self.pos += 2;
            self.eat_word("PERCENT");
        }
        if self.at_kw(Kw::AS) && (self.at_word_at(1, "STRUCT") || self.kw_at(1) == Kw::VALUE) {
            self.pos += 2;
        }
        Ok(())
    }

    fn select_item(&mut self) -> PResult<SelectItem<'a>> {
        if let Some(qualifier) = self.wildcard_qualifier() {
            let except = self.wildcard_modifiers()?;
            return Ok(SelectItem::Wildcard { qualifier, except });
        }
        let mut expr = Expr::default();
        let shape = self.expr(&mut expr)?;
        let name = match self.alias_name()? {
            Some(alias) => Some(alias),
            None => shape.column_name(&expr),
        };
        Ok(SelectItem::Expr { expr, name })
    }

    /// For `*` or `q.*` at the cursor, consumes it and returns the qualifier.
    fn wildcard_qualifier(&mut self) -> Option<Option<crate::ast::Name<'a>>> {
        if self.eat(Kind::Star) {
            return Some(None);
        }
        let mut ahead = 0;
        while matches!(self.peek_at(ahead).kind, Kind::Word | Kind::Quoted)
            && self.peek_at(ahead + 1).kind == Kind::Dot
        {
            ahead += 2;
        }
        if ahead == 0 || self.peek_at(ahead).kind != Kind::Star {
            return None;
        }
        let start = self.pos;
        let mut name = Vec::new();
        while self.pos < start + ahead {
            name.push(self.ident().ok()?);
            self.pos += 1;
        }
        self.pos += 1;
        Some(Some(name))
    }

    /// `* EXCEPT (a)`, `* EXCLUDE (a, b)`, `* EXCLUDE a`, `* REPLACE (…)`, `* RENAME (…)`.
    fn wildcard_modifiers(&mut self) -> PResult<Vec<Ident<'a>>> {
        let mut except = Vec::new();
        loop {
            match self.peek().kw {
                Kw::EXCEPT | Kw::EXCLUDE if self.peek_at(1).kind == Kind::LParen => {
                    self.pos += 1;
                    except.extend(self.ident_list()?);
                }
                Kw::EXCLUDE => {
                    self.pos += 1;
                    except.push(self.ident()?);
                }
                Kw::REPLACE | Kw::RENAME if self.peek_at(1).kind == Kind::LParen => {
                    self.pos += 1;
                    self.skip_group()?;
                }
                Kw::ILIKE | Kw::LIKE if self.peek_at(1).kind == Kind::Str => self.pos += 2,
                _ => return Ok(except),
            }
        }
    }

    /// `AS name` or a bare name that cannot start the next clause.
    pub(super) fn alias_name(&mut self) -> PResult<Option<Ident<'a>>> {
        if self.eat_kw(Kw::AS) {
            if self.at(Kind::Str) {
                let token = self.advance();
                let text = self.text(token);
                return Ok(Some(Ident {
                    text: std::borrow::Cow::Borrowed(&text[1..text.len() - 1]),
                    quoted: true,
                }));
            }
            return self.ident().map(Some);
        }
        let token = self.peek();
        let bare = match token.kind {
            Kind::Quoted => true,
            Kind::Word => self.bare_alias_here() && !self.dialect.label_needs_as(self.text(token)),
            _ => false,
        };
        if bare {
            self.ident().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Whether the word at the cursor is an alias written without `AS`: never a word the
    /// dialect reserves, and a clause keyword (`window`, `end`, `filter`, `qualify` where it
    /// is not reserved) only when what follows could not continue that clause.
    fn bare_alias_here(&self) -> bool {
        let token = self.peek();
        // Only words the grammar gives a meaning to can be mistaken for a clause; a reserved
        // word it does not know (Redshift's RAW, TAG, …) reads as the alias it must be.
        if (token.kw != Kw::None && self.dialect.reserved(self.text(token)))
            || token.kw == Kw::OUTER
            || self.at_word("MATCH_CONDITION")
        {
            return false;
        }
        if !token.kw.ends_alias() {
            return true;
        }
        let next = self.peek_at(1);
        matches!(
            next.kind,
            Kind::Comma | Kind::RParen | Kind::Semicolon | Kind::Eof
        ) || matches!(
            next.kw,
            Kw::FROM
                | Kw::WHERE
                | Kw::GROUP
                | Kw::ORDER
                | Kw::UNION
                | Kw::JOIN
                | Kw::LEFT
                | Kw::INNER
                | Kw::ON
        )
    }

    /// WHERE, GROUP BY, HAVING, WINDOW, QUALIFY and Snowflake's START WITH / CONNECT BY.
    fn select_clauses(&mut self, select: &mut Select<'a>) -> PResult<()> {
        loop {
            match self.peek().kw {
                Kw::WHERE => {
                    self.pos += 1;
                    self.expr(&mut select.filters)?;
                }
                Kw::GROUP if self.kw_at(1) == Kw::BY => {
                    self.pos += 2;
                    self.group_by(&mut select.alias_filters)?;
                }
                Kw::HAVING => {
                    self.pos += 1;
                    self.expr(&mut select.alias_filters)?;
                }
                Kw::QUALIFY if self.dialect.qualify() => {
                    self.pos += 1;
                    self.expr(&mut select.alias_filters)?;
                }
                Kw::WINDOW => {
                    self.pos += 1;
                    self.named_windows(&mut select.filters)?;
                }
                Kw::START if self.kw_at(1) == Kw::WITH => {
                    self.pos += 2;
                    self.expr(&mut select.filters)?;
                }
                Kw::CONNECT if self.kw_at(1) == Kw::BY => {
                    self.pos += 2;
                    self.eat_word("NOCYCLE");
                    self.connect_by(&mut select.filters)?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn group_by(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        let _ = self.eat_kw(Kw::ALL) || self.eat_kw(Kw::DISTINCT);
        if self.select_list_ends() || self.at_kw(Kw::HAVING) || self.at_kw(Kw::ORDER) {
            return Ok(());
        }
        loop {
            if self.at_kw(Kw::GROUPING) && self.kw_at(1) == Kw::SETS {
                self.pos += 2;
            }
            self.expr(out)?;
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        if self.at_kw(Kw::WITH) && self.kw_at(1) == Kw::ROLLUP {
            self.pos += 2;
        }
        Ok(())
    }

    /// `CONNECT BY PRIOR a = b [, PRIOR c = d]`: PRIOR marks the parent row's column;
    /// Snowflake separates conditions with commas as well as AND.
    fn connect_by(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        loop {
            self.eat_word("PRIOR");
            self.operand(out)?;
            if matches!(self.peek().kind, Kind::Eq | Kind::Op | Kind::Comma)
                || self.at_kw(Kw::AND)
                || self.at_kw(Kw::OR)
            {
                self.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    fn named_windows(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        loop {
            self.ident()?;
            self.expect_kw(Kw::AS, "AS in WINDOW")?;
            self.window(out)?;
            if !self.eat(Kind::Comma) {
                return Ok(());
            }
        }
    }

    // --- FROM -------------------------------------------------------------------------

    /// A FROM clause with its joins, flattened into one list in order of appearance.
    pub(super) fn relations(&mut self) -> PResult<Vec<FromItem<'a>>> {
        let mut items = Vec::new();
        loop {
            self.relations_with_joins(&mut items)?;
            if !self.eat(Kind::Comma) {
                return Ok(items);
            }
        }
    }

    fn relations_with_joins(&mut self, items: &mut Vec<FromItem<'a>>) -> PResult<()> {
        self.push_relation(items)?;
        loop {
            if self.at_kw(Kw::LATERAL) && self.at_word_at(1, "VIEW") {
                self.lateral_view(items)?;
                continue;
            }
            if !self.join_keywords() {
                return Ok(());
            }
            self.push_relation(items)?;
            let last = items.len() - 1;
            if self.at_word("MATCH_CONDITION") && self.peek_at(1).kind == Kind::LParen {
                // Snowflake's ASOF JOIN … MATCH_CONDITION (a >= b) ON ….
                self.pos += 1;
                self.operand(&mut items[last].condition)?;
            }
            if self.eat_kw(Kw::ON) {
                self.expr(&mut items[last].condition)?;
            } else if self.eat_kw(Kw::USING) {
                self.ident_list()?;
            }
        }
    }

    /// Consumes `[NATURAL] [INNER|LEFT|RIGHT|FULL|CROSS|…] JOIN` or `CROSS/OUTER APPLY`.
    fn join_keywords(&mut self) -> bool {
        let start = self.pos;
        loop {
            match self.peek().kw {
                Kw::JOIN => {
                    self.pos += 1;
                    return true;
                }
                Kw::APPLY if self.pos > start => {
                    self.pos += 1;
                    return true;
                }
                Kw::NATURAL
                | Kw::INNER
                | Kw::LEFT
                | Kw::RIGHT
                | Kw::FULL
                | Kw::CROSS
                | Kw::OUTER
                | Kw::SEMI
                | Kw::ANTI
                | Kw::ASOF
                | Kw::POSITIONAL
                | Kw::ANY
                | Kw::GLOBAL => self.pos += 1,
                _ if self.at_word("STRAIGHT_JOIN") => {
                    self.pos += 1;
                    return true;
                }
                _ => {
                    self.pos = start;
                    return false;
                }
            }
        }
    }

    /// Databricks/Hive `LATERAL VIEW [OUTER] explode(expr) alias [AS c1, c2]`.
    fn lateral_view(&mut self, items: &mut Vec<FromItem<'a>>) -> PResult<()> {
        self.pos += 2;
        self.eat_kw(Kw::OUTER);
        let mut args = Expr::default();
        self.operand(&mut args)?;
        let alias = self.ident()?;
        let mut columns = Vec::new();
        if self.eat_kw(Kw::AS) {
            loop {
                columns.push(self.ident()?);
                if !self.eat(Kind::Comma) {
                    break;
                }
            }
        }
        items.push(FromItem {
            relation: Relation::Function(args),
            alias: Some(Alias {
                name: alias,
                columns,
            }),
            condition: Expr::default(),
        });
        Ok(())
    }

    fn push_relation(&mut self, items: &mut Vec<FromItem<'a>>) -> PResult<()> {
        if self.at(Kind::LParen) && !self.query_follows_paren() && self.nested_join_follows() {
            return self.nested(|p| {
                p.pos += 1;
                let mut inner = p.relations()?;
                p.expect(Kind::RParen, "`)` closing the join")?;
                let alias = p.table_alias()?;
                if let (Some(alias), [only]) = (alias, inner.as_mut_slice()) {
                    only.alias = Some(alias);
                }
                items.append(&mut inner);
                Ok(())
            });
        }
        items.push(self.table_factor()?);
        Ok(())
    }

    /// `(` followed by a table rather than a value list (which only VALUES could need).
    fn nested_join_follows(&self) -> bool {
        matches!(
            self.peek_at(1).kind,
            Kind::Word | Kind::Quoted | Kind::LParen
        )
    }

    /// One relation in FROM with its alias and trailing clauses.
    pub(super) fn table_factor(&mut self) -> PResult<FromItem<'a>> {
        self.nested(|p| {
            p.eat_kw(Kw::LATERAL);
            let mut condition = Expr::default();
            let relation = p.relation()?;
            p.table_modifiers(&mut condition)?;
            let mut alias = p.table_alias()?;
            // Sampling and time travel may also follow the alias.
            p.table_modifiers(&mut condition)?;
            p.after_alias(&mut condition, &mut alias)?;
            Ok(FromItem {
                relation,
                alias,
                condition,
            })
        })
    }

    fn relation(&mut self) -> PResult<Relation<'a>> {
        let token = self.peek();
        match token.kind {
            Kind::LParen => {
                self.pos += 1;
                let query = self.query()?;
                self.expect(Kind::RParen, "`)` closing the subquery")?;
                Ok(Relation::Derived(Box::new(query)))
            }
            // Snowflake stages (`@stage/path`), DuckDB file paths ('data.parquet').
            Kind::Str => Ok(self
                .location()?
                .map_or(Relation::Function(Expr::default()), |l| {
                    Relation::Location(vec![l])
                })),
            Kind::Param if self.text(token).starts_with('@') => self.stage_relation(),
            Kind::Param => {
                self.pos += 1;
                Ok(Relation::Function(Expr::default()))
            }
            // Snowflake's `TABLE($var)`, `TABLE(:bind)`, `TABLE('name')`: IDENTIFIER by another name.
            _ if token.kw == Kw::TABLE
                && self.dialect == Dialect::Snowflake
                && self.peek_at(1).kind == Kind::LParen
                && matches!(self.peek_at(2).kind, Kind::Param | Kind::Str)
                && self.peek_at(3).kind == Kind::RParen =>
            {
                Ok(Relation::Table(self.identifier_function()?))
            }
            _ if matches!(token.kw, Kw::UNNEST | Kw::TABLE)
                && self.peek_at(1).kind == Kind::LParen =>
            {
                self.pos += 2;
                let mut args = Expr::default();
                self.function_args(&mut args, "")?;
                Ok(Relation::Function(args))
            }
            Kind::Word if token.kw.ends_alias() && self.dialect.reserved(self.text(token)) => {
                Err(self.unexpected("a table name"))
            }
            Kind::Word | Kind::Quoted => {
                self.eat_kw(Kw::ONLY);
                let name = self.object_name()?;
                if self.at(Kind::LParen) {
                    let function = name.last().map_or("", |i| i.text.as_ref());
                    let paths = self.file_function(function);
                    if !paths.is_empty() {
                        self.skip_group()?;
                        return Ok(Relation::Location(paths));
                    }
                    self.pos += 1;
                    let mut args = Expr::default();
                    self.function_args(&mut args, function)?;
                    return Ok(Relation::Function(args));
                }
                if let Some(path) = file_table(&name) {
                    return Ok(Relation::Location(vec![path]));
                }
                if self.at(Kind::Star) {
                    // PostgreSQL's `t *` includes inheritance children.
                    self.pos += 1;
                }
                Ok(Relation::Table(name))
            }
            Kind::Op if self.text(token).starts_with('@') => self.stage_relation(),
            _ => Err(self.unexpected("a table, subquery or table function")),
        }
    }

    /// A Snowflake stage queried directly, `@stage/path [(FILE_FORMAT => 'f', PATTERN => '…')]`.
    fn stage_relation(&mut self) -> PResult<Relation<'a>> {
        let relation = self
            .location()?
            .map_or(Relation::Function(Expr::default()), |l| {
                Relation::Location(vec![l])
            });
        if self.at(Kind::LParen) && self.peek_at(2).kind == Kind::Arrow {
            self.skip_group()?;
        }
        Ok(relation)
    }

    /// DuckDB's `read_csv('x.csv')`, `read_parquet(['a', 'b'])` and their kin, Databricks'
    /// `read_files('s3://…')`: the files read, when the first argument names them.
    fn file_function(&self, function: &str) -> Vec<Location<'a>> {
        const READERS: &[&str] = &[
            "PARQUET_SCAN",
            "READ_CSV",
            "READ_CSV_AUTO",
            "READ_FILES",
            "READ_JSON",
            "READ_JSON_AUTO",
            "READ_NDJSON",
            "READ_PARQUET",
        ];
        if !READERS.iter().any(|r| r.eq_ignore_ascii_case(function)) {
            return Vec::new();
        }
        let first = self.peek_at(1);
        if first.kind == Kind::Str {
            return vec![Location::Path(self.string_value(first))];
        }
        if first.kind != Kind::LBracket {
            return Vec::new();
        }
        let mut paths = Vec::new();
        for ahead in 2.. {
            let token = self.peek_at(ahead);
            match token.kind {
                Kind::Str => paths.push(Location::Path(self.string_value(token))),
                Kind::Comma => {}
                _ => break,
            }
        }
        paths
    }

    /// Time travel, sampling and `WITH ORDINALITY` between a relation and its alias.
    fn table_modifiers(&mut self, condition: &mut Expr<'a>) -> PResult<()> {
        loop {
            let kw = self.peek().kw;
            match kw {
                Kw::AT | Kw::BEFORE | Kw::CHANGES if self.peek_at(1).kind == Kind::LParen => {
                    self.pos += 1;
                    self.skip_group()?;
                }
                Kw::FOR if self.at_word_at(1, "SYSTEM_TIME") || self.at_word_at(1, "SYSTEM") => {
                    self.pos += 1;
                    while !self.at_kw(Kw::OF) && !self.at(Kind::Eof) {
                        self.pos += 1;
                    }
                    self.pos += 1;
                    self.expr(condition)?;
                }
                _ if (self.at_word("TIMESTAMP") || self.at_word("VERSION"))
                    && self.kw_at(1) == Kw::AS
                    && self.kw_at(2) == Kw::OF =>
                {
                    self.pos += 3;
                    self.expr(condition)?;
                }
                Kw::TABLESAMPLE | Kw::SAMPLE => self.sample()?,
                Kw::WITH if self.kw_at(1) == Kw::ORDINALITY => self.pos += 2,
                _ => return Ok(()),
            }
        }
    }

    /// `TABLESAMPLE [method] (n) [REPEATABLE (seed)]`, Snowflake's `SAMPLE (n ROWS)`.
    fn sample(&mut self) -> PResult<()> {
        self.pos += 1;
        if self.at_ident() && self.peek_at(1).kind == Kind::LParen {
            self.pos += 1;
        }
        if self.at(Kind::LParen) {
            self.skip_group()?;
        }
        if (self.eat_word("REPEATABLE") || self.eat_word("SEED")) && self.at(Kind::LParen) {
            self.skip_group()?;
        }
        Ok(())
    }

    /// `[AS] alias [(c1, c2)]`.
    pub(super) fn table_alias(&mut self) -> PResult<Option<Alias<'a>>> {
        let Some(name) = self.alias_name()? else {
            return Ok(None);
        };
        let columns = if self.at(Kind::LParen) && !self.query_follows_paren() {
            self.ident_list()?
        } else {
            Vec::new()
        };
        Ok(Some(Alias { name, columns }))
    }

    /// PIVOT/UNPIVOT, MATCH_RECOGNIZE and BigQuery's `WITH OFFSET [AS o]` after an alias.
    fn after_alias(
        &mut self,
        condition: &mut Expr<'a>,
        alias: &mut Option<Alias<'a>>,
    ) -> PResult<()> {
        loop {
            match self.peek().kw {
                Kw::PIVOT | Kw::UNPIVOT => {
                    self.pos += 1;
                    self.pivot(condition)?;
                    if let Some(renamed) = self.table_alias()? {
                        *alias = Some(renamed);
                    }
                }
                Kw::MATCH_RECOGNIZE => {
                    self.pos += 1;
                    self.skip_group()?;
                    self.table_alias()?;
                }
                Kw::WITH if self.kw_at(1) == Kw::OFFSET => {
                    self.pos += 2;
                    self.alias_name()?;
                }
                // Redshift's `x.items AS item AT position`.
                Kw::AT if matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) => {
                    self.pos += 2;
                }
                _ => return Ok(()),
            }
        }
    }

    /// `PIVOT (agg(x) [AS a], … FOR col IN (v [AS a], …))` and UNPIVOT's
    /// `[INCLUDE|EXCLUDE NULLS] (value FOR name IN (col [AS a], …))`: keeps the columns it mentions.
    fn pivot(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        if self.eat_word("INCLUDE") || self.eat_word("EXCLUDE") {
            self.expect_kw(Kw::NULLS, "NULLS after INCLUDE/EXCLUDE")?;
        }
        self.expect(Kind::LParen, "`(` after PIVOT")?;
        self.pivot_items(out, Kw::FOR)?;
        self.expect_kw(Kw::FOR, "FOR in PIVOT")?;
        self.pivot_items(out, Kw::IN)?;
        self.expect_kw(Kw::IN, "IN in PIVOT")?;
        self.expect(Kind::LParen, "`(` after IN")?;
        if matches!(self.peek().kw, Kw::ANY | Kw::SELECT | Kw::WITH) {
            // Snowflake's `IN (ANY [ORDER BY …])` or `IN (SELECT …)`: values come from the data.
            self.skip_to_close()?;
        } else {
            self.pivot_items(out, Kw::None)?;
        }
        self.expect(Kind::RParen, "`)` closing IN")?;
        // Snowflake's `DEFAULT ON NULL (value)`.
        if self.eat_kw(Kw::DEFAULT) {
            self.pos += 2;
            self.skip_group()?;
        }
        self.expect(Kind::RParen, "`)` closing PIVOT")
    }

    /// `item [[AS] alias], …` up to `stop` or `)`; a parenthesised item is a tuple of columns.
    fn pivot_items(&mut self, out: &mut Expr<'a>, stop: Kw) -> PResult<()> {
        loop {
            if self.at(Kind::LParen) && !self.query_follows_paren() {
                self.pos += 1;
                self.pivot_items(out, Kw::None)?;
                self.expect(Kind::RParen, "`)` closing the column tuple")?;
            } else if stop == Kw::IN {
                // The FOR column: a full expression would swallow `IN (…)` as a predicate.
                self.operand(out)?;
            } else {
                self.expr(out)?;
            }
            let token = self.peek();
            let bare_alias = match token.kind {
                Kind::Quoted | Kind::Str => true,
                Kind::Word => token.kw == Kw::None,
                _ => false,
            };
            if self.eat_kw(Kw::AS) || bare_alias {
                self.advance();
            }
            if !self.eat(Kind::Comma) {
                return Ok(());
            }
        }
    }
}

/// Databricks' ``parquet.`s3://bucket/dir` ``: a file format and a quoted path read as a table.
fn file_table<'a>(name: &Name<'a>) -> Option<Location<'a>> {
    const FORMATS: &[&str] = &[
        "avro",
        "binaryFile",
        "csv",
        "delta",
        "json",
        "orc",
        "parquet",
        "text",
    ];
    let [format, path] = name.as_slice() else {
        return None;
    };
    let is_format = !format.quoted && FORMATS.iter().any(|f| f.eq_ignore_ascii_case(&format.text));
    let is_path = path.quoted && (path.text.contains('/') || path.text.contains(':'));
    (is_format && is_path).then(|| Location::Path(path.text.clone()))
}
