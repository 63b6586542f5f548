//! Artifact kinds and schema versions, read from `metadata.dbt_schema_version`.

use crate::ArtifactError;
use serde::Deserialize;
use std::path::Path;

/// The four artifact kinds downstream reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtifactKind {
    /// `manifest.json`.
    Manifest,
    /// `catalog.json`.
    Catalog,
    /// `run_results.json`.
    RunResults,
    /// `sources.json`.
    Sources,
}

impl ArtifactKind {
    /// The schema name in the URL (`.../dbt/<name>/vN.json`).
    fn url_name(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "manifest",
            ArtifactKind::Catalog => "catalog",
            ArtifactKind::RunResults => "run-results",
            ArtifactKind::Sources => "sources",
        }
    }

    /// The name users know.
    pub fn file_name(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "manifest.json",
            ArtifactKind::Catalog => "catalog.json",
            ArtifactKind::RunResults => "run_results.json",
            ArtifactKind::Sources => "sources.json",
        }
    }

    /// Versions dbt has written so far, oldest and newest.
    fn known_range(self) -> (u32, u32) {
        match self {
            ArtifactKind::Manifest => (1, 12),
            ArtifactKind::Catalog => (1, 1),
            ArtifactKind::RunResults => (1, 6),
            ArtifactKind::Sources => (1, 3),
        }
    }
}

/// The `metadata` block every artifact starts with.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default)]
    pub dbt_schema_version: Option<String>,
    #[serde(default)]
    pub dbt_version: Option<String>,
    #[serde(default)]
    pub generated_at: Option<String>,
    #[serde(default)]
    pub invocation_id: Option<String>,
    #[serde(default)]
    pub project_name: Option<String>,
    #[serde(default)]
    pub adapter_type: Option<String>,
}

/// Checks the declared kind and version; returns the version and a warning for newer ones.
pub(crate) fn check(
    path: &Path,
    meta: &Metadata,
    expected: ArtifactKind,
) -> Result<(u32, Option<String>), ArtifactError> {
    let url = meta.dbt_schema_version.as_deref().unwrap_or_default();
    let (kind, version) = parse_url(url).ok_or_else(|| ArtifactError::NoVersion {
        path: path.to_path_buf(),
        found: meta.dbt_schema_version.clone(),
    })?;
    if kind != expected.url_name() {
        return Err(ArtifactError::WrongKind {
            path: path.to_path_buf(),
            expected: expected.file_name(),
            found: kind.to_string(),
            url: url.to_string(),
        });
    }
    let (min, max) = expected.known_range();
    if version < min {
        return Err(ArtifactError::UnsupportedVersion {
            path: path.to_path_buf(),
            kind: expected.file_name(),
            version,
            min,
            max,
        });
    }
    let warning = (version > max).then(|| {
        format!(
            "{}: {} schema v{version} is newer than v{max}, the newest downstream knows; read best effort, check the result",
            path.display(),
            expected.file_name()
        )
    });
    Ok((version, warning))
}

/// `https://schemas.getdbt.com/dbt/manifest/v12.json` → `("manifest", 12)`.
fn parse_url(url: &str) -> Option<(&str, u32)> {
    let rest = url.trim_end_matches(".json");
    let (head, version) = rest.rsplit_once('/')?;
    let version = version.strip_prefix('v')?.parse().ok()?;
    let kind = head.rsplit('/').next()?;
    Some((kind, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_schema_urls() {
        assert_eq!(
            parse_url("https://schemas.getdbt.com/dbt/manifest/v12.json"),
            Some(("manifest", 12))
        );
        assert_eq!(
            parse_url("https://schemas.getdbt.com/dbt/run-results/v6.json"),
            Some(("run-results", 6))
        );
        assert_eq!(parse_url("nonsense"), None);
    }

    fn meta(url: &str) -> Metadata {
        Metadata {
            dbt_schema_version: Some(url.into()),
            ..Metadata::default()
        }
    }

    #[test]
    fn wrong_kind_and_future_versions() {
        let p = Path::new("target/manifest.json");
        let err = check(
            p,
            &meta("https://schemas.getdbt.com/dbt/catalog/v1.json"),
            ArtifactKind::Manifest,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("expected a manifest.json"),
            "{err}"
        );
        let (v, warning) = check(
            p,
            &meta("https://schemas.getdbt.com/dbt/manifest/v13.json"),
            ArtifactKind::Manifest,
        )
        .unwrap();
        assert_eq!(v, 13);
        assert!(warning.unwrap().contains("best effort"));
        assert!(check(
            p,
            &meta("https://schemas.getdbt.com/dbt/manifest/v0.json"),
            ArtifactKind::Manifest
        )
        .is_err());
        assert!(check(p, &Metadata::default(), ArtifactKind::Manifest).is_err());
    }
}
