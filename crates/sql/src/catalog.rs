//! Known table columns (the `--schema` file), used to expand `*` and place bare columns.

use crate::dialect::Dialect;
use crate::parser::split_name_string;
use crate::resolve::{qualify_parts, Defaults};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;

/// Table → ordered column names, keyed by fully qualified, folded table name.
#[derive(Debug, Default)]
pub struct Catalog {
    tables: HashMap<String, Vec<String>>,
}

impl Catalog {
    /// Reads a JSON object mapping table names (1–3 parts, quoted parts allowed) to either a
    /// list of column names or an object of column name → type.
    ///
    /// Names fold and qualify exactly as they do in SQL of `dialect` with these defaults: write
    /// `"\"CamelCase\""` to keep a case-sensitive name as it is.
    ///
    /// # Errors
    /// The JSON error, with its line and column.
    pub fn from_json(
        json: &str,
        dialect: Dialect,
        default_database: Option<&str>,
        default_schema: Option<&str>,
    ) -> Result<Catalog, serde_json::Error> {
        let raw: HashMap<String, ColumnNames> = serde_json::from_str(json)?;
        Ok(Catalog::from_tables(
            raw.into_iter().map(|(name, columns)| (name, columns.0)),
            dialect,
            default_database,
            default_schema,
        ))
    }

    /// Builds a catalog from `(table name, columns)` pairs, such as a dbt project's relations,
    /// folding and qualifying each name exactly as [`Catalog::from_json`] does: quote a part
    /// (`"\"Raw\".events"`, or a column `"\"Id\""`) to keep it as written.
    ///
    /// ```
    /// use sql::{Catalog, Dialect};
    ///
    /// let catalog = Catalog::from_tables(
    ///     [("marts.orders", vec!["Order_Id", "\"Amount\""])],
    ///     Dialect::Postgres,
    ///     Some("analytics"),
    ///     None,
    /// );
    /// assert_eq!(catalog.columns("analytics.marts.orders").unwrap(), ["order_id", "Amount"]);
    /// ```
    pub fn from_tables<N, C>(
        tables: impl IntoIterator<Item = (N, Vec<C>)>,
        dialect: Dialect,
        default_database: Option<&str>,
        default_schema: Option<&str>,
    ) -> Catalog
    where
        N: AsRef<str>,
        C: AsRef<str>,
    {
        let defaults = Defaults::new(dialect, default_database, default_schema);
        let fold =
            |ident: &crate::ast::Ident<'_>| dialect.fold(&ident.text, ident.quoted).into_owned();
        let tables = tables
            .into_iter()
            .map(|(name, columns)| {
                let parts: Vec<String> =
                    split_name_string(name.as_ref()).iter().map(fold).collect();
                let columns = columns
                    .iter()
                    .filter_map(|c| split_name_string(c.as_ref()).first().map(fold))
                    .collect();
                (qualify_parts(&parts, &defaults), columns)
            })
            .collect();
        Catalog { tables }
    }

    /// The columns of a qualified table, in order.
    pub fn columns(&self, table: &str) -> Option<&[String]> {
        self.tables.get(table).map(Vec::as_slice)
    }

    /// How many tables the catalog knows.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether the catalog knows no table.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

/// Column names from `["a", "b"]` or `{"a": "int", "b": "text"}`, keeping their order.
struct ColumnNames(Vec<String>);

impl<'de> Deserialize<'de> for ColumnNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ColumnNamesVisitor)
    }
}

struct ColumnNamesVisitor;

impl<'de> Visitor<'de> for ColumnNamesVisitor {
    type Value = ColumnNames;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of column names or an object of column name to type")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = seq.next_element::<String>()? {
            names.push(name);
        }
        Ok(ColumnNames(names))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            names.push(name);
        }
        Ok(ColumnNames(names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_and_qualify_like_sql() {
        let json = r#"{"marts.orders": ["Order_Id", "amount"], "\"Raw\".events": {"id": "int"}}"#;
        let catalog =
            Catalog::from_json(json, Dialect::Snowflake, Some("analytics"), Some("public"))
                .unwrap();
        assert_eq!(
            catalog.columns("ANALYTICS.MARTS.ORDERS").unwrap(),
            ["ORDER_ID", "AMOUNT"]
        );
        assert_eq!(catalog.columns("ANALYTICS.Raw.EVENTS").unwrap(), ["ID"]);
        assert!(Catalog::from_json("{\"t\": 3}", Dialect::Postgres, None, None).is_err());
    }
}
