//! The Hex pages' read models (issue 7): one fixture written through the store's own write
//! paths and read back, on both back ends.

use crate::both;
use store::{
    HexCellRecord, HexConnectionRecord, HexProjectCells, HexProjectOrder, HexProjectRecord,
    HexProjectSummary, HexWorkspaceRecord, HistoryBatch, ProjectRecord, QueryRecord, RunRecord,
};

const ORDERS: &str = "analytics.marts.fct_orders";
const LTV: &str = "analytics.finance.customer_ltv";
const REVENUE: &str = "analytics.finance.rpt_monthly_revenue";
const RECENT: &str = "2026-11-20T09:00:00.000000Z";
const OLD: &str = "2020-01-01T09:00:00.000000Z";
const LIVE_SINCE: &str = "2026-11-01T00:00:00.000000Z";

fn query(key: &str, sql: &str, table: &str, column: &str) -> QueryRecord {
    QueryRecord {
        query_key: key.into(),
        sql_text: sql.into(),
        statement_kind: "select".into(),
        tables_from: "parsed".into(),
        error: None,
        tables: vec![(table.into(), vec![column.into()])],
    }
}

/// A distinct run key per name (FNV-1a): the store only needs keys to be distinct.
fn key(name: &str) -> u128 {
    name.bytes()
        .fold(0x6c62272e07bb014262b821756295c58d, |h, b| {
            (h ^ u128::from(b)).wrapping_mul(0x0000000001000000000000000000013b)
        })
}

fn run(project: &str, cell: &str, query: &str, context: &str, user: &str) -> RunRecord {
    RunRecord {
        run_key: key(&format!("{project}/{cell}/{query}/{context}/{user}")),
        query_key: query.into(),
        project_id: project.into(),
        cell_id: cell.into(),
        context: model::hex::RunContext::from_stored(context),
        user_name: user.into(),
        hex_connection: Some("Prod".into()),
        runs: 1,
        first_seen: Some(OLD.parse().unwrap()),
        last_seen: Some(RECENT.parse().unwrap()),
    }
}

fn comment(project: &str, name: &str) -> ProjectRecord {
    ProjectRecord {
        project_id: project.into(),
        name: Some(name.into()),
        url: Some(format!("https://app.hex.tech/acme/hex/{project}")),
        status: Some("Published".into()),
        categories: vec!["From a comment".into()],
    }
}

/// Project `obs` ran (cell c1 twice, plus a query that named no cell, long ago); `hist` is
/// known only from query history.
fn history() -> HistoryBatch {
    let mut old_run = run("obs", "", "q2", "api", "");
    old_run.last_seen = Some(OLD.parse().unwrap());
    let mut hist = run("hist", "h1", "q2", "interactive", "dee");
    hist.last_seen = Some(OLD.parse().unwrap());
    let mut scheduled = run("obs", "c1", "q1", "scheduled", "ana");
    scheduled.runs = 3;
    HistoryBatch {
        connection: "warehouse".into(),
        environment: "prod".into(),
        checkpoint: "1".into(),
        previous_checkpoint: None,
        queries: vec![
            query(
                "q1",
                "select status from marts.fct_orders",
                ORDERS,
                "status",
            ),
            query(
                "q2",
                "select net_ltv from finance.customer_ltv",
                LTV,
                "net_ltv",
            ),
        ],
        runs: vec![
            scheduled,
            run("obs", "c1", "q1", "app_view", "bo"),
            old_run,
            hist,
        ],
        projects: vec![
            comment("obs", "Comment title"),
            comment("hist", "History only"),
        ],
        started_at: store::now(),
        summary: "{}".into(),
        warnings: Vec::new(),
    }
}

fn api_project(id: &str, title: &str) -> HexProjectRecord {
    HexProjectRecord {
        project_id: id.into(),
        title: title.into(),
        kind: "PROJECT".into(),
        categories: vec!["Finance".into()],
        owner_email: Some("ana@acme.com".into()),
        app_views_30d: Some(10),
        app_views_all_time: Some(100),
        url: format!("https://app.hex.tech/acme/hex/{id}"),
        ..HexProjectRecord::default()
    }
}

fn sql_cell(id: &str, label: Option<&str>, sql: &str, table: &str, column: &str) -> HexCellRecord {
    HexCellRecord {
        cell_id: id.into(),
        static_id: None,
        cell_type: "SQL".into(),
        label: label.map(str::to_string),
        hex_connection_id: Some("hc1".into()),
        connection: Some("warehouse".into()),
        sql_text: Some(sql.into()),
        parse_error: None,
        tables: vec![(table.into(), vec![column.into()])],
    }
}

/// The Hex API lists `obs` (cells c1, c2 that never ran, a markdown cell) and `never`, an
/// archived project none of whose cells ran.
async fn write_hex_api(store: &store::Store) {
    let workspace = HexWorkspaceRecord {
        workspace: "acme".into(),
        app_base: "https://app.hex.tech/acme".into(),
        queried_tables: Some("available".into()),
    };
    let mut never = api_project("never", "Never ran");
    never.archived_at = Some(OLD.into());
    never.app_views_30d = Some(0);
    let connection = HexConnectionRecord {
        hex_connection_id: "hc1".into(),
        name: "Prod".into(),
        kind: "postgres".into(),
        host: None,
        database: Some("analytics".into()),
        connection: Some("warehouse".into()),
        matched_by: "database".into(),
    };
    store
        .write_hex_workspace(
            &workspace,
            &[api_project("obs", "Observed"), never],
            &[connection],
            &store::now(),
        )
        .await
        .unwrap();
    let markdown = HexCellRecord {
        cell_type: "MARKDOWN".into(),
        sql_text: None,
        tables: Vec::new(),
        ..sql_cell("md", None, "", ORDERS, "")
    };
    let obs = HexProjectCells {
        project_id: "obs".into(),
        read_at_edit: None,
        cells: vec![
            sql_cell(
                "c1",
                Some("Orders"),
                "select status from analytics.marts.fct_orders",
                ORDERS,
                "status",
            ),
            sql_cell(
                "c2",
                Some("Staged"),
                "select id from analytics.scratch.tmp_orders",
                "analytics.scratch.tmp_orders",
                "id",
            ),
            markdown,
        ],
        queried: Some(vec![
            ("warehouse".into(), ORDERS.into()),
            ("warehouse".into(), REVENUE.into()),
        ]),
    };
    store.write_hex_cells("acme", &obs).await.unwrap();
    let never = HexProjectCells {
        project_id: "never".into(),
        read_at_edit: None,
        cells: vec![sql_cell(
            "n1",
            Some("Deck"),
            "select 1 from analytics.finance.rpt_monthly_revenue",
            REVENUE,
            "",
        )],
        queried: Some(Vec::new()),
    };
    store.write_hex_cells("acme", &never).await.unwrap();
}

async fn fixture(store: &store::Store) {
    store
        .replace_dbt("warehouse", &crate::demo_project(), &store::now())
        .await
        .unwrap();
    store.write_history(&history()).await.unwrap();
    write_hex_api(store).await;
}

fn by_id<'a>(list: &'a [HexProjectSummary], id: &str) -> &'a HexProjectSummary {
    list.iter().find(|p| p.project_id == id).unwrap()
}

/// Everything the pages read for the fixture.
async fn check(store: &store::Store) {
    let list = store.hex_projects(LIVE_SINCE).await.unwrap();
    let ids: Vec<&str> = list.iter().map(|p| p.project_id.as_str()).collect();
    assert_eq!(ids, ["obs", "hist", "never"], "newest run first");

    let obs = by_id(&list, "obs");
    assert_eq!(
        obs.title.as_deref(),
        Some("Observed"),
        "the Hex API's title wins"
    );
    assert_eq!(obs.categories, ["Finance"]);
    assert_eq!((obs.live, obs.observed, obs.runs), (true, true, 5));
    assert_eq!(
        obs.runs_by_context
            .iter()
            .map(|(c, n)| (c.as_str(), *n))
            .collect::<Vec<_>>(),
        [("api", 1), ("app_view", 1), ("scheduled", 3)]
    );
    assert_eq!(
        obs.cell_count, 2,
        "c1 and c2; not the markdown cell nor the cell-less query"
    );
    assert_eq!(
        obs.table_count, 4,
        "orders, ltv (observed), tmp_orders (SQL), revenue (Hex)"
    );
    assert_eq!(obs.app_views_30d, Some(10));

    let hist = by_id(&list, "hist");
    assert_eq!(hist.title.as_deref(), Some("History only"));
    assert_eq!(
        (hist.in_hex_api, hist.live, hist.observed),
        (false, false, true)
    );
    assert_eq!(hist.categories, ["From a comment"]);
    assert_eq!((hist.cell_count, hist.table_count), (1, 1));

    let never = by_id(&list, "never");
    assert_eq!(never.state.as_deref(), Some("archived"));
    assert_eq!((never.observed, never.last_run.as_deref()), (false, None));
    assert_eq!((never.cell_count, never.table_count), (1, 1));

    let detail = store.hex_project("obs", LIVE_SINCE).await.unwrap().unwrap();
    assert_eq!(&detail.project, obs, "the page's summary is the list's row");
    assert!(detail.queried_tables_available);
    let cells: Vec<Option<&str>> = detail.cells.iter().map(|c| c.cell_id.as_deref()).collect();
    assert_eq!(
        cells,
        [Some("c1"), None, Some("c2")],
        "newest run first, never-run last"
    );

    let c1 = &detail.cells[0];
    assert_eq!(
        (c1.label.as_deref(), c1.sql_from.as_deref()),
        (Some("Orders"), Some("project"))
    );
    assert_eq!(c1.users, ["ana", "bo"]);
    assert_eq!(c1.connection_kind.as_deref(), Some("postgres"));
    let t = &c1.tables[0];
    assert_eq!(t.table_key, ORDERS);
    assert_eq!(
        (t.observed, t.in_project_sql, t.hex_confirms),
        (true, true, Some(true))
    );
    let page = t.relation.as_ref().expect("dbt knows fct_orders");
    assert_eq!(
        (page.schema.as_str(), page.name.as_str()),
        ("marts", "fct_orders")
    );

    let cellless = &detail.cells[1];
    assert_eq!(cellless.sql_from.as_deref(), Some("query_history"));
    assert_eq!(
        cellless.sql.as_deref(),
        Some("select net_ltv from finance.customer_ltv")
    );
    assert_eq!(cellless.tables[0].hex_confirms, Some(false));
    assert!(!cellless.live);

    let c2 = &detail.cells[2];
    assert_eq!(
        (c2.observed, c2.runs, c2.last_run.as_deref()),
        (false, 0, None)
    );
    assert!(c2.tables[0].in_project_sql && !c2.tables[0].observed);
    assert_eq!(
        c2.tables[0].relation, None,
        "no table page for a relation nobody knows"
    );

    let others: Vec<&str> = detail
        .other_tables
        .iter()
        .map(|t| t.table_key.as_str())
        .collect();
    assert_eq!(others, [REVENUE], "listed by Hex, read by no cell");

    let hist = store
        .hex_project("hist", LIVE_SINCE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hist.cells[0].sql_from.as_deref(), Some("query_history"));
    assert!(store
        .hex_project("nope", LIVE_SINCE)
        .await
        .unwrap()
        .is_none());
}

both!(
    hex_projects_and_their_cells_read_back_from_every_source,
    |store: store::Store| async move {
        fixture(&store).await;
        check(&store).await;
    }
);

#[test]
fn orders_sort_as_their_names_say() {
    let project = |id: &str, last_run: Option<&str>, views: Option<i64>| HexProjectSummary {
        project_id: id.into(),
        title: Some(id.to_uppercase()),
        last_run: last_run.map(str::to_string),
        app_views_30d: views,
        ..HexProjectSummary::default()
    };
    let mut list = vec![
        project("b", Some(OLD), Some(5)),
        project("a", None, Some(50)),
        project("c", Some(RECENT), None),
    ];
    let ids = |l: &[HexProjectSummary]| l.iter().map(|p| p.project_id.clone()).collect::<Vec<_>>();
    HexProjectOrder::LastRun.sort(&mut list);
    assert_eq!(ids(&list), ["c", "b", "a"]);
    HexProjectOrder::Staleness.sort(&mut list);
    assert_eq!(ids(&list), ["a", "b", "c"]);
    HexProjectOrder::AppViews.sort(&mut list);
    assert_eq!(ids(&list), ["a", "b", "c"]);
    assert_eq!(
        HexProjectOrder::parse("app_views"),
        Some(HexProjectOrder::AppViews)
    );
    assert_eq!(HexProjectOrder::parse("views"), None);
}
