//! Errors from reading artifacts: each names the file and, where it can, the field.

use std::path::PathBuf;

/// Why an artifact could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The artifact path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid JSON, or a field has the wrong shape.
    #[error("{path}: invalid JSON at line {line}, column {column}: {message}{hint}")]
    Json {
        /// The artifact path.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description, which names the field where it can.
        message: String,
        /// Advice for the common case of a truncated file.
        hint: &'static str,
    },
    /// `metadata.dbt_schema_version` is missing or unreadable.
    #[error("{path}: metadata.dbt_schema_version is missing or not a dbt schema URL ({found:?}); is this a dbt artifact?")]
    NoVersion {
        /// The artifact path.
        path: PathBuf,
        /// What the field held.
        found: Option<String>,
    },
    /// The file is another kind of artifact than the one expected.
    #[error("{path}: expected a {expected} but metadata.dbt_schema_version says this is a {found} ({url}); check which file is configured as the {expected}")]
    WrongKind {
        /// The artifact path.
        path: PathBuf,
        /// The kind the caller asked for.
        expected: &'static str,
        /// The kind the file declares.
        found: String,
        /// The schema URL.
        url: String,
    },
    /// The file is larger than one artifact may be.
    #[error("{path}: {} is above the {} limit for one dbt artifact; if the project really is this large, raise DOWNSTREAM_MAX_ARTIFACT_MB (memory use grows with it), else check that the path names a dbt artifact", rest::size(*.size), rest::size(*.limit))]
    TooLarge {
        /// The artifact path.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A version older than any dbt has written for this kind.
    #[error("{path}: {kind} schema version v{version} is not one dbt has written (supported v{min}..v{max})")]
    UnsupportedVersion {
        /// The artifact path.
        path: PathBuf,
        /// Artifact kind.
        kind: &'static str,
        /// Declared version.
        version: u32,
        /// Oldest supported.
        min: u32,
        /// Newest known.
        max: u32,
    },
}

const TRUNCATED: &str = " (the file ends early: it may be truncated or still being written; re-run dbt or copy it again)";

impl ArtifactError {
    pub(crate) fn json(path: &std::path::Path, err: serde_json::Error) -> Self {
        let hint = if err.is_eof() { TRUNCATED } else { "" };
        ArtifactError::Json {
            path: path.to_path_buf(),
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
            hint,
        }
    }

    /// Like [`ArtifactError::json`] for an error in `text`. A number cut before its digits
    /// (`0.`, `-`) is an invalid number to serde_json rather than an early end; at the very end
    /// of a file that never closed its object it means the same (issue 8).
    pub(crate) fn json_in(path: &std::path::Path, err: serde_json::Error, text: &[u8]) -> Self {
        let cut = cut_short(&err, text);
        let mut error = ArtifactError::json(path, err);
        if let (true, ArtifactError::Json { hint, .. }) = (cut, &mut error) {
            *hint = TRUNCATED;
        }
        error
    }
}

/// Whether `err` sits where `text` ends, and `text` ends without closing its object.
fn cut_short(err: &serde_json::Error, text: &[u8]) -> bool {
    let text = text.trim_ascii_end();
    let line = text.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = (line, text.len() - line_start);
    !text.ends_with(b"}") && (err.line(), err.column()) == end
}
