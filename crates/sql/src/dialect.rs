//! What differs between the SQL dialects we read: lexing rules and how names fold.
//!
//! Every hook has one default; a dialect overrides it only where its vendor documents a
//! difference.

use model::WarehouseKind;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// A SQL dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// Snowflake.
    Snowflake,
    /// Google BigQuery (GoogleSQL).
    #[serde(rename = "bigquery")]
    BigQuery,
    /// Amazon Redshift.
    Redshift,
    /// Databricks SQL / Spark SQL.
    Databricks,
    /// DuckDB.
    #[serde(rename = "duckdb")]
    DuckDb,
}

impl Dialect {
    /// Every dialect, in the order the CLI lists them.
    pub const ALL: [Dialect; 6] = [
        Dialect::Snowflake,
        Dialect::BigQuery,
        Dialect::Redshift,
        Dialect::Databricks,
        Dialect::Postgres,
        Dialect::DuckDb,
    ];

    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Snowflake => "snowflake",
            Dialect::BigQuery => "bigquery",
            Dialect::Redshift => "redshift",
            Dialect::Databricks => "databricks",
            Dialect::DuckDb => "duckdb",
        }
    }

    /// The name the warehouse stores for an identifier as written.
    ///
    /// Snowflake folds unquoted names up, PostgreSQL and DuckDB down; Redshift (with
    /// `enable_case_sensitive_identifier` off) and Databricks ignore case even when quoted;
    /// BigQuery keeps dataset and table names exactly as written.
    pub fn fold(self, raw: &str, quoted: bool) -> Cow<'_, str> {
        match self {
            Dialect::Snowflake if !quoted => {
                if s_has_lower(raw) {
                    Cow::Owned(raw.to_uppercase())
                } else {
                    Cow::Borrowed(raw)
                }
            }
            Dialect::Postgres | Dialect::DuckDb if !quoted => lower(raw),
            Dialect::Redshift | Dialect::Databricks => lower(raw),
            _ => Cow::Borrowed(raw),
        }
    }

    /// Whether CTE names, aliases and column names compare without regard to case even after
    /// folding (BigQuery keeps case in storage but matches these case-insensitively).
    pub(crate) fn names_ignore_case(self) -> bool {
        matches!(self, Dialect::BigQuery | Dialect::DuckDb)
    }

    /// `"text"` is a string literal, not an identifier (GoogleSQL, Spark SQL).
    pub(crate) fn double_quote_is_string(self) -> bool {
        matches!(self, Dialect::BigQuery | Dialect::Databricks)
    }

    /// Backslash escapes inside quoted strings.
    pub(crate) fn backslash_escapes(self) -> bool {
        matches!(
            self,
            Dialect::BigQuery | Dialect::Databricks | Dialect::Snowflake
        )
    }

    /// `# comment` to the end of the line (GoogleSQL).
    pub(crate) fn hash_comments(self) -> bool {
        self == Dialect::BigQuery
    }

    /// `// comment` to the end of the line (Snowflake).
    pub(crate) fn slash_comments(self) -> bool {
        self == Dialect::Snowflake
    }

    /// `/* /* */ */` nests (PostgreSQL, Spark SQL).
    pub(crate) fn nested_comments(self) -> bool {
        matches!(
            self,
            Dialect::Postgres | Dialect::Databricks | Dialect::DuckDb
        )
    }

    /// `$$ … $$` and `$tag$ … $tag$` strings.
    pub(crate) fn dollar_strings(self) -> bool {
        !matches!(self, Dialect::BigQuery | Dialect::Databricks)
    }

    /// `FROM t, t.array_column` unnests the array implicitly (GoogleSQL; Redshift's
    /// navigation of SUPER arrays, `FROM t AS x, x.items AS i AT pos`).
    pub(crate) fn comma_unnest(self) -> bool {
        matches!(self, Dialect::BigQuery | Dialect::Redshift)
    }

    /// Project ids such as `my-project.dataset.table` may be written unquoted (GoogleSQL).
    pub(crate) fn dashed_names(self) -> bool {
        self == Dialect::BigQuery
    }

    /// Whether `` `name` `` quotes a name (elsewhere a backtick is not SQL at all).
    pub(crate) fn backtick_names(self) -> bool {
        matches!(self, Dialect::BigQuery | Dialect::Databricks)
    }

    /// Whether `x::type` casts (BigQuery has only CAST).
    pub(crate) fn double_colon_casts(self) -> bool {
        self != Dialect::BigQuery
    }

    /// Whether SELECT takes `QUALIFY` (PostgreSQL has none).
    pub(crate) fn qualify(self) -> bool {
        self != Dialect::Postgres
    }

    /// Whether `SELECT TOP n` limits rows (Snowflake and Redshift).
    pub(crate) fn select_top(self) -> bool {
        matches!(self, Dialect::Snowflake | Dialect::Redshift)
    }

    /// Whether a select-list item may name an alias defined before it in the same list
    /// (`a * 2 AS b, b + 1 AS c`), as Snowflake, Databricks, Redshift and DuckDB allow.
    pub(crate) fn lateral_aliases(self) -> bool {
        matches!(
            self,
            Dialect::Snowflake | Dialect::Databricks | Dialect::Redshift | Dialect::DuckDb
        )
    }
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) || !s.is_ascii() {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn s_has_lower(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_lowercase()) || !s.is_ascii()
}

impl From<WarehouseKind> for Dialect {
    fn from(kind: WarehouseKind) -> Self {
        match kind {
            WarehouseKind::Snowflake => Dialect::Snowflake,
            WarehouseKind::BigQuery => Dialect::BigQuery,
            WarehouseKind::Databricks => Dialect::Databricks,
            WarehouseKind::Postgres => Dialect::Postgres,
            WarehouseKind::Redshift => Dialect::Redshift,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "duckdb" => Ok(Dialect::DuckDb),
            other => other
                .parse::<WarehouseKind>()
                .map(Dialect::from)
                .map_err(|_| {
                    format!(
                    "unknown SQL dialect {s:?}; expected one of snowflake, bigquery, redshift, \
                     databricks, postgres, duckdb"
                )
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_follows_each_warehouse() {
        assert_eq!(Dialect::Snowflake.fold("Orders", false), "ORDERS");
        assert_eq!(Dialect::Snowflake.fold("Orders", true), "Orders");
        assert_eq!(Dialect::Postgres.fold("Orders", false), "orders");
        assert_eq!(Dialect::Postgres.fold("Orders", true), "Orders");
        assert_eq!(Dialect::Redshift.fold("Orders", true), "orders");
        assert_eq!(Dialect::Databricks.fold("Orders", true), "orders");
        assert_eq!(Dialect::BigQuery.fold("Orders", false), "Orders");
    }

    #[test]
    fn names_parse_case_insensitively() {
        assert_eq!("DuckDB".parse::<Dialect>(), Ok(Dialect::DuckDb));
        assert_eq!("postgresql".parse::<Dialect>(), Ok(Dialect::Postgres));
        assert!("oracle"
            .parse::<Dialect>()
            .unwrap_err()
            .contains("snowflake"));
    }
}
