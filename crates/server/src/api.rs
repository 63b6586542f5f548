//! The JSON API under `/api/`: the data of every page, as the store returns it.

use crate::error::{ApiError, AppError};
use crate::extract::{ApiPath, ApiQuery};
use crate::format::unsegment;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use store::{ConnectionOverview, SearchHit, SyncRecord, TableDetail, TreeDatabase};

pub(crate) async fn connections(
    State(s): State<AppState>,
) -> Result<Json<Vec<ConnectionOverview>>, ApiError> {
    Ok(Json(s.store.connections().await?))
}

pub(crate) async fn connection(
    State(s): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<ConnectionOverview>, ApiError> {
    Ok(Json(s.store.connection(&name).await?))
}

/// `?database=D&schema=S` narrows the tree to one schema (what a large connection loads).
#[derive(Deserialize)]
pub struct TreeQuery {
    /// Database of the schema to load.
    pub database: Option<String>,
    /// The schema to load.
    pub schema: Option<String>,
}

pub(crate) async fn tree(
    State(s): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<TreeQuery>,
) -> Result<Json<Vec<TreeDatabase>>, ApiError> {
    Ok(Json(match (q.database, q.schema) {
        (Some(database), Some(schema)) => s.store.schema_tree(&name, &database, &schema).await?,
        _ => s.store.tree(&name).await?,
    }))
}

pub(crate) async fn schemas(
    State(s): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Vec<store::SchemaCount>>, ApiError> {
    Ok(Json(s.store.schema_counts(&name).await?))
}

#[derive(Deserialize)]
pub(crate) struct Limit {
    limit: Option<i64>,
}

/// A sync as the API shows it: the stored record and the same line the status page reads.
#[derive(serde::Serialize)]
pub(crate) struct SyncView {
    #[serde(flatten)]
    record: SyncRecord,
    /// The figures in words, e.g. "8 new runs from 69 Hex queries · 0.4 s".
    description: String,
}

pub(crate) async fn syncs(
    State(s): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<Limit>,
) -> Result<Json<Vec<SyncView>>, ApiError> {
    s.store.connection(&name).await?;
    let records = s
        .store
        .syncs(&name, q.limit.unwrap_or(50).clamp(1, 1000))
        .await?;
    Ok(Json(
        records
            .into_iter()
            .map(|record| SyncView {
                description: crate::sync_text::describe(&record.source, &record.summary),
                record,
            })
            .collect(),
    ))
}

/// `?hex=live` keeps only Hex work inside the activity window.
#[derive(Deserialize)]
pub struct TableQuery {
    /// `live` or `all` (the default).
    pub hex: Option<String>,
}

/// A table page's data: what dbt knows, or only what the warehouse has.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum TableJson {
    /// A relation dbt manages.
    Dbt(Box<TableDetail>),
    /// A relation only introspection found.
    Warehouse(Box<store::WarehouseTable>),
}

pub(crate) async fn table(
    State(s): State<AppState>,
    ApiPath((name, database, schema, table)): ApiPath<(String, String, String, String)>,
    ApiQuery(q): ApiQuery<TableQuery>,
) -> Result<Json<TableJson>, ApiError> {
    let (database, schema) = (unsegment(&database), unsegment(&schema));
    let since = s.live_since();
    let live_only = q.hex.as_deref() == Some("live");
    if let Some(mut t) = s
        .store
        .table_with_usage(&name, database, schema, &table, &since)
        .await?
    {
        t.hex.retain(|u| u.live || !live_only);
        return Ok(Json(TableJson::Dbt(Box::new(t))));
    }
    let mut w = s
        .store
        .warehouse_table(&name, database, schema, &table, &since)
        .await?
        .ok_or_else(|| {
            ApiError(AppError::NotFound(format!(
                "neither dbt nor the warehouse knows {database}.{schema}.{table} in {name}"
            )))
        })?;
    w.hex.retain(|u| u.live || !live_only);
    Ok(Json(TableJson::Warehouse(Box::new(w))))
}

/// `q` is the text typed; `limit` caps results (default 20, at most 200).
#[derive(Deserialize)]
pub struct SearchQuery {
    /// The text typed.
    #[serde(default)]
    pub q: String,
    /// Most results.
    pub limit: Option<i64>,
}

pub(crate) async fn search(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    let limit = q.limit.unwrap_or(20).clamp(1, 200) as usize;
    Ok(Json(s.search(&q.q, limit).await?))
}
