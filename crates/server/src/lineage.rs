//! `/lineage`: the neighbourhood of any node (dbt node, warehouse table, Hex cell or project)
//! upstream and downstream, filtered and laid out on the server and drawn as one SVG; a
//! column of the focus followed to the Hex cells that use it. `/api/lineage` has the same
//! subgraph as JSON, `/api/graph` the whole graph.

use crate::error::ApiError;
use crate::layout::{self, Layout, COLUMN};
use crate::{format, AppError, AppState};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse};
use axum::Json;
use model::graph::{Direction, Edge, EdgeKind, Graph, Node, NodeKind};
use model::hex::RunContext;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Node box size (SVG units); rows and columns leave room around it.
const NODE_W: f32 = 210.0;
const NODE_H: f32 = 34.0;
/// "All" in the depth control: further than any real lineage goes.
const ALL: usize = 50;
/// Labels longer than this are cut in the box; the full text is in its tooltip.
const LABEL_CHARS: usize = 28;

/// The lineage graph of each store version and hour of the activity window.
pub type GraphCache = crate::versioned::Versioned<(i64, String), Graph>;

impl AppState {
    /// The lineage graph, built once per store version (and per hour: live means "ran since",
    /// and a window start rounded to the hour keeps the graph useful).
    pub(crate) async fn graph(&self) -> Result<Arc<Graph>, AppError> {
        let version = self.store_version().await?;
        let since = self.live_since();
        let hour = since.get(..13).unwrap_or(&since).to_string();
        let build = || self.store.lineage_graph(&since);
        Ok(self.graph_cache.get((version, hour), build).await?)
    }
}

/// What the page was asked for.
#[derive(Clone, Debug)]
pub struct Params {
    node: Option<String>,
    up: usize,
    down: usize,
    live_only: bool,
    contexts: BTreeSet<String>,
    column: Option<String>,
}

impl Params {
    /// Parses the query by hand: `context` repeats, which serde's form decoding does not take.
    fn parse(query: Option<&str>) -> Params {
        let mut p = Params {
            node: None,
            up: 2,
            down: 3,
            live_only: false,
            contexts: BTreeSet::new(),
            column: None,
        };
        for (key, value) in format::query_pairs(query.unwrap_or("")) {
            match key.as_str() {
                "node" => p.node = Some(value),
                "up" => p.up = value.parse().unwrap_or(p.up).min(ALL),
                "down" => p.down = value.parse().unwrap_or(p.down).min(ALL),
                "hex" => p.live_only = value == "live",
                "context" if !value.is_empty() => {
                    p.contexts.insert(value);
                }
                "column" if !value.is_empty() => p.column = Some(value),
                _ => {}
            }
        }
        p
    }

    /// Hex work passes the live and context filters; everything else always does.
    fn keeps(&self, n: &Node) -> bool {
        if !n.kind.is_hex() {
            return true;
        }
        let activity = n.activity.clone().unwrap_or_default();
        if self.live_only && !activity.live {
            return false;
        }
        self.contexts.is_empty()
            || activity
                .runs_by_context
                .keys()
                .any(|c| self.contexts.contains(c.as_str()))
    }

    /// This page's link with another focus and column; filters and depths stay.
    fn link(&self, node: Option<&str>, column: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(n) = node {
            pairs.push(("node", n.to_string()));
        }
        pairs.push(("up", self.up.to_string()));
        pairs.push(("down", self.down.to_string()));
        if self.live_only {
            pairs.push(("hex", "live".into()));
        }
        for c in &self.contexts {
            pairs.push(("context", c.clone()));
        }
        if let Some(c) = column {
            pairs.push(("column", c.to_string()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", format::query_escape(v)))
            .collect();
        format!("/lineage?{}", query.join("&"))
    }
}

/// The focus, its neighbourhood and the layout.
struct Neighbourhood {
    focus: usize,
    layout: Layout,
    column_uses: Vec<model::graph::ColumnUse>,
}

fn neighbourhood(g: &Graph, focus: usize, p: &Params) -> Neighbourhood {
    let keep = |n: &Node| p.keeps(n);
    let mut nodes: Vec<usize> = g
        .walk(&[focus], Direction::Up, p.up, keep)
        .into_iter()
        .chain(g.walk(&[focus], Direction::Down, p.down, keep))
        .map(|r| r.node)
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let column_uses = p
        .column
        .as_deref()
        .map(|c| g.column_users(focus, c, ALL))
        .unwrap_or_default();
    Neighbourhood {
        focus,
        layout: layout::layout(g, &nodes),
        column_uses,
    }
}

/// One node as the SVG draws it.
pub struct NodeView {
    x: f32,
    y: f32,
    href: String,
    label: String,
    detail: String,
    title: String,
    class: String,
}

/// One edge as the SVG draws it.
pub struct EdgeView {
    d: String,
    class: String,
    from: usize,
    to: usize,
}

/// One Hex cell a column reaches.
pub struct ColumnRow {
    cell: String,
    project: String,
    column: String,
    through: String,
    href: String,
}

/// A link with a label, for the column chips and the focus's own page.
pub struct Link {
    label: String,
    href: String,
    active: bool,
}

/// `/lineage`.
#[derive(Template)]
#[template(path = "lineage.html")]
pub struct LineagePage {
    focus: Option<FocusView>,
    nodes: Vec<NodeView>,
    edges: Vec<EdgeView>,
    width: f32,
    height: f32,
    /// Pixels: tall enough for small graphs to show whole, capped for big ones.
    view_height: u32,
    depths: Vec<(usize, String)>,
    up: usize,
    down: usize,
    live_only: bool,
    contexts: Vec<(String, String, bool)>,
    column_links: Vec<Link>,
    column: Option<String>,
    column_rows: Vec<ColumnRow>,
    hidden_note: String,
}

/// What the page says about its focus.
pub struct FocusView {
    id: String,
    label: String,
    kind: String,
    page: Option<String>,
}

pub(crate) async fn page(
    State(s): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, AppError> {
    let p = Params::parse(query.as_deref());
    let g = s.graph().await?;
    let focus = match &p.node {
        Some(id) => Some(
            g.find(id)
                .ok_or_else(|| AppError::NotFound(format!("no node {id} in the lineage graph")))?,
        ),
        None => None,
    };
    let view = focus.map(|f| neighbourhood(&g, f, &p));
    Ok(Html(render(&g, &p, view.as_ref())?.render()?))
}

fn render(g: &Graph, p: &Params, n: Option<&Neighbourhood>) -> Result<LineagePage, AppError> {
    let empty = Layout::default();
    let layout = n.map_or(&empty, |n| &n.layout);
    let hits: HashSet<usize> = n
        .map(|n| n.column_uses.iter().map(|u| u.node).collect())
        .unwrap_or_default();
    let nodes = layout
        .nodes
        .iter()
        .map(|placed| node_view(g, p, placed, n.map(|n| n.focus), &hits))
        .collect();
    let edges = layout
        .edges
        .iter()
        .map(|e| edge_view(g, layout, e, &hits, n.map(|n| n.focus)))
        .collect();
    Ok(LineagePage {
        focus: n.map(|n| focus_view(g, n.focus)),
        nodes,
        edges,
        width: layout.width.max(COLUMN),
        height: layout.height.max(layout::ROW),
        view_height: (layout.height * 0.8 + 80.0).clamp(240.0, 680.0) as u32,
        depths: [0, 1, 2, 3, 5, ALL]
            .iter()
            .map(|&d| {
                (
                    d,
                    if d == ALL {
                        "all".into()
                    } else {
                        d.to_string()
                    },
                )
            })
            .collect(),
        up: p.up,
        down: p.down,
        live_only: p.live_only,
        contexts: RunContext::KNOWN
            .iter()
            .map(|c| {
                let value = c.as_str();
                (value.to_string(), c.label(), p.contexts.contains(value))
            })
            .collect(),
        column_links: n.map(|n| column_links(g, p, n.focus)).unwrap_or_default(),
        column: p.column.clone(),
        column_rows: n.map(|n| column_rows(g, n)).unwrap_or_default(),
        hidden_note: hidden_note(p),
    })
}

fn hidden_note(p: &Params) -> String {
    let mut parts = Vec::new();
    if p.live_only {
        parts.push("stale and unobserved Hex work".to_string());
    }
    if !p.contexts.is_empty() {
        let chosen: Vec<&str> = p.contexts.iter().map(String::as_str).collect();
        parts.push(format!("Hex work with no {} runs", chosen.join(" or ")));
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!("Hidden: {}.", parts.join("; ")),
    }
}

fn node_view(
    g: &Graph,
    p: &Params,
    placed: &layout::Placed,
    focus: Option<usize>,
    hits: &HashSet<usize>,
) -> NodeView {
    let n = g.node(placed.node);
    let mut class = format!("n {}", n.kind.as_str());
    if let Some(a) = &n.activity {
        class.push_str(match (a.live, a.observed) {
            (true, _) => " live",
            (false, true) => " stale",
            (false, false) => " unobserved",
        });
    }
    if Some(placed.node) == focus {
        class.push_str(" focus");
    }
    if hits.contains(&placed.node) {
        class.push_str(" hit");
    }
    NodeView {
        x: placed.x,
        y: placed.y,
        href: p.link(Some(&n.id), None),
        label: cut(&n.label, LABEL_CHARS),
        detail: cut(&detail(n), LABEL_CHARS + 6),
        title: tooltip(n),
        class,
    }
}

/// A line under the label: kind, relation or owner, activity.
fn detail(n: &Node) -> String {
    let kind = match n.kind {
        NodeKind::HexCell => "Hex cell",
        NodeKind::HexProject => "Hex project",
        other => other.as_str(),
    };
    match (&n.activity, &n.relation) {
        (Some(a), _) if a.observed => {
            let runs: i64 = a.runs_by_context.values().sum();
            format!("{kind} · {runs} runs")
        }
        (Some(_), _) => format!("{kind} · not observed"),
        (None, Some(r)) => format!("{kind} · {}", r.schema.as_deref().unwrap_or("")),
        (None, None) => kind.to_string(),
    }
}

fn tooltip(n: &Node) -> String {
    let mut lines = vec![format!("{} ({})", n.label, n.kind.as_str())];
    if let Some(r) = &n.relation {
        lines.push(r.to_string());
    }
    if let Some(a) = &n.activity {
        if let Some(last) = &a.last_run {
            lines.push(format!("last run {last}"));
        }
        for (context, runs) in &a.runs_by_context {
            lines.push(format!("{runs} {}", context.label()));
        }
    }
    lines.join("\n")
}

fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn edge_view(
    g: &Graph,
    layout: &Layout,
    e: &layout::PlacedEdge,
    hits: &HashSet<usize>,
    focus: Option<usize>,
) -> EdgeView {
    let (a, b) = (&layout.nodes[e.from], &layout.nodes[e.to]);
    let (x1, y1) = (a.x + NODE_W, a.y + NODE_H / 2.0);
    let (x2, y2) = (b.x, b.y + NODE_H / 2.0);
    let mid = (x1 + x2) / 2.0;
    let edge = &g.edges()[e.edge];
    let on_column_path =
        hits.contains(&b.node) && (hits.contains(&a.node) || Some(a.node) == focus);
    EdgeView {
        d: format!("M{x1:.0} {y1:.0}C{mid:.0} {y1:.0} {mid:.0} {y2:.0} {x2:.0} {y2:.0}"),
        class: edge_class(edge, on_column_path),
        from: e.from,
        to: e.to,
    }
}

fn edge_class(edge: &Edge, on_column_path: bool) -> String {
    let mut class = match edge.kind {
        EdgeKind::Dbt => "e dbt".to_string(),
        EdgeKind::Reads => "e reads".to_string(),
        EdgeKind::Contains => "e contains".to_string(),
    };
    if edge.kind == EdgeKind::Reads && !edge.evidence.observed {
        class.push_str(" unobserved");
    }
    if on_column_path {
        class.push_str(" hit");
    }
    class
}

fn focus_view(g: &Graph, focus: usize) -> FocusView {
    let n = g.node(focus);
    FocusView {
        id: n.id.clone(),
        label: n.label.clone(),
        kind: n.kind.as_str().replace('_', " "),
        page: node_page(n),
    }
}

/// The node's own page in downstream.
pub(crate) fn node_page(n: &Node) -> Option<String> {
    match n.kind {
        NodeKind::HexProject => Some(format!(
            "/hex/projects/{}",
            format::segment(n.id.trim_start_matches("hex:"))
        )),
        NodeKind::HexCell => {
            let rest = n.id.trim_start_matches("cell:");
            let (project, cell) = rest.split_once(':')?;
            Some(format!(
                "/hex/projects/{}#cell-{}",
                format::segment(project),
                format::query_escape(cell)
            ))
        }
        _ => {
            let r = n.relation.as_ref()?;
            Some(format::table_url(
                n.connection.as_deref()?,
                r.database.as_deref().unwrap_or(""),
                r.schema.as_deref().unwrap_or(""),
                &r.name,
            ))
        }
    }
}

fn column_links(g: &Graph, p: &Params, focus: usize) -> Vec<Link> {
    g.node(focus)
        .columns
        .iter()
        .map(|c| Link {
            label: c.clone(),
            href: p.link(p.node.as_deref(), Some(c)),
            active: p.column.as_deref() == Some(c),
        })
        .collect()
}

/// Each Hex cell the column reaches, with the models it flows through.
fn column_rows(g: &Graph, n: &Neighbourhood) -> Vec<ColumnRow> {
    let via: HashMap<usize, Option<usize>> =
        n.column_uses.iter().map(|u| (u.node, u.via)).collect();
    n.column_uses
        .iter()
        .filter(|u| g.node(u.node).kind == NodeKind::HexCell)
        .map(|u| {
            let mut chain = Vec::new();
            let mut at = u.via;
            while let Some(model) = at.filter(|m| !chain.contains(m)) {
                chain.push(model);
                at = via.get(&model).copied().flatten();
            }
            let through: Vec<&str> = chain
                .iter()
                .rev()
                .map(|&m| g.node(m).label.as_str())
                .collect();
            let cell = g.node(u.node);
            ColumnRow {
                cell: cell.label.clone(),
                project: project_of(g, u.node).unwrap_or_default(),
                column: u.column.clone(),
                through: match through.is_empty() {
                    true => "read directly".into(),
                    false => through.join(" → "),
                },
                href: node_page(cell).unwrap_or_default(),
            }
        })
        .collect()
}

fn project_of(g: &Graph, cell: usize) -> Option<String> {
    g.outgoing(cell)
        .find(|e| e.kind == EdgeKind::Contains)
        .map(|e| g.node(e.to).label.clone())
}

/// `/api/lineage?node=…`: the same neighbourhood as JSON, with positions.
#[derive(Serialize)]
pub struct LineageJson {
    nodes: Vec<PlacedJson>,
    edges: Vec<Edge>,
}

/// A node with its position.
#[derive(Serialize)]
pub struct PlacedJson {
    #[serde(flatten)]
    node: Node,
    x: f32,
    y: f32,
}

pub(crate) async fn api(
    State(s): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<LineageJson>, ApiError> {
    let p = Params::parse(query.as_deref());
    let g = s.graph().await?;
    let id = p
        .node
        .as_deref()
        .ok_or_else(|| AppError::BadRequest("pass ?node=<id>".into()))?;
    let focus = g
        .find(id)
        .ok_or_else(|| AppError::NotFound(format!("no node {id} in the lineage graph")))?;
    let n = neighbourhood(&g, focus, &p);
    let nodes = n
        .layout
        .nodes
        .iter()
        .map(|placed| PlacedJson {
            node: g.node(placed.node).clone(),
            x: placed.x,
            y: placed.y,
        })
        .collect();
    let edges = n
        .layout
        .edges
        .iter()
        .map(|e| Edge {
            from: e.from,
            to: e.to,
            ..g.edges()[e.edge].clone()
        })
        .collect();
    Ok(Json(LineageJson { nodes, edges }))
}

/// `/api/graph`: every node and edge, columns included.
pub(crate) async fn export(
    State(s): State<AppState>,
) -> Result<axum::response::Response, ApiError> {
    let g = s.graph().await?;
    Ok(Json(g.export()).into_response())
}

/// `/api/openlineage`: one OpenLineage run event per Hex cell.
pub(crate) async fn openlineage(
    State(s): State<AppState>,
) -> Result<Json<Vec<export::openlineage::RunEvent>>, ApiError> {
    let g = s.graph().await?;
    let warehouses = s
        .store
        .connections()
        .await?
        .into_iter()
        .map(|c| (c.name, c.kind))
        .collect();
    let now = model::stamp(chrono::Utc::now());
    Ok(Json(export::openlineage::hex_events(&g, &warehouses, &now)))
}
