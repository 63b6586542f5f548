//! `sources.json` v1 to v3: what `dbt source freshness` measured.

use crate::json::{lenient_f64, lenient_string};
use crate::manifest::RawFreshnessRule;
use crate::timestamp;
use crate::version::Metadata;
use model::{FreshnessCheck, RunStatus};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct RawSources {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    results: Vec<RawFreshness>,
}

#[derive(Deserialize)]
struct RawFreshness {
    #[serde(default)]
    unique_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    max_loaded_at: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    snapshotted_at: Option<String>,
    #[serde(default, deserialize_with = "lenient_f64")]
    max_loaded_at_time_ago_in_s: Option<f64>,
    #[serde(default)]
    criteria: Option<RawFreshnessRule>,
    #[serde(default, deserialize_with = "lenient_string")]
    error: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    message: Option<String>,
}

impl RawSources {
    pub(crate) fn into_checks(self) -> Vec<FreshnessCheck> {
        let generated_at = self.metadata.generated_at.clone().unwrap_or_default();
        self.results
            .into_iter()
            .filter_map(|r| r.into_check(&generated_at))
            .collect()
    }
}

impl RawFreshness {
    fn into_check(self, generated_at: &str) -> Option<FreshnessCheck> {
        let status = RunStatus::parse(self.status.as_deref()?)?;
        let snapshotted_at = self
            .snapshotted_at
            .as_deref()
            .and_then(timestamp::normalize)
            .or_else(|| timestamp::normalize(generated_at))?;
        Some(FreshnessCheck {
            unique_id: self.unique_id,
            status,
            max_loaded_at: self.max_loaded_at.as_deref().and_then(timestamp::normalize),
            snapshotted_at,
            age_seconds: self.max_loaded_at_time_ago_in_s,
            rule: self
                .criteria
                .and_then(|c| c.resolve(None))
                .unwrap_or_default(),
            error: self
                .error
                .or(self.message.filter(|_| status == RunStatus::Error))
                .filter(|e| !e.is_empty()),
        })
    }
}
