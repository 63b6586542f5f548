//! Warehouse kinds and how each one folds identifier case.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A kind of warehouse a data connection points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WarehouseKind {
    /// Snowflake: unquoted identifiers fold to upper case.
    Snowflake,
    /// BigQuery: dataset and table names are case-sensitive, so nothing folds.
    #[serde(rename = "bigquery")]
    BigQuery,
    /// Databricks (Unity Catalog): names are case-insensitive and stored lower case.
    Databricks,
    /// PostgreSQL: unquoted identifiers fold to lower case, quoted ones are kept.
    Postgres,
    /// Redshift: case-insensitive by default (`enable_case_sensitive_identifier` off).
    Redshift,
}

impl WarehouseKind {
    /// Every kind, in the order the UI lists them.
    pub const ALL: [WarehouseKind; 5] = [
        WarehouseKind::Snowflake,
        WarehouseKind::BigQuery,
        WarehouseKind::Databricks,
        WarehouseKind::Postgres,
        WarehouseKind::Redshift,
    ];

    /// The config name of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            WarehouseKind::Snowflake => "snowflake",
            WarehouseKind::BigQuery => "bigquery",
            WarehouseKind::Databricks => "databricks",
            WarehouseKind::Postgres => "postgres",
            WarehouseKind::Redshift => "redshift",
        }
    }

    /// The name the warehouse itself stores for an identifier written `raw`.
    ///
    /// Quoted identifiers keep their case except where the warehouse ignores case altogether
    /// (Redshift by default, Databricks); see each vendor's identifier docs.
    pub fn fold(self, raw: &str, quoted: bool) -> String {
        match self {
            WarehouseKind::Snowflake if !quoted => raw.to_uppercase(),
            WarehouseKind::Postgres if !quoted => raw.to_lowercase(),
            WarehouseKind::Redshift | WarehouseKind::Databricks => raw.to_lowercase(),
            _ => raw.to_string(),
        }
    }

    /// The quote characters that delimit identifiers in this warehouse's SQL.
    pub fn quote_chars(self) -> &'static [char] {
        match self {
            WarehouseKind::BigQuery | WarehouseKind::Databricks => &['`', '"'],
            _ => &['"'],
        }
    }
}

impl fmt::Display for WarehouseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WarehouseKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "postgresql" => return Ok(WarehouseKind::Postgres),
            "spark" => return Ok(WarehouseKind::Databricks),
            _ => {}
        }
        WarehouseKind::ALL
            .into_iter()
            .find(|k| k.as_str() == lower)
            .ok_or_else(|| {
                format!(
                    "unknown warehouse kind {s:?}: expected one of snowflake, bigquery, databricks, postgres, redshift"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_follows_each_warehouse() {
        assert_eq!(WarehouseKind::Snowflake.fold("orders", false), "ORDERS");
        assert_eq!(WarehouseKind::Snowflake.fold("orders", true), "orders");
        assert_eq!(WarehouseKind::Postgres.fold("Orders", false), "orders");
        assert_eq!(WarehouseKind::Postgres.fold("Orders", true), "Orders");
        assert_eq!(WarehouseKind::Redshift.fold("Orders", true), "orders");
        assert_eq!(WarehouseKind::Databricks.fold("Orders", true), "orders");
        assert_eq!(WarehouseKind::BigQuery.fold("Orders", false), "Orders");
    }

    #[test]
    fn parses_adapter_names() {
        assert_eq!("PostgreSQL".parse(), Ok(WarehouseKind::Postgres));
        assert_eq!("bigquery".parse(), Ok(WarehouseKind::BigQuery));
        assert!("oracle".parse::<WarehouseKind>().is_err());
    }
}
