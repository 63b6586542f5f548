//! Data connections, and the warehouse tables Hex says a project queries through them.
//!
//! `connectionDetails` (Hex's OpenAPI document, `ReadableConnectionDetails`) is keyed by the
//! connection's type, each with its own field names: `{"snowflake": {accountName, warehouse,
//! database, schema, role, username}}`, `{"postgres": {hostname, database, port,
//! username}}`, `{"redshift": {host, database, port, username}}`, `{"bigquery": {projectId,
//! …}}`, `{"databricks": {jdbcUrl}}`, and `hostname` for trino, athena and clickhouse. It is
//! only in the "with sensitive fields" form, which ListDataConnections may or may not return
//! (the spec allows both) and GetDataConnection always does.

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
    /// Where it points, whatever the type calls it: the Snowflake `accountName`, the
    /// PostgreSQL `hostname`, the Redshift `host`, the BigQuery `projectId`, the host of the
    /// Databricks `jdbcUrl`.
    pub host: Option<String>,
    /// Its `database`, where the type has one.
    pub database: Option<String>,
    /// The string fields of the type's details (secrets and the raw JDBC URL left out; a
    /// Databricks connection shows `host` and `httpPath` from it instead).
    pub details: BTreeMap<String, String>,
    /// Whether Hex sent `connectionDetails` at all; without them only the type can match.
    pub has_details: bool,
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
    /// Hex will not say for any project (a 403: an Enterprise-only feature, or a scope the
    /// token lacks); the message names the call and Hex's words and says what that means.
    /// Query history still tells.
    Unavailable(String),
    /// Hex refused this project alone (404 or 422, both listed for the call): no list for it,
    /// the other projects' lists still count.
    Refused(String),
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

/// A field of `connectionDetails`: the type's group of fields, text, or anything else.
#[derive(Deserialize)]
#[serde(untagged)]
enum Detail {
    Group(BTreeMap<String, Leaf>),
    Text(String),
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
        let kind = raw.kind.unwrap_or_default();
        let has_details = raw.connection_details.is_some();
        let details = type_details(&kind, raw.connection_details.unwrap_or_default());
        DataConnection {
            id: raw.id,
            name: raw.name.unwrap_or_default(),
            host: place(&kind, &details),
            database: details.get("database").cloned(),
            kind,
            details,
            has_details,
        }
    }
}

/// The string fields of the group keyed by the connection's type (any one group when the
/// type names none); top-level strings, which the spec does not have, only fill gaps.
fn type_details(kind: &str, raw: BTreeMap<String, Detail>) -> BTreeMap<String, String> {
    let mut groups = Vec::new();
    let mut loose = BTreeMap::new();
    for (key, detail) in raw {
        match detail {
            Detail::Group(group) => groups.push((key, group)),
            Detail::Text(text) => {
                loose.insert(key, text);
            }
            Detail::Other(_) => {}
        }
    }
    let chosen = match groups
        .iter()
        .position(|(key, _)| key.eq_ignore_ascii_case(kind))
    {
        Some(at) => Some(groups.swap_remove(at).1),
        None => groups.pop().map(|(_, group)| group),
    };
    let mut details: BTreeMap<String, String> = chosen
        .into_iter()
        .flatten()
        .filter_map(|(key, leaf)| match leaf {
            Leaf::Text(text) => Some((key, text)),
            Leaf::Other(_) => None,
        })
        .collect();
    for (key, text) in loose {
        details.entry(key).or_insert(text);
    }
    if let Some(url) = details.remove("jdbcUrl") {
        details.extend(jdbc_parts(&url));
    }
    details.retain(|key, _| !looks_secret(key));
    details
}

/// Where the connection points, in the field its type uses for it.
fn place(kind: &str, details: &BTreeMap<String, String>) -> Option<String> {
    let field = match kind.to_ascii_lowercase().as_str() {
        "snowflake" => "accountName",
        "bigquery" => "projectId",
        "redshift" | "databricks" => "host",
        _ => "hostname",
    };
    ["host", "hostname", "accountName", "projectId"]
        .iter()
        .fold(details.get(field), |found, other| {
            found.or_else(|| details.get(*other))
        })
        .cloned()
}

/// `host` and `httpPath` of `jdbc:databricks://<host>:443/default;…;httpPath=/sql/1.0/
/// warehouses/<id>;…`; the rest (which may hold a `PWD`) goes no further.
fn jdbc_parts(url: &str) -> Vec<(String, String)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut parts = Vec::new();
    let host = rest.split([':', '/', ';']).next().unwrap_or("");
    if !host.is_empty() {
        parts.push(("host".to_string(), host.to_string()));
    }
    let path = rest
        .split(';')
        .filter_map(|p| p.split_once('='))
        .find(|(key, _)| key.eq_ignore_ascii_case("httpPath"));
    if let Some((_, path)) = path {
        parts.push(("httpPath".to_string(), path.to_string()));
    }
    parts
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
        "pwd",
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

    /// Each type's own field names, as ReadableConnectionDetails defines them.
    #[test]
    fn each_type_says_where_it_points_in_its_own_words() {
        let cases = [
            (
                r#"{"snowflake": {"accountName": "acme-xy12345", "warehouse": "WH", "database": "ANALYTICS", "schema": null, "role": "HEX", "username": "hex"}}"#,
                "snowflake",
                Some("acme-xy12345"),
                Some("ANALYTICS"),
            ),
            (
                r#"{"postgres": {"hostname": "db.acme.com", "database": "app", "port": 5432, "username": "hex"}}"#,
                "postgres",
                Some("db.acme.com"),
                Some("app"),
            ),
            (
                r#"{"redshift": {"host": "rs.acme.com", "database": "dev", "port": 5439, "username": "hex"}}"#,
                "redshift",
                Some("rs.acme.com"),
                Some("dev"),
            ),
            (
                r#"{"bigquery": {"projectId": "acme-prod", "enableStorageApi": true}}"#,
                "bigquery",
                Some("acme-prod"),
                None,
            ),
            (
                r#"{"databricks": {"jdbcUrl": "jdbc:databricks://adb-123.4.azuredatabricks.net:443/default;transportMode=http;ssl=1;httpPath=/sql/1.0/warehouses/abc123;AuthMech=3;UID=token;PWD=dapi-secret"}}"#,
                "databricks",
                Some("adb-123.4.azuredatabricks.net"),
                None,
            ),
        ];
        for (details, kind, host, database) in cases {
            let json = format!(
                r#"{{"id": "c", "name": "n", "type": "{kind}", "connectionDetails": {details}}}"#
            );
            let c = connection(&json);
            assert_eq!(c.host.as_deref(), host, "{kind}");
            assert_eq!(c.database.as_deref(), database, "{kind}");
            assert!(c.has_details);
            let shown = format!("{:?}", c.details);
            assert!(
                !shown.contains("dapi-secret") && !shown.contains("jdbc:"),
                "{shown}"
            );
        }
        let databricks = connection(
            r#"{"id": "c", "name": "n", "type": "databricks", "connectionDetails": {"databricks": {"jdbcUrl": "jdbc:databricks://h.cloud.databricks.com:443/default;httpPath=/sql/1.0/warehouses/w1"}}}"#,
        );
        assert_eq!(databricks.details["httpPath"], "/sql/1.0/warehouses/w1");
    }

    #[test]
    fn the_basic_form_has_no_details_and_secrets_never_pass() {
        let bare =
            connection(r#"{"id": "c3", "name": "Prod", "type": "postgres", "description": "x"}"#);
        assert_eq!((bare.host, bare.has_details), (None, false));
        let odd = connection(
            r#"{"id": "c2", "name": "Snow", "type": "snowflake",
                "connectionDetails": {"snowflake": {"accountName": "acme-xy", "privateKey": "k", "port": 443}}}"#,
        );
        assert_eq!(odd.details.keys().collect::<Vec<_>>(), ["accountName"]);
        let nameless = connection(r#"{"id": "c4", "name": null}"#);
        assert_eq!((nameless.name.as_str(), nameless.kind.as_str()), ("", ""));
    }
}
