//! Query history in the store: parsed statements, the tables they read, and Hex runs.

use crate::batch::{self, Val};
use crate::write::{insert_sync, now};
use crate::{Backend, Store, StoreError};
use serde::Serialize;
use sqlx::Any;
use std::collections::HashSet;

/// Runs written per statement batch.
const RUN_CHUNK: usize = 5_000;

/// A statement shape parsed for the first time.
#[derive(Clone, Debug)]
pub struct QueryRecord {
    /// Fingerprint of the statement and its session defaults.
    pub query_key: String,
    /// One example of the text, without the Hex comment.
    pub sql_text: String,
    /// `select`, `insert`, … or `error`.
    pub statement_kind: String,
    /// `parsed`, or `engine` when the warehouse named the tables itself.
    pub tables_from: String,
    /// Why parsing failed, if it did.
    pub error: Option<String>,
    /// Table key → columns the statement uses.
    pub tables: Vec<(String, Vec<String>)>,
}

/// Runs of one statement by one Hex cell, context and user, added to what is stored.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// A hash of connection, environment, statement, project, cell, context and user.
    pub run_key: String,
    /// The statement shape.
    pub query_key: String,
    /// The Hex project.
    pub project_id: String,
    /// The cell, or empty when Hex did not say.
    pub cell_id: String,
    /// `scheduled`, `app_view`, `interactive`, `api`, …
    pub context: String,
    /// The Hex user (or the warehouse user when Hex did not say).
    pub user_name: String,
    /// The Hex data connection's name.
    pub hex_connection: Option<String>,
    /// Executions.
    pub runs: i64,
    /// Earliest run, RFC 3339.
    pub first_seen: Option<String>,
    /// Latest run, RFC 3339.
    pub last_seen: Option<String>,
}

/// What a Hex comment said about a project.
#[derive(Clone, Debug)]
pub struct ProjectRecord {
    /// The project id.
    pub project_id: String,
    /// Its title.
    pub name: Option<String>,
    /// Its URL.
    pub url: Option<String>,
    /// Its status.
    pub status: Option<String>,
    /// Its categories.
    pub categories: Vec<String>,
}

/// Everything one history sync wrote, committed together with its checkpoint.
#[derive(Clone, Debug)]
pub struct HistoryBatch {
    /// The connection.
    pub connection: String,
    /// The history environment within it.
    pub environment: String,
    /// Where the next sync resumes.
    pub checkpoint: String,
    /// The checkpoint this sync started from: the write goes through only if it is still the
    /// stored one, so two overlapping syncs of a source never add the same runs twice.
    pub previous_checkpoint: Option<String>,
    /// Newly parsed statements.
    pub queries: Vec<QueryRecord>,
    /// Runs to add.
    pub runs: Vec<RunRecord>,
    /// Projects seen.
    pub projects: Vec<ProjectRecord>,
    /// When the sync started.
    pub started_at: String,
    /// The sync's summary, as JSON.
    pub summary: String,
    /// Problems that did not stop the sync.
    pub warnings: Vec<String>,
}

/// What a history write changed.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct HistoryCounts {
    /// Statements stored for the first time.
    pub new_queries: u64,
    /// Run groups stored for the first time.
    pub new_runs: u64,
    /// Run groups that existed and grew.
    pub updated_runs: u64,
    /// (table, project, cell) edges that did not exist before.
    pub new_edges: u64,
}

impl Store {
    /// The checkpoint a history source left, if it has synced before.
    pub async fn history_checkpoint(
        &self,
        connection: &str,
        environment: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT checkpoint FROM history_checkpoints WHERE connection = $1 AND environment = $2",
        )
        .bind(connection)
        .bind(environment)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(c,)| c))
    }

    /// The statement shapes already parsed for a connection.
    pub async fn known_queries(&self, connection: &str) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT query_key FROM query_lineage WHERE connection = $1")
                .bind(connection)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// Writes one history sync in one transaction: a failure leaves the store as it was.
    pub async fn write_history(&self, batch: &HistoryBatch) -> Result<HistoryCounts, StoreError> {
        let mut tx = self.pool.begin().await?;
        advance_checkpoint(&mut tx, batch).await?;
        let new_queries = write_queries(&mut tx, &batch.connection, &batch.queries).await?;
        let (new_runs, updated_runs) = self.write_runs(&mut tx, batch).await?;
        let new_edges = write_edges(&mut tx, &batch.connection, &batch.started_at).await?;
        write_projects(&mut tx, &batch.connection, &batch.projects).await?;
        crate::hex_api::align_cells_to_runs(&mut tx).await?;
        let source = format!("history:{}", batch.environment);
        insert_sync(
            &mut tx,
            &batch.connection,
            &source,
            &batch.started_at,
            None,
            &batch.warnings,
            &batch.summary,
        )
        .await?;
        tx.commit().await?;
        self.wrote();
        Ok(HistoryCounts {
            new_queries,
            new_runs,
            updated_runs,
            new_edges,
        })
    }

    async fn write_runs(
        &self,
        conn: &mut sqlx::AnyConnection,
        batch: &HistoryBatch,
    ) -> Result<(u64, u64), StoreError> {
        // SQLite's min/max of a NULL is NULL, PostgreSQL's least/greatest skip NULLs:
        // COALESCE both sides so either behaves the same.
        let (low, high) = match self.backend {
            Backend::Sqlite => ("min", "max"),
            Backend::Postgres => ("least", "greatest"),
        };
        let tail = format!(
            "ON CONFLICT (run_key) DO UPDATE SET runs = hex_runs.runs + excluded.runs,
               hex_connection = COALESCE(excluded.hex_connection, hex_runs.hex_connection),
               first_seen = {low}(COALESCE(hex_runs.first_seen, excluded.first_seen), COALESCE(excluded.first_seen, hex_runs.first_seen)),
               last_seen = {high}(COALESCE(hex_runs.last_seen, excluded.last_seen), COALESCE(excluded.last_seen, hex_runs.last_seen)),
               last_synced_at = excluded.last_synced_at"
        );
        let synced = batch.started_at.as_str();
        let columns = [
            "run_key",
            "connection",
            "environment",
            "query_key",
            "project_id",
            "cell_id",
            "context",
            "user_name",
            "hex_connection",
            "runs",
            "first_seen",
            "last_seen",
            "first_synced_at",
            "last_synced_at",
        ];
        // A chunk at a time: rows for the whole batch would hold every value twice.
        for chunk in batch.runs.chunks(RUN_CHUNK) {
            let rows: Vec<Vec<Val>> = chunk
                .iter()
                .map(|r| {
                    vec![
                        r.run_key.as_str().into(),
                        batch.connection.as_str().into(),
                        batch.environment.as_str().into(),
                        r.query_key.as_str().into(),
                        r.project_id.as_str().into(),
                        r.cell_id.as_str().into(),
                        r.context.as_str().into(),
                        r.user_name.as_str().into(),
                        r.hex_connection.clone().into(),
                        r.runs.into(),
                        r.first_seen.clone().into(),
                        r.last_seen.clone().into(),
                        synced.into(),
                        synced.into(),
                    ]
                })
                .collect();
            batch::insert(conn, "hex_runs", &columns, &tail, rows).await?;
        }
        let (new,): (i64,) = sqlx::query_as(
            // New rows carry this sync in both columns; last_synced_at leads an index.
            "SELECT COUNT(*) FROM hex_runs WHERE connection = $1 AND last_synced_at = $2 AND first_synced_at = $2",
        )
        .bind(batch.connection.clone())
        .bind(synced)
        .fetch_one(&mut *conn)
        .await?;
        let new = new as u64;
        Ok((new, (batch.runs.len() as u64).saturating_sub(new)))
    }
}

async fn write_queries(
    conn: &mut sqlx::AnyConnection,
    connection: &str,
    queries: &[QueryRecord],
) -> Result<u64, StoreError> {
    let parsed_at = now();
    let rows: Vec<Vec<Val>> = queries
        .iter()
        .map(|q| {
            vec![
                connection.into(),
                q.query_key.as_str().into(),
                q.sql_text.as_str().into(),
                q.statement_kind.as_str().into(),
                q.tables_from.as_str().into(),
                q.error.clone().into(),
                parsed_at.as_str().into(),
            ]
        })
        .collect();
    let columns = [
        "connection",
        "query_key",
        "sql_text",
        "statement_kind",
        "tables_from",
        "error",
        "first_parsed_at",
    ];
    let inserted = batch::insert(
        conn,
        "query_lineage",
        &columns,
        "ON CONFLICT DO NOTHING",
        rows,
    )
    .await?;
    let tables: Vec<Vec<Val>> = queries
        .iter()
        .flat_map(|q| {
            q.tables.iter().map(|(table, columns)| {
                vec![
                    connection.into(),
                    q.query_key.as_str().into(),
                    table.as_str().into(),
                    serde_json::to_string(columns)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                ]
            })
        })
        .collect();
    batch::insert(
        conn,
        "query_tables",
        &["connection", "query_key", "table_key", "columns"],
        "ON CONFLICT DO NOTHING",
        tables,
    )
    .await?;
    Ok(inserted)
}

async fn write_projects(
    conn: &mut sqlx::AnyConnection,
    connection: &str,
    projects: &[ProjectRecord],
) -> Result<(), StoreError> {
    let updated_at = now();
    let rows: Vec<Vec<Val>> = projects
        .iter()
        .map(|p| {
            vec![
                connection.into(),
                p.project_id.as_str().into(),
                p.name.clone().into(),
                p.url.clone().into(),
                p.status.clone().into(),
                serde_json::to_string(&p.categories)
                    .unwrap_or_else(|_| "[]".into())
                    .into(),
                updated_at.as_str().into(),
            ]
        })
        .collect();
    batch::insert(
        conn,
        "hex_projects",
        &[
            "connection",
            "project_id",
            "name",
            "url",
            "status",
            "categories",
            "updated_at",
        ],
        "ON CONFLICT (connection, project_id) DO UPDATE SET name = COALESCE(excluded.name, hex_projects.name),
           url = COALESCE(excluded.url, hex_projects.url), status = COALESCE(excluded.status, hex_projects.status),
           categories = excluded.categories, updated_at = excluded.updated_at",
        rows,
    )
    .await?;
    Ok(())
}

/// Moves the source's checkpoint from the one the sync started at to the new one; fails if
/// another sync moved it meanwhile (its runs are already counted).
async fn advance_checkpoint(
    conn: &mut sqlx::AnyConnection,
    batch: &HistoryBatch,
) -> Result<(), StoreError> {
    let moved = match &batch.previous_checkpoint {
        None => sqlx::query::<Any>(
            "INSERT INTO history_checkpoints (connection, environment, checkpoint, updated_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (connection, environment) DO NOTHING",
        )
        .bind(batch.connection.clone())
        .bind(batch.environment.clone())
        .bind(batch.checkpoint.clone())
        .bind(now())
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        Some(previous) => sqlx::query::<Any>(
            "UPDATE history_checkpoints SET checkpoint = $3, updated_at = $4
              WHERE connection = $1 AND environment = $2 AND checkpoint = $5",
        )
        .bind(batch.connection.clone())
        .bind(batch.environment.clone())
        .bind(batch.checkpoint.clone())
        .bind(now())
        .bind(previous.clone())
        .execute(&mut *conn)
        .await?
        .rows_affected(),
    };
    if moved == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "another sync of history source {:?} finished first; its runs are kept and this one wrote nothing",
            batch.environment
        )))
    }
}

/// Adds the (table, project, cell) edges of the runs this sync touched; returns how many
/// are new.
async fn write_edges(
    conn: &mut sqlx::AnyConnection,
    connection: &str,
    synced_at: &str,
) -> Result<u64, StoreError> {
    let inserted = sqlx::query::<Any>(
        "INSERT INTO hex_edges (connection, table_key, project_id, cell_id)
         SELECT DISTINCT t.connection, t.table_key, r.project_id, r.cell_id
           FROM hex_runs r JOIN query_tables t ON t.connection = r.connection AND t.query_key = r.query_key
          WHERE r.connection = $1 AND r.last_synced_at = $2
         ON CONFLICT DO NOTHING",
    )
    .bind(connection)
    .bind(synced_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted)
}
