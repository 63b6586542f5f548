//! SQL as HTML with its tokens coloured, rendered on the server: the pages carry no script
//! that could do it in the browser, and the text is anyone's SQL, so every piece is escaped.

use sql::{Dialect, TokenKind};

/// `sql` as HTML: each token in a `<span class="tok-…">`, whitespace as it is.
pub fn sql_html(sql: &str, dialect: Dialect) -> String {
    let mut html = String::with_capacity(sql.len() * 2);
    for (kind, text) in sql::tokens(sql, dialect) {
        match class(kind) {
            Some(class) => {
                html.push_str("<span class=\"");
                html.push_str(class);
                html.push_str("\">");
                escape_into(&mut html, text);
                html.push_str("</span>");
            }
            None => escape_into(&mut html, text),
        }
    }
    html
}

/// The dialect of a connection's warehouse kind; PostgreSQL's rules when it is unknown
/// (a cell whose Hex data connection maps to none of ours).
pub fn dialect(kind: Option<&str>) -> Dialect {
    kind.and_then(|k| k.parse().ok())
        .unwrap_or(Dialect::Postgres)
}

fn class(kind: TokenKind) -> Option<&'static str> {
    Some(match kind {
        TokenKind::Keyword => "tok-kw",
        TokenKind::Identifier => "tok-id",
        TokenKind::String => "tok-str",
        TokenKind::Number => "tok-num",
        TokenKind::Comment => "tok-com",
        TokenKind::Punctuation => "tok-punct",
        TokenKind::Whitespace | TokenKind::Other => return None,
    })
}

fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_get_classes() {
        let html = sql_html("select a from t -- note\nwhere n > 1", Dialect::Postgres);
        assert_eq!(
            html,
            "<span class=\"tok-kw\">select</span> <span class=\"tok-id\">a</span> \
             <span class=\"tok-kw\">from</span> <span class=\"tok-id\">t</span> \
             <span class=\"tok-com\">-- note</span>\n<span class=\"tok-kw\">where</span> \
             <span class=\"tok-id\">n</span> <span class=\"tok-punct\">&gt;</span> \
             <span class=\"tok-num\">1</span>"
        );
    }

    #[test]
    fn markup_in_sql_is_escaped_wherever_it_sits() {
        for sql in [
            "select '<script>alert(1)</script>' from t",
            "select 1 -- </code><script>alert(1)</script>",
            "select \"<img src=x onerror=alert(1)>\" from t",
            "select '<script>unterminated",
            "select a<b, c&d from t",
        ] {
            let html = sql_html(sql, Dialect::Postgres);
            assert!(
                !html.contains("<script") && !html.contains("<img"),
                "{html}"
            );
            assert!(!html.contains("</code>"), "{html}");
        }
    }

    #[test]
    fn the_dialect_comes_from_the_connection_kind() {
        assert_eq!(dialect(Some("bigquery")), Dialect::BigQuery);
        assert_eq!(dialect(Some("snowflake")), Dialect::Snowflake);
        assert_eq!(dialect(None), Dialect::Postgres);
        assert_eq!(
            sql_html("\"x\"", dialect(Some("bigquery"))),
            "<span class=\"tok-str\">&quot;x&quot;</span>"
        );
    }
}
