//! A connection's dbt metadata, written in one transaction: project, nodes, columns, tests,
//! results and freshness checks.

use crate::batch::{self, Val};
use crate::connections::{insert_sync, now};
use crate::{Store, StoreError};
use model::{DbtNode, DbtProject};
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection};

/// What one load wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadCounts {
    /// Models, seeds, snapshots and sources.
    pub nodes: u64,
    /// Columns across them.
    pub columns: u64,
    /// Data tests.
    pub tests: u64,
    /// Results not seen before.
    pub new_runs: u64,
    /// Freshness checks not seen before.
    pub new_freshness: u64,
    /// Column lineage pairs (output column ← input column) of models and snapshots.
    #[serde(default)]
    pub column_lineage: u64,
}

impl Store {
    /// Replaces a connection's dbt metadata atomically and records the successful sync.
    /// Results and freshness checks accumulate: ones already stored are kept.
    pub async fn replace_dbt(
        &self,
        connection: &str,
        project: &DbtProject,
        started_at: &str,
    ) -> Result<LoadCounts, StoreError> {
        let mut tx = self.pool.begin().await?;
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT name FROM connections WHERE name = $1")
                .bind(connection)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(connection.to_string()));
        }
        for table in [
            "dbt_nodes",
            "dbt_columns",
            "dbt_tests",
            "dbt_test_targets",
            "dbt_edges",
            "dbt_column_lineage",
        ] {
            sqlx::query::<Any>(&format!("DELETE FROM {table} WHERE connection = $1"))
                .bind(connection)
                .execute(&mut *tx)
                .await?;
        }
        let counts = write_project(&mut tx, connection, project).await?;
        let summary = serde_json::to_string(&counts).unwrap_or_default();
        insert_sync(
            &mut tx,
            connection,
            "dbt",
            started_at,
            None,
            &project.warnings,
            &summary,
        )
        .await?;
        tx.commit().await?;
        self.wrote();
        Ok(counts)
    }
}

async fn write_project(
    conn: &mut AnyConnection,
    connection: &str,
    project: &DbtProject,
) -> Result<LoadCounts, StoreError> {
    let m = &project.meta;
    sqlx::query::<Any>(
        "INSERT INTO dbt_projects (connection, project_name, adapter_type, dbt_version, manifest_version, generated_at, invocation_id, loaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (connection) DO UPDATE SET project_name = excluded.project_name, adapter_type = excluded.adapter_type,
           dbt_version = excluded.dbt_version, manifest_version = excluded.manifest_version,
           generated_at = excluded.generated_at, invocation_id = excluded.invocation_id, loaded_at = excluded.loaded_at",
    )
    .bind(connection)
    .bind(m.project_name.clone())
    .bind(m.adapter_type.clone())
    .bind(m.dbt_version.clone())
    .bind(m.manifest_version as i64)
    .bind(m.generated_at.clone())
    .bind(m.invocation_id.clone())
    .bind(now())
    .execute(&mut *conn)
    .await?;
    let nodes = write_nodes(conn, connection, &project.nodes).await?;
    let columns = write_columns(conn, connection, &project.nodes).await?;
    let tests = write_tests(conn, connection, project).await?;
    batch::insert(
        conn,
        "dbt_edges",
        &["connection", "parent", "child"],
        "ON CONFLICT DO NOTHING",
        project
            .edges
            .iter()
            .map(|(p, c)| vec![connection.into(), p.as_str().into(), c.as_str().into()])
            .collect(),
    )
    .await?;
    let new_runs = write_runs(conn, connection, project).await?;
    let new_freshness = write_freshness(conn, connection, project).await?;
    let column_lineage =
        crate::dbt::state::write_column_lineage(conn, connection, &project.column_lineage).await?;
    Ok(LoadCounts {
        nodes,
        columns,
        tests,
        new_runs,
        new_freshness,
        column_lineage,
    })
}

async fn write_nodes(
    conn: &mut AnyConnection,
    connection: &str,
    nodes: &[DbtNode],
) -> Result<u64, sqlx::Error> {
    const COLUMNS: &[&str] = &[
        "connection",
        "unique_id",
        "kind",
        "name",
        "source_name",
        "package",
        "description",
        "source_description",
        "rel_database",
        "rel_schema",
        "rel_name",
        "rel_key",
        "materialized",
        "tags",
        "owner",
        "meta",
        "path",
        "fresh_warn_after",
        "fresh_error_after",
        "loaded_at_field",
        "row_count",
        "checksum",
    ];
    let rows: Vec<Vec<Val>> = nodes
        .iter()
        .map(|n| {
            let rel = n.relation.as_ref();
            let rule = n.freshness_rule.as_ref();
            vec![
                connection.into(),
                n.unique_id.as_str().into(),
                n.kind.as_str().into(),
                n.name.as_str().into(),
                n.source_name.as_deref().into(),
                n.package.as_str().into(),
                n.description.as_str().into(),
                n.source_description.as_str().into(),
                rel.and_then(|r| r.database.clone()).into(),
                rel.and_then(|r| r.schema.clone()).into(),
                rel.map(|r| r.name.clone()).into(),
                rel.map(|r| r.key()).into(),
                n.materialized.as_deref().into(),
                serde_json::to_string(&n.tags).unwrap_or_default().into(),
                n.owner.as_deref().into(),
                n.meta.as_str().into(),
                n.path.as_str().into(),
                rule.and_then(|r| r.warn_after.clone()).into(),
                rule.and_then(|r| r.error_after.clone()).into(),
                rule.and_then(|r| r.loaded_at_field.clone()).into(),
                n.row_count.into(),
                n.checksum.as_deref().into(),
            ]
        })
        .collect();
    batch::insert(conn, "dbt_nodes", COLUMNS, "", rows).await
}

async fn write_columns(
    conn: &mut AnyConnection,
    connection: &str,
    nodes: &[DbtNode],
) -> Result<u64, sqlx::Error> {
    const COLUMNS: &[&str] = &[
        "connection",
        "unique_id",
        "ordinal",
        "name",
        "description",
        "data_type",
        "documented",
        "in_warehouse",
    ];
    let rows: Vec<Vec<Val>> = nodes
        .iter()
        .flat_map(|n| {
            n.columns.iter().enumerate().map(move |(i, c)| {
                vec![
                    connection.into(),
                    n.unique_id.as_str().into(),
                    Val::from(i as i64 + 1),
                    c.name.as_str().into(),
                    c.description.as_str().into(),
                    c.data_type.as_deref().into(),
                    c.documented.into(),
                    c.in_warehouse.into(),
                ]
            })
        })
        .collect();
    batch::insert(conn, "dbt_columns", COLUMNS, "", rows).await
}

async fn write_tests(
    conn: &mut AnyConnection,
    connection: &str,
    project: &DbtProject,
) -> Result<u64, sqlx::Error> {
    let rows: Vec<Vec<Val>> = project
        .tests
        .iter()
        .map(|t| {
            vec![
                connection.into(),
                t.unique_id.as_str().into(),
                t.name.as_str().into(),
                t.test_type.as_str().into(),
                t.column.as_deref().into(),
                t.severity.as_str().into(),
            ]
        })
        .collect();
    let n = batch::insert(
        conn,
        "dbt_tests",
        &[
            "connection",
            "unique_id",
            "name",
            "test_type",
            "column_name",
            "severity",
        ],
        "ON CONFLICT DO NOTHING",
        rows,
    )
    .await?;
    let targets: Vec<Vec<Val>> = project
        .tests
        .iter()
        .flat_map(|t| {
            t.attached_to.iter().map(move |node| {
                vec![
                    connection.into(),
                    t.unique_id.as_str().into(),
                    node.as_str().into(),
                ]
            })
        })
        .collect();
    batch::insert(
        conn,
        "dbt_test_targets",
        &["connection", "test_id", "node_id"],
        "ON CONFLICT DO NOTHING",
        targets,
    )
    .await?;
    Ok(n)
}

async fn write_runs(
    conn: &mut AnyConnection,
    connection: &str,
    project: &DbtProject,
) -> Result<u64, sqlx::Error> {
    let rows: Vec<Vec<Val>> = project
        .runs
        .iter()
        .map(|r| {
            vec![
                connection.into(),
                r.unique_id.as_str().into(),
                r.invocation_id.as_str().into(),
                r.command.as_str().into(),
                r.status.as_str().into(),
                r.completed_at.as_str().into(),
                r.execution_time.into(),
                r.failures.into(),
                r.message.as_deref().into(),
            ]
        })
        .collect();
    batch::insert(
        conn,
        "dbt_runs",
        &[
            "connection",
            "unique_id",
            "invocation_id",
            "command",
            "status",
            "completed_at",
            "execution_time",
            "failures",
            "message",
        ],
        "ON CONFLICT DO NOTHING",
        rows,
    )
    .await
}

async fn write_freshness(
    conn: &mut AnyConnection,
    connection: &str,
    project: &DbtProject,
) -> Result<u64, sqlx::Error> {
    let rows: Vec<Vec<Val>> = project
        .freshness
        .iter()
        .map(|f| {
            vec![
                connection.into(),
                f.unique_id.as_str().into(),
                f.snapshotted_at.as_str().into(),
                f.status.as_str().into(),
                f.max_loaded_at.as_deref().into(),
                f.age_seconds.into(),
                f.rule.warn_after.as_deref().into(),
                f.rule.error_after.as_deref().into(),
                f.error.as_deref().into(),
            ]
        })
        .collect();
    batch::insert(
        conn,
        "dbt_freshness",
        &[
            "connection",
            "unique_id",
            "snapshotted_at",
            "status",
            "max_loaded_at",
            "age_seconds",
            "warn_after",
            "error_after",
            "error",
        ],
        "ON CONFLICT DO NOTHING",
        rows,
    )
    .await
}
