//! Presentation helpers: markdown, times, ages, URLs. Everything user-visible goes through here.

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Renders dbt markdown to HTML and sanitizes it: raw HTML and scripts in descriptions are
/// stripped or escaped, links get `rel="noopener noreferrer"`.
pub fn markdown(text: &str) -> String {
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    options.insert(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    // HTML written into a description is shown as the text it is, never rendered: a product
    // name with `<b>` in it stays readable and a `<script>` stays visible. Sanitizing the
    // output still guards the markdown itself (e.g. `javascript:` links).
    let parser = pulldown_cmark::Parser::new_ext(text, options).map(|event| match event {
        pulldown_cmark::Event::Html(raw) | pulldown_cmark::Event::InlineHtml(raw) => {
            pulldown_cmark::Event::Text(raw)
        }
        other => other,
    });
    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::clean(&html)
}

/// `2026-11-23T12:53:01.000000Z` → `2026-11-23 12:53 UTC`.
pub fn timestamp(rfc3339: &str) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// How long ago a timestamp was, roughly: `3 h ago`.
pub fn ago(rfc3339: &str, now: DateTime<Utc>) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => {
            let secs = (now - t.with_timezone(&Utc)).num_seconds();
            if secs < 0 {
                "just now".into()
            } else {
                format!("{} ago", duration(secs as f64))
            }
        }
        Err(_) => String::new(),
    }
}

/// Seconds as the largest sensible unit: `45 s`, `12 min`, `30 h`, `3 d`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 90.0 {
        format!("{} s", s.round())
    } else if s < 90.0 * 60.0 {
        format!("{} min", (s / 60.0).round())
    } else if s < 48.0 * 3600.0 {
        format!("{} h", (s / 3600.0).round())
    } else {
        format!("{} d", (s / 86400.0).round())
    }
}

const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// One URL path segment; an empty name becomes `~` so routes still match.
pub fn segment(name: &str) -> String {
    if name.is_empty() {
        "~".into()
    } else {
        utf8_percent_encode(name, SEGMENT).to_string()
    }
}

/// Percent-encodes a query-string value.
pub fn query_escape(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// `a=1&b=x%20y` → `[("a", "1"), ("b", "x y")]`, keys repeated as given (`+` is a space, as
/// browsers send forms).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |text: &str| {
        let spaced = text.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

/// Undoes [`segment`]'s `~` for empty names (axum already percent-decodes).
pub fn unsegment(name: &str) -> &str {
    if name == "~" {
        ""
    } else {
        name
    }
}

/// The table page of a relation.
pub fn table_url(connection: &str, database: &str, schema: &str, table: &str) -> String {
    format!(
        "/connections/{}/tables/{}/{}/{}",
        segment(connection),
        segment(database),
        segment(schema),
        segment(table)
    )
}

/// A dbt docs site's page for a node: `<base>/#!/model/<unique_id>` (`source`, `seed`, ...).
pub fn docs_url(base: &str, kind: &str, unique_id: &str) -> String {
    format!("{}/#!/{kind}/{unique_id}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_and_keep_repeats() {
        assert_eq!(
            query_pairs("node=dbt%3Awh%3Amodel.a&context=scheduled&context=app_view&q=a+b&flag"),
            [
                ("node".to_string(), "dbt:wh:model.a".to_string()),
                ("context".into(), "scheduled".into()),
                ("context".into(), "app_view".into()),
                ("q".into(), "a b".into()),
                ("flag".into(), String::new()),
            ]
        );
    }

    #[test]
    fn markdown_is_rendered_and_sanitized() {
        let html = markdown(
            "**Orders** <script>alert(1)</script> [docs](https://x.io)\n\n| a |\n|---|\n| 1 |",
        );
        assert!(html.contains("<strong>Orders</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "raw HTML is shown as text: {html}"
        );
        let html = markdown("<img src=x onerror=alert(1)> and <b>bold</b>\n\n<div>block</div>");
        assert!(!html.contains("<img") && !html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
        assert!(html.contains("&lt;div&gt;block&lt;/div&gt;"), "{html}");
        let html = markdown("[click](javascript:alert(1))");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(30.0), "30 s");
        assert_eq!(duration(30.0 * 3600.0), "30 h");
        assert_eq!(duration(5.0 * 86400.0), "5 d");
    }

    #[test]
    fn urls_encode_odd_names() {
        assert_eq!(
            table_url("w", "db", "my schema", "a/b"),
            "/connections/w/tables/db/my%20schema/a%2Fb"
        );
        assert_eq!(segment(""), "~");
        assert_eq!(
            docs_url("https://docs.x/", "model", "model.p.a"),
            "https://docs.x/#!/model/model.p.a"
        );
    }
}
