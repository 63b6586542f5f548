//! Cells of a project, with the SQL of SQL cells.
//!
//! Shape: `GET /v1/cells` in Hex's OpenAPI document: `id` ("scoped to a specific version" of
//! the project), `staticId` (stable across versions), `cellType`, `label`,
//! `dataConnectionId`, `projectId` and `contents {codeCell, sqlCell {source,
//! outputDataframe}, markdownCell}`. ListCells reads the project's draft version.

use serde::Deserialize;

/// A cell of a Hex project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The cell id of the draft version.
    pub id: String,
    /// The id that stays the same across the project's versions. Which of the two a query
    /// comment's `selectedCellId` carries is not documented, so both are kept.
    pub static_id: Option<String>,
    /// `SQL`, `CODE`, `MARKDOWN`, `CHART`, ...; empty if Hex sent none.
    pub cell_type: String,
    /// The name the author gave the cell.
    pub label: Option<String>,
    /// The data connection a SQL cell runs on.
    pub data_connection_id: Option<String>,
    /// The project the cell belongs to.
    pub project_id: Option<String>,
    /// A SQL cell's source (`contents.sqlCell.source`).
    pub sql: Option<String>,
    /// The dataframe a SQL cell's result is stored into (`contents.sqlCell.outputDataframe`):
    /// the name later cells query it by.
    pub output_dataframe: Option<String>,
    /// A SQL cell without a data connection queries the project's dataframes, not the
    /// warehouse: its tables are not warehouse tables.
    pub queries_dataframes: bool,
}

/// A cell as Hex sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawCell {
    id: String,
    static_id: Option<String>,
    cell_type: Option<String>,
    label: Option<String>,
    data_connection_id: Option<String>,
    project_id: Option<String>,
    contents: Option<Contents>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contents {
    sql_cell: Option<SqlCell>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SqlCell {
    source: Option<String>,
    output_dataframe: Option<String>,
}

impl From<RawCell> for Cell {
    fn from(raw: RawCell) -> Cell {
        let sql_cell = raw.contents.and_then(|c| c.sql_cell);
        let cell_type = raw.cell_type.unwrap_or_default();
        let is_sql = sql_cell.is_some() || cell_type.eq_ignore_ascii_case("SQL");
        let data_connection_id = raw.data_connection_id.filter(|id| !id.is_empty());
        let (sql, output_dataframe) = match sql_cell {
            Some(cell) => (cell.source, cell.output_dataframe.filter(|n| !n.is_empty())),
            None => (None, None),
        };
        Cell {
            id: raw.id,
            static_id: raw.static_id.filter(|id| !id.is_empty()),
            queries_dataframes: is_sql && data_connection_id.is_none(),
            cell_type,
            label: raw.label,
            data_connection_id,
            project_id: raw.project_id,
            sql,
            output_dataframe,
        }
    }
}
