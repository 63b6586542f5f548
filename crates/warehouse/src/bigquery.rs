//! BigQuery: `INFORMATION_SCHEMA` read with query jobs (`jobs.query`).
//!
//! Query jobs rather than `datasets.list`/`tables.get` because they take far fewer calls:
//! schemas are one job per project and region (`SCHEMATA`, whose `last_modified_time` is the
//! dataset's `lastModifiedTime`, which `datasets.list` leaves out), and a dataset's relations
//! with every column are one job, where the REST API needs one `tables.get` per table.
//! Nested fields come flattened from `COLUMN_FIELD_PATHS` (`a.b`); row counts from the
//! dataset's `__TABLES__`, as dbt's BigQuery catalog reads them (the documented
//! `TABLE_STORAGE` is per region, which a dataset alone does not say).
//! Views: <https://cloud.google.com/bigquery/docs/information-schema-intro>.

use crate::api::{unexpected, RelationPages};
use crate::{CatalogError, CatalogReader, Column, Relation, RelationKind, RelationSink, SchemaRef};
use async_trait::async_trait;
use chrono::DateTime;
use rest::bigquery::{quote, BigQueryApi, BigQuerySettings, QueryJob, QueryResults, Row};
use rest::HttpOptions;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

pub use rest::bigquery::BigQueryCredentials;

/// Result rows per page.
const PAGE_ROWS: usize = 5_000;

/// How to reach the catalogs of one or more BigQuery projects.
#[derive(Clone, Debug)]
pub struct BigQueryCatalogConfig {
    /// The projects to read; empty means every project `projects.list` shows the
    /// credentials.
    pub projects: Vec<String>,
    /// The regions whose datasets to list, e.g. `us`, `eu`, `europe-west2`: BigQuery lists
    /// datasets per region.
    pub regions: Vec<String>,
    /// How to get an access token.
    pub credentials: BigQueryCredentials,
    /// The API base; [`BigQueryCatalogConfig::new`] sets `https://bigquery.googleapis.com`.
    pub api_base: String,
    /// Where to exchange the signed JWT; the key's own `token_uri` when `None`.
    pub token_url: Option<String>,
    /// How long one call may wait for a job to finish before answering "not yet".
    pub wait_per_call: Duration,
    /// How long to keep polling a job that has not finished.
    pub max_wait: Duration,
    /// Time limits and retries of each HTTP call; keep the timeout above `wait_per_call`.
    pub http: HttpOptions,
}

impl BigQueryCatalogConfig {
    /// A configuration with Google's endpoints and default limits.
    pub fn new(
        projects: Vec<String>,
        regions: Vec<String>,
        credentials: BigQueryCredentials,
    ) -> Self {
        BigQueryCatalogConfig {
            projects,
            regions,
            credentials,
            api_base: "https://bigquery.googleapis.com".to_string(),
            token_url: None,
            wait_per_call: Duration::from_secs(10),
            max_wait: Duration::from_secs(300),
            http: HttpOptions::default(),
        }
    }
}

/// The catalogs of BigQuery projects.
pub struct BigQueryCatalog {
    config: BigQueryCatalogConfig,
    api: BigQueryApi,
}

impl BigQueryCatalog {
    /// A source for `config`; nothing is sent before [`CatalogReader::schemas`].
    pub fn new(config: BigQueryCatalogConfig) -> Self {
        let settings = BigQuerySettings {
            api_base: config.api_base.clone(),
            token_url: config.token_url.clone(),
            wait_per_call: config.wait_per_call,
            max_wait: config.max_wait,
            http: config.http.clone(),
        };
        BigQueryCatalog {
            api: BigQueryApi::new(config.credentials.clone(), settings),
            config,
        }
    }

    /// The configured projects, or every one `projects.list` pages through.
    async fn projects(&self) -> Result<Vec<String>, CatalogError> {
        if !self.config.projects.is_empty() {
            return Ok(self.config.projects.clone());
        }
        let url = self.api.url("/bigquery/v2/projects");
        let grant = "List the projects to read in `projects`, or grant the credentials \
                     roles/bigquery.metadataViewer on them";
        let mut projects = Vec::new();
        let mut page_token = None;
        loop {
            let query = page_token.map(|token| vec![("pageToken", token)]);
            let page: ProjectList = self.api.get(&url, query.unwrap_or_default(), grant).await?;
            let ids = page
                .projects
                .into_iter()
                .map(|p| p.project_reference.project_id);
            projects.extend(ids);
            match page.next_page_token.filter(|token| !token.is_empty()) {
                Some(token) => page_token = Some(token),
                None => return Ok(projects),
            }
        }
    }

    /// Runs `sql` in `project` and waits for its results.
    async fn query<'a>(
        &'a self,
        project: &'a str,
        sql: &'a str,
        location: Option<&'a str>,
        grant: &'a str,
    ) -> Result<QueryResults<'a>, CatalogError> {
        let job = QueryJob {
            project,
            sql,
            location,
            page_size: PAGE_ROWS,
            grant,
        };
        Ok(self.api.query(job).await?)
    }
}

#[async_trait]
impl CatalogReader for BigQueryCatalog {
    fn describe(&self) -> String {
        match self.config.projects.as_slice() {
            [] => "bigquery catalog of every listed project".to_string(),
            projects => format!("bigquery catalog {}", projects.join(", ")),
        }
    }

    async fn schemas(&self) -> Result<Vec<SchemaRef>, CatalogError> {
        let mut schemas = Vec::new();
        for project in self.projects().await? {
            let grant = grant(&project);
            for region in &self.config.regions {
                let sql = schemas_sql(&project, region);
                let mut results = self.query(&project, &sql, Some(region), &grant).await?;
                let call = results.call();
                while let Some(rows) = results.next_page().await? {
                    for row in rows {
                        schemas.push(schema(&call, &row)?);
                    }
                }
            }
        }
        Ok(schemas)
    }

    async fn relations(&self, schema: &SchemaRef, sink: &RelationSink) -> Result<(), CatalogError> {
        let project = &schema.database;
        let sql = relations_sql(project, &schema.schema);
        let grant = grant(project);
        // No location: BigQuery runs the job where the dataset is.
        let mut results = self.query(project, &sql, None, &grant).await?;
        let call = results.call();
        let mut pages = RelationPages::finishing(sink, declared_order);
        while let Some(rows) = results.next_page().await? {
            for row in rows {
                let name = text(&call, &row, 0, "table_name")?;
                let start = || relation(&call, schema, name, &row);
                pages.column(name, start, column(&row)).await?;
            }
        }
        pages.finish().await
    }
}

/// A row of [`schemas_sql`]: project, dataset, last change in epoch milliseconds.
fn schema(call: &str, row: &Row) -> Result<SchemaRef, CatalogError> {
    Ok(SchemaRef {
        database: text(call, row, 0, "catalog_name")?.to_string(),
        schema: text(call, row, 1, "schema_name")?.to_string(),
        changed_at: integer(call, row, 2, "last_modified_time")?
            .and_then(DateTime::from_timestamp_millis),
    })
}

/// The relation a [`relations_sql`] row belongs to, without columns.
fn relation(
    call: &str,
    schema: &SchemaRef,
    name: &str,
    row: &Row,
) -> Result<Relation, CatalogError> {
    let kind = kind(row.text(1).unwrap_or_default());
    // __TABLES__ says 0 for views and external tables: unknown, not empty.
    let counted = matches!(kind, RelationKind::Table | RelationKind::MaterializedView);
    let row_count = integer(call, row, 3, "row_count")?;
    Ok(Relation {
        database: schema.database.clone(),
        schema: schema.schema.clone(),
        name: name.to_string(),
        kind,
        comment: row.text(2).map(string_literal),
        row_estimate: row_count.filter(|_| counted),
        columns: Vec::new(),
    })
}

/// The column (field path) of a [`relations_sql`] row; `None` for a relation without any.
fn column(row: &Row) -> Option<Column> {
    Some(Column {
        name: row.text(5)?.to_string(),
        data_type: row.text(6).unwrap_or_default().to_string(),
        comment: row.text(7).filter(|d| !d.is_empty()).map(str::to_string),
    })
}

fn text<'r>(call: &str, row: &'r Row, index: usize, column: &str) -> Result<&'r str, CatalogError> {
    row.text(index)
        .ok_or_else(|| unexpected(call, format!("{column} is NULL or missing")))
}

/// INT64 cells come as JSON strings.
fn integer(call: &str, row: &Row, index: usize, column: &str) -> Result<Option<i64>, CatalogError> {
    row.text(index)
        .map(|text| {
            text.parse()
                .map_err(|_| unexpected(call, format!("{column} {text:?} is no integer")))
        })
        .transpose()
}

/// `table_type` as `INFORMATION_SCHEMA.TABLES` spells it; clones and snapshots are tables.
fn kind(table_type: &str) -> RelationKind {
    match table_type {
        "VIEW" => RelationKind::View,
        "MATERIALIZED VIEW" => RelationKind::MaterializedView,
        "EXTERNAL" => RelationKind::External,
        _ => RelationKind::Table,
    }
}

/// `TABLE_OPTIONS` gives a description as a quoted string literal; its escapes are JSON's.
fn string_literal(value: &str) -> String {
    serde_json::from_str::<String>(value).unwrap_or_else(|_| value.trim_matches('"').to_string())
}

/// The datasets of `project` in `region`, with their last change in epoch milliseconds.
fn schemas_sql(project: &str, region: &str) -> String {
    format!(
        "SELECT catalog_name, schema_name, UNIX_MILLIS(last_modified_time)\n\
         FROM {}.{}.INFORMATION_SCHEMA.SCHEMATA\n\
         ORDER BY schema_name",
        quote(project),
        quote(&format!("region-{region}"))
    )
}

/// Every relation of one dataset with one row per column and nested field, in name, then
/// column order. LEFT JOINs keep relations without columns, description or row count;
/// hidden pseudo-columns (`_PARTITIONTIME`) have no ordinal position and stay out.
fn relations_sql(project: &str, dataset: &str) -> String {
    let at = format!("{}.{}", quote(project), quote(dataset));
    format!(
        "SELECT t.table_name, t.table_type, o.option_value, s.row_count,\n       \
                c.ordinal_position, f.field_path, f.data_type, f.description\n\
         FROM {at}.INFORMATION_SCHEMA.TABLES AS t\n\
         LEFT JOIN {at}.INFORMATION_SCHEMA.TABLE_OPTIONS AS o\n  \
           ON o.table_name = t.table_name AND o.option_name = 'description'\n\
         LEFT JOIN {at}.__TABLES__ AS s ON s.table_id = t.table_name\n\
         LEFT JOIN (\n  \
           SELECT table_name, column_name, ordinal_position\n  \
           FROM {at}.INFORMATION_SCHEMA.COLUMNS WHERE ordinal_position IS NOT NULL\n\
         ) AS c ON c.table_name = t.table_name\n\
         LEFT JOIN {at}.INFORMATION_SCHEMA.COLUMN_FIELD_PATHS AS f\n  \
           ON f.table_name = c.table_name AND f.column_name = c.column_name\n\
         ORDER BY t.table_name, c.ordinal_position, f.field_path"
    )
}

/// What to grant for the catalog of `project`.
fn grant(project: &str) -> String {
    format!(
        "Grant roles/bigquery.metadataViewer on project {project} (or on its datasets) and \
         roles/bigquery.jobUser (bigquery.jobs.create) on project {project}"
    )
}

/// Puts nested fields in the order their STRUCT declares them. The query sorts a column's
/// field paths by name (`COLUMN_FIELD_PATHS` keeps no position), which already puts each
/// parent before its fields; the parent's type, `STRUCT<b …, a …>`, gives their order.
fn declared_order(relation: &mut Relation) {
    let keys: Vec<Vec<usize>> = {
        let columns = &relation.columns;
        let types: HashMap<&str, &str> = columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str()))
            .collect();
        let mut tops: HashMap<&str, usize> = HashMap::new();
        for (index, column) in columns.iter().enumerate() {
            tops.entry(top_level(&column.name)).or_insert(index);
        }
        columns
            .iter()
            .map(|c| order_key(&c.name, &types, &tops))
            .collect()
    };
    let mut keyed: Vec<_> = keys
        .into_iter()
        .zip(std::mem::take(&mut relation.columns))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    relation.columns = keyed.into_iter().map(|(_, column)| column).collect();
}

fn top_level(path: &str) -> &str {
    path.split_once('.').map_or(path, |(top, _)| top)
}

/// The position of each segment of `path` among its siblings: the top-level column's first
/// row, then each field's place in its parent's STRUCT. Unknown fields sort last.
fn order_key(path: &str, types: &HashMap<&str, &str>, tops: &HashMap<&str, usize>) -> Vec<usize> {
    let top = top_level(path);
    let mut key = vec![tops.get(top).copied().unwrap_or(usize::MAX)];
    let mut parent_end = top.len();
    for segment in path[parent_end..].split('.').skip(1) {
        let fields = types
            .get(&path[..parent_end])
            .map(|t| struct_fields(t))
            .unwrap_or_default();
        key.push(
            fields
                .iter()
                .position(|f| *f == segment)
                .unwrap_or(usize::MAX),
        );
        parent_end += 1 + segment.len();
    }
    key
}

/// The direct fields of a STRUCT type in declared order: `STRUCT<a INT64, b STRUCT<c
/// STRING>>` has `a` and `b`; an ARRAY of STRUCT has its element's; other types have none.
fn struct_fields(data_type: &str) -> Vec<&str> {
    let mut inner = data_type.trim();
    while let Some(element) = type_argument(inner, "ARRAY") {
        inner = element;
    }
    match type_argument(inner, "STRUCT") {
        Some(body) => top_level_items(body).into_iter().map(field_name).collect(),
        None => Vec::new(),
    }
}

/// `T` of `NAME<T>`.
fn type_argument<'t>(data_type: &'t str, name: &str) -> Option<&'t str> {
    let head = data_type.get(..name.len())?;
    if !head.eq_ignore_ascii_case(name) {
        return None;
    }
    data_type[name.len()..]
        .trim_start()
        .strip_prefix('<')?
        .strip_suffix('>')
}

/// `body` split at the commas outside `<…>`, `(…)` and quotes.
fn top_level_items(body: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '`' | '"' | '\'') => quote = Some(c),
            (None, '<' | '(') => depth += 1,
            (None, '>' | ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                items.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    items
}

/// The name of a STRUCT field declaration (`name TYPE` or `` `name` TYPE ``).
fn field_name(item: &str) -> &str {
    let item = item.trim();
    match item.strip_prefix('`') {
        Some(quoted) => quoted.split('`').next().unwrap_or(quoted),
        None => item.split_whitespace().next().unwrap_or(item),
    }
}

/// `projects.list`, as far as needed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectList {
    #[serde(default)]
    projects: Vec<Project>,
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    project_reference: ProjectReference,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectReference {
    project_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_fields_are_read_in_declared_order() {
        let data_type = "STRUCT<zip STRING, `geo point` STRUCT<lat FLOAT64, lng FLOAT64>, \
                         tags ARRAY<STRING>, price NUMERIC(10, 2)>";
        assert_eq!(
            struct_fields(data_type),
            ["zip", "geo point", "tags", "price"]
        );
        assert_eq!(
            struct_fields("ARRAY<STRUCT<sku STRING, qty INT64>>"),
            ["sku", "qty"]
        );
        assert!(struct_fields("INT64").is_empty());
        assert!(struct_fields("ARRAY<STRING>").is_empty());
    }

    #[test]
    fn nested_fields_follow_their_struct() {
        let column = |name: &str, data_type: &str| Column {
            name: name.to_string(),
            data_type: data_type.to_string(),
            comment: None,
        };
        let mut relation = Relation {
            database: "p".to_string(),
            schema: "d".to_string(),
            name: "t".to_string(),
            kind: RelationKind::Table,
            comment: None,
            row_estimate: None,
            // As the query sorts them: by column position, then field path.
            columns: vec![
                column("id", "INT64"),
                column(
                    "address",
                    "STRUCT<zip STRING, city STRUCT<name STRING, code STRING>>",
                ),
                column("address.city", "STRUCT<name STRING, code STRING>"),
                column("address.city.code", "STRING"),
                column("address.city.name", "STRING"),
                column("address.zip", "STRING"),
                column("amount", "NUMERIC"),
            ],
        };
        declared_order(&mut relation);
        let names: Vec<&str> = relation.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "address",
                "address.zip",
                "address.city",
                "address.city.name",
                "address.city.code",
                "amount"
            ]
        );
    }

    #[test]
    fn descriptions_are_unquoted() {
        assert_eq!(
            string_literal(r#""Orders, one \"row\" per order""#),
            "Orders, one \"row\" per order"
        );
        assert_eq!(string_literal("\"caf\u{e9}\\n\""), "caf\u{e9}\n");
    }
}
