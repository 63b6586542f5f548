//! A source whose configuration cannot work (a secret missing from the environment): each
//! sync reports why, on the connection's status page, instead of every command refusing to
//! start.

use async_trait::async_trait;
use history::{Checkpoint, HistoryError, HistoryRequest, QueryHistory, RowSink};
use model::Misconfigured;
use warehouse::{CatalogError, CatalogReader, RelationSink, SchemaRef};

/// A source that only says why it cannot work, e.g. a secret missing from the environment.
pub struct Unusable(pub Misconfigured);

#[async_trait]
impl CatalogReader for Unusable {
    fn describe(&self) -> String {
        "warehouse catalog".to_string()
    }

    async fn schemas(&self) -> Result<Vec<SchemaRef>, CatalogError> {
        Err(CatalogError::Misconfigured(self.0.clone()))
    }

    async fn relations(&self, _: &SchemaRef, _: &RelationSink) -> Result<(), CatalogError> {
        self.schemas().await.map(|_| ())
    }
}

#[async_trait]
impl QueryHistory for Unusable {
    fn describe(&self) -> String {
        "query history".to_string()
    }

    async fn read(
        &self,
        _: &HistoryRequest,
        _: Option<&Checkpoint>,
        _: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        Err(HistoryError::Misconfigured(self.0.clone()))
    }
}
