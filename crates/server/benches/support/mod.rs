//! What the server benches share: the warehouse connection they load into, dbt nodes in the
//! model's shape, a Hex workspace, and the app served on a free loopback port.

use model::WarehouseKind;
use serde_json::json;
use store::Store;

/// Writes the Hex workspace `workspace` with `projects`, then the cells `cells_of` gives for
/// each project, by its index.
pub async fn add_hex(
    store: &Store,
    workspace: &str,
    projects: &[store::HexProjectRecord],
    cells_of: impl Fn(usize) -> Vec<store::HexCellRecord>,
) {
    let record = store::HexWorkspaceRecord {
        workspace: workspace.into(),
        app_base: format!("https://app.hex.tech/{workspace}"),
        queried_tables: None,
    };
    store
        .write_hex_workspace(&record, projects, &[], &store::now())
        .await
        .expect("the workspace");
    for (i, project) in projects.iter().enumerate() {
        let written = store::HexProjectCells {
            project_id: project.project_id.clone(),
            read_at_edit: None,
            cells: cells_of(i),
            queried: None,
        };
        store
            .write_hex_cells(workspace, &written)
            .await
            .expect("the cells");
    }
}

/// Registers the benches' connection `wh` (PostgreSQL, database `analytics`).
pub async fn add_connection(store: &Store) {
    store
        .upsert_connection(&store::ConnectionRecord {
            name: "wh".into(),
            kind: WarehouseKind::Postgres,
            default_database: Some("analytics".into()),
            default_schema: None,
            docs_url: None,
            dbt_source: None,
            access: None,
        })
        .await
        .expect("the connection");
}

/// A dbt node of `kind` built as `analytics.<schema>.<name>`, with integer columns `c0`….
/// Built from JSON so fields the model gains with defaults need no change here.
pub fn dbt_node(
    unique_id: &str,
    kind: &str,
    schema: &str,
    name: &str,
    columns: usize,
) -> model::DbtNode {
    serde_json::from_value(json!({
        "unique_id": unique_id, "kind": kind, "name": name,
        "source_name": if kind == "source" { Some("raw") } else { None },
        "package": "bench", "description": format!("{kind} {name} of {schema}"),
        "source_description": "",
        "relation": {"database": "analytics", "schema": schema, "name": name},
        "materialized": "table", "tags": [], "owner": null, "meta": "{}",
        "path": format!("models/{schema}/{name}.sql"),
        "columns": (0..columns).map(|c| json!({"name": format!("c{c}"), "description": "",
            "data_type": "integer", "position": c, "documented": true, "in_warehouse": true})).collect::<Vec<_>>(),
        "freshness_rule": null, "row_count": 1000
    }))
    .expect("a node in the model's shape")
}

/// Serves the app over `state` on a free loopback port; returns its base URL.
pub async fn serve(state: server::AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let app = server::app(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}
