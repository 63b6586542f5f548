//! What the Hex API says: workspaces, projects, data connections, cells and the tables each
//! cell's SQL reads. Query history says what ran; this says what exists, who owns it and
//! what its SQL would read even when it has not run.

use crate::batch::{self, Val};
use crate::connections::insert_sync;
use crate::{Store, StoreError};
use serde::Serialize;
use sqlx::{Any, Row};
use std::collections::HashMap;

/// A configured Hex workspace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HexWorkspaceRecord {
    /// Its name in the config.
    pub workspace: String,
    /// `https://app.hex.tech/<workspace>`.
    pub app_base: String,
    /// `available`, or why queriedTables is not (None until known).
    pub queried_tables: Option<String>,
}

/// A project as the Hex API lists it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HexProjectRecord {
    /// The project id.
    pub project_id: String,
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: Option<String>,
    /// `PROJECT` or `COMPONENT`.
    pub kind: String,
    /// Its status, e.g. `Published`.
    pub status: Option<String>,
    /// Its categories.
    pub categories: Vec<String>,
    /// The owner's email.
    pub owner_email: Option<String>,
    /// The creator's email.
    pub creator_email: Option<String>,
    /// App views, all time.
    pub app_views_all_time: Option<i64>,
    /// App views in the last 30 days.
    pub app_views_30d: Option<i64>,
    /// RFC 3339 times.
    pub last_viewed_at: Option<String>,
    /// Last edit.
    pub last_edited_at: Option<String>,
    /// Last publication.
    pub last_published_at: Option<String>,
    /// Creation.
    pub created_at: Option<String>,
    /// When it was archived, if it was.
    pub archived_at: Option<String>,
    /// When it was trashed, if it was.
    pub trashed_at: Option<String>,
    /// The link to the project.
    pub url: String,
}

/// A Hex data connection and the connection of ours it was matched to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HexConnectionRecord {
    /// Hex's id.
    pub hex_connection_id: String,
    /// Its name in Hex (the `connection` of query comments).
    pub name: String,
    /// `snowflake`, `postgres`, …
    pub kind: String,
    /// Its host, if Hex says.
    pub host: Option<String>,
    /// Its database, if Hex says.
    pub database: Option<String>,
    /// Our connection, if one matched.
    pub connection: Option<String>,
    /// How the match was made, or why none was.
    pub matched_by: String,
}

/// A cell and the tables its SQL reads.
#[derive(Clone, Debug, PartialEq)]
pub struct HexCellRecord {
    /// The cell id: the draft version's `id`, or the `staticId` when that is what query
    /// history names the cell by.
    pub cell_id: String,
    /// The id that stays the same across the project's versions.
    pub static_id: Option<String>,
    /// `SQL`, `CODE`, …
    pub cell_type: String,
    /// Its label.
    pub label: Option<String>,
    /// The Hex data connection it queries.
    pub hex_connection_id: Option<String>,
    /// Our connection, when the Hex one is matched.
    pub connection: Option<String>,
    /// Its SQL.
    pub sql_text: Option<String>,
    /// Why its SQL did not parse.
    pub parse_error: Option<String>,
    /// Table key → columns, in `connection`.
    pub tables: Vec<(String, Vec<String>)>,
}

/// When a project's cells and its queried tables were last read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HexReadMarks {
    /// Its `lastEditedAt` when the cells were read.
    pub cells_at_edit: Option<String>,
    /// When queriedTables was read (RFC 3339).
    pub queried_at: Option<String>,
}

/// A project's cells, read after its latest edit, with what Hex says it queried.
#[derive(Clone, Debug)]
pub struct HexProjectCells {
    /// The project.
    pub project_id: String,
    /// Its `lastEditedAt` when the cells were read.
    pub read_at_edit: Option<String>,
    /// Its cells.
    pub cells: Vec<HexCellRecord>,
    /// (connection, table key) pairs from queriedTables; None when not available.
    pub queried: Option<Vec<(String, String)>>,
}

impl Store {
    /// Replaces a workspace's projects and data connections; cells of projects that are gone
    /// go with them. Cells of the others stay until [`Store::write_hex_cells`] replaces them.
    pub async fn write_hex_workspace(
        &self,
        workspace: &HexWorkspaceRecord,
        projects: &[HexProjectRecord],
        connections: &[HexConnectionRecord],
        synced_at: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        upsert_workspace(&mut tx, workspace, synced_at).await?;
        let kept = read_marks(&mut tx, &workspace.workspace).await?;
        drop_gone_projects(&mut tx, &workspace.workspace, projects, &kept).await?;
        sqlx::query::<Any>("DELETE FROM hex_api_projects WHERE workspace = $1")
            .bind(workspace.workspace.clone())
            .execute(&mut *tx)
            .await?;
        let rows = projects
            .iter()
            .map(|p| project_row(&workspace.workspace, p, &kept))
            .collect();
        batch::insert(&mut tx, "hex_api_projects", &PROJECT_COLUMNS, "", rows).await?;
        sqlx::query::<Any>("DELETE FROM hex_data_connections WHERE workspace = $1")
            .bind(workspace.workspace.clone())
            .execute(&mut *tx)
            .await?;
        let rows = connections
            .iter()
            .map(|c| connection_row(&workspace.workspace, c))
            .collect();
        batch::insert(
            &mut tx,
            "hex_data_connections",
            &CONNECTION_COLUMNS,
            "",
            rows,
        )
        .await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }

    /// When each project's stored cells and queried tables were read.
    pub async fn hex_cells_read(
        &self,
        workspace: &str,
    ) -> Result<HashMap<String, HexReadMarks>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        read_marks(&mut conn, workspace).await
    }

    /// The cell ids query history saw for `project_id`, to store each API cell under the id
    /// (draft `id` or `staticId`) its runs carry.
    pub async fn observed_cell_ids(
        &self,
        project_id: &str,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let rows =
            sqlx::query::<Any>("SELECT DISTINCT cell_id FROM hex_runs WHERE project_id = $1")
                .bind(project_id.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Replaces one project's queried tables alone, read again on their schedule.
    pub async fn write_hex_queried_tables(
        &self,
        workspace: &str,
        project_id: &str,
        queried: &[(String, String)],
        read_at: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        write_queried(&mut tx, project_id, queried).await?;
        mark_queried(&mut tx, workspace, project_id, read_at).await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }

    /// Replaces one project's cells (and queried tables, when given) in one transaction, so
    /// a sync stopped between projects keeps every project it finished.
    pub async fn write_hex_cells(
        &self,
        workspace: &str,
        project: &HexProjectCells,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = project.project_id.as_str();
        delete_project_rows(&mut tx, workspace, id, project.queried.is_some()).await?;
        let rows = project
            .cells
            .iter()
            .map(|c| cell_row(workspace, id, c))
            .collect();
        batch::insert(&mut tx, "hex_cells", &CELL_COLUMNS, "", rows).await?;
        let tables = project.cells.iter().flat_map(|c| cell_table_rows(id, c));
        let tail = "ON CONFLICT DO NOTHING";
        batch::insert(
            &mut tx,
            "hex_cell_tables",
            &CELL_TABLE_COLUMNS,
            tail,
            tables.collect(),
        )
        .await?;
        if let Some(queried) = &project.queried {
            write_queried(&mut tx, id, queried).await?;
            mark_queried(&mut tx, workspace, id, &crate::now()).await?;
        }
        sqlx::query::<Any>(
            "UPDATE hex_api_projects SET cells_read_at_edit = $3 WHERE workspace = $1 AND project_id = $2",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(project.read_at_edit.clone().unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }

    /// Records whether queriedTables is available to this workspace's token.
    pub async fn set_hex_queried_tables(
        &self,
        workspace: &str,
        state: &str,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>("UPDATE hex_workspaces SET queried_tables = $2 WHERE workspace = $1")
            .bind(workspace.to_string())
            .bind(state.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a Hex sync's outcome against each connection it serves.
    pub async fn record_hex_sync(
        &self,
        connections: &[String],
        started_at: &str,
        outcome: Result<&str, &str>,
        warnings: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for connection in connections {
            let (error, summary) = match outcome {
                Ok(summary) => (None, summary),
                Err(error) => (Some(error), "{}"),
            };
            insert_sync(
                &mut tx, connection, "hex", started_at, error, warnings, summary,
            )
            .await?;
        }
        tx.commit().await?;
        self.wrote();
        Ok(())
    }

    /// (our connection, Hex connection name) pairs query comments carried: a Hex connection's
    /// name seen in one connection's history ties the two together.
    pub async fn hex_connection_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT DISTINCT connection, hex_connection FROM hex_runs WHERE hex_connection IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Configured workspaces, for status pages.
    pub async fn hex_workspaces(&self) -> Result<Vec<HexWorkspaceRecord>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT workspace, app_base, queried_tables FROM hex_workspaces ORDER BY workspace",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HexWorkspaceRecord {
                    workspace: r.try_get(0)?,
                    app_base: r.try_get(1)?,
                    queried_tables: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// The Hex data connections matched (or not) to `connection`'s kind, for its status page.
    pub async fn hex_connections(&self) -> Result<Vec<HexConnectionRecord>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT hex_connection_id, name, kind, host, database_name, connection, matched_by
               FROM hex_data_connections ORDER BY name, hex_connection_id",
        )
        .fetch_all(&self.pool)
        .await?;
        connection_records(&rows)
    }

    /// One workspace's Hex data connections as last read.
    pub async fn hex_workspace_connections(
        &self,
        workspace: &str,
    ) -> Result<Vec<HexConnectionRecord>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT hex_connection_id, name, kind, host, database_name, connection, matched_by
               FROM hex_data_connections WHERE workspace = $1 ORDER BY name, hex_connection_id",
        )
        .bind(workspace.to_string())
        .fetch_all(&self.pool)
        .await?;
        connection_records(&rows)
    }
}

fn connection_records(rows: &[sqlx::any::AnyRow]) -> Result<Vec<HexConnectionRecord>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(HexConnectionRecord {
                hex_connection_id: r.try_get(0)?,
                name: r.try_get(1)?,
                kind: r.try_get(2)?,
                host: r.try_get(3)?,
                database: r.try_get(4)?,
                connection: r.try_get(5)?,
                matched_by: r.try_get(6)?,
            })
        })
        .collect()
}

const PROJECT_COLUMNS: [&str; 20] = [
    "workspace",
    "project_id",
    "title",
    "description",
    "kind",
    "status",
    "categories",
    "owner_email",
    "creator_email",
    "app_views_all_time",
    "app_views_30d",
    "last_viewed_at",
    "last_edited_at",
    "last_published_at",
    "created_at",
    "archived_at",
    "trashed_at",
    "url",
    // Carried over from the stored row: a re-listed project keeps its cells until edited,
    // and its queried tables until their schedule comes.
    "cells_read_at_edit",
    "queried_read_at",
];

fn project_row(
    workspace: &str,
    p: &HexProjectRecord,
    kept: &HashMap<String, HexReadMarks>,
) -> Vec<Val> {
    let marks = kept.get(&p.project_id).cloned().unwrap_or_default();
    vec![
        workspace.into(),
        p.project_id.as_str().into(),
        p.title.as_str().into(),
        p.description.clone().into(),
        p.kind.as_str().into(),
        p.status.clone().into(),
        serde_json::to_string(&p.categories)
            .unwrap_or_else(|_| "[]".into())
            .into(),
        p.owner_email.clone().into(),
        p.creator_email.clone().into(),
        p.app_views_all_time.into(),
        p.app_views_30d.into(),
        p.last_viewed_at.clone().into(),
        p.last_edited_at.clone().into(),
        p.last_published_at.clone().into(),
        p.created_at.clone().into(),
        p.archived_at.clone().into(),
        p.trashed_at.clone().into(),
        p.url.as_str().into(),
        marks.cells_at_edit.into(),
        marks.queried_at.into(),
    ]
}

const CONNECTION_COLUMNS: [&str; 8] = [
    "workspace",
    "hex_connection_id",
    "name",
    "kind",
    "host",
    "database_name",
    "connection",
    "matched_by",
];

fn connection_row(workspace: &str, c: &HexConnectionRecord) -> Vec<Val> {
    vec![
        workspace.into(),
        c.hex_connection_id.as_str().into(),
        c.name.as_str().into(),
        c.kind.as_str().into(),
        c.host.clone().into(),
        c.database.clone().into(),
        c.connection.clone().into(),
        c.matched_by.as_str().into(),
    ]
}

const CELL_COLUMNS: [&str; 10] = [
    "workspace",
    "project_id",
    "cell_id",
    "static_id",
    "cell_type",
    "label",
    "hex_connection_id",
    "connection",
    "sql_text",
    "parse_error",
];

fn cell_row(workspace: &str, project_id: &str, c: &HexCellRecord) -> Vec<Val> {
    vec![
        workspace.into(),
        project_id.into(),
        c.cell_id.as_str().into(),
        c.static_id.clone().into(),
        c.cell_type.as_str().into(),
        c.label.clone().into(),
        c.hex_connection_id.clone().into(),
        c.connection.clone().into(),
        c.sql_text.clone().into(),
        c.parse_error.clone().into(),
    ]
}

const CELL_TABLE_COLUMNS: [&str; 5] = [
    "connection",
    "table_key",
    "project_id",
    "cell_id",
    "columns",
];

fn cell_table_rows<'a>(
    project_id: &'a str,
    c: &'a HexCellRecord,
) -> impl Iterator<Item = Vec<Val>> + 'a {
    let connection = c.connection.as_deref();
    c.tables.iter().filter_map(move |(key, columns)| {
        Some(vec![
            connection?.into(),
            key.as_str().into(),
            project_id.into(),
            c.cell_id.as_str().into(),
            serde_json::to_string(columns)
                .unwrap_or_else(|_| "[]".into())
                .into(),
        ])
    })
}

async fn upsert_workspace(
    conn: &mut sqlx::AnyConnection,
    w: &HexWorkspaceRecord,
    synced_at: &str,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO hex_workspaces (workspace, app_base, queried_tables, synced_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace) DO UPDATE SET app_base = excluded.app_base,
           queried_tables = COALESCE(excluded.queried_tables, hex_workspaces.queried_tables),
           synced_at = excluded.synced_at",
    )
    .bind(w.workspace.clone())
    .bind(w.app_base.clone())
    .bind(w.queried_tables.clone())
    .bind(synced_at.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn read_marks(
    conn: &mut sqlx::AnyConnection,
    workspace: &str,
) -> Result<HashMap<String, HexReadMarks>, StoreError> {
    let rows = sqlx::query::<Any>(
        "SELECT project_id, cells_read_at_edit, queried_read_at FROM hex_api_projects WHERE workspace = $1",
    )
    .bind(workspace.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let marks = HexReadMarks {
                cells_at_edit: r.try_get(1)?,
                queried_at: r.try_get(2)?,
            };
            Ok((r.try_get(0)?, marks))
        })
        .collect()
}

async fn write_queried(
    conn: &mut sqlx::AnyConnection,
    project_id: &str,
    queried: &[(String, String)],
) -> Result<(), StoreError> {
    sqlx::query::<Any>("DELETE FROM hex_queried_tables WHERE project_id = $1")
        .bind(project_id.to_string())
        .execute(&mut *conn)
        .await?;
    let rows = queried
        .iter()
        .map(|(c, key)| vec![c.as_str().into(), key.as_str().into(), project_id.into()])
        .collect();
    let columns = ["connection", "table_key", "project_id"];
    batch::insert(
        conn,
        "hex_queried_tables",
        &columns,
        "ON CONFLICT DO NOTHING",
        rows,
    )
    .await?;
    Ok(())
}

/// An API cell stored under its draft `id` whose runs came in under its `staticId`:
/// what query history names a cell by wins, so the two meet on one page.
const REALIGNS: &str = "c.static_id IS NOT NULL AND c.static_id <> c.cell_id
    AND EXISTS (SELECT 1 FROM hex_runs r WHERE r.project_id = c.project_id AND r.cell_id = c.static_id)
    AND NOT EXISTS (SELECT 1 FROM hex_runs r WHERE r.project_id = c.project_id AND r.cell_id = c.cell_id)";

/// Re-keys API cells (and the tables their SQL reads) to the id their runs carry, for runs
/// that arrived after the cells were read. Runs in the same transaction.
pub(crate) async fn align_cells_to_runs(conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
    sqlx::query::<Any>(&format!(
        "UPDATE hex_cell_tables SET cell_id = (SELECT c.static_id FROM hex_cells c
            WHERE c.project_id = hex_cell_tables.project_id AND c.cell_id = hex_cell_tables.cell_id)
          WHERE EXISTS (SELECT 1 FROM hex_cells c WHERE c.project_id = hex_cell_tables.project_id
            AND c.cell_id = hex_cell_tables.cell_id AND {REALIGNS})"
    ))
    .execute(&mut *conn)
    .await?;
    sqlx::query::<Any>(&format!(
        "UPDATE hex_cells SET cell_id = static_id WHERE EXISTS (SELECT 1 FROM hex_cells c
            WHERE c.workspace = hex_cells.workspace AND c.project_id = hex_cells.project_id
              AND c.cell_id = hex_cells.cell_id AND {REALIGNS})"
    ))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn mark_queried(
    conn: &mut sqlx::AnyConnection,
    workspace: &str,
    project_id: &str,
    read_at: &str,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "UPDATE hex_api_projects SET queried_read_at = $3 WHERE workspace = $1 AND project_id = $2",
    )
    .bind(workspace.to_string())
    .bind(project_id.to_string())
    .bind(read_at.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn drop_gone_projects(
    conn: &mut sqlx::AnyConnection,
    workspace: &str,
    projects: &[HexProjectRecord],
    stored: &HashMap<String, HexReadMarks>,
) -> Result<(), StoreError> {
    let listed: std::collections::HashSet<&str> =
        projects.iter().map(|p| p.project_id.as_str()).collect();
    for gone in stored.keys().filter(|id| !listed.contains(id.as_str())) {
        delete_project_rows(conn, workspace, gone, true).await?;
    }
    Ok(())
}

async fn delete_project_rows(
    conn: &mut sqlx::AnyConnection,
    workspace: &str,
    project_id: &str,
    with_queried: bool,
) -> Result<(), StoreError> {
    sqlx::query::<Any>("DELETE FROM hex_cells WHERE workspace = $1 AND project_id = $2")
        .bind(workspace.to_string())
        .bind(project_id.to_string())
        .execute(&mut *conn)
        .await?;
    let mut tables = vec!["hex_cell_tables"];
    if with_queried {
        tables.push("hex_queried_tables");
    }
    for table in tables {
        sqlx::query::<Any>(&format!("DELETE FROM {table} WHERE project_id = $1"))
            .bind(project_id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
