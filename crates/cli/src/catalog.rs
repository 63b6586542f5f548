//! A catalog source whose configuration cannot work: each sync reports why, on the
//! connection's status page, instead of the whole server refusing to start.

use async_trait::async_trait;
use warehouse::{Introspect, IntrospectError, RelationSink, SchemaRef};

/// Carries the configuration problem, e.g. a secret missing from the environment.
pub struct Misconfigured(pub String);

#[async_trait]
impl Introspect for Misconfigured {
    fn describe(&self) -> String {
        "warehouse catalog".to_string()
    }

    async fn schemas(&self) -> Result<Vec<SchemaRef>, IntrospectError> {
        Err(IntrospectError::Failed {
            call: "configuration".into(),
            message: self.0.clone(),
        })
    }

    async fn relations(&self, _: &SchemaRef, _: &RelationSink) -> Result<(), IntrospectError> {
        self.schemas().await.map(|_| ())
    }
}
