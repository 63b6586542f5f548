//! Health on a small graph: a late source two models up fails a cell; a column test on a
//! column the cell does not read leaves it alone; a warning only warns.

use health::{assess, Health};
use model::graph::{EdgeKind, Graph, NodeKind};
use model::health::{Problem, ProblemKind};

fn problem(node: &str, kind: ProblemKind, column: Option<&str>) -> Problem {
    Problem {
        connection: "wh".into(),
        node_id: node.into(),
        kind,
        name: format!("{kind:?} on {node}"),
        column: column.map(str::to_string),
        status: "fail".into(),
        since: Some("2026-12-06T02:00:00Z".into()),
        message: None,
    }
}

/// raw.orders → stg_orders → fct_orders → cells c1 (reads amount) and c2 (reads id) of p1;
/// dim_customers → c3 of p2.
fn graph() -> Graph {
    let mut g = Graph::default();
    let raw = g.add_node(
        "dbt:wh:source.shop.raw.orders",
        NodeKind::Source,
        "raw.orders",
    );
    let stg = g.add_node(
        "dbt:wh:model.shop.stg_orders",
        NodeKind::Model,
        "stg_orders",
    );
    let fct = g.add_node(
        "dbt:wh:model.shop.fct_orders",
        NodeKind::Model,
        "fct_orders",
    );
    let dim = g.add_node(
        "dbt:wh:model.shop.dim_customers",
        NodeKind::Model,
        "dim_customers",
    );
    g.add_edge(raw, stg, EdgeKind::Dbt);
    g.add_edge(stg, fct, EdgeKind::Dbt);
    for (project, cells) in [
        ("p1", &[("c1", "amount"), ("c2", "id")][..]),
        ("p2", &[("c3", "name")][..]),
    ] {
        let p = g.add_node(&format!("hex:{project}"), NodeKind::HexProject, project);
        for (cell, column) in cells {
            let c = g.add_node(&format!("cell:{project}:{cell}"), NodeKind::HexCell, cell);
            let table = if project == "p1" { fct } else { dim };
            g.add_edge(table, c, EdgeKind::Reads).columns =
                vec![(column.to_string(), column.to_string())];
            g.add_edge(c, p, EdgeKind::Contains);
        }
    }
    g
}

#[test]
fn a_late_source_upstream_fails_every_cell_that_reads_from_it_with_its_path() {
    let problems = [problem(
        "source.shop.raw.orders",
        ProblemKind::SourceLate,
        None,
    )];
    let report = assess(&graph(), &problems);
    assert_eq!(report[0].project_id, "p1");
    assert_eq!(report[0].health, Health::Failing);
    assert_eq!(report[0].problems, 1);
    let c1 = report[0].cells.iter().find(|c| c.label == "c1").unwrap();
    let path: Vec<&str> = c1.findings[0]
        .path
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(path, ["c1", "fct_orders", "stg_orders", "raw.orders"]);
    assert_eq!(
        c1.findings[0].problem.since.as_deref(),
        Some("2026-12-06T02:00:00Z")
    );
    assert_eq!(report[1].project_id, "p2");
    assert_eq!(report[1].health, Health::Healthy);
}

#[test]
fn a_column_test_counts_only_for_cells_reading_that_column() {
    let problems = [problem(
        "model.shop.fct_orders",
        ProblemKind::TestFailed,
        Some("amount"),
    )];
    let report = assess(&graph(), &problems);
    let p1 = &report[0];
    let health = |label: &str| p1.cells.iter().find(|c| c.label == label).unwrap().health;
    assert_eq!(health("c1"), Health::Failing, "c1 reads amount");
    assert_eq!(health("c2"), Health::Healthy, "c2 reads only id");
}

#[test]
fn a_warning_only_warns_and_failing_work_sorts_first() {
    let problems = [
        problem("model.shop.dim_customers", ProblemKind::TestWarned, None),
        problem("model.shop.stg_orders", ProblemKind::BuildFailed, None),
    ];
    let report = assess(&graph(), &problems);
    let order: Vec<(&str, Health)> = report
        .iter()
        .map(|p| (p.project_id.as_str(), p.health))
        .collect();
    assert_eq!(order, [("p1", Health::Failing), ("p2", Health::Warning)]);
}
