//! Reads for pages and the API. Each takes one connection's data in a few indexed queries.

use crate::views::*;
use crate::{Store, StoreError};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Row};
use std::collections::{HashMap, HashSet};

/// Commands whose results mean a relation was (re)built.
const BUILD_COMMANDS: &str = "('run', 'build', 'seed', 'snapshot')";

/// The latest status recorded for the test whose id is in column `t.{id_column}`.
fn latest_status(id_column: &str) -> String {
    format!(
        "(SELECT r.status FROM dbt_runs r WHERE r.connection = t.connection AND r.unique_id = t.{id_column}
          ORDER BY r.completed_at DESC LIMIT 1)"
    )
}

const LATEST_FRESHNESS: &str = "SELECT f.unique_id, f.status FROM dbt_freshness f
  WHERE f.connection = $1 AND f.snapshotted_at =
    (SELECT max(f2.snapshotted_at) FROM dbt_freshness f2 WHERE f2.connection = f.connection AND f2.unique_id = f.unique_id)";

fn text(row: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    Ok(row.try_get::<Option<String>, _>(col)?.unwrap_or_default())
}

fn opt(row: &AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(col)
}

fn node_ref(row: &AnyRow) -> Result<NodeRef, sqlx::Error> {
    Ok(NodeRef {
        unique_id: text(row, "unique_id")?,
        kind: text(row, "kind")?,
        name: text(row, "name")?,
        database: opt(row, "rel_database")?,
        schema: opt(row, "rel_schema")?,
        table: opt(row, "rel_name")?,
    })
}

impl Store {
    /// Every connection with its headline numbers.
    pub async fn connections(&self) -> Result<Vec<ConnectionOverview>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT name, kind, default_database, default_schema, docs_url, dbt_source, access FROM connections ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.overview(&row).await?);
        }
        Ok(out)
    }

    /// One connection with its headline numbers.
    pub async fn connection(&self, name: &str) -> Result<ConnectionOverview, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT name, kind, default_database, default_schema, docs_url, dbt_source, access FROM connections WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(name.to_string()))?;
        self.overview(&row).await
    }

    async fn overview(&self, row: &AnyRow) -> Result<ConnectionOverview, StoreError> {
        let name = text(row, "name")?;
        let project = sqlx::query_as::<Any, ProjectInfo>(
            "SELECT project_name, adapter_type, dbt_version, manifest_version, generated_at, loaded_at FROM dbt_projects WHERE connection = $1",
        )
        .bind(&name)
        .fetch_optional(&self.pool)
        .await?;
        let kinds = sqlx::query::<Any>(
            "SELECT kind, count(*) AS n FROM dbt_nodes WHERE connection = $1 AND rel_name IS NOT NULL GROUP BY kind",
        )
        .bind(&name)
        .fetch_all(&self.pool)
        .await?;
        let mut by_kind = HashMap::new();
        for k in &kinds {
            by_kind.insert(text(k, "kind")?, k.try_get::<i64, _>("n")?);
        }
        // Counted per test: a singular test checking two models is one test.
        let statuses = sqlx::query_scalar::<Any, Option<String>>(&format!(
            "SELECT {} FROM dbt_tests t WHERE t.connection = $1",
            latest_status("unique_id")
        ))
        .bind(&name)
        .fetch_all(&self.pool)
        .await?;
        let mut tests = StatusCounts::default();
        for status in &statuses {
            tests.add(status.as_deref());
        }
        let mut freshness = StatusCounts::default();
        for status in self.latest_freshness(&name).await?.values() {
            freshness.add(Some(status));
        }
        let last_sync = self.syncs(&name, 1).await?.into_iter().next();
        let failing = self.failing_syncs(&name).await?;
        let last_success_at: Option<String> = sqlx::query_scalar::<Any, Option<String>>(
            "SELECT max(finished_at) FROM syncs WHERE connection = $1 AND source = 'dbt' AND ok = 1",
        )
        .bind(&name)
        .fetch_one(&self.pool)
        .await?;
        Ok(ConnectionOverview {
            kind: crate::connections::warehouse_kind(&text(row, "kind")?)?,
            default_database: opt(row, "default_database")?,
            default_schema: opt(row, "default_schema")?,
            docs_url: opt(row, "docs_url")?,
            dbt_source: opt(row, "dbt_source")?,
            access: opt(row, "access")?,
            project,
            tables: sqlx::query_scalar::<Any, i64>(
                "SELECT count(DISTINCT rel_key) FROM dbt_nodes WHERE connection = $1 AND rel_name IS NOT NULL",
            )
            .bind(&name)
            .fetch_one(&self.pool)
            .await?,
            models: by_kind.get("model").copied().unwrap_or(0),
            sources: by_kind.get("source").copied().unwrap_or(0),
            tests,
            freshness,
            last_sync,
            failing,
            last_success_at,
            name,
        })
    }

    /// The latest syncs of a connection, newest first.
    pub async fn syncs(&self, connection: &str, limit: i64) -> Result<Vec<SyncRecord>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, connection, source, started_at, finished_at, ok, error, warnings, summary
               FROM syncs WHERE connection = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(connection)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        sync_records(&rows)
    }

    /// Sources of a connection whose latest sync failed: each keeps showing its error until it
    /// succeeds again, whatever other sources did since.
    pub async fn failing_syncs(&self, connection: &str) -> Result<Vec<SyncRecord>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, connection, source, started_at, finished_at, ok, error, warnings, summary
               FROM syncs WHERE id IN (SELECT max(id) FROM syncs WHERE connection = $1 GROUP BY source)
                AND ok = 0 ORDER BY source",
        )
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        sync_records(&rows)
    }

    /// Latest test statuses per node: `node_id → [status of each attached test]`.
    async fn latest_test_statuses(
        &self,
        connection: &str,
    ) -> Result<HashMap<String, Vec<Option<String>>>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT t.node_id, {} AS status FROM dbt_test_targets t WHERE t.connection = $1",
            latest_status("test_id")
        ))
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        let mut out: HashMap<String, Vec<Option<String>>> = HashMap::new();
        for r in rows {
            out.entry(text(&r, "node_id")?)
                .or_default()
                .push(opt(&r, "status")?);
        }
        Ok(out)
    }

    async fn latest_freshness(
        &self,
        connection: &str,
    ) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query::<Any>(LATEST_FRESHNESS)
            .bind(connection)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((text(r, "unique_id")?, text(r, "status")?)))
            .collect()
    }

    /// Databases → schemas → relations of a connection, with status badges.
    pub async fn tree(&self, connection: &str) -> Result<Vec<TreeDatabase>, StoreError> {
        self.tree_of(connection, None).await
    }

    /// The relations of one schema, merged like [`Store::tree`]: what a large connection's
    /// tree loads when that schema is opened.
    pub async fn schema_tree(
        &self,
        connection: &str,
        database: &str,
        schema: &str,
    ) -> Result<Vec<TreeDatabase>, StoreError> {
        self.tree_of(connection, Some((database, schema))).await
    }

    /// Databases and schemas with how many relations each holds (dbt's and the warehouse's,
    /// each relation once): the top of a large connection's tree.
    pub async fn schema_counts(&self, connection: &str) -> Result<Vec<SchemaCount>, StoreError> {
        self.connection_kind(connection).await?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT db, sch, COUNT(*) FROM (
               SELECT COALESCE(rel_database, '') AS db, COALESCE(rel_schema, '') AS sch, rel_key AS k
                 FROM dbt_nodes WHERE connection = $1 AND rel_name IS NOT NULL
               UNION
               SELECT database_name, schema_name, rel_key FROM warehouse_relations WHERE connection = $1
             ) AS relations GROUP BY db, sch ORDER BY db, sch",
        )
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(database, schema, tables)| SchemaCount {
                database,
                schema,
                tables,
            })
            .collect())
    }

    async fn tree_of(
        &self,
        connection: &str,
        scope: Option<(&str, &str)>,
    ) -> Result<Vec<TreeDatabase>, StoreError> {
        // Unknown connections are NotFound, not an empty tree.
        self.connection_kind(connection).await?;
        let tests = self.latest_test_statuses(connection).await?;
        let freshness = self.latest_freshness(connection).await?;
        let built = self.last_built(connection).await?;
        let filter = match scope {
            Some(_) => "AND COALESCE(rel_database, '') = $2 AND COALESCE(rel_schema, '') = $3",
            None => "",
        };
        let rows = sqlx::query_with::<Any, _>(
            &format!(
                "SELECT unique_id, kind, materialized, rel_database, rel_schema, rel_name, rel_key FROM dbt_nodes
                  WHERE connection = $1 AND rel_name IS NOT NULL {filter}
                  ORDER BY rel_database, rel_schema, rel_name, kind"
            ),
            scope_args(connection, scope)?,
        )
        .fetch_all(&self.pool)
        .await?;
        let warehouse = self.warehouse_tree(connection, scope).await?;
        let mut tables: Vec<TreeTable> = Vec::with_capacity(rows.len() + warehouse.relations.len());
        let mut managed: HashSet<String> = HashSet::new();
        for r in &rows {
            let unique_id = text(r, "unique_id")?;
            let mut counts = StatusCounts::default();
            for s in tests.get(&unique_id).into_iter().flatten() {
                counts.add(s.as_deref());
            }
            let database = text(r, "rel_database")?;
            let schema = text(r, "rel_schema")?;
            let key: Option<String> = opt(r, "rel_key")?;
            let introspected = warehouse
                .schemas
                .contains(&(database.clone(), schema.clone()));
            let in_warehouse =
                introspected.then(|| key.as_ref().is_some_and(|k| warehouse.keys.contains(k)));
            managed.extend(key);
            tables.push(TreeTable {
                database,
                schema,
                name: text(r, "rel_name")?,
                node_kind: text(r, "kind")?,
                materialized: opt(r, "materialized")?,
                tests: counts,
                freshness: freshness.get(&unique_id).cloned(),
                last_built_at: built.get(&unique_id).cloned(),
                unique_id,
                in_warehouse,
            });
        }
        // Relations dbt does not manage are listed plainly, under their warehouse kind.
        tables.extend(
            warehouse
                .relations
                .into_iter()
                .filter(|(key, _)| !managed.contains(key))
                .map(|(_, table)| table),
        );
        tables.sort_by(|a, b| {
            (&a.database, &a.schema, &a.name).cmp(&(&b.database, &b.schema, &b.name))
        });
        let mut tree: Vec<TreeDatabase> = Vec::new();
        for table in tables {
            place(&mut tree, table);
        }
        Ok(tree)
    }

    /// What introspection stored: introspected schemas, relation keys, and relations as rows.
    async fn warehouse_tree(
        &self,
        connection: &str,
        scope: Option<(&str, &str)>,
    ) -> Result<WarehouseTree, StoreError> {
        // Two statements rather than one with `$2 = 0 OR …`, which no index can serve.
        let filter = match scope {
            Some(_) => "AND database_name = $2 AND schema_name = $3",
            None => "",
        };
        let schemas: HashSet<(String, String)> = sqlx::query_as_with::<Any, _, _>(
            &format!(
                "SELECT database_name, schema_name FROM warehouse_schemas WHERE connection = $1 {filter}"
            ),
            scope_args(connection, scope)?,
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as_with(
            &format!(
                "SELECT database_name, schema_name, name, rel_key, kind FROM warehouse_relations
                  WHERE connection = $1 {filter}"
            ),
            scope_args(connection, scope)?,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut tree = WarehouseTree {
            schemas,
            ..WarehouseTree::default()
        };
        for (database, schema, name, key, kind) in rows {
            tree.keys.insert(key.clone());
            let table = TreeTable {
                database,
                schema,
                name,
                unique_id: String::new(),
                node_kind: kind,
                materialized: None,
                tests: StatusCounts::default(),
                freshness: None,
                last_built_at: None,
                in_warehouse: Some(true),
            };
            tree.relations.push((key, table));
        }
        Ok(tree)
    }

    async fn last_built(&self, connection: &str) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT unique_id, max(completed_at) AS at FROM dbt_runs
              WHERE connection = $1 AND status = 'pass' AND command IN {BUILD_COMMANDS} GROUP BY unique_id"
        ))
        .bind(connection)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((text(r, "unique_id")?, text(r, "at")?)))
            .collect()
    }

    /// The connection's warehouse kind, or `NotFound`.
    async fn connection_kind(&self, connection: &str) -> Result<String, StoreError> {
        sqlx::query_scalar::<Any, String>("SELECT kind FROM connections WHERE name = $1")
            .bind(connection)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(connection.to_string()))
    }
}

/// Introspection's view of a connection, for merging with dbt's.
#[derive(Default)]
struct WarehouseTree {
    schemas: HashSet<(String, String)>,
    keys: HashSet<String>,
    relations: Vec<(String, TreeTable)>,
}

/// Appends a relation under its database and schema; rows arrive sorted.
/// `$1` the connection, then `$2` and `$3` the scope's database and schema when there is one.
fn scope_args(
    connection: &str,
    scope: Option<(&str, &str)>,
) -> Result<AnyArguments<'static>, StoreError> {
    crate::text_args(std::iter::once(connection).chain(scope.into_iter().flat_map(|(d, s)| [d, s])))
}

fn place(tree: &mut Vec<TreeDatabase>, table: TreeTable) {
    if tree.last().map(|d| &d.name) != Some(&table.database) {
        tree.push(TreeDatabase {
            name: table.database.clone(),
            schemas: Vec::new(),
        });
    }
    let db = tree.last_mut().expect("pushed above");
    if db.schemas.last().map(|s| &s.name) != Some(&table.schema) {
        db.schemas.push(TreeSchema {
            name: table.schema.clone(),
            tables: Vec::new(),
        });
    }
    let schema = db.schemas.last_mut().expect("pushed above");
    // A relation declared twice (a source on a seed's or model's table) shows once, as the
    // node built first in kind order, carrying the statuses of both.
    match schema.tables.last_mut() {
        Some(last) if last.name == table.name => {
            last.tests.merge(&table.tests);
            last.freshness = last.freshness.take().or(table.freshness);
            last.last_built_at = last.last_built_at.take().max(table.last_built_at);
        }
        _ => schema.tables.push(table),
    }
}

mod health;
pub(crate) mod search;
mod table;

fn sync_records(rows: &[AnyRow]) -> Result<Vec<SyncRecord>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(SyncRecord {
                id: r.try_get("id")?,
                connection: text(r, "connection")?,
                source: text(r, "source")?,
                started_at: text(r, "started_at")?,
                finished_at: text(r, "finished_at")?,
                ok: r.try_get::<i64, _>("ok")? != 0,
                error: opt(r, "error")?,
                warnings: serde_json::from_str(&text(r, "warnings")?).unwrap_or_default(),
                summary: serde_json::from_str(&text(r, "summary")?).unwrap_or_default(),
            })
        })
        .collect()
}
