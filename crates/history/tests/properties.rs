//! Property tests of the Hex query comment (issue 8, item 6): generated payloads read back as
//! written whatever the key order, case and extra keys; a cut-short comment is never misread;
//! text around it and control characters never panic; cell links survive any project URL.
//!
//! `PROPTEST_CASES=100000 cargo test -p downstream-history --test tests properties -- --nocapture`
//! runs more cases than the default counts below.

use history::hex::HexComment;
use history::hex::{cell_url, parse_comment, parse_payload, project_base, split, CommentError};
use model::hex::RunContext;
use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;
use serde_json::{json, Value};
use std::fmt::Debug;

/// Generous: a case takes microseconds, so only a hang gets near it.
const TIMEOUT_MS: u32 = 10_000;

/// [`propcheck::check`] with this crate's time limit per case.
fn check<S>(
    test_name: &'static str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    propcheck::check(test_name, cases, TIMEOUT_MS, strategy, test);
}

const KNOWN_KEYS: [&str; 9] = [
    "project_id",
    "project_name",
    "project_url",
    "cell_id",
    "context",
    "user_email",
    "connection",
    "status",
    "categories",
];

/// What a generated comment says, and so what it must read back as.
#[derive(Clone, Debug)]
struct Payload {
    /// Key (as Hex writes it) and value, in the order written.
    entries: Vec<(String, Value)>,
    expected: HexComment,
}

/// A Hex id: Hex uses UUIDs; any URL-safe text will do.
fn id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9-]{0,35}"
}

/// The context as Hex writes it (in any case, padded) and how it reads.
fn context() -> impl Strategy<Value = (String, RunContext)> {
    let known = prop::sample::select(vec![
        ("SCHEDULED_RUN", RunContext::Scheduled),
        ("APP_VIEW", RunContext::AppView),
        ("LOGIC_VIEW", RunContext::Interactive),
        ("API", RunContext::Api),
    ]);
    let known = (known, any::<bool>(), " {0,2}").prop_map(|((raw, context), lower, pad)| {
        let raw = if lower {
            raw.to_lowercase()
        } else {
            raw.to_string()
        };
        (format!("{pad}{raw}{pad}"), context)
    });
    let other = "x_[a-z]{1,10}"
        .prop_filter("reads as interactive", |w| {
            !w.contains("logic") && !w.contains("interactive")
        })
        .prop_map(|w| (w.to_uppercase(), RunContext::Other(w)));
    prop_oneof![3 => known, 1 => other]
}

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys Hex may add some day: anything that is not one of the keys read.
fn extra_key() -> impl Strategy<Value = String> {
    "[a-zA-Z_]{1,16}".prop_filter("a known key", |k| {
        !KNOWN_KEYS.iter().any(|known| k.eq_ignore_ascii_case(known))
    })
}

/// The value a text field reads as: trimmed, and none when blank.
fn text(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

fn project_url(workspace: &str, project: &str, cell: Option<&str>) -> String {
    let base = format!("https://app.hex.tech/{workspace}/hex/{project}/draft/logic");
    match cell {
        Some(cell) => format!("{base}?selectedCellId={cell}"),
        None => base,
    }
}

/// A payload with every field Hex writes, some left out, plus extra keys.
fn payload(extras: impl Strategy<Value = Value>) -> impl Strategy<Value = Payload> {
    let names = (
        any::<String>(),
        any::<String>(),
        any::<String>(),
        any::<String>(),
    );
    let which = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
    let extra = prop::collection::vec((extra_key(), extras), 0..5);
    let categories = prop::collection::vec(any::<String>(), 0..3);
    (id(), id(), id(), context(), names, categories, which, extra).prop_map(
        |(project, cell, workspace, (raw_context, context), names, categories, which, extra)| {
            let (name, email, connection, status) = names;
            let (id_key, url_key, url_has_cell, cell_key) = which;
            // Hex always names the project one way or the other.
            let url_key = url_key || !id_key;
            let url = project_url(&workspace, &project, url_has_cell.then_some(&cell));
            let mut entries = vec![
                ("project_name".to_string(), json!(name)),
                ("context".to_string(), json!(raw_context)),
                ("user_email".to_string(), json!(email)),
                ("connection".to_string(), json!(connection)),
                ("status".to_string(), json!(status)),
                ("categories".to_string(), json!(categories)),
            ];
            let mut optional = |present: bool, key: &str, value: &str| {
                if present {
                    entries.push((key.to_string(), json!(value)));
                }
            };
            optional(id_key, "project_id", &project);
            optional(url_key, "project_url", &url);
            optional(cell_key, "cell_id", &cell);
            entries.extend(extra);
            let expected = HexComment {
                project_id: project,
                project_name: text(&name),
                project_url: url_key.then_some(url),
                cell_id: (cell_key || (url_key && url_has_cell)).then_some(cell),
                context,
                user_email: text(&email),
                connection: text(&connection),
                status: text(&status),
                categories,
            };
            Payload { entries, expected }
        },
    )
}

/// Writes entries as one line of JSON, with non-ASCII escaped as Hex's Python writes it.
fn write_json(entries: &[(String, Value)], separator: &str) -> String {
    let fields: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}: {}", json!(k), v))
        .collect();
    let json = format!("{{{}}}", fields.join(separator));
    let mut ascii = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    ascii
}

/// Re-cases a key as a warehouse that re-cases query text would: the same way for every key
/// of a payload. (Keys cased differently within one payload are not all read: the fast path
/// for Hex's own lower-case keys falls back only when a key Hex always writes is missing.)
fn recase(key: &str, how: u8) -> String {
    match how % 3 {
        0 => key.to_string(),
        1 => key.to_uppercase(),
        _ => key
            .char_indices()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
    }
}

fn comment(sql: &str, payload: &str) -> String {
    format!("{sql}\n-- Hex query metadata: {payload}")
}

#[test]
fn payloads_read_back_whatever_the_order_case_and_extra_keys() {
    let payload = payload(json()).prop_flat_map(|p| {
        let order = Just(p.entries.clone()).prop_shuffle();
        let separator = prop::sample::select(vec![", ", ",", " ,  "]);
        (Just(p.expected), order, any::<u8>(), separator)
    });
    check(
        concat!(
            module_path!(),
            "::payloads_read_back_whatever_the_order_case_and_extra_keys"
        ),
        1024,
        payload,
        |(expected, entries, how, separator)| {
            let entries: Vec<(String, Value)> = entries
                .into_iter()
                .map(|(k, v)| (recase(&k, how), v))
                .collect();
            let payload = write_json(&entries, separator);
            let sql = comment("select 1", &payload);
            let hex = parse_comment(&sql);
            prop_assert_eq!(hex.as_ref(), Ok(&Some(expected.clone())), "{}", sql);
            prop_assert_eq!(split(&sql), Some(("select 1", payload.as_str())));
            // What is stored reads back as the same context.
            prop_assert_eq!(
                RunContext::from_stored(expected.context.as_str()),
                expected.context
            );
            Ok(())
        },
    );
}

/// Extras a warehouse can upper-case and keep valid JSON: no `true`, `false` or `null`.
fn casable_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(Value::Array)
    })
}

#[test]
fn a_cut_short_comment_is_never_misread() {
    check(
        concat!(module_path!(), "::a_cut_short_comment_is_never_misread"),
        64,
        (payload(casable_json()), any::<bool>()),
        |(payload, upper)| {
            let full = comment("select 1", &write_json(&payload.entries, ", "));
            // Some warehouses upper-case the text they keep; Hex's `\u2013` becomes `\U2013`.
            let full = if upper { full.to_uppercase() } else { full };
            let want = if upper {
                payload.expected.project_id.to_uppercase()
            } else {
                payload.expected.project_id
            };
            let read = parse_comment(&full);
            prop_assert_eq!(read.map(|h| h.map(|h| h.project_id)), Ok(Some(want)));
            for end in (0..full.len()).filter(|&i| full.is_char_boundary(i)) {
                let cut = &full[..end];
                let read = parse_comment(cut);
                let fine = matches!(read, Ok(None) | Err(CommentError::Truncated));
                prop_assert!(fine, "{:?} -> {:?}", cut, read);
            }
            Ok(())
        },
    );
}

/// Text that does not contain Hex's marker.
fn unmarked() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("holds the marker", |s| {
        !s.to_ascii_lowercase().contains("hex query metadata")
    })
}

#[test]
fn text_around_the_comment_and_control_characters_never_panic() {
    let joiner = prop::sample::select(vec!["\n", "\r\n", " ", "\t", "\u{0}"]);
    check(
        concat!(
            module_path!(),
            "::text_around_the_comment_and_control_characters_never_panic"
        ),
        1024,
        (
            payload(json()),
            unmarked(),
            joiner,
            unmarked(),
            any::<String>(),
        ),
        |(payload, before, joiner, after, soup)| {
            let json = write_json(&payload.entries, ", ");
            let alone = parse_comment(&comment("", &json));
            prop_assert!(alone.is_ok());
            // Anything before the marker, on its line or not, leaves the payload alone, and so
            // does anything on the lines after it.
            let sql = format!("{before}{joiner}-- Hex query metadata: {json}\n{after}");
            prop_assert_eq!(&parse_comment(&sql), &alone);
            let (head, _) = split(&sql).unwrap_or_default();
            let written = format!("{before}{joiner}");
            prop_assert_eq!(head, written.trim_end());
            // Arbitrary text right after the JSON, and pure soup, are read without a panic.
            let _ = parse_comment(&format!(
                "{before}{joiner}-- Hex query metadata: {json}{after}"
            ));
            let _ = parse_comment(&soup);
            let _ = parse_comment(&format!("{soup}-- Hex query metadata:{soup}"));
            Ok(())
        },
    );
}

/// A Hex project URL in any of its shapes, and what its parts are.
#[derive(Clone, Debug)]
struct Url {
    url: String,
    base: String,
    project: String,
}

fn url() -> impl Strategy<Value = Url> {
    let host = prop::sample::select(vec!["https://app.hex.tech", "https://hex.acme.example"]);
    // Hex's own workspace could well be called `hex`.
    let workspace = prop_oneof![3 => "[a-z0-9][a-z0-9-]{0,11}", 1 => Just("hex".to_string()), 1 => Just("app".to_string())];
    let kind = prop::sample::select(vec!["hex", "app"]);
    let rest = prop::sample::select(vec![
        "",
        "/",
        "/draft/logic",
        "/app",
        "/latest",
        "/draft/app",
    ]);
    let query = prop::sample::select(vec![
        "",
        "?selectedCellId=c1",
        "?tab=x&selectedCellId=c1",
        "?embed=true",
    ]);
    let fragment = prop::sample::select(vec!["", "#top", "#/x"]);
    (host, workspace, kind, id(), rest, query, fragment).prop_map(
        |(host, workspace, kind, project, rest, query, fragment)| Url {
            url: format!("{host}/{workspace}/{kind}/{project}{rest}{query}{fragment}"),
            base: format!("{host}/{workspace}/hex/{project}"),
            project,
        },
    )
}

#[test]
fn cell_links_survive_any_project_url() {
    check(
        concat!(module_path!(), "::cell_links_survive_any_project_url"),
        1024,
        (url(), id()),
        |(url, cell)| {
            let base = project_base(&url.url);
            prop_assert_eq!(&base, &url.base);
            prop_assert_eq!(project_base(&base), base.clone());
            let link = cell_url(&base, &cell);
            prop_assert_eq!(&link, &cell_url(&url.url, &cell));
            prop_assert_eq!(&link, &format!("{base}/draft/logic?selectedCellId={cell}"));
            // A payload naming only the link reads back the project and the cell.
            let hex = parse_payload(&json!({ "project_url": link }).to_string());
            let hex = hex.map(|h| (h.project_id, h.cell_id));
            prop_assert_eq!(hex, Ok((url.project, Some(cell))));
            Ok(())
        },
    );
}
