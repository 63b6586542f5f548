//! A recursive-descent parser that keeps what lineage needs and skips the rest.
//!
//! It understands the statement, query and FROM grammar of each dialect fully and
//! expressions only as far as telling column references from function names, types, date
//! parts and literals. Nesting is bounded so hostile input cannot exhaust the stack, and
//! every loop consumes a token, so work is linear in the input.

mod ddl;
mod expr;
mod query;
mod script;
mod statement;
mod transfer;

use crate::ast::{Ident, Name, Statement};
use crate::dialect::Dialect;
use crate::keywords::Kw;
use crate::lexer::{Kind, Token};
use crate::SqlError;
use std::borrow::Cow;

/// How deep subqueries, parentheses and expressions may nest.
const MAX_DEPTH: u32 = 120;

/// One statement of a text: where it starts and what it parsed to.
pub(crate) struct Parsed<'a> {
    pub start: usize,
    pub statement: Result<Statement<'a>, SqlError>,
}

/// Parses every `;`-separated statement in `tokens`; a statement that fails to parse does
/// not stop the ones after it.
pub(crate) fn parse<'a>(sql: &'a str, tokens: &'a [Token], dialect: Dialect) -> Vec<Parsed<'a>> {
    let mut parser = Parser {
        sql,
        tokens,
        pos: 0,
        dialect,
        depth: 0,
    };
    let mut out = Vec::new();
    loop {
        while parser.eat(Kind::Semicolon) {}
        if parser.at(Kind::Eof) {
            return out;
        }
        let start = parser.peek().start as usize;
        let statement = parser.statement_to_end();
        if statement.is_err() {
            parser.skip_statement();
        }
        out.push(Parsed { start, statement });
    }
}

pub(crate) struct Parser<'a> {
    sql: &'a str,
    tokens: &'a [Token],
    pos: usize,
    dialect: Dialect,
    depth: u32,
}

type PResult<T> = Result<T, SqlError>;

impl<'a> Parser<'a> {
    fn statement_to_end(&mut self) -> PResult<Statement<'a>> {
        let statement = self.statement()?;
        if self.at(Kind::Semicolon) || self.at(Kind::Eof) {
            Ok(statement)
        } else {
            Err(self.unexpected("end of statement"))
        }
    }

    /// After an error, moves past the next `;` outside parentheses.
    fn skip_statement(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek().kind {
                Kind::Eof => return,
                Kind::LParen => depth += 1,
                Kind::RParen => depth -= 1,
                Kind::Semicolon if depth <= 0 => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    // --- the cursor -------------------------------------------------------------------

    fn peek(&self) -> Token {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Token {
        let last = self.tokens.len() - 1;
        self.tokens[(self.pos + ahead).min(last)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek();
        if token.kind != Kind::Eof {
            self.pos += 1;
        }
        token
    }

    fn at(&self, kind: Kind) -> bool {
        self.peek().kind == kind
    }

    fn at_kw(&self, kw: Kw) -> bool {
        self.peek().kw == kw
    }

    fn kw_at(&self, ahead: usize) -> Kw {
        self.peek_at(ahead).kw
    }

    fn eat(&mut self, kind: Kind) -> bool {
        let hit = self.at(kind);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn eat_kw(&mut self, kw: Kw) -> bool {
        let hit = self.at_kw(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, kind: Kind, what: &str) -> PResult<()> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_kw(&mut self, kw: Kw, what: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn text(&self, token: Token) -> &'a str {
        &self.sql[token.start as usize..token.end as usize]
    }

    /// Whether the current token is the word `word` (for words that are not keywords).
    fn at_word(&self, word: &str) -> bool {
        let token = self.peek();
        token.kind == Kind::Word && self.text(token).eq_ignore_ascii_case(word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let hit = self.at_word(word);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn unexpected(&self, expected: &str) -> SqlError {
        let token = self.peek();
        let found = match token.kind {
            Kind::Eof => "end of input".to_string(),
            Kind::Str => "a string".to_string(),
            _ => {
                let text = self.text(token);
                let shown: String = text.chars().take(40).collect();
                format!("{shown:?}")
            }
        };
        SqlError::at(
            token.start as usize,
            format!("expected {expected}, found {found}"),
        )
    }

    /// Runs `f` one nesting level deeper, failing past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return Err(SqlError::at(
                self.peek().start as usize,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// Skips a balanced `( … )`, `[ … ]` or `{ … }` group starting at the current token.
    fn skip_group(&mut self) -> PResult<()> {
        let open = self.peek();
        let mut depth = 0i32;
        loop {
            match self.advance().kind {
                Kind::LParen | Kind::LBracket | Kind::LBrace => depth += 1,
                Kind::RParen | Kind::RBracket | Kind::RBrace => depth -= 1,
                Kind::Eof => {
                    return Err(SqlError::at(
                        open.start as usize,
                        "unbalanced parenthesis: no matching close",
                    ))
                }
                _ => {}
            }
            if depth <= 0 {
                return Ok(());
            }
        }
    }

    // --- names ------------------------------------------------------------------------

    fn at_ident(&self) -> bool {
        matches!(self.peek().kind, Kind::Word | Kind::Quoted)
    }

    /// One identifier, quoted or not.
    fn ident(&mut self) -> PResult<Ident<'a>> {
        let token = self.peek();
        match token.kind {
            Kind::Word => {
                self.pos += 1;
                Ok(Ident {
                    text: Cow::Borrowed(self.text(token)),
                    quoted: false,
                })
            }
            Kind::Quoted => {
                self.pos += 1;
                Ok(unquote(self.text(token)))
            }
            _ => Err(self.unexpected("an identifier")),
        }
    }

    /// A dotted object name, splitting BigQuery's `` `project.dataset.table` `` and joining
    /// its unquoted `my-project` ids.
    fn object_name(&mut self) -> PResult<Name<'a>> {
        if self.at_kw(Kw::IDENTIFIER) && self.peek_at(1).kind == Kind::LParen {
            return self.identifier_function();
        }
        let mut name = Vec::with_capacity(3);
        loop {
            self.name_part(&mut name)?;
            if self.at(Kind::Dot) && matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) {
                self.pos += 1;
            } else if self.at(Kind::Dot) && self.peek_at(1).kind == Kind::Dot {
                // Snowflake's `db..table` means the PUBLIC schema.
                self.pos += 2;
                name.push(Ident {
                    text: Cow::Borrowed("PUBLIC"),
                    quoted: false,
                });
            } else {
                return Ok(name);
            }
        }
    }

    fn name_part(&mut self, name: &mut Name<'a>) -> PResult<()> {
        let token = self.peek();
        if token.kind == Kind::Quoted && self.dialect == Dialect::BigQuery {
            self.pos += 1;
            let ident = unquote(self.text(token));
            if ident.text.contains('.') {
                name.extend(ident.text.split('.').map(|part| Ident {
                    text: Cow::Owned(part.to_string()),
                    quoted: true,
                }));
            } else {
                name.push(ident);
            }
            return Ok(());
        }
        if token.kind == Kind::Word && self.dialect.dashed_names() && self.dash_follows() {
            name.push(self.dashed_word());
            return Ok(());
        }
        name.push(self.ident()?);
        Ok(())
    }

    /// `word-word…` with no spaces, as in BigQuery project ids.
    fn dash_follows(&self) -> bool {
        let (word, dash, next) = (self.peek(), self.peek_at(1), self.peek_at(2));
        dash.kind == Kind::Op
            && self.text(dash) == "-"
            && word.end == dash.start
            && dash.end == next.start
            && matches!(next.kind, Kind::Word | Kind::Number)
    }

    fn dashed_word(&mut self) -> Ident<'a> {
        let start = self.peek().start as usize;
        self.pos += 1;
        while self.peek().kind == Kind::Op
            && self.text(self.peek()) == "-"
            && self.peek().start == self.tokens[self.pos - 1].end
            && matches!(self.peek_at(1).kind, Kind::Word | Kind::Number)
            && self.peek_at(1).start == self.peek().end
        {
            self.pos += 2;
        }
        let end = self.tokens[self.pos - 1].end as usize;
        Ident {
            text: Cow::Borrowed(&self.sql[start..end]),
            quoted: false,
        }
    }

    /// `IDENTIFIER('db.schema.table')`, `IDENTIFIER(name)`, strings joined with `||`
    /// (Databricks), and the placeholders `IDENTIFIER($var)`, `IDENTIFIER(:bind)`,
    /// `IDENTIFIER(?)` and Databricks' `IDENTIFIER(var)`, kept as written for the resolver
    /// to fill in from a variable set earlier in the text.
    fn identifier_function(&mut self) -> PResult<Name<'a>> {
        self.pos += 2;
        let bare_variables = self.dialect == crate::dialect::Dialect::Databricks;
        let name = if matches!(self.peek().kind, Kind::Word | Kind::Quoted) && !bare_variables {
            self.object_name()?
        } else {
            self.identifier_expression()?
        };
        self.expect(Kind::RParen, "`)` closing IDENTIFIER( or TABLE(")?;
        Ok(name)
    }

    /// Strings joined with `||` spell the name; with a variable or bind among them the name is
    /// only known at run time: a placeholder.
    fn identifier_expression(&mut self) -> PResult<Name<'a>> {
        let start = self.peek().start as usize;
        let mut spelled = Some(String::new());
        loop {
            let token = self.peek();
            match token.kind {
                Kind::Str => {
                    let piece = self.string_value(token);
                    if let Some(text) = &mut spelled {
                        text.push_str(&piece);
                    }
                    self.pos += 1;
                }
                Kind::Colon if self.peek_at(1).kind == Kind::Word => {
                    spelled = None;
                    self.pos += 2;
                }
                Kind::Word | Kind::Quoted if !self.at_op_at(1, "||") => {
                    // Databricks' session or script variable, by its bare name: `$` marks it
                    // as one, as Snowflake writes its variables.
                    self.pos += 1;
                    self.expect(Kind::RParen, "`)` closing IDENTIFIER( or TABLE(")?;
                    self.pos -= 1;
                    let word = self.text(token).trim_matches('`');
                    return Ok(vec![Ident {
                        text: Cow::Owned(format!("${word}")),
                        quoted: true,
                    }]);
                }
                Kind::Param | Kind::Op | Kind::Word | Kind::Quoted => {
                    spelled = None;
                    self.pos += 1;
                }
                _ => return Err(self.unexpected("a name, a string or a variable in IDENTIFIER(")),
            }
            if !self.at_op_at(0, "||") {
                break;
            }
            self.pos += 1;
        }
        let end = self.tokens[self.pos - 1].end as usize;
        Ok(match spelled {
            Some(text) => split_name_string(&text)
                .into_iter()
                .map(|part| Ident {
                    text: Cow::Owned(part.text.into_owned()),
                    quoted: part.quoted,
                })
                .collect(),
            None => vec![placeholder(&self.sql[start..end])],
        })
    }

    /// `(a, b, c)`.
    fn ident_list(&mut self) -> PResult<Vec<Ident<'a>>> {
        self.expect(Kind::LParen, "`(`")?;
        let mut idents = Vec::new();
        loop {
            idents.push(self.ident()?);
            // Column definitions carry types and constraints: skip to the next comma.
            self.skip_to_list_separator()?;
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        self.expect(Kind::RParen, "`)`")?;
        Ok(idents)
    }

    /// Skips tokens up to the next `,` or `)` at this level.
    fn skip_to_list_separator(&mut self) -> PResult<()> {
        loop {
            match self.peek().kind {
                Kind::Comma | Kind::RParen => return Ok(()),
                Kind::Eof | Kind::Semicolon => return Err(self.unexpected("`)`")),
                Kind::LParen | Kind::LBracket | Kind::LBrace => self.skip_group()?,
                _ => self.pos += 1,
            }
        }
    }
}

/// A placeholder name part: kept verbatim (quoted, so never folded).
fn placeholder(text: &str) -> Ident<'_> {
    Ident {
        text: Cow::Borrowed(text),
        quoted: true,
    }
}

/// Removes the quotes around `"x"` or `` `x` `` and undoubles inner quotes.
fn unquote(text: &str) -> Ident<'_> {
    let quote = text.as_bytes()[0] as char;
    let inner = &text[1..text.len() - 1];
    let doubled: &str = if quote == '"' { "\"\"" } else { "``" };
    let text = if inner.contains(doubled) {
        Cow::Owned(inner.replace(doubled, &doubled[..1]))
    } else {
        Cow::Borrowed(inner)
    };
    Ident { text, quoted: true }
}

/// Splits `db.schema."Table"` written inside a string into name parts.
pub(crate) fn split_name_string(text: &str) -> Name<'_> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (part, tail) = if let Some(quoted) = rest.strip_prefix('"') {
            let close = quoted.find('"').unwrap_or(quoted.len());
            let part = Ident {
                text: Cow::Borrowed(&quoted[..close]),
                quoted: true,
            };
            (part, quoted.get(close + 1..).unwrap_or(""))
        } else {
            let dot = rest.find('.').unwrap_or(rest.len());
            let part = Ident {
                text: Cow::Borrowed(rest[..dot].trim()),
                quoted: false,
            };
            (part, &rest[dot..])
        };
        parts.push(part);
        rest = tail.strip_prefix('.').unwrap_or(tail).trim_start();
        if !tail.starts_with('.') && !tail.is_empty() {
            break;
        }
    }
    parts
}

pub(crate) use statement::{statement_kind, without_lineage};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_strings_split_on_dots_outside_quotes() {
        let parts: Vec<_> = split_name_string("db.\"My.Schema\".t")
            .into_iter()
            .map(|i| (i.text.into_owned(), i.quoted))
            .collect();
        assert_eq!(
            parts,
            [
                ("db".to_string(), false),
                ("My.Schema".to_string(), true),
                ("t".to_string(), false)
            ]
        );
    }
}
