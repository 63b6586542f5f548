//! Scripting: BigQuery's and Snowflake's (and Databricks') blocks, variables, conditions,
//! loops and procedures. What lineage needs is the statements inside, in order, the
//! subqueries of their conditions, and procedure bodies for a later `CALL`.

use super::{PResult, Parser};
use crate::ast::{Expr, Statement};
use crate::dialect::Dialect;
use crate::keywords::Kw;
use crate::lexer::Kind;

impl<'a> Parser<'a> {
    pub(super) fn dialect_has_scripting(&self) -> bool {
        matches!(
            self.dialect,
            Dialect::BigQuery | Dialect::Snowflake | Dialect::Databricks
        )
    }

    /// `BEGIN [TRANSACTION|WORK]` starts a transaction; in a scripting dialect a `BEGIN`
    /// followed by statements is a block up to its `END`.
    pub(super) fn begin(&mut self) -> PResult<Statement<'a>> {
        let next = self.peek_at(1);
        let transaction = matches!(next.kind, Kind::Semicolon | Kind::Eof)
            || ["TRANSACTION", "WORK", "TRAN", "ISOLATION", "READ", "NAME"]
                .iter()
                .any(|w| self.at_word_at(1, w));
        if transaction || !self.dialect_has_scripting() {
            return self.no_lineage("transaction");
        }
        self.pos += 1;
        self.block_body("block")
    }

    /// Statements up to `END [word]`, with an optional `EXCEPTION WHEN … THEN …` part.
    fn block_body(&mut self, kind: &'static str) -> PResult<Statement<'a>> {
        let mut statements = self.statements_until(&[Kw::END])?;
        if self.eat_word("EXCEPTION") {
            while self.eat_kw(Kw::WHEN) {
                while !self.eat_kw(Kw::THEN) {
                    if self.at(Kind::Eof) {
                        return Err(self.unexpected("THEN"));
                    }
                    self.pos += 1;
                }
                statements.extend(self.statements_until(&[Kw::END, Kw::WHEN])?);
            }
        }
        self.expect_kw(Kw::END, "END closing the block")?;
        Ok(Statement::Block {
            kind,
            statements,
            conditions: Expr::default(),
        })
    }

    /// `;`-separated statements until one of `ends` (or EXCEPTION), which is left unread.
    fn statements_until(&mut self, ends: &[Kw]) -> PResult<Vec<Statement<'a>>> {
        let mut statements = Vec::new();
        loop {
            while self.eat(Kind::Semicolon) {}
            let kw = self.peek().kw;
            let stop = ["EXCEPTION", "ELSEIF", "UNTIL"]
                .iter()
                .any(|w| self.at_word(w));
            if ends.contains(&kw) || stop {
                return Ok(statements);
            }
            if self.at(Kind::Eof) {
                return Err(self.unexpected("END"));
            }
            statements.push(self.statement()?);
            if !(self.eat(Kind::Semicolon) || ends.contains(&self.peek().kw)) {
                return Err(self.unexpected("`;` after the statement"));
            }
        }
    }

    /// `IF cond THEN … [ELSEIF cond THEN …] [ELSE …] END IF`.
    pub(super) fn if_block(&mut self) -> PResult<Statement<'a>> {
        if !self.dialect_has_scripting() {
            return Err(self.unknown_statement());
        }
        self.pos += 1;
        let mut conditions = Expr::default();
        let mut statements = Vec::new();
        loop {
            self.expr(&mut conditions)?;
            self.expect_kw(Kw::THEN, "THEN after the IF condition")?;
            statements.extend(self.statements_until(&[Kw::END, Kw::ELSE])?);
            if !self.eat_word("ELSEIF") {
                break;
            }
        }
        if self.eat_kw(Kw::ELSE) {
            statements.extend(self.statements_until(&[Kw::END])?);
        }
        self.expect_kw(Kw::END, "END IF")?;
        self.expect_kw(Kw::IF, "IF after END")?;
        Ok(Statement::Block {
            kind: "if",
            statements,
            conditions,
        })
    }

    /// `WHILE cond DO … END WHILE`, `LOOP … END LOOP`, `REPEAT … UNTIL cond END REPEAT`.
    pub(super) fn loop_block(&mut self) -> PResult<Statement<'a>> {
        let token = self.advance();
        let word = self.text(token).to_ascii_uppercase();
        let mut conditions = Expr::default();
        if word == "WHILE" {
            self.expr(&mut conditions)?;
            self.expect_kw(Kw::DO, "DO after the WHILE condition")?;
        }
        let statements = self.statements_until(&[Kw::END])?;
        if word == "REPEAT" && self.eat_word("UNTIL") {
            self.expr(&mut conditions)?;
        }
        self.expect_kw(Kw::END, "END closing the loop")?;
        self.advance();
        Ok(Statement::Block {
            kind: "loop",
            statements,
            conditions,
        })
    }

    /// `FOR x IN (query) DO … END FOR`, Snowflake's `FOR i IN 1 TO n DO … END FOR`.
    pub(super) fn for_block(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        self.ident()?;
        self.expect_kw(Kw::IN, "IN after the FOR variable")?;
        let mut conditions = Expr::default();
        self.eat_word("REVERSE");
        while !self.at_kw(Kw::DO) {
            if self.at(Kind::Eof) || self.at(Kind::Semicolon) {
                return Err(self.unexpected("DO"));
            }
            if self.at(Kind::LParen) && self.query_follows_paren() {
                self.pos += 1;
                conditions.subqueries.push(self.query()?);
                self.expect(Kind::RParen, "`)` closing the query")?;
            } else {
                self.pos += 1;
            }
        }
        self.pos += 1;
        let statements = self.statements_until(&[Kw::END])?;
        self.expect_kw(Kw::END, "END FOR")?;
        self.expect_kw(Kw::FOR, "FOR after END")?;
        Ok(Statement::Block {
            kind: "loop",
            statements,
            conditions,
        })
    }

    /// BigQuery's `DECLARE x [, y] [type] [DEFAULT expr]`; Snowflake's `DECLARE …; BEGIN …
    /// END`, whose declarations may hold cursors over queries.
    pub(super) fn declare(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let mut conditions = Expr::default();
        if self.dialect != Dialect::Snowflake {
            if let Some(variable) = self.declared_variable() {
                return Ok(variable);
            }
            self.declaration(&mut conditions)?;
            return Ok(Statement::Block {
                kind: "declare",
                statements: Vec::new(),
                conditions,
            });
        }
        while !self.at_kw(Kw::BEGIN) {
            if self.at(Kind::Eof) {
                return Err(self.unexpected("BEGIN after the declarations"));
            }
            self.declaration(&mut conditions)?;
            self.eat(Kind::Semicolon);
        }
        self.pos += 1;
        match self.block_body("block")? {
            Statement::Block { statements, .. } => Ok(Statement::Block {
                kind: "block",
                statements,
                conditions,
            }),
            other => Ok(other),
        }
    }

    /// `DECLARE [VARIABLE] name type DEFAULT 'text'` (Databricks, BigQuery): a variable whose
    /// value a later `IDENTIFIER(name)` may use.
    fn declared_variable(&mut self) -> Option<Statement<'a>> {
        let mut ahead = usize::from(self.at_word("VARIABLE") || self.at_word("VAR"));
        if self.peek_at(ahead).kind != Kind::Word || self.peek_at(ahead + 1).kind == Kind::Comma {
            return None;
        }
        let name = self.peek_at(ahead);
        while !matches!(self.peek_at(ahead).kind, Kind::Semicolon | Kind::Eof) {
            let token = self.peek_at(ahead);
            if token.kw == Kw::DEFAULT || self.text(token) == "=" {
                break;
            }
            ahead += 1;
        }
        let value = self.peek_at(ahead + 1);
        let ends = matches!(self.peek_at(ahead + 2).kind, Kind::Semicolon | Kind::Eof);
        if value.kind != Kind::Str || !ends {
            return None;
        }
        let statement = Statement::Variable {
            name: std::borrow::Cow::Borrowed(self.text(name)),
            value: Some(self.string_value(value)),
            reads: Expr::default(),
        };
        self.pos += ahead + 2;
        Some(statement)
    }

    /// One declaration: names, a type, and a default value or a cursor's query.
    fn declaration(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        loop {
            match self.peek().kind {
                Kind::Semicolon | Kind::Eof => return Ok(()),
                _ if self.at_kw(Kw::BEGIN) => return Ok(()),
                _ if self.at_kw(Kw::DEFAULT) || self.at_op_at(0, ":=") => {
                    self.pos += 1;
                    self.expr(out)?;
                }
                _ if self.at_kw(Kw::FOR) || self.at_kw(Kw::AS) => {
                    self.pos += 1;
                    if self.at_kw(Kw::SELECT) || self.at_kw(Kw::WITH) || self.at(Kind::LParen) {
                        out.subqueries.push(self.query()?);
                    }
                }
                Kind::LParen => self.skip_group()?,
                _ => self.pos += 1,
            }
        }
    }

    /// `CALL p(…)`.
    pub(super) fn call(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let name = self.object_name()?;
        if self.at(Kind::LParen) {
            self.skip_group()?;
        }
        Ok(Statement::Call(name))
    }

    /// `CREATE [OR REPLACE] PROCEDURE name (args) [OPTIONS (…)] BEGIN … END`; a body written
    /// as a string (Snowflake's `AS $$ … $$`) is read as SQL of its own.
    pub(super) fn procedure(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        self.if_not_exists_procedure()?;
        let name = self.object_name()?;
        loop {
            match self.peek().kind {
                Kind::Semicolon | Kind::Eof => {
                    return Ok(Statement::Procedure {
                        name,
                        body: Vec::new(),
                        text: None,
                    })
                }
                Kind::LParen => self.skip_group()?,
                _ if self.at_kw(Kw::BEGIN) => {
                    self.pos += 1;
                    // PostgreSQL's SQL-standard body, `BEGIN ATOMIC … END`.
                    self.eat_word("ATOMIC");
                    let Statement::Block { statements, .. } = self.block_body("block")? else {
                        unreachable!("a block body is a block");
                    };
                    return Ok(Statement::Procedure {
                        name,
                        body: statements,
                        text: None,
                    });
                }
                _ if self.at_kw(Kw::AS) && self.peek_at(1).kind == Kind::Str => {
                    let body = self.peek_at(1);
                    self.pos += 2;
                    let text = self.string_value(body).into_owned();
                    self.skip_statement();
                    return Ok(Statement::Procedure {
                        name,
                        body: Vec::new(),
                        text: Some(text),
                    });
                }
                _ => self.pos += 1,
            }
        }
    }

    fn if_not_exists_procedure(&mut self) -> PResult<()> {
        if self.at_kw(Kw::IF) {
            self.pos += 1;
            self.eat_kw(Kw::NOT);
            self.expect_kw(Kw::EXISTS, "EXISTS after IF [NOT]")?;
        }
        Ok(())
    }

    /// BigQuery's `ASSERT expr [AS 'message']`: its subqueries read.
    pub(super) fn assert(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let mut conditions = Expr::default();
        self.expr(&mut conditions)?;
        if self.eat_kw(Kw::AS) {
            self.advance();
        }
        Ok(Statement::Block {
            kind: "assert",
            statements: Vec::new(),
            conditions,
        })
    }
}
