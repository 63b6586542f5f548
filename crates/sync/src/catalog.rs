//! Warehouse catalog sync: schemas whose change time moved (or that the warehouse
//! keeps none for) are read and replaced one transaction each; schemas gone are forgotten.

use model::RelationName;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use store::{Store, StoredSchema, WarehouseRelation};
use warehouse::{CatalogError, CatalogReader, Relation, SchemaRef};

/// One connection's catalog source.
#[derive(Clone)]
pub struct CatalogTarget {
    /// The connection (already in the store).
    pub connection: String,
    /// Where the catalog comes from.
    pub source: Arc<dyn CatalogReader>,
}

impl std::fmt::Debug for CatalogTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogTarget")
            .field("connection", &self.connection)
            .field("source", &self.source.describe())
            .finish_non_exhaustive()
    }
}

/// What a catalog sync did.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct CatalogSummary {
    /// Schemas the warehouse listed.
    pub schemas: u64,
    /// Schemas read because they changed (or the warehouse keeps no change time).
    pub read: u64,
    /// Schemas skipped as unchanged.
    pub unchanged: u64,
    /// Schemas forgotten because the warehouse no longer has them.
    pub removed: u64,
    /// Relations stored.
    pub relations: u64,
    /// Columns stored.
    pub columns: u64,
    /// Wall time.
    pub seconds: f64,
}

/// How often every schema is read again, changed or not.
const FULL_READ_HOURS: i64 = 6;

/// Why a catalog sync failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogSyncError {
    /// Some schemas could not be read; the others were stored.
    #[error("{failed} of {listed} schemas could not be read (the others were updated): {detail}")]
    Partial {
        /// Schemas that failed.
        failed: usize,
        /// Schemas listed.
        listed: usize,
        /// Each failure.
        detail: String,
    },
    /// The warehouse failed.
    #[error("{0}")]
    Source(#[from] CatalogError),
    /// Another process reads this catalog now.
    #[error(transparent)]
    Busy(#[from] crate::Busy),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Reads the catalog into the store. Each schema is replaced atomically, so a failure
/// leaves every schema either as it was or fully updated; the failure is recorded on the
/// connection's status page.
pub async fn sync_catalog(
    store: &Store,
    target: &CatalogTarget,
) -> Result<CatalogSummary, CatalogSyncError> {
    let key = format!("warehouse:{}", target.connection);
    let what = || format!("warehouse catalog sync of {}", target.connection);
    crate::exclusive::exclusive(store, &key, what, sync_catalog_now(store, target)).await
}

async fn sync_catalog_now(
    store: &Store,
    target: &CatalogTarget,
) -> Result<CatalogSummary, CatalogSyncError> {
    let started_at = store::now();
    let result = run(store, target).await;
    match &result {
        Ok(summary) => {
            let summary = serde_json::to_string(summary).unwrap_or_default();
            store
                .record_success(&target.connection, "warehouse", &started_at, &summary)
                .await?;
        }
        Err(error) => {
            let message = format!("{}: {error}", target.source.describe());
            store
                .record_failure(&target.connection, "warehouse", &started_at, &message)
                .await?;
        }
    }
    result
}

async fn run(store: &Store, target: &CatalogTarget) -> Result<CatalogSummary, CatalogSyncError> {
    let started = Instant::now();
    let listed = target.source.schemas().await?;
    let stored: HashMap<(String, String), StoredSchema> = store
        .warehouse_schemas(&target.connection)
        .await?
        .into_iter()
        .map(|s| ((s.database.clone(), s.schema.clone()), s))
        .collect();
    let recent = model::stamp(chrono::Utc::now() - chrono::Duration::hours(FULL_READ_HOURS));
    let mut failures: Vec<String> = Vec::new();
    let mut summary = CatalogSummary {
        schemas: listed.len() as u64,
        ..CatalogSummary::default()
    };
    for schema in &listed {
        let changed_at = schema.changed_at.map(|t| t.to_rfc3339());
        let key = (schema.database.clone(), schema.schema.clone());
        if unchanged(stored.get(&key), &changed_at, &recent) {
            summary.unchanged += 1;
            continue;
        }
        // One schema the role may not read must not hide the others.
        let relations = match read_schema(target, schema).await {
            Ok(relations) => relations,
            Err(CatalogError::Cancelled) => return Err(CatalogError::Cancelled.into()),
            Err(e) => {
                failures.push(format!("{}.{}: {e}", schema.database, schema.schema));
                continue;
            }
        };
        summary.read += 1;
        summary.relations += relations.len() as u64;
        summary.columns += relations
            .iter()
            .map(|r| r.columns.len() as u64)
            .sum::<u64>();
        let record = StoredSchema {
            database: schema.database.clone(),
            schema: schema.schema.clone(),
            changed_at,
            synced_at: String::new(),
        };
        store
            .replace_warehouse_schema(&target.connection, &record, &relations)
            .await?;
    }
    for (database, schema) in stored.keys() {
        let still_there = listed
            .iter()
            .any(|s| &s.database == database && &s.schema == schema);
        if !still_there {
            store
                .drop_warehouse_schema(&target.connection, database, schema)
                .await?;
            summary.removed += 1;
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    if !failures.is_empty() {
        return Err(CatalogSyncError::Partial {
            failed: failures.len(),
            listed: listed.len(),
            detail: failures.join("; "),
        });
    }
    Ok(summary)
}

/// Schemas whose change time the warehouse reports and that did not move are skipped, but
/// re-read every [`FULL_READ_HOURS`] anyway: a schema's change time may not move when only
/// its tables change.
fn unchanged(stored: Option<&StoredSchema>, changed_at: &Option<String>, recent: &str) -> bool {
    stored.is_some_and(|s| {
        changed_at.is_some() && &s.changed_at == changed_at && s.synced_at.as_str() >= recent
    })
}

/// One schema's relations, streamed from the source.
async fn read_schema(
    target: &CatalogTarget,
    schema: &SchemaRef,
) -> Result<Vec<WarehouseRelation>, CatalogError> {
    let (sink, mut pages) = tokio::sync::mpsc::channel::<Vec<Relation>>(4);
    let source = target.source.clone();
    let schema = schema.clone();
    let reader = tokio::spawn(async move { source.relations(&schema, &sink).await });
    let mut relations = Vec::new();
    while let Some(page) = pages.recv().await {
        relations.extend(page.into_iter().map(record));
    }
    reader.await.map_err(|e| CatalogError::Failed {
        call: "reading relations".into(),
        message: e.to_string(),
    })??;
    Ok(relations)
}

fn record(r: Relation) -> WarehouseRelation {
    // Keyed exactly as stored, like query lineage's table keys and dbt's relation keys.
    let rel_key = RelationName {
        database: Some(r.database.clone()),
        schema: Some(r.schema.clone()),
        name: r.name.clone(),
    }
    .key();
    WarehouseRelation {
        rel_key,
        kind: r.kind.as_str().to_string(),
        comment: r.comment,
        row_estimate: r.row_estimate,
        columns: r
            .columns
            .into_iter()
            .map(|c| (c.name, c.data_type, c.comment))
            .collect(),
        database: r.database,
        schema: r.schema,
        name: r.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(changed_at: Option<&str>, synced_at: &str) -> StoredSchema {
        StoredSchema {
            database: "db".into(),
            schema: "s".into(),
            changed_at: changed_at.map(str::to_string),
            synced_at: synced_at.into(),
        }
    }

    #[test]
    fn only_recently_read_schemas_with_an_unmoved_change_time_are_skipped() {
        let when = Some("2026-11-01T00:00:00+00:00".to_string());
        let recent = "2026-11-23T09:00:00.000000Z";
        let fresh = stored(when.as_deref(), "2026-11-23T12:00:00.000000Z");
        assert!(unchanged(Some(&fresh), &when, recent));
        let old = stored(when.as_deref(), "2026-11-23T01:00:00.000000Z");
        assert!(
            !unchanged(Some(&old), &when, recent),
            "re-read every few hours anyway"
        );
        let moved = Some("2026-11-22T00:00:00+00:00".to_string());
        assert!(!unchanged(Some(&fresh), &moved, recent));
        assert!(!unchanged(
            Some(&stored(None, "2026-11-23T12:00:00.000000Z")),
            &None,
            recent
        ));
        assert!(!unchanged(None, &when, recent));
    }
}
