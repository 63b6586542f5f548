//! DDL: CREATE, ALTER, DROP, TRUNCATE and UNDROP, with the lineage conventions of
//! `corpus/dialects/README.md`: a table copied or renamed is read, the one made is written,
//! and a statement that changes a table without reading one writes it.

use super::{PResult, Parser};
use crate::ast::{Create, Name, Statement};
use crate::keywords::Kw;
use crate::lexer::Kind;

/// Words between CREATE and TABLE / VIEW that do not change what is created.
const CREATE_MODIFIERS: &[&str] = &[
    "ALTER",
    "DYNAMIC",
    "EXTERNAL",
    "GLOBAL",
    "HYBRID",
    "ICEBERG",
    "LIVE",
    "LOCAL",
    "MATERIALIZED",
    "MULTISET",
    "OR",
    "RECURSIVE",
    "REPLACE",
    "SECURE",
    "SNAPSHOT",
    "STREAMING",
    "TEMP",
    "TEMPORARY",
    "TRANSIENT",
    "UNLOGGED",
    "VOLATILE",
];

fn is_create_modifier(word: &str) -> bool {
    CREATE_MODIFIERS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(word))
}

impl<'a> Parser<'a> {
    /// CREATE [OR REPLACE] [modifiers] TABLE|VIEW name … [AS query | query | LIKE t | CLONE t];
    /// CREATE PROCEDURE with a BEGIN … END body; any other CREATE has no lineage.
    pub(super) fn create(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        let mut view = false;
        loop {
            match self.peek().kw {
                Kw::TABLE => break,
                Kw::VIEW => {
                    view = true;
                    break;
                }
                _ if self.at_word("PROCEDURE") => return self.procedure(),
                _ if self.at(Kind::Word) && is_create_modifier(self.text(self.peek())) => {
                    self.pos += 1;
                }
                _ => return self.no_lineage("create_other"),
            }
        }
        self.pos += 1;
        self.if_not_exists()?;
        let target = self.object_name()?;
        let columns =
            if self.at(Kind::LParen) && !self.query_follows_paren() && self.kw_at(1) != Kw::LIKE {
                self.ident_list()?
            } else {
                Vec::new()
            };
        let mut create = Create {
            target,
            view,
            columns,
            query: None,
            copy_of: None,
        };
        self.create_body(&mut create)?;
        Ok(Statement::Create(create))
    }

    /// `IF [NOT] EXISTS`.
    fn if_not_exists(&mut self) -> PResult<()> {
        if self.at_kw(Kw::IF) {
            self.pos += 1;
            self.eat_kw(Kw::NOT);
            self.expect_kw(Kw::EXISTS, "EXISTS after IF [NOT]")?;
        }
        Ok(())
    }

    /// Skips options up to `AS query`, a query right after them (Spark's `CREATE TABLE t
    /// SELECT …`), `LIKE t` or `CLONE t`.
    fn create_body(&mut self, create: &mut Create<'a>) -> PResult<()> {
        loop {
            let token = self.peek();
            match token.kind {
                Kind::Eof | Kind::Semicolon => return Ok(()),
                Kind::LParen | Kind::LBracket | Kind::LBrace => {
                    if self.kw_at(1) == Kw::LIKE {
                        // PostgreSQL/Redshift `(LIKE t INCLUDING …)` copies t's columns.
                        self.pos += 2;
                        create.copy_of = Some(self.object_name()?);
                        self.skip_to_close()?;
                        self.pos += 1;
                        continue;
                    }
                    if self.query_follows_paren() {
                        create.query = Some(self.query()?);
                        return self.create_trailer();
                    }
                    self.skip_group()?;
                    continue;
                }
                _ => {}
            }
            match token.kw {
                Kw::AS if self.query_after_as() => {
                    self.pos += 1;
                    create.query = Some(self.query()?);
                    return self.create_trailer();
                }
                Kw::SELECT | Kw::WITH if !create.view => {
                    create.query = Some(self.query()?);
                    return self.create_trailer();
                }
                // BigQuery's `CREATE TABLE t COPY s` as well.
                Kw::LIKE | Kw::CLONE | Kw::COPY
                    if matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) =>
                {
                    self.pos += 1;
                    create.copy_of = Some(self.object_name()?);
                }
                _ => self.pos += 1,
            }
        }
    }

    fn query_after_as(&self) -> bool {
        let next = self.peek_at(1);
        matches!(next.kw, Kw::SELECT | Kw::WITH | Kw::VALUES | Kw::TABLE)
            || (next.kw == Kw::FROM && self.dialect == crate::dialect::Dialect::DuckDb)
            || (next.kind == Kind::LParen && {
                let mut ahead = 1;
                while self.peek_at(ahead).kind == Kind::LParen {
                    ahead += 1;
                }
                matches!(self.kw_at(ahead), Kw::SELECT | Kw::WITH | Kw::VALUES)
            })
    }

    /// `WITH [NO] DATA` after a CREATE … AS query; Redshift's `WITH NO SCHEMA BINDING` (a
    /// late-binding view).
    fn create_trailer(&mut self) -> PResult<()> {
        if self.at_kw(Kw::WITH) {
            self.pos += 1;
            self.eat_word("NO");
            let binding = self.at_word("SCHEMA") && self.at_word_at(1, "BINDING");
            if binding {
                self.pos += 2;
            } else if !self.eat_word("DATA") {
                return Err(self.unexpected("DATA or SCHEMA BINDING after WITH [NO]"));
            }
        }
        Ok(())
    }

    /// ALTER TABLE|VIEW: `RENAME TO b`, `SWAP WITH b`, or any other change of the table (a
    /// write); ALTER of anything else has no lineage.
    pub(super) fn alter(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        while self.at_word("MATERIALIZED") || self.at_word("EXTERNAL") || self.at_word("DYNAMIC") {
            self.pos += 1;
        }
        if !(self.eat_kw(Kw::TABLE) || self.eat_kw(Kw::VIEW)) {
            return self.no_lineage("alter_other");
        }
        if self.at_kw(Kw::IF) {
            self.pos += 1;
            self.expect_kw(Kw::EXISTS, "EXISTS after IF")?;
        }
        self.eat_kw(Kw::ONLY);
        let table = self.object_name()?;
        if self.at_kw(Kw::RENAME) && self.kw_at(1) == Kw::TO {
            self.pos += 2;
            let to = self.object_name()?;
            self.skip_statement();
            return Ok(Statement::Rename {
                to: renamed(&table, to),
                from: table,
                swap: false,
            });
        }
        if self.at_word("SWAP") && self.kw_at(1) == Kw::WITH {
            self.pos += 2;
            let with = self.object_name()?;
            self.skip_statement();
            return Ok(Statement::Rename {
                from: table,
                to: with,
                swap: true,
            });
        }
        self.skip_statement();
        Ok(Statement::Touch {
            kind: "alter",
            targets: vec![table],
        })
    }

    /// DROP TABLE|VIEW names (a write of each); DROP of anything else has no lineage.
    pub(super) fn drop(&mut self) -> PResult<Statement<'a>> {
        self.pos += 1;
        while self.at_word("MATERIALIZED") || self.at_word("EXTERNAL") || self.at_word("DYNAMIC") {
            self.pos += 1;
        }
        if !(self.at_kw(Kw::TABLE) || self.at_kw(Kw::VIEW)) {
            return self.no_lineage("drop_other");
        }
        self.touch_tables("drop")
    }

    /// `TRUNCATE [TABLE] [IF EXISTS] [ONLY] t, …`.
    pub(super) fn truncate(&mut self) -> PResult<Statement<'a>> {
        self.touch_tables("truncate")
    }

    /// `<verb> [TABLE|VIEW] [IF EXISTS] [ONLY] name, …` writing each name.
    pub(super) fn touch_tables(&mut self, kind: &'static str) -> PResult<Statement<'a>> {
        self.pos += 1;
        let _ = self.eat_kw(Kw::TABLE) || self.eat_kw(Kw::VIEW);
        if self.at_kw(Kw::IF) {
            self.pos += 1;
            self.expect_kw(Kw::EXISTS, "EXISTS after IF")?;
        }
        self.eat_kw(Kw::ONLY);
        let mut targets = Vec::new();
        loop {
            targets.push(self.object_name()?);
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        self.skip_statement();
        Ok(Statement::Touch { kind, targets })
    }
}

/// `ALTER TABLE s.a RENAME TO b` keeps `b` where `a` was: an unqualified new name takes the
/// old name's database and schema (PostgreSQL, Redshift and BigQuery take no other).
fn renamed<'a>(from: &Name<'a>, mut to: Name<'a>) -> Name<'a> {
    if to.len() < from.len() {
        let keep = from.len() - to.len();
        let mut full: Name<'a> = from[..keep].to_vec();
        full.append(&mut to);
        return full;
    }
    to
}
