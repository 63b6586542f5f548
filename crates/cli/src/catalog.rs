//! A source whose configuration cannot work (a secret missing from the environment): each
//! sync reports why, on the connection's status page, instead of every command refusing to
//! start.

use async_trait::async_trait;
use history::{Checkpoint, HistoryError, HistoryRequest, QueryHistory, RowSink};
use warehouse::{CatalogError, CatalogReader, RelationSink, SchemaRef};

/// Carries the configuration problem, e.g. a secret missing from the environment.
pub struct Misconfigured(pub String);

#[async_trait]
impl CatalogReader for Misconfigured {
    fn describe(&self) -> String {
        "warehouse catalog".to_string()
    }

    async fn schemas(&self) -> Result<Vec<SchemaRef>, CatalogError> {
        Err(CatalogError::Failed {
            call: "configuration".into(),
            message: self.0.clone(),
        })
    }

    async fn relations(&self, _: &SchemaRef, _: &RelationSink) -> Result<(), CatalogError> {
        self.schemas().await.map(|_| ())
    }
}

#[async_trait]
impl QueryHistory for Misconfigured {
    fn describe(&self) -> String {
        "query history".to_string()
    }

    async fn read(
        &self,
        _: &HistoryRequest,
        _: Option<&Checkpoint>,
        _: &RowSink,
    ) -> Result<Checkpoint, HistoryError> {
        Err(HistoryError::File {
            path: "configuration".into(),
            message: self.0.clone(),
        })
    }
}
