use crate::mock::{assert_bearer, cell, client, hex_mock, page, sql_cell, uuid};
use hex::Cell;
use pretty_assertions::assert_eq;
use serde_json::json;

#[tokio::test]
async fn cells_of_a_project_over_two_pages() {
    let project = uuid(1);
    let mock = hex_mock(vec![
        page(
            json!([cell("c1", "MARKDOWN", &project)]),
            Some("next-cells"),
        ),
        page(json!([cell("c2", "CHART", &project)]), None),
    ])
    .await;
    let cells = client(&mock, 1).cells(&project).await.expect("cells");
    let ids: Vec<_> = cells.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2"]);

    let seen = mock.seen();
    assert_eq!(mock.calls(), ["GET /api/v1/cells"; 2]);
    assert_bearer(&seen);
    for request in &seen {
        assert_eq!(
            request.param("projectId").as_deref(),
            Some(project.as_str())
        );
        assert_eq!(request.param("limit").as_deref(), Some("100"));
    }
    assert_eq!(seen[0].param("after"), None);
    assert_eq!(seen[1].param("after").as_deref(), Some("next-cells"));
}

/// A SQL cell names its output dataframe (`sqlCell.outputDataframe`); one without a data
/// connection queries dataframes. There is no `dataFrameCell` flag in Hex's document.
#[tokio::test]
async fn sql_cells_keep_source_label_connection_and_output() {
    let (project, conn) = (uuid(1), uuid(9));
    let mut revenue = sql_cell(
        "c-sql",
        &project,
        Some(&conn),
        "select * from analytics.fct_revenue",
        "revenue_by_region",
    );
    revenue["label"] = json!("Revenue by region");
    let mut top = sql_cell(
        "c-df",
        &project,
        None,
        "select * from revenue_by_region limit 10",
        "dataframe_2",
    );
    top["label"] = json!("Top rows");
    let mut code = cell("c-code", "CODE", &project);
    code["contents"]["codeCell"] = json!({"source": "df = revenue_by_region.head()"});
    let mut markdown = cell("c-md", "MARKDOWN", &project);
    markdown["contents"]["markdownCell"] = json!({"source": "# Hi"});
    let mock = hex_mock(vec![page(json!([revenue, top, code, markdown]), None)]).await;
    let cells = client(&mock, 1).cells(&project).await.expect("cells");

    let cell = |id: &str, cell_type: &str| Cell {
        id: id.into(),
        static_id: Some(format!("static-{id}")),
        cell_type: cell_type.into(),
        label: None,
        data_connection_id: None,
        project_id: Some(project.clone()),
        sql: None,
        output_dataframe: None,
        queries_dataframes: false,
    };
    let expected = vec![
        Cell {
            label: Some("Revenue by region".into()),
            data_connection_id: Some(conn.clone()),
            sql: Some("select * from analytics.fct_revenue".into()),
            output_dataframe: Some("revenue_by_region".into()),
            ..cell("c-sql", "SQL")
        },
        Cell {
            label: Some("Top rows".into()),
            sql: Some("select * from revenue_by_region limit 10".into()),
            output_dataframe: Some("dataframe_2".into()),
            queries_dataframes: true,
            ..cell("c-df", "SQL")
        },
        cell("c-code", "CODE"),
        cell("c-md", "MARKDOWN"),
    ];
    assert_eq!(cells, expected);
}
