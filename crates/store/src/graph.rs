//! The whole lineage graph from what the syncs stored: dbt nodes and their edges, tables Hex
//! reads that dbt does not manage, Hex cells and projects, and the three kinds of evidence a
//! cell reads a table (observed runs, the project's SQL, Hex's queriedTables).
//!
//! One pass per table over the store, no query per node: the graph of a 20,000-table
//! warehouse loads in a handful of statements.

use crate::{Store, StoreError};
use model::graph::{Activity, EdgeKind, Graph, NodeKind};
use model::hex::RunContext;
use model::RelationName;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a version read from the store is trusted for writes by other processes.
const VERSION_TTL: Duration = Duration::from_millis(500);

/// The last version read, and the count of this process's writes it was read after.
#[derive(Debug, Default)]
pub(crate) struct VersionMemo {
    generation: AtomicU64,
    read: Mutex<Option<(Instant, u64, i64)>>,
}

impl VersionMemo {
    fn fresh(&self, generation: u64) -> Option<i64> {
        let read = self.read.lock().ok()?;
        let (at, seen, version) = (*read)?;
        (seen == generation && at.elapsed() < VERSION_TTL).then_some(version)
    }

    /// Keeps `version` unless a write committed while it was being read.
    fn keep(&self, generation: u64, version: i64) {
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if let Ok(mut read) = self.read.lock() {
            *read = Some((Instant::now(), generation, version));
        }
    }
}

/// (connection, relation key) → the node standing for that relation.
type Relations = HashMap<(String, String), usize>;

impl Store {
    /// A number that changes whenever any sync writes: caches of the graph and of pages
    /// compare it. This process's own writes show at once; another process's within
    /// half a second, so a page view costs no store round trip when its answer is cached.
    pub async fn graph_version(&self) -> Result<i64, StoreError> {
        let generation = self.version.generation.load(Ordering::Acquire);
        if let Some(version) = self.version.fresh(generation) {
            return Ok(version);
        }
        let (version,): (Option<i64>,) = sqlx::query_as("SELECT max(id) FROM syncs")
            .fetch_one(&self.pool)
            .await?;
        let version = version.unwrap_or(0);
        self.version.keep(generation, version);
        Ok(version)
    }

    /// Called after every write this process commits: the next version check asks the store.
    pub(crate) fn wrote(&self) {
        self.version.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Everything synced, as one graph. Hex work whose newest run is at or after `live_since`
    /// is live.
    pub async fn lineage_graph(&self, live_since: &str) -> Result<Graph, StoreError> {
        let mut g = Graph::default();
        let mut relations = self.add_dbt_nodes(&mut g).await?;
        self.add_dbt_edges(&mut g).await?;
        self.add_column_lineage(&mut g, &relations).await?;
        let names = self.project_names().await?;
        let rows = self
            .graph_rows(
                "SELECT DISTINCT t.connection, t.table_key, r.project_id, r.cell_id, t.columns
               FROM query_tables t
               JOIN hex_runs r ON r.connection = t.connection AND r.query_key = t.query_key",
            )
            .await?;
        for row in &rows {
            let read = self.hex_read(&mut g, &mut relations, &names, row).await?;
            add_columns(&mut g, read, row.try_get(4)?).evidence.observed = true;
        }
        self.add_runs(&mut g, live_since).await?;
        for row in &self
            .graph_rows(
                "SELECT connection, table_key, project_id, cell_id, columns FROM hex_cell_tables",
            )
            .await?
        {
            let read = self.hex_read(&mut g, &mut relations, &names, row).await?;
            add_columns(&mut g, read, row.try_get(4)?)
                .evidence
                .in_project_sql = true;
        }
        self.add_queried(&mut g, &mut relations, &names).await?;
        self.name_tables(&mut g, &relations).await?;
        Ok(g)
    }

    /// Runs per cell and project, counted once per execution whatever the number of tables
    /// it read (as the Hex and table pages count them).
    async fn add_runs(&self, g: &mut Graph, live_since: &str) -> Result<(), StoreError> {
        let rows = self
            .graph_rows(
                "SELECT project_id, cell_id, context, CAST(SUM(runs) AS BIGINT), MAX(last_seen)
               FROM hex_runs GROUP BY project_id, cell_id, context",
            )
            .await?;
        for row in &rows {
            let project_id: String = row.try_get(0)?;
            let cell_id: String = row.try_get(1)?;
            let Some(cell) = g.find(&format!("cell:{project_id}:{cell_id}")) else {
                continue;
            };
            let Some(project) = g.find(&format!("hex:{project_id}")) else {
                continue;
            };
            let context: String = row.try_get(2)?;
            let runs: i64 = row.try_get(3)?;
            let last: Option<String> = row.try_get(4)?;
            for at in [cell, project] {
                record_run(g, at, &context, runs, last.clone(), live_since);
            }
        }
        Ok(())
    }

    /// Tables only Hex reads take their names and columns as the warehouse's catalog has them.
    async fn name_tables(&self, g: &mut Graph, relations: &Relations) -> Result<(), StoreError> {
        let tables: HashMap<&(String, String), usize> = relations
            .iter()
            .filter(|(_, &at)| g.node(at).kind == NodeKind::Table)
            .map(|(k, &at)| (k, at))
            .collect();
        if tables.is_empty() {
            return Ok(());
        }
        let rows = self
            .graph_rows("SELECT connection, rel_key, database_name, schema_name, name FROM warehouse_relations")
            .await?;
        for r in &rows {
            let key: (String, String) = (r.try_get(0)?, r.try_get(1)?);
            if let Some(&at) = tables.get(&key) {
                let node = g.node_mut(at);
                node.relation = Some(RelationName {
                    database: Some(r.try_get(2)?),
                    schema: Some(r.try_get(3)?),
                    name: r.try_get(4)?,
                });
                node.label = r.try_get(4)?;
            }
        }
        Ok(())
    }

    async fn graph_rows(&self, sql: &str) -> Result<Vec<AnyRow>, StoreError> {
        Ok(sqlx::query::<Any>(sql).fetch_all(&self.pool).await?)
    }

    async fn add_dbt_nodes(&self, g: &mut Graph) -> Result<Relations, StoreError> {
        let rows = self
            .graph_rows(
                "SELECT connection, unique_id, kind, name, source_name, rel_database, rel_schema, rel_name, rel_key, materialized
                   FROM dbt_nodes WHERE kind IN ('model', 'source', 'seed', 'snapshot')
                  ORDER BY connection, unique_id",
            )
            .await?;
        let mut relations = Relations::new();
        for r in &rows {
            let connection: String = r.try_get(0)?;
            let unique_id: String = r.try_get(1)?;
            let kind = NodeKind::from_dbt(&r.try_get::<String, _>(2)?);
            let name: String = r.try_get(3)?;
            let source: Option<String> = r.try_get(4)?;
            let label = match source {
                Some(s) => format!("{s}.{name}"),
                None => name,
            };
            let at = g.add_node(&format!("dbt:{connection}:{unique_id}"), kind, &label);
            let rel_name: Option<String> = r.try_get(7)?;
            let key: Option<String> = r.try_get(8)?;
            let node = g.node_mut(at);
            node.relation = rel_name.map(|name| RelationName {
                database: r.try_get(5).ok().flatten(),
                schema: r.try_get(6).ok().flatten(),
                name,
            });
            node.unique_id = Some(unique_id);
            node.detail = r.try_get(9)?;
            node.table_key = key.clone();
            node.connection = Some(connection.clone());
            if let Some(key) = key {
                relations.entry((connection, key)).or_insert(at);
            }
        }
        self.add_dbt_columns(g).await?;
        Ok(relations)
    }

    async fn add_dbt_columns(&self, g: &mut Graph) -> Result<(), StoreError> {
        let rows = self
            .graph_rows("SELECT connection, unique_id, name FROM dbt_columns ORDER BY connection, unique_id, ordinal")
            .await?;
        for r in &rows {
            let id = format!(
                "dbt:{}:{}",
                r.try_get::<String, _>(0)?,
                r.try_get::<String, _>(1)?
            );
            if let Some(at) = g.find(&id) {
                g.node_mut(at).columns.push(r.try_get(2)?);
            }
        }
        Ok(())
    }

    async fn add_dbt_edges(&self, g: &mut Graph) -> Result<(), StoreError> {
        for r in &self
            .graph_rows("SELECT connection, parent, child FROM dbt_edges")
            .await?
        {
            let connection: String = r.try_get(0)?;
            let parent = g.find(&format!("dbt:{connection}:{}", r.try_get::<String, _>(1)?));
            let child = g.find(&format!("dbt:{connection}:{}", r.try_get::<String, _>(2)?));
            if let (Some(parent), Some(child)) = (parent, child) {
                g.add_edge(parent, child, EdgeKind::Dbt);
            }
        }
        Ok(())
    }

    /// Which output column of a model comes from which column of what it reads.
    async fn add_column_lineage(
        &self,
        g: &mut Graph,
        relations: &Relations,
    ) -> Result<(), StoreError> {
        let rows = self
            .graph_rows("SELECT connection, node_id, column_name, parent_key, parent_column FROM dbt_column_lineage")
            .await?;
        for r in &rows {
            let connection: String = r.try_get(0)?;
            let child = g.find(&format!("dbt:{connection}:{}", r.try_get::<String, _>(1)?));
            let parent = relations.get(&(connection, r.try_get(3)?)).copied();
            if let (Some(parent), Some(child)) = (parent, child) {
                let pair = (r.try_get(4)?, r.try_get(2)?);
                g.add_edge(parent, child, EdgeKind::Dbt).columns.push(pair);
            }
        }
        Ok(())
    }

    /// Project titles: the Hex API's, else the newest comment's.
    async fn project_names(&self) -> Result<HashMap<String, ProjectName>, StoreError> {
        let mut names = HashMap::new();
        // The API's entries come second and win.
        for sql in [
            "SELECT project_id, name, url, CAST(NULL AS TEXT), status FROM hex_projects",
            "SELECT project_id, title, url, owner_email, status FROM hex_api_projects",
        ] {
            for r in &self.graph_rows(sql).await? {
                let name = ProjectName {
                    title: r.try_get(1)?,
                    url: r.try_get(2)?,
                    owner: r.try_get(3)?,
                    status: r.try_get(4)?,
                };
                names.insert(r.try_get(0)?, name);
            }
        }
        Ok(names)
    }

    /// The relation, cell and project of a row `(connection, table_key, project_id, cell_id,
    /// …)`, added as needed, with the cell → project edge.
    async fn hex_read(
        &self,
        g: &mut Graph,
        relations: &mut Relations,
        names: &HashMap<String, ProjectName>,
        row: &AnyRow,
    ) -> Result<HexRead, StoreError> {
        let connection: String = row.try_get(0)?;
        let key: String = row.try_get(1)?;
        let project_id: String = row.try_get(2)?;
        let cell_id: String = row.try_get(3)?;
        let relation = table_node(g, relations, &connection, &key);
        let project = project_node(g, names, &project_id);
        let cell = g.add_node(
            &format!("cell:{project_id}:{cell_id}"),
            NodeKind::HexCell,
            "",
        );
        if g.node(cell).label.is_empty() {
            let label = if cell_id.is_empty() {
                "(cell not known)"
            } else {
                &cell_id
            };
            g.node_mut(cell).label = label.to_string();
        }
        g.add_edge(cell, project, EdgeKind::Contains);
        g.add_edge(relation, cell, EdgeKind::Reads);
        Ok(HexRead { relation, cell })
    }

    async fn add_queried(
        &self,
        g: &mut Graph,
        relations: &mut Relations,
        names: &HashMap<String, ProjectName>,
    ) -> Result<(), StoreError> {
        for r in &self
            .graph_rows("SELECT connection, table_key, project_id FROM hex_queried_tables")
            .await?
        {
            let relation = table_node(
                g,
                relations,
                &r.try_get::<String, _>(0)?,
                &r.try_get::<String, _>(1)?,
            );
            let project = project_node(g, names, &r.try_get::<String, _>(2)?);
            let cells: Vec<usize> = g
                .incoming(project)
                .filter(|e| e.kind == EdgeKind::Contains)
                .map(|e| e.from)
                .collect();
            let mut confirmed = false;
            for cell in cells {
                if let Some(edge) = g.edge_mut(relation, cell, EdgeKind::Reads) {
                    edge.evidence.hex_confirms = Some(true);
                    confirmed = true;
                }
            }
            if !confirmed {
                // Hex knows the project reads it, not which cell: the project reads it.
                g.add_edge(relation, project, EdgeKind::Reads)
                    .evidence
                    .hex_confirms = Some(true);
            }
        }
        self.label_cells(g).await
    }

    /// Cell labels from the Hex API, where it gave them.
    async fn label_cells(&self, g: &mut Graph) -> Result<(), StoreError> {
        for r in &self
            .graph_rows("SELECT project_id, cell_id, label FROM hex_cells WHERE label IS NOT NULL")
            .await?
        {
            let id = format!(
                "cell:{}:{}",
                r.try_get::<String, _>(0)?,
                r.try_get::<String, _>(1)?
            );
            if let Some(at) = g.find(&id) {
                g.node_mut(at).label = r.try_get(2)?;
            }
        }
        Ok(())
    }
}

struct ProjectName {
    title: Option<String>,
    url: Option<String>,
    owner: Option<String>,
    status: Option<String>,
}

#[derive(Clone, Copy)]
struct HexRead {
    relation: usize,
    cell: usize,
}

/// The dbt node built at `key`, else a node for a table dbt does not manage.
fn table_node(g: &mut Graph, relations: &mut Relations, connection: &str, key: &str) -> usize {
    let slot = (connection.to_string(), key.to_string());
    if let Some(&at) = relations.get(&slot) {
        return at;
    }
    let label = key.rsplit('.').next().unwrap_or(key);
    let at = g.add_node(&format!("table:{connection}:{key}"), NodeKind::Table, label);
    let node = g.node_mut(at);
    node.connection = Some(connection.to_string());
    node.table_key = Some(key.to_string());
    node.relation = Some(key_parts(key));
    relations.insert(slot, at);
    at
}

/// A relation key's parts; the warehouse's own spelling replaces them when its catalog is read.
fn key_parts(key: &str) -> RelationName {
    let mut parts: Vec<&str> = key.splitn(3, '.').collect();
    let name = parts.pop().unwrap_or(key).to_string();
    RelationName {
        database: (parts.len() == 2).then(|| parts[0].to_string()),
        schema: parts.last().map(|s| s.to_string()),
        name,
    }
}

fn project_node(g: &mut Graph, names: &HashMap<String, ProjectName>, project_id: &str) -> usize {
    let known = names.get(project_id);
    let title = known.and_then(|n| n.title.as_deref()).unwrap_or(project_id);
    let at = g.add_node(&format!("hex:{project_id}"), NodeKind::HexProject, title);
    let node = g.node_mut(at);
    if node.activity.is_none() {
        node.activity = Some(Activity {
            status: known.and_then(|n| n.status.clone()),
            ..Activity::default()
        });
        node.external_url = known.and_then(|n| n.url.clone());
        node.detail = known.and_then(|n| n.owner.clone());
    }
    at
}

/// The columns a read uses, on its edge; returns the edge for its evidence.
fn add_columns(g: &mut Graph, read: HexRead, columns: String) -> &mut model::graph::Edge {
    let columns: Vec<String> = serde_json::from_str(&columns).unwrap_or_default();
    let edge = g.add_edge(read.relation, read.cell, EdgeKind::Reads);
    for c in columns {
        let pair = (c.clone(), c);
        if !edge.columns.contains(&pair) {
            edge.columns.push(pair);
        }
    }
    edge
}

fn record_run(
    g: &mut Graph,
    at: usize,
    context: &str,
    runs: i64,
    last: Option<String>,
    live_since: &str,
) {
    let activity = g
        .node_mut(at)
        .activity
        .get_or_insert_with(Activity::default);
    activity.observed = true;
    *activity
        .runs_by_context
        .entry(RunContext::from_stored(context))
        .or_default() += runs;
    if last > activity.last_run {
        activity.last_run = last;
    }
    activity.live = activity
        .last_run
        .as_deref()
        .is_some_and(|l| l >= live_since);
}
