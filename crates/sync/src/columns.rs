//! Column lineage of dbt models and snapshots: each output column and the input columns it is
//! computed from, read from the node's compiled SQL by the lineage engine. Pure and
//! synchronous, so `downstream impact` runs it on a manifest that was never synced.
//!
//! Ephemeral models need nothing special: dbt inlines them into their children's compiled SQL
//! as CTEs, so a child's columns trace through them to real relations.

use crate::reads::table_key;
use dbt::CompiledSql;
use model::{ColumnEdge, DbtNode, DbtProject, RelationName, WarehouseKind};
use sql::{Catalog, Dialect, Options};
use std::collections::HashMap;

/// One output column of a node and the columns it is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputColumn {
    /// The column as the warehouse names it.
    pub name: String,
    /// `(relation key, column)` of each input column, sorted.
    pub sources: Vec<(String, String)>,
}

/// What one node's compiled SQL yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeColumns {
    /// The node's `unique_id`.
    pub node_id: String,
    /// Its output columns in select order (empty when the SQL did not parse).
    pub columns: Vec<OutputColumn>,
    /// Why the SQL could not be read, when it could not.
    pub error: Option<String>,
}

/// Parses every node's compiled SQL on all cores, with the project's own columns as the
/// catalog. Each text is dropped as soon as it is parsed, so at most one per thread is alive
/// beyond the list the caller handed over.
pub fn analyze(
    project: &DbtProject,
    compiled: Vec<CompiledSql>,
    kind: WarehouseKind,
) -> Vec<NodeColumns> {
    let catalog = catalog_of(project, Dialect::from(kind), &HashMap::new());
    analyze_with(project, compiled, kind, &catalog)
}

/// [`analyze`] with a catalog of the caller's.
pub fn analyze_with(
    project: &DbtProject,
    compiled: Vec<CompiledSql>,
    kind: WarehouseKind,
    catalog: &Catalog,
) -> Vec<NodeColumns> {
    let relations: HashMap<&str, &RelationName> = project
        .nodes
        .iter()
        .filter_map(|n| Some((n.unique_id.as_str(), n.relation.as_ref()?)))
        .collect();
    crate::parallel::map(compiled, crate::parallel::cores(), |node| {
        let relation = relations.get(node.unique_id.as_str()).copied();
        node_columns(node, relation, kind, catalog)
    })
}

/// Every `(node, column) ← (parent, column)` pair, sorted and without repeats.
pub fn edges(nodes: &[NodeColumns]) -> Vec<ColumnEdge> {
    let mut out: Vec<ColumnEdge> = nodes
        .iter()
        .flat_map(|n| {
            n.columns.iter().flat_map(move |c| {
                c.sources.iter().map(move |(key, column)| ColumnEdge {
                    node_id: n.node_id.clone(),
                    column: c.name.clone(),
                    parent_key: key.clone(),
                    parent_column: column.clone(),
                })
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Fills `project.column_lineage` from the compiled SQL, and adds one warning naming the nodes
/// whose SQL the engine could not read (their columns have no lineage; nothing else changes).
pub fn add_column_lineage(
    project: &mut DbtProject,
    compiled: Vec<CompiledSql>,
    kind: WarehouseKind,
) {
    let nodes = analyze(project, compiled, kind);
    project.column_lineage = edges(&nodes);
    if let Some(warning) = parse_warning(&nodes) {
        project.warnings.push(warning);
    }
}

fn parse_warning(nodes: &[NodeColumns]) -> Option<String> {
    let failed: Vec<&NodeColumns> = nodes.iter().filter(|n| n.error.is_some()).collect();
    let first = failed.first()?;
    Some(format!(
        "column lineage: the compiled SQL of {} of {} models and snapshots could not be read, so their columns have no lineage (first: {}: {})",
        failed.len(),
        nodes.len(),
        first.node_id,
        first.error.as_deref().unwrap_or_default()
    ))
}

/// The project's relations with the columns the catalog gives them, else those in `stored`
/// (warehouse names by `unique_id`, e.g. from an earlier sync), else the documented ones.
/// Warehouse names are quoted so they do not fold again; documented names fold like SQL.
pub fn catalog_of(
    project: &DbtProject,
    dialect: Dialect,
    stored: &HashMap<String, Vec<String>>,
) -> Catalog {
    let tables = project.nodes.iter().filter_map(|n| {
        let relation = n.relation.as_ref()?;
        let columns = known_columns(n, stored.get(&n.unique_id));
        (!columns.is_empty()).then(|| (quoted(relation), columns))
    });
    Catalog::from_tables(tables, dialect, None, None)
}

fn known_columns(node: &DbtNode, stored: Option<&Vec<String>>) -> Vec<String> {
    let catalogued = node.columns.iter().any(|c| c.position.is_some());
    match stored {
        Some(stored) if !catalogued && !stored.is_empty() => {
            return stored.iter().map(|c| quote(c)).collect()
        }
        _ => {}
    }
    node.columns
        .iter()
        .filter(|c| c.in_warehouse != Some(false))
        .map(|c| {
            if c.position.is_some() {
                quote(&c.name)
            } else {
                c.name.clone()
            }
        })
        .collect()
}

fn quoted(relation: &RelationName) -> String {
    [relation.database.as_deref(), relation.schema.as_deref()]
        .into_iter()
        .flatten()
        .chain(std::iter::once(relation.name.as_str()))
        .map(quote)
        .collect::<Vec<_>>()
        .join(".")
}

fn quote(part: &str) -> String {
    format!("\"{part}\"")
}

/// Parses one node's SQL (consuming it) with its own database and schema as the session's.
fn node_columns(
    node: CompiledSql,
    relation: Option<&RelationName>,
    kind: WarehouseKind,
    catalog: &Catalog,
) -> NodeColumns {
    let options = Options::new(Dialect::from(kind)).with_defaults(
        relation.and_then(|r| r.database.as_deref()),
        relation.and_then(|r| r.schema.as_deref()),
    );
    let analysis = sql::analyze(&node.sql, &options, Some(catalog));
    drop(node.sql);
    let error = analysis.error();
    let mut columns: Vec<OutputColumn> = Vec::new();
    for lineage in analysis.merged().columns.lineage {
        if lineage.target == "*" || columns.iter().any(|c| c.name == lineage.target) {
            continue;
        }
        let mut sources: Vec<(String, String)> = lineage
            .sources
            .iter()
            .filter_map(|s| {
                let (table, column) = s.rsplit_once('.')?;
                Some((table_key(table, kind), column.to_string()))
            })
            .collect();
        sources.sort();
        sources.dedup();
        columns.push(OutputColumn {
            name: lineage.target,
            sources,
        });
    }
    NodeColumns {
        node_id: node.unique_id,
        columns,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (DbtProject, Vec<CompiledSql>) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/jaffle_analytics/artifacts");
        let paths = dbt::ArtifactPaths {
            manifest: dir.join("manifest.json"),
            catalog: Some(dir.join("catalog.json")),
            ..dbt::ArtifactPaths::default()
        };
        dbt::load_with_sql(&paths, WarehouseKind::Postgres).unwrap()
    }

    fn sources_of(nodes: &[NodeColumns], id: &str, column: &str) -> Vec<String> {
        let node = nodes
            .iter()
            .find(|n| n.node_id.ends_with(id))
            .unwrap_or_else(|| panic!("{id}"));
        node.columns
            .iter()
            .find(|c| c.name == column)
            .unwrap_or_else(|| panic!("{id}.{column}: {:?}", node.columns))
            .sources
            .iter()
            .map(|(k, c)| format!("{k}.{c}"))
            .collect()
    }

    #[test]
    fn the_demo_models_columns_trace_to_their_inputs() {
        let (project, compiled) = demo();
        let nodes = analyze(&project, compiled, WarehouseKind::Postgres);
        assert_eq!(nodes.len(), 14);
        assert!(nodes.iter().all(|n| n.error.is_none()), "{nodes:?}");
        assert_eq!(
            sources_of(&nodes, ".customer_ltv", "net_ltv"),
            ["analytics.finance.fct_payments.net_amount"]
        );
        assert_eq!(
            sources_of(&nodes, ".fct_payments", "net_amount"),
            [
                "analytics.raw.payment_methods.processing_fee_pct",
                "analytics.staging.stg_payments.amount"
            ]
        );
        // Through an ephemeral model dbt inlined as a CTE, to the relation it reads (the
        // CASE condition's column counts).
        assert_eq!(
            sources_of(&nodes, ".fct_orders", "gift_card_amount"),
            [
                "analytics.staging.stg_payments.amount",
                "analytics.staging.stg_payments.payment_method"
            ]
        );
        // `select *` from a CTE over a source: expanded with the catalog's columns.
        assert_eq!(
            sources_of(&nodes, ".stg_customers", "customer_id"),
            ["analytics.raw.raw_customers.id"]
        );
        let ltv: Vec<&str> = nodes
            .iter()
            .find(|n| n.node_id.ends_with(".customer_ltv"))
            .unwrap()
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            ltv,
            [
                "customer_id",
                "full_name",
                "customer_type",
                "first_order_at",
                "number_of_orders",
                "gross_paid",
                "fees",
                "net_ltv",
                "ltv_tier"
            ]
        );
    }

    #[test]
    fn edges_are_flat_sorted_and_unique() {
        let (mut project, compiled) = demo();
        add_column_lineage(&mut project, compiled, WarehouseKind::Postgres);
        let edge = ColumnEdge {
            node_id: "model.jaffle_analytics.customer_ltv".into(),
            column: "net_ltv".into(),
            parent_key: "analytics.finance.fct_payments".into(),
            parent_column: "net_amount".into(),
        };
        assert!(project.column_lineage.contains(&edge));
        assert!(project.column_lineage.windows(2).all(|w| w[0] < w[1]));
        assert!(project.warnings.is_empty(), "{:?}", project.warnings);
    }

    #[test]
    fn sql_that_does_not_parse_is_one_warning_not_an_error() {
        let (mut project, _) = demo();
        let compiled = vec![
            CompiledSql {
                unique_id: "model.jaffle_analytics.stg_orders".into(),
                sql: "select id as order_id from analytics.raw.raw_orders".into(),
            },
            CompiledSql {
                unique_id: "model.jaffle_analytics.fct_orders".into(),
                sql: "select from where (".into(),
            },
        ];
        add_column_lineage(&mut project, compiled, WarehouseKind::Postgres);
        assert_eq!(project.column_lineage.len(), 1);
        assert_eq!(project.warnings.len(), 1);
        assert!(
            project.warnings[0].contains("1 of 2")
                && project.warnings[0].contains("model.jaffle_analytics.fct_orders"),
            "{}",
            project.warnings[0]
        );
    }
}
