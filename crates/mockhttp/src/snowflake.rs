//! Snowflake's SQL API as Snowflake's own OpenAPI document defines it
//! (`specs/snowflake-sql-api-v2.json`, from snowflakedb/snowflake-rest-api-specs
//! `specifications/sqlapi.yaml`): a mock made with [`mock`] checks every answer against it.
//! The document gives error answers (401, 403, 429, 5xx) no body schema; 422 is a
//! `QueryFailureStatus` and 202 a `QueryStatus`, both with a `statementHandle`.

use crate::openapi::Spec;
use crate::{Mock, Reply};
use std::sync::Arc;

/// Snowflake's document, read once.
pub fn spec() -> Arc<Spec> {
    crate::openapi::bundled("snowflake-sql-api-v2.json")
}

/// A mock answering `replies` in order, checked against Snowflake's document.
pub async fn mock(replies: Vec<Reply>) -> Mock {
    Mock::vendor(spec(), Vec::new(), replies).await
}
