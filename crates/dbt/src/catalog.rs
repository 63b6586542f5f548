//! `catalog.json` v1: the columns and types the warehouse actually has for each dbt node.

use crate::json::{lenient_string, Entries};
use crate::version::Metadata;
use model::{DbtColumn, DbtNode, RelationName, WarehouseKind};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
pub(crate) struct RawCatalog {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub nodes: Entries<CatalogTable>,
    #[serde(default)]
    pub sources: Entries<CatalogTable>,
}

#[derive(Deserialize)]
pub(crate) struct CatalogTable {
    #[serde(default)]
    metadata: TableMetadata,
    #[serde(default)]
    columns: Entries<CatalogColumn>,
    #[serde(default)]
    stats: Entries<CatalogStat>,
}

#[derive(Default, Deserialize)]
struct TableMetadata {
    #[serde(default, deserialize_with = "lenient_string")]
    database: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    schema: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    table_type: Option<String>,
}

#[derive(Deserialize)]
struct CatalogColumn {
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    data_type: Option<String>,
    #[serde(default)]
    index: Option<i64>,
}

#[derive(Deserialize)]
struct CatalogStat {
    #[serde(default)]
    value: serde_json::Value,
    #[serde(default)]
    include: bool,
}

impl RawCatalog {
    /// Catalog entries by unique id, for merging into manifest nodes.
    pub(crate) fn by_id(self) -> HashMap<String, CatalogTable> {
        self.nodes.0.into_iter().chain(self.sources.0).collect()
    }
}

impl CatalogTable {
    /// Applies warehouse truth to a node: its real relation name, column types and order,
    /// and which documented columns the warehouse lacks.
    pub(crate) fn merge_into(self, node: &mut DbtNode, kind: WarehouseKind) {
        if let Some(name) = self.metadata.name.as_deref() {
            node.relation = Some(RelationName::from_parts(
                kind,
                self.metadata.database.as_deref(),
                self.metadata.schema.as_deref(),
                name,
            ));
        }
        if node.materialized.is_none() {
            node.materialized = self
                .metadata
                .table_type
                .as_ref()
                .map(|t| t.to_ascii_lowercase());
        }
        node.row_count = self.row_count();
        merge_columns(&mut node.columns, self.columns.0);
    }

    /// `num_rows` (BigQuery, Snowflake `row_count`), when the adapter reports it.
    fn row_count(&self) -> Option<i64> {
        self.stats
            .0
            .iter()
            .filter(|(id, s)| s.include && matches!(id.as_str(), "num_rows" | "row_count"))
            .find_map(|(_, s)| {
                s.value
                    .as_i64()
                    .or_else(|| s.value.as_f64().map(|f| f as i64))
            })
    }
}

/// Orders columns as the warehouse does, keeps documented ones it lacks at the end.
fn merge_columns(columns: &mut Vec<DbtColumn>, catalog: Vec<(String, CatalogColumn)>) {
    let mut documented: HashMap<String, DbtColumn> = columns
        .drain(..)
        .map(|c| (c.name.to_lowercase(), c))
        .collect();
    let mut warehouse: Vec<DbtColumn> = catalog
        .into_iter()
        .map(|(key, c)| {
            let name = c.name.unwrap_or(key);
            let doc = documented.remove(&name.to_lowercase());
            DbtColumn {
                description: doc
                    .as_ref()
                    .map(|d| d.description.clone())
                    .unwrap_or_default(),
                documented: doc.is_some(),
                data_type: c.data_type.or_else(|| doc.and_then(|d| d.data_type)),
                position: c.index,
                in_warehouse: Some(true),
                name,
            }
        })
        .collect();
    warehouse.sort_by_key(|c| c.position.unwrap_or(i64::MAX));
    let mut missing: Vec<DbtColumn> = documented
        .into_values()
        .map(|c| DbtColumn {
            in_warehouse: Some(false),
            ..c
        })
        .collect();
    missing.sort_by(|a, b| a.name.cmp(&b.name));
    warehouse.extend(missing);
    *columns = warehouse;
}
