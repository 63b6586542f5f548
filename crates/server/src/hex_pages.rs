//! The Hex pages: every Hex project across connections (`/hex`), one project with its cells
//! (`/hex/projects/{id}`), and the same data under `/api/hex/projects`.

use crate::error::{ApiError, AppError};
use crate::extract::{ApiPath, ApiQuery, PagePath, PageQuery};
use crate::format::{self, ago, markdown, table_url, timestamp};
use crate::highlight;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use model::hex::RunContext;

use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use store::{HexCellDetail, HexProjectDetail, HexProjectOrder, HexProjectSummary, HexTableUse};

/// `?sort=last_run|app_views|staleness|health&state=live|stale|all&health=failing|warning|healthy`;
/// anything else is the default
/// (newest run first, every project), so an old bookmark still opens the list.
#[derive(Debug, Default, Deserialize)]
pub struct ProjectsQuery {
    /// The column to sort by.
    pub sort: Option<String>,
    /// Which projects to keep.
    pub state: Option<String>,
    /// `failing`, `warning` or `healthy`: only projects of that health.
    pub health: Option<String>,
}

fn health_filter(word: &str) -> Option<health::Health> {
    [
        health::Health::Failing,
        health::Health::Warning,
        health::Health::Healthy,
    ]
    .into_iter()
    .find(|h| h.as_str() == word)
}

pub(crate) fn health_badge(h: health::Health) -> Badge {
    match h {
        health::Health::Failing => ("fail", "failing upstream"),
        health::Health::Warning => ("warn", "warning upstream"),
        health::Health::Healthy => ("pass", "healthy"),
    }
}

/// Which projects the list keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Activity {
    All,
    /// Ran within the window.
    Live,
    /// Did not: ran before it, or never observed.
    Stale,
}

impl Activity {
    fn as_str(self) -> &'static str {
        match self {
            Activity::All => "all",
            Activity::Live => "live",
            Activity::Stale => "stale",
        }
    }

    fn keeps(self, p: &HexProjectSummary) -> bool {
        match self {
            Activity::All => true,
            Activity::Live => p.live,
            Activity::Stale => !p.live,
        }
    }
}

impl ProjectsQuery {
    fn order(&self) -> HexProjectOrder {
        self.sort
            .as_deref()
            .and_then(HexProjectOrder::parse)
            .unwrap_or_default()
    }

    fn activity(&self) -> Activity {
        match self.state.as_deref() {
            Some("live") => Activity::Live,
            Some("stale") => Activity::Stale,
            _ => Activity::All,
        }
    }
}

/// The list the page and the API both show.
async fn project_list(s: &AppState, q: &ProjectsQuery) -> Result<Vec<HexProjectSummary>, AppError> {
    let mut projects = s.store.hex_projects(&s.live_since()).await?;
    projects.retain(|p| q.activity().keeps(p));
    q.order().sort(&mut projects);
    Ok(projects)
}

async fn project_detail(s: &AppState, id: &str) -> Result<HexProjectDetail, AppError> {
    s.store
        .hex_project(id, &s.live_since())
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no Hex project {id:?} in the query history or Hex metadata synced so far"
            ))
        })
}

pub(crate) async fn api_projects(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ProjectsQuery>,
) -> Result<Json<Vec<HexProjectSummary>>, ApiError> {
    Ok(Json(project_list(&s, &q).await?))
}

pub(crate) async fn api_project(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<HexProjectDetail>, ApiError> {
    Ok(Json(project_detail(&s, &id).await?))
}

/// A badge: CSS class and text.
type Badge = (&'static str, &'static str);

fn activity_badge(live: bool, observed: bool) -> Badge {
    match (live, observed) {
        (true, _) => ("pass", "live"),
        (false, true) => ("stale", "stale"),
        (false, false) => ("muted", "not observed"),
    }
}

/// A time as shown: the timestamp, and how long ago on its own so it can sit on its own line.
pub struct When {
    stamp: String,
    ago: String,
}

fn last_run(last_run: Option<&str>, observed: bool, now: DateTime<Utc>) -> When {
    let (stamp, ago) = match (last_run, observed) {
        (Some(t), _) => (timestamp(t), ago(t, now)),
        (None, false) => ("not observed".into(), String::new()),
        (None, true) => ("unknown".into(), String::new()),
    };
    When { stamp, ago }
}

/// `{"app_view": 3, "scheduled": 12}` → `["12 scheduled", "3 app view"]`: the most runs first,
/// each kept whole when the line wraps.
fn runs_list(by_context: &BTreeMap<RunContext, i64>) -> Vec<String> {
    let mut runs: Vec<(&RunContext, &i64)> = by_context.iter().collect();
    runs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    runs.into_iter()
        .map(|(context, n)| format!("{n} {}", context.label()))
        .collect()
}

/// The project's page in Hex, when its URL is one we may link to.
fn hex_link(url: Option<&str>) -> Option<String> {
    url.filter(|u| model::hex::linkable(u))
        .map(model::hex::project_base)
}

/// `1 cell`, `3 cells`.
fn count(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn project_page_url(id: &str) -> String {
    format!("/hex/projects/{}", format::segment(id))
}

/// A row of the project list.
pub struct ProjectRow {
    /// Health from everything upstream (class, text), and its rank (0 failing … 2 healthy).
    health: Badge,
    health_rank: u8,
    title: String,
    url: String,
    hex_link: Option<String>,
    /// Owner and status.
    note: String,
    categories: Vec<String>,
    state: Option<String>,
    activity: Badge,
    last_run: When,
    runs: Vec<String>,
    /// Whether the Hex API lists it, so app views are known.
    in_hex_api: bool,
    app_views_30d: String,
    app_views_all_time: String,
    cells: i64,
    tables: i64,
    /// `3 cells · 1 table`.
    size: String,
    connections: String,
}

impl ProjectRow {
    fn new(p: HexProjectSummary, now: DateTime<Utc>) -> Self {
        let views = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
        ProjectRow {
            health: ("pass", "healthy"),
            health_rank: 2,
            url: project_page_url(&p.project_id),
            hex_link: hex_link(p.url.as_deref()),
            note: [p.owner.as_deref(), p.status.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            activity: activity_badge(p.live, p.observed),
            last_run: last_run(p.last_run.as_deref(), p.observed, now),
            runs: runs_list(&p.runs_by_context),
            app_views_30d: views(p.app_views_30d),
            app_views_all_time: views(p.app_views_all_time),
            in_hex_api: p.in_hex_api,
            cells: p.cell_count,
            tables: p.table_count,
            size: format!(
                "{} · {}",
                count(p.cell_count, "cell"),
                count(p.table_count, "table")
            ),
            connections: p.connections.join(", "),
            categories: p.categories,
            state: p.state,
            title: p.title.unwrap_or(p.project_id),
        }
    }
}

/// A sortable column header: its link and whether the list is sorted by it.
pub struct SortLink {
    href: String,
    active: bool,
}

/// A filter link above the list.
pub struct FilterLink {
    label: &'static str,
    href: String,
    active: bool,
}

/// `/hex`: every Hex project.
#[derive(Template)]
#[template(path = "hex_projects.html")]
pub struct HexProjectsPage {
    rows: Vec<ProjectRow>,
    by_health: SortLink,
    window_days: u32,
    by_last_run: SortLink,
    by_app_views: SortLink,
    by_staleness: SortLink,
    filters: Vec<FilterLink>,
    /// `live`, `stale` or `all`: what the empty list says.
    state: &'static str,
}

fn list_href(order: HexProjectOrder, activity: Activity) -> String {
    format!("/hex?sort={}&state={}", order.as_str(), activity.as_str())
}

pub(crate) async fn projects(
    State(s): State<AppState>,
    PageQuery(q): PageQuery<ProjectsQuery>,
) -> Result<Html<String>, AppError> {
    let now = Utc::now();
    let health: std::collections::HashMap<String, health::Health> = s
        .health()
        .await?
        .into_iter()
        .map(|p| (p.project_id, p.health))
        .collect();
    let wanted = q.health.as_deref().and_then(health_filter);
    let mut rows: Vec<ProjectRow> = project_list(&s, &q)
        .await?
        .into_iter()
        .map(|p| {
            let h = health
                .get(&p.project_id)
                .copied()
                .unwrap_or(health::Health::Healthy);
            (h, ProjectRow::new(p, now))
        })
        .filter(|(h, _)| wanted.is_none_or(|w| w == *h))
        .map(|(h, mut row)| {
            row.health = health_badge(h);
            row.health_rank = h as u8;
            row
        })
        .collect();
    if q.sort.as_deref() == Some("health") {
        rows.sort_by_key(|r| r.health_rank);
    }
    let (order, activity) = (q.order(), q.activity());
    let sort = |o: HexProjectOrder| SortLink {
        href: list_href(o, activity),
        active: o == order,
    };
    let filters = [
        ("Live", Activity::Live),
        ("Stale", Activity::Stale),
        ("All", Activity::All),
    ]
    .into_iter()
    .map(|(label, a)| FilterLink {
        label,
        href: list_href(order, a),
        active: a == activity,
    })
    .collect();
    let by_health = SortLink {
        href: format!("/hex?sort=health&state={}", activity.as_str()),
        active: q.sort.as_deref() == Some("health"),
    };
    let page = HexProjectsPage {
        rows,
        by_health,
        window_days: s.window_days,
        by_last_run: sort(HexProjectOrder::LastRun),
        by_app_views: sort(HexProjectOrder::AppViews),
        by_staleness: sort(HexProjectOrder::Staleness),
        filters,
        state: activity.as_str(),
    };
    Ok(Html(page.render()?))
}

/// A table a cell reads, with the evidence for it.
pub struct TableRow {
    name: String,
    url: Option<String>,
    connection: String,
    columns: String,
    evidence: Vec<Badge>,
}

impl TableRow {
    fn new(t: &HexTableUse) -> Self {
        let mut evidence = Vec::new();
        if t.observed {
            evidence.push(("pass", "observed"));
        }
        if t.in_project_sql {
            evidence.push(("muted", "in the project's SQL"));
        }
        match t.hex_confirms {
            Some(true) => evidence.push(("pass", "Hex lists it")),
            Some(false) => evidence.push(("warn", "not in Hex's queried tables")),
            None => {}
        }
        TableRow {
            name: t.table_key.clone(),
            url: t
                .relation
                .as_ref()
                .map(|r| table_url(&t.connection, &r.database, &r.schema, &r.name)),
            connection: t.connection.clone(),
            columns: t.columns.join(", "),
            evidence,
        }
    }
}

/// A cell on the project page.
pub struct CellView {
    name: String,
    cell_id: String,
    hex_link: Option<String>,
    connection: String,
    sql_html: Option<String>,
    sql_note: &'static str,
    parse_error: Option<String>,
    activity: Badge,
    last_run: When,
    runs: Vec<String>,
    users: String,
    tables: Vec<TableRow>,
}

impl CellView {
    fn new(c: &HexCellDetail, project_url: Option<&str>, now: DateTime<Utc>) -> Self {
        let dialect = highlight::dialect(c.connection_kind.as_deref());
        CellView {
            name: c
                .label
                .clone()
                .or_else(|| c.cell_id.clone())
                .unwrap_or_else(|| "(queries without a cell id)".into()),
            cell_id: c.cell_id.clone().unwrap_or_default(),
            hex_link: match (project_url, &c.cell_id) {
                (Some(url), Some(cell)) if model::hex::linkable(url) => {
                    Some(model::hex::cell_url(url, &format::query_escape(cell)))
                }
                _ => None,
            },
            connection: c.connection.clone().unwrap_or_default(),
            sql_html: c
                .sql
                .as_deref()
                .map(|sql| highlight::sql_html(sql, dialect)),
            sql_note: match c.sql_from.as_deref() {
                Some("query_history") => {
                    "SQL of the newest run query history saw (no SQL from the Hex API)"
                }
                _ => "",
            },
            parse_error: c.parse_error.clone(),
            activity: activity_badge(c.live, c.observed),
            last_run: last_run(c.last_run.as_deref(), c.observed, now),
            runs: runs_list(&c.runs_by_context),
            users: c.users.join(", "),
            tables: c.tables.iter().map(TableRow::new).collect(),
        }
    }
}

/// `/hex/projects/{id}`.
#[derive(Template)]
#[template(path = "hex_project.html")]
pub struct HexProjectPage {
    p: ProjectRow,
    description_html: String,
    creator: Option<String>,
    /// Last viewed, edited, published: how long ago, with the time as hover text.
    facts: Vec<(&'static str, When)>,
    cells: Vec<CellView>,
    other_tables: Vec<TableRow>,
    window_days: u32,
    /// Health badge (class, text), from everything upstream.
    health: (&'static str, &'static str),
    /// Why: each upstream problem and the cells it reaches.
    why: Vec<crate::health::WhyRow>,
}

pub(crate) async fn project(
    State(s): State<AppState>,
    PagePath(id): PagePath<String>,
) -> Result<Html<String>, AppError> {
    let d = project_detail(&s, &id).await?;
    let (health, why) = s
        .health()
        .await?
        .iter()
        .find(|p| p.project_id == id)
        .map_or((("pass", "healthy"), Vec::new()), crate::health::why);
    let now = Utc::now();
    let url = d.project.url.clone();
    let when = |t: &Option<String>| {
        t.as_deref().map(|t| When {
            stamp: timestamp(t),
            ago: ago(t, now),
        })
    };
    let facts = [
        ("Last viewed", when(&d.last_viewed_at)),
        ("Last edited", when(&d.last_edited_at)),
        ("Last published", when(&d.last_published_at)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    let page = HexProjectPage {
        description_html: markdown(d.description.as_deref().unwrap_or_default()),
        creator: d
            .creator
            .clone()
            .filter(|c| Some(c) != d.project.owner.as_ref()),
        facts,
        cells: d
            .cells
            .iter()
            .map(|c| CellView::new(c, url.as_deref(), now))
            .collect(),
        other_tables: d.other_tables.iter().map(TableRow::new).collect(),
        window_days: s.window_days,
        health,
        why,
        p: ProjectRow::new(d.project, now),
    };
    Ok(Html(page.render()?))
}
