//! Query history in the store: parsed statements, the tables they read, and Hex runs.

use crate::batch::{self, Val};
use crate::connections::{insert_sync, now};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, Utc};
use model::hex::RunContext;
use serde::Serialize;
use sqlx::Any;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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

/// Runs of one statement by one Hex cell, context and user, added to what is stored. Names
/// are shared and times unformatted until written: a batch may hold most of a million of
/// these.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// A hash of connection, environment, statement, project, cell, context and user; stored
    /// as 32 hex digits.
    pub run_key: u128,
    /// The statement shape.
    pub query_key: Arc<str>,
    /// The Hex project.
    pub project_id: Arc<str>,
    /// The cell, or empty when Hex did not say.
    pub cell_id: Arc<str>,
    /// Who or what ran it.
    pub context: RunContext,
    /// The Hex user (or the warehouse user when Hex did not say).
    pub user_name: Arc<str>,
    /// The Hex data connection's name.
    pub hex_connection: Option<Arc<str>>,
    /// Executions.
    pub runs: i64,
    /// Earliest run.
    pub first_seen: Option<DateTime<Utc>>,
    /// Latest run.
    pub last_seen: Option<DateTime<Utc>>,
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
        let new_edges = write_edges(&mut tx, batch).await?;
        write_projects(&mut tx, &batch.connection, &batch.projects).await?;
        crate::hex::write::align_cells_to_runs(&mut tx).await?;
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
        let before = run_groups(conn, &batch.connection).await?;
        // In the order of the by-project index, so its B-tree pages are filled one after
        // another instead of at random (half the insert time on a 300,000-run batch).
        let mut runs: Vec<&RunRecord> = batch.runs.iter().collect();
        runs.sort_unstable_by(|a, b| {
            (&a.project_id, &a.cell_id, &a.query_key).cmp(&(
                &b.project_id,
                &b.cell_id,
                &b.query_key,
            ))
        });
        // A chunk at a time: rows for the whole batch would hold every value twice.
        for chunk in runs.chunks(RUN_CHUNK) {
            let rows: Vec<Vec<Val>> = chunk
                .iter()
                .map(|r| {
                    vec![
                        format!("{:032x}", r.run_key).into(),
                        batch.connection.as_str().into(),
                        batch.environment.as_str().into(),
                        (*r.query_key).into(),
                        (*r.project_id).into(),
                        (*r.cell_id).into(),
                        r.context.as_str().into(),
                        (*r.user_name).into(),
                        r.hex_connection.as_deref().into(),
                        r.runs.into(),
                        r.first_seen.map(model::stamp).into(),
                        r.last_seen.map(model::stamp).into(),
                        synced.into(),
                        synced.into(),
                    ]
                })
                .collect();
            batch::insert(conn, "hex_runs", &columns, &tail, rows).await?;
        }
        let new = run_groups(conn, &batch.connection).await? - before;
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

/// How many run groups a connection has (an index range count: new groups are the growth
/// across a write, so no index on the sync time is kept just to count them).
async fn run_groups(conn: &mut sqlx::AnyConnection, connection: &str) -> Result<u64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM hex_runs WHERE connection = $1")
        .bind(connection)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n.max(0) as u64)
}

/// The (statement, table) pairs of some statements, a few hundred keys per query so the read
/// scales with the batch rather than with everything the connection ever parsed.
async fn tables_of(
    conn: &mut sqlx::AnyConnection,
    connection: &str,
    queries: &[&str],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut rows = Vec::new();
    for chunk in queries.chunks(crate::IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT query_key, table_key FROM query_tables WHERE connection = $1 AND query_key IN ({})",
            crate::placeholders(2, chunk.len())
        );
        let args = crate::text_args(std::iter::once(connection).chain(chunk.iter().copied()))?;
        rows.extend(
            sqlx::query_as_with::<Any, (String, String), _>(&sql, args)
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    Ok(rows)
}

/// Adds the (table, project, cell) edges of the batch's runs; returns how many are new. The
/// (statement, project, cell) triples come from the batch itself, the statements' tables from
/// `query_tables`, so the runs table is not scanned again.
async fn write_edges(
    conn: &mut sqlx::AnyConnection,
    batch: &HistoryBatch,
) -> Result<u64, StoreError> {
    let cells: HashSet<(&str, &str, &str)> = batch
        .runs
        .iter()
        .map(|r| (&*r.query_key, &*r.project_id, &*r.cell_id))
        .collect();
    if cells.is_empty() {
        return Ok(0);
    }
    let queries: Vec<&str> = cells
        .iter()
        .map(|(query, _, _)| *query)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows = tables_of(conn, &batch.connection, &queries).await?;
    let mut tables: HashMap<&str, Vec<&str>> = HashMap::new();
    for (query, table) in &rows {
        tables
            .entry(query.as_str())
            .or_default()
            .push(table.as_str());
    }
    let edges: HashSet<(&str, &str, &str)> = cells
        .into_iter()
        .flat_map(|(query, project, cell)| {
            tables
                .get(query)
                .into_iter()
                .flatten()
                .map(move |table| (*table, project, cell))
        })
        .collect();
    let rows: Vec<Vec<Val>> = edges
        .into_iter()
        .map(|(table, project, cell)| {
            vec![
                batch.connection.as_str().into(),
                table.into(),
                project.into(),
                cell.into(),
            ]
        })
        .collect();
    let inserted = batch::insert(
        conn,
        "hex_edges",
        &["connection", "table_key", "project_id", "cell_id"],
        "ON CONFLICT DO NOTHING",
        rows,
    )
    .await?;
    Ok(inserted)
}
