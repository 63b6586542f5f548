//! Which Hex work reads a table, from three kinds of evidence: runs query history observed,
//! the project's SQL cells as the Hex API returns them, and Hex's own queriedTables. Hex
//! metadata (titles, owners, links, archived or trashed) enriches all three.

use crate::{Store, StoreError};
use model::hex::RunContext;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The column of [`Store::evidence`] naming the kind of evidence.
const EVIDENCE: usize = 9;

/// One Hex cell (or project, when the cell is unknown) that reads a table.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HexUse {
    /// The project.
    pub project_id: String,
    /// Its title: the Hex API's, else the latest query comment's.
    pub project_name: Option<String>,
    /// Its URL.
    pub project_url: Option<String>,
    /// The cell, if known.
    pub cell_id: Option<String>,
    /// The cell's label, from the Hex API.
    pub cell_label: Option<String>,
    /// The project's owner, from the Hex API.
    pub owner: Option<String>,
    /// The project's status, e.g. `Published`.
    pub status: Option<String>,
    /// `archived` or `trashed` when the project is.
    pub state: Option<String>,
    /// Latest run, RFC 3339.
    pub last_run: Option<String>,
    /// Executions in all.
    pub runs: i64,
    /// Executions per context.
    pub runs_by_context: BTreeMap<RunContext, i64>,
    /// Who ran it.
    pub users: Vec<String>,
    /// The table's columns it uses.
    pub columns: Vec<String>,
    /// Whether it ran within the activity window.
    pub live: bool,
    /// Query history saw it run.
    pub observed: bool,
    /// The cell's SQL, as the Hex API returns it, reads the table.
    pub in_project_sql: bool,
    /// Whether Hex's queriedTables lists the table for the project; None when the workspace's
    /// plan or token does not offer it.
    pub hex_confirms: Option<bool>,
}

/// What the Hex API says about a project.
struct ProjectInfo {
    title: String,
    url: String,
    owner: Option<String>,
    status: Option<String>,
    state: Option<String>,
    queried_available: bool,
}

impl Store {
    /// The Hex cells that read a table (by its relation key): observed ones newest run first,
    /// then the ones only the projects' SQL or queriedTables know of.
    pub async fn hex_usage(
        &self,
        connection: &str,
        table_key: &str,
        live_since: &str,
    ) -> Result<Vec<HexUse>, StoreError> {
        let mut uses: BTreeMap<(String, String), UseBuilder> = BTreeMap::new();
        let mut queried = HashSet::new();
        for row in &self.evidence(connection, table_key).await? {
            let (project, cell): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            match row.try_get::<String, _>(EVIDENCE)?.as_str() {
                "run" => uses.entry((project, cell)).or_default().add_run(row)?,
                "sql" => uses
                    .entry((project, cell))
                    .or_default()
                    .add_sql(&row.try_get::<String, _>(8)?),
                _ => {
                    queried.insert(project);
                }
            }
        }
        for project in &queried {
            if !uses.keys().any(|(p, _)| p == project) {
                uses.entry((project.clone(), String::new())).or_default();
            }
        }
        let projects: BTreeSet<&String> = uses.keys().map(|(p, _)| p).collect();
        let (info, labels) = self.project_info(&projects).await?;
        let mut out: Vec<HexUse> = uses
            .into_iter()
            .map(|((project, cell), b)| {
                let label = labels.get(&(project.clone(), cell.clone())).cloned();
                let confirms = info
                    .get(&project)
                    .filter(|i| i.queried_available)
                    .map(|_| queried.contains(&project));
                let mut used = b.finish(project, cell, live_since, label, confirms);
                if let Some(i) = info.get(&used.project_id) {
                    used.enrich(i);
                }
                used
            })
            .collect();
        out.sort_by(|a, b| {
            (b.observed, &b.last_run, &a.project_id, &a.cell_id).cmp(&(
                a.observed,
                &a.last_run,
                &b.project_id,
                &b.cell_id,
            ))
        });
        Ok(out)
    }

    /// The three kinds of evidence in one statement, told apart by the last column: `run`
    /// (query history, one row per cell, context and user), `sql` (the cell's SQL as the Hex
    /// API returns it) and `queried` (Hex's queriedTables).
    async fn evidence(&self, connection: &str, table_key: &str) -> Result<Vec<AnyRow>, StoreError> {
        Ok(sqlx::query::<Any>(
            "SELECT r.project_id, r.cell_id, r.context, r.user_name, CAST(SUM(r.runs) AS BIGINT) AS runs,
                    MAX(r.last_seen) AS last_seen, p.name, p.url, t.columns, 'run' AS evidence
               FROM query_tables t
               JOIN hex_runs r ON r.connection = t.connection AND r.query_key = t.query_key
               LEFT JOIN hex_projects p ON p.connection = r.connection AND p.project_id = r.project_id
              WHERE t.connection = $1 AND t.table_key = $2
              GROUP BY r.project_id, r.cell_id, r.context, r.user_name, p.name, p.url, t.columns
             UNION ALL
             SELECT project_id, cell_id, '', '', 0, NULL, NULL, NULL, columns, 'sql'
               FROM hex_cell_tables WHERE connection = $1 AND table_key = $2
             UNION ALL
             SELECT project_id, '', '', '', 0, NULL, NULL, NULL, '[]', 'queried'
               FROM hex_queried_tables WHERE connection = $1 AND table_key = $2",
        )
        .bind(connection.to_string())
        .bind(table_key.to_string())
        .fetch_all(&self.pool)
        .await?)
    }

    /// What the Hex API says of each project (its first workspace's row wins) and the labels
    /// of its cells, in one statement.
    async fn project_info(
        &self,
        projects: &BTreeSet<&String>,
    ) -> Result<(HashMap<String, ProjectInfo>, CellLabels), StoreError> {
        let (mut info, mut labels) = (HashMap::new(), HashMap::new());
        let ids: Vec<&String> = projects.iter().copied().collect();
        for chunk in ids.chunks(crate::IN_LIST_CHUNK) {
            let sql = format!(
                "SELECT p.title, p.url, p.owner_email, p.status, p.archived_at, p.trashed_at, w.queried_tables,
                        p.project_id, c.cell_id, c.label
                   FROM hex_api_projects p JOIN hex_workspaces w ON w.workspace = p.workspace
                   LEFT JOIN hex_cells c ON c.workspace = p.workspace AND c.project_id = p.project_id
                    AND c.label IS NOT NULL
                  WHERE p.project_id IN ({}) ORDER BY p.workspace",
                crate::placeholders(1, chunk.len())
            );
            let ids = crate::text_args(chunk.iter().map(|id| id.as_str()))?;
            for r in &sqlx::query_with::<Any, _>(&sql, ids)
                .fetch_all(&self.pool)
                .await?
            {
                let id: String = r.try_get(7)?;
                if let (Some(cell), Some(label)) = (r.try_get(8)?, r.try_get(9)?) {
                    labels.insert((id.clone(), cell), label);
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = info.entry(id) {
                    slot.insert(project_info(r)?);
                }
            }
        }
        Ok((info, labels))
    }
}

/// A cell's label by (project, cell).
type CellLabels = HashMap<(String, String), String>;

fn project_info(r: &AnyRow) -> Result<ProjectInfo, StoreError> {
    let archived: Option<String> = r.try_get(4)?;
    let trashed: Option<String> = r.try_get(5)?;
    let queried: Option<String> = r.try_get(6)?;
    Ok(ProjectInfo {
        title: r.try_get(0)?,
        url: r.try_get(1)?,
        owner: r.try_get(2)?,
        status: r.try_get(3)?,
        state: match (trashed, archived) {
            (Some(_), _) => Some("trashed".into()),
            (None, Some(_)) => Some("archived".into()),
            (None, None) => None,
        },
        queried_available: queried.as_deref() == Some("available"),
    })
}

#[derive(Default)]
struct UseBuilder {
    name: Option<String>,
    url: Option<String>,
    last_run: Option<String>,
    runs: i64,
    by_context: BTreeMap<RunContext, i64>,
    users: BTreeSet<String>,
    columns: BTreeSet<String>,
    observed: bool,
    in_sql: bool,
}

impl UseBuilder {
    fn add_run(&mut self, row: &AnyRow) -> Result<(), StoreError> {
        let context: String = row.try_get(2)?;
        let user: String = row.try_get(3)?;
        let runs: i64 = row.try_get(4)?;
        let last: Option<String> = row.try_get(5)?;
        self.name = self.name.take().or(row.try_get(6)?);
        self.url = self.url.take().or(row.try_get(7)?);
        let columns: String = row.try_get(8)?;
        self.observed = true;
        self.runs += runs;
        *self
            .by_context
            .entry(RunContext::from_stored(&context))
            .or_default() += runs;
        if !user.is_empty() {
            self.users.insert(user);
        }
        if last > self.last_run {
            self.last_run = last;
        }
        self.add_columns(&columns);
        Ok(())
    }

    fn add_sql(&mut self, columns: &str) {
        self.in_sql = true;
        self.add_columns(columns);
    }

    fn add_columns(&mut self, columns: &str) {
        let columns: Vec<String> = serde_json::from_str(columns).unwrap_or_default();
        self.columns.extend(columns);
    }

    fn finish(
        self,
        project_id: String,
        cell: String,
        live_since: &str,
        cell_label: Option<String>,
        hex_confirms: Option<bool>,
    ) -> HexUse {
        let live = self.last_run.as_deref().is_some_and(|l| l >= live_since);
        HexUse {
            project_id,
            project_name: self.name,
            project_url: self.url,
            cell_id: (!cell.is_empty()).then_some(cell),
            cell_label,
            owner: None,
            status: None,
            state: None,
            last_run: self.last_run,
            runs: self.runs,
            runs_by_context: self.by_context,
            users: self.users.into_iter().collect(),
            columns: self.columns.into_iter().collect(),
            live,
            observed: self.observed,
            in_project_sql: self.in_sql,
            hex_confirms,
        }
    }
}

impl HexUse {
    /// The Hex API is the authority on a project's title and link; a query comment is what
    /// anyone with warehouse access could have written.
    fn enrich(&mut self, info: &ProjectInfo) {
        self.project_name = Some(info.title.clone());
        self.project_url = Some(info.url.clone());
        self.owner = info.owner.clone();
        self.status = info.status.clone();
        self.state = info.state.clone();
    }
}
