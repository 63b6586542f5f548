//! What changed in a dbt project, compared with the synced one: removed and modified nodes,
//! and per model its dropped, added and renamed columns.

use model::{DbtNode, DbtProject};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use store::{SyncedNode, SyncedProject};
use sync::columns::NodeColumns;

/// How a node changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The new project no longer has it.
    Removed,
    /// Its file or its columns changed.
    Modified,
}

/// Where the columns a node has after the change come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnsFrom {
    /// The new `catalog.json`.
    Catalog,
    /// The output columns of its compiled SQL.
    CompiledSql,
    /// Its documented columns.
    Docs,
    /// Named on the command line (`--columns`).
    CommandLine,
}

/// A column renamed: dropped, and added under another name computed from the same inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rename {
    /// The old name.
    pub from: String,
    /// The new name.
    pub to: String,
}

/// One changed node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeChange {
    /// dbt's `unique_id`.
    pub unique_id: String,
    /// The node name.
    pub name: String,
    /// `model`, `seed`, `snapshot` or `source`.
    pub kind: String,
    /// Removed or modified.
    pub change: Change,
    /// Columns it no longer has.
    pub dropped: Vec<String>,
    /// Columns it gained.
    pub added: Vec<String>,
    /// Columns it renamed.
    pub renamed: Vec<Rename>,
    /// Where its new columns come from; none when they are not known.
    pub columns_from: Option<ColumnsFrom>,
}

impl NodeChange {
    fn new(node: &SyncedNode, change: Change) -> Self {
        NodeChange {
            unique_id: node.unique_id.clone(),
            name: node.name.clone(),
            kind: node.kind.clone(),
            change,
            dropped: Vec::new(),
            added: Vec::new(),
            renamed: Vec::new(),
            columns_from: None,
        }
    }

    /// Old names of the columns consumers can no longer read: dropped and renamed ones.
    pub fn lost_columns(&self) -> impl Iterator<Item = &str> {
        self.dropped
            .iter()
            .map(String::as_str)
            .chain(self.renamed.iter().map(|r| r.from.as_str()))
    }
}

/// Every change, with notes on what could not be told.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChangeSet {
    /// Changed nodes, in `unique_id` order.
    pub changes: Vec<NodeChange>,
    /// What limits the analysis, said once each.
    pub notes: Vec<String>,
}

/// The new project as `diff_manifest` reads it.
pub struct NewProject<'a> {
    /// The new manifest, with the new catalog merged when one was given.
    pub project: &'a DbtProject,
    /// Output columns of its compiled models and snapshots.
    pub computed: &'a [NodeColumns],
    /// Whether a new catalog was merged.
    pub has_catalog: bool,
}

/// Compares the synced project with a new manifest. A node is modified when its checksum
/// differs (or, with a new catalog, when its columns do); removed when the manifest lacks it.
pub fn diff_manifest(before: &SyncedProject, after: &NewProject<'_>) -> ChangeSet {
    let mut set = ChangeSet::default();
    let after_nodes: HashMap<&str, &DbtNode> = after
        .project
        .nodes
        .iter()
        .map(|n| (n.unique_id.as_str(), n))
        .collect();
    let computed: HashMap<&str, &NodeColumns> = after
        .computed
        .iter()
        .map(|n| (n.node_id.as_str(), n))
        .collect();
    let lineage = Lineages::new(before, after);
    if before.nodes.iter().all(|n| n.checksum.is_none()) && !before.nodes.is_empty() {
        set.notes.push(
            "the synced project has no checksums (it was loaded by an older downstream): sync it again to tell modified nodes apart; until then a node counts as modified when its catalog or compiled SQL shows other columns"
                .into(),
        );
    }
    for old in &before.nodes {
        let Some(new) = after_nodes.get(old.unique_id.as_str()) else {
            set.changes.push(NodeChange::new(old, Change::Removed));
            continue;
        };
        // Sources have no checksum: only a catalog tells whether they changed.
        let known = old.checksum.is_some() && new.checksum.is_some();
        let modified = known && old.checksum != new.checksum;
        if known && !modified && !after.has_catalog {
            continue;
        }
        let mut change = NodeChange::new(old, Change::Modified);
        let computed = computed.get(old.unique_id.as_str());
        match new_columns(new, computed, after.has_catalog) {
            // Docs list some columns only: what they no longer describe is what was dropped.
            Some((columns, ColumnsFrom::Docs)) if modified => {
                change.columns_from = Some(ColumnsFrom::Docs);
                diff_columns(&mut change, &old.documented, &columns);
                change
                    .added
                    .retain(|a| !old.columns.iter().any(|c| c.eq_ignore_ascii_case(a)));
            }
            Some((_, ColumnsFrom::Docs)) | None => {}
            Some((columns, from)) => {
                change.columns_from = Some(from);
                diff_columns(&mut change, &old.columns, &columns);
                lineage.find_renames(&mut change);
            }
        }
        if change.columns_from.is_none() && modified {
            set.notes.push(format!(
                "{}: its new columns are not known (no catalog, no compiled SQL that parses, no docs): reported as modified",
                old.name
            ));
        }
        let columns_changed =
            !change.dropped.is_empty() || !change.added.is_empty() || !change.renamed.is_empty();
        if modified || columns_changed {
            set.changes.push(change);
        }
    }
    set
}

/// The node's columns after the change: the new catalog's, else its compiled SQL's output,
/// else its documented ones.
fn new_columns(
    node: &DbtNode,
    computed: Option<&&NodeColumns>,
    has_catalog: bool,
) -> Option<(Vec<String>, ColumnsFrom)> {
    let in_catalog: Vec<String> = node
        .columns
        .iter()
        .filter(|c| c.position.is_some())
        .map(|c| c.name.clone())
        .collect();
    if has_catalog && !in_catalog.is_empty() {
        return Some((in_catalog, ColumnsFrom::Catalog));
    }
    if let Some(computed) = computed.filter(|c| c.error.is_none() && !c.columns.is_empty()) {
        let names = computed.columns.iter().map(|c| c.name.clone()).collect();
        return Some((names, ColumnsFrom::CompiledSql));
    }
    let documented: Vec<String> = node
        .columns
        .iter()
        .filter(|c| c.documented)
        .map(|c| c.name.clone())
        .collect();
    (!documented.is_empty()).then_some((documented, ColumnsFrom::Docs))
}

/// Dropped and added columns, compared without regard to case (a catalog and compiled SQL
/// may spell one column differently). Nothing is said when the old columns are not known.
fn diff_columns(change: &mut NodeChange, before: &[String], after: &[String]) {
    if before.is_empty() {
        return;
    }
    let lower = |v: &[String]| -> BTreeSet<String> { v.iter().map(|c| c.to_lowercase()).collect() };
    let (old, new) = (lower(before), lower(after));
    change.dropped = before
        .iter()
        .filter(|c| !new.contains(&c.to_lowercase()))
        .cloned()
        .collect();
    change.added = after
        .iter()
        .filter(|c| !old.contains(&c.to_lowercase()))
        .cloned()
        .collect();
}

/// A column's inputs, as (node id or relation key, column), lower case.
type Inputs = BTreeSet<(String, String)>;

/// Column lineage before and after, with parents named by `unique_id` where the relation is
/// a dbt node: a manifest compiled against another target (a CI schema) names other
/// relations for the same nodes.
struct Lineages {
    before: HashMap<(String, String), Inputs>,
    after: HashMap<(String, String), Inputs>,
}

impl Lineages {
    fn new(before: &SyncedProject, after: &NewProject<'_>) -> Self {
        let old_ids: HashMap<&str, &str> = before
            .nodes
            .iter()
            .filter_map(|n| Some((n.relation_key.as_deref()?, n.unique_id.as_str())))
            .collect();
        let new_keys: Vec<(String, &str)> = after
            .project
            .nodes
            .iter()
            .filter_map(|n| Some((n.relation.as_ref()?.key(), n.unique_id.as_str())))
            .collect();
        let new_ids: HashMap<&str, &str> =
            new_keys.iter().map(|(k, id)| (k.as_str(), *id)).collect();
        let name = |ids: &HashMap<&str, &str>, key: &str, column: &str| {
            let parent = ids.get(key).copied().unwrap_or(key);
            (parent.to_string(), column.to_lowercase())
        };
        let mut old: HashMap<(String, String), Inputs> = HashMap::new();
        for e in &before.column_lineage {
            old.entry((e.node_id.clone(), e.column.to_lowercase()))
                .or_default()
                .insert(name(&old_ids, &e.parent_key, &e.parent_column));
        }
        let mut new: HashMap<(String, String), Inputs> = HashMap::new();
        for node in after.computed {
            for c in &node.columns {
                let inputs = c
                    .sources
                    .iter()
                    .map(|(k, col)| name(&new_ids, k, col))
                    .collect();
                new.insert((node.node_id.clone(), c.name.to_lowercase()), inputs);
            }
        }
        Lineages {
            before: old,
            after: new,
        }
    }

    /// Pairs each dropped column with an added one computed from the same (known) inputs.
    fn find_renames(&self, change: &mut NodeChange) {
        let inputs = |map: &HashMap<(String, String), Inputs>, column: &str| {
            map.get(&(change.unique_id.clone(), column.to_lowercase()))
                .filter(|i| !i.is_empty())
                .cloned()
        };
        let mut dropped = Vec::new();
        for old in std::mem::take(&mut change.dropped) {
            let before = inputs(&self.before, &old);
            let found = before.as_ref().and_then(|b| {
                change
                    .added
                    .iter()
                    .position(|new| inputs(&self.after, new).as_ref() == Some(b))
            });
            match found {
                Some(at) => {
                    let to = change.added.remove(at);
                    change.renamed.push(Rename { from: old, to });
                }
                None => dropped.push(old),
            }
        }
        change.dropped = dropped;
    }
}

/// Why names on the command line could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    /// No synced node has this name or id.
    #[error("{0:?} is not a model, seed, snapshot or source of the synced project")]
    Unknown(String),
    /// Several do.
    #[error("{name:?} names several nodes ({}): use the unique_id", ids.join(", "))]
    Ambiguous {
        /// The name.
        name: String,
        /// The nodes it could be.
        ids: Vec<String>,
    },
    /// A `--columns` entry without a model part.
    #[error("{0:?} is not model.column")]
    NotQualified(String),
}

/// Changes named on the command line: `models` are modified, `columns` (`model.column`)
/// dropped.
pub fn from_names(
    before: &SyncedProject,
    models: &[String],
    columns: &[String],
) -> Result<ChangeSet, NameError> {
    let mut set = ChangeSet::default();
    for name in models {
        let node = find_node(before, name)?;
        entry(&mut set, node);
    }
    for qualified in columns {
        let (model, column) = qualified
            .rsplit_once('.')
            .filter(|(m, c)| !m.is_empty() && !c.is_empty())
            .ok_or_else(|| NameError::NotQualified(qualified.clone()))?;
        let node = find_node(before, model)?;
        let stored = node.columns.iter().find(|c| c.eq_ignore_ascii_case(column));
        if stored.is_none() {
            set.notes.push(format!(
                "{}: the synced project knows no column {column:?}; looked for its users anyway",
                node.name
            ));
        }
        let change = entry(&mut set, node);
        change.columns_from = Some(ColumnsFrom::CommandLine);
        change
            .dropped
            .push(stored.cloned().unwrap_or_else(|| column.to_string()));
    }
    set.changes.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
    Ok(set)
}

fn entry<'a>(set: &'a mut ChangeSet, node: &SyncedNode) -> &'a mut NodeChange {
    let at = match set
        .changes
        .iter()
        .position(|c| c.unique_id == node.unique_id)
    {
        Some(at) => at,
        None => {
            set.changes.push(NodeChange::new(node, Change::Modified));
            set.changes.len() - 1
        }
    };
    &mut set.changes[at]
}

/// A node by `unique_id`, else by name, preferring models, seeds and snapshots to sources of
/// the same name.
pub fn find_node<'a>(before: &'a SyncedProject, name: &str) -> Result<&'a SyncedNode, NameError> {
    if let Some(node) = before.nodes.iter().find(|n| n.unique_id == name) {
        return Ok(node);
    }
    let named: Vec<&SyncedNode> = before.nodes.iter().filter(|n| n.name == name).collect();
    let built: Vec<&SyncedNode> = named
        .iter()
        .copied()
        .filter(|n| n.kind != "source")
        .collect();
    let candidates = if built.is_empty() { named } else { built };
    match candidates.as_slice() {
        [] => Err(NameError::Unknown(name.to_string())),
        [one] => Ok(one),
        many => Err(NameError::Ambiguous {
            name: name.to_string(),
            ids: many.iter().map(|n| n.unique_id.clone()).collect(),
        }),
    }
}

/// Nodes whose file (`original_file_path`, relative to the dbt project) is among `paths`, as
/// modified (removed when the new project is not known and the file is gone is for the
/// caller to say).
pub fn from_paths(before: &SyncedProject, paths: &[String]) -> ChangeSet {
    let mut set = ChangeSet::default();
    for node in before.nodes.iter().filter(|n| paths.contains(&n.path)) {
        entry(&mut set, node);
    }
    set.changes.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{ColumnEdge, DbtColumn, NodeKind, RelationName, WarehouseKind};
    use sync::columns::OutputColumn;

    fn synced(id: &str, checksum: &str, columns: &[&str]) -> SyncedNode {
        SyncedNode {
            unique_id: id.into(),
            kind: id.split('.').next().unwrap().into(),
            name: id.rsplit('.').next().unwrap().into(),
            path: format!("models/{}.sql", id.rsplit('.').next().unwrap()),
            checksum: Some(checksum.into()),
            relation_key: Some(format!("db.prod.{}", id.rsplit('.').next().unwrap())),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            documented: columns.iter().take(2).map(|c| c.to_string()).collect(),
        }
    }

    fn node(id: &str, checksum: &str, schema: &str) -> DbtNode {
        let name = id.rsplit('.').next().unwrap();
        DbtNode {
            unique_id: id.into(),
            kind: NodeKind::Model,
            name: name.into(),
            source_name: None,
            package: "p".into(),
            description: String::new(),
            source_description: String::new(),
            relation: Some(RelationName::from_parts(
                WarehouseKind::Postgres,
                Some("db"),
                Some(schema),
                name,
            )),
            materialized: None,
            tags: Vec::new(),
            owner: None,
            meta: String::new(),
            path: String::new(),
            columns: vec![DbtColumn {
                name: "documented_only".into(),
                documented: true,
                ..DbtColumn::default()
            }],
            freshness_rule: None,
            row_count: None,
            checksum: Some(checksum.into()),
        }
    }

    fn before() -> SyncedProject {
        SyncedProject {
            connection: "wh".into(),
            kind: WarehouseKind::Postgres,
            nodes: vec![
                synced("model.p.ltv", "a", &["customer_id", "net_ltv", "tier"]),
                synced("model.p.payments", "b", &["net_amount"]),
                synced("model.p.old", "c", &["x"]),
                synced("source.p.raw.orders", "", &["id"]),
            ],
            column_lineage: vec![ColumnEdge {
                node_id: "model.p.ltv".into(),
                column: "net_ltv".into(),
                parent_key: "db.prod.payments".into(),
                parent_column: "net_amount".into(),
            }],
        }
    }

    #[test]
    fn a_manifest_from_another_schema_gives_removals_modifications_and_renames() {
        let project = DbtProject {
            nodes: vec![
                node("model.p.ltv", "a2", "ci"),
                node("model.p.payments", "b", "ci"),
            ],
            ..DbtProject::default()
        };
        let computed = vec![NodeColumns {
            node_id: "model.p.ltv".into(),
            columns: vec![
                OutputColumn {
                    name: "customer_id".into(),
                    sources: vec![],
                },
                OutputColumn {
                    name: "lifetime_value".into(),
                    sources: vec![("db.ci.payments".into(), "NET_AMOUNT".into())],
                },
            ],
            error: None,
        }];
        let set = diff_manifest(
            &before(),
            &NewProject {
                project: &project,
                computed: &computed,
                has_catalog: false,
            },
        );
        let summary: Vec<(&str, Change)> = set
            .changes
            .iter()
            .map(|c| (c.unique_id.as_str(), c.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("model.p.ltv", Change::Modified),
                ("model.p.old", Change::Removed),
                ("source.p.raw.orders", Change::Removed)
            ]
        );
        let ltv = &set.changes[0];
        assert_eq!(ltv.columns_from, Some(ColumnsFrom::CompiledSql));
        assert_eq!(
            ltv.renamed,
            [Rename {
                from: "net_ltv".into(),
                to: "lifetime_value".into()
            }]
        );
        assert_eq!(ltv.dropped, ["tier"]);
        assert!(ltv.added.is_empty());
        assert!(set.notes.is_empty(), "{:?}", set.notes);
    }

    #[test]
    fn without_compiled_sql_documented_columns_are_the_new_ones() {
        let project = DbtProject {
            nodes: vec![node("model.p.ltv", "a2", "prod")],
            ..DbtProject::default()
        };
        let set = diff_manifest(
            &before(),
            &NewProject {
                project: &project,
                computed: &[],
                has_catalog: false,
            },
        );
        // Only what the docs described before and no longer do is dropped.
        let ltv = &set.changes[0];
        assert_eq!(ltv.columns_from, Some(ColumnsFrom::Docs));
        assert_eq!(ltv.dropped, ["customer_id", "net_ltv"]);
        assert_eq!(ltv.added, ["documented_only"]);
    }

    #[test]
    fn names_on_the_command_line_resolve_or_say_why_not() {
        let before = before();
        let set = from_names(&before, &["ltv".into()], &["payments.NET_AMOUNT".into()]).unwrap();
        assert_eq!(set.changes.len(), 2);
        assert_eq!(set.changes[1].dropped, ["net_amount"]);
        assert_eq!(
            from_names(&before, &["nope".into()], &[]),
            Err(NameError::Unknown("nope".into()))
        );
        assert_eq!(
            from_names(&before, &[], &["ltv".into()]),
            Err(NameError::NotQualified("ltv".into()))
        );
        let set = from_names(&before, &[], &["model.p.ltv.gone".into()]).unwrap();
        assert_eq!(set.changes[0].dropped, ["gone"]);
        assert_eq!(set.notes.len(), 1);
    }

    #[test]
    fn changed_files_name_their_nodes() {
        let set = from_paths(&before(), &["models/ltv.sql".into(), "README.md".into()]);
        assert_eq!(set.changes.len(), 1);
        assert_eq!(set.changes[0].name, "ltv");
    }
}
