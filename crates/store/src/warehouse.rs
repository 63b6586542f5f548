//! The warehouse as introspection found it: schemas, relations and columns.

use crate::batch::{self, Val};
use crate::connections::now;
use crate::{Store, StoreError};
use sqlx::Any;

/// One relation as the warehouse has it.
#[derive(Clone, Debug, PartialEq)]
pub struct WarehouseRelation {
    /// Database, as stored.
    pub database: String,
    /// Schema, as stored.
    pub schema: String,
    /// Name, as stored.
    pub name: String,
    /// The key dbt nodes and query lineage match on.
    pub rel_key: String,
    /// `table`, `view`, `materialized_view`, `external`.
    pub kind: String,
    /// The warehouse comment.
    pub comment: Option<String>,
    /// The warehouse's row estimate.
    pub row_estimate: Option<i64>,
    /// Columns in order: name, type, comment.
    pub columns: Vec<(String, String, Option<String>)>,
}

/// A schema the store holds, and the change time it was read at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchema {
    /// Database, as stored.
    pub database: String,
    /// Schema, as stored.
    pub schema: String,
    /// The warehouse's change time when it was read, if the warehouse keeps one.
    pub changed_at: Option<String>,
    /// When it was last read (RFC 3339); empty for a schema about to be written.
    pub synced_at: String,
}

impl Store {
    /// The schemas introspection stored for a connection.
    pub async fn warehouse_schemas(
        &self,
        connection: &str,
    ) -> Result<Vec<StoredSchema>, StoreError> {
        let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT database_name, schema_name, changed_at, synced_at FROM warehouse_schemas WHERE connection = $1",
        )
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(database, schema, changed_at, synced_at)| StoredSchema {
                database,
                schema,
                changed_at,
                synced_at,
            })
            .collect())
    }

    /// Replaces one schema's relations and columns in one transaction: readers see the old
    /// schema or the new one, never half of it.
    pub async fn replace_warehouse_schema(
        &self,
        connection: &str,
        schema: &StoredSchema,
        relations: &[WarehouseRelation],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        delete_schema(&mut tx, connection, &schema.database, &schema.schema).await?;
        sqlx::query::<Any>(
            "INSERT INTO warehouse_schemas (connection, database_name, schema_name, changed_at, synced_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(connection)
        .bind(schema.database.clone())
        .bind(schema.schema.clone())
        .bind(schema.changed_at.clone())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        insert_relations(&mut tx, connection, relations).await?;
        insert_columns(&mut tx, connection, relations).await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }

    /// Forgets a schema the warehouse no longer has.
    pub async fn drop_warehouse_schema(
        &self,
        connection: &str,
        database: &str,
        schema: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        delete_schema(&mut tx, connection, database, schema).await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }
}

async fn delete_schema(
    conn: &mut sqlx::AnyConnection,
    connection: &str,
    database: &str,
    schema: &str,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "DELETE FROM warehouse_columns WHERE connection = $1 AND rel_key IN
           (SELECT rel_key FROM warehouse_relations WHERE connection = $1 AND database_name = $2 AND schema_name = $3)",
    )
    .bind(connection)
    .bind(database)
    .bind(schema)
    .execute(&mut *conn)
    .await?;
    for table in ["warehouse_relations", "warehouse_schemas"] {
        sqlx::query::<Any>(&format!(
            "DELETE FROM {table} WHERE connection = $1 AND database_name = $2 AND schema_name = $3"
        ))
        .bind(connection)
        .bind(database)
        .bind(schema)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_relations(
    conn: &mut sqlx::AnyConnection,
    connection: &str,
    relations: &[WarehouseRelation],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Val>> = relations
        .iter()
        .map(|r| {
            vec![
                connection.into(),
                r.database.as_str().into(),
                r.schema.as_str().into(),
                r.name.as_str().into(),
                r.rel_key.as_str().into(),
                r.kind.as_str().into(),
                r.comment.clone().into(),
                r.row_estimate.into(),
                (r.columns.len() as i64).into(),
            ]
        })
        .collect();
    let columns = [
        "connection",
        "database_name",
        "schema_name",
        "name",
        "rel_key",
        "kind",
        "comment",
        "row_estimate",
        "column_count",
    ];
    batch::insert(conn, "warehouse_relations", &columns, "", rows).await?;
    Ok(())
}

async fn insert_columns(
    conn: &mut sqlx::AnyConnection,
    connection: &str,
    relations: &[WarehouseRelation],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Val>> = relations
        .iter()
        .flat_map(|r| {
            r.columns
                .iter()
                .enumerate()
                .map(|(i, (name, data_type, comment))| {
                    vec![
                        connection.into(),
                        r.rel_key.as_str().into(),
                        (i as i64 + 1).into(),
                        name.as_str().into(),
                        data_type.as_str().into(),
                        comment.clone().into(),
                    ]
                })
        })
        .collect();
    let columns = [
        "connection",
        "rel_key",
        "ordinal",
        "name",
        "data_type",
        "comment",
    ];
    batch::insert(conn, "warehouse_columns", &columns, "", rows).await?;
    Ok(())
}

/// A relation only the warehouse knows (dbt does not manage it), for its table page.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WarehouseTable {
    /// Connection name.
    pub connection: String,
    /// Database, as stored.
    pub database: String,
    /// Schema, as stored.
    pub schema: String,
    /// Name, as stored.
    pub name: String,
    /// `table`, `view`, `materialized_view`, `external`.
    pub kind: String,
    /// The warehouse comment.
    pub comment: Option<String>,
    /// The warehouse's row estimate.
    pub row_estimate: Option<i64>,
    /// Columns in order: name, type, comment.
    pub columns: Vec<WarehouseColumn>,
    /// The key query lineage matches on.
    pub table_key: String,
    /// Hex cells that read it.
    pub hex: Vec<crate::HexUse>,
}

/// One column of a [`WarehouseTable`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WarehouseColumn {
    /// Name.
    pub name: String,
    /// Type.
    pub data_type: String,
    /// Comment.
    pub comment: Option<String>,
}

impl Store {
    /// A relation introspection found, with the Hex cells that read it; `None` if unknown.
    pub async fn warehouse_table(
        &self,
        connection: &str,
        database: &str,
        schema: &str,
        name: &str,
        live_since: &str,
    ) -> Result<Option<WarehouseTable>, StoreError> {
        let row: Option<(String, String, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT rel_key, kind, comment, row_estimate FROM warehouse_relations
              WHERE connection = $1 AND database_name = $2 AND schema_name = $3 AND name = $4",
        )
        .bind(connection)
        .bind(database)
        .bind(schema)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        let Some((table_key, kind, comment, row_estimate)) = row else {
            return Ok(None);
        };
        let columns = sqlx::query_as::<_, (String, String, Option<String>)>(
            "SELECT name, data_type, comment FROM warehouse_columns
              WHERE connection = $1 AND rel_key = $2 ORDER BY ordinal",
        )
        .bind(connection)
        .bind(table_key.clone())
        .fetch_all(&self.pool);
        let (columns, hex) = tokio::try_join!(
            async { columns.await.map_err(StoreError::from) },
            self.hex_usage(connection, &table_key, live_since),
        )?;
        Ok(Some(WarehouseTable {
            connection: connection.to_string(),
            database: database.to_string(),
            schema: schema.to_string(),
            name: name.to_string(),
            kind,
            comment,
            row_estimate,
            columns: columns
                .into_iter()
                .map(|(name, data_type, comment)| WarehouseColumn {
                    name,
                    data_type,
                    comment,
                })
                .collect(),
            table_key,
            hex,
        }))
    }
}
