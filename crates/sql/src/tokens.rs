//! A SQL text cut into display pieces, comments and whitespace included, for highlighting:
//! the pieces joined give the text back unchanged.
//!
//! It follows the lexer (and so each dialect's quoting and comment rules) instead of a second
//! set of rules that could disagree with what lineage read.

use crate::dialect::Dialect;
use crate::keywords::Kw;
use crate::lexer::{self, Kind, Token};

/// What a piece of SQL text is, as a highlighter colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A word the lineage parser gives meaning to: `select`, `from`, `join`, …
    Keyword,
    /// Any other word, a quoted identifier or a bind parameter.
    Identifier,
    /// A string literal of any flavour.
    String,
    /// A numeric literal.
    Number,
    /// A comment (with any whitespace between adjacent comments).
    Comment,
    /// Operators, brackets, commas, dots and semicolons.
    Punctuation,
    /// Spaces and line breaks.
    Whitespace,
    /// Text the lexer could not read: from an unterminated string or comment to the end.
    Other,
}

/// The pieces of `sql`, in order; every byte of the text is in exactly one piece.
///
/// ```
/// use sql::{tokens, Dialect, TokenKind};
///
/// let pieces: Vec<_> = tokens("select 1 -- one", Dialect::Postgres).collect();
/// assert_eq!(pieces[0], (TokenKind::Keyword, "select"));
/// assert_eq!(pieces[2], (TokenKind::Number, "1"));
/// assert_eq!(pieces[4], (TokenKind::Comment, "-- one"));
/// ```
pub fn tokens(sql: &str, dialect: Dialect) -> impl Iterator<Item = (TokenKind, &str)> {
    let (lexed, unread) = lex(sql, dialect);
    let mut pieces = Vec::with_capacity(lexed.len() * 2);
    let mut pos = 0;
    for token in &lexed {
        let (start, end) = (token.start as usize, token.end as usize);
        split_gap(&sql[pos..start], &mut pieces);
        if token.kind != Kind::Eof {
            pieces.push((kind(token), &sql[start..end]));
        }
        pos = end;
    }
    split_gap(&sql[pos..unread], &mut pieces);
    if unread < sql.len() {
        pieces.push((TokenKind::Other, &sql[unread..]));
    }
    pieces.into_iter()
}

/// Tokens of as much of the text as lexes, and where the unreadable rest starts.
fn lex(sql: &str, dialect: Dialect) -> (Vec<Token>, usize) {
    match lexer::tokenize(sql, dialect) {
        Ok(tokens) => (tokens, sql.len()),
        // The error sits where the unterminated string or comment opens; what comes before it
        // lexed fine, so lexing just that part gives the same tokens.
        Err(e) => match sql
            .get(..e.offset)
            .map(|head| lexer::tokenize(head, dialect))
        {
            Some(Ok(tokens)) => (tokens, e.offset),
            _ => (Vec::new(), 0),
        },
    }
}

/// The text between two tokens holds only whitespace and comments: leading and trailing
/// whitespace stay plain, everything between is comment.
fn split_gap<'a>(gap: &'a str, pieces: &mut Vec<(TokenKind, &'a str)>) {
    let body = gap.trim_start();
    let lead = &gap[..gap.len() - body.len()];
    let comment = body.trim_end();
    let trail = &body[comment.len()..];
    for (kind, text) in [
        (TokenKind::Whitespace, lead),
        (TokenKind::Comment, comment),
        (TokenKind::Whitespace, trail),
    ] {
        if !text.is_empty() {
            pieces.push((kind, text));
        }
    }
}

fn kind(token: &Token) -> TokenKind {
    match token.kind {
        Kind::Word if token.kw != Kw::None => TokenKind::Keyword,
        Kind::Word | Kind::Quoted | Kind::Param => TokenKind::Identifier,
        Kind::Str => TokenKind::String,
        Kind::Number => TokenKind::Number,
        _ => TokenKind::Punctuation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(sql: &str, dialect: Dialect) -> Vec<(TokenKind, &str)> {
        tokens(sql, dialect).collect()
    }

    #[test]
    fn pieces_give_the_text_back() {
        for sql in [
            "select a, 'x''y' as \"Q\" -- c\n/* d */ from t where n >= 1.5e3;",
            "  \n",
            "",
            "select 'unterminated",
            "select 1 /* open",
            "select {{ var }} from dataframe_1",
        ] {
            for dialect in Dialect::ALL {
                let joined: String = tokens(sql, dialect).map(|(_, text)| text).collect();
                assert_eq!(joined, sql, "{dialect}");
            }
        }
    }

    #[test]
    fn kinds_follow_the_lexer() {
        use TokenKind::*;
        assert_eq!(
            pieces("SELECT o.id, 'x' -- why\nFROM \"T\"", Dialect::Postgres),
            [
                (Keyword, "SELECT"),
                (Whitespace, " "),
                (Identifier, "o"),
                (Punctuation, "."),
                (Identifier, "id"),
                (Punctuation, ","),
                (Whitespace, " "),
                (String, "'x'"),
                (Whitespace, " "),
                (Comment, "-- why"),
                (Whitespace, "\n"),
                (Keyword, "FROM"),
                (Whitespace, " "),
                (Identifier, "\"T\""),
            ]
        );
    }

    #[test]
    fn quoting_follows_the_dialect() {
        assert_eq!(
            pieces("\"a\"", Dialect::BigQuery),
            [(TokenKind::String, "\"a\"")]
        );
        assert_eq!(
            pieces("# note\n1", Dialect::BigQuery)[0],
            (TokenKind::Comment, "# note")
        );
    }

    #[test]
    fn an_unterminated_string_runs_to_the_end_unread() {
        let got = pieces("select 'abc", Dialect::Postgres);
        assert_eq!(got.last(), Some(&(TokenKind::Other, "'abc")));
        assert_eq!(got[0], (TokenKind::Keyword, "select"));
    }
}
