//! Reads a dbt project's artifacts into [`model::DbtProject`].
//!
//! Every manifest version from v1 (dbt 0.19) to v12 (dbt 1.8 and later) is read through one set
//! of lenient typed structs; newer versions are read best effort with a warning. Each file is
//! parsed once, straight into the fields downstream keeps. [`cloud`] downloads them from
//! dbt Cloud.
//!
//! ```no_run
//! use dbt::ArtifactPaths;
//! use model::WarehouseKind;
//!
//! let paths = ArtifactPaths::from_target_dir("jaffle/target".as_ref());
//! let project = dbt::load(&paths, WarehouseKind::Postgres)?;
//! println!("{} nodes, {} tests", project.nodes.len(), project.tests.len());
//! # Ok::<(), dbt::ArtifactError>(())
//! ```
#![deny(missing_docs)]

mod catalog;
pub mod cloud;
mod error;
mod json;
mod manifest;
mod run_results;
mod sources;
pub mod timestamp;
mod version;

pub use error::ArtifactError;
pub use version::ArtifactKind;

use model::{DbtProject, ProjectMeta, WarehouseKind};
use run_results::Outcome;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Where one project's artifacts are. Only the manifest is required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArtifactPaths {
    /// `manifest.json`.
    pub manifest: PathBuf,
    /// `catalog.json` from `dbt docs generate`.
    pub catalog: Option<PathBuf>,
    /// `run_results.json` files from run/build/test invocations; docs-generate ones are skipped.
    pub run_results: Vec<PathBuf>,
    /// `sources.json` from `dbt source freshness`.
    pub sources: Option<PathBuf>,
}

impl ArtifactPaths {
    /// The artifacts present in a dbt `target/` directory.
    pub fn from_target_dir(dir: &Path) -> Self {
        let present = |name: &str| Some(dir.join(name)).filter(|p| p.exists());
        ArtifactPaths {
            manifest: dir.join("manifest.json"),
            catalog: present("catalog.json"),
            run_results: present("run_results.json").into_iter().collect(),
            sources: present("sources.json"),
        }
    }

    /// Every path, for change detection.
    pub fn all(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.manifest.as_path())
            .chain(self.catalog.as_deref())
            .chain(self.run_results.iter().map(PathBuf::as_path))
            .chain(self.sources.as_deref())
    }
}

/// The compiled SQL of one model or snapshot, kept apart from the project so that it can be
/// parsed and dropped one node at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledSql {
    /// The node's `unique_id`.
    pub unique_id: String,
    /// `compiled_code` (manifest v7 and later) or `compiled_sql` (before).
    pub sql: String,
}

/// Reads and checks every artifact, then resolves them into one project.
pub fn load(paths: &ArtifactPaths, kind: WarehouseKind) -> Result<DbtProject, ArtifactError> {
    load_as::<manifest::SkipSql>(paths, kind).map(|(project, _)| project)
}

/// Like [`load`], and also the compiled SQL of each model and snapshot dbt compiled (`dbt
/// compile`, `run`, `build` and `docs generate` write it; `dbt parse` does not). Tests' and
/// analyses' SQL is dropped as soon as the manifest is read.
pub fn load_with_sql(
    paths: &ArtifactPaths,
    kind: WarehouseKind,
) -> Result<(DbtProject, Vec<CompiledSql>), ArtifactError> {
    load_as::<manifest::KeepSql>(paths, kind)
}

fn load_as<S>(
    paths: &ArtifactPaths,
    kind: WarehouseKind,
) -> Result<(DbtProject, Vec<CompiledSql>), ArtifactError>
where
    S: manifest::SqlField + DeserializeOwned,
{
    let mut warnings = Vec::new();
    let manifest: manifest::RawManifest<S> =
        read(&paths.manifest, ArtifactKind::Manifest, &mut warnings)?;
    let (manifest_version, _) =
        version::check(&paths.manifest, &manifest.metadata, ArtifactKind::Manifest)?;
    let meta = project_meta(&manifest.metadata, manifest_version);
    let resolved = manifest.resolve(kind);
    let mut project = DbtProject {
        meta,
        nodes: resolved.nodes,
        tests: resolved.tests,
        edges: resolved.edges,
        ..DbtProject::default()
    };
    if let Some(path) = &paths.catalog {
        merge_catalog(&mut project, path, kind, &mut warnings)?;
    }
    for path in &paths.run_results {
        merge_run_results(&mut project, path, &mut warnings)?;
    }
    if let Some(path) = &paths.sources {
        let raw: sources::RawSources = read(path, ArtifactKind::Sources, &mut warnings)?;
        project.freshness = raw.into_checks();
    }
    warn_unknown_ids(&mut project, paths, &mut warnings);
    project.warnings = warnings;
    Ok((project, resolved.compiled))
}

/// Parses one artifact straight into its typed shape and checks kind and version.
fn read<T: DeserializeOwned + HasMetadata>(
    path: &Path,
    kind: ArtifactKind,
    warnings: &mut Vec<String>,
) -> Result<T, ArtifactError> {
    let io = |source| ArtifactError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (size, limit) = (
        std::fs::metadata(path).map_err(io)?.len(),
        max_artifact_bytes(),
    );
    if size > limit {
        return Err(ArtifactError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let parsed: T = match serde_json::from_slice(&bytes) {
        Ok(parsed) => parsed,
        Err(err) => {
            // A shape error may really be the wrong file: say so when the metadata tells.
            if let Ok(head) = serde_json::from_slice::<Head>(&bytes) {
                version::check(path, &head.metadata, kind)?;
            }
            return Err(ArtifactError::json_in(path, err, &bytes));
        }
    };
    let (_, warning) = version::check(path, parsed.metadata(), kind)?;
    warnings.extend(warning);
    Ok(parsed)
}

/// The largest artifact read: `DOWNSTREAM_MAX_ARTIFACT_MB`, else 4 GB (the largest real
/// manifests are around 1 GB; the file is held in memory while it is parsed).
pub fn max_artifact_bytes() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("DOWNSTREAM_MAX_ARTIFACT_MB")
            .ok()
            .and_then(|mb| mb.trim().parse::<u64>().ok())
            .map_or(4 << 30, |mb| mb << 20)
    })
}

#[derive(serde::Deserialize)]
struct Head {
    #[serde(default)]
    metadata: version::Metadata,
}

trait HasMetadata {
    fn metadata(&self) -> &version::Metadata;
}

macro_rules! has_metadata {
    ($($t:ty),*) => {$(
        impl HasMetadata for $t {
            fn metadata(&self) -> &version::Metadata {
                &self.metadata
            }
        }
    )*};
}

impl<S> HasMetadata for manifest::RawManifest<S> {
    fn metadata(&self) -> &version::Metadata {
        &self.metadata
    }
}

has_metadata!(
    catalog::RawCatalog,
    run_results::RawRunResults,
    sources::RawSources
);

fn project_meta(meta: &version::Metadata, manifest_version: u32) -> ProjectMeta {
    ProjectMeta {
        project_name: meta.project_name.clone(),
        adapter_type: meta.adapter_type.clone(),
        dbt_version: meta.dbt_version.clone(),
        manifest_version,
        generated_at: meta.generated_at.as_deref().and_then(timestamp::normalize),
        invocation_id: meta.invocation_id.clone(),
    }
}

fn merge_catalog(
    project: &mut DbtProject,
    path: &Path,
    kind: WarehouseKind,
    warnings: &mut Vec<String>,
) -> Result<(), ArtifactError> {
    let raw: catalog::RawCatalog = read(path, ArtifactKind::Catalog, warnings)?;
    if raw.metadata.invocation_id.is_some()
        && project.meta.invocation_id.is_some()
        && raw.metadata.invocation_id != project.meta.invocation_id
        && raw.metadata.generated_at < project.meta.generated_at
    {
        warnings.push(format!(
            "{}: metadata.invocation_id differs from the manifest's and the catalog is older ({}): column types may be out of date; run `dbt docs generate` again",
            path.display(),
            raw.metadata.generated_at.as_deref().unwrap_or("unknown time"),
        ));
    }
    let mut by_id = raw.by_id();
    for node in &mut project.nodes {
        if let Some(table) = by_id.remove(&node.unique_id) {
            table.merge_into(node, kind);
        }
    }
    Ok(())
}

fn merge_run_results(
    project: &mut DbtProject,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<(), ArtifactError> {
    let raw: run_results::RawRunResults = read(path, ArtifactKind::RunResults, warnings)?;
    match raw.into_runs() {
        Outcome::Runs(runs) => project.runs.extend(runs),
        Outcome::NotExecuting(command) => warnings.push(format!(
            "{}: args.which is {command:?}, which neither builds nor tests: its results were ignored. Keep the run_results.json of `dbt build`/`run`/`test` (dbt overwrites it on every command) and list it under run_results",
            path.display()
        )),
    }
    Ok(())
}

/// Results for ids the manifest does not have mean the files come from different projects or runs.
fn warn_unknown_ids(project: &mut DbtProject, paths: &ArtifactPaths, warnings: &mut Vec<String>) {
    let known: HashSet<&str> = project
        .nodes
        .iter()
        .map(|n| n.unique_id.as_str())
        .chain(project.tests.iter().map(|t| t.unique_id.as_str()))
        .collect();
    let is_unknown = |id: &&str| {
        // Exposures, operations and unit tests show up in results but are not nodes we keep.
        let kept_kind = ![
            "operation.",
            "unit_test.",
            "exposure.",
            "metric.",
            "saved_query.",
        ]
        .iter()
        .any(|prefix| id.starts_with(prefix));
        kept_kind && !known.contains(id)
    };
    let unknown_runs: Vec<&str> = project
        .runs
        .iter()
        .map(|r| r.unique_id.as_str())
        .filter(is_unknown)
        .collect();
    let unknown_fresh: Vec<&str> = project
        .freshness
        .iter()
        .map(|f| f.unique_id.as_str())
        .filter(is_unknown)
        .collect();
    for (file, ids) in [
        (
            paths
                .run_results
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            unknown_runs,
        ),
        (
            paths
                .sources
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            unknown_fresh,
        ),
    ] {
        if !ids.is_empty() {
            warnings.push(format!(
                "{file}: results[].unique_id names {} node(s) the manifest does not have (e.g. {}): are the artifacts from different projects or runs?",
                ids.len(),
                ids.iter().take(3).copied().collect::<Vec<_>>().join(", ")
            ));
        }
    }
}
