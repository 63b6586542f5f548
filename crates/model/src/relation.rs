//! Qualified relation names (`database.schema.table`) resolved by a warehouse's rules.

use crate::WarehouseKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One part of a dotted name as written, before folding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The text between the quotes, with doubled quotes undone, or the bare word.
    pub value: String,
    /// Whether it was written in quotes (`"x"` or `` `x` ``).
    pub quoted: bool,
}

/// Why a relation name could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelationParseError {
    /// The text is empty or has an empty part (`a..b`).
    EmptyPart(String),
    /// A quote opens and never closes.
    UnclosedQuote(String),
    /// More than three parts (BigQuery wildcard or nested names are not relations).
    TooManyParts(String),
}

impl fmt::Display for RelationParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelationParseError::EmptyPart(s) => write!(f, "relation name {s:?} has an empty part"),
            RelationParseError::UnclosedQuote(s) => {
                write!(f, "relation name {s:?} has a quote that never closes")
            }
            RelationParseError::TooManyParts(s) => {
                write!(f, "relation name {s:?} has more than three parts")
            }
        }
    }
}

impl std::error::Error for RelationParseError {}

/// A relation named as the warehouse stores it: each part already folded by its case rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RelationName {
    /// Database (Snowflake, Postgres), project (BigQuery) or catalog (Databricks).
    pub database: Option<String>,
    /// Schema, or BigQuery dataset.
    pub schema: Option<String>,
    /// Table or view name.
    pub name: String,
}

impl RelationName {
    /// Reads a 1-, 2- or 3-part name such as `"db"."schema"."table"` or `` `p`.`d`.`t` ``.
    pub fn parse(text: &str, kind: WarehouseKind) -> Result<Self, RelationParseError> {
        let idents = split_idents(text, kind)?;
        let mut parts: Vec<String> = idents
            .into_iter()
            .map(|i| kind.fold(&i.value, i.quoted))
            .collect();
        let name = parts.pop().unwrap_or_default();
        let schema = parts.pop();
        let database = parts.pop();
        Ok(RelationName {
            database,
            schema,
            name,
        })
    }

    /// Builds a name from dbt's `database`, `schema` and `alias` fields.
    ///
    /// dbt quotes these parts by default on every adapter but Snowflake, so only Snowflake folds.
    pub fn from_parts(
        kind: WarehouseKind,
        database: Option<&str>,
        schema: Option<&str>,
        name: &str,
    ) -> Self {
        let quoted = kind != WarehouseKind::Snowflake;
        let fold = |s: &str| kind.fold(s, quoted);
        RelationName {
            database: database.filter(|s| !s.is_empty()).map(fold),
            schema: schema.filter(|s| !s.is_empty()).map(fold),
            name: fold(name),
        }
    }

    /// Fills the parts a short name leaves out from the connection's defaults.
    pub fn with_defaults(mut self, database: Option<&str>, schema: Option<&str>) -> Self {
        if self.schema.is_none() {
            self.schema = schema.map(str::to_string);
        }
        if self.database.is_none() {
            self.database = database.map(str::to_string);
        }
        self
    }

    /// The canonical text used to match relations across sources.
    pub fn key(&self) -> String {
        let mut out = String::new();
        for part in [self.database.as_deref(), self.schema.as_deref()]
            .into_iter()
            .flatten()
            .chain(std::iter::once(self.name.as_str()))
        {
            if !out.is_empty() {
                out.push('.');
            }
            if part.contains('.') || part.contains('"') {
                out.push('"');
                out.push_str(&part.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(part);
            }
        }
        out
    }
}

impl fmt::Display for RelationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Splits a dotted name into its parts, honouring the warehouse's quote characters.
fn split_idents(text: &str, kind: WarehouseKind) -> Result<Vec<Ident>, RelationParseError> {
    let quotes = kind.quote_chars();
    let mut idents = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let ident = match chars.peek().copied() {
            Some(q) if quotes.contains(&q) => {
                chars.next();
                read_quoted(&mut chars, q)
                    .ok_or_else(|| RelationParseError::UnclosedQuote(text.into()))?
            }
            _ => {
                let mut value = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '.' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                Ident {
                    value: value.trim().to_string(),
                    quoted: false,
                }
            }
        };
        if ident.value.is_empty() && !ident.quoted {
            return Err(RelationParseError::EmptyPart(text.into()));
        }
        idents.push(ident);
        match chars.next() {
            None => break,
            Some('.') => continue,
            Some(_) => return Err(RelationParseError::EmptyPart(text.into())),
        }
    }
    if idents.len() > 3 {
        return Err(RelationParseError::TooManyParts(text.into()));
    }
    Ok(idents)
}

/// Reads a quoted identifier after its opening quote; a doubled quote stands for one.
fn read_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, quote: char) -> Option<Ident> {
    let mut value = String::new();
    loop {
        let c = chars.next()?;
        if c == quote {
            if chars.peek() == Some(&quote) {
                chars.next();
                value.push(quote);
                continue;
            }
            // A BigQuery backticked name may hold the whole path: `project.dataset.table`.
            return Some(Ident {
                value,
                quoted: true,
            });
        }
        value.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parse(text: &str, kind: WarehouseKind) -> RelationName {
        RelationName::parse(text, kind).unwrap()
    }

    #[test]
    fn three_part_quoted_postgres_names_keep_case() {
        let rel = parse(r#""analytics"."Marts"."orders""#, WarehouseKind::Postgres);
        assert_eq!(rel.database.as_deref(), Some("analytics"));
        assert_eq!(rel.schema.as_deref(), Some("Marts"));
        assert_eq!(rel.name, "orders");
    }

    #[test]
    fn snowflake_folds_unquoted_parts_up() {
        let rel = parse("analytics.marts.\"Mixed\"", WarehouseKind::Snowflake);
        assert_eq!(rel.key(), "ANALYTICS.MARTS.Mixed");
    }

    #[test]
    fn bigquery_backticks_and_dashes() {
        let rel = parse("`my-project`.`jaffle`.`Orders`", WarehouseKind::BigQuery);
        assert_eq!(rel.key(), "my-project.jaffle.Orders");
    }

    #[test]
    fn short_names_take_defaults() {
        let rel =
            parse("orders", WarehouseKind::Postgres).with_defaults(Some("db"), Some("public"));
        assert_eq!(rel.key(), "db.public.orders");
        let rel =
            parse("s.orders", WarehouseKind::Postgres).with_defaults(Some("db"), Some("public"));
        assert_eq!(rel.key(), "db.s.orders");
    }

    #[test]
    fn doubled_quotes_and_dots_inside_quotes() {
        let rel = parse(r#""we""ird"."a.b""#, WarehouseKind::Postgres);
        assert_eq!(rel.schema.as_deref(), Some("we\"ird"));
        assert_eq!(rel.name, "a.b");
        assert_eq!(rel.key(), r#""we""ird"."a.b""#);
    }

    #[test]
    fn bad_names_are_errors_not_panics() {
        for bad in ["", "a..b", "\"open", "a.b.c.d", "a.\"b\"c"] {
            assert!(
                RelationName::parse(bad, WarehouseKind::Postgres).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn from_parts_folds_only_on_snowflake() {
        let sf = RelationName::from_parts(WarehouseKind::Snowflake, Some("db"), Some("s"), "t");
        assert_eq!(sf.key(), "DB.S.T");
        let pg = RelationName::from_parts(WarehouseKind::Postgres, Some("db"), Some("S"), "t");
        assert_eq!(pg.key(), "db.S.t");
    }
}
