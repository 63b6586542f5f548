//! `manifest.json`, v1 to v12: typed structs shaped like the file, then resolved into the model.
//!
//! Only the fields downstream uses are declared; serde skips the rest (macros, docs, and
//! compiled SQL unless the caller asks for it) without building them, which keeps memory near
//! the size of what we keep.

use crate::json::{lenient_f64, lenient_string, string_list, Entries};
use crate::version::Metadata;
use crate::CompiledSql;
use model::{DbtColumn, DbtNode, DbtTest, FreshnessRule, NodeKind, RelationName, WarehouseKind};
use serde::de::{Deserializer, IgnoredAny};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// What a read keeps of each node's compiled SQL: [`SkipSql`] or [`KeepSql`]. A type rather
/// than a flag so that a read without column lineage never allocates the text at all.
pub(crate) trait SqlField: Default {
    fn into_sql(self) -> Option<String>;
}

/// Compiled SQL is skipped like any unknown field.
#[derive(Default)]
pub(crate) struct SkipSql;

impl<'de> Deserialize<'de> for SkipSql {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(SkipSql)
    }
}

impl SqlField for SkipSql {
    fn into_sql(self) -> Option<String> {
        None
    }
}

/// Compiled SQL is kept (null or a non-string reads as none).
#[derive(Default)]
pub(crate) struct KeepSql(Option<String>);

impl<'de> Deserialize<'de> for KeepSql {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_string(d).map(KeepSql)
    }
}

impl SqlField for KeepSql {
    fn into_sql(self) -> Option<String> {
        self.0.filter(|s| !s.trim().is_empty())
    }
}

#[derive(Deserialize)]
pub(crate) struct RawManifest<S> {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub nodes: Entries<RawNode<S>>,
    #[serde(default)]
    pub sources: Entries<RawNode<S>>,
    #[serde(default)]
    pub groups: Entries<RawGroup>,
}

#[derive(Deserialize)]
pub(crate) struct RawNode<S> {
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    unique_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    package_name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    database: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    schema: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    alias: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    identifier: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    relation_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    source_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    source_description: Option<String>,
    #[serde(default)]
    columns: Entries<RawColumn>,
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default)]
    meta: Option<serde_json::Value>,
    #[serde(default)]
    config: RawConfig,
    #[serde(default)]
    depends_on: RawDependsOn,
    #[serde(default, deserialize_with = "lenient_string")]
    original_file_path: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    group: Option<String>,
    // Tests
    #[serde(default, deserialize_with = "lenient_string")]
    attached_node: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    column_name: Option<String>,
    #[serde(default)]
    test_metadata: Option<RawTestMetadata>,
    // Sources
    #[serde(default, deserialize_with = "lenient_string")]
    loaded_at_field: Option<String>,
    #[serde(default)]
    freshness: Option<RawFreshnessRule>,
    #[serde(default, deserialize_with = "checksum")]
    checksum: Option<String>,
    // Compiled SQL: `compiled_code` from v7, `compiled_sql` before. Two fields, not an alias,
    // so a manifest carrying both does not fail as a duplicate.
    #[serde(default)]
    compiled_code: S,
    #[serde(default)]
    compiled_sql: S,
}

/// `checksum` is `{name, checksum}`; anything else reads as none.
fn checksum<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default, deserialize_with = "lenient_string")]
        checksum: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any {
        Object(Raw),
        Other(IgnoredAny),
    }
    Ok(match Any::deserialize(d)? {
        Any::Object(raw) => raw.checksum,
        Any::Other(_) => None,
    })
}

#[derive(Default, Deserialize)]
struct RawConfig {
    #[serde(default, deserialize_with = "lenient_string")]
    materialized: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default)]
    meta: Option<serde_json::Value>,
}

#[derive(Default, Deserialize)]
struct RawDependsOn {
    #[serde(default, deserialize_with = "string_list")]
    nodes: Vec<String>,
}

#[derive(Deserialize)]
struct RawColumn {
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    data_type: Option<String>,
}

#[derive(Deserialize)]
struct RawTestMetadata {
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default)]
    kwargs: RawKwargs,
}

#[derive(Default, Deserialize)]
struct RawKwargs {
    #[serde(default, deserialize_with = "lenient_string")]
    column_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    model: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RawFreshnessRule {
    #[serde(default)]
    warn_after: Option<RawPeriod>,
    #[serde(default)]
    error_after: Option<RawPeriod>,
}

#[derive(Deserialize)]
pub(crate) struct RawPeriod {
    #[serde(default, deserialize_with = "lenient_f64")]
    count: Option<f64>,
    #[serde(default, deserialize_with = "lenient_string")]
    period: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RawGroup {
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default)]
    owner: Option<serde_json::Value>,
}

impl RawPeriod {
    /// `{count: 12, period: hour}` → `12 hour`; empty criteria read as no rule.
    pub(crate) fn describe(&self) -> Option<String> {
        let count = self.count?;
        let period = self.period.as_deref()?;
        Some(format!("{count} {period}"))
    }
}

impl RawFreshnessRule {
    pub(crate) fn resolve(&self, loaded_at_field: Option<String>) -> Option<FreshnessRule> {
        let warn_after = self.warn_after.as_ref().and_then(RawPeriod::describe);
        let error_after = self.error_after.as_ref().and_then(RawPeriod::describe);
        (warn_after.is_some() || error_after.is_some()).then_some(FreshnessRule {
            warn_after,
            error_after,
            loaded_at_field,
        })
    }
}

/// The manifest resolved into nodes, tests and edges.
pub(crate) struct Resolved {
    pub nodes: Vec<DbtNode>,
    pub tests: Vec<DbtTest>,
    pub edges: Vec<(String, String)>,
    /// Compiled SQL of models and snapshots, when kept.
    pub compiled: Vec<CompiledSql>,
}

impl<S: SqlField> RawManifest<S> {
    pub(crate) fn resolve(self, kind: WarehouseKind) -> Resolved {
        let group_owners: HashMap<String, String> = self
            .groups
            .0
            .into_iter()
            .filter_map(|(_, g)| Some((g.name?, owner_of(g.owner.as_ref())?)))
            .collect();
        let all = || {
            self.nodes
                .0
                .iter()
                .chain(self.sources.0.iter())
                .map(|(_, n)| n)
        };
        let relation_ids: HashSet<&str> = all()
            .filter(|n| n.node_kind().is_some())
            .map(|n| n.unique_id.as_str())
            .collect();
        let tests = all()
            .filter(|n| n.resource_type == "test")
            .map(|n| n.test(&relation_ids))
            .collect();
        // Edges between relations only: tests, analyses and operations are not on the graph.
        let edges = all()
            .filter(|n| relation_ids.contains(n.unique_id.as_str()))
            .flat_map(|n| {
                n.depends_on
                    .nodes
                    .iter()
                    .filter(|p| relation_ids.contains(p.as_str()))
                    .map(|p| (p.clone(), n.unique_id.clone()))
            })
            .collect();
        let mut compiled = Vec::new();
        let nodes = self
            .nodes
            .0
            .into_iter()
            .chain(self.sources.0)
            .filter_map(|(_, mut n)| {
                let node_kind = n.node_kind()?;
                if let Some(sql) = n.take_sql(node_kind) {
                    compiled.push(CompiledSql {
                        unique_id: n.unique_id.clone(),
                        sql,
                    });
                }
                Some(n.into_node(node_kind, kind, &group_owners))
            })
            .collect();
        Resolved {
            nodes,
            tests,
            edges,
            compiled,
        }
    }
}

impl<S: SqlField> RawNode<S> {
    /// The compiled SQL of a model or snapshot: the nodes whose output columns the warehouse
    /// keeps. Seeds have none; a test's or analysis' SQL builds no relation.
    fn take_sql(&mut self, node_kind: NodeKind) -> Option<String> {
        let code = std::mem::take(&mut self.compiled_code).into_sql();
        let old = std::mem::take(&mut self.compiled_sql).into_sql();
        matches!(node_kind, NodeKind::Model | NodeKind::Snapshot)
            .then(|| code.or(old))
            .flatten()
    }

    fn node_kind(&self) -> Option<NodeKind> {
        NodeKind::from_resource_type(&self.resource_type)
    }

    fn into_node(
        self,
        node_kind: NodeKind,
        kind: WarehouseKind,
        group_owners: &HashMap<String, String>,
    ) -> DbtNode {
        let relation = self.relation(kind);
        let owner = owner_of(self.meta.as_ref().and_then(|m| m.get("owner")))
            .or_else(|| owner_of(self.config.meta.as_ref().and_then(|m| m.get("owner"))))
            .or_else(|| {
                self.group
                    .as_ref()
                    .and_then(|g| group_owners.get(g).cloned())
            });
        let materialized = match node_kind {
            NodeKind::Model => self.config.materialized.clone(),
            NodeKind::Seed => Some("seed".into()),
            NodeKind::Snapshot => Some("snapshot".into()),
            NodeKind::Source => None,
        };
        let mut tags = self.tags;
        for t in self.config.tags {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let freshness_rule = self
            .freshness
            .as_ref()
            .and_then(|f| f.resolve(self.loaded_at_field.clone()));
        DbtNode {
            unique_id: self.unique_id,
            kind: node_kind,
            name: self.name,
            source_name: self.source_name,
            package: self.package_name,
            description: self.description.unwrap_or_default(),
            source_description: self.source_description.unwrap_or_default(),
            relation,
            materialized,
            tags,
            owner,
            meta: self
                .meta
                .filter(|m| m.as_object().is_some_and(|o| !o.is_empty()))
                .map(|m| m.to_string())
                .unwrap_or_default(),
            path: self.original_file_path.unwrap_or_default(),
            columns: self
                .columns
                .0
                .into_iter()
                .map(|(key, c)| DbtColumn {
                    name: c.name.unwrap_or(key),
                    description: c.description.unwrap_or_default(),
                    data_type: c.data_type,
                    position: None,
                    documented: true,
                    in_warehouse: None,
                })
                .collect(),
            freshness_rule,
            row_count: None,
            checksum: self.checksum,
        }
    }

    /// `relation_name` when dbt compiled one, else `database.schema.alias` (`identifier` for sources).
    fn relation(&self, kind: WarehouseKind) -> Option<RelationName> {
        if self.config.materialized.as_deref() == Some("ephemeral") {
            return None;
        }
        if let Some(rel) = self
            .relation_name
            .as_deref()
            .and_then(|r| RelationName::parse(r, kind).ok())
        {
            return Some(rel);
        }
        let name = self
            .identifier
            .as_deref()
            .or(self.alias.as_deref())
            .unwrap_or(&self.name);
        (!name.is_empty()).then(|| {
            RelationName::from_parts(kind, self.database.as_deref(), self.schema.as_deref(), name)
        })
    }

    fn test(&self, relation_ids: &HashSet<&str>) -> DbtTest {
        let kwargs = self.test_metadata.as_ref().map(|t| &t.kwargs);
        let column = self
            .column_name
            .clone()
            .or_else(|| kwargs.and_then(|k| k.column_name.clone()));
        let parents: Vec<String> = self
            .depends_on
            .nodes
            .iter()
            .filter(|p| relation_ids.contains(p.as_str()))
            .cloned()
            .collect();
        let attached_to = match &self.attached_node {
            Some(node) => vec![node.clone()],
            None => match kwargs
                .and_then(|k| k.model.as_deref())
                .and_then(|m| tested_parent(m, &parents))
            {
                Some(parent) => vec![parent],
                None => parents,
            },
        };
        DbtTest {
            unique_id: self.unique_id.clone(),
            name: self.name.clone(),
            test_type: self
                .test_metadata
                .as_ref()
                .and_then(|t| t.name.clone())
                .unwrap_or_else(|| "singular".into()),
            attached_to,
            column,
            severity: self
                .config
                .severity
                .as_deref()
                .unwrap_or("error")
                .to_ascii_lowercase(),
        }
    }
}

/// Picks the parent a generic test's `model` kwarg names (`ref('x')` or `source('s', 'x')`),
/// so a relationships test attaches to the model it is declared on, not the one it points to.
fn tested_parent(model_arg: &str, parents: &[String]) -> Option<String> {
    let inner = model_arg
        .split_once("ref(")
        .or_else(|| model_arg.split_once("source("))?
        .1;
    let args: Vec<&str> = inner
        .split(')')
        .next()?
        .split(',')
        .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"'))
        .collect();
    let wanted = match args.as_slice() {
        [name] => format!(".{name}"),
        [source, table] if model_arg.contains("source(") => format!(".{source}.{table}"),
        [_package, name] => format!(".{name}"),
        _ => return None,
    };
    parents.iter().find(|p| p.ends_with(&wanted)).cloned()
}

/// An owner written as a string, or as `{name, email}`.
fn owner_of(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Object(o) => ["email", "name"]
            .iter()
            .find_map(|k| o.get(*k).and_then(|v| v.as_str()).map(str::to_string)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationships_tests_attach_to_the_declaring_model() {
        let parents = vec![
            "model.p.customers".to_string(),
            "model.p.orders".to_string(),
        ];
        assert_eq!(
            tested_parent("{{ get_where_subquery(ref('orders')) }}", &parents),
            Some("model.p.orders".into())
        );
        let parents = vec!["source.p.raw.orders".to_string()];
        assert_eq!(
            tested_parent(
                "{{ get_where_subquery(source('raw', 'orders')) }}",
                &parents
            ),
            Some("source.p.raw.orders".into())
        );
        assert_eq!(tested_parent("{{ something_else }}", &parents), None);
    }

    #[test]
    fn owners_from_strings_and_objects() {
        let v = serde_json::json!({"name": "Ana", "email": "ana@acme.com"});
        assert_eq!(owner_of(Some(&v)), Some("ana@acme.com".into()));
        assert_eq!(
            owner_of(Some(&serde_json::json!("finance"))),
            Some("finance".into())
        );
        assert_eq!(owner_of(Some(&serde_json::json!(3))), None);
    }
}
