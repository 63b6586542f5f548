//! A deliberately small reader of SQL text, the oracle for the corpus mutations: where the
//! gaps between tokens are and where plain literals and names sit.
//!
//! It knows `'…'`, `"…"`, `` `…` ``, `--`, `/* */` and the dialects' `#` and `//` comments,
//! and gives up (`None`) on anything subtler (dollar quotes, backslashes, triple quotes,
//! nested comments, unterminated text), so it never guesses what is inside a literal.

use sql::Dialect;
use std::ops::Range;

/// What each byte of the text is, as far as inserting text next to it goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Inside a literal, quoted name or comment (a line comment's newline included).
    Opaque,
    Space,
    /// `(`, `)`, `,` or `;`: always a token of its own.
    Punct,
    Other,
}

/// A name as written, with the bytes around it.
#[derive(Clone, Debug)]
pub struct Word {
    pub span: Range<usize>,
    pub before: u8,
    pub after: u8,
}

impl Word {
    /// Part of a dotted name (`schema.table`, `alias.column`).
    pub fn dotted(&self) -> bool {
        self.before == b'.' || self.after == b'.'
    }

    /// A parameter (`@p`, `$p`, `:p`) or a path step (`v:p`) rather than a plain name.
    pub fn sigiled(&self) -> bool {
        matches!(self.before, b'@' | b'$' | b':' | b'-') || self.after == b'-'
    }
}

#[derive(Debug)]
pub struct Layout {
    /// Offsets where whitespace or a comment can go without changing any token.
    pub gaps: Vec<usize>,
    /// Unprefixed string literals, quotes included.
    pub strings: Vec<Range<usize>>,
    /// Plain decimal numbers (`7`, `2.5`), not part of a name or a longer literal.
    pub numbers: Vec<Range<usize>>,
    pub words: Vec<Word>,
}

impl Layout {
    /// Reads `sql`, or `None` when it has something this reader does not handle.
    pub fn read(sql: &str, dialect: Dialect) -> Option<Layout> {
        if sql.contains(['\\', '$']) || sql.contains("'''") || sql.contains("\"\"\"") {
            return None;
        }
        let mut scan = Scan {
            src: sql.as_bytes(),
            pos: 0,
            dialect,
            open_line_comment: false,
            classes: vec![Class::Other; sql.len()],
            layout: Layout {
                gaps: Vec::new(),
                strings: Vec::new(),
                numbers: Vec::new(),
                words: Vec::new(),
            },
        };
        scan.run()?;
        scan.layout.gaps = gaps(&scan.classes);
        if scan.open_line_comment {
            // Text added after it would land in the comment, and a newline would end it.
            scan.layout.gaps.pop();
        }
        Some(scan.layout)
    }
}

/// Offsets next to whitespace or punctuation outside anything opaque.
fn gaps(classes: &[Class]) -> Vec<usize> {
    let free = |i: Option<usize>| {
        i.and_then(|i| classes.get(i))
            .is_none_or(|c| matches!(c, Class::Space | Class::Punct))
    };
    (0..=classes.len())
        .filter(|&p| free(p.checked_sub(1)) || free(Some(p)))
        .collect()
}

struct Scan<'a> {
    src: &'a [u8],
    pos: usize,
    dialect: Dialect,
    /// The text ends inside a line comment.
    open_line_comment: bool,
    classes: Vec<Class>,
    layout: Layout,
}

impl Scan<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn run(&mut self) -> Option<()> {
        while self.pos < self.src.len() {
            let start = self.pos;
            match self.peek(0) {
                b' ' | b'\t' | b'\n' | b'\r' => self.mark(start, 1, Class::Space),
                b'(' | b')' | b',' | b';' => self.mark(start, 1, Class::Punct),
                b'-' if self.peek(1) == b'-' => self.line_comment(),
                b'#' if self.dialect == Dialect::BigQuery => self.line_comment(),
                b'/' if self.peek(1) == b'/' && self.dialect == Dialect::Snowflake => {
                    self.line_comment()
                }
                b'/' if self.peek(1) == b'*' => self.block_comment()?,
                b'\'' => self.string(b'\'', true)?,
                b'"' => self.string(b'"', double_quote_is_string(self.dialect))?,
                b'`' => self.string(b'`', false)?,
                b'0'..=b'9' => self.number(),
                c if is_word_start(c) => self.word(),
                _ => self.pos += 1,
            }
        }
        Some(())
    }

    fn mark(&mut self, start: usize, len: usize, class: Class) {
        self.classes[start..start + len].fill(class);
        self.pos = start + len;
    }

    fn line_comment(&mut self) {
        let start = self.pos;
        let end = self.src[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.src.len(), |n| start + n + 1);
        self.open_line_comment = self.src[end - 1] != b'\n';
        self.mark(start, end - start, Class::Opaque);
    }

    fn block_comment(&mut self) -> Option<()> {
        let start = self.pos;
        let body = &self.src[start + 2..];
        let close = find(body, b"*/")?;
        if find(&body[..close], b"/*").is_some() {
            return None; // nesting differs by dialect
        }
        self.mark(start, close + 4, Class::Opaque);
        Some(())
    }

    /// A quoted string or name; `literal` records it as a string literal.
    fn string(&mut self, quote: u8, literal: bool) -> Option<()> {
        let start = self.pos;
        let mut end = start + 1;
        loop {
            let at = end + self.src.get(end..)?.iter().position(|&b| b == quote)?;
            if self.src.get(at + 1) == Some(&quote) {
                end = at + 2;
            } else {
                end = at + 1;
                break;
            }
        }
        let prefixed = start > 0 && is_word_char(self.src[start - 1]);
        if literal && !prefixed {
            self.layout.strings.push(start..end);
        }
        self.mark(start, end - start, Class::Opaque);
        Some(())
    }

    fn number(&mut self) {
        let start = self.pos;
        let digits = |scan: &mut Self| {
            while scan.peek(0).is_ascii_digit() {
                scan.pos += 1;
            }
        };
        digits(self);
        if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            self.pos += 1;
            digits(self);
        }
        let before = start.checked_sub(1).map_or(b' ', |i| self.src[i]);
        let after = self.peek(0);
        let plain = !is_word_char(before)
            && before != b'.'
            && !is_word_char(after)
            && !matches!(after, b'.' | b'\'' | b'"');
        if plain {
            self.layout.numbers.push(start..self.pos);
        }
        // Whatever follows (`1e5`, `10BD`) belongs to the same literal: skip it whole.
        while is_word_char(self.peek(0)) {
            self.pos += 1;
        }
    }

    fn word(&mut self) {
        let start = self.pos;
        while is_word_char(self.peek(0)) {
            self.pos += 1;
        }
        let after = self.peek(0);
        if after == b'\'' || (after == b'"' && double_quote_is_string(self.dialect)) {
            return; // a string prefix (`E'…'`) or a typed literal (`date'…'`)
        }
        let before = start.checked_sub(1).map_or(b' ', |i| self.src[i]);
        self.layout.words.push(Word {
            span: start..self.pos,
            before,
            after,
        });
    }
}

/// GoogleSQL and Spark SQL read `"…"` as a string.
fn double_quote_is_string(dialect: Dialect) -> bool {
    matches!(dialect, Dialect::BigQuery | Dialect::Databricks)
}

fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
