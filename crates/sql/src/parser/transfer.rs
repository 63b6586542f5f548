//! Rows moved in or out of the warehouse: COPY in both directions, Redshift's UNLOAD,
//! BigQuery's EXPORT DATA and LOAD DATA, Snowflake's PUT and GET, Databricks' INSERT
//! OVERWRITE DIRECTORY. Stages and paths are lineage endpoints of their own (`stage:`,
//! `path:`).

use super::{PResult, Parser};
use crate::ast::{Endpoint, Ident, Location, Statement};
use crate::keywords::Kw;
use crate::lexer::Kind;
use std::borrow::Cow;

impl<'a> Parser<'a> {
    /// A stage or a quoted path at the cursor, if there is one.
    pub(super) fn location(&mut self) -> PResult<Option<Location<'a>>> {
        let token = self.peek();
        match token.kind {
            Kind::Str => {
                self.pos += 1;
                Ok(Some(Location::Path(self.string_value(token))))
            }
            Kind::Param if self.text(token).starts_with('@') => self.stage().map(Some),
            Kind::Op if self.stage_op() => self.stage().map(Some),
            _ => Ok(None),
        }
    }

    /// `@name`, `@db.schema.name/path/`, `@"quoted"`, `@~` (the user's stage), `@%t` (a
    /// table's stage). The path after the name is not part of the stage's identity.
    fn stage(&mut self) -> PResult<Location<'a>> {
        let token = self.advance();
        let text = self.text(token);
        let name = if token.kind == Kind::Param {
            let mut name = vec![Ident {
                text: Cow::Borrowed(&text[1..]),
                quoted: false,
            }];
            while self.at(Kind::Dot) && matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) {
                self.pos += 1;
                name.push(self.ident()?);
            }
            name
        } else if text.starts_with("@~") {
            vec![marker("~")]
        } else {
            let mut name = self.object_name()?;
            if text.starts_with("@%") {
                name.insert(0, marker("%"));
            }
            name
        };
        let end = self.tokens[self.pos - 1].end;
        self.skip_path(end);
        Ok(Location::Stage(name))
    }

    /// `@~`, `@%table` or `@"quoted"` at the cursor (the lexer leaves their `@` an operator).
    fn stage_op(&self) -> bool {
        let (at, next) = (self.peek(), self.peek_at(1));
        let text = self.text(at);
        text.starts_with("@~")
            || (text == "@%" && at.end == next.start && self.at_ident_at(1))
            || (text == "@" && at.end == next.start && next.kind == Kind::Quoted)
    }

    /// `/dir/file.csv` right after a stage name, written without spaces.
    fn skip_path(&mut self, mut end: u32) {
        loop {
            let token = self.peek();
            let joined = token.start == end
                && matches!(
                    token.kind,
                    Kind::Op | Kind::Word | Kind::Number | Kind::Dot | Kind::Quoted
                );
            if !joined {
                return;
            }
            end = token.end;
            self.pos += 1;
        }
    }

    /// One end of a COPY: a table, `(query)`, a stage or path, or STDIN/STDOUT/PROGRAM.
    fn endpoint(&mut self) -> PResult<Endpoint<'a>> {
        if let Some(location) = self.location()? {
            return Ok(Endpoint::Location(location));
        }
        if self.at(Kind::LParen) {
            self.pos += 1;
            let query = self.query()?;
            self.expect(Kind::RParen, "`)` closing the query")?;
            return Ok(Endpoint::Query(Box::new(query)));
        }
        if self.at_word("STDIN") || self.at_word("STDOUT") {
            self.pos += 1;
            return Ok(Endpoint::None);
        }
        if self.at_word("PROGRAM") {
            self.pos += 2;
            return Ok(Endpoint::None);
        }
        if self.eat_word("LOCAL") {
            // Redshift/PostgreSQL client files: not a place the warehouse names.
            self.advance();
            return Ok(Endpoint::None);
        }
        let table = self.object_name()?;
        if self.at(Kind::LParen) && !self.query_follows_paren() {
            self.skip_group()?;
        }
        Ok(Endpoint::Table(table))
    }

    /// `COPY [INTO] a [(cols)] FROM b` (into a table) and `COPY [INTO] a FROM b` / `COPY a TO
    /// b` out of one, whatever the ends are.
    pub(super) fn copy(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        self.eat_kw(Kw::INTO);
        let first = self.endpoint()?;
        let (from, to) = if self.eat_kw(Kw::FROM) {
            (self.endpoint()?, first)
        } else if self.eat_kw(Kw::TO) {
            (first, self.endpoint()?)
        } else {
            return Err(self.unexpected("FROM or TO in COPY"));
        };
        self.skip_statement();
        Ok(Statement::Copy {
            kind: "copy",
            from,
            to,
        })
    }

    /// Redshift's `UNLOAD ('select …') TO 's3://…' …`: the query is a string, read as SQL.
    pub(super) fn unload(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        self.expect(Kind::LParen, "`(` after UNLOAD")?;
        let token = self.peek();
        if token.kind != Kind::Str {
            return Err(self.unexpected("the query, as a string"));
        }
        self.pos += 1;
        let sql = self.string_value(token).into_owned();
        self.expect(Kind::RParen, "`)` after the query")?;
        self.expect_kw(Kw::TO, "TO in UNLOAD")?;
        let to = self.endpoint()?;
        self.skip_statement();
        Ok(Statement::Copy {
            kind: "unload",
            from: Endpoint::Text(sql),
            to,
        })
    }

    /// BigQuery's `EXPORT DATA [WITH CONNECTION c] OPTIONS (uri = '…', …) AS query`.
    pub(super) fn export_data(&mut self) -> PResult<Statement<'a>> {
        self.pos += 2;
        if self.at_kw(Kw::WITH) && self.at_word_at(1, "CONNECTION") {
            self.pos += 2;
            self.object_name()?;
        }
        let mut uris = Vec::new();
        if self.eat_word("OPTIONS") {
            self.options_uris(&mut uris)?;
        }
        self.expect_kw(Kw::AS, "AS before the query of EXPORT DATA")?;
        let query = self.query()?;
        Ok(Statement::Copy {
            kind: "export",
            from: Endpoint::Query(Box::new(query)),
            to: many(uris),
        })
    }

    /// BigQuery's `LOAD DATA [OVERWRITE|INTO] t [(cols)] … FROM FILES (uris = […], …)`.
    pub(super) fn load_data(&mut self) -> PResult<Statement<'a>> {
        self.pos += 2;
        let _ = self.eat_kw(Kw::OVERWRITE) || self.eat_kw(Kw::INTO);
        self.eat_word("TEMP");
        let table = self.object_name()?;
        let mut uris = Vec::new();
        while !self.at(Kind::Semicolon) && !self.at(Kind::Eof) {
            if self.eat_word("FILES") {
                self.options_uris(&mut uris)?;
            } else if self.at(Kind::LParen) {
                self.skip_group()?;
            } else {
                self.pos += 1;
            }
        }
        Ok(Statement::Copy {
            kind: "load",
            from: many(uris),
            to: Endpoint::Table(table),
        })
    }

    /// The strings of `uri = '…'` and `uris = ['…', …]` in an option list `( … )`.
    fn options_uris(&mut self, uris: &mut Vec<Location<'a>>) -> PResult<()> {
        self.expect(Kind::LParen, "`(` opening the options")?;
        let mut depth = 1;
        while depth > 0 {
            let token = self.advance();
            match token.kind {
                Kind::LParen | Kind::LBracket => depth += 1,
                Kind::RParen | Kind::RBracket => depth -= 1,
                Kind::Eof => return Err(self.unexpected("`)` closing the options")),
                Kind::Word
                    if self.text(token).eq_ignore_ascii_case("uri")
                        || self.text(token).eq_ignore_ascii_case("uris") =>
                {
                    self.eat(Kind::Eq);
                    self.eat(Kind::LBracket).then(|| depth += 1);
                    while self.at(Kind::Str) {
                        let value = self.advance();
                        uris.push(Location::Path(self.string_value(value)));
                        self.eat(Kind::Comma);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Snowflake's `PUT 'file://…' @stage`: a client file into a stage.
    pub(super) fn put(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let from = self.endpoint_or_file()?;
        let to = self.endpoint()?;
        self.skip_statement();
        Ok(Statement::Copy {
            kind: "put",
            from,
            to,
        })
    }

    /// Snowflake's `GET @stage 'file://…'`: a stage's files to the client.
    pub(super) fn get(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let from = self.endpoint()?;
        let to = self.endpoint_or_file()?;
        self.skip_statement();
        Ok(Statement::Copy {
            kind: "get",
            from,
            to,
        })
    }

    /// An unquoted `file:///tmp/x.csv` (PUT and GET allow it) or any endpoint.
    fn endpoint_or_file(&mut self) -> PResult<Endpoint<'a>> {
        if self.at_word("file") && self.peek_at(1).kind == Kind::Colon {
            let start = self.peek().start as usize;
            let mut end = self.peek().end;
            self.pos += 1;
            while self.peek().start == end && !self.at(Kind::Eof) {
                end = self.peek().end;
                self.pos += 1;
            }
            let path = Cow::Borrowed(&self.sql[start..end as usize]);
            return Ok(Endpoint::Location(Location::Path(path)));
        }
        self.endpoint()
    }

    /// `INSERT OVERWRITE [LOCAL] DIRECTORY` follows.
    pub(super) fn insert_directory_follows(&self) -> bool {
        self.kw_at(1) == Kw::OVERWRITE
            && (self.at_word_at(2, "DIRECTORY")
                || (self.at_word_at(2, "LOCAL") && self.at_word_at(3, "DIRECTORY")))
    }

    /// Databricks' `INSERT OVERWRITE [LOCAL] DIRECTORY 'path' [USING fmt] [OPTIONS (…)] query`.
    pub(super) fn insert_directory(&mut self) -> PResult<Statement<'a>> {
        self.pos += 2;
        let local = self.eat_word("LOCAL");
        self.eat_word("DIRECTORY");
        let mut to = match self.location()? {
            Some(location) if !local => Endpoint::Location(location),
            _ => Endpoint::None,
        };
        loop {
            if self.eat_kw(Kw::USING) {
                self.ident()?;
            } else if self.eat_word("OPTIONS") {
                let mut uris = Vec::new();
                self.options_path(&mut uris)?;
                if let (Endpoint::None, Some(path)) = (&to, uris.pop()) {
                    to = Endpoint::Location(path);
                }
            } else if self.at_word("ROW") || self.at_word("STORED") {
                while !(self.at_kw(Kw::SELECT) || self.at_kw(Kw::WITH) || self.at(Kind::Eof)) {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
        let query = self.query()?;
        Ok(Statement::Copy {
            kind: "insert_directory",
            from: Endpoint::Query(Box::new(query)),
            to,
        })
    }

    /// `OPTIONS (path 's3://…', …)` or `OPTIONS ('path' = 's3://…')`: the path option.
    fn options_path(&mut self, paths: &mut Vec<Location<'a>>) -> PResult<()> {
        self.expect(Kind::LParen, "`(` opening the options")?;
        while !self.eat(Kind::RParen) {
            let token = self.advance();
            match token.kind {
                Kind::Eof => return Err(self.unexpected("`)` closing the options")),
                Kind::Word | Kind::Str
                    if self.string_value(token).eq_ignore_ascii_case("path")
                        || self.text(token).eq_ignore_ascii_case("path") =>
                {
                    self.eat(Kind::Eq);
                    if self.at(Kind::Str) {
                        let value = self.advance();
                        paths.push(Location::Path(self.string_value(value)));
                    }
                }
                Kind::LParen => {
                    self.pos -= 1;
                    self.skip_group()?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `~` or `%`: stage names that are not identifiers.
fn marker(text: &'static str) -> Ident<'static> {
    Ident {
        text: Cow::Borrowed(text),
        quoted: true,
    }
}

/// One location as an endpoint, several as a list of them.
fn many(mut uris: Vec<Location<'_>>) -> Endpoint<'_> {
    match uris.len() {
        0 => Endpoint::None,
        1 => Endpoint::Location(uris.remove(0)),
        _ => Endpoint::Locations(uris),
    }
}
