use crate::mock::{assert_bearer, client, page, Mock};
use hex::Cell;
use pretty_assertions::assert_eq;
use serde_json::json;

#[tokio::test]
async fn cells_of_a_project_over_two_pages() {
    let mock = Mock::start(vec![
        page(
            json!([{"id": "c1", "cellType": "MARKDOWN"}]),
            Some("next-cells"),
        ),
        page(json!([{"id": "c2", "cellType": "CHART"}]), None),
    ])
    .await;
    let cells = client(&mock, 1).cells("proj-1").await.expect("cells");
    let ids: Vec<_> = cells.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2"]);

    let seen = mock.seen();
    assert_eq!(mock.calls(), ["GET /api/v1/cells"; 2]);
    assert_bearer(&seen);
    for request in &seen {
        assert_eq!(request.param("projectId").as_deref(), Some("proj-1"));
        assert_eq!(request.param("limit").as_deref(), Some("100"));
    }
    assert_eq!(seen[0].param("after"), None);
    assert_eq!(seen[1].param("after").as_deref(), Some("next-cells"));
}

#[tokio::test]
async fn sql_cells_keep_source_label_and_connection() {
    let cells = json!([
        {
            "id": "c-sql", "staticId": "s-sql", "cellType": "SQL", "label": "Revenue by region",
            "dataConnectionId": "conn-1", "projectId": "proj-1",
            "contents": {"sqlCell": {"source": "select * from analytics.fct_revenue"}}
        },
        {
            "id": "c-df", "staticId": "s-df", "cellType": "SQL", "label": "Top rows",
            "projectId": "proj-1",
            "contents": {"sqlCell": {"source": "select * from revenue_df limit 10", "dataFrameCell": true}}
        },
        {
            "id": "c-df-flagged", "cellType": "SQL", "dataConnectionId": "conn-1",
            "contents": {"sqlCell": {"source": "select 1 from df", "dataFrameCell": {"resultVariable": "df"}}}
        },
        {
            "id": "c-code", "cellType": "CODE", "label": null, "projectId": "proj-1",
            "contents": {"codeCell": {"source": "df = revenue_df.head()"}}
        },
        {"id": "c-md", "cellType": "MARKDOWN", "contents": {"markdownCell": {"source": "# Hi"}}}
    ]);
    let mock = Mock::start(vec![page(cells, None)]).await;
    let cells = client(&mock, 1).cells("proj-1").await.expect("cells");

    let cell = |id: &str, cell_type: &str| Cell {
        id: id.into(),
        static_id: None,
        cell_type: cell_type.into(),
        label: None,
        data_connection_id: None,
        project_id: None,
        sql: None,
        queries_dataframes: false,
    };
    let expected = vec![
        Cell {
            static_id: Some("s-sql".into()),
            label: Some("Revenue by region".into()),
            data_connection_id: Some("conn-1".into()),
            project_id: Some("proj-1".into()),
            sql: Some("select * from analytics.fct_revenue".into()),
            ..cell("c-sql", "SQL")
        },
        Cell {
            static_id: Some("s-df".into()),
            label: Some("Top rows".into()),
            project_id: Some("proj-1".into()),
            sql: Some("select * from revenue_df limit 10".into()),
            queries_dataframes: true,
            ..cell("c-df", "SQL")
        },
        Cell {
            data_connection_id: Some("conn-1".into()),
            sql: Some("select 1 from df".into()),
            queries_dataframes: true,
            ..cell("c-df-flagged", "SQL")
        },
        Cell {
            project_id: Some("proj-1".into()),
            ..cell("c-code", "CODE")
        },
        cell("c-md", "MARKDOWN"),
    ];
    assert_eq!(cells, expected);
}
