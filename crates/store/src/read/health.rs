//! What is wrong with dbt nodes right now: failing and warning tests, failed builds, late
//! sources, each with since when (the first result of the current run of bad ones).

use super::{opt, text, BUILD_COMMANDS};
use crate::{Store, StoreError};
use model::health::{Problem, ProblemKind};
use sqlx::any::AnyRow;
use sqlx::Any;

/// The first bad result after the last good one of the node in `r`, from `table`.
fn since(table: &str, at: &str, good: &str, extra: &str) -> String {
    format!(
        "(SELECT min(b.{at}) FROM {table} b WHERE b.connection = r.connection AND b.unique_id = r.unique_id {extra}
            AND b.{at} > COALESCE((SELECT max(p.{at}) FROM {table} p WHERE p.connection = r.connection
                                     AND p.unique_id = r.unique_id AND p.status = '{good}' {extra_p}), ''))",
        extra_p = extra.replace("b.", "p."),
    )
}

impl Store {
    /// Every current problem of every connection's dbt nodes.
    pub async fn current_problems(&self) -> Result<Vec<Problem>, StoreError> {
        let mut problems = self.test_problems().await?;
        problems.extend(self.build_problems().await?);
        problems.extend(self.freshness_problems().await?);
        Ok(problems)
    }

    async fn rows(&self, sql: &str) -> Result<Vec<AnyRow>, StoreError> {
        Ok(sqlx::query::<Any>(sql).fetch_all(&self.pool).await?)
    }

    async fn test_problems(&self) -> Result<Vec<Problem>, StoreError> {
        let sql = format!(
            "SELECT g.connection, g.node_id, t.name, t.column_name, r.status, r.message, {since} AS since
               FROM dbt_test_targets g
               JOIN dbt_tests t ON t.connection = g.connection AND t.unique_id = g.test_id
               JOIN dbt_runs r ON r.connection = t.connection AND r.unique_id = t.unique_id
                AND r.completed_at = (SELECT max(r2.completed_at) FROM dbt_runs r2
                                       WHERE r2.connection = t.connection AND r2.unique_id = t.unique_id)
              WHERE r.status IN ('fail', 'error', 'warn')
              ORDER BY g.connection, g.node_id, t.name",
            since = since("dbt_runs", "completed_at", "pass", "")
        );
        let rows = self.rows(&sql).await?;
        rows.iter()
            .map(|r| {
                graded(
                    r,
                    ProblemKind::TestWarned,
                    ProblemKind::TestFailed,
                    "node_id",
                )
            })
            .collect()
    }

    async fn build_problems(&self) -> Result<Vec<Problem>, StoreError> {
        let sql = format!(
            "SELECT r.connection, r.unique_id, n.name, NULL AS column_name, r.status, r.message, {since} AS since
               FROM dbt_runs r
               JOIN dbt_nodes n ON n.connection = r.connection AND n.unique_id = r.unique_id
              WHERE r.command IN {BUILD_COMMANDS} AND r.status = 'error'
                AND r.completed_at = (SELECT max(r2.completed_at) FROM dbt_runs r2
                                       WHERE r2.connection = r.connection AND r2.unique_id = r.unique_id
                                         AND r2.command IN {BUILD_COMMANDS})
              ORDER BY r.connection, r.unique_id",
            since = since(
                "dbt_runs",
                "completed_at",
                "pass",
                &format!("AND b.command IN {BUILD_COMMANDS}")
            )
        );
        let rows = self.rows(&sql).await?;
        rows.iter()
            .map(|r| problem(r, ProblemKind::BuildFailed, "unique_id", text(r, "status")?))
            .collect()
    }

    async fn freshness_problems(&self) -> Result<Vec<Problem>, StoreError> {
        let sql = format!(
            "SELECT r.connection, r.unique_id, n.name, NULL AS column_name, r.status, r.error AS message, {since} AS since
               FROM dbt_freshness r
               JOIN dbt_nodes n ON n.connection = r.connection AND n.unique_id = r.unique_id
              WHERE r.status IN ('warn', 'error', 'fail')
                AND r.snapshotted_at = (SELECT max(r2.snapshotted_at) FROM dbt_freshness r2
                                         WHERE r2.connection = r.connection AND r2.unique_id = r.unique_id)
              ORDER BY r.connection, r.unique_id",
            since = since("dbt_freshness", "snapshotted_at", "pass", "")
        );
        let rows = self.rows(&sql).await?;
        rows.iter()
            .map(|r| {
                graded(
                    r,
                    ProblemKind::SourceWarned,
                    ProblemKind::SourceLate,
                    "unique_id",
                )
            })
            .collect()
    }
}

/// A problem whose kind follows its status: `warn` is the milder one, anything else the worse.
fn graded(
    r: &AnyRow,
    warned: ProblemKind,
    failed: ProblemKind,
    node_column: &str,
) -> Result<Problem, StoreError> {
    let status = text(r, "status")?;
    let kind = if status == "warn" { warned } else { failed };
    problem(r, kind, node_column, status)
}

fn problem(
    r: &AnyRow,
    kind: ProblemKind,
    node_column: &str,
    status: String,
) -> Result<Problem, StoreError> {
    Ok(Problem {
        connection: text(r, "connection")?,
        node_id: text(r, node_column)?,
        kind,
        name: text(r, "name")?,
        column: opt(r, "column_name")?,
        status,
        since: opt(r, "since")?,
        message: opt(r, "message")?.filter(|m| !m.is_empty()),
    })
}
