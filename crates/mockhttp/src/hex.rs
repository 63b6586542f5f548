//! Hex's answers as its OpenAPI document defines them (`specs/hex-v1.json`, extracted from the
//! `openapi.json` Hex publishes), for every test suite that stands in for Hex. A mock made
//! with [`mock`] checks each answer against that document when its test ends.

use crate::openapi::Spec;
use crate::{Mock, Reply};
use serde_json::{json, Value};
use std::sync::Arc;

/// Hex's document, read once.
pub fn spec() -> Arc<Spec> {
    crate::openapi::bundled("hex-v1.json")
}

/// A mock answering `replies` in order, checked against Hex's document.
pub async fn mock(replies: Vec<Reply>) -> Mock {
    Mock::vendor(spec(), Vec::new(), replies).await
}

/// Project and data connection ids are UUIDs (`ProjectId`, `DataConnectionId` patterns).
pub fn uuid(n: u32) -> String {
    format!("1b2c3d4e-0000-4000-8000-{n:012}")
}

/// A page: `{values, pagination: {after, before}}` (`PaginationApiResource`, both required).
pub fn page(values: Value, after: Option<&str>) -> Reply {
    Reply::json(
        200,
        json!({"values": values, "pagination": {"after": after, "before": null}}),
    )
}

/// A queriedTables page, which also carries a `traceId` (`ProjectQueriedTablesApiResource`).
pub fn queried_page(values: Value, after: Option<&str>) -> Reply {
    Reply::json(
        200,
        json!({"values": values, "pagination": {"after": after, "before": null},
               "traceId": "5f1c-trace"}),
    )
}

/// A project with every field `ProjectApiResource` requires; `edited` is its `lastEditedAt`.
pub fn project(id: &str, title: &str, edited: &str) -> Value {
    json!({
        "id": id, "title": title, "description": null, "type": "PROJECT",
        "creator": {"email": "bo@acme.com"}, "owner": {"email": "ana@acme.com"},
        "status": {"name": "Published"}, "categories": [], "reviews": {"required": false},
        "analytics": {"appViews": {"allTime": 0, "lastSevenDays": 0, "lastFourteenDays": 0,
                                   "lastThirtyDays": 0},
                      "lastViewedAt": null, "publishedResultsUpdatedAt": null},
        "lastEditedAt": edited, "lastPublishedAt": null,
        "createdAt": "2024-05-01T09:00:00.000Z", "archivedAt": null, "trashedAt": null,
        "schedules": []
    })
}

/// A cell of ListCells' answer: every field is required, the three `contents` too (null
/// when the cell is of another kind). Its `staticId` is `static-<id>`.
pub fn cell(id: &str, cell_type: &str, project: &str) -> Value {
    json!({
        "id": id, "staticId": format!("static-{id}"), "cellType": cell_type, "label": null,
        "dataConnectionId": null, "projectId": project,
        "contents": {"codeCell": null, "sqlCell": null, "markdownCell": null}
    })
}

/// A SQL cell on `connection` (none: it queries dataframes), storing into `output`.
pub fn sql_cell(
    id: &str,
    project: &str,
    connection: Option<&str>,
    sql: &str,
    output: &str,
) -> Value {
    let mut cell = cell(id, "SQL", project);
    cell["dataConnectionId"] = json!(connection);
    cell["contents"]["sqlCell"] = json!({"source": sql, "outputDataframe": output});
    cell
}

/// A data connection in ListDataConnections' basic form (`DataConnectionApiResource`).
pub fn connection(id: &str, name: &str, kind: &str) -> Value {
    json!({"id": id, "name": name, "type": kind})
}

/// A data connection with its details (`DataConnectionWithSensitiveFieldsApiResource`):
/// `details` is the type's group of `ReadableConnectionDetails`.
pub fn detailed_connection(id: &str, name: &str, kind: &str, details: Value) -> Value {
    json!({
        "id": id, "name": name, "type": kind,
        "connectionDetails": {kind: details},
        "connectViaSsh": false, "includeMagic": true, "allowWritebackCells": false,
        "schemaRefreshAccess": "ADMINS",
        "sharing": {"workspace": {"members": "QUERY"}, "groups": []}
    })
}

/// An error of the older endpoints (projects, queriedTables, data connections):
/// `TsoaErrorResponsePayload {reason, details?, traceId}`.
pub fn error(status: u16, reason: &str) -> Reply {
    Reply::json(status, json!({"reason": reason, "traceId": "5f1c-trace"}))
}

/// The same with `details`.
pub fn error_details(status: u16, reason: &str, details: &str) -> Reply {
    Reply::json(
        status,
        json!({"reason": reason, "details": details, "traceId": "5f1c-trace"}),
    )
}

/// An error of the newer endpoints (cells): `{message, code, issues}` (`error.FORBIDDEN`, …).
pub fn cells_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"message": message, "code": code, "issues": []}),
    )
}
