//! The Hex jobs of a lineage graph as OpenLineage run events: one `COMPLETE` event per Hex
//! cell, its inputs the relations it reads with the columns it uses (a `schema` facet), so any
//! OpenLineage consumer (Marquez, DataHub, OpenMetadata) sees Hex beside its other jobs.
//!
//! Datasets are named after OpenLineage's naming spec as far as the graph knows: the namespace
//! is `<warehouse kind>://<connection>` (downstream keeps connections by name, not host), the
//! name `database.schema.table`. Jobs live in the namespace `hex://<host>/<workspace>`.

use model::graph::{EdgeKind, Graph, Node, NodeKind};
use model::WarehouseKind;
use serde::Serialize;
use std::collections::HashMap;

/// The producer every event names.
pub const PRODUCER: &str = "https://github.com/downstream-data/downstream";
const RUN_EVENT: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent";
const SCHEMA_FACET: &str =
    "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const JOB_TYPE_FACET: &str =
    "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";

/// One run event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunEvent {
    event_type: &'static str,
    event_time: String,
    producer: &'static str,
    #[serde(rename = "schemaURL")]
    schema_url: &'static str,
    run: Run,
    job: Job,
    inputs: Vec<Dataset>,
    outputs: Vec<Dataset>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    run_id: String,
}

#[derive(Debug, Serialize)]
struct Job {
    namespace: String,
    name: String,
    facets: JobFacets,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobFacets {
    job_type: JobType,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobType {
    #[serde(rename = "_producer")]
    producer: &'static str,
    #[serde(rename = "_schemaURL")]
    schema_url: &'static str,
    processing_type: &'static str,
    integration: &'static str,
    job_type: &'static str,
}

#[derive(Debug, Serialize)]
struct Dataset {
    namespace: String,
    name: String,
    facets: DatasetFacets,
}

#[derive(Debug, Serialize)]
struct DatasetFacets {
    schema: SchemaFacet,
}

#[derive(Debug, Serialize)]
struct SchemaFacet {
    #[serde(rename = "_producer")]
    producer: &'static str,
    #[serde(rename = "_schemaURL")]
    schema_url: &'static str,
    fields: Vec<Field>,
}

#[derive(Debug, Serialize)]
struct Field {
    name: String,
}

/// Connection name → its warehouse, for dataset namespaces.
pub type Warehouses = HashMap<String, WarehouseKind>;

/// One event per Hex cell that reads something; `now` stands in for cells never seen run.
pub fn hex_events(g: &Graph, warehouses: &Warehouses, now: &str) -> Vec<RunEvent> {
    g.nodes()
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == NodeKind::HexCell)
        .filter_map(|(at, cell)| cell_event(g, warehouses, at, cell, now))
        .collect()
}

fn cell_event(
    g: &Graph,
    warehouses: &Warehouses,
    at: usize,
    cell: &Node,
    now: &str,
) -> Option<RunEvent> {
    let inputs: Vec<Dataset> = g
        .incoming(at)
        .filter(|e| e.kind == EdgeKind::Reads)
        .filter_map(|e| dataset(g.node(e.from), &e.columns, warehouses))
        .collect();
    if inputs.is_empty() {
        return None;
    }
    let project = g
        .outgoing(at)
        .find(|e| e.kind == EdgeKind::Contains)
        .map(|e| g.node(e.to));
    let last_run = cell.activity.as_ref().and_then(|a| a.last_run.clone());
    let event_time = last_run.unwrap_or_else(|| now.to_string());
    Some(RunEvent {
        event_type: "COMPLETE",
        run: Run {
            run_id: run_id(&cell.id, &event_time),
        },
        job: Job {
            namespace: job_namespace(project),
            name: match project {
                Some(p) => format!("{}.{}", p.label, cell.label),
                None => cell.label.clone(),
            },
            facets: JobFacets {
                job_type: JobType {
                    producer: PRODUCER,
                    schema_url: JOB_TYPE_FACET,
                    processing_type: "BATCH",
                    integration: "HEX",
                    job_type: "QUERY",
                },
            },
        },
        event_time,
        producer: PRODUCER,
        schema_url: RUN_EVENT,
        inputs,
        outputs: Vec::new(),
    })
}

fn dataset(
    relation: &Node,
    columns: &[(String, String)],
    warehouses: &Warehouses,
) -> Option<Dataset> {
    let r = relation.relation.as_ref()?;
    let connection = relation.connection.as_deref()?;
    let kind = warehouses
        .get(connection)
        .map_or("warehouse", |k| k.as_str());
    let name = r.to_string();
    Some(Dataset {
        namespace: format!("{kind}://{connection}"),
        name,
        facets: DatasetFacets {
            schema: SchemaFacet {
                producer: PRODUCER,
                schema_url: SCHEMA_FACET,
                fields: columns
                    .iter()
                    .map(|(c, _)| Field { name: c.clone() })
                    .collect(),
            },
        },
    })
}

/// `hex://app.hex.tech/acme` from a project link, else `hex://unknown`.
fn job_namespace(project: Option<&Node>) -> String {
    let url = project
        .and_then(|p| p.external_url.as_deref())
        .unwrap_or("");
    let rest = url.split("://").nth(1).unwrap_or("");
    let workspace = rest
        .split("/hex/")
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    match workspace.is_empty() {
        true => "hex://unknown".into(),
        false => format!("hex://{workspace}"),
    }
}

/// A UUID-shaped id that is the same for the same cell and run time, so exporting twice does
/// not make new runs. (Version nibble 5-like, variant bits set, from two FNV-1a hashes.)
fn run_id(cell: &str, time: &str) -> String {
    let a = fnv(cell.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv(time.as_bytes(), a);
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-5{}-{:x}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        (u8::from_str_radix(&hex[16..17], 16).unwrap_or(0) & 0x3) | 0x8,
        &hex[17..20],
        &hex[20..32]
    )
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::graph::{Activity, EdgeKind, NodeKind};
    use model::RelationName;

    #[test]
    fn each_cell_becomes_a_complete_run_reading_its_tables() {
        let mut g = Graph::default();
        let orders = g.add_node("dbt:wh:model.shop.orders", NodeKind::Model, "orders");
        g.node_mut(orders).connection = Some("wh".into());
        g.node_mut(orders).relation = Some(RelationName {
            database: Some("analytics".into()),
            schema: Some("marts".into()),
            name: "orders".into(),
        });
        let cell = g.add_node("cell:p1:c1", NodeKind::HexCell, "Revenue");
        g.node_mut(cell).activity = Some(Activity {
            last_run: Some("2026-11-20T09:00:00.000000Z".into()),
            ..Activity::default()
        });
        let project = g.add_node("hex:p1", NodeKind::HexProject, "Dashboard");
        g.node_mut(project).external_url = Some("https://app.hex.tech/acme/hex/p1".into());
        g.add_edge(orders, cell, EdgeKind::Reads).columns =
            vec![("amount".into(), "amount".into())];
        g.add_edge(cell, project, EdgeKind::Contains);
        g.add_node("cell:p1:c2", NodeKind::HexCell, "Markdown only");
        let kinds = Warehouses::from([("wh".to_string(), WarehouseKind::Snowflake)]);

        let events = hex_events(&g, &kinds, "2026-11-23T00:00:00Z");
        assert_eq!(events.len(), 1, "a cell that reads nothing is no job run");
        let json = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(json["eventType"], "COMPLETE");
        assert_eq!(json["eventTime"], "2026-11-20T09:00:00.000000Z");
        assert_eq!(json["job"]["namespace"], "hex://app.hex.tech/acme");
        assert_eq!(json["job"]["name"], "Dashboard.Revenue");
        assert_eq!(json["inputs"][0]["namespace"], "snowflake://wh");
        assert_eq!(json["inputs"][0]["name"], "analytics.marts.orders");
        assert_eq!(
            json["inputs"][0]["facets"]["schema"]["fields"][0]["name"],
            "amount"
        );
        let id = json["run"]["runId"].as_str().unwrap();
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(
            id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
            "{id}"
        );
        let again = hex_events(&g, &kinds, "2026-11-24T00:00:00Z");
        assert_eq!(
            serde_json::to_value(&again[0]).unwrap()["run"]["runId"],
            id,
            "stable"
        );
    }
}
