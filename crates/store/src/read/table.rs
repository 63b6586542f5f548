//! The table page: one relation, the dbt node behind it, its columns, tests, builds and freshness.

use super::{node_ref, opt, text, BUILD_COMMANDS};
use crate::views::*;
use crate::{Store, StoreError};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Row};

const NODE_COLUMNS: &str =
    "n.unique_id, n.kind, n.name, n.source_name, n.package, n.description, n.source_description,
  n.materialized, n.tags, n.owner, n.meta, n.path, n.row_count, n.fresh_warn_after,
  n.fresh_error_after, n.rel_database, n.rel_schema, n.rel_name, n.rel_key";

impl Store {
    /// The relation `database.schema.name` of a connection, or `None` when dbt does not know it.
    /// Each part of the page is one statement over every node naming the relation, so the
    /// page costs the same round trips however many nodes share it.
    pub async fn table(
        &self,
        connection: &str,
        database: &str,
        schema: &str,
        name: &str,
    ) -> Result<Option<TableDetail>, StoreError> {
        // Models first: a source declared on a model's table is listed under `also`. The
        // connection's row comes along, so an unknown connection is told from an unknown table.
        let rows = sqlx::query::<Any>(&format!(
            "SELECT c.kind AS warehouse, {NODE_COLUMNS}
               FROM connections c LEFT JOIN dbt_nodes n
                 ON n.connection = c.name AND COALESCE(n.rel_database, '') = $2
                AND COALESCE(n.rel_schema, '') = $3 AND n.rel_name = $4
              WHERE c.name = $1
              ORDER BY n.kind"
        ))
        .bind(connection)
        .bind(database)
        .bind(schema)
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Err(StoreError::NotFound(connection.to_string()));
        };
        if opt(first, "unique_id")?.is_none() {
            return Ok(None);
        }
        let node = node_detail(first)?;
        let also: Vec<NodeRef> = rows[1..].iter().map(node_ref).collect::<Result<_, _>>()?;
        let mut ids = vec![node.unique_id.clone()];
        ids.extend(also.iter().map(|n| n.unique_id.clone()));
        // Independent reads, sent at once: the page waits for the slowest, not their sum.
        let id = node.unique_id.as_str();
        let (
            (freshness, freshness_history),
            (parents, children),
            tests,
            test_history,
            columns,
            build,
        ) = tokio::try_join!(
            self.freshness(connection, &ids),
            self.neighbours(connection, id),
            self.tests(connection, &ids),
            self.test_history(connection, &ids),
            self.columns(connection, id),
            self.build(connection, id),
        )?;
        Ok(Some(TableDetail {
            warehouse: text(first, "warehouse")?,
            table_key: opt(first, "rel_key")?,
            tests,
            test_history,
            freshness,
            freshness_history,
            in_warehouse: None,
            hex: Vec::new(),
            columns,
            build,
            parents,
            children,
            connection: connection.to_string(),
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
            let (hex, warehouse) = tokio::try_join!(
                self.hex_usage(connection, &key, live_since),
                self.warehouse_columns(&detail, &key),
            )?;
            detail.hex = hex;
            if let Some(found) = warehouse {
                detail.in_warehouse = Some(found.is_some());
                if let Some(columns) = found {
                    merge_columns(&mut detail.columns, columns);
                }
            }
        }
        Ok(Some(detail))
    }

    /// What introspection read of the table: `None` when its schema was never introspected,
    /// `Some(None)` when the relation is absent, else its columns in order. One statement: no
    /// row, a row without a relation key, or a row per column.
    async fn warehouse_columns(
        &self,
        detail: &TableDetail,
        key: &str,
    ) -> Result<Option<Option<Vec<(String, String)>>>, StoreError> {
        let rows: Vec<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT r.rel_key, c.name, c.data_type
               FROM warehouse_schemas s
               LEFT JOIN warehouse_relations r ON r.connection = s.connection AND r.rel_key = $4
               LEFT JOIN warehouse_columns c ON c.connection = r.connection AND c.rel_key = r.rel_key
              WHERE s.connection = $1 AND s.database_name = $2 AND s.schema_name = $3
              ORDER BY c.ordinal",
        )
        .bind(detail.connection.clone())
        .bind(detail.database.clone())
        .bind(detail.schema.clone())
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        let Some((found, _, _)) = rows.first() else {
            return Ok(None);
        };
        if found.is_none() {
            return Ok(Some(None));
        }
        let columns = rows
            .into_iter()
            .filter_map(|(_, name, data_type)| Some((name?, data_type.unwrap_or_default())))
            .collect();
        Ok(Some(Some(columns)))
    }

    async fn test_history(
        &self,
        connection: &str,
        nodes: &[String],
    ) -> Result<Vec<TestRound>, StoreError> {
        // One round per dbt invocation, over the tests of every node naming the relation.
        let sql = format!(
            "SELECT MAX(r.completed_at) AS at,
                    CAST(SUM(CASE WHEN r.status = 'pass' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN r.status = 'warn' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN r.status IN ('fail', 'error') THEN 1 ELSE 0 END) AS BIGINT)
               FROM dbt_runs r
               JOIN dbt_test_targets g ON g.connection = r.connection AND g.test_id = r.unique_id
              WHERE g.connection = $1 AND g.node_id IN ({})
              GROUP BY r.invocation_id ORDER BY at DESC LIMIT 10",
            crate::placeholders(2, nodes.len())
        );
        let rows: Vec<(String, i64, i64, i64)> =
            sqlx::query_as_with(&sql, node_args(connection, nodes)?)
                .fetch_all(&self.pool)
                .await?;
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

    /// Tests of every node in `nodes`, the first node's first, each with its latest result.
    async fn tests(
        &self,
        connection: &str,
        nodes: &[String],
    ) -> Result<Vec<TestDetail>, StoreError> {
        let sql = format!(
            "SELECT g.node_id, t.unique_id, t.name, t.test_type, t.column_name, t.severity,
                    r.status, r.failures, r.message, r.completed_at
               FROM dbt_test_targets g
               JOIN dbt_tests t ON t.connection = g.connection AND t.unique_id = g.test_id
               LEFT JOIN dbt_runs r ON r.connection = t.connection AND r.unique_id = t.unique_id
                 AND r.completed_at = (SELECT max(r2.completed_at) FROM dbt_runs r2
                                        WHERE r2.connection = t.connection AND r2.unique_id = t.unique_id)
              WHERE g.connection = $1 AND g.node_id IN ({})
              ORDER BY t.column_name, t.name",
            crate::placeholders(2, nodes.len())
        );
        let rows = sqlx::query_with::<Any, _>(&sql, node_args(connection, nodes)?)
            .fetch_all(&self.pool)
            .await?;
        let mut tests = Vec::with_capacity(rows.len());
        for node in nodes {
            for r in rows
                .iter()
                .filter(|r| text(r, "node_id").ok().as_ref() == Some(node))
            {
                tests.push(test_detail(r)?);
            }
        }
        Ok(tests)
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

    /// The latest freshness check (the first node's that has one) and the last 10 checks of
    /// any of `nodes`, newest first.
    async fn freshness(
        &self,
        connection: &str,
        nodes: &[String],
    ) -> Result<(Option<FreshnessDetail>, Vec<FreshnessPoint>), StoreError> {
        let sql = format!(
            "SELECT unique_id, status, max_loaded_at, snapshotted_at, age_seconds, warn_after, error_after, error
               FROM (SELECT f.*, ROW_NUMBER() OVER (PARTITION BY unique_id ORDER BY snapshotted_at DESC) AS newest
                       FROM dbt_freshness f WHERE connection = $1 AND unique_id IN ({})) AS checks
              WHERE newest <= 10
              ORDER BY snapshotted_at DESC",
            crate::placeholders(2, nodes.len())
        );
        let rows = sqlx::query_with::<Any, _>(&sql, node_args(connection, nodes)?)
            .fetch_all(&self.pool)
            .await?;
        let mut latest = None;
        for node in nodes {
            if let Some(r) = rows
                .iter()
                .find(|r| text(r, "unique_id").ok().as_ref() == Some(node))
            {
                latest = Some(freshness_detail(r)?);
                break;
            }
        }
        let history = rows
            .iter()
            .take(10)
            .map(|r| {
                Ok(FreshnessPoint {
                    snapshotted_at: text(r, "snapshotted_at")?,
                    status: text(r, "status")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((latest, history))
    }

    /// Parents and children of a node.
    async fn neighbours(
        &self,
        connection: &str,
        unique_id: &str,
    ) -> Result<(Vec<NodeRef>, Vec<NodeRef>), StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT 'parent' AS side, n.unique_id, n.kind, n.name, n.rel_database, n.rel_schema, n.rel_name
               FROM dbt_edges e JOIN dbt_nodes n ON n.connection = e.connection AND n.unique_id = e.parent
              WHERE e.connection = $1 AND e.child = $2
             UNION ALL
             SELECT 'child', n.unique_id, n.kind, n.name, n.rel_database, n.rel_schema, n.rel_name
               FROM dbt_edges e JOIN dbt_nodes n ON n.connection = e.connection AND n.unique_id = e.child
              WHERE e.connection = $1 AND e.parent = $2
             ORDER BY 4",
        )
        .bind(connection)
        .bind(unique_id)
        .fetch_all(&self.pool)
        .await?;
        let (mut parents, mut children) = (Vec::new(), Vec::new());
        for r in &rows {
            let side = if text(r, "side")? == "parent" {
                &mut parents
            } else {
                &mut children
            };
            side.push(node_ref(r)?);
        }
        Ok((parents, children))
    }
}

/// `$1` the connection, then the nodes.
fn node_args(connection: &str, nodes: &[String]) -> Result<AnyArguments<'static>, StoreError> {
    crate::text_args(std::iter::once(connection).chain(nodes.iter().map(String::as_str)))
}

fn test_detail(r: &AnyRow) -> Result<TestDetail, sqlx::Error> {
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
}

fn freshness_detail(r: &AnyRow) -> Result<FreshnessDetail, sqlx::Error> {
    Ok(FreshnessDetail {
        status: text(r, "status")?,
        max_loaded_at: opt(r, "max_loaded_at")?,
        snapshotted_at: text(r, "snapshotted_at")?,
        age_seconds: r.try_get("age_seconds")?,
        warn_after: opt(r, "warn_after")?,
        error_after: opt(r, "error_after")?,
        error: opt(r, "error")?,
    })
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
