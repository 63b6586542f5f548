//! What a SQL text reads, as the store keys tables: shared by query history (statements that
//! ran) and Hex cells (statements a project would run).

use model::{RelationName, WarehouseKind};
use sql::{Dialect, Options};
use std::collections::BTreeMap;

/// The tables a SQL text reads, with the columns it uses of each.
pub(crate) struct Reads {
    /// `select`, `insert`, … of the first meaningful statement.
    pub statement_kind: &'static str,
    /// Table key → columns.
    pub tables: BTreeMap<String, Vec<String>>,
    /// Why (part of) the text did not parse.
    pub error: Option<String>,
    /// Every statement is a kind without lineage (SET, SHOW, GRANT, …): reading no table is
    /// the right answer, not a miss.
    pub without_lineage: bool,
}

/// Parses `sql` under the session defaults `database` and `schema`.
pub(crate) fn reads(
    sql: &str,
    dialect: Dialect,
    kind: WarehouseKind,
    database: Option<&str>,
    schema: Option<&str>,
) -> Reads {
    let options = Options::new(dialect).with_defaults(database, schema);
    let analysis = sql::analyze(sql, &options, None);
    let lineage = analysis.merged();
    let statement_kind = analysis
        .statements
        .iter()
        .find(|s| !s.without_lineage)
        .or(analysis.statements.first())
        .map_or("empty", |s| s.kind);
    let tables = lineage
        .reads
        .iter()
        .map(|t| {
            let columns = lineage
                .columns
                .read
                .get(t)
                .map(|c| c.iter().cloned().collect())
                .unwrap_or_default();
            (table_key(t, kind), columns)
        })
        .collect();
    let without_lineage =
        !analysis.statements.is_empty() && analysis.statements.iter().all(|s| s.without_lineage);
    Reads {
        statement_kind,
        tables,
        error: analysis.error(),
        without_lineage,
    }
}

/// The key the dbt side stores for the same relation (`RelationName::key`).
pub(crate) fn table_key(dotted: &str, kind: WarehouseKind) -> String {
    let parts: Vec<&str> = dotted.split('.').collect();
    match parts.as_slice() {
        [db, schema, name] => RelationName {
            database: Some((*db).to_string()),
            schema: Some((*schema).to_string()),
            name: (*name).to_string(),
        }
        .key(),
        _ => RelationName::parse(dotted, kind)
            .map(|r| r.key())
            .unwrap_or_else(|_| dotted.to_string()),
    }
}
