//! The words each warehouse reserves: they cannot be a column, table or alias name without
//! quotes. Every other keyword (`start`, `end`, `interval`, `value`, `type`, …) is a name
//! wherever the grammar allows one, as the warehouse itself reads it.
//!
//! Lists kept sorted (a test checks), from each vendor's reference:
//! - Snowflake: <https://docs.snowflake.com/en/sql-reference/reserved-keywords> (the keywords
//!   reserved by ANSI or limited as column references; those limited only in SHOW commands
//!   or DDL stay names);
//! - BigQuery: <https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#reserved_keywords>;
//! - PostgreSQL: <https://www.postgresql.org/docs/current/sql-keywords-appendix.html>
//!   (reserved, and reserved but allowed as function or type names);
//! - Redshift: <https://docs.aws.amazon.com/redshift/latest/dg/r_pg_keywords.html>;
//! - Databricks: <https://docs.databricks.com/en/sql/language-manual/sql-ref-reserved-words.html>
//!   (the words reserved even outside ANSI mode);
//! - DuckDB: <https://duckdb.org/docs/sql/dialect/keywords_and_identifiers> (PostgreSQL's
//!   grammar and its reserved words, plus PIVOT, UNPIVOT and QUALIFY).

use crate::Dialect;

/// Words no dialect lets a statement use as a bare name: the grammar's own joints.
const EVERYWHERE: &[&str] = &[
    "AND", "AS", "BETWEEN", "CASE", "ELSE", "EXCEPT", "FROM", "GROUP", "HAVING", "IN", "INTERSECT",
    "INTO", "IS", "JOIN", "NOT", "ON", "OR", "ORDER", "SELECT", "THEN", "UNION", "USING", "WHEN",
    "WHERE", "WITH",
];

const SNOWFLAKE: &[&str] = &[
    "ALL", "ALTER", "AND", "ANY", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CHECK", "COLUMN",
    "CONNECT", "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME",
    "CURRENT_TIMESTAMP", "CURRENT_USER", "DELETE", "DESC", "DISTINCT", "DROP", "ELSE", "EXISTS",
    "FALSE", "FOLLOWING", "FOR", "FROM", "FULL", "GRANT", "GROUP", "HAVING", "ILIKE", "IN",
    "INCREMENT", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "JOIN", "LATERAL", "LEFT", "LIKE",
    "LOCALTIME", "LOCALTIMESTAMP", "MINUS", "NATURAL", "NOT", "NULL", "OF", "ON", "OR", "ORDER",
    "QUALIFY", "REGEXP", "REVOKE", "RIGHT", "RLIKE", "ROW", "ROWS", "SAMPLE", "SELECT", "SET",
    "SOME", "START", "TABLE", "TABLESAMPLE", "THEN", "TO", "TRIGGER", "TRUE", "TRY_CAST", "UNION",
    "UNIQUE", "UPDATE", "USING", "VALUES", "WHEN", "WHENEVER", "WHERE", "WITH",
];

const BIGQUERY: &[&str] = &[
    "ALL", "AND", "ANY", "ARRAY", "AS", "ASC", "ASSERT_ROWS_MODIFIED", "AT", "BETWEEN", "BY",
    "CASE", "CAST", "COLLATE", "CONTAINS", "CREATE", "CROSS", "CUBE", "CURRENT", "DEFAULT",
    "DEFINE", "DESC", "DISTINCT", "ELSE", "END", "ENUM", "ESCAPE", "EXCEPT", "EXCLUDE", "EXISTS",
    "EXTRACT", "FALSE", "FETCH", "FOLLOWING", "FOR", "FROM", "FULL", "GROUP", "GROUPING",
    "GROUPS", "HASH", "HAVING", "IF", "IGNORE", "IN", "INNER", "INTERSECT", "INTERVAL", "INTO",
    "IS", "JOIN", "LATERAL", "LEFT", "LIKE", "LIMIT", "LOOKUP", "MERGE", "NATURAL", "NEW", "NO",
    "NOT", "NULL", "NULLS", "OF", "ON", "OR", "ORDER", "OUTER", "OVER", "PARTITION", "PRECEDING",
    "PROTO", "QUALIFY", "RANGE", "RECURSIVE", "RESPECT", "RIGHT", "ROLLUP", "ROWS", "SELECT",
    "SET", "SOME", "STRUCT", "TABLESAMPLE", "THEN", "TO", "TREAT", "TRUE", "UNBOUNDED", "UNION",
    "UNNEST", "USING", "WHEN", "WHERE", "WINDOW", "WITH", "WITHIN",
];

const POSTGRES: &[&str] = &[
    "ALL", "ANALYSE", "ANALYZE", "AND", "ANY", "ARRAY", "AS", "ASC", "ASYMMETRIC",
    "AUTHORIZATION", "BINARY", "BOTH", "CASE", "CAST", "CHECK", "COLLATE", "COLLATION", "COLUMN",
    "CONCURRENTLY", "CONSTRAINT", "CREATE", "CROSS", "CURRENT_CATALOG", "CURRENT_DATE",
    "CURRENT_ROLE", "CURRENT_SCHEMA", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER",
    "DEFAULT", "DEFERRABLE", "DESC", "DISTINCT", "DO", "ELSE", "END", "EXCEPT", "FALSE", "FETCH",
    "FOR", "FOREIGN", "FREEZE", "FROM", "FULL", "GRANT", "GROUP", "HAVING", "ILIKE", "IN",
    "INITIALLY", "INNER", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "LATERAL", "LEADING",
    "LEFT", "LIKE", "LIMIT", "LOCALTIME", "LOCALTIMESTAMP", "NATURAL", "NOT", "NOTNULL", "NULL",
    "OFFSET", "ON", "ONLY", "OR", "ORDER", "OUTER", "OVERLAPS", "PLACING", "PRIMARY",
    "REFERENCES", "RETURNING", "RIGHT", "SELECT", "SESSION_USER", "SIMILAR", "SOME", "SYMMETRIC",
    "SYSTEM_USER", "TABLE", "TABLESAMPLE", "THEN", "TO", "TRAILING", "TRUE", "UNION", "UNIQUE",
    "USER", "USING", "VARIADIC", "VERBOSE", "WHEN", "WHERE", "WINDOW", "WITH",
];

const REDSHIFT: &[&str] = &[
    "AES128", "AES256", "ALL", "ALLOWOVERWRITE", "ANALYSE", "ANALYZE", "AND", "ANY", "ARRAY",
    "AS", "ASC", "AUTHORIZATION", "AZ64", "BACKUP", "BETWEEN", "BINARY", "BLANKSASNULL", "BOTH",
    "BYTEDICT", "BZIP2", "CASE", "CAST", "CHECK", "COLLATE", "COLUMN", "CONSTRAINT", "CREATE",
    "CREDENTIALS", "CROSS", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER",
    "CURRENT_USER_ID", "DEFAULT", "DEFERRABLE", "DEFLATE", "DEFRAG", "DELTA", "DELTA32K", "DESC",
    "DISABLE", "DISTINCT", "DO", "ELSE", "EMPTYASNULL", "ENABLE", "ENCODE", "ENCRYPT",
    "ENCRYPTION", "END", "EXCEPT", "EXPLICIT", "FALSE", "FOR", "FOREIGN", "FREEZE", "FROM", "FULL",
    "GLOBALDICT256", "GLOBALDICT64K", "GRANT", "GROUP", "GZIP", "HAVING", "IDENTITY", "IGNORE",
    "ILIKE", "IN", "INITIALLY", "INNER", "INTERSECT", "INTERVAL", "INTO", "IS", "ISNULL", "JOIN",
    "LANGUAGE", "LEADING", "LEFT", "LIKE", "LIMIT", "LOCALTIME", "LOCALTIMESTAMP", "LUN", "LUNS",
    "LZO", "LZOP", "MINUS", "MOSTLY16", "MOSTLY32", "MOSTLY8", "NATURAL", "NEW", "NOT",
    "NOTNULL", "NULL", "NULLS", "OFF", "OFFLINE", "OFFSET", "OID", "OLD", "ON", "ONLY", "OPEN",
    "OR", "ORDER", "OUTER", "OVERLAPS", "PARALLEL", "PARTITION", "PERCENT", "PERMISSIONS",
    "PIVOT", "PLACING", "PRIMARY", "RAW", "READRATIO", "RECOVER", "REFERENCES", "REJECTLOG",
    "RESORT", "RESPECT", "RESTORE", "RIGHT", "SELECT", "SESSION_USER", "SIMILAR", "SNAPSHOT",
    "SOME", "SYSDATE", "SYSTEM", "TABLE", "TAG", "TDES", "TEXT255", "TEXT32K", "THEN",
    "TIMESTAMP", "TO", "TOP", "TRAILING", "TRUE", "TRUNCATECOLUMNS", "UNION", "UNIQUE", "UNNEST",
    "UNPIVOT", "USER", "USING", "VERBOSE", "WALLET", "WHEN", "WHERE", "WITH", "WITHOUT",
];

const DATABRICKS: &[&str] = &[
    "ANTI", "CROSS", "EXCEPT", "FALSE", "FULL", "INNER", "INTERSECT", "JOIN", "LATERAL", "LEFT",
    "MINUS", "NATURAL", "NULL", "ON", "RIGHT", "SEMI", "TRUE", "UNION", "USING",
];

const DUCKDB_EXTRA: &[&str] = &["PIVOT", "QUALIFY", "UNPIVOT"];

impl Dialect {
    /// Whether `word` (any case) is reserved: never a bare column, table or alias name.
    pub(crate) fn reserved(self, word: &str) -> bool {
        if word.len() > 24 || !word.is_ascii() {
            return false;
        }
        let upper = word.to_ascii_uppercase();
        let listed = |list: &[&str]| list.binary_search(&upper.as_str()).is_ok();
        listed(EVERYWHERE)
            || match self {
                Dialect::Snowflake => listed(SNOWFLAKE),
                Dialect::BigQuery => listed(BIGQUERY),
                Dialect::Postgres => listed(POSTGRES),
                Dialect::Redshift => listed(REDSHIFT),
                Dialect::Databricks => listed(DATABRICKS),
                Dialect::DuckDb => listed(POSTGRES) || listed(DUCKDB_EXTRA),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_for_bisection() {
        for list in [
            EVERYWHERE,
            SNOWFLAKE,
            BIGQUERY,
            POSTGRES,
            REDSHIFT,
            DATABRICKS,
            DUCKDB_EXTRA,
        ] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{:?}", list.windows(2).find(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn each_dialect_reserves_its_own_words() {
        assert!(Dialect::Snowflake.reserved("start"));
        assert!(!Dialect::Snowflake.reserved("end"));
        assert!(!Dialect::Snowflake.reserved("interval"));
        assert!(Dialect::BigQuery.reserved("interval") && Dialect::BigQuery.reserved("END"));
        assert!(!Dialect::Databricks.reserved("start") && !Dialect::Databricks.reserved("end"));
        assert!(Dialect::Postgres.reserved("end") && !Dialect::Postgres.reserved("interval"));
        assert!(Dialect::Redshift.reserved("interval") && Dialect::Redshift.reserved("timestamp"));
        assert!(!Dialect::Postgres.reserved("value") && !Dialect::Snowflake.reserved("type"));
        for dialect in Dialect::ALL {
            assert!(dialect.reserved("select") && dialect.reserved("FROM"), "{dialect}");
        }
    }
}
