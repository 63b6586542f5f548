//! The lineage graph: dbt sources and models, warehouse tables, Hex cells and projects, and
//! what flows between them, down to columns. Built by the store from what syncs wrote; walked
//! by the lineage page, impact analysis and the exports.
//!
//! Edges point the way data flows: source → model → … → table → Hex cell → Hex project. A dbt
//! node stands for its relation, so a Hex cell reading `analytics.marts.orders` reads the dbt
//! model built there; tables dbt does not manage are nodes of their own.
//!
//! ```
//! use model::graph::{Direction, EdgeKind, Graph, NodeKind};
//!
//! let mut g = Graph::default();
//! let orders = g.add_node("dbt:wh:model.shop.orders", NodeKind::Model, "orders");
//! let cell = g.add_node("cell:p1:c1", NodeKind::HexCell, "Revenue");
//! let project = g.add_node("hex:p1", NodeKind::HexProject, "Revenue dashboard");
//! g.add_edge(orders, cell, EdgeKind::Reads).columns = vec![("amount".into(), "amount".into())];
//! g.add_edge(cell, project, EdgeKind::Contains);
//!
//! let down = g.walk(&[orders], Direction::Down, 10, |_| true);
//! assert_eq!(down.len(), 3);
//! let users = g.column_users(orders, "amount", 10);
//! assert_eq!(users.iter().map(|u| g.node(u.node).label.as_str()).collect::<Vec<_>>(), ["Revenue"]);
//! ```

use crate::RelationName;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A dbt source.
    Source,
    /// A dbt model.
    Model,
    /// A dbt seed.
    Seed,
    /// A dbt snapshot.
    Snapshot,
    /// A warehouse table or view dbt does not manage.
    Table,
    /// A Hex cell.
    HexCell,
    /// A Hex project.
    HexProject,
}

impl NodeKind {
    /// `source`, `model`, …, `hex_cell`, `hex_project`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Source => "source",
            NodeKind::Model => "model",
            NodeKind::Seed => "seed",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Table => "table",
            NodeKind::HexCell => "hex_cell",
            NodeKind::HexProject => "hex_project",
        }
    }

    /// A dbt node kind (`model`, `source`, …) as a graph node kind.
    pub fn from_dbt(kind: &str) -> NodeKind {
        match kind {
            "source" => NodeKind::Source,
            "seed" => NodeKind::Seed,
            "snapshot" => NodeKind::Snapshot,
            _ => NodeKind::Model,
        }
    }

    /// Whether dbt manages it.
    pub fn is_dbt(self) -> bool {
        matches!(
            self,
            NodeKind::Source | NodeKind::Model | NodeKind::Seed | NodeKind::Snapshot
        )
    }

    /// Whether it is Hex work.
    pub fn is_hex(self) -> bool {
        matches!(self, NodeKind::HexCell | NodeKind::HexProject)
    }
}

/// How Hex work relates to what it reads, for cells and projects.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Activity {
    /// Newest run, RFC 3339.
    pub last_run: Option<String>,
    /// Runs per context (`scheduled`, `app_view`, `interactive`, `api`, …).
    pub runs_by_context: BTreeMap<crate::hex::RunContext, i64>,
    /// Ran within the activity window.
    pub live: bool,
    /// Query history saw it run at all.
    pub observed: bool,
    /// Hex's status of a project, e.g. `Published`.
    pub status: Option<String>,
}

/// One node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// Stable id: `dbt:<connection>:<unique_id>`, `table:<connection>:<key>`,
    /// `hex:<project id>`, `cell:<project id>:<cell id>`.
    pub id: String,
    /// What it stands for.
    pub kind: NodeKind,
    /// What people call it: model name, table name, cell label, project title.
    pub label: String,
    /// The connection of a dbt node or table.
    pub connection: Option<String>,
    /// The relation a dbt node is built as, or a table's name in the warehouse.
    pub relation: Option<RelationName>,
    /// The store's relation key of a dbt node or table (`RelationName::key`).
    pub table_key: Option<String>,
    /// dbt's `unique_id`.
    pub unique_id: Option<String>,
    /// A line under the label: a materialization, an owner.
    pub detail: Option<String>,
    /// This node's page in downstream.
    pub url: Option<String>,
    /// Its page elsewhere (Hex).
    pub external_url: Option<String>,
    /// Known columns, in order.
    pub columns: Vec<String>,
    /// For Hex cells and projects.
    pub activity: Option<Activity>,
}

/// How two nodes relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// dbt: the child is built from the parent.
    Dbt,
    /// A Hex cell reads a relation.
    Reads,
    /// A Hex project holds a cell.
    Contains,
}

/// What an edge is known from, for `Reads`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Query history saw the cell run it.
    pub observed: bool,
    /// The cell's SQL reads it.
    pub in_project_sql: bool,
    /// Hex's queriedTables lists it (None: not offered).
    pub hex_confirms: Option<bool>,
}

/// One edge, `from` → `to` in the direction data flows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    /// Upstream node.
    pub from: usize,
    /// Downstream node.
    pub to: usize,
    /// What it is.
    pub kind: EdgeKind,
    /// (upstream column, downstream column): for dbt edges, an output column computed from an
    /// input column; for reads, the columns a cell uses (both sides the same name).
    pub columns: Vec<(String, String)>,
    /// For reads.
    pub evidence: Evidence,
}

/// Up (towards sources) or down (towards Hex).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Towards what a node is built from.
    Up,
    /// Towards what is built from it.
    Down,
}

/// A node reached by a walk, and how many edges away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reached {
    /// The node.
    pub node: usize,
    /// Edges from the start; negative upstream.
    pub depth: i32,
}

/// A column reached by following column lineage downstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnUse {
    /// The node that uses it.
    pub node: usize,
    /// Its column there (a cell's: the column it reads).
    pub column: String,
    /// Edges from the start.
    pub depth: i32,
    /// The node the column came through, for "through which models".
    pub via: Option<usize>,
}

/// Nodes and edges, with adjacency both ways.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    index: HashMap<String, usize>,
    out: Vec<Vec<usize>>,
    inc: Vec<Vec<usize>>,
}

impl Graph {
    /// Adds a node, or returns the one with this id.
    pub fn add_node(&mut self, id: &str, kind: NodeKind, label: &str) -> usize {
        if let Some(&at) = self.index.get(id) {
            return at;
        }
        let at = self.nodes.len();
        self.nodes.push(Node {
            id: id.to_string(),
            kind,
            label: label.to_string(),
            connection: None,
            relation: None,
            table_key: None,
            unique_id: None,
            detail: None,
            url: None,
            external_url: None,
            columns: Vec::new(),
            activity: None,
        });
        self.index.insert(id.to_string(), at);
        self.out.push(Vec::new());
        self.inc.push(Vec::new());
        at
    }

    /// Adds an edge, or returns the existing one of this kind between the two nodes.
    pub fn add_edge(&mut self, from: usize, to: usize, kind: EdgeKind) -> &mut Edge {
        let at = match self.edge_index(from, to, kind) {
            Some(at) => at,
            None => {
                self.edges.push(Edge {
                    from,
                    to,
                    kind,
                    columns: Vec::new(),
                    evidence: Evidence::default(),
                });
                let at = self.edges.len() - 1;
                self.out[from].push(at);
                self.inc[to].push(at);
                at
            }
        };
        &mut self.edges[at]
    }

    /// The edge of `kind` from `from` to `to`, to fill in.
    pub fn edge_mut(&mut self, from: usize, to: usize, kind: EdgeKind) -> Option<&mut Edge> {
        let at = self.edge_index(from, to, kind)?;
        Some(&mut self.edges[at])
    }

    fn edge_index(&self, from: usize, to: usize, kind: EdgeKind) -> Option<usize> {
        self.out[from]
            .iter()
            .copied()
            .find(|&e| self.edges[e].to == to && self.edges[e].kind == kind)
    }

    /// The node at `at`.
    pub fn node(&self, at: usize) -> &Node {
        &self.nodes[at]
    }

    /// The node at `at`, to fill in.
    pub fn node_mut(&mut self, at: usize) -> &mut Node {
        &mut self.nodes[at]
    }

    /// The node with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Every node.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every edge.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Edges leaving `at` (downstream).
    pub fn outgoing(&self, at: usize) -> impl Iterator<Item = &Edge> {
        self.out[at].iter().map(|&e| &self.edges[e])
    }

    /// Edges arriving at `at` (upstream).
    pub fn incoming(&self, at: usize) -> impl Iterator<Item = &Edge> {
        self.inc[at].iter().map(|&e| &self.edges[e])
    }

    /// Breadth-first from `starts` in one direction, up to `depth` edges, through nodes `keep`
    /// accepts (the starts are always kept). Each node once, at its shortest distance.
    pub fn walk(
        &self,
        starts: &[usize],
        direction: Direction,
        depth: usize,
        keep: impl Fn(&Node) -> bool,
    ) -> Vec<Reached> {
        let sign = if direction == Direction::Up { -1 } else { 1 };
        let mut seen = vec![false; self.nodes.len()];
        let mut queue: VecDeque<(usize, usize)> = VecDeque::new();
        let mut out = Vec::new();
        for &s in starts {
            if !seen[s] {
                seen[s] = true;
                queue.push_back((s, 0));
            }
        }
        while let Some((at, d)) = queue.pop_front() {
            out.push(Reached {
                node: at,
                depth: sign * d as i32,
            });
            if d == depth {
                continue;
            }
            for next in self.neighbours(at, direction) {
                if !seen[next] && keep(&self.nodes[next]) {
                    seen[next] = true;
                    queue.push_back((next, d + 1));
                }
            }
        }
        out
    }

    fn neighbours(&self, at: usize, direction: Direction) -> impl Iterator<Item = usize> + '_ {
        let (list, pick): (&Vec<usize>, fn(&Edge) -> usize) = match direction {
            Direction::Down => (&self.out[at], |e| e.to),
            Direction::Up => (&self.inc[at], |e| e.from),
        };
        list.iter().map(move |&e| pick(&self.edges[e]))
    }

    /// Follows one column downstream: through dbt models that compute columns from it, to the
    /// Hex cells that read it or a column computed from it.
    pub fn column_users(&self, start: usize, column: &str, depth: usize) -> Vec<ColumnUse> {
        let mut seen: HashMap<(usize, String), ()> = HashMap::new();
        let mut queue = VecDeque::from([(start, column.to_string(), 0usize, None)]);
        let mut out = Vec::new();
        while let Some((at, col, d, via)) = queue.pop_front() {
            if d == depth {
                continue;
            }
            for edge in self.outgoing(at) {
                for (from_col, to_col) in &edge.columns {
                    if !from_col.eq_ignore_ascii_case(&col) {
                        continue;
                    }
                    if seen.insert((edge.to, to_col.clone()), ()).is_some() {
                        continue;
                    }
                    out.push(ColumnUse {
                        node: edge.to,
                        column: to_col.clone(),
                        depth: d as i32 + 1,
                        via,
                    });
                    let through = if self.nodes[edge.to].kind.is_dbt() {
                        Some(edge.to)
                    } else {
                        via
                    };
                    queue.push_back((edge.to, to_col.clone(), d + 1, through));
                }
            }
        }
        out
    }
}

/// The whole graph as exported: edges name their nodes by id, so the file stands alone.
#[derive(Debug, Serialize)]
pub struct Export<'g> {
    /// Every node.
    pub nodes: &'g [Node],
    /// Every edge.
    pub edges: Vec<ExportEdge<'g>>,
}

/// An edge of an [`Export`].
#[derive(Debug, Serialize)]
pub struct ExportEdge<'g> {
    /// Upstream node id.
    pub from: &'g str,
    /// Downstream node id.
    pub to: &'g str,
    /// What it is.
    pub kind: EdgeKind,
    /// (upstream column, downstream column) pairs.
    pub columns: &'g [(String, String)],
    /// For reads.
    pub evidence: Evidence,
}

impl Graph {
    /// The graph for a JSON file or response.
    pub fn export(&self) -> Export<'_> {
        Export {
            nodes: &self.nodes,
            edges: self
                .edges
                .iter()
                .map(|e| ExportEdge {
                    from: &self.nodes[e.from].id,
                    to: &self.nodes[e.to].id,
                    kind: e.kind,
                    columns: &e.columns,
                    evidence: e.evidence,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// source → stg → mart → cell → project, plus a table only Hex reads.
    fn sample() -> (Graph, [usize; 6]) {
        let mut g = Graph::default();
        let src = g.add_node(
            "dbt:wh:source.shop.raw.orders",
            NodeKind::Source,
            "raw.orders",
        );
        let stg = g.add_node(
            "dbt:wh:model.shop.stg_orders",
            NodeKind::Model,
            "stg_orders",
        );
        let mart = g.add_node("dbt:wh:model.shop.orders", NodeKind::Model, "orders");
        let cell = g.add_node("cell:p:c", NodeKind::HexCell, "Revenue");
        let project = g.add_node("hex:p", NodeKind::HexProject, "Dashboard");
        let other = g.add_node("table:wh:wh.scratch.t", NodeKind::Table, "t");
        g.add_edge(src, stg, EdgeKind::Dbt).columns = vec![
            ("amount_cents".into(), "amount".into()),
            ("id".into(), "order_id".into()),
        ];
        g.add_edge(stg, mart, EdgeKind::Dbt).columns = vec![
            ("amount".into(), "revenue".into()),
            ("amount".into(), "amount".into()),
        ];
        g.add_edge(mart, cell, EdgeKind::Reads).columns =
            vec![("revenue".into(), "revenue".into())];
        g.add_edge(other, cell, EdgeKind::Reads);
        g.add_edge(cell, project, EdgeKind::Contains);
        (g, [src, stg, mart, cell, project, other])
    }

    #[test]
    fn walks_are_breadth_first_bounded_and_filtered() {
        let (g, [src, stg, mart, cell, project, other]) = sample();
        let down = g.walk(&[src], Direction::Down, 2, |_| true);
        assert_eq!(
            down.iter().map(|r| (r.node, r.depth)).collect::<Vec<_>>(),
            [(src, 0), (stg, 1), (mart, 2)]
        );
        let up = g.walk(&[project], Direction::Up, 9, |_| true);
        assert_eq!(up.len(), 6);
        assert!(up.contains(&Reached {
            node: other,
            depth: -2
        }));
        assert!(up.contains(&Reached {
            node: src,
            depth: -4
        }));
        let no_tables = g.walk(&[cell], Direction::Up, 9, |n| n.kind != NodeKind::Table);
        assert!(!no_tables.iter().any(|r| r.node == other));
        assert_eq!(
            g.walk(&[mart], Direction::Down, 9, |_| true)
                .last()
                .unwrap()
                .node,
            project
        );
    }

    #[test]
    fn a_column_is_followed_through_models_to_the_cells_that_use_it() {
        let (g, [src, stg, mart, cell, ..]) = sample();
        let uses = g.column_users(src, "AMOUNT_CENTS", 9);
        let seen: Vec<(usize, &str, Option<usize>)> = uses
            .iter()
            .map(|u| (u.node, u.column.as_str(), u.via))
            .collect();
        assert_eq!(
            seen,
            [
                (stg, "amount", None),
                (mart, "revenue", Some(stg)),
                (mart, "amount", Some(stg)),
                (cell, "revenue", Some(mart)),
            ]
        );
        assert!(g.column_users(src, "id", 9).iter().all(|u| u.node == stg));
    }

    #[test]
    fn nodes_and_edges_are_not_added_twice() {
        let (mut g, [src, stg, ..]) = sample();
        let again = g.add_node("dbt:wh:model.shop.stg_orders", NodeKind::Model, "x");
        assert_eq!(again, stg);
        g.add_edge(src, stg, EdgeKind::Dbt);
        assert_eq!(g.edges().len(), 5);
    }
}
