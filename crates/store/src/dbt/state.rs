//! A connection's synced dbt project as a later manifest is compared with it: each node's
//! checksum, file and columns, and the column lineage read from its compiled SQL.

use crate::batch::{self, Val};
use crate::{Store, StoreError};
use model::{ColumnEdge, WarehouseKind};
use sqlx::{Any, AnyConnection, Row};
use std::collections::HashMap;

/// One synced model, seed, snapshot or source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedNode {
    /// dbt's `unique_id`.
    pub unique_id: String,
    /// `model`, `seed`, `snapshot` or `source`.
    pub kind: String,
    /// The node name.
    pub name: String,
    /// `original_file_path`.
    pub path: String,
    /// The manifest's checksum (none for sources, and for loads before it was kept).
    pub checksum: Option<String>,
    /// `RelationName::key` of its relation.
    pub relation_key: Option<String>,
    /// Its columns as the catalog and the docs gave them, in order (documented columns the
    /// catalog did not find left out).
    pub columns: Vec<String>,
    /// The columns its docs describe, in order.
    pub documented: Vec<String>,
}

/// What the store holds of one connection's dbt project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedProject {
    /// The connection.
    pub connection: String,
    /// Its warehouse.
    pub kind: WarehouseKind,
    /// Models, seeds, snapshots and sources, by `unique_id`.
    pub nodes: Vec<SyncedNode>,
    /// Column lineage of models and snapshots.
    pub column_lineage: Vec<ColumnEdge>,
}

impl Store {
    /// Connections that have dbt metadata loaded, by name.
    pub async fn dbt_connections(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar::<Any, String>(
            "SELECT connection FROM dbt_projects ORDER BY connection",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The connection's synced dbt project; `NotFound` when it has none.
    pub async fn synced_project(&self, connection: &str) -> Result<SyncedProject, StoreError> {
        let kind: Option<String> = sqlx::query_scalar(
            "SELECT c.kind FROM dbt_projects p JOIN connections c ON c.name = p.connection
              WHERE p.connection = $1",
        )
        .bind(connection)
        .fetch_optional(&self.pool)
        .await?;
        let kind = kind.ok_or_else(|| StoreError::NotFound(connection.to_string()))?;
        let kind = crate::connections::warehouse_kind(&kind)?;
        Ok(SyncedProject {
            connection: connection.to_string(),
            kind,
            nodes: self.synced_nodes(connection).await?,
            column_lineage: self.column_lineage(connection).await?,
        })
    }

    async fn synced_nodes(&self, connection: &str) -> Result<Vec<SyncedNode>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT unique_id, kind, name, path, checksum, rel_key FROM dbt_nodes
              WHERE connection = $1 ORDER BY unique_id",
        )
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        let mut columns = self.synced_columns(connection).await?;
        rows.iter()
            .map(|r| {
                let unique_id: String = r.try_get(0)?;
                let (columns, documented) = columns.remove(&unique_id).unwrap_or_default();
                Ok(SyncedNode {
                    columns,
                    documented,
                    unique_id,
                    kind: r.try_get(1)?,
                    name: r.try_get(2)?,
                    path: r.try_get(3)?,
                    checksum: r.try_get(4)?,
                    relation_key: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Per node: its columns, and those its docs describe.
    async fn synced_columns(
        &self,
        connection: &str,
    ) -> Result<HashMap<String, (Vec<String>, Vec<String>)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT unique_id, name, documented, in_warehouse FROM dbt_columns
              WHERE connection = $1 ORDER BY unique_id, ordinal",
        )
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        let mut out: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
        for r in &rows {
            let name: String = r.try_get(1)?;
            let documented: i64 = r.try_get(2)?;
            let in_warehouse: Option<i64> = r.try_get(3)?;
            let entry = out.entry(r.try_get(0)?).or_default();
            if documented != 0 {
                entry.1.push(name.clone());
            }
            // Documented columns the catalog says the warehouse lacks are not the model's.
            if in_warehouse != Some(0) {
                entry.0.push(name);
            }
        }
        Ok(out)
    }

    /// The connection's column lineage, sorted.
    pub async fn column_lineage(&self, connection: &str) -> Result<Vec<ColumnEdge>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT node_id, column_name, parent_key, parent_column FROM dbt_column_lineage
              WHERE connection = $1 ORDER BY node_id, column_name, parent_key, parent_column",
        )
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ColumnEdge {
                    node_id: r.try_get(0)?,
                    column: r.try_get(1)?,
                    parent_key: r.try_get(2)?,
                    parent_column: r.try_get(3)?,
                })
            })
            .collect()
    }
}

/// Part of a dbt load's transaction: the caller has deleted the connection's old rows.
pub(crate) async fn write_column_lineage(
    conn: &mut AnyConnection,
    connection: &str,
    edges: &[ColumnEdge],
) -> Result<u64, sqlx::Error> {
    let rows: Vec<Vec<Val>> = edges
        .iter()
        .map(|e| {
            vec![
                connection.into(),
                e.node_id.as_str().into(),
                e.column.as_str().into(),
                e.parent_key.as_str().into(),
                e.parent_column.as_str().into(),
            ]
        })
        .collect();
    batch::insert(
        conn,
        "dbt_column_lineage",
        &[
            "connection",
            "node_id",
            "column_name",
            "parent_key",
            "parent_column",
        ],
        "ON CONFLICT DO NOTHING",
        rows,
    )
    .await
}
