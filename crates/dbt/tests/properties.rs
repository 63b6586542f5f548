//! Property tests of the artifact readers (issue 8, item 6): a manifest, catalog, run results
//! or sources file with any JSON in any field, keys dropped or cut short either loads or
//! fails naming the file; a cut-short file says where it ends; an unknown newer schema version
//! loads with a warning and nothing else changes.
//!
//! `PROPTEST_CASES=10000 cargo test -p downstream-dbt --test tests properties -- --nocapture`
//! runs more cases than the default counts below.

use crate::{repo_root, shared_fixtures};
use dbt::{ArtifactError, ArtifactKind, ArtifactPaths};
use model::{DbtProject, WarehouseKind};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseResult;
use serde_json::Value;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Generous: a case takes milliseconds, so only a hang gets near it.
const TIMEOUT_MS: u32 = 20_000;

/// [`propcheck::check`] with this crate's time limit per case.
fn check<S>(
    test_name: &'static str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    propcheck::check(test_name, cases, TIMEOUT_MS, strategy, test);
}

const KINDS: [ArtifactKind; 4] = [
    ArtifactKind::Manifest,
    ArtifactKind::Catalog,
    ArtifactKind::RunResults,
    ArtifactKind::Sources,
];

/// One artifact as text, and where it came from (for failure messages).
#[derive(Clone)]
struct Artifact {
    kind: ArtifactKind,
    origin: String,
    text: String,
}

impl Debug for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.origin, self.text.len())
    }
}

fn demo_dir() -> PathBuf {
    repo_root().join("examples/jaffle_analytics/artifacts")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Keeps the first `n` entries of the object or array at `pointer`.
fn keep_first(value: &mut Value, pointer: &str, n: usize) {
    match value.pointer_mut(pointer) {
        Some(Value::Object(map)) => {
            let keep: Vec<String> = map.keys().take(n).cloned().collect();
            map.retain(|k, _| keep.contains(k));
        }
        Some(Value::Array(items)) => items.truncate(n),
        _ => {}
    }
}

/// The demo project's artifacts cut down to a few nodes of each kind, so that a case costs
/// milliseconds: every field shape is still there.
fn small_demo() -> &'static [(ArtifactKind, Value)] {
    static SMALL: OnceLock<Vec<(ArtifactKind, Value)>> = OnceLock::new();
    SMALL.get_or_init(|| {
        let dir = demo_dir();
        let mut manifest = read_json(&dir.join("manifest.json"));
        if let Some(Value::Object(nodes)) = manifest.get_mut("nodes") {
            let mut seen = std::collections::HashMap::new();
            nodes.retain(|_, node| {
                let kind = node["resource_type"].as_str().unwrap_or("").to_string();
                let count = seen.entry(kind).or_insert(0);
                *count += 1;
                *count <= 2
            });
        }
        keep_first(&mut manifest, "/sources", 2);
        if let Value::Object(top) = &mut manifest {
            let read = ["metadata", "nodes", "sources", "groups"];
            top.retain(|k, _| read.contains(&k.as_str()));
        }
        let mut catalog = read_json(&dir.join("catalog.json"));
        keep_first(&mut catalog, "/nodes", 4);
        let mut run_results = read_json(&dir.join("run_results.json"));
        keep_first(&mut run_results, "/results", 6);
        let sources = read_json(&dir.join("sources.json"));
        vec![
            (ArtifactKind::Manifest, manifest),
            (ArtifactKind::Catalog, catalog),
            (ArtifactKind::RunResults, run_results),
            (ArtifactKind::Sources, sources),
        ]
    })
}

fn small(kind: ArtifactKind) -> &'static Value {
    let (_, value) = small_demo()
        .iter()
        .find(|(k, _)| *k == kind)
        .expect("every kind");
    value
}

/// Writes `text` as the artifact of `kind` in `dir`, beside the small demo manifest when it is
/// not the manifest itself, and loads the two.
fn load_one(
    dir: &Path,
    kind: ArtifactKind,
    text: &[u8],
    warehouse: WarehouseKind,
) -> (PathBuf, Result<DbtProject, ArtifactError>) {
    let path = dir.join(kind.file_name());
    std::fs::write(&path, text).expect("temp file");
    let mut paths = ArtifactPaths {
        manifest: path.clone(),
        ..ArtifactPaths::default()
    };
    if kind != ArtifactKind::Manifest {
        paths.manifest = dir.join("demo_manifest.json");
        let manifest = small(ArtifactKind::Manifest).to_string();
        std::fs::write(&paths.manifest, manifest).expect("temp file");
        match kind {
            ArtifactKind::Catalog => paths.catalog = Some(path.clone()),
            ArtifactKind::RunResults => paths.run_results = vec![path.clone()],
            _ => paths.sources = Some(path.clone()),
        }
    }
    (path, dbt::load(&paths, warehouse))
}

fn warehouse() -> impl Strategy<Value = WarehouseKind> {
    prop::sample::select(WarehouseKind::ALL.to_vec())
}

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The JSON pointer of every value inside `value`, the root excluded.
fn pointers(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: String, out: &mut Vec<String>) {
        let children: Vec<(String, &Value)> = match value {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v))
                .collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => Vec::new(),
        };
        for (key, child) in children {
            let pointer = format!("{at}/{key}");
            out.push(pointer.clone());
            walk(child, pointer, out);
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Puts any JSON value in place of the value at a pointer.
    Replace(Index, Value),
    /// Removes the key (or array item) at a pointer.
    Drop(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => any::<Index>().prop_map(Mutation::Drop),
    ]
}

impl Mutation {
    fn apply(&self, value: &mut Value) {
        let pointers = pointers(value);
        if pointers.is_empty() {
            return;
        }
        match self {
            Mutation::Replace(at, with) => {
                let pointer = at.get(&pointers).as_str();
                if let Some(slot) = value.pointer_mut(pointer) {
                    *slot = with.clone();
                }
            }
            Mutation::Drop(at) => {
                let pointer = at.get(&pointers).as_str();
                let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
                match value.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(i) = key.parse::<usize>() {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Whether a message names `path`.
fn names(message: &str, path: &Path) -> bool {
    message.contains(&path.display().to_string())
}

#[test]
fn any_json_in_any_field_loads_or_names_the_file() {
    let cut = prop::option::weighted(0.2, any::<Index>());
    let mutations = prop::collection::vec(mutation(), 1..4);
    check(
        concat!(
            module_path!(),
            "::any_json_in_any_field_loads_or_names_the_file"
        ),
        256,
        (
            prop::sample::select(KINDS.to_vec()),
            mutations,
            cut,
            warehouse(),
        ),
        |(kind, mutations, cut, warehouse)| {
            let mut value = small(kind).clone();
            for mutation in &mutations {
                mutation.apply(&mut value);
            }
            let mut text = value.to_string().into_bytes();
            if let Some(cut) = cut {
                text.truncate(cut.index(text.len() + 1));
            }
            let dir = tempfile::tempdir().expect("temp dir");
            let (path, loaded) = load_one(dir.path(), kind, &text, warehouse);
            match &loaded {
                Ok(project) => {
                    for warning in &project.warnings {
                        prop_assert!(names(warning, dir.path()), "{}", warning);
                    }
                }
                Err(error) => prop_assert!(names(&error.to_string(), &path), "{}", error),
            }
            // The two entry points read the same.
            let paths = reload_paths(dir.path(), kind);
            let with_sql = dbt::load_with_sql(&paths, warehouse).map(|(p, _)| p);
            prop_assert_eq!(
                loaded.map_err(|e| e.to_string()),
                with_sql.map_err(|e| e.to_string())
            );
            Ok(())
        },
    );
}

/// The paths [`load_one`] wrote in `dir`.
fn reload_paths(dir: &Path, kind: ArtifactKind) -> ArtifactPaths {
    let path = dir.join(kind.file_name());
    let manifest = if kind == ArtifactKind::Manifest {
        path.clone()
    } else {
        dir.join("demo_manifest.json")
    };
    ArtifactPaths {
        manifest,
        catalog: (kind == ArtifactKind::Catalog).then(|| path.clone()),
        run_results: if kind == ArtifactKind::RunResults {
            vec![path.clone()]
        } else {
            Vec::new()
        },
        sources: (kind == ArtifactKind::Sources).then_some(path),
    }
}

/// The kind of artifact a fixture file is, from its name.
fn kind_of(path: &Path) -> Option<ArtifactKind> {
    let name = path.file_name()?.to_str()?;
    KINDS.into_iter().find(|k| {
        let stem = k.file_name().trim_end_matches(".json");
        name.starts_with(stem) && name.ends_with(".json") && !name.contains("docs_generate")
    })
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            json_files(&path, out);
        } else if kind_of(&path).is_some() {
            out.push(path);
        }
    }
}

/// Every artifact dbt wrote that the repository has: the demo project's, the fixtures of
/// each dbt version, and the shared older versions when present.
fn real_artifacts() -> &'static [Artifact] {
    static REAL: OnceLock<Vec<Artifact>> = OnceLock::new();
    REAL.get_or_init(|| {
        let mut files = Vec::new();
        json_files(&demo_dir(), &mut files);
        json_files(&repo_root().join("crates/dbt/tests/fixtures"), &mut files);
        if let Some(shared) = shared_fixtures() {
            json_files(&shared, &mut files);
        }
        files.sort();
        files
            .into_iter()
            .filter_map(|path| {
                Some(Artifact {
                    kind: kind_of(&path)?,
                    text: std::fs::read_to_string(&path).ok()?,
                    origin: path.display().to_string(),
                })
            })
            .collect()
    })
}

/// 1-based line and 0-based byte column where `text` ends, as serde_json counts them.
fn end_position(text: &[u8]) -> (usize, usize) {
    let line = text.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    (line, text.len() - line_start)
}

#[test]
fn a_cut_short_artifact_names_the_file_and_where_it_ends() {
    let artifact = prop::sample::select(real_artifacts().to_vec());
    check(
        concat!(
            module_path!(),
            "::a_cut_short_artifact_names_the_file_and_where_it_ends"
        ),
        64,
        (artifact, any::<Index>()),
        |(artifact, at)| {
            let text = artifact.text.as_bytes();
            let cut = &text[..at.index(text.len())];
            if cut.trim_ascii_end() == text.trim_ascii_end() {
                return Ok(()); // only trailing whitespace went
            }
            let dir = tempfile::tempdir().expect("temp dir");
            let (path, loaded) = load_one(dir.path(), artifact.kind, cut, WarehouseKind::Postgres);
            let error = match loaded {
                Ok(_) => return Err(TestCaseError::fail("a cut-short file loaded")),
                Err(error) => error,
            };
            let message = error.to_string();
            prop_assert!(names(&message, &path), "{}", message);
            prop_assert!(message.contains("truncated"), "{}", message);
            let (line, column) = end_position(cut);
            prop_assert!(
                message.contains(&format!("line {line}, column {column}")),
                "{} (ends at line {}, column {})",
                message,
                line,
                column
            );
            Ok(())
        },
    );
}

/// Sets `metadata.dbt_schema_version` to `v<version>` of the same kind.
fn with_version(value: &Value, version: u32) -> Value {
    let mut value = value.clone();
    let url = value["metadata"]["dbt_schema_version"]
        .as_str()
        .expect("a schema URL");
    let (head, _) = url.rsplit_once('/').expect("a schema URL");
    value["metadata"]["dbt_schema_version"] = Value::from(format!("{head}/v{version}.json"));
    value
}

/// Versions no dbt has written yet (dbt is at manifest v12, run results v6).
fn future_version() -> impl Strategy<Value = u32> {
    prop_oneof![100u32..1_000, 1_000u32.., Just(u32::MAX)]
}

#[test]
fn an_unknown_newer_version_loads_the_same_with_a_warning() {
    check(
        concat!(
            module_path!(),
            "::an_unknown_newer_version_loads_the_same_with_a_warning"
        ),
        64,
        (
            prop::sample::select(KINDS.to_vec()),
            future_version(),
            warehouse(),
        ),
        |(kind, version, warehouse)| {
            let dir = tempfile::tempdir().expect("temp dir");
            let current = small(kind).to_string();
            let (_, known) = load_one(dir.path(), kind, current.as_bytes(), warehouse);
            let newer = with_version(small(kind), version).to_string();
            let (path, loaded) = load_one(dir.path(), kind, newer.as_bytes(), warehouse);
            let (mut known, mut newer) = match (known, loaded) {
                (Ok(known), Ok(newer)) => (known, newer),
                (known, newer) => {
                    let failure = format!("{:?} / {:?}", known.err(), newer.err());
                    return Err(TestCaseError::fail(failure));
                }
            };
            let about_version = |w: &String| w.contains(&format!("v{version} "));
            let at = newer.warnings.iter().position(about_version);
            let warning = at.map(|at| newer.warnings.remove(at)).unwrap_or_default();
            prop_assert!(names(&warning, &path), "{:?}", newer.warnings);
            if kind == ArtifactKind::Manifest {
                prop_assert_eq!(newer.meta.manifest_version, version);
                known.meta.manifest_version = version;
            }
            prop_assert_eq!(known, newer);
            Ok(())
        },
    );
}
