//! Search over relation names, node names, columns and descriptions.

use super::text;
use crate::views::SearchHit;
use crate::{Store, StoreError};
use sqlx::{Any, Row};

impl Store {
    /// Relations and columns whose name or description contains `query` (case-insensitive),
    /// name matches first.
    pub async fn search(&self, query: &str, limit: i64) -> Result<Vec<SearchHit>, StoreError> {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let contains = format!("%{}%", escape_like(&needle));
        let prefix = format!("{}%", escape_like(&needle));
        let mut hits = self.search_tables(&contains, &prefix, limit).await?;
        let left = limit - hits.len() as i64;
        if left > 0 {
            hits.extend(
                self.search_warehouse_tables(&contains, &prefix, left)
                    .await?,
            );
        }
        let left = limit - hits.len() as i64;
        if left > 0 {
            hits.extend(self.search_columns(&contains, &prefix, left).await?);
        }
        Ok(hits)
    }

    async fn search_tables(
        &self,
        contains: &str,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT connection, kind, name, description, rel_database, rel_schema, rel_name FROM dbt_nodes
              WHERE rel_name IS NOT NULL AND (lower(rel_name) LIKE $1 ESCAPE '\\' OR lower(name) LIKE $1 ESCAPE '\\'
                 OR lower(description) LIKE $1 ESCAPE '\\')
              ORDER BY CASE WHEN lower(rel_name) LIKE $2 ESCAPE '\\' OR lower(name) LIKE $2 ESCAPE '\\' THEN 0
                            WHEN lower(rel_name) LIKE $1 ESCAPE '\\' OR lower(name) LIKE $1 ESCAPE '\\' THEN 1 ELSE 2 END,
                       length(rel_name), rel_name, kind
              LIMIT $3",
        )
        .bind(contains)
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| hit(r, "table", None))
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    /// Relations only the warehouse knows (dbt's are found above, with their descriptions).
    async fn search_warehouse_tables(
        &self,
        contains: &str,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT w.connection, w.kind, w.name, COALESCE(w.comment, '') AS description, w.database_name AS rel_database,
                    w.schema_name AS rel_schema, w.name AS rel_name
               FROM warehouse_relations w
              WHERE lower(w.name) LIKE $1 ESCAPE '\\'
                AND NOT EXISTS (SELECT 1 FROM dbt_nodes n WHERE n.connection = w.connection AND n.rel_key = w.rel_key)
              ORDER BY CASE WHEN lower(w.name) LIKE $2 ESCAPE '\\' THEN 0 ELSE 1 END, length(w.name), w.name
              LIMIT $3",
        )
        .bind(contains)
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| hit(r, "table", None))
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    async fn search_columns(
        &self,
        contains: &str,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT n.connection, n.kind, n.name, c.description, n.rel_database, n.rel_schema, n.rel_name, c.name AS column_name
               FROM dbt_columns c JOIN dbt_nodes n ON n.connection = c.connection AND n.unique_id = c.unique_id
              WHERE n.rel_name IS NOT NULL AND (lower(c.name) LIKE $1 ESCAPE '\\' OR lower(c.description) LIKE $1 ESCAPE '\\')
              ORDER BY CASE WHEN lower(c.name) LIKE $2 ESCAPE '\\' THEN 0 WHEN lower(c.name) LIKE $1 ESCAPE '\\' THEN 1 ELSE 2 END,
                       length(c.name), c.name, n.rel_name
              LIMIT $3",
        )
        .bind(contains)
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let column = text(r, "column_name")?;
                hit(r, "column", Some(column))
            })
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }
}

fn hit(
    r: &sqlx::any::AnyRow,
    kind: &str,
    column: Option<String>,
) -> Result<SearchHit, sqlx::Error> {
    let description: String = text(r, "description")?;
    Ok(SearchHit {
        connection: text(r, "connection")?,
        hit: kind.to_string(),
        database: text(r, "rel_database")?,
        schema: text(r, "rel_schema")?,
        table: text(r, "rel_name")?,
        column,
        node_kind: r.try_get::<String, _>("kind")?,
        node_name: text(r, "name")?,
        description: description.chars().take(160).collect(),
    })
}

/// `%` and `_` in what the user typed match themselves.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
