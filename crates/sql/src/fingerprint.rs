//! A stable hash of a statement's shape, so repeated queries are parsed once.
//!
//! Literals become `?` (and lists of them one `?`), comments and whitespace vanish, keywords
//! are upper-cased and identifiers folded as the dialect folds them. Two texts that differ
//! only in constants, layout, comments (Hex's metadata line included) or the case of unquoted
//! names share a fingerprint.

use crate::dialect::Dialect;
use crate::keywords::Kw;
use crate::lexer::{Kind, Token};
use xxhash_rust::xxh3::Xxh3;

/// The fingerprint of tokenized SQL, as 32 hex digits.
pub(crate) fn of_tokens(sql: &str, tokens: &[Token], dialect: Dialect) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(dialect.as_str().as_bytes());
    let mut previous = Kind::Eof;
    let mut list_of_literals = false;
    let significant = trim_semicolons(tokens);
    let mut sets_schema = false;
    for (i, token) in significant.iter().enumerate() {
        if i == 0 || significant[i - 1].kind == Kind::Semicolon {
            sets_schema = sets_search_path(sql, &significant[i..]);
        }
        // `IDENTIFIER('schema.table')` names a table: that string is not a constant.
        let names_table = i >= 2
            && significant[i - 1].kind == Kind::LParen
            && significant[i - 2].kw == Kw::IDENTIFIER;
        let literal = matches!(token.kind, Kind::Str | Kind::Number | Kind::Param)
            && !names_table
            && !sets_schema;
        // `?, ?, ?` collapses to `?`: IN lists of different lengths are one query shape.
        if literal && list_of_literals {
            continue;
        }
        if token.kind == Kind::Comma && previous == Kind::Str {
            let next = significant.get(i + 1).map(|t| t.kind);
            if matches!(next, Some(Kind::Str | Kind::Number | Kind::Param)) {
                list_of_literals = true;
                continue;
            }
        }
        list_of_literals = false;
        hasher.update(b" ");
        match token.kind {
            _ if literal => hasher.update(b"?"),
            Kind::Word if token.kw != Kw::None => {
                hasher.update(text(sql, token).to_ascii_uppercase().as_bytes());
            }
            Kind::Word => hasher.update(dialect.fold(text(sql, token), false).as_bytes()),
            Kind::Quoted => {
                let raw = text(sql, token);
                hasher.update(b"\"");
                hasher.update(dialect.fold(&raw[1..raw.len() - 1], true).as_bytes());
            }
            _ => hasher.update(text(sql, token).as_bytes()),
        }
        previous = if literal { Kind::Str } else { token.kind };
    }
    format!("{:032x}", hasher.digest128())
}

/// The fingerprint of text that did not tokenize: its words, whitespace collapsed.
pub(crate) fn of_text(sql: &str, dialect: Dialect) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(dialect.as_str().as_bytes());
    for word in sql.split_whitespace() {
        hasher.update(b" ");
        hasher.update(word.as_bytes());
    }
    format!("{:032x}", hasher.digest128())
}

/// Whether `statement` is `SET [LOCAL|SESSION] search_path …` or `SET SCHEMA …`: its strings
/// name the schema later statements read from, so they are not constants (issue 8).
fn sets_search_path(sql: &str, statement: &[Token]) -> bool {
    let word = |i: usize, w: &str| {
        statement
            .get(i)
            .is_some_and(|t| t.kind == Kind::Word && text(sql, t).eq_ignore_ascii_case(w))
    };
    if statement.first().is_none_or(|t| t.kw != Kw::SET) {
        return false;
    }
    let scope = usize::from(word(1, "local") || word(1, "session"));
    word(1 + scope, "search_path") || statement.get(1 + scope).is_some_and(|t| t.kw == Kw::SCHEMA)
}

fn text<'a>(sql: &'a str, token: &Token) -> &'a str {
    &sql[token.start as usize..token.end as usize]
}

/// Drops trailing `;` and the end marker.
fn trim_semicolons(tokens: &[Token]) -> &[Token] {
    let mut end = tokens.len();
    while end > 0 && matches!(tokens[end - 1].kind, Kind::Eof | Kind::Semicolon) {
        end -= 1;
    }
    &tokens[..end]
}

#[cfg(test)]
mod tests {
    use crate::{analyze, Dialect, Options};

    fn fp(sql: &str) -> String {
        analyze(sql, &Options::new(Dialect::Snowflake), None).fingerprint
    }

    #[test]
    fn constants_layout_comments_and_case_do_not_matter() {
        let a = fp("select id from orders where status = 'paid' and id in (1, 2, 3);");
        let b = fp("SELECT ID\n  FROM Orders -- x\n WHERE status = 'open' AND id IN (7)\n-- Hex query metadata: {\"project_id\": \"p\"}");
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn names_and_structure_do() {
        assert_ne!(fp("select id from orders"), fp("select id from customers"));
        assert_ne!(fp("select id from orders"), fp("select \"id\" from orders"));
        assert_ne!(fp("select a, b from t"), fp("select a from t"));
        assert_ne!(
            fp("select * from identifier('raw.a')"),
            fp("select * from identifier('raw.b')")
        );
    }

    /// Issue 8 (property tests): the schema a `SET search_path` names was hashed as a
    /// constant, so texts reading different tables shared a fingerprint, which sync uses to
    /// parse each query once.
    #[test]
    fn issue_8_the_search_path_is_part_of_the_shape() {
        let pg = |sql: &str| analyze(sql, &Options::new(Dialect::Postgres), None).fingerprint;
        let marts = "SET search_path TO 'marts'; select * from t where x = 'a'";
        assert_ne!(pg(marts), pg(&marts.replace("'marts'", "'raw'")));
        assert_ne!(
            pg("set local search_path = 'a', 'b'; select 1"),
            pg("set local search_path = 'a', 'c'; select 1")
        );
        assert_ne!(pg("SET SCHEMA 'a'"), pg("SET SCHEMA 'b'"));
        // Constants elsewhere in the text still do not matter.
        assert_eq!(pg(marts), pg(&marts.replace("'a'", "'b'")));
        assert_eq!(pg("set timezone = 'UTC'"), pg("set timezone = 'CET'"));
    }
}
