//! Health of Hex work from everything upstream (the `health` crate's assessment over the
//! cached lineage graph and the store's current problems): the JSON API, and what the Hex
//! pages show.

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::Json;
use health::ProjectHealth;
use serde::Deserialize;

impl AppState {
    /// Every Hex project's health, worst first.
    pub(crate) async fn health(&self) -> Result<Vec<ProjectHealth>, AppError> {
        let graph = self.graph().await?;
        let problems = self.store.current_problems().await?;
        Ok(health::assess(&graph, &problems))
    }
}

/// `?project=ID` keeps one project.
#[derive(Deserialize)]
pub struct HealthQuery {
    project: Option<String>,
}

/// `GET /api/health`: every Hex project (or one) with its health, each problem's path from
/// the cell and since when.
pub(crate) async fn api(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<HealthQuery>,
) -> Result<Json<Vec<ProjectHealth>>, ApiError> {
    let mut projects = s.health().await?;
    if let Some(id) = q.project {
        projects.retain(|p| p.project_id == id);
        if projects.is_empty() {
            return Err(ApiError(AppError::NotFound(format!(
                "no Hex project {id:?} in the lineage graph"
            ))));
        }
    }
    Ok(Json(projects))
}

/// One problem on a project page: what, where, since when, and which cells it reaches.
pub struct WhyRow {
    /// `failing test`, `late source`, ….
    pub what: &'static str,
    /// Badge class: `fail` or `warn`.
    pub class: &'static str,
    /// The test or node name, with its column.
    pub name: String,
    /// Cell → table → … → the node, by label.
    pub path: String,
    /// Since when, as a timestamp.
    pub since: String,
    /// dbt's message.
    pub message: String,
    /// The cells it reaches.
    pub cells: String,
}

/// A project's badge (class, text) and its problems, one row each however many cells they
/// reach, worst first.
pub(crate) fn why(project: &ProjectHealth) -> ((&'static str, &'static str), Vec<WhyRow>) {
    let badge = crate::hex_pages::health_badge(project.health);
    let mut rows: Vec<(health::Finding, Vec<String>)> = Vec::new();
    for cell in &project.cells {
        for finding in &cell.findings {
            let same = |f: &health::Finding| {
                f.problem.node_id == finding.problem.node_id
                    && f.problem.name == finding.problem.name
                    && f.problem.connection == finding.problem.connection
            };
            match rows.iter_mut().find(|(f, _)| same(f)) {
                Some((_, cells)) => cells.push(cell.label.clone()),
                None => rows.push((finding.clone(), vec![cell.label.clone()])),
            }
        }
    }
    rows.sort_by_key(|a| (a.0.health, a.0.problem.kind));
    let rows = rows
        .into_iter()
        .map(|(f, cells)| WhyRow {
            what: f.problem.kind.describe(),
            class: if f.health == health::Health::Failing {
                "fail"
            } else {
                "warn"
            },
            name: match &f.problem.column {
                Some(c) => format!("{} (column {c})", f.problem.name),
                None => f.problem.name.clone(),
            },
            path: f
                .path
                .iter()
                .map(|s| s.label.as_str())
                .collect::<Vec<_>>()
                .join(" → "),
            since: f
                .problem
                .since
                .as_deref()
                .map(crate::format::timestamp)
                .unwrap_or_default(),
            message: f.problem.message.clone().unwrap_or_default(),
            cells: cells.join(", "),
        })
        .collect();
    (badge, rows)
}
