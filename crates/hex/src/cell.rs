//! Cells of a project, with the SQL of SQL cells.

use crate::lenient;
use serde::Deserialize;

/// A cell of a Hex project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The cell id, as in `selectedCellId`.
    pub id: String,
    /// The id that stays the same across the project's versions.
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
    /// A SQL cell that queries dataframes of the project rather than the warehouse: its
    /// tables are not warehouse tables.
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
    #[serde(default, deserialize_with = "lenient::truthy")]
    data_frame_cell: bool,
}

impl From<RawCell> for Cell {
    fn from(raw: RawCell) -> Cell {
        let sql_cell = raw.contents.and_then(|c| c.sql_cell);
        let cell_type = raw.cell_type.unwrap_or_default();
        let is_sql = sql_cell.is_some() || cell_type.eq_ignore_ascii_case("SQL");
        let data_connection_id = raw.data_connection_id.filter(|id| !id.is_empty());
        // Hex marks dataframe SQL in the cell, and such a cell has no connection to run on.
        let queries_dataframes = is_sql
            && (sql_cell.as_ref().is_some_and(|sql| sql.data_frame_cell)
                || data_connection_id.is_none());
        Cell {
            id: raw.id,
            static_id: raw.static_id,
            cell_type,
            label: raw.label,
            data_connection_id,
            project_id: raw.project_id,
            sql: sql_cell.and_then(|sql| sql.source),
            queries_dataframes,
        }
    }
}
