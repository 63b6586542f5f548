//! Reads real artifacts: the project's own (written by dbt Core from examples/) and, when the
//! shared folder is there, artifacts older dbt versions wrote; fetches them from a stand-in
//! for dbt Cloud.

mod bad_input;
mod cloud;
mod older_versions;
mod own_fixtures;
mod properties;

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/fixtures/dbt-artifacts`, or `None` (with a note on stderr) when absent.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("DOWNSTREAM_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/fixtures/dbt-artifacts"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; tests of artifacts from older dbt versions did not run",
            dir.display()
        );
        None
    }
}
