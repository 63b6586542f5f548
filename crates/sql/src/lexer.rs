//! Splits SQL text into tokens without copying it.
//!
//! Comments and whitespace are dropped; a token keeps only its kind, keyword and byte span, so
//! lexing allocates one vector per statement text.

use crate::dialect::Dialect;
use crate::keywords::{self, Kw};
use crate::SqlError;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An unquoted word: identifier or keyword.
    Word,
    /// A quoted identifier (`"x"`, `` `x` ``).
    Quoted,
    /// A string literal of any flavour.
    Str,
    /// A numeric literal.
    Number,
    /// A bind parameter or variable: `$1`, `@p`, `$var`.
    Param,
    /// Any operator, such as `+`, `>=`, `->>`, `||`, `?`.
    Op,
    /// `=>`, for named arguments.
    Arrow,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Dot,
    Semicolon,
    Star,
    Colon,
    DoubleColon,
    Eq,
    /// End of input.
    Eof,
}

/// One token: a kind, the keyword it spells (if any) and where it sits in the text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: Kind,
    pub kw: Kw,
    pub start: u32,
    pub end: u32,
}

/// Tokenizes `sql`, appending an `Eof` token.
///
/// # Errors
/// An unterminated string, quoted identifier or comment, reported at the offset where it
/// starts.
pub(crate) fn tokenize(sql: &str, dialect: Dialect) -> Result<Vec<Token>, SqlError> {
    let mut lexer = Lexer {
        src: sql.as_bytes(),
        pos: 0,
        dialect,
        tokens: Vec::with_capacity(sql.len() / 5 + 2),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    dialect: Dialect,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), SqlError> {
        while self.skip_trivia()? {
            let start = self.pos;
            let kind = self.token()?;
            self.push(kind, start);
        }
        let end = self.src.len();
        self.push(Kind::Eof, end);
        Ok(())
    }

    fn push(&mut self, kind: Kind, start: usize) {
        let kw = if kind == Kind::Word {
            // Only ASCII words can be keywords; the slice is on a char boundary either way.
            std::str::from_utf8(&self.src[start..self.pos]).map_or(Kw::None, keywords::lookup)
        } else {
            Kw::None
        };
        self.tokens.push(Token {
            kind,
            kw,
            start: start as u32,
            end: self.pos as u32,
        });
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    /// Skips whitespace and comments; false at the end of input.
    fn skip_trivia(&mut self) -> Result<bool, SqlError> {
        loop {
            let c = self.peek(0);
            match c {
                0 if self.pos >= self.src.len() => return Ok(false),
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.pos += 1,
                b'-' if self.peek(1) == b'-' => self.skip_line(),
                b'#' if self.dialect.hash_comments() => self.skip_line(),
                b'/' if self.peek(1) == b'/' && self.dialect.slash_comments() => self.skip_line(),
                b'/' if self.peek(1) == b'*' => self.skip_block_comment()?,
                _ => return Ok(true),
            }
        }
    }

    fn skip_line(&mut self) {
        match self.src[self.pos..].iter().position(|&b| b == b'\n') {
            Some(n) => self.pos += n + 1,
            None => self.pos = self.src.len(),
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), SqlError> {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1usize;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (b'*', b'/') => {
                    depth -= 1;
                    self.pos += 2;
                }
                (b'/', b'*') if self.dialect.nested_comments() => {
                    depth += 1;
                    self.pos += 2;
                }
                _ if self.pos >= self.src.len() => {
                    return Err(SqlError::at(start, "unterminated /* comment"));
                }
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    fn token(&mut self) -> Result<Kind, SqlError> {
        let c = self.peek(0);
        let single = |lexer: &mut Self, kind| {
            lexer.pos += 1;
            Ok(kind)
        };
        match c {
            b'\'' => self.string(b'\'', self.dialect.backslash_escapes()),
            b'"' if self.dialect.double_quote_is_string() => self.string(b'"', true),
            b'"' => self.quoted(b'"'),
            b'`' if self.dialect.backtick_names() => self.quoted(b'`'),
            b'`' => Err(SqlError::at(
                self.pos,
                format!(
                    "backticks quote names in BigQuery and Databricks, not {}: quote with \"…\"",
                    self.dialect.as_str()
                ),
            )),
            b'(' => single(self, Kind::LParen),
            b')' => single(self, Kind::RParen),
            b'[' => single(self, Kind::LBracket),
            b']' => single(self, Kind::RBracket),
            b'{' => single(self, Kind::LBrace),
            b'}' => single(self, Kind::RBrace),
            b',' => single(self, Kind::Comma),
            b';' => single(self, Kind::Semicolon),
            b'*' => single(self, Kind::Star),
            b':' if self.peek(1) == b':' && !self.dialect.double_colon_casts() => Err(
                SqlError::at(self.pos, "BigQuery has no `::` cast: write CAST(x AS type)"),
            ),
            b':' if self.peek(1) == b':' => {
                self.pos += 2;
                Ok(Kind::DoubleColon)
            }
            b':' => single(self, Kind::Colon),
            b'.' if self.peek(1).is_ascii_digit() && !self.after_name() => Ok(self.number()),
            b'.' => single(self, Kind::Dot),
            b'0'..=b'9' => Ok(self.number()),
            b'$' => self.dollar(),
            // BigQuery's system variables, `@@dataset_id`.
            b'@' if self.dialect == Dialect::BigQuery
                && self.peek(1) == b'@'
                && is_word_start(self.peek(2)) =>
            {
                self.pos += 2;
                self.word_tail();
                Ok(Kind::Param)
            }
            b'@' if is_word_start(self.peek(1)) => {
                self.pos += 1;
                self.word_tail();
                Ok(Kind::Param)
            }
            _ if is_word_start(c) => self.word(),
            _ => Ok(self.operator()),
        }
    }

    /// Whether the previous token can be followed by `.field` (so `.5` is not a number).
    fn after_name(&self) -> bool {
        self.tokens.last().is_some_and(|t| {
            matches!(
                t.kind,
                Kind::Word | Kind::Quoted | Kind::RParen | Kind::RBracket
            ) && t.end as usize == self.pos
        })
    }

    fn word(&mut self) -> Result<Kind, SqlError> {
        let start = self.pos;
        self.word_tail();
        let next = self.peek(0);
        if next == b'\'' || (next == b'"' && self.dialect.double_quote_is_string()) {
            if let Some(raw) = self.string_prefix(&self.src[start..self.pos]) {
                let escapes = !raw && (self.dialect.backslash_escapes() || self.is_e_prefix(start));
                return self.string(next, escapes);
            }
        }
        Ok(Kind::Word)
    }

    /// For a word directly before a quote: `Some(raw?)` if it is a string prefix such as
    /// `E`, `N`, `B`, `X`, `U&`, or BigQuery's `r`/`b`/`rb`.
    fn string_prefix(&self, word: &[u8]) -> Option<bool> {
        let upper: Vec<u8> = word.iter().map(u8::to_ascii_uppercase).collect();
        match upper.as_slice() {
            b"E" | b"N" | b"B" | b"X" => Some(false),
            b"R" | b"RB" | b"BR" if self.dialect == Dialect::BigQuery => Some(true),
            b"R" if self.dialect == Dialect::Databricks => Some(true),
            _ => None,
        }
    }

    fn is_e_prefix(&self, start: usize) -> bool {
        self.src[start].eq_ignore_ascii_case(&b'e')
    }

    fn word_tail(&mut self) {
        while is_word_char(self.peek(0)) {
            self.pos += 1;
        }
    }

    fn string(&mut self, quote: u8, escapes: bool) -> Result<Kind, SqlError> {
        let start = self.pos;
        if self.dialect == Dialect::BigQuery && self.peek(1) == quote && self.peek(2) == quote {
            return self.triple_quoted(quote, escapes);
        }
        self.pos += 1;
        loop {
            let c = self.peek(0);
            if self.pos >= self.src.len() {
                return Err(SqlError::at(start, "unterminated string literal"));
            }
            let escaped = c == b'\\' && escapes;
            if escaped || (c == quote && self.peek(1) == quote) {
                self.pos += 2;
            } else if c == quote {
                self.pos += 1;
                return Ok(Kind::Str);
            } else {
                self.pos += 1;
            }
        }
    }

    fn triple_quoted(&mut self, quote: u8, escapes: bool) -> Result<Kind, SqlError> {
        let start = self.pos;
        self.pos += 3;
        while self.pos < self.src.len() {
            if self.peek(0) == b'\\' && escapes {
                self.pos += 2;
            } else if self.peek(0) == quote && self.peek(1) == quote && self.peek(2) == quote {
                self.pos += 3;
                return Ok(Kind::Str);
            } else {
                self.pos += 1;
            }
        }
        Err(SqlError::at(start, "unterminated triple-quoted string"))
    }

    fn quoted(&mut self, quote: u8) -> Result<Kind, SqlError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            let c = self.peek(0);
            if self.pos >= self.src.len() {
                return Err(SqlError::at(start, "unterminated quoted identifier"));
            }
            self.pos += 1;
            if c == quote {
                if self.peek(0) != quote {
                    return Ok(Kind::Quoted);
                }
                self.pos += 1;
            } else if c == b'\\' && quote == b'`' && self.dialect == Dialect::BigQuery {
                self.pos += 1;
            }
        }
    }

    fn number(&mut self) -> Kind {
        if self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'X') {
            self.pos += 2;
            while self.peek(0).is_ascii_hexdigit() {
                self.pos += 1;
            }
            return Kind::Number;
        }
        while self.peek(0).is_ascii_digit() || self.peek(0) == b'_' {
            self.pos += 1;
        }
        if self.peek(0) == b'.' && self.peek(1) != b'.' {
            self.pos += 1;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
        }
        let exp_digits = match self.peek(1) {
            b'+' | b'-' => self.peek(2).is_ascii_digit(),
            d => d.is_ascii_digit(),
        };
        if matches!(self.peek(0), b'e' | b'E') && exp_digits {
            self.pos += 2;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
        }
        // Suffixes such as BigQuery's `1L` or Databricks' `10BD` belong to the literal.
        while self.peek(0).is_ascii_alphabetic() {
            self.pos += 1;
        }
        Kind::Number
    }

    /// `$1`, `$name`, or a dollar-quoted string `$tag$ … $tag$`.
    fn dollar(&mut self) -> Result<Kind, SqlError> {
        let start = self.pos;
        self.pos += 1;
        if self.dialect.dollar_strings() {
            let tag_end = self.src[self.pos..]
                .iter()
                .position(|&b| !is_word_char(b) || b == b'$')
                .map_or(self.src.len(), |n| self.pos + n);
            let tag_ok = self.src[self.pos..tag_end]
                .first()
                .is_none_or(|b| !b.is_ascii_digit());
            if tag_ok && self.src.get(tag_end) == Some(&b'$') {
                let tag = &self.src[start..=tag_end];
                let body = tag_end + 1;
                return match find(&self.src[body..], tag) {
                    Some(n) => {
                        self.pos = body + n + tag.len();
                        Ok(Kind::Str)
                    }
                    None => Err(SqlError::at(start, "unterminated dollar-quoted string")),
                };
            }
        }
        self.word_tail();
        Ok(if self.pos > start + 1 {
            Kind::Param
        } else {
            Kind::Op
        })
    }

    fn operator(&mut self) -> Kind {
        let start = self.pos;
        let c = self.peek(0);
        if c == b'=' && self.peek(1) == b'>' {
            self.pos += 2;
            return Kind::Arrow;
        }
        if !is_operator_char(c) {
            // Anything else (a stray backslash, a control character) is one opaque token;
            // step over the whole UTF-8 character.
            self.pos += utf8_len(c);
            return Kind::Op;
        }
        while is_operator_char(self.peek(0))
            && !(self.peek(0) == b'-' && self.peek(1) == b'-')
            && !(self.peek(0) == b'/' && self.peek(1) == b'*')
        {
            self.pos += 1;
        }
        if self.pos == start + 1 && c == b'=' {
            Kind::Eq
        } else {
            Kind::Op
        }
    }
}

fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_operator_char(c: u8) -> bool {
    matches!(
        c,
        b'+' | b'-'
            | b'/'
            | b'<'
            | b'>'
            | b'='
            | b'~'
            | b'!'
            | b'@'
            | b'#'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'?'
    )
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str, dialect: Dialect) -> Vec<Kind> {
        tokenize(sql, dialect)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn comments_and_strings_hide_their_contents() {
        let sql = "select /* from a */ 'from b' -- from c\n, $$from d$$ from t";
        let words: Vec<_> = tokenize(sql, Dialect::Postgres)
            .unwrap()
            .into_iter()
            .filter(|t| t.kind == Kind::Word)
            .map(|t| &sql[t.start as usize..t.end as usize])
            .collect();
        assert_eq!(words, ["select", "from", "t"]);
    }

    #[test]
    fn double_quotes_depend_on_the_dialect() {
        assert_eq!(kinds("\"a\"", Dialect::Postgres), [Kind::Quoted, Kind::Eof]);
        assert_eq!(kinds("\"a\"", Dialect::BigQuery), [Kind::Str, Kind::Eof]);
        assert_eq!(kinds("`a.b`", Dialect::BigQuery), [Kind::Quoted, Kind::Eof]);
    }

    #[test]
    fn escapes_depend_on_the_dialect() {
        assert_eq!(kinds(r"'a\'b'", Dialect::Snowflake), [Kind::Str, Kind::Eof]);
        assert!(tokenize(r"'a\'b'", Dialect::Postgres).is_err());
        assert_eq!(kinds(r"E'a\'b'", Dialect::Postgres), [Kind::Str, Kind::Eof]);
        assert_eq!(kinds(r"r'\d'", Dialect::BigQuery), [Kind::Str, Kind::Eof]);
    }

    #[test]
    fn unterminated_input_names_where_it_starts() {
        let err = tokenize("select 'abc", Dialect::Postgres).unwrap_err();
        assert_eq!(err.offset, 7);
        assert!(err.message.contains("unterminated string"));
        assert!(tokenize("select /* x", Dialect::Postgres).is_err());
    }

    #[test]
    fn operators_stop_before_comments() {
        assert_eq!(
            kinds("a=-- c\n1", Dialect::Postgres),
            [Kind::Word, Kind::Eq, Kind::Number, Kind::Eof]
        );
        assert_eq!(
            kinds("x::int", Dialect::Postgres),
            [Kind::Word, Kind::DoubleColon, Kind::Word, Kind::Eof]
        );
        assert_eq!(
            kinds("f(a => 1)", Dialect::Snowflake),
            [
                Kind::Word,
                Kind::LParen,
                Kind::Word,
                Kind::Arrow,
                Kind::Number,
                Kind::RParen,
                Kind::Eof
            ]
        );
    }

    #[test]
    fn nested_comments_only_where_supported() {
        assert_eq!(
            kinds("/* /* */ */ x", Dialect::Postgres),
            [Kind::Word, Kind::Eof]
        );
        assert_eq!(
            kinds("/* /* */ x", Dialect::Snowflake),
            [Kind::Word, Kind::Eof]
        );
    }
}
