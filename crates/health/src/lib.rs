//! Health of every Hex project and cell, derived from everything upstream of what it reads.
//!
//! A cell is as healthy as the worst problem among the dbt nodes it reads, directly or
//! through any number of models: a failing or erroring test, a failed build, a late source
//! fail it; a warning test or a source past its warning make it a warning. A column test on
//! a table the cell reads directly counts only when the cell reads that column. Each problem
//! comes with its path, cell → table → … → the node with the problem, and since when.
//!
//! Pure computation over the lineage graph and the current problems the store reads.
#![deny(missing_docs)]

use model::graph::{EdgeKind, Graph, NodeKind};
use model::health::Problem;
use model::hex::RunContext;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// How Hex work stands, worst first (so sorting puts it on top).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Something upstream is wrong: the numbers may be.
    Failing,
    /// Something upstream is worth a look.
    Warning,
    /// Nothing upstream is known to be wrong.
    Healthy,
}

impl Health {
    /// `failing`, `warning`, `healthy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Failing => "failing",
            Health::Warning => "warning",
            Health::Healthy => "healthy",
        }
    }

    fn of(problem: &Problem) -> Health {
        if problem.kind.is_failure() {
            Health::Failing
        } else {
            Health::Warning
        }
    }
}

/// One node on the way from Hex work to a problem.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// Graph node id (`cell:…`, `dbt:…`, `table:…`).
    pub id: String,
    /// Its name as pages show it.
    pub label: String,
    /// What it is.
    pub kind: NodeKind,
}

/// A problem upstream of a cell, and how the cell reaches it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// What is wrong, and since when.
    pub problem: Problem,
    /// From the cell to the node with the problem, both included.
    pub path: Vec<Step>,
    /// What it makes of the cell.
    pub health: Health,
}

/// One cell and what is wrong upstream of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CellHealth {
    /// Graph node id, `cell:<project>:<cell>`.
    pub id: String,
    /// Its label.
    pub label: String,
    /// The worst of its findings.
    pub health: Health,
    /// Worst first.
    pub findings: Vec<Finding>,
}

/// One Hex project: its health is its worst cell's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProjectHealth {
    /// The Hex project id.
    pub project_id: String,
    /// Its title.
    pub title: String,
    /// Its link in Hex, where known.
    pub url: Option<String>,
    /// Its owner, from the Hex API.
    pub owner: Option<String>,
    /// Whether it ran within the activity window.
    pub live: bool,
    /// Its runs, all contexts.
    pub runs: i64,
    /// Its app views, per query history.
    pub app_views: i64,
    /// The worst of its cells.
    pub health: Health,
    /// Distinct problems upstream of any of its cells.
    pub problems: usize,
    /// Unhealthy cells first.
    pub cells: Vec<CellHealth>,
}

/// How far upstream to look: deeper than any dbt project's chain of models.
const DEPTH: usize = 64;

/// Every Hex project's health, failing live work with the most app views first.
pub fn assess(graph: &Graph, problems: &[Problem]) -> Vec<ProjectHealth> {
    let mut at_node: HashMap<usize, Vec<&Problem>> = HashMap::new();
    for problem in problems {
        let id = format!("dbt:{}:{}", problem.connection, problem.node_id);
        if let Some(at) = graph.find(&id) {
            at_node.entry(at).or_default().push(problem);
        }
    }
    let mut projects: Vec<ProjectHealth> = graph
        .nodes()
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == NodeKind::HexProject)
        .map(|(at, _)| project(graph, at, &at_node))
        .collect();
    projects.sort_by(|a, b| {
        (a.health, !a.live, -a.app_views, -a.runs, &a.title).cmp(&(
            b.health,
            !b.live,
            -b.app_views,
            -b.runs,
            &b.title,
        ))
    });
    projects
}

fn project(graph: &Graph, at: usize, problems: &HashMap<usize, Vec<&Problem>>) -> ProjectHealth {
    let node = graph.node(at);
    // Its cells, and the project itself for what Hex says it reads without naming a cell.
    let mut starts: Vec<usize> = graph
        .incoming(at)
        .filter(|e| e.kind == EdgeKind::Contains)
        .map(|e| e.from)
        .collect();
    starts.push(at);
    let mut cells: Vec<CellHealth> = starts
        .into_iter()
        .map(|start| cell(graph, start, problems))
        .filter(|c| c.id != node.id || !c.findings.is_empty())
        .collect();
    cells.sort_by(|a, b| (a.health, &a.label).cmp(&(b.health, &b.label)));
    let mut distinct: Vec<(&str, &str, &str)> = cells
        .iter()
        .flat_map(|c| &c.findings)
        .map(|f| {
            (
                f.problem.node_id.as_str(),
                f.problem.name.as_str(),
                f.problem.connection.as_str(),
            )
        })
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let activity = node.activity.clone().unwrap_or_default();
    ProjectHealth {
        project_id: node.id.trim_start_matches("hex:").to_string(),
        title: node.label.clone(),
        url: node.external_url.clone(),
        owner: node.detail.clone(),
        live: activity.live,
        runs: activity.runs_by_context.values().sum(),
        app_views: activity
            .runs_by_context
            .get(&RunContext::AppView)
            .copied()
            .unwrap_or(0),
        health: cells
            .iter()
            .map(|c| c.health)
            .min()
            .unwrap_or(Health::Healthy),
        problems: distinct.len(),
        cells,
    }
}

fn cell(graph: &Graph, start: usize, problems: &HashMap<usize, Vec<&Problem>>) -> CellHealth {
    let parents = upstream(graph, start);
    let mut findings = Vec::new();
    for (&at, _) in parents.iter() {
        let Some(here) = problems.get(&at) else {
            continue;
        };
        for problem in here {
            if !reads_tested_column(graph, start, at, problem) {
                continue;
            }
            findings.push(Finding {
                problem: (*problem).clone(),
                path: path(graph, &parents, start, at),
                health: Health::of(problem),
            });
        }
    }
    findings.sort_by(|a, b| {
        (a.health, a.problem.kind, a.path.len(), &a.problem.name).cmp(&(
            b.health,
            b.problem.kind,
            b.path.len(),
            &b.problem.name,
        ))
    });
    let node = graph.node(start);
    CellHealth {
        id: node.id.clone(),
        label: node.label.clone(),
        health: findings.first().map_or(Health::Healthy, |f| f.health),
        findings,
    }
}

/// Every node upstream of `start` through reads and dbt edges, each with the node one step
/// closer to `start` (`start` maps to itself).
fn upstream(graph: &Graph, start: usize) -> HashMap<usize, usize> {
    let mut parents = HashMap::from([(start, start)]);
    let mut queue = VecDeque::from([(start, 0usize)]);
    while let Some((at, depth)) = queue.pop_front() {
        if depth == DEPTH {
            continue;
        }
        for edge in graph.incoming(at).filter(|e| e.kind != EdgeKind::Contains) {
            if let std::collections::hash_map::Entry::Vacant(slot) = parents.entry(edge.from) {
                slot.insert(at);
                queue.push_back((edge.from, depth + 1));
            }
        }
    }
    parents
}

fn path(graph: &Graph, parents: &HashMap<usize, usize>, start: usize, end: usize) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut at = end;
    loop {
        let node = graph.node(at);
        steps.push(Step {
            id: node.id.clone(),
            label: node.label.clone(),
            kind: node.kind,
        });
        if at == start {
            break;
        }
        at = parents[&at];
    }
    steps.reverse();
    steps
}

/// A column test on a table the cell reads directly matters only when the cell reads that
/// column (when the read's columns are known); deeper upstream, any column may flow on.
fn reads_tested_column(graph: &Graph, start: usize, at: usize, problem: &Problem) -> bool {
    let Some(column) = &problem.column else {
        return true;
    };
    let Some(read) = graph
        .outgoing(at)
        .find(|e| e.to == start && e.kind == EdgeKind::Reads)
    else {
        return true;
    };
    read.columns.is_empty()
        || read
            .columns
            .iter()
            .any(|(from, _)| from.eq_ignore_ascii_case(column))
}
