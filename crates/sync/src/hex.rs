//! Hex API sync: projects, data connections and cells of one workspace, merged with the
//! lineage that query history observed.
//!
//! Hex allows 30 requests a minute, so the sync is incremental: the project list (100 a page)
//! and the data connections are read every time, a project's cells only after it was edited,
//! its queried tables then and every [`HexTarget::queried_tables_every`] (Hex fills them from
//! published runs, which happen without edits). Each project is written in its own
//! transaction, so a sync cut short keeps every project it finished and the next one carries
//! on from there. What Hex refuses for one part (data connections without their scope, one
//! project's queried tables) is said in the sync's warnings and the rest goes on.

use crate::reads::reads;
use hex::{
    Cell, DataConnection, HexClient, HexError, Project, ProjectKind, QueriedTables, Workspace,
};
use model::WarehouseKind;
use serde::Serialize;
use sql::Dialect;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use store::{
    HexCellRecord, HexConnectionRecord, HexProjectCells, HexProjectRecord, HexReadMarks,
    HexWorkspaceRecord, Store, StoreError,
};

/// One of our connections, as a Hex data connection is matched against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionIdentity {
    /// Our connection's name.
    pub name: String,
    /// Its warehouse.
    pub kind: WarehouseKind,
    /// Host, Snowflake account or BigQuery project, when configured.
    pub host: Option<String>,
    /// Default database.
    pub database: Option<String>,
    /// Default schema, for names a cell leaves unqualified.
    pub schema: Option<String>,
}

/// One Hex workspace and how its data connections map to ours.
#[derive(Clone)]
pub struct HexTarget {
    /// The workspace's name in the config.
    pub workspace: String,
    /// Where it lives.
    pub location: Workspace,
    /// The API client, with its rate limit, or why there is none.
    pub client: HexAccess,
    /// Our connections.
    pub connections: Vec<ConnectionIdentity>,
    /// Hex connection name or id → our connection, where matching by kind, host and
    /// database cannot decide.
    pub overrides: BTreeMap<String, String>,
    /// How often each project's queriedTables is read again, edited or not.
    pub queried_tables_every: chrono::Duration,
    /// How often `serve` syncs the workspace.
    pub refresh: std::time::Duration,
}

/// Names and mappings only: the client holds the token.
impl std::fmt::Debug for HexTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HexTarget")
            .field("workspace", &self.workspace)
            .field("app_base", &self.location.app_base())
            .field("ready", &matches!(self.client, HexAccess::Ready(_)))
            .field("connections", &self.connections)
            .field("overrides", &self.overrides)
            .finish()
    }
}

/// A workspace's client, or the configuration problem that keeps it from having one (a token
/// variable not set): the problem shows on the connections at every sync instead of stopping
/// `serve`.
#[derive(Clone)]
pub enum HexAccess {
    /// Ready to call.
    Ready(Arc<HexClient>),
    /// Why it cannot be called (its token is not set).
    Missing(model::Misconfigured),
}

/// What a Hex sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HexSummary {
    /// Projects listed (components, archived and trashed included).
    pub projects: u64,
    /// Projects whose cells were read this time (the rest were unchanged).
    pub projects_read: u64,
    /// Cells read.
    pub cells: u64,
    /// SQL cells parsed.
    pub sql_cells: u64,
    /// Of those, how many did not parse.
    pub parse_failed: u64,
    /// (table, cell) pairs from the projects' SQL.
    pub sql_edges: u64,
    /// Hex data connections, and how many matched one of ours.
    pub data_connections: u64,
    /// Matched ones.
    pub matched_connections: u64,
    /// `available`, or why queriedTables is not.
    pub queried_tables: String,
    /// Wall time.
    pub seconds: f64,
}

/// Why a Hex sync failed.
#[derive(Debug, thiserror::Error)]
pub enum HexSyncError {
    /// The Hex API failed.
    #[error("Hex workspace {workspace:?}: {source}")]
    Hex {
        /// The workspace.
        workspace: String,
        /// The API's failure.
        source: HexError,
    },
    /// The workspace is not configured well enough to call.
    #[error("Hex workspace {workspace:?}: {message}")]
    Config {
        /// The workspace.
        workspace: String,
        /// What is missing.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another process syncs this workspace now.
    #[error(transparent)]
    Busy(#[from] crate::Busy),
}

/// Reads the workspace and stores what changed; the outcome is recorded on every connection
/// the workspace serves.
pub async fn sync_hex(store: &Store, target: &HexTarget) -> Result<HexSummary, HexSyncError> {
    let key = format!("hex:{}", target.workspace);
    let what = || format!("Hex sync of workspace {}", target.workspace);
    crate::exclusive::exclusive(store, &key, what, sync_hex_now(store, target)).await
}

async fn sync_hex_now(store: &Store, target: &HexTarget) -> Result<HexSummary, HexSyncError> {
    let started_at = store::now();
    let clock = Instant::now();
    let mut summary = HexSummary::default();
    let mut warnings = Vec::new();
    let outcome = run(store, target, &mut summary, &mut warnings).await;
    summary.seconds = clock.elapsed().as_secs_f64();
    let scope = served(store, target).await?;
    match outcome {
        Ok(()) => {
            let json = serde_json::to_string(&summary).unwrap_or_default();
            store
                .record_hex_sync(&scope, &started_at, Ok(&json), &warnings)
                .await?;
            Ok(summary)
        }
        Err(e @ (HexSyncError::Store(_) | HexSyncError::Busy(_))) => Err(e),
        Err(failure) => {
            store
                .record_hex_sync(&scope, &started_at, Err(&failure.to_string()), &warnings)
                .await?;
            Err(failure)
        }
    }
}

async fn run(
    store: &Store,
    target: &HexTarget,
    summary: &mut HexSummary,
    warnings: &mut Vec<String>,
) -> Result<(), HexSyncError> {
    let client = match &target.client {
        HexAccess::Ready(client) => client.as_ref(),
        HexAccess::Missing(missing) => {
            return Err(HexSyncError::Config {
                workspace: target.workspace.clone(),
                message: missing.to_string(),
            })
        }
    };
    let hex_error = |source| HexSyncError::Hex {
        workspace: target.workspace.clone(),
        source,
    };
    let projects = client.projects().await.map_err(hex_error)?;
    let stored = store.hex_workspace_connections(&target.workspace).await?;
    let matched = match client.data_connections().await {
        Ok(listed) => {
            let listed = with_details(client, listed, target, warnings).await;
            let observed = store.hex_connection_names().await?;
            match_connections(&listed, target, &observed)
        }
        // Without the scope, the last mapping read stays, and cells on connections it does
        // not know are matched by [hex.connections] or to the only connection there is.
        Err(HexError::Forbidden {
            call,
            message,
            grant,
        }) => {
            warnings.push(format!(
                "{call}: 403 Forbidden: {message}; {grant}. The data connections as last read \
                 are kept, and cells are matched by [hex.connections] or to the only connection"
            ));
            stored.clone()
        }
        Err(error) => return Err(hex_error(error)),
    };
    summary.projects = projects.len() as u64;
    summary.data_connections = matched.len() as u64;
    summary.matched_connections = matched.iter().filter(|c| c.connection.is_some()).count() as u64;
    let workspace = HexWorkspaceRecord {
        workspace: target.workspace.clone(),
        app_base: target.location.app_base().to_string(),
        queried_tables: None,
    };
    let records: Vec<HexProjectRecord> = projects
        .iter()
        .map(|p| project_record(p, &target.location))
        .collect();
    let remapped = mapping_changed(&stored, &matched);
    store
        .write_hex_workspace(&workspace, &records, &matched, &store::now())
        .await?;
    let marks = store.hex_cells_read(&target.workspace).await?;
    let queried_state = store
        .hex_workspaces()
        .await?
        .into_iter()
        .find(|w| w.workspace == target.workspace)
        .and_then(|w| w.queried_tables);
    let mut cells = CellReader {
        target,
        client,
        connections: matched,
        queried: queried_state,
        refused: 0,
        summary,
        warnings,
    };
    let now = chrono::Utc::now();
    for project in projects.iter().filter(|p| p.trashed_at.is_none()) {
        let mark = marks.get(&project.id).cloned().unwrap_or_default();
        // A cell's tables are resolved in the connection its Hex connection maps to: when a
        // mapping moves, every project is read again, edited or not.
        if remapped || cells_changed(project, &mark) {
            let observed = store.observed_cell_ids(&project.id).await?;
            let read = cells.read(project, &observed).await.map_err(hex_error)?;
            store.write_hex_cells(&target.workspace, &read).await?;
        } else if queried_due(&mark, now, target.queried_tables_every) {
            if let Some(queried) = cells.queried_tables(&project.id).await.map_err(hex_error)? {
                store
                    .write_hex_queried_tables(
                        &target.workspace,
                        &project.id,
                        &queried,
                        &store::now(),
                    )
                    .await?;
            }
        }
    }
    cells.say_refused();
    let state = cells.queried.clone().unwrap_or_else(|| "available".into());
    store
        .set_hex_queried_tables(&target.workspace, &state)
        .await?;
    cells.summary.queried_tables = state;
    Ok(())
}

/// Connections listed in the basic form (the spec allows it) have no details to match on:
/// where several of ours could fit, each is read on its own, which always has them.
async fn with_details(
    client: &HexClient,
    listed: Vec<DataConnection>,
    target: &HexTarget,
    warnings: &mut Vec<String>,
) -> Vec<DataConnection> {
    let mut out = Vec::with_capacity(listed.len());
    for connection in listed {
        let ambiguous = hex_kind(&connection.kind)
            .is_some_and(|kind| target.connections.iter().filter(|c| c.kind == kind).count() > 1);
        let configured = target.overrides.contains_key(&connection.name)
            || target.overrides.contains_key(&connection.id);
        if connection.has_details || !ambiguous || configured {
            out.push(connection);
            continue;
        }
        match client.data_connection(&connection.id).await {
            Ok(detailed) => out.push(detailed),
            Err(error) => {
                warnings.push(format!("{error}; matched without its details"));
                out.push(connection);
            }
        }
    }
    out
}

/// Whether any Hex connection now maps elsewhere than the stored mapping says.
fn mapping_changed(stored: &[HexConnectionRecord], matched: &[HexConnectionRecord]) -> bool {
    matched.iter().any(|m| {
        stored
            .iter()
            .find(|s| s.hex_connection_id == m.hex_connection_id)
            .is_none_or(|s| s.connection != m.connection)
    })
}

/// Whether the project was edited since its cells were read (or they never were).
fn cells_changed(project: &Project, mark: &HexReadMarks) -> bool {
    let edited = project.last_edited_at.map(model::stamp).unwrap_or_default();
    mark.cells_at_edit.as_deref() != Some(edited.as_str())
}

/// Whether the project's queried tables are older than `every` (or were never read).
fn queried_due(
    mark: &HexReadMarks,
    now: chrono::DateTime<chrono::Utc>,
    every: chrono::Duration,
) -> bool {
    let read = mark
        .queried_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    read.is_none_or(|read| now - read.with_timezone(&chrono::Utc) >= every)
}

/// The connections a workspace's outcome is shown on: those its data connections map to,
/// or every connection when none does (a 401 says nothing about the mapping).
async fn served(store: &Store, target: &HexTarget) -> Result<Vec<String>, StoreError> {
    let mapped: std::collections::BTreeSet<String> = store
        .hex_connections()
        .await?
        .into_iter()
        .filter_map(|c| c.connection)
        .filter(|c| target.connections.iter().any(|o| &o.name == c))
        .collect();
    Ok(if mapped.is_empty() {
        target.connections.iter().map(|c| c.name.clone()).collect()
    } else {
        mapped.into_iter().collect()
    })
}

struct CellReader<'a> {
    target: &'a HexTarget,
    client: &'a HexClient,
    connections: Vec<HexConnectionRecord>,
    /// None while unknown, then `available` or why not.
    queried: Option<String>,
    /// Projects whose queried tables Hex refused (404/422), and the first refusal.
    refused: u64,
    summary: &'a mut HexSummary,
    warnings: &'a mut Vec<String>,
}

impl CellReader<'_> {
    async fn read(
        &mut self,
        project: &Project,
        observed: &HashSet<String>,
    ) -> Result<HexProjectCells, HexError> {
        let cells = self.client.cells(&project.id).await?;
        self.summary.projects_read += 1;
        self.summary.cells += cells.len() as u64;
        let dataframes: Vec<&str> = cells
            .iter()
            .filter_map(|c| c.output_dataframe.as_deref())
            .collect();
        let records = cells
            .iter()
            .map(|c| self.cell(c, &dataframes, observed))
            .collect();
        let queried = self.queried_tables(&project.id).await?;
        Ok(HexProjectCells {
            project_id: project.id.clone(),
            read_at_edit: Some(project.last_edited_at.map(model::stamp).unwrap_or_default()),
            cells: records,
            queried,
        })
    }

    /// Says once how many projects' queried tables Hex refused.
    fn say_refused(&mut self) {
        if self.refused > 1 {
            self.warnings.push(format!(
                "Hex refused the queried tables of {} more projects the same way",
                self.refused - 1
            ));
        }
    }

    /// Hex's own list of tables, once the plan is known to offer it; a 403 is said once, a
    /// project Hex refuses (404/422) keeps no list and the others go on.
    async fn queried_tables(
        &mut self,
        project_id: &str,
    ) -> Result<Option<Vec<(String, String)>>, HexError> {
        if self.queried.as_deref().is_some_and(|q| q != "available") {
            return Ok(None);
        }
        match self.client.queried_tables(project_id).await? {
            QueriedTables::Tables(tables) => {
                self.queried = Some("available".into());
                Ok(Some(
                    tables
                        .iter()
                        .filter_map(|t| self.queried_key(&t.data_connection_id, &t.table_name))
                        .collect(),
                ))
            }
            QueriedTables::Unavailable(why) => {
                self.warnings.push(format!(
                    "{why}; lineage comes from query history and the projects' SQL instead"
                ));
                self.queried = Some(why);
                Ok(None)
            }
            QueriedTables::Refused(why) => {
                self.refused += 1;
                if self.refused == 1 {
                    self.warnings.push(why);
                }
                Ok(Some(Vec::new()))
            }
        }
    }

    fn queried_key(&self, hex_connection: &str, table: &str) -> Option<(String, String)> {
        let ours = self.ours(Some(hex_connection))?;
        let reads = reads(
            &format!("SELECT * FROM {table}"),
            Dialect::from(ours.kind),
            ours.kind,
            ours.database.as_deref(),
            ours.schema.as_deref(),
        );
        let key = reads.tables.into_keys().next()?;
        Some((ours.name.clone(), key))
    }

    /// Our connection for a Hex connection id: its mapping, else (a connection the mapping
    /// does not know, as when data connections are unreadable) an override naming the id,
    /// else the only connection there is.
    fn ours(&self, hex_connection: Option<&str>) -> Option<&ConnectionIdentity> {
        let hex_connection = hex_connection?;
        let name = match self
            .connections
            .iter()
            .find(|c| c.hex_connection_id == hex_connection)
        {
            Some(mapped) => mapped.connection.as_deref()?,
            None => match self.target.overrides.get(hex_connection) {
                Some(name) => name.as_str(),
                None => match self.target.connections.as_slice() {
                    [only] => only.name.as_str(),
                    _ => return None,
                },
            },
        };
        self.target.connections.iter().find(|c| c.name == name)
    }

    fn cell(
        &mut self,
        cell: &Cell,
        dataframes: &[&str],
        observed: &HashSet<String>,
    ) -> HexCellRecord {
        let ours = self.ours(cell.data_connection_id.as_deref()).cloned();
        let mut record = HexCellRecord {
            cell_id: stored_cell_id(cell, observed),
            static_id: cell.static_id.clone(),
            cell_type: cell.cell_type.clone(),
            label: cell.label.clone(),
            hex_connection_id: cell.data_connection_id.clone(),
            connection: ours.as_ref().map(|o| o.name.clone()),
            sql_text: cell.sql.clone(),
            parse_error: None,
            tables: Vec::new(),
        };
        let (Some(sql), Some(ours)) = (&cell.sql, ours) else {
            return record;
        };
        if cell.queries_dataframes {
            return record;
        }
        self.summary.sql_cells += 1;
        let parsed = reads(
            &without_templates(sql),
            Dialect::from(ours.kind),
            ours.kind,
            ours.database.as_deref(),
            ours.schema.as_deref(),
        );
        if parsed.error.is_some() {
            self.summary.parse_failed += 1;
        }
        record.parse_error = parsed.error;
        let chained = dataframe_keys(dataframes, &ours);
        record.tables = parsed
            .tables
            .into_iter()
            .filter(|(key, _)| !chained.contains(key))
            .collect();
        self.summary.sql_edges += record.tables.len() as u64;
        record
    }
}

/// Hex SQL is Jinja: `{{ value }}` becomes a NULL literal and `{% … %}` / `{# … #}` tags go,
/// which keeps the statement's shape (and its tables) parseable.
fn without_templates(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let close = match tail.get(..2) {
            Some("{{") => Some(("}}", "NULL")),
            Some("{%") => Some(("%}", " ")),
            Some("{#") => Some(("#}", " ")),
            _ => None,
        };
        match close.and_then(|(end, with)| tail.find(end).map(|e| (e + end.len(), with))) {
            Some((end, with)) => {
                out.push_str(with);
                rest = &tail[end..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The id a cell is stored under: the one query history names it by when that is its
/// `staticId`, else its draft `id`.
fn stored_cell_id(cell: &Cell, observed: &HashSet<String>) -> String {
    match &cell.static_id {
        Some(static_id) if !observed.contains(&cell.id) && observed.contains(static_id) => {
            static_id.clone()
        }
        _ => cell.id.clone(),
    }
}

/// A SQL cell may query an earlier cell's result by its `outputDataframe` name (Hex chains
/// such cells on one connection): the keys those bare names resolve to in `ours` are
/// dataframes, not warehouse tables.
fn dataframe_keys(dataframes: &[&str], ours: &ConnectionIdentity) -> HashSet<String> {
    dataframes
        .iter()
        .filter_map(|name| {
            let named = reads(
                &format!("SELECT * FROM {name}"),
                Dialect::from(ours.kind),
                ours.kind,
                ours.database.as_deref(),
                ours.schema.as_deref(),
            );
            named.tables.into_keys().next()
        })
        .collect()
}

fn project_record(p: &Project, workspace: &Workspace) -> HexProjectRecord {
    let stamp = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(model::stamp);
    HexProjectRecord {
        project_id: p.id.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        kind: kind_name(&p.kind),
        status: p.status.clone(),
        categories: p.categories.clone(),
        owner_email: p.owner_email.clone(),
        creator_email: p.creator_email.clone(),
        app_views_all_time: p.app_views.all_time.map(|v| v as i64),
        app_views_30d: p.app_views.last_thirty_days.map(|v| v as i64),
        last_viewed_at: stamp(p.last_viewed_at),
        last_edited_at: stamp(p.last_edited_at),
        last_published_at: stamp(p.last_published_at),
        created_at: stamp(p.created_at),
        archived_at: stamp(p.archived_at),
        trashed_at: stamp(p.trashed_at),
        url: workspace.project_url(&p.id),
    }
}

fn kind_name(kind: &ProjectKind) -> String {
    match kind {
        ProjectKind::Project => "PROJECT".into(),
        ProjectKind::Component => "COMPONENT".into(),
        ProjectKind::Other(other) => other.clone(),
    }
}

/// Maps each Hex data connection to one of ours: an override first, then kind, host and
/// database, then which of our connections' query history carries its name.
fn match_connections(
    hex: &[DataConnection],
    target: &HexTarget,
    observed: &[(String, String)],
) -> Vec<HexConnectionRecord> {
    hex.iter()
        .map(|h| {
            let (connection, matched_by) = match_one(h, target, observed);
            HexConnectionRecord {
                hex_connection_id: h.id.clone(),
                name: h.name.clone(),
                kind: h.kind.clone(),
                host: h.host.clone(),
                database: h.database.clone(),
                connection,
                matched_by,
            }
        })
        .collect()
}

fn match_one(
    h: &DataConnection,
    target: &HexTarget,
    observed: &[(String, String)],
) -> (Option<String>, String) {
    let configured = target
        .overrides
        .get(&h.name)
        .or_else(|| target.overrides.get(&h.id));
    if let Some(name) = configured {
        return (Some(name.clone()), "configured in [hex.connections]".into());
    }
    let Some(kind) = hex_kind(&h.kind) else {
        return (
            None,
            format!(
                "Hex connection type {:?} is not a warehouse downstream reads",
                h.kind
            ),
        );
    };
    let same_kind: Vec<&ConnectionIdentity> = target
        .connections
        .iter()
        .filter(|c| c.kind == kind)
        .collect();
    let fitting: Vec<&&ConnectionIdentity> =
        same_kind.iter().filter(|c| same_place(h, c)).collect();
    match fitting.as_slice() {
        [one] => (Some(one.name.clone()), "kind, host and database".into()),
        [] if same_kind.is_empty() => (
            None,
            format!("no {} connection is configured", kind.as_str()),
        ),
        [] => (
            None,
            "no connection of this kind has its host and database".into(),
        ),
        many => {
            let by_history: Vec<&&&ConnectionIdentity> = many
                .iter()
                .filter(|c| {
                    observed
                        .iter()
                        .any(|(ours, name)| ours == &c.name && name == &h.name)
                })
                .collect();
            match by_history.as_slice() {
                [one] => (Some(one.name.clone()), "its name in query history".into()),
                _ => (
                    None,
                    format!(
                        "{} connections fit ({}): name one under [hex.connections]",
                        many.len(),
                        many.iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
    }
}

/// Hex's connection `type` as our warehouse kind.
fn hex_kind(kind: &str) -> Option<WarehouseKind> {
    kind.to_lowercase().parse().ok()
}

/// Host and database agree wherever both sides know them. The host is what the Hex type
/// calls it (Snowflake account, BigQuery project, Databricks host, …: `hex::DataConnection`).
fn same_place(h: &DataConnection, ours: &ConnectionIdentity) -> bool {
    let host = h.host.as_deref();
    let agree = |a: Option<&str>, b: Option<&str>, normalize: fn(&str) -> String| match (a, b) {
        (Some(a), Some(b)) => normalize(a) == normalize(b),
        _ => true,
    };
    agree(host, ours.host.as_deref(), normal_host)
        && agree(h.database.as_deref(), ours.database.as_deref(), |d| {
            d.to_lowercase()
        })
}

/// `https://ACME-XY.snowflakecomputing.com:443/` and `acme-xy` name the same place.
fn normal_host(host: &str) -> String {
    let host = host.split("://").last().unwrap_or(host);
    let host = host.split(['/', ':']).next().unwrap_or(host).to_lowercase();
    host.strip_suffix(".snowflakecomputing.com")
        .map(str::to_string)
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_become_literals_and_go() {
        assert_eq!(
            without_templates("select * from t where d > {{ start }} {% if x %}and y{% endif %}"),
            "select * from t where d > NULL  and y "
        );
        assert_eq!(without_templates("select '{' from t"), "select '{' from t");
        assert_eq!(
            without_templates("select 1 {{ unclosed"),
            "select 1 {{ unclosed"
        );
    }

    #[test]
    fn output_dataframes_resolve_where_their_bare_names_would() {
        let ours = ConnectionIdentity {
            name: "wh".into(),
            kind: WarehouseKind::Snowflake,
            host: None,
            database: Some("ANALYTICS".into()),
            schema: Some("MARTS".into()),
        };
        let keys = dataframe_keys(&["orders_summary", "dataframe_2"], &ours);
        let expected: HashSet<String> = [
            "ANALYTICS.MARTS.ORDERS_SUMMARY",
            "ANALYTICS.MARTS.DATAFRAME_2",
        ]
        .map(String::from)
        .into();
        assert_eq!(keys, expected);
    }

    #[test]
    fn cells_are_stored_under_the_id_their_runs_carry() {
        let cell = Cell {
            id: "draft-1".into(),
            static_id: Some("static-1".into()),
            cell_type: "SQL".into(),
            label: None,
            data_connection_id: None,
            project_id: None,
            sql: None,
            output_dataframe: None,
            queries_dataframes: false,
        };
        let seen = |ids: &[&str]| ids.iter().map(|i| i.to_string()).collect::<HashSet<_>>();
        assert_eq!(stored_cell_id(&cell, &seen(&[])), "draft-1");
        assert_eq!(stored_cell_id(&cell, &seen(&["static-1"])), "static-1");
        assert_eq!(
            stored_cell_id(&cell, &seen(&["draft-1", "static-1"])),
            "draft-1"
        );
    }

    #[test]
    fn hosts_compare_without_scheme_port_or_snowflake_domain() {
        assert_eq!(
            normal_host("https://ACME-XY.snowflakecomputing.com:443/"),
            "acme-xy"
        );
        assert_eq!(normal_host("acme-xy"), "acme-xy");
        assert_eq!(normal_host("db.internal:5432"), "db.internal");
    }
}
