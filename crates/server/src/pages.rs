//! Server-rendered pages: one template struct per page, built from the store's read models.

use crate::error::AppError;
use crate::extract::{PagePath, PageQuery};
use crate::format::{self, ago, markdown, table_url, timestamp};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use chrono::Utc;
use store::{ConnectionOverview, StatusCounts, TableDetail, TestDetail, TreeDatabase};

/// A status shown as a coloured badge: CSS class and text.
pub struct Badge {
    /// `pass`, `warn`, `fail`, `error`, `muted`.
    pub class: &'static str,
    /// What it says.
    pub text: String,
}

fn status_class(status: &str) -> &'static str {
    match status {
        "pass" => "pass",
        "warn" => "warn",
        "fail" => "fail",
        "error" | "runtime error" => "error",
        _ => "muted",
    }
}

/// One badge summing up a relation's tests: the worst status and how many share it.
fn tests_badge(c: &StatusCounts) -> Option<Badge> {
    let worst = c.worst()?;
    let text = match worst {
        "fail" => format!("{} failing", c.fail),
        "error" => format!("{} erroring", c.error),
        "warn" => format!("{} warning", c.warn),
        "pass" if c.pass == 1 => "1 test passes".into(),
        "pass" => format!("{} tests pass", c.pass),
        _ => format!("{} not run", c.total()),
    };
    Some(Badge {
        class: status_class(worst),
        text,
    })
}

/// The connection header every connection page starts with.
pub struct ConnHeader {
    /// Name.
    pub name: String,
    /// Warehouse kind.
    pub kind: model::WarehouseKind,
    /// Link to its tree.
    pub url: String,
    /// Link to its status page.
    pub status_url: String,
    /// dbt project and version, when loaded.
    pub project: Option<String>,
    /// When dbt metadata was last loaded successfully.
    pub refreshed: Option<String>,
    /// Each failing source's latest error, verbatim: shown behind a warning icon.
    pub error: Option<String>,
    /// The dbt source's error: dbt-managed tables show it beside their name, since what they
    /// show is the last good load.
    pub dbt_error: Option<String>,
    /// Whether the refresh button shows (the server knows this connection's sources).
    pub refreshable: bool,
}

impl ConnHeader {
    fn with(o: &ConnectionOverview, refreshable: bool) -> Self {
        ConnHeader {
            refreshable,
            ..ConnHeader::new(o)
        }
    }

    fn new(o: &ConnectionOverview) -> Self {
        let now = Utc::now();
        let name = o.name.clone();
        ConnHeader {
            url: format!("/connections/{}", format::segment(&name)),
            status_url: format!("/connections/{}/status", format::segment(&name)),
            kind: o.kind,
            project: o.project.as_ref().map(|p| {
                format!(
                    "{} · dbt {} · manifest v{}",
                    p.project_name.as_deref().unwrap_or("dbt project"),
                    p.dbt_version.as_deref().unwrap_or("?"),
                    p.manifest_version
                )
            }),
            refreshed: o
                .last_success_at
                .as_deref()
                .map(|t| format!("{} ({})", timestamp(t), ago(t, now))),
            error: (!o.failing.is_empty()).then(|| {
                o.failing
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: {}",
                            source_name(&s.source),
                            s.error.as_deref().unwrap_or("failed")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            dbt_error: o
                .failing
                .iter()
                .find(|s| s.source == "dbt")
                .and_then(|s| s.error.clone()),
            refreshable: false,
            name,
        }
    }
}

/// How the status page and warnings name a sync's source.
pub(crate) fn source_name(source: &str) -> String {
    match source {
        "dbt" => "dbt metadata".into(),
        "hex" => "Hex API".into(),
        "warehouse" => "warehouse catalog".into(),
        other => match other.strip_prefix("history:") {
            Some(environment) => format!("query history ({environment})"),
            None => other.into(),
        },
    }
}

/// `/`: every connection.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    connections: Vec<(ConnHeader, ConnectionOverview, Option<Badge>, Option<Badge>)>,
}

pub(crate) async fn home(State(s): State<AppState>) -> Result<Html<String>, AppError> {
    let connections = s
        .store
        .connections()
        .await?
        .into_iter()
        .map(|o| {
            (
                ConnHeader::new(&o),
                tests_badge(&o.tests),
                freshness_badge(&o.freshness),
                o,
            )
        })
        .map(|(h, t, f, o)| (h, o, t, f))
        .collect();
    Ok(Html(HomePage { connections }.render()?))
}

fn freshness_badge(c: &StatusCounts) -> Option<Badge> {
    let worst = c.worst()?;
    let n = match worst {
        "error" => c.error,
        "warn" => c.warn,
        _ => {
            return Some(Badge {
                class: "pass",
                text: format!("{} sources fresh", c.pass),
            })
        }
    };
    Some(Badge {
        class: status_class(worst),
        text: format!("{n} freshness {worst}"),
    })
}

/// A relation row in the tree.
pub struct TreeRow {
    name: String,
    /// dbt describes it (model, source, seed, snapshot), so a failed dbt sync concerns it.
    dbt_managed: bool,
    url: String,
    node_kind: String,
    not_built: bool,
    materialized: String,
    tests: Option<Badge>,
    freshness: Option<Badge>,
    built: Option<String>,
}

/// A schema and its relation rows.
type SchemaRows = (String, Vec<TreeRow>);

/// A schema of a large connection: its name, how many relations it holds, and its page.
pub struct SchemaLink {
    name: String,
    tables: i64,
    url: String,
}

/// A database and its schema links.
type FoldedDatabase = (String, Vec<SchemaLink>);

/// `/connections/{name}`: databases → schemas → tables.
#[derive(Template)]
#[template(path = "connection.html")]
pub struct ConnectionPage {
    conn: ConnHeader,
    databases: Vec<(String, Vec<SchemaRows>)>,
    tables: usize,
    /// For a large connection: schemas with their table counts, opened one at a time.
    folded: Vec<FoldedDatabase>,
}

/// Connections with more relations than this list schemas first and load each on demand, so
/// the page stays small whatever the warehouse holds.
const INLINE_TABLES: i64 = 2_000;

pub(crate) async fn connection(
    State(s): State<AppState>,
    PagePath(name): PagePath<String>,
) -> Result<Html<String>, AppError> {
    let overview = s.overview(&name).await?;
    let counts = s.store.schema_counts(&name).await?;
    let total: i64 = counts.iter().map(|c| c.tables).sum();
    if total > INLINE_TABLES {
        let page = ConnectionPage {
            conn: ConnHeader::with(&overview, s.refresher.is_some()),
            databases: Vec::new(),
            tables: total as usize,
            folded: fold_schemas(&name, counts),
        };
        return Ok(Html(page.render()?));
    }
    let tree = s.store.tree(&name).await?;
    tree_page(
        ConnHeader::with(&overview, s.refresher.is_some()),
        &name,
        tree,
    )
}

/// `/connections/{name}/schemas/{database}/{schema}`: one schema of a large connection.
pub(crate) async fn schema(
    State(s): State<AppState>,
    PagePath((name, database, schema)): PagePath<(String, String, String)>,
) -> Result<Html<String>, AppError> {
    let overview = s.overview(&name).await?;
    let (database, schema) = (format::unsegment(&database), format::unsegment(&schema));
    let tree = s.store.schema_tree(&name, database, schema).await?;
    if tree.is_empty() {
        return Err(AppError::NotFound(format!(
            "no schema {database}.{schema} in {name}"
        )));
    }
    tree_page(
        ConnHeader::with(&overview, s.refresher.is_some()),
        &name,
        tree,
    )
}

fn fold_schemas(connection: &str, counts: Vec<store::SchemaCount>) -> Vec<FoldedDatabase> {
    let mut folded: Vec<FoldedDatabase> = Vec::new();
    for c in counts {
        let url = format!(
            "/connections/{}/schemas/{}/{}",
            format::segment(connection),
            format::segment(&c.database),
            format::segment(&c.schema)
        );
        if folded.last().map(|(db, _)| db) != Some(&c.database) {
            folded.push((c.database.clone(), Vec::new()));
        }
        if let Some((_, schemas)) = folded.last_mut() {
            schemas.push(SchemaLink {
                name: c.schema,
                tables: c.tables,
                url,
            });
        }
    }
    folded
}

fn tree_page(
    conn: ConnHeader,
    name: &str,
    tree: Vec<TreeDatabase>,
) -> Result<Html<String>, AppError> {
    let now = Utc::now();
    let tables = tree
        .iter()
        .flat_map(|d| &d.schemas)
        .map(|s| s.tables.len())
        .sum();
    let databases = tree
        .into_iter()
        .map(|TreeDatabase { name: db, schemas }| {
            let schemas = schemas
                .into_iter()
                .map(|s| {
                    let rows = s
                        .tables
                        .into_iter()
                        .map(|t| tree_row(name, t, now))
                        .collect();
                    (s.name, rows)
                })
                .collect();
            (db, schemas)
        })
        .collect();
    let page = ConnectionPage {
        conn,
        databases,
        tables,
        folded: Vec::new(),
    };
    Ok(Html(page.render()?))
}

fn tree_row(connection: &str, t: store::TreeTable, now: chrono::DateTime<Utc>) -> TreeRow {
    TreeRow {
        url: table_url(connection, &t.database, &t.schema, &t.name),
        tests: tests_badge(&t.tests),
        freshness: t.freshness.as_deref().map(|f| Badge {
            class: status_class(f),
            text: format!("freshness {f}"),
        }),
        built: t
            .last_built_at
            .as_deref()
            .map(|b| format!("built {}", ago(b, now))),
        materialized: t.materialized.unwrap_or_default(),
        // Sources are loaded, not built: only dbt's own outputs can be missing.
        not_built: t.in_warehouse == Some(false) && t.node_kind != "source",
        dbt_managed: !t.unique_id.is_empty(),
        node_kind: t.node_kind,
        name: t.name,
    }
}

/// A test row on the table page.
pub struct TestRow {
    name: String,
    test_type: String,
    column: String,
    severity: String,
    status: Badge,
    failures: Option<i64>,
    when: String,
    message: String,
}

impl TestRow {
    fn new(t: &TestDetail) -> Self {
        let now = Utc::now();
        TestRow {
            name: t.name.clone(),
            test_type: t.test_type.clone(),
            column: t.column.clone().unwrap_or_default(),
            severity: t.severity.clone(),
            status: Badge {
                class: status_class(&t.status),
                text: t.status.clone(),
            },
            failures: t.failures.filter(|f| *f > 0),
            when: t
                .completed_at
                .as_deref()
                .map(|c| ago(c, now))
                .unwrap_or_default(),
            message: if t.status == "pass" {
                String::new()
            } else {
                t.message.clone().unwrap_or_default()
            },
        }
    }
}

/// A column row on the table page.
pub struct ColumnRow {
    name: String,
    data_type: String,
    description_html: String,
    tests: Vec<Badge>,
    drift: Option<&'static str>,
}

/// A link to a related dbt node.
pub struct NodeLink {
    label: String,
    kind: String,
    url: Option<String>,
}

/// `/connections/{name}/tables/{db}/{schema}/{table}`.
#[derive(Template)]
#[template(path = "table.html")]
pub struct TablePage {
    conn: ConnHeader,
    t: TableDetail,
    description_html: String,
    source_description_html: String,
    columns: Vec<ColumnRow>,
    tests: Vec<TestRow>,
    tests_badge: Option<Badge>,
    build: Option<(Badge, String, String)>,
    freshness: Option<(Badge, String, String)>,
    docs_link: Option<String>,
    /// dbt Explorer's page, when the metadata comes from dbt Cloud.
    explorer_link: Option<String>,
    /// This node's lineage page.
    lineage_link: String,
    unique_id: String,
    parents: Vec<NodeLink>,
    children: Vec<NodeLink>,
    also: Vec<NodeLink>,
    hex: Vec<HexRow>,
    window_days: u32,
    stale_hidden: bool,
}

/// One Hex cell reading this table, as the table page shows it.
pub struct HexRow {
    project: String,
    project_link: Option<String>,
    /// Owner, status, archived or trashed: what the Hex API says.
    project_note: String,
    cell: String,
    cell_id: String,
    cell_link: Option<String>,
    live: bool,
    observed: bool,
    /// Where the edge comes from when query history did not see it run.
    evidence: &'static str,
    /// What Hex's queriedTables says, when the workspace offers it.
    confirmation: Option<(&'static str, &'static str)>,
    last_run: String,
    runs: String,
    users: String,
    columns: String,
}

impl HexRow {
    fn new(u: &store::HexUse, now: chrono::DateTime<Utc>) -> Self {
        let runs = u
            .runs_by_context
            .iter()
            .map(|(context, n)| format!("{n} {}", context.label()))
            .collect::<Vec<_>>()
            .join(" · ");
        let users = match u.users.len() {
            0 => String::new(),
            1..=3 => u.users.join(", "),
            n => format!("{}, and {} more", u.users[..2].join(", "), n - 2),
        };
        HexRow {
            project: u
                .project_name
                .clone()
                .unwrap_or_else(|| u.project_id.clone()),
            project_link: u
                .project_url
                .clone()
                .filter(|url| model::hex::linkable(url)),
            project_note: [u.owner.as_deref(), u.status.as_deref(), u.state.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            cell: u
                .cell_label
                .clone()
                .or_else(|| u.cell_id.clone())
                .unwrap_or_else(|| "(no cell id)".to_string()),
            cell_id: u.cell_id.clone().unwrap_or_default(),
            cell_link: match (&u.project_url, &u.cell_id) {
                (Some(url), Some(cell)) if model::hex::linkable(url) => {
                    Some(model::hex::cell_url(url, &format::query_escape(cell)))
                }
                _ => None,
            },
            live: u.live,
            observed: u.observed,
            evidence: match (u.observed, u.in_project_sql) {
                (true, _) => "",
                (false, true) => "from the project's SQL, not observed",
                (false, false) => "listed by Hex's queried tables, not observed",
            },
            confirmation: match u.hex_confirms {
                Some(true) => Some(("pass", "Hex lists this table for the project")),
                Some(false) => Some(("warn", "Hex's queried tables do not list it")),
                None => None,
            },
            last_run: match (&u.last_run, u.observed) {
                (Some(t), _) => format!("{} ({})", timestamp(t), ago(t, now)),
                (None, false) => "not observed".into(),
                (None, true) => "unknown".into(),
            },
            runs,
            users,
            columns: u.columns.join(", "),
        }
    }
}

pub(crate) async fn table(
    State(s): State<AppState>,
    PagePath((name, database, schema, table)): PagePath<(String, String, String, String)>,
    PageQuery(q): PageQuery<crate::api::TableQuery>,
) -> Result<Html<String>, AppError> {
    let overview = s.overview(&name).await?;
    let (database, schema) = (format::unsegment(&database), format::unsegment(&schema));
    let since = s.live_since();
    let Some(t) = s
        .store
        .table_with_usage(&name, database, schema, &table, &since)
        .await?
    else {
        let w = s
            .store
            .warehouse_table(&name, database, schema, &table, &since)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "neither dbt nor the warehouse knows {database}.{schema}.{table} in {name}"
                ))
            })?;
        return warehouse_table_page(
            ConnHeader::with(&overview, s.refresher.is_some()),
            w,
            s.window_days,
            q.hex.as_deref() == Some("live"),
        );
    };
    let live_only = q.hex.as_deref() == Some("live");
    let mut page = table_page(
        ConnHeader::with(&overview, s.refresher.is_some()),
        overview.docs_url.as_deref(),
        t,
    );
    page.window_days = s.window_days;
    page.stale_hidden = live_only;
    page.explorer_link = s
        .cloud_run(&name)
        .await?
        .map(|run| format!("{}{}", run.explorer_url, page.unique_id));
    if live_only {
        page.hex.retain(|h| h.live);
    }
    Ok(Html(page.render()?))
}

/// `/connections/{name}/tables/…` for a relation dbt does not manage.
#[derive(Template)]
#[template(path = "warehouse_table.html")]
pub struct WarehouseTablePage {
    conn: ConnHeader,
    t: store::WarehouseTable,
    hex: Vec<HexRow>,
    window_days: u32,
    stale_hidden: bool,
}

fn warehouse_table_page(
    conn: ConnHeader,
    t: store::WarehouseTable,
    window_days: u32,
    live_only: bool,
) -> Result<Html<String>, AppError> {
    let now = Utc::now();
    let page = WarehouseTablePage {
        conn,
        hex: t
            .hex
            .iter()
            .filter(|u| u.live || !live_only)
            .map(|u| HexRow::new(u, now))
            .collect(),
        t,
        window_days,
        stale_hidden: live_only,
    };
    Ok(Html(page.render()?))
}

fn table_page(conn: ConnHeader, docs_base: Option<&str>, t: TableDetail) -> TablePage {
    let now = Utc::now();
    let tests: Vec<TestRow> = t.tests.iter().map(TestRow::new).collect();
    let mut counts = StatusCounts::default();
    for test in &t.tests {
        counts.add(Some(test.status.as_str()));
    }
    let columns = t
        .columns
        .iter()
        .map(|c| ColumnRow {
            name: c.name.clone(),
            data_type: c.data_type.clone().unwrap_or_default(),
            description_html: markdown(&c.description),
            tests: t
                .tests
                .iter()
                .filter(|x| {
                    x.column
                        .as_deref()
                        .is_some_and(|col| col.eq_ignore_ascii_case(&c.name))
                })
                .map(|x| Badge {
                    class: status_class(&x.status),
                    text: format!("{} {}", x.test_type, x.status),
                })
                .collect(),
            drift: match (c.documented, c.in_warehouse) {
                (true, Some(false)) => Some("documented in dbt, missing in the warehouse"),
                (false, Some(true)) => Some("not documented in dbt"),
                _ => None,
            },
        })
        .collect();
    let build = t.build.as_ref().map(|b| {
        let when = format!(
            "{} ({})",
            timestamp(&b.completed_at),
            ago(&b.completed_at, now)
        );
        let detail = match (&b.message, b.status.as_str()) {
            (Some(m), s) if s != "pass" => m.clone(),
            _ => format!("dbt {} · {:.1} s", b.command, b.execution_time),
        };
        (
            Badge {
                class: status_class(&b.status),
                text: b.status.clone(),
            },
            when,
            detail,
        )
    });
    let freshness = t.freshness.as_ref().map(|f| {
        let age = f
            .age_seconds
            .map(format::duration)
            .unwrap_or_else(|| "unknown".into());
        let rule = [
            f.warn_after.as_ref().map(|w| format!("warn after {w}")),
            f.error_after.as_ref().map(|e| format!("error after {e}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let detail = match &f.error {
            Some(e) => e.clone(),
            None => format!(
                "data {age} old when checked {} · {rule}",
                ago(&f.snapshotted_at, now)
            ),
        };
        let loaded = f
            .max_loaded_at
            .as_deref()
            .map(timestamp)
            .unwrap_or_default();
        (
            Badge {
                class: status_class(&f.status),
                text: f.status.clone(),
            },
            loaded,
            detail,
        )
    });
    let link = |n: &store::NodeRef| NodeLink {
        label: n
            .table
            .clone()
            .map(|tb| format!("{}.{}", n.schema.clone().unwrap_or_default(), tb))
            .unwrap_or_else(|| n.name.clone()),
        kind: n.kind.clone(),
        url: n.table.as_ref().map(|tb| {
            table_url(
                &t.connection,
                n.database.as_deref().unwrap_or(""),
                n.schema.as_deref().unwrap_or(""),
                tb,
            )
        }),
    };
    TablePage {
        description_html: markdown(&t.node.description),
        source_description_html: markdown(&t.node.source_description),
        docs_link: docs_base.map(|b| format::docs_url(b, &t.node.kind, &t.node.unique_id)),
        explorer_link: None,
        lineage_link: format!(
            "/lineage?node={}",
            format::query_escape(&format!("dbt:{}:{}", t.connection, t.node.unique_id))
        ),
        unique_id: format::query_escape(&t.node.unique_id),
        parents: t.parents.iter().map(link).collect(),
        children: t.children.iter().map(link).collect(),
        also: t.also.iter().map(link).collect(),
        hex: t.hex.iter().map(|u| HexRow::new(u, now)).collect(),
        window_days: 14,
        stale_hidden: false,
        tests_badge: tests_badge(&counts),
        columns,
        tests,
        build,
        freshness,
        conn,
        t,
    }
}

/// A row of the sync history.
pub struct SyncRow {
    when: String,
    source: String,
    ok: bool,
    error: String,
    warnings: Vec<String>,
    summary: String,
}

/// `/connections/{name}/status`.
#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusPage {
    conn: ConnHeader,
    o: ConnectionOverview,
    syncs: Vec<SyncRow>,
    cloud: Option<store::CloudRunRecord>,
    hex_workspaces: Vec<store::HexWorkspaceRecord>,
    /// Hex data connections that map here, or could not be mapped anywhere.
    hex_connections: Vec<store::HexConnectionRecord>,
}

pub(crate) async fn status(
    State(s): State<AppState>,
    PagePath(name): PagePath<String>,
) -> Result<Html<String>, AppError> {
    let o = s.overview(&name).await?;
    let now = Utc::now();
    let syncs = s
        .store
        .syncs(&name, 50)
        .await?
        .into_iter()
        .map(|r| SyncRow {
            when: format!(
                "{} ({})",
                timestamp(&r.finished_at),
                ago(&r.finished_at, now)
            ),
            source: source_name(&r.source),
            ok: r.ok,
            error: r.error.unwrap_or_default(),
            warnings: r.warnings,
            summary: crate::sync_text::describe(&r.source, &r.summary),
        })
        .collect();
    let hex_connections = s
        .store
        .hex_connections()
        .await?
        .into_iter()
        .filter(|c| c.connection.as_deref().is_none_or(|c| c == name))
        .collect();
    Ok(Html(
        StatusPage {
            conn: ConnHeader::with(&o, s.refresher.is_some()),
            cloud: s.cloud_run(&name).await?,
            hex_workspaces: s.store.hex_workspaces().await?,
            hex_connections,
            o,
            syncs,
        }
        .render()?,
    ))
}

/// A search result row.
pub struct HitRow {
    url: String,
    title: String,
    subtitle: String,
    hit: String,
    snippet: String,
}

/// `/search?q=`: the page behind the search box when scripts are off or Enter is pressed.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    q: String,
    hits: Vec<HitRow>,
}

pub(crate) async fn search(
    State(s): State<AppState>,
    PageQuery(q): PageQuery<crate::api::SearchQuery>,
) -> Result<Html<String>, AppError> {
    let hits = s
        .search(&q.q, 100)
        .await?
        .into_iter()
        .map(|h| HitRow {
            url: table_url(&h.connection, &h.database, &h.schema, &h.table),
            title: match &h.column {
                Some(c) => format!("{}.{c}", h.table),
                None => h.table.clone(),
            },
            subtitle: format!(
                "{} · {}.{} · {} {}",
                h.connection, h.database, h.schema, h.node_kind, h.node_name
            ),
            hit: h.hit,
            snippet: h.description,
        })
        .collect();
    Ok(Html(SearchPage { q: q.q, hits }.render()?))
}
