//! The table page: one relation, the dbt node behind it, its columns, tests, builds and freshness.

use super::{node_ref, opt, text, BUILD_COMMANDS};
use crate::views::*;
use crate::{Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const NODE_COLUMNS: &str =
    "unique_id, kind, name, source_name, package, description, source_description,
  materialized, tags, owner, meta, path, row_count, fresh_warn_after, fresh_error_after,
  rel_database, rel_schema, rel_name";

impl Store {
    /// The relation `database.schema.name` of a connection, or `None` when dbt does not know it.
    pub async fn table(
        &self,
        connection: &str,
        database: &str,
        schema: &str,
        name: &str,
    ) -> Result<Option<TableDetail>, StoreError> {
        let warehouse = self.connection_kind(connection).await?;
        // Models first: a source declared on a model's table is listed under `also`.
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {NODE_COLUMNS} FROM dbt_nodes
              WHERE connection = $1 AND COALESCE(rel_database, '') = $2 AND COALESCE(rel_schema, '') = $3 AND rel_name = $4
              ORDER BY kind"
        ))
        .bind(connection)
        .bind(database)
        .bind(schema)
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let node = node_detail(first)?;
        let also: Vec<NodeRef> = rows[1..].iter().map(node_ref).collect::<Result<_, _>>()?;
        // Tests and freshness declared on any node naming this relation belong to the table.
        let mut tests = self.tests(connection, &node.unique_id).await?;
        let mut freshness = self.freshness(connection, &node.unique_id).await?;
        for other in &also {
            tests.extend(self.tests(connection, &other.unique_id).await?);
            if freshness.is_none() {
                freshness = self.freshness(connection, &other.unique_id).await?;
            }
        }
        let (table_key,): (Option<String>,) = sqlx::query_as(
            "SELECT rel_key FROM dbt_nodes WHERE connection = $1 AND unique_id = $2",
        )
        .bind(connection)
        .bind(node.unique_id.clone())
        .fetch_one(&self.pool)
        .await?;
        let mut ids = vec![node.unique_id.clone()];
        ids.extend(also.iter().map(|n| n.unique_id.clone()));
        Ok(Some(TableDetail {
            test_history: self.test_history(connection, &ids).await?,
            freshness_history: self.freshness_history(connection, &ids).await?,
            in_warehouse: None,
            table_key,
            hex: Vec::new(),
            columns: self.columns(connection, &node.unique_id).await?,
            tests,
            build: self.build(connection, &node.unique_id).await?,
            freshness,
            parents: self
                .neighbours(connection, &node.unique_id, "child", "parent")
                .await?,
            children: self
                .neighbours(connection, &node.unique_id, "parent", "child")
                .await?,
            connection: connection.to_string(),
            warehouse,
            database: database.to_string(),
            schema: schema.to_string(),
            name: name.to_string(),
            node,
            also,
        }))
    }

    /// [`Store::table`] with the Hex cells that read it; runs since `live_since` (RFC 3339)
    /// count as live.
    pub async fn table_with_usage(
        &self,
        connection: &str,
        database: &str,
        schema: &str,
        name: &str,
        live_since: &str,
    ) -> Result<Option<TableDetail>, StoreError> {
        let Some(mut detail) = self.table(connection, database, schema, name).await? else {
            return Ok(None);
        };
        if let Some(key) = detail.table_key.clone() {
            detail.hex = self.hex_usage(connection, &key, live_since).await?;
            self.compare_with_warehouse(&mut detail, &key).await?;
        }
        Ok(Some(detail))
    }

    /// Where introspection read the table's schema: whether the relation exists, and column
    /// drift from the warehouse's own columns (documented but absent, present but undocumented).
    async fn compare_with_warehouse(
        &self,
        detail: &mut TableDetail,
        key: &str,
    ) -> Result<(), StoreError> {
        let (introspected,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM warehouse_schemas WHERE connection = $1 AND database_name = $2 AND schema_name = $3",
        )
        .bind(detail.connection.clone())
        .bind(detail.database.clone())
        .bind(detail.schema.clone())
        .fetch_one(&self.pool)
        .await?;
        if introspected == 0 {
            return Ok(());
        }
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.name, c.data_type FROM warehouse_relations r
               JOIN warehouse_columns c ON c.connection = r.connection AND c.rel_key = r.rel_key
              WHERE r.connection = $1 AND r.rel_key = $2 ORDER BY c.ordinal",
        )
        .bind(detail.connection.clone())
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        let (exists,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM warehouse_relations WHERE connection = $1 AND rel_key = $2",
        )
        .bind(detail.connection.clone())
        .bind(key)
        .fetch_one(&self.pool)
        .await?;
        detail.in_warehouse = Some(exists > 0);
        if exists > 0 {
            merge_columns(&mut detail.columns, columns);
        }
        Ok(())
    }

    async fn test_history(
        &self,
        connection: &str,
        nodes: &[String],
    ) -> Result<Vec<TestRound>, StoreError> {
        // One round per dbt invocation, over the tests of every node naming the relation.
        let placeholders: Vec<String> = (0..nodes.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT MAX(r.completed_at) AS at,
                    CAST(SUM(CASE WHEN r.status = 'pass' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN r.status = 'warn' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN r.status IN ('fail', 'error') THEN 1 ELSE 0 END) AS BIGINT)
               FROM dbt_runs r
               JOIN dbt_test_targets g ON g.connection = r.connection AND g.test_id = r.unique_id
              WHERE g.connection = $1 AND g.node_id IN ({})
              GROUP BY r.invocation_id ORDER BY at DESC LIMIT 10",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as::<Any, (String, i64, i64, i64)>(&sql).bind(connection);
        for node in nodes {
            query = query.bind(node.clone());
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(completed_at, pass, warn, fail)| TestRound {
                completed_at,
                pass,
                warn,
                fail,
            })
            .collect())
    }

    async fn freshness_history(
        &self,
        connection: &str,
        nodes: &[String],
    ) -> Result<Vec<FreshnessPoint>, StoreError> {
        let mut points = Vec::new();
        for node in nodes {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT snapshotted_at, status FROM dbt_freshness
                  WHERE connection = $1 AND unique_id = $2 ORDER BY snapshotted_at DESC LIMIT 10",
            )
            .bind(connection)
            .bind(node.clone())
            .fetch_all(&self.pool)
            .await?;
            points.extend(
                rows.into_iter()
                    .map(|(snapshotted_at, status)| FreshnessPoint {
                        snapshotted_at,
                        status,
                    }),
            );
        }
        points.sort_by(|a, b| b.snapshotted_at.cmp(&a.snapshotted_at));
        points.truncate(10);
        Ok(points)
    }

    async fn columns(
        &self,
        connection: &str,
        unique_id: &str,
    ) -> Result<Vec<ColumnDetail>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT name, description, data_type, documented, in_warehouse FROM dbt_columns
              WHERE connection = $1 AND unique_id = $2 ORDER BY ordinal",
        )
        .bind(connection)
        .bind(unique_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ColumnDetail {
                    name: text(r, "name")?,
                    description: text(r, "description")?,
                    data_type: opt(r, "data_type")?,
                    documented: r.try_get::<i64, _>("documented")? != 0,
                    in_warehouse: r.try_get::<Option<i64>, _>("in_warehouse")?.map(|v| v != 0),
                })
            })
            .collect()
    }

    async fn tests(
        &self,
        connection: &str,
        unique_id: &str,
    ) -> Result<Vec<TestDetail>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT t.unique_id, t.name, t.test_type, t.column_name, t.severity,
                    r.status, r.failures, r.message, r.completed_at
               FROM dbt_test_targets g
               JOIN dbt_tests t ON t.connection = g.connection AND t.unique_id = g.test_id
               LEFT JOIN dbt_runs r ON r.connection = t.connection AND r.unique_id = t.unique_id
                 AND r.completed_at = (SELECT max(r2.completed_at) FROM dbt_runs r2
                                        WHERE r2.connection = t.connection AND r2.unique_id = t.unique_id)
              WHERE g.connection = $1 AND g.node_id = $2
              ORDER BY t.column_name, t.name",
        )
        .bind(connection)
        .bind(unique_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TestDetail {
                    unique_id: text(r, "unique_id")?,
                    name: text(r, "name")?,
                    test_type: text(r, "test_type")?,
                    column: opt(r, "column_name")?,
                    severity: text(r, "severity")?,
                    status: opt(r, "status")?.unwrap_or_else(|| "not run".into()),
                    failures: r.try_get("failures")?,
                    message: opt(r, "message")?,
                    completed_at: opt(r, "completed_at")?,
                })
            })
            .collect()
    }

    async fn build(
        &self,
        connection: &str,
        unique_id: &str,
    ) -> Result<Option<BuildDetail>, StoreError> {
        let row = sqlx::query::<Any>(&format!(
            "SELECT status, completed_at, execution_time, command, message,
                    (SELECT max(s.completed_at) FROM dbt_runs s WHERE s.connection = r.connection
                      AND s.unique_id = r.unique_id AND s.status = 'pass' AND s.command IN {BUILD_COMMANDS}) AS last_success_at
               FROM dbt_runs r WHERE r.connection = $1 AND r.unique_id = $2 AND r.command IN {BUILD_COMMANDS}
              ORDER BY r.completed_at DESC LIMIT 1"
        ))
        .bind(connection)
        .bind(unique_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(BuildDetail {
                status: text(&r, "status")?,
                completed_at: text(&r, "completed_at")?,
                execution_time: r.try_get("execution_time")?,
                command: text(&r, "command")?,
                message: opt(&r, "message")?,
                last_success_at: opt(&r, "last_success_at")?,
            })
        })
        .transpose()
    }

    async fn freshness(
        &self,
        connection: &str,
        unique_id: &str,
    ) -> Result<Option<FreshnessDetail>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT status, max_loaded_at, snapshotted_at, age_seconds, warn_after, error_after, error
               FROM dbt_freshness WHERE connection = $1 AND unique_id = $2
              ORDER BY snapshotted_at DESC LIMIT 1",
        )
        .bind(connection)
        .bind(unique_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(FreshnessDetail {
                status: text(&r, "status")?,
                max_loaded_at: opt(&r, "max_loaded_at")?,
                snapshotted_at: text(&r, "snapshotted_at")?,
                age_seconds: r.try_get("age_seconds")?,
                warn_after: opt(&r, "warn_after")?,
                error_after: opt(&r, "error_after")?,
                error: opt(&r, "error")?,
            })
        })
        .transpose()
    }

    /// Parents (`from = child`) or children (`from = parent`) of a node.
    async fn neighbours(
        &self,
        connection: &str,
        unique_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<NodeRef>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT n.unique_id, n.kind, n.name, n.rel_database, n.rel_schema, n.rel_name
               FROM dbt_edges e JOIN dbt_nodes n ON n.connection = e.connection AND n.unique_id = e.{to}
              WHERE e.connection = $1 AND e.{from} = $2 ORDER BY n.name"
        ))
        .bind(connection)
        .bind(unique_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(node_ref)
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }
}

fn node_detail(r: &AnyRow) -> Result<NodeDetail, sqlx::Error> {
    Ok(NodeDetail {
        unique_id: text(r, "unique_id")?,
        kind: text(r, "kind")?,
        name: text(r, "name")?,
        source_name: opt(r, "source_name")?,
        package: text(r, "package")?,
        description: text(r, "description")?,
        source_description: text(r, "source_description")?,
        materialized: opt(r, "materialized")?,
        tags: serde_json::from_str(&text(r, "tags")?).unwrap_or_default(),
        owner: opt(r, "owner")?,
        meta: text(r, "meta")?,
        path: text(r, "path")?,
        row_count: r.try_get("row_count")?,
        warn_after: opt(r, "fresh_warn_after")?,
        error_after: opt(r, "fresh_error_after")?,
    })
}

/// dbt's columns checked against the warehouse's: names compare without case (every
/// warehouse here folds unquoted names one way), columns only the warehouse has join as
/// undocumented.
fn merge_columns(columns: &mut Vec<ColumnDetail>, warehouse: Vec<(String, String)>) {
    for column in columns.iter_mut() {
        let found = warehouse
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&column.name));
        column.in_warehouse = Some(found.is_some());
        if column.data_type.is_none() {
            column.data_type = found.map(|(_, t)| t.clone());
        }
    }
    for (name, data_type) in warehouse {
        if !columns.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            columns.push(ColumnDetail {
                name,
                description: String::new(),
                data_type: Some(data_type),
                documented: false,
                in_warehouse: Some(true),
            });
        }
    }
}
