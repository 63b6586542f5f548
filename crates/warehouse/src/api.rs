//! What the three API sources (Snowflake, BigQuery, Databricks) share: the HTTP layer's
//! errors as [`CatalogError`]s, and relations sent to the sync in pages as they complete.

use crate::{CatalogError, Column, Relation, RelationSink};
use rest::RestError;

/// Relations sent per page.
const PAGE: usize = 256;

/// 401 and 403 keep their meaning; anything else is a failed call, in the HTTP layer's words.
impl From<RestError> for CatalogError {
    fn from(error: RestError) -> Self {
        match error {
            RestError::Unauthorized { call, message } => {
                CatalogError::Unauthorized { call, message }
            }
            RestError::Forbidden {
                call,
                message,
                grant,
            } => CatalogError::Forbidden {
                call,
                message,
                grant,
            },
            RestError::Http { call, status, body } => CatalogError::Failed {
                call,
                message: format!("HTTP {status}: {body}"),
            },
            RestError::Timeout { call, seconds } => CatalogError::Failed {
                call,
                message: format!("timed out after {seconds} s"),
            },
            RestError::Malformed { call, detail } => CatalogError::Failed {
                call,
                message: format!("unexpected answer: {detail}"),
            },
        }
    }
}

/// An answer that parsed but does not say what the source needs.
pub(crate) fn unexpected(call: &str, detail: impl std::fmt::Display) -> CatalogError {
    CatalogError::Failed {
        call: call.to_string(),
        message: format!("unexpected answer: {detail}"),
    }
}

/// Collects relations into pages and sends each page when full. Sources that get one row
/// per column (ordered by relation, then column) build each relation with
/// [`RelationPages::column`]; sources that get whole relations [`RelationPages::push`] them.
pub(crate) struct RelationPages<'a> {
    sink: &'a RelationSink,
    page: Vec<Relation>,
    /// The relation whose columns are still arriving.
    open: Option<Relation>,
    /// What a relation needs once all its columns are in.
    finish: fn(&mut Relation),
}

impl<'a> RelationPages<'a> {
    pub(crate) fn new(sink: &'a RelationSink) -> Self {
        RelationPages::finishing(sink, |_| {})
    }

    /// Pages that apply `finish` to each relation built with [`RelationPages::column`]
    /// once its last column is in.
    pub(crate) fn finishing(sink: &'a RelationSink, finish: fn(&mut Relation)) -> Self {
        RelationPages {
            sink,
            page: Vec::with_capacity(PAGE),
            open: None,
            finish,
        }
    }

    /// Adds `column` (if any: a relation without columns has a row without one) to the
    /// relation named `name`, which `start` makes when the rows moved on to a new relation.
    pub(crate) async fn column(
        &mut self,
        name: &str,
        start: impl FnOnce() -> Result<Relation, CatalogError>,
        column: Option<Column>,
    ) -> Result<(), CatalogError> {
        if self.open.as_ref().is_none_or(|open| open.name != name) {
            if let Some(mut done) = self.open.replace(start()?) {
                (self.finish)(&mut done);
                self.push(done).await?;
            }
        }
        if let (Some(open), Some(column)) = (self.open.as_mut(), column) {
            open.columns.push(column);
        }
        Ok(())
    }

    /// Adds a complete relation.
    pub(crate) async fn push(&mut self, relation: Relation) -> Result<(), CatalogError> {
        self.page.push(relation);
        if self.page.len() >= PAGE {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sends what is left: the open relation and the last, partly filled page.
    pub(crate) async fn finish(mut self) -> Result<(), CatalogError> {
        if let Some(mut done) = self.open.take() {
            (self.finish)(&mut done);
            self.page.push(done);
        }
        if !self.page.is_empty() {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), CatalogError> {
        let page = std::mem::replace(&mut self.page, Vec::with_capacity(PAGE));
        self.sink
            .send(page)
            .await
            .map_err(|_| CatalogError::Cancelled)
    }
}
