//! From changes to what they reach on the lineage graph: the dbt nodes downstream, and the
//! Hex cells and projects that break or are affected.

use crate::changes::{Change, ChangeSet, NodeChange};
use model::graph::{ColumnUse, Direction, EdgeKind, Graph, Node, NodeKind};
use model::ColumnEdge;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// How far walks go: deeper than any real project.
const DEPTH: usize = 64;

/// Why a Hex cell or project is in the report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Reason {
    /// Whether this change breaks it.
    pub breaking: bool,
    /// The changed node's name.
    pub node: String,
    /// `removed`, `modified`, `dropped` or `renamed`.
    pub change: &'static str,
    /// The changed column, for dropped and renamed ones.
    pub column: Option<String>,
    /// The new name of a renamed column.
    pub renamed_to: Option<String>,
    /// The column the cell reads that comes from it.
    pub uses: Option<String>,
    /// Models between the change and the cell, nearest the change first (for a cell that is
    /// only affected: the relations it reads downstream of the change).
    pub through: Vec<String>,
}

/// A Hex cell (or a project Hex says reads something, when no cell is known).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HexImpact {
    /// Project title.
    pub project: String,
    /// Hex project id.
    pub project_id: String,
    /// Cell label; none for a project-level read.
    pub cell: Option<String>,
    /// Its page in Hex (https only).
    pub url: Option<String>,
    /// Ran within the activity window.
    pub live: bool,
    /// Some change breaks it.
    pub breaking: bool,
    /// Each change that reaches it.
    pub reasons: Vec<Reason>,
}

/// A dbt node downstream of a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbtImpact {
    /// dbt's `unique_id`.
    pub unique_id: String,
    /// Its name.
    pub name: String,
    /// `model`, `snapshot`, …
    pub kind: &'static str,
    /// Edges from the nearest change.
    pub depth: i32,
    /// It reads a removed node.
    pub breaking: bool,
    /// Its columns computed from dropped or renamed ones: `column ← node.column`.
    pub columns: Vec<String>,
}

/// Everything a change reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The connection whose synced project was compared.
    pub connection: String,
    /// What changed.
    pub changes: Vec<NodeChange>,
    /// Hex cells and projects reached, breaking ones first.
    pub hex: Vec<HexImpact>,
    /// dbt nodes downstream, nearest first.
    pub dbt: Vec<DbtImpact>,
    /// What limits the analysis.
    pub notes: Vec<String>,
    /// Whether anything breaks: a Hex cell using a dropped or renamed column, or anything
    /// reading a removed node.
    pub breaking: bool,
}

impl Report {
    /// Hex entries that break.
    pub fn broken(&self) -> impl Iterator<Item = &HexImpact> {
        self.hex.iter().filter(|h| h.breaking)
    }

    /// Hex entries reached without breaking.
    pub fn affected(&self) -> impl Iterator<Item = &HexImpact> {
        self.hex.iter().filter(|h| !h.breaking)
    }
}

/// Walks downstream of every change. `graph` must hold the connection's dbt nodes with
/// column pairs on their edges (see [`add_column_pairs`]).
pub fn analyze(graph: &Graph, connection: &str, set: ChangeSet) -> Report {
    let mut found = Found::default();
    let mut notes = set.notes;
    for change in &set.changes {
        let id = format!("dbt:{connection}:{}", change.unique_id);
        let Some(start) = graph.find(&id) else {
            notes.push(format!(
                "{}: not on the lineage graph of {connection} (ephemeral, or not synced): nothing downstream is known",
                change.unique_id
            ));
            continue;
        };
        found.downstream(graph, start, change);
        if change.change == Change::Removed {
            found.readers(graph, start, change);
        }
        for column in &change.dropped {
            found.column_users(graph, start, change, column, None);
        }
        for rename in &change.renamed {
            found.column_users(graph, start, change, &rename.from, Some(&rename.to));
        }
    }
    found.into_report(graph, connection, set.changes, notes)
}

/// Puts the stored column lineage on the graph's dbt edges where the graph has none, so the
/// walk follows columns through models whichever way the graph was built.
pub fn add_column_pairs(graph: &mut Graph, connection: &str, lineage: &[ColumnEdge]) {
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for (at, node) in graph.nodes().iter().enumerate() {
        if node.connection.as_deref() != Some(connection) {
            continue;
        }
        if let Some(key) = node.table_key.as_deref() {
            // A dbt node wins over a table node of the same relation.
            if node.kind.is_dbt() || !by_key.contains_key(key) {
                by_key.insert(key, at);
            }
        }
    }
    let by_key: HashMap<String, usize> = by_key
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for e in lineage {
        let child = graph.find(&format!("dbt:{connection}:{}", e.node_id));
        let parent = by_key.get(&e.parent_key).copied();
        let (Some(parent), Some(child)) = (parent, child) else {
            continue;
        };
        if parent == child {
            continue;
        }
        let pair = (e.parent_column.clone(), e.column.clone());
        let edge = graph.add_edge(parent, child, EdgeKind::Dbt);
        if !edge.columns.contains(&pair) {
            edge.columns.push(pair);
        }
    }
}

/// What the walks found, by graph node.
#[derive(Default)]
struct Found {
    hex: HashMap<usize, BTreeSet<Reason>>,
    dbt: HashMap<usize, DbtImpact>,
}

impl Found {
    /// Everything downstream is affected; Hex work it reaches learns which relations it reads
    /// on the way.
    fn downstream(&mut self, graph: &Graph, start: usize, change: &NodeChange) {
        let reached = graph.walk(&[start], Direction::Down, DEPTH, |_| true);
        let inside: BTreeSet<usize> = reached.iter().map(|r| r.node).collect();
        for r in reached.iter().filter(|r| r.depth > 0) {
            let node = graph.node(r.node);
            if node.kind.is_dbt() {
                self.dbt_entry(graph, r.node, r.depth);
                continue;
            }
            let reads: Vec<String> = graph
                .incoming(r.node)
                .filter(|e| e.kind == EdgeKind::Reads && inside.contains(&e.from))
                .map(|e| graph.node(e.from).label.clone())
                .collect();
            // A project reached only through its cells is reported through them.
            if reads.is_empty() {
                continue;
            }
            self.reason(r.node, reason(change, change_word(change), false, reads));
        }
    }

    /// Whatever reads a removed node directly breaks.
    fn readers(&mut self, graph: &Graph, start: usize, change: &NodeChange) {
        let readers: Vec<usize> = graph.outgoing(start).map(|e| e.to).collect();
        for at in readers {
            if graph.node(at).kind.is_hex() {
                self.reason(at, reason(change, "removed", true, Vec::new()));
            } else if graph.node(at).kind.is_dbt() {
                self.dbt_entry(graph, at, 1).breaking = true;
            }
        }
    }

    /// Hex work using a lost column, directly or through models computing from it, breaks.
    fn column_users(
        &mut self,
        graph: &Graph,
        start: usize,
        change: &NodeChange,
        column: &str,
        renamed_to: Option<&str>,
    ) {
        let uses = graph.column_users(start, column, DEPTH);
        let mut first: HashMap<usize, &ColumnUse> = HashMap::new();
        for u in &uses {
            first.entry(u.node).or_insert(u);
        }
        for u in &uses {
            let node = graph.node(u.node);
            if node.kind.is_hex() {
                let mut r = reason(
                    change,
                    if renamed_to.is_some() {
                        "renamed"
                    } else {
                        "dropped"
                    },
                    true,
                    chain(graph, start, u.via, &first),
                );
                r.column = Some(column.to_string());
                r.renamed_to = renamed_to.map(str::to_string);
                r.uses = Some(u.column.clone());
                self.reason(u.node, r);
            } else if node.kind.is_dbt() {
                let entry = self.dbt_entry(graph, u.node, u.depth);
                let line = format!("{} ← {}.{column}", u.column, change.name);
                if !entry.columns.contains(&line) {
                    entry.columns.push(line);
                }
            }
        }
    }

    fn reason(&mut self, at: usize, reason: Reason) {
        self.hex.entry(at).or_default().insert(reason);
    }

    fn dbt_entry(&mut self, graph: &Graph, at: usize, depth: i32) -> &mut DbtImpact {
        let entry = self.dbt.entry(at).or_insert_with(|| {
            let node = graph.node(at);
            DbtImpact {
                unique_id: node.unique_id.clone().unwrap_or_else(|| node.id.clone()),
                name: node.label.clone(),
                kind: node.kind.as_str(),
                depth,
                breaking: false,
                columns: Vec::new(),
            }
        });
        entry.depth = entry.depth.min(depth);
        entry
    }

    fn into_report(
        self,
        graph: &Graph,
        connection: &str,
        changes: Vec<NodeChange>,
        notes: Vec<String>,
    ) -> Report {
        let changed: BTreeSet<&str> = changes.iter().map(|c| c.unique_id.as_str()).collect();
        let mut hex: Vec<HexImpact> = self
            .hex
            .into_iter()
            .map(|(at, reasons)| hex_impact(graph, at, reasons))
            .collect();
        hex.sort_by(|a, b| {
            (!a.breaking, &a.project, &a.cell).cmp(&(!b.breaking, &b.project, &b.cell))
        });
        let mut dbt: Vec<DbtImpact> = self
            .dbt
            .into_values()
            .filter(|d| !changed.contains(d.unique_id.as_str()))
            .collect();
        dbt.sort_by(|a, b| (a.depth, &a.name).cmp(&(b.depth, &b.name)));
        let breaking = hex.iter().any(|h| h.breaking) || dbt.iter().any(|d| d.breaking);
        Report {
            connection: connection.to_string(),
            changes,
            hex,
            dbt,
            notes,
            breaking,
        }
    }
}

fn reason(change: &NodeChange, word: &'static str, breaking: bool, through: Vec<String>) -> Reason {
    Reason {
        breaking,
        node: change.name.clone(),
        change: word,
        column: None,
        renamed_to: None,
        uses: None,
        through,
    }
}

fn change_word(change: &NodeChange) -> &'static str {
    match change.change {
        Change::Removed => "removed",
        Change::Modified => "modified",
    }
}

/// The models a column came through, nearest the change first, from each use's `via`.
fn chain(
    graph: &Graph,
    start: usize,
    mut via: Option<usize>,
    first: &HashMap<usize, &ColumnUse>,
) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(at) = via.filter(|&at| at != start) {
        if out.len() > DEPTH {
            break;
        }
        out.push(graph.node(at).label.clone());
        via = first.get(&at).and_then(|u| u.via);
    }
    out.reverse();
    out
}

/// A cell's entry: its project, link and activity. Non-breaking reasons of a change that
/// also breaks it say nothing more and are left out.
fn hex_impact(graph: &Graph, at: usize, reasons: BTreeSet<Reason>) -> HexImpact {
    let node = graph.node(at);
    let project_at = match node.kind {
        NodeKind::HexCell => graph
            .outgoing(at)
            .find(|e| e.kind == EdgeKind::Contains)
            .map(|e| e.to),
        _ => Some(at),
    };
    let project = project_at.map(|p| graph.node(p));
    let breaking_nodes: BTreeSet<String> = reasons
        .iter()
        .filter(|r| r.breaking)
        .map(|r| r.node.clone())
        .collect();
    let reasons: Vec<Reason> = reasons
        .into_iter()
        .filter(|r| r.breaking || !breaking_nodes.contains(&r.node))
        .collect();
    let live = |n: &Node| n.activity.as_ref().map(|a| a.live);
    HexImpact {
        project: project.map(|p| p.label.clone()).unwrap_or_default(),
        project_id: project
            .and_then(|p| p.id.strip_prefix("hex:"))
            .unwrap_or_default()
            .to_string(),
        cell: (node.kind == NodeKind::HexCell).then(|| node.label.clone()),
        url: [Some(node), project]
            .into_iter()
            .flatten()
            .filter_map(|n| n.external_url.clone())
            .find(|u| u.starts_with("https://")),
        live: live(node)
            .or_else(|| project.and_then(live))
            .unwrap_or(false),
        breaking: !breaking_nodes.is_empty(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::super::changes::Rename;
    use super::*;
    use model::graph::Activity;

    fn change(id: &str, change: Change) -> NodeChange {
        NodeChange {
            unique_id: id.into(),
            name: id.rsplit('.').next().unwrap().into(),
            kind: "model".into(),
            change,
            dropped: Vec::new(),
            added: Vec::new(),
            renamed: Vec::new(),
            columns_from: None,
        }
    }

    /// stg_payments → fct_payments → customer_ltv → two cells of one project; fct_payments
    /// → a cell of another; an unrelated leaf model.
    fn graph() -> Graph {
        let mut g = Graph::default();
        let dbt = |g: &mut Graph, name: &str| {
            let at = g.add_node(&format!("dbt:wh:model.p.{name}"), NodeKind::Model, name);
            let node = g.node_mut(at);
            node.unique_id = Some(format!("model.p.{name}"));
            node.connection = Some("wh".into());
            node.table_key = Some(format!("db.s.{name}"));
            at
        };
        let stg = dbt(&mut g, "stg_payments");
        let fct = dbt(&mut g, "fct_payments");
        let ltv = dbt(&mut g, "customer_ltv");
        dbt(&mut g, "leaf");
        g.add_edge(stg, fct, EdgeKind::Dbt);
        g.add_edge(fct, ltv, EdgeKind::Dbt);
        let hex = |g: &mut Graph, project: &str, cell: &str, live: bool| {
            let p = g.add_node(&format!("hex:{project}"), NodeKind::HexProject, project);
            g.node_mut(p).external_url = Some(format!("https://app.hex.tech/w/hex/{project}"));
            let c = g.add_node(&format!("cell:{project}:{cell}"), NodeKind::HexCell, cell);
            g.node_mut(c).activity = Some(Activity {
                live,
                ..Activity::default()
            });
            g.add_edge(c, p, EdgeKind::Contains);
            c
        };
        let tiers = hex(&mut g, "LTV", "tiers", true);
        let top = hex(&mut g, "LTV", "top", false);
        let revenue = hex(&mut g, "Revenue", "by method", true);
        g.add_edge(ltv, tiers, EdgeKind::Reads).columns =
            vec![("net_ltv".into(), "net_ltv".into())];
        g.add_edge(ltv, top, EdgeKind::Reads).columns =
            vec![("full_name".into(), "full_name".into())];
        g.add_edge(fct, revenue, EdgeKind::Reads).columns =
            vec![("net_amount".into(), "net_amount".into())];
        let lineage = [
            ("fct_payments", "net_amount", "stg_payments", "amount"),
            ("customer_ltv", "net_ltv", "fct_payments", "net_amount"),
        ]
        .map(|(node, column, parent, parent_column)| ColumnEdge {
            node_id: format!("model.p.{node}"),
            column: column.into(),
            parent_key: format!("db.s.{parent}"),
            parent_column: parent_column.into(),
        });
        add_column_pairs(&mut g, "wh", &lineage);
        g
    }

    #[test]
    fn a_renamed_column_breaks_the_cells_that_use_it_and_no_others() {
        let mut c = change("model.p.customer_ltv", Change::Modified);
        c.renamed.push(Rename {
            from: "net_ltv".into(),
            to: "lifetime_value".into(),
        });
        let report = analyze(
            &graph(),
            "wh",
            ChangeSet {
                changes: vec![c],
                notes: vec![],
            },
        );
        assert!(report.breaking);
        let broken: Vec<_> = report.broken().collect();
        assert_eq!(broken.len(), 1);
        assert_eq!(
            (broken[0].project.as_str(), broken[0].cell.as_deref()),
            ("LTV", Some("tiers"))
        );
        assert!(broken[0].live);
        assert_eq!(
            broken[0].url.as_deref(),
            Some("https://app.hex.tech/w/hex/LTV")
        );
        let why = &broken[0].reasons[0];
        assert_eq!(
            (
                why.change,
                why.column.as_deref(),
                why.renamed_to.as_deref(),
                why.uses.as_deref()
            ),
            (
                "renamed",
                Some("net_ltv"),
                Some("lifetime_value"),
                Some("net_ltv")
            )
        );
        let affected: Vec<_> = report.affected().map(|h| h.cell.as_deref()).collect();
        assert_eq!(affected, [Some("top")]);
        assert!(report.dbt.is_empty());
    }

    #[test]
    fn a_dropped_upstream_column_breaks_through_the_models_computing_from_it() {
        let mut c = change("model.p.stg_payments", Change::Modified);
        c.dropped.push("amount".into());
        let report = analyze(
            &graph(),
            "wh",
            ChangeSet {
                changes: vec![c],
                notes: vec![],
            },
        );
        let broken: Vec<(&str, Vec<String>)> = report
            .broken()
            .map(|h| (h.cell.as_deref().unwrap(), h.reasons[0].through.clone()))
            .collect();
        assert_eq!(
            broken,
            [
                (
                    "tiers",
                    vec!["fct_payments".to_string(), "customer_ltv".to_string()]
                ),
                ("by method", vec!["fct_payments".to_string()]),
            ]
        );
        let dbt: Vec<(&str, i32, &[String])> = report
            .dbt
            .iter()
            .map(|d| (d.name.as_str(), d.depth, d.columns.as_slice()))
            .collect();
        assert_eq!(
            dbt,
            [
                (
                    "fct_payments",
                    1,
                    &["net_amount ← stg_payments.amount".to_string()][..]
                ),
                (
                    "customer_ltv",
                    2,
                    &["net_ltv ← stg_payments.amount".to_string()][..]
                ),
            ]
        );
    }

    #[test]
    fn a_removed_model_breaks_its_readers_and_a_modified_leaf_breaks_nothing() {
        let report = analyze(
            &graph(),
            "wh",
            ChangeSet {
                changes: vec![change("model.p.fct_payments", Change::Removed)],
                notes: vec![],
            },
        );
        assert!(report.breaking);
        assert!(report
            .dbt
            .iter()
            .any(|d| d.name == "customer_ltv" && d.breaking));
        assert_eq!(report.broken().count(), 1, "{:?}", report.hex);
        assert_eq!(report.affected().count(), 2);

        let leaf = analyze(
            &graph(),
            "wh",
            ChangeSet {
                changes: vec![change("model.p.leaf", Change::Modified)],
                notes: vec![],
            },
        );
        assert!(!leaf.breaking && leaf.hex.is_empty() && leaf.dbt.is_empty());
        let missing = analyze(
            &graph(),
            "wh",
            ChangeSet {
                changes: vec![change("model.p.ephemeral", Change::Modified)],
                notes: vec![],
            },
        );
        assert_eq!(missing.notes.len(), 1);
    }
}
