//! Hostile text: byte soup, SQL-shaped soup, deep nesting and huge names never panic or hang,
//! and what the engine does say about them is consistent.

use super::{check, dialect, sane};
use proptest::prelude::*;
use sql::{analyze, Dialect, Options};

/// Pieces that steer the lexer and parser into their corners.
pub const FRAGMENTS: &[&str] = &[
    "select",
    "from",
    "where",
    "join",
    "on",
    "using",
    "with",
    "as",
    "recursive",
    "union",
    "all",
    "insert",
    "into",
    "values",
    "update",
    "set",
    "delete",
    "merge",
    "when",
    "matched",
    "then",
    "create",
    "table",
    "view",
    "copy",
    "use",
    "lateral",
    "flatten",
    "unnest",
    "identifier",
    "qualify",
    "pivot",
    "case",
    "end",
    "exists",
    "in",
    "not",
    "is",
    "null",
    "over",
    "partition",
    "by",
    "order",
    "group",
    "t",
    "a.b",
    "x",
    "1",
    ".5",
    "1e",
    "0x",
    "10BD",
    "'",
    "''",
    "'''",
    "\"",
    "\"\"",
    "`",
    "$$",
    "$t$",
    "$1",
    "@p",
    ":",
    "::",
    "=>",
    "->>",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ".",
    "..",
    "*",
    "-",
    "--",
    "/*",
    "*/",
    "#",
    "//",
    "\\",
    "e'",
    "r'",
    "U&'",
    "\n",
    "\r",
    "\t",
    "\0",
    "\u{7f}",
    "\u{a0}",
    "é",
    "\u{1f600}",
    " ",
    "-- Hex query metadata: {\"project_id\": \"p\"}\n",
];

fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..300).prop_map(|pieces| pieces.concat())
}

fn bytes() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..4096)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "(?s).{0,400}",
    ]
}

#[test]
fn byte_soup_never_panics_and_stays_consistent() {
    check(
        concat!(
            module_path!(),
            "::byte_soup_never_panics_and_stays_consistent"
        ),
        256,
        (dialect(), bytes()),
        |(dialect, sql)| sane(&sql, dialect, &analyze(&sql, &Options::new(dialect), None)),
    );
}

#[test]
fn sql_shaped_soup_never_panics_and_stays_consistent() {
    check(
        concat!(
            module_path!(),
            "::sql_shaped_soup_never_panics_and_stays_consistent"
        ),
        512,
        (dialect(), soup()),
        |(dialect, sql)| {
            let options = Options::new(dialect).with_defaults(Some("db"), Some("s"));
            let first = analyze(&sql, &options, None);
            sane(&sql, dialect, &first)?;
            // Same text, same answer: nothing depends on hashing order or state.
            let again = analyze(&sql, &options, None);
            prop_assert_eq!(first.merged(), again.merged());
            prop_assert_eq!(first.error(), again.error());
            Ok(())
        },
    );
}

/// A way to nest: `open` repeated, the innermost text, then `close` repeated.
#[derive(Clone, Copy, Debug)]
struct Nest {
    prefix: &'static str,
    open: &'static str,
    inner: &'static str,
    close: &'static str,
    /// Each level costs at least one level of the parser's nesting budget; otherwise the
    /// parser loops instead of recursing and any depth reads.
    capped: bool,
}

#[rustfmt::skip]
const NESTS: &[Nest] = &[
    nest("select ", "(", "1", ")", true),
    nest("", "select * from (", "select * from t", ") s", true),
    nest("", "with c as (", "select * from t", ") select * from c", true),
    nest("select ", "f(", "x", ")", true),
    nest("select ", "(select ", "x from t", ")", true),
    nest("select 1 where ", "exists (select 1 from t where ", "1 = 1", ")", true),
    nest("select * from t where x in ", "(select x from t where x in ", "(1)", ")", true),
    nest("select ", "case when ", "x", " then 1 end", true),
    nest("select ", "cast(", "x", " as int)", true),
    nest("select ", "[", "1", "]", true),
    nest("select * from ", "(", "t", ")", true),
    nest("select * from t ", "join (select * from t ", "", ") s on true", true),
    nest("", "(", "select * from t", ") union all select 1", true),
    nest("select ", "not ", "x", "", true),
    nest("select ", "- ", "1", "", true),
    nest("select ", "x + ", "1", "", false),
    nest("select * from t", " join t using (x)", "", "", false),
    nest("select * from ", "t, ", "t", "", false),
];

const fn nest(
    prefix: &'static str,
    open: &'static str,
    inner: &'static str,
    close: &'static str,
    capped: bool,
) -> Nest {
    Nest {
        prefix,
        open,
        inner,
        close,
        capped,
    }
}

impl Nest {
    fn text(&self, depth: usize, closed: bool) -> String {
        let close = if closed {
            self.close.repeat(depth)
        } else {
            String::new()
        };
        format!(
            "{}{}{}{close}",
            self.prefix,
            self.open.repeat(depth),
            self.inner
        )
    }
}

fn depth() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 0usize..300,
        1 => 1_000usize..20_000,
    ]
}

/// Shallow enough for any shape to parse: each level costs at most four levels of budget.
const SHALLOW: usize = 120 / 4;

#[test]
fn deep_nesting_is_bounded_and_errors_past_the_cap() {
    let nest = prop::sample::select(NESTS);
    check(
        concat!(
            module_path!(),
            "::deep_nesting_is_bounded_and_errors_past_the_cap"
        ),
        256,
        (dialect(), nest, depth(), any::<bool>()),
        |(dialect, nest, depth, closed)| {
            let sql = nest.text(depth, closed);
            let analysis = analyze(&sql, &Options::new(dialect), None);
            sane(&sql, dialect, &analysis)?;
            let error = analysis.error();
            // Not every shape is valid in every dialect; one that reads at depth 1 must read
            // at any shallow depth.
            let valid = || {
                analyze(&nest.text(1, true), &Options::new(dialect), None)
                    .error()
                    .is_none()
            };
            if closed && (depth <= SHALLOW || !nest.capped) && valid() {
                prop_assert_eq!(error, None);
            } else if nest.capped && depth > 120 {
                let error = error.unwrap_or_default();
                prop_assert!(error.contains("nesting deeper than 120"), "{}", error);
            }
            Ok(())
        },
    );
}

/// The quote for names in `dialect`.
pub fn quote(dialect: Dialect) -> char {
    match dialect {
        Dialect::BigQuery | Dialect::Databricks => '`',
        _ => '"',
    }
}

#[test]
fn huge_names_are_read_whole() {
    check(
        concat!(module_path!(), "::huge_names_are_read_whole"),
        32,
        (dialect(), 1usize..100_000, any::<bool>()),
        |(dialect, len, quoted)| {
            let name: String = "t"
                .chars()
                .chain("x_é9".chars().cycle())
                .take(len)
                .collect();
            let q = quote(dialect);
            let written = if quoted {
                format!("{q}{name}{q}")
            } else {
                name.clone()
            };
            let sql = format!("select {written} from {written}.{written}");
            let analysis = analyze(&sql, &Options::new(dialect), None);
            sane(&sql, dialect, &analysis)?;
            let folded = dialect.fold(&name, quoted);
            let reads: Vec<String> = analysis.merged().reads.into_iter().collect();
            prop_assert_eq!(reads, vec![format!("{folded}.{folded}")]);
            Ok(())
        },
    );
}
