//! Data connections, and the warehouse tables Hex says a project queries through them.

use crate::lenient;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A warehouse connection of the workspace, to match with one of ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataConnection {
    /// The connection id, as cells and queried tables name it.
    pub id: String,
    /// The name users see, as in the query comment's `connection`.
    pub name: String,
    /// Hex's `type`: `snowflake`, `bigquery`, `postgres`, `redshift`, `databricks`, ...
    pub kind: String,
    /// `connectionDetails.host`.
    pub host: Option<String>,
    /// `connectionDetails.database`.
    pub database: Option<String>,
    /// Every string-valued field of `connectionDetails` (e.g. `account`, `warehouse`,
    /// `projectId`), fields of an object nested one level (keyed by the type) included;
    /// fields that look secret are left out.
    pub details: BTreeMap<String, String>,
}

/// A warehouse table a project queries, as Hex records it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueriedTable {
    /// The data connection the table was queried through.
    pub data_connection_id: String,
    /// That connection's name; empty if Hex sent none.
    #[serde(default, deserialize_with = "lenient::text")]
    pub data_connection_name: String,
    /// The table's name: 1, 2 or 3 parts, quoted as the warehouse quotes.
    pub table_name: String,
}

/// What Hex can say about a project's tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueriedTables {
    /// Every table the project queries.
    Tables(Vec<QueriedTable>),
    /// Hex will not say (an Enterprise-only feature, or a scope the token lacks); the message
    /// names the call and Hex's words and says what that means. Query history still tells.
    Unavailable(String),
}

/// A data connection as Hex sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawConnection {
    id: String,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    connection_details: Option<BTreeMap<String, Detail>>,
}

/// A field of `connectionDetails`: text, a group of fields, or anything else (skipped).
#[derive(Deserialize)]
#[serde(untagged)]
enum Detail {
    Text(String),
    Group(BTreeMap<String, Leaf>),
    Other(IgnoredAny),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Leaf {
    Text(String),
    Other(IgnoredAny),
}

impl From<RawConnection> for DataConnection {
    fn from(raw: RawConnection) -> DataConnection {
        let details = flatten(raw.connection_details.unwrap_or_default());
        DataConnection {
            id: raw.id,
            name: raw.name.unwrap_or_default(),
            kind: raw.kind.unwrap_or_default(),
            host: details.get("host").cloned(),
            database: details.get("database").cloned(),
            details,
        }
    }
}

/// The string fields, top level first: a nested group (`{"snowflake": {...}}`) only fills
/// what the top level does not say.
fn flatten(raw: BTreeMap<String, Detail>) -> BTreeMap<String, String> {
    let mut details = BTreeMap::new();
    let mut nested = Vec::new();
    for (key, detail) in raw {
        match detail {
            Detail::Text(text) => {
                details.insert(key, text);
            }
            Detail::Group(group) => nested.extend(group),
            Detail::Other(_) => {}
        }
    }
    for (key, leaf) in nested {
        if let Leaf::Text(text) = leaf {
            details.entry(key).or_insert(text);
        }
    }
    details.retain(|key, _| !looks_secret(key));
    details
}

/// Hex should never send credentials here; if it ever does, they must not travel further.
fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "passphrase",
        "secret",
        "token",
        "privatekey",
        "private_key",
        "credential",
        "apikey",
        "accesskey",
        "serviceaccount",
    ]
    .iter()
    .any(|word| key.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(json: &str) -> DataConnection {
        let raw: RawConnection = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        raw.into()
    }

    #[test]
    fn flat_and_nested_details_keep_strings_and_drop_secrets() {
        let flat = connection(
            r#"{"id": "c1", "name": "Prod", "type": "postgres",
                "connectionDetails": {"host": "db.acme.com", "port": 5432, "database": "analytics",
                                      "password": "x", "ssl": true}}"#,
        );
        assert_eq!(flat.host.as_deref(), Some("db.acme.com"));
        assert_eq!(flat.database.as_deref(), Some("analytics"));
        assert_eq!(
            flat.details.keys().collect::<Vec<_>>(),
            ["database", "host"],
            "numbers, flags and secrets are left out"
        );
        let nested = connection(
            r#"{"id": "c2", "name": "Snow", "type": "snowflake",
                "connectionDetails": {"snowflake": {"accountName": "acme-xy", "warehouse": "WH",
                                                    "database": "RAW", "privateKey": "k"},
                                      "database": "ANALYTICS"}}"#,
        );
        assert_eq!(
            nested.database.as_deref(),
            Some("ANALYTICS"),
            "top level wins"
        );
        assert_eq!(nested.details["accountName"], "acme-xy");
        assert_eq!(nested.details["warehouse"], "WH");
        assert!(!nested.details.contains_key("privateKey"));
        let bare = connection(r#"{"id": "c3", "name": null}"#);
        assert_eq!((bare.name.as_str(), bare.kind.as_str()), ("", ""));
        assert!(bare.details.is_empty());
    }
}
