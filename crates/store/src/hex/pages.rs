//! Hex projects as a whole, for the Hex pages: every project query history saw run or the Hex
//! API lists, with its runs, cells and the tables they read.
//!
//! The list aggregates in SQL, one query per kind of evidence whatever the number of projects;
//! a project page reads its own rows by project id (indexed by 0006_hex_pages).

use crate::{Store, StoreError};
use model::hex::RunContext;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A Hex project across connections.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HexProjectSummary {
    /// The project id.
    pub project_id: String,
    /// The Hex API's title, else the newest query comment's.
    pub title: Option<String>,
    /// Its link in Hex, as the API or a comment gave it (check before linking).
    pub url: Option<String>,
    /// The owner's email, from the Hex API.
    pub owner: Option<String>,
    /// Its status, e.g. `Published`.
    pub status: Option<String>,
    /// Its categories.
    pub categories: Vec<String>,
    /// `archived` or `trashed` when the project is.
    pub state: Option<String>,
    /// Whether the Hex API lists it (else only query comments name it).
    pub in_hex_api: bool,
    /// Our connections it ran against or its cells query.
    pub connections: Vec<String>,
    /// Latest run, RFC 3339.
    pub last_run: Option<String>,
    /// Executions in all.
    pub runs: i64,
    /// Executions per context (`scheduled`, `app_view`, `interactive`, `api`, …).
    pub runs_by_context: BTreeMap<RunContext, i64>,
    /// App views in the last 30 days, from the Hex API.
    pub app_views_30d: Option<i64>,
    /// App views, all time, from the Hex API.
    pub app_views_all_time: Option<i64>,
    /// Whether it ran within the activity window.
    pub live: bool,
    /// Whether query history saw it run at all.
    pub observed: bool,
    /// Cells with SQL (from the API) or seen running.
    pub cell_count: i64,
    /// Tables its runs, its SQL or Hex's queriedTables name.
    pub table_count: i64,
}

/// One project's page: the summary, what else the Hex API says, and each cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HexProjectDetail {
    /// The same summary the list shows.
    #[serde(flatten)]
    pub project: HexProjectSummary,
    /// The description, from the Hex API.
    pub description: Option<String>,
    /// The creator's email.
    pub creator: Option<String>,
    /// Last app view, RFC 3339.
    pub last_viewed_at: Option<String>,
    /// Last edit.
    pub last_edited_at: Option<String>,
    /// Last publication.
    pub last_published_at: Option<String>,
    /// Whether the workspace offers queriedTables (so `hex_confirms` below means something).
    pub queried_tables_available: bool,
    /// Its cells: observed ones newest run first, then the ones that never ran.
    pub cells: Vec<HexCellDetail>,
    /// Tables queriedTables lists that no cell's SQL or observed run reads.
    pub other_tables: Vec<HexTableUse>,
}

/// A cell of a project.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HexCellDetail {
    /// The cell id; None for queries whose comment named no cell.
    pub cell_id: Option<String>,
    /// Its label, from the Hex API.
    pub label: Option<String>,
    /// Our connection it queries.
    pub connection: Option<String>,
    /// That connection's warehouse kind, which picks the SQL dialect.
    pub connection_kind: Option<String>,
    /// Its SQL: the Hex API's, else the newest text query history saw it run.
    pub sql: Option<String>,
    /// `project` (the Hex API) or `query_history`, when there is SQL.
    pub sql_from: Option<String>,
    /// Why its SQL did not parse.
    pub parse_error: Option<String>,
    /// Query history saw it run.
    pub observed: bool,
    /// It ran within the activity window.
    pub live: bool,
    /// Latest run, RFC 3339.
    pub last_run: Option<String>,
    /// Executions in all.
    pub runs: i64,
    /// Executions per context.
    pub runs_by_context: BTreeMap<RunContext, i64>,
    /// Who ran it.
    pub users: Vec<String>,
    /// The tables it reads.
    pub tables: Vec<HexTableUse>,
}

/// A table a cell (or the project) reads, and the evidence for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HexTableUse {
    /// Our connection.
    pub connection: String,
    /// The relation key, e.g. `analytics.finance.rpt_monthly_revenue`.
    pub table_key: String,
    /// Where its table page is, when dbt or the warehouse catalog knows the relation.
    pub relation: Option<HexRelation>,
    /// The columns used.
    pub columns: Vec<String>,
    /// A run query history saw read it.
    pub observed: bool,
    /// The cell's SQL from the Hex API reads it.
    pub in_project_sql: bool,
    /// Whether queriedTables lists it; None when the workspace does not offer it.
    pub hex_confirms: Option<bool>,
}

/// A relation as the table pages address it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HexRelation {
    /// Database (or project, catalog).
    pub database: String,
    /// Schema (or dataset).
    pub schema: String,
    /// Table name.
    pub name: String,
}

/// How the project list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HexProjectOrder {
    /// Newest run first, never-observed last.
    #[default]
    LastRun,
    /// Most app views in 30 days first (then all time).
    AppViews,
    /// Stalest first: never observed, then oldest last run.
    Staleness,
}

impl HexProjectOrder {
    /// `last_run`, `app_views` or `staleness`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "last_run" => Some(Self::LastRun),
            "app_views" => Some(Self::AppViews),
            "staleness" => Some(Self::Staleness),
            _ => None,
        }
    }

    /// The inverse of [`HexProjectOrder::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastRun => "last_run",
            Self::AppViews => "app_views",
            Self::Staleness => "staleness",
        }
    }

    /// Sorts `projects`; ties go by title, then id, so the order is stable across loads.
    pub fn sort(self, projects: &mut [HexProjectSummary]) {
        let name = |p: &HexProjectSummary| {
            (
                p.title.clone().map(|t| t.to_lowercase()),
                p.project_id.clone(),
            )
        };
        match self {
            Self::LastRun => {
                projects.sort_by(|a, b| (&b.last_run, name(a)).cmp(&(&a.last_run, name(b))))
            }
            Self::Staleness => {
                projects.sort_by(|a, b| (&a.last_run, name(a)).cmp(&(&b.last_run, name(b))))
            }
            Self::AppViews => projects.sort_by(|a, b| {
                (b.app_views_30d, b.app_views_all_time, name(a)).cmp(&(
                    a.app_views_30d,
                    a.app_views_all_time,
                    name(b),
                ))
            }),
        }
    }
}

impl Store {
    /// Every Hex project query history or the Hex API knows, newest run first; runs since
    /// `live_since` (RFC 3339) count as live.
    pub async fn hex_projects(
        &self,
        live_since: &str,
    ) -> Result<Vec<HexProjectSummary>, StoreError> {
        let mut projects: BTreeMap<String, ProjectBuilder> = BTreeMap::new();
        let pool = &self.pool;
        for row in &fetch_all(pool, &comments_sql("")).await? {
            entry(&mut projects, row)?.add_comment(row)?;
        }
        for row in &fetch_all(pool, &api_sql("")).await? {
            entry(&mut projects, row)?.add_api(&ApiProject::read(row)?);
        }
        for row in &fetch_all(pool, RUNS_BY_CONTEXT).await? {
            let b = entry(&mut projects, row)?;
            b.add_runs(
                &row.try_get::<String, _>(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            );
            b.connections.insert(row.try_get(4)?);
        }
        for row in &fetch_all(pool, CELL_COUNTS).await? {
            entry(&mut projects, row)?.summary.cell_count = row.try_get(1)?;
        }
        for row in &fetch_all(pool, TABLE_COUNTS).await? {
            entry(&mut projects, row)?.summary.table_count = row.try_get(1)?;
        }
        for row in &fetch_all(pool, CELL_CONNECTIONS).await? {
            entry(&mut projects, row)?
                .connections
                .insert(row.try_get(1)?);
        }
        let mut out: Vec<HexProjectSummary> = projects
            .into_iter()
            .map(|(id, b)| b.finish(id, live_since))
            .collect();
        HexProjectOrder::LastRun.sort(&mut out);
        Ok(out)
    }

    /// One project with its cells, or None when neither query history nor the Hex API knows
    /// the id.
    pub async fn hex_project(
        &self,
        project_id: &str,
        live_since: &str,
    ) -> Result<Option<HexProjectDetail>, StoreError> {
        let reader = ProjectReader {
            pool: &self.pool,
            id: project_id,
        };
        let (comments_sql, api_sql) = (
            comments_sql("WHERE project_id = $1"),
            api_sql("WHERE p.project_id = $1"),
        );
        let (comments, api) =
            tokio::try_join!(reader.fetch(&comments_sql), reader.fetch(&api_sql))?;
        if comments.is_empty() && api.is_empty() {
            return Ok(None);
        }
        let mut b = ProjectBuilder::default();
        for row in &comments {
            b.add_comment(row)?;
        }
        let api = api.first().map(ApiProject::read).transpose()?;
        if let Some(a) = &api {
            b.add_api(a);
        }
        let queried_available = api.as_ref().is_some_and(|a| a.queried_available);
        // Independent reads, sent at once.
        let (mut cells, runs, history, kinds, tables) = tokio::try_join!(
            reader.cells(),
            reader.fetch(RUNS),
            reader.fetch(HISTORY_SQL),
            connection_kinds(&self.pool),
            reader.tables(queried_available),
        )?;
        add_runs(&runs, &mut cells, &mut b)?;
        add_history_sql(&history, &mut cells)?;
        for cell in cells.values_mut() {
            cell.connection_kind = cell.connection.as_ref().and_then(|c| kinds.get(c).cloned());
        }
        Ok(Some(assemble(
            b, api, cells, tables, project_id, live_since,
        )))
    }
}

/// Reads one project's rows; every query binds the project id as `$1`.
struct ProjectReader<'a> {
    pool: &'a AnyPool,
    id: &'a str,
}

impl ProjectReader<'_> {
    /// Runs a read whose `$1` is the project id.
    async fn fetch(&self, sql: &str) -> Result<Vec<AnyRow>, StoreError> {
        Ok(sqlx::query::<Any>(sql)
            .bind(self.id.to_string())
            .fetch_all(self.pool)
            .await?)
    }

    /// The project's SQL cells as the Hex API returned them, by cell id.
    async fn cells(&self) -> Result<BTreeMap<String, HexCellDetail>, StoreError> {
        let rows = self
            .fetch(
                "SELECT cell_id, label, connection, sql_text, parse_error FROM hex_cells
                  WHERE project_id = $1 AND sql_text IS NOT NULL ORDER BY workspace",
            )
            .await?;
        let mut cells = BTreeMap::new();
        for r in &rows {
            cells.entry(r.try_get(0)?).or_insert(HexCellDetail {
                label: r.try_get(1)?,
                connection: r.try_get(2)?,
                sql: r.try_get(3)?,
                sql_from: Some("project".into()),
                parse_error: r.try_get(4)?,
                ..HexCellDetail::default()
            });
        }
        Ok(cells)
    }

    /// Every table the project's cells read, by cell, with what queriedTables lists and
    /// where each table's page is.
    async fn tables(&self, queried_available: bool) -> Result<ProjectTables, StoreError> {
        let mut tables = ProjectTables::default();
        // The three kinds of evidence in one statement, told apart by the last column.
        let evidence = self
            .fetch(
                "SELECT DISTINCT r.cell_id, t.connection, t.table_key, t.columns, 'run' AS evidence
                   FROM hex_runs r JOIN query_tables t ON t.connection = r.connection AND t.query_key = r.query_key
                  WHERE r.project_id = $1
                 UNION ALL
                 SELECT cell_id, connection, table_key, columns, 'sql'
                   FROM hex_cell_tables WHERE project_id = $1
                 UNION ALL
                 SELECT '', connection, table_key, '[]', 'queried'
                   FROM hex_queried_tables WHERE project_id = $1",
            )
            .await?;
        for r in &evidence {
            match r.try_get::<String, _>(4)?.as_str() {
                "queried" => {
                    tables.queried.insert((r.try_get(1)?, r.try_get(2)?));
                }
                kind => tables.add(r, kind == "run")?,
            }
        }
        tables.queried_available = queried_available;
        for r in &self.fetch(RELATIONS).await? {
            let key: (String, String) = (r.try_get(0)?, r.try_get(1)?);
            tables.relations.entry(key).or_insert(HexRelation {
                database: r.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                schema: r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
                name: r.try_get(4)?,
            });
        }
        Ok(tables)
    }
}

async fn fetch_all(pool: &AnyPool, sql: &str) -> Result<Vec<AnyRow>, StoreError> {
    Ok(sqlx::query::<Any>(sql).fetch_all(pool).await?)
}

async fn connection_kinds(pool: &AnyPool) -> Result<HashMap<String, String>, StoreError> {
    let rows = fetch_all(pool, "SELECT name, kind FROM connections").await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

fn entry<'a>(
    projects: &'a mut BTreeMap<String, ProjectBuilder>,
    row: &AnyRow,
) -> Result<&'a mut ProjectBuilder, StoreError> {
    Ok(projects.entry(row.try_get(0)?).or_default())
}

/// Executions per project, context and connection: one pass over hex_runs.
const RUNS_BY_CONTEXT: &str =
    "SELECT project_id, context, CAST(SUM(runs) AS BIGINT), MAX(last_seen), connection
       FROM hex_runs GROUP BY project_id, context, connection";

/// SQL cells the API returned plus cells seen running, each counted once.
const CELL_COUNTS: &str = "SELECT project_id, COUNT(*) FROM (
       SELECT project_id, cell_id FROM hex_cells WHERE sql_text IS NOT NULL
       UNION SELECT project_id, cell_id FROM hex_runs WHERE cell_id <> '') c
     GROUP BY project_id";

/// Tables from observed runs (hex_edges), the projects' SQL and queriedTables, each once.
const TABLE_COUNTS: &str = "SELECT project_id, COUNT(*) FROM (
       SELECT project_id, connection, table_key FROM hex_edges
       UNION SELECT project_id, connection, table_key FROM hex_cell_tables
       UNION SELECT project_id, connection, table_key FROM hex_queried_tables) t
     GROUP BY project_id";

/// A project's observed runs per cell, connection, context and user.
const RUNS: &str =
    "SELECT cell_id, connection, context, user_name, CAST(SUM(runs) AS BIGINT), MAX(last_seen)
                   FROM hex_runs WHERE project_id = $1
                  GROUP BY cell_id, connection, context, user_name";

/// The newest text query history saw each cell run, for cells the Hex API gave no SQL for.
const HISTORY_SQL: &str = "SELECT r.cell_id, l.sql_text, MAX(r.last_seen) AS last_seen
                   FROM hex_runs r
                   JOIN query_lineage l ON l.connection = r.connection AND l.query_key = r.query_key
                  WHERE r.project_id = $1 AND NOT EXISTS (
                        SELECT 1 FROM hex_cells c
                         WHERE c.project_id = r.project_id AND c.cell_id = r.cell_id AND c.sql_text IS NOT NULL)
                  GROUP BY r.cell_id, r.connection, r.query_key, l.sql_text";

/// Adds observed runs to each cell (creating cells only query history knows) and to the
/// project's totals.
fn add_runs(
    rows: &[AnyRow],
    cells: &mut BTreeMap<String, HexCellDetail>,
    project: &mut ProjectBuilder,
) -> Result<(), StoreError> {
    for r in rows {
        let (context, user): (String, String) = (r.try_get(2)?, r.try_get(3)?);
        let (runs, last): (i64, Option<String>) = (r.try_get(4)?, r.try_get(5)?);
        let connection: String = r.try_get(1)?;
        project.add_runs(&context, runs, last.clone());
        project.connections.insert(connection.clone());
        let cell = cells.entry(r.try_get(0)?).or_default();
        cell.connection.get_or_insert(connection);
        cell.observed = true;
        cell.runs += runs;
        *cell
            .runs_by_context
            .entry(RunContext::from_stored(&context))
            .or_default() += runs;
        if !user.is_empty() && !cell.users.contains(&user) {
            cell.users.push(user);
        }
        cell.last_run = cell.last_run.take().max(last);
    }
    Ok(())
}

/// Cells the Hex API gave no SQL for show the newest text query history saw them run.
fn add_history_sql(
    rows: &[AnyRow],
    cells: &mut BTreeMap<String, HexCellDetail>,
) -> Result<(), StoreError> {
    let mut newest: HashMap<String, (Option<String>, String)> = HashMap::new();
    for r in rows {
        let (cell, text, last): (String, String, Option<String>) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let slot = newest.entry(cell).or_insert((None, String::new()));
        if slot.1.is_empty() || last > slot.0 {
            *slot = (last, text);
        }
    }
    for (cell_id, (_, text)) in newest {
        if let Some(cell) = cells.get_mut(&cell_id) {
            cell.sql = Some(text);
            cell.sql_from = Some("query_history".into());
        }
    }
    Ok(())
}

/// Connections a project's cells query, whether or not they ran.
const CELL_CONNECTIONS: &str =
    "SELECT DISTINCT project_id, connection FROM hex_cells WHERE connection IS NOT NULL";

/// Where each table a project reads has its page: dbt's relation first (pref 0), else the
/// warehouse catalog's. `CROSS JOIN` keeps SQLite's loop order (the project's few keys outside, the catalog's index
/// inside); newer SQLite otherwise scans every warehouse relation. PostgreSQL plans it freely.
const RELATIONS: &str = "WITH used AS (
       SELECT connection, table_key FROM hex_edges WHERE project_id = $1
       UNION SELECT connection, table_key FROM hex_cell_tables WHERE project_id = $1
       UNION SELECT connection, table_key FROM hex_queried_tables WHERE project_id = $1)
     SELECT connection, table_key, rel_database, rel_schema, rel_name FROM (
       SELECT u.connection, u.table_key, n.rel_database, n.rel_schema, n.rel_name, 0 AS pref
         FROM used u CROSS JOIN dbt_nodes n
        WHERE n.connection = u.connection AND n.rel_key = u.table_key AND n.rel_name IS NOT NULL
       UNION ALL
       SELECT u.connection, u.table_key, w.database_name, w.schema_name, w.name, 1 AS pref
         FROM used u CROSS JOIN warehouse_relations w
        WHERE w.connection = u.connection AND w.rel_key = u.table_key) r
     ORDER BY pref";

/// What query comments said about projects, newest first so the newest wins.
fn comments_sql(filter: &str) -> String {
    format!(
        "SELECT project_id, name, url, status, categories, connection FROM hex_projects {filter}
          ORDER BY updated_at DESC, connection"
    )
}

fn api_sql(filter: &str) -> String {
    format!(
        "SELECT p.project_id, p.title, p.url, p.owner_email, p.status, p.categories, p.archived_at,
                p.trashed_at, p.app_views_30d, p.app_views_all_time, p.description, p.creator_email,
                p.last_viewed_at, p.last_edited_at, p.last_published_at, w.queried_tables
           FROM hex_api_projects p JOIN hex_workspaces w ON w.workspace = p.workspace {filter}
          ORDER BY p.workspace"
    )
}

/// A project row of the Hex API.
struct ApiProject {
    title: String,
    url: String,
    owner: Option<String>,
    status: Option<String>,
    categories: Vec<String>,
    state: Option<String>,
    app_views_30d: Option<i64>,
    app_views_all_time: Option<i64>,
    description: Option<String>,
    creator: Option<String>,
    last_viewed_at: Option<String>,
    last_edited_at: Option<String>,
    last_published_at: Option<String>,
    queried_available: bool,
}

impl ApiProject {
    fn read(r: &AnyRow) -> Result<Self, StoreError> {
        let archived: Option<String> = r.try_get(6)?;
        let trashed: Option<String> = r.try_get(7)?;
        let queried: Option<String> = r.try_get(15)?;
        Ok(ApiProject {
            title: r.try_get(1)?,
            url: r.try_get(2)?,
            owner: r.try_get(3)?,
            status: r.try_get(4)?,
            categories: json_list(&r.try_get::<String, _>(5)?),
            state: match (trashed, archived) {
                (Some(_), _) => Some("trashed".into()),
                (None, Some(_)) => Some("archived".into()),
                (None, None) => None,
            },
            app_views_30d: r.try_get(8)?,
            app_views_all_time: r.try_get(9)?,
            description: r.try_get(10)?,
            creator: r.try_get(11)?,
            last_viewed_at: r.try_get(12)?,
            last_edited_at: r.try_get(13)?,
            last_published_at: r.try_get(14)?,
            queried_available: queried.as_deref() == Some("available"),
        })
    }
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[derive(Default)]
struct ProjectBuilder {
    summary: HexProjectSummary,
    connections: BTreeSet<String>,
}

impl ProjectBuilder {
    /// Rows come newest first: a field the newest comment left empty falls to an older one.
    fn add_comment(&mut self, r: &AnyRow) -> Result<(), StoreError> {
        let s = &mut self.summary;
        s.title = s.title.take().or(r.try_get(1)?);
        s.url = s.url.take().or(r.try_get(2)?);
        s.status = s.status.take().or(r.try_get(3)?);
        if s.categories.is_empty() {
            s.categories = json_list(&r.try_get::<String, _>(4)?);
        }
        self.connections.insert(r.try_get(5)?);
        Ok(())
    }

    /// The Hex API is the authority on titles and links: anyone with warehouse access can
    /// write a query comment. Only the first workspace listing the project counts.
    fn add_api(&mut self, a: &ApiProject) {
        let s = &mut self.summary;
        if s.in_hex_api {
            return;
        }
        s.in_hex_api = true;
        s.title = Some(a.title.clone());
        s.url = Some(a.url.clone());
        s.owner = a.owner.clone();
        s.status = a.status.clone().or(s.status.take());
        if !a.categories.is_empty() {
            s.categories = a.categories.clone();
        }
        s.state = a.state.clone();
        s.app_views_30d = a.app_views_30d;
        s.app_views_all_time = a.app_views_all_time;
    }

    fn add_runs(&mut self, context: &str, runs: i64, last: Option<String>) {
        let s = &mut self.summary;
        s.observed = true;
        s.runs += runs;
        *s.runs_by_context
            .entry(RunContext::from_stored(context))
            .or_default() += runs;
        s.last_run = s.last_run.take().max(last);
    }

    fn finish(mut self, project_id: String, live_since: &str) -> HexProjectSummary {
        let s = &mut self.summary;
        s.project_id = project_id;
        s.live = s.last_run.as_deref().is_some_and(|l| l >= live_since);
        s.connections = self.connections.into_iter().collect();
        self.summary
    }
}

/// (cell id, connection, table key).
type CellTableKey = (String, String, String);

/// What the evidence says about one table of one cell.
#[derive(Default)]
struct CellTable {
    observed: bool,
    in_sql: bool,
    columns: BTreeSet<String>,
}

/// The tables of one project, before they are handed to its cells.
#[derive(Default)]
struct ProjectTables {
    by_cell: BTreeMap<CellTableKey, CellTable>,
    queried: BTreeSet<(String, String)>,
    queried_available: bool,
    relations: HashMap<(String, String), HexRelation>,
}

impl ProjectTables {
    fn add(&mut self, r: &AnyRow, observed: bool) -> Result<(), StoreError> {
        let key = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let entry = self.by_cell.entry(key).or_default();
        if observed {
            entry.observed = true;
        } else {
            entry.in_sql = true;
        }
        entry.columns.extend(json_list(&r.try_get::<String, _>(3)?));
        Ok(())
    }

    fn table(&self, connection: &str, key: &str, columns: Vec<String>) -> HexTableUse {
        let pair = (connection.to_string(), key.to_string());
        HexTableUse {
            relation: self.relations.get(&pair).cloned(),
            hex_confirms: self.queried_available.then(|| self.queried.contains(&pair)),
            connection: pair.0,
            table_key: pair.1,
            columns,
            observed: false,
            in_project_sql: false,
        }
    }
}

/// Puts the pieces of a project page together: tables into cells, totals into the summary.
fn assemble(
    mut b: ProjectBuilder,
    api: Option<ApiProject>,
    mut cells: BTreeMap<String, HexCellDetail>,
    tables: ProjectTables,
    project_id: &str,
    live_since: &str,
) -> HexProjectDetail {
    let mut read: HashSet<(String, String)> = HashSet::new();
    for ((cell, connection, key), found) in &tables.by_cell {
        read.insert((connection.clone(), key.clone()));
        let mut t = tables.table(connection, key, found.columns.iter().cloned().collect());
        t.observed = found.observed;
        t.in_project_sql = found.in_sql;
        cells.entry(cell.clone()).or_default().tables.push(t);
    }
    let other_tables: Vec<HexTableUse> = tables
        .queried
        .iter()
        .filter(|pair| !read.contains(*pair))
        .map(|(c, k)| tables.table(c, k, Vec::new()))
        .collect();
    for cell in cells.values() {
        if let Some(c) = &cell.connection {
            b.connections.insert(c.clone());
        }
    }
    b.summary.cell_count = cells.keys().filter(|id| !id.is_empty()).count() as i64;
    b.summary.table_count = (read.len() + other_tables.len()) as i64;
    let mut cells: Vec<HexCellDetail> = cells
        .into_iter()
        .map(|(id, mut cell)| {
            cell.cell_id = (!id.is_empty()).then_some(id);
            cell.live = cell.last_run.as_deref().is_some_and(|l| l >= live_since);
            cell.users.sort();
            cell
        })
        .collect();
    cells.sort_by(|a, b| {
        let label = |c: &HexCellDetail| c.label.clone().or(c.cell_id.clone());
        (&b.last_run, label(a)).cmp(&(&a.last_run, label(b)))
    });
    let api = api.as_ref();
    HexProjectDetail {
        project: b.finish(project_id.to_string(), live_since),
        description: api.and_then(|a| a.description.clone()),
        creator: api.and_then(|a| a.creator.clone()),
        last_viewed_at: api.and_then(|a| a.last_viewed_at.clone()),
        last_edited_at: api.and_then(|a| a.last_edited_at.clone()),
        last_published_at: api.and_then(|a| a.last_published_at.clone()),
        queried_tables_available: tables.queried_available,
        cells,
        other_tables,
    }
}
