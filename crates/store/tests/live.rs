//! Query history, the Hex API's data, dbt Cloud runs and the lineage graph, on both back ends.

use crate::both;
use model::graph::{EdgeKind, NodeKind};
use store::{
    CloudRunRecord, HexCellRecord, HexConnectionRecord, HexProjectCells, HexProjectRecord,
    HexWorkspaceRecord, HistoryBatch, ProjectRecord, QueryRecord, RunRecord, StoreError,
};

const ORDERS: &str = "analytics.marts.orders";

fn batch(checkpoint: &str, previous: Option<&str>, runs: i64) -> HistoryBatch {
    HistoryBatch {
        connection: "warehouse".into(),
        environment: "prod".into(),
        checkpoint: checkpoint.into(),
        previous_checkpoint: previous.map(str::to_string),
        queries: vec![QueryRecord {
            query_key: "q1".into(),
            sql_text: "select amount from marts.orders".into(),
            statement_kind: "select".into(),
            tables_from: "parsed".into(),
            error: None,
            tables: vec![(ORDERS.into(), vec!["amount".into()])],
        }],
        runs: vec![RunRecord {
            run_key: 1,
            query_key: "q1".into(),
            project_id: "p1".into(),
            cell_id: "c1".into(),
            context: model::hex::RunContext::Scheduled,
            user_name: "ana@acme.com".into(),
            hex_connection: Some("Prod".into()),
            runs,
            first_seen: Some("2026-11-01T09:00:00Z".parse().unwrap()),
            last_seen: Some("2026-11-20T09:00:00Z".parse().unwrap()),
        }],
        projects: vec![ProjectRecord {
            project_id: "p1".into(),
            name: Some("Comment title".into()),
            url: Some("https://app.hex.tech/acme/hex/p1".into()),
            status: Some("Published".into()),
            categories: vec!["Finance".into()],
        }],
        started_at: store::now(),
        summary: "{}".into(),
        warnings: Vec::new(),
    }
}

async fn hex_api(store: &store::Store) {
    let workspace = HexWorkspaceRecord {
        workspace: "acme".into(),
        app_base: "https://app.hex.tech/acme".into(),
        queried_tables: Some("available".into()),
    };
    let project = |id: &str, title: &str| HexProjectRecord {
        project_id: id.into(),
        title: title.into(),
        kind: "PROJECT".into(),
        owner_email: Some("ana@acme.com".into()),
        app_views_all_time: Some(12),
        last_edited_at: Some("2026-11-01T00:00:00.000000Z".into()),
        url: format!("https://app.hex.tech/acme/hex/{id}"),
        ..HexProjectRecord::default()
    };
    let connections = [HexConnectionRecord {
        hex_connection_id: "hc".into(),
        name: "Prod".into(),
        kind: "postgres".into(),
        host: None,
        database: Some("analytics".into()),
        connection: Some("warehouse".into()),
        matched_by: "kind, host and database".into(),
    }];
    let projects = [project("p1", "Revenue"), project("p2", "Draft")];
    store
        .write_hex_workspace(&workspace, &projects, &connections, &store::now())
        .await
        .unwrap();
    for (id, cell, label) in [("p1", "c1", "Monthly"), ("p2", "c9", "Never ran")] {
        let cells = HexProjectCells {
            project_id: id.into(),
            read_at_edit: Some("2026-11-01T00:00:00.000000Z".into()),
            cells: vec![HexCellRecord {
                cell_id: cell.into(),
                static_id: None,
                cell_type: "SQL".into(),
                label: Some(label.into()),
                hex_connection_id: Some("hc".into()),
                connection: Some("warehouse".into()),
                sql_text: Some("select amount, status from marts.orders".into()),
                parse_error: None,
                tables: vec![(ORDERS.into(), vec!["amount".into(), "status".into()])],
            }],
            queried: Some(if id == "p1" {
                vec![("warehouse".into(), ORDERS.into())]
            } else {
                Vec::new()
            }),
        };
        store.write_hex_cells("acme", &cells).await.unwrap();
    }
}

both!(
    hex_usage_merges_runs_project_sql_and_queried_tables,
    |store: store::Store| async move {
        store.write_history(&batch("cp1", None, 3)).await.unwrap();
        hex_api(&store).await;
        let uses = store
            .hex_usage("warehouse", ORDERS, "2026-11-10T00:00:00.000000Z")
            .await
            .unwrap();
        assert_eq!(uses.len(), 2, "{uses:#?}");
        let ran = &uses[0];
        assert_eq!(
            ran.project_name.as_deref(),
            Some("Revenue"),
            "the API's title wins"
        );
        assert_eq!(ran.cell_label.as_deref(), Some("Monthly"));
        assert!(ran.observed && ran.in_project_sql && ran.live);
        assert_eq!((ran.runs, ran.hex_confirms), (3, Some(true)));
        assert_eq!(ran.columns, ["amount", "status"]);
        let never = &uses[1];
        assert!(!never.observed && never.in_project_sql && !never.live);
        assert_eq!(never.hex_confirms, Some(false));
        assert_eq!(never.owner.as_deref(), Some("ana@acme.com"));
    }
);

both!(
    a_history_sync_that_lost_the_race_adds_nothing,
    |store: store::Store| async move {
        store.write_history(&batch("cp1", None, 3)).await.unwrap();
        store
            .write_history(&batch("cp2", Some("cp1"), 2))
            .await
            .unwrap();
        let stale = store.write_history(&batch("cp2b", Some("cp1"), 2)).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        let uses = store
            .hex_usage("warehouse", ORDERS, "2000-01-01")
            .await
            .unwrap();
        assert_eq!(uses[0].runs, 5, "3 + 2, the loser's runs not added");
    }
);

both!(
    the_lineage_graph_joins_dbt_nodes_tables_and_hex,
    |store: store::Store| async move {
        store
            .replace_dbt("warehouse", &crate::demo_project(), &store::now())
            .await
            .unwrap();
        store.write_history(&batch("cp1", None, 3)).await.unwrap();
        hex_api(&store).await;
        let g = store
            .lineage_graph("2026-11-10T00:00:00.000000Z")
            .await
            .unwrap();
        let fct_orders = g
            .find("dbt:warehouse:model.jaffle_analytics.fct_orders")
            .expect("dbt nodes are in the graph");
        assert!(g.incoming(fct_orders).any(|e| e.kind == EdgeKind::Dbt));
        let orders = g
            .find(&format!("table:warehouse:{ORDERS}"))
            .expect("a table only Hex reads");
        assert_eq!(g.node(orders).kind, NodeKind::Table);
        let cell = g.find("cell:p1:c1").unwrap();
        assert_eq!(g.node(cell).label, "Monthly");
        let read = g
            .incoming(cell)
            .find(|e| e.kind == EdgeKind::Reads)
            .unwrap();
        assert!(read.evidence.observed && read.evidence.in_project_sql);
        assert_eq!(read.evidence.hex_confirms, Some(true));
        let project = g.find("hex:p1").unwrap();
        let activity = g.node(project).activity.clone().unwrap();
        assert!(activity.live && activity.runs_by_context["scheduled"] == 3);
        let version = store.graph_version().await.unwrap();
        store
            .record_failure("warehouse", "hex", &store::now(), "401 Unauthorized")
            .await
            .unwrap();
        assert!(
            store.graph_version().await.unwrap() > version,
            "a sync moves the version"
        );
    }
);

both!(
    failing_sources_and_dbt_cloud_runs_are_kept,
    |store: store::Store| async move {
        store
            .record_failure(
                "warehouse",
                "dbt",
                &store::now(),
                "No jobs found for this project",
            )
            .await
            .unwrap();
        store
            .record_success("warehouse", "warehouse", &store::now(), "{}")
            .await
            .unwrap();
        let failing = store.failing_syncs("warehouse").await.unwrap();
        assert_eq!(
            failing.len(),
            1,
            "a later success of another source does not hide it"
        );
        assert_eq!(failing[0].source, "dbt");
        let run = CloudRunRecord {
            run_id: "9001".into(),
            sources_run_id: Some("8001".into()),
            job_id: "13".into(),
            job_name: "Nightly".into(),
            finished_at: None,
            docs_url: "https://cloud.getdbt.com/accounts/1/jobs/13/docs/".into(),
            explorer_url:
                "https://cloud.getdbt.com/explore/1/projects/2/environments/production/details/"
                    .into(),
        };
        store.record_cloud_run("warehouse", &run).await.unwrap();
        assert_eq!(store.cloud_run("warehouse").await.unwrap(), Some(run));
    }
);

both!(
    control_characters_in_sql_and_names_are_kept_on_both_back_ends,
    |store: store::Store| async move {
        // PostgreSQL text cannot hold NUL; every other control character is data.
        let mut b = batch("cp1", None, 1);
        b.queries[0].sql_text =
            "select amount\u{0} from marts.orders -- \u{1b}[31m\u{7}\r\u{0}".into();
        b.projects[0].name = Some("Title\u{0}\u{1b}[2J".into());
        b.runs[0].user_name = "ana\u{0}@acme.com".into();
        store.write_history(&b).await.unwrap();
        let uses = store
            .hex_usage("warehouse", ORDERS, "2026-11-10T00:00:00.000000Z")
            .await
            .unwrap();
        assert_eq!(
            uses[0].project_name.as_deref(),
            Some("Title\u{fffd}\u{1b}[2J")
        );
        assert_eq!(uses[0].users, ["ana\u{fffd}@acme.com"]);
        let project = store
            .hex_project("p1", "2026-11-10T00:00:00.000000Z")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            project.cells[0].sql.as_deref(),
            Some("select amount\u{fffd} from marts.orders -- \u{1b}[31m\u{7}\r\u{fffd}")
        );
    }
);

/// Two processes on one SQLite file: a page cache in one sees the other's sync within half a
/// second, and its own at once.
#[tokio::test]
async fn the_version_shows_other_processes_syncs_soon_and_its_own_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite").display().to_string();
    let (serving, syncing) = (
        store::Store::open(&path).await.unwrap(),
        store::Store::open(&path).await.unwrap(),
    );
    serving
        .upsert_connection(&crate::connection())
        .await
        .unwrap();
    let before = serving.graph_version().await.unwrap();
    syncing
        .record_success("warehouse", "dbt", &store::now(), "{}")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    while serving.graph_version().await.unwrap() == before {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "another process's sync never showed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen = serving.graph_version().await.unwrap();
    serving
        .record_success("warehouse", "hex", &store::now(), "{}")
        .await
        .unwrap();
    assert!(
        serving.graph_version().await.unwrap() > seen,
        "its own write at once"
    );
}
