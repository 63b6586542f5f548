//! Databricks: the Unity Catalog REST API of one workspace.
//!
//! Catalogs, their schemas (with `updated_at`), and each schema's tables with their columns
//! are listed page by page (`max_results=0` lets the server pick the page size, as Databricks
//! recommends; a page may be empty and still name a next one). `include_browse` also lists
//! what the principal may only BROWSE. Unity Catalog keeps no row counts.
//! API: <https://docs.databricks.com/api/workspace/tables/list>.

use crate::api::RelationPages;
use crate::{CatalogError, CatalogReader, Column, Relation, RelationKind, RelationSink, SchemaRef};
use async_trait::async_trait;
use chrono::DateTime;
pub use rest::databricks::DatabricksAuth;
use rest::{HttpClient, HttpOptions, Request};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// How to reach one workspace's Unity Catalog.
#[derive(Clone, Debug)]
pub struct DatabricksCatalogConfig {
    /// The workspace URL, e.g. `https://adb-1234567890123456.7.azuredatabricks.net`.
    pub host: String,
    /// How the principal to read as signs in: a personal access token or OAuth
    /// machine-to-machine.
    pub auth: DatabricksAuth,
    /// The catalogs to read; empty means every catalog the principal can list.
    pub catalogs: Vec<String>,
    /// Time limits and retries of each HTTP call.
    pub http: HttpOptions,
}

impl DatabricksCatalogConfig {
    /// A configuration for every catalog, with default limits.
    pub fn new(host: impl Into<String>, auth: DatabricksAuth) -> Self {
        DatabricksCatalogConfig {
            host: host.into(),
            auth,
            catalogs: Vec::new(),
            http: HttpOptions::default(),
        }
    }
}

/// The Unity Catalog of one Databricks workspace.
pub struct DatabricksCatalog {
    config: DatabricksCatalogConfig,
    http: HttpClient,
}

impl DatabricksCatalog {
    /// A source for `config`; nothing is sent before [`CatalogReader::schemas`].
    pub fn new(config: DatabricksCatalogConfig) -> Self {
        DatabricksCatalog {
            http: HttpClient::new(config.http.clone()),
            config,
        }
    }

    fn host(&self) -> &str {
        self.config.host.trim_end_matches('/')
    }

    /// A listing of `/api/2.1/unity-catalog/<path>` with `params`, read page by page.
    fn listing<'a>(
        &'a self,
        path: &str,
        params: Vec<(&'static str, String)>,
        grant: String,
    ) -> Listing<'a> {
        Listing {
            source: self,
            url: format!("{}/api/2.1/unity-catalog/{path}", self.host()),
            params,
            grant,
            next: Next::First,
        }
    }

    /// The configured catalogs, or every one the principal can list.
    async fn catalogs(&self) -> Result<Vec<String>, CatalogError> {
        if !self.config.catalogs.is_empty() {
            return Ok(self.config.catalogs.clone());
        }
        let grant = grant(None, None);
        let mut listing = self.listing("catalogs", Vec::new(), grant);
        let mut catalogs = Vec::new();
        while let Some(page) = listing.next::<CatalogPage>().await? {
            catalogs.extend(page.catalogs.into_iter().map(|catalog| catalog.name));
        }
        Ok(catalogs)
    }
}

#[async_trait]
impl CatalogReader for DatabricksCatalog {
    fn describe(&self) -> String {
        let host = self.host();
        let host = host.split_once("://").map_or(host, |(_, rest)| rest);
        format!("databricks catalog {host}")
    }

    async fn schemas(&self) -> Result<Vec<SchemaRef>, CatalogError> {
        let mut schemas = Vec::new();
        for catalog in self.catalogs().await? {
            let params = vec![("catalog_name", catalog.clone())];
            let mut listing = self.listing("schemas", params, grant(Some(&catalog), None));
            while let Some(page) = listing.next::<SchemaPage>().await? {
                let listed = page.schemas.into_iter();
                // Every catalog has one; it describes the catalog rather than holding data.
                let listed = listed.filter(|schema| schema.name != "information_schema");
                schemas.extend(listed.map(|schema| SchemaRef {
                    database: schema.catalog_name.unwrap_or_else(|| catalog.clone()),
                    schema: schema.name,
                    changed_at: schema.updated_at.and_then(DateTime::from_timestamp_millis),
                }));
            }
        }
        Ok(schemas)
    }

    async fn relations(&self, schema: &SchemaRef, sink: &RelationSink) -> Result<(), CatalogError> {
        let params = vec![
            ("catalog_name", schema.database.clone()),
            ("schema_name", schema.schema.clone()),
            ("omit_properties", "true".to_string()),
            ("omit_username", "true".to_string()),
        ];
        let grant = grant(Some(&schema.database), Some(&schema.schema));
        let mut listing = self.listing("tables", params, grant);
        let mut pages = RelationPages::new(sink);
        while let Some(page) = listing.next::<TablePage>().await? {
            for table in page.tables {
                pages.push(relation(schema, table)).await?;
            }
        }
        pages.finish().await
    }
}

/// One listing's pages.
struct Listing<'a> {
    source: &'a DatabricksCatalog,
    url: String,
    params: Vec<(&'static str, String)>,
    grant: String,
    next: Next,
}

/// Which page of a listing comes next.
enum Next {
    First,
    Token(String),
    Done,
}

impl Listing<'_> {
    /// The next page, or `None` after the last.
    async fn next<P: Page>(&mut self) -> Result<Option<P>, CatalogError> {
        let token = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Done => return Ok(None),
            Next::First => None,
            Next::Token(token) => Some(token),
        };
        let bearer = self.source.config.auth.bearer().await?;
        let mut request = Request::get(&self.url).bearer(&bearer).grant(&self.grant);
        for (name, value) in &self.params {
            request = request.query(name, value);
        }
        request = request
            .query("max_results", "0")
            .query("include_browse", "true");
        if let Some(token) = token {
            request = request.query("page_token", token);
        }
        let page: P = self.source.http.send(&request).await?.body;
        // The only end of a listing is a page without a token; an empty page is not one.
        if let Some(token) = page.next_page_token().filter(|token| !token.is_empty()) {
            self.next = Next::Token(token.to_string());
        }
        Ok(Some(page))
    }
}

/// A page of a Unity Catalog listing.
trait Page: DeserializeOwned {
    fn next_page_token(&self) -> Option<&str>;
}

/// The relation `table` of `schema`, its columns in position order.
fn relation(schema: &SchemaRef, table: TableInfo) -> Relation {
    let mut columns = table.columns;
    columns.sort_by_key(|column| column.position.unwrap_or(i64::MAX));
    Relation {
        database: schema.database.clone(),
        schema: schema.schema.clone(),
        name: table.name,
        kind: kind(table.table_type.as_deref().unwrap_or_default()),
        comment: table.comment,
        row_estimate: None,
        columns: columns
            .into_iter()
            .map(|column| Column {
                name: column.name,
                data_type: column.type_text.unwrap_or_default(),
                comment: column.comment,
            })
            .collect(),
    }
}

/// `table_type` as Unity Catalog spells it; streaming tables and clones are tables.
fn kind(table_type: &str) -> RelationKind {
    match table_type {
        "VIEW" | "METRIC_VIEW" => RelationKind::View,
        "MATERIALIZED_VIEW" => RelationKind::MaterializedView,
        "EXTERNAL" | "EXTERNAL_SHALLOW_CLONE" | "FOREIGN" => RelationKind::External,
        _ => RelationKind::Table,
    }
}

/// What to grant to list `catalog` (any when `None`) and, given, its `schema`.
fn grant(catalog: Option<&str>, schema: Option<&str>) -> String {
    let catalog = catalog.map_or_else(|| "<catalog>".to_string(), |c| format!("`{c}`"));
    let schema = match schema {
        Some(schema) => {
            format!("; GRANT USE SCHEMA ON SCHEMA {catalog}.`{schema}` TO `<principal>`")
        }
        None => String::new(),
    };
    format!(
        "Grant it with: GRANT USE CATALOG ON CATALOG {catalog} TO `<principal>`{schema} (tables \
         are listed with SELECT on them; GRANT BROWSE ON CATALOG {catalog} TO `<principal>` \
         shows all metadata without data access)"
    )
}

#[derive(Debug, Deserialize)]
struct CatalogPage {
    #[serde(default)]
    catalogs: Vec<CatalogInfo>,
    next_page_token: Option<String>,
}

impl Page for CatalogPage {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
}

#[derive(Debug, Deserialize)]
struct CatalogInfo {
    name: String,
}

#[derive(Debug, Deserialize)]
struct SchemaPage {
    #[serde(default)]
    schemas: Vec<SchemaInfo>,
    next_page_token: Option<String>,
}

impl Page for SchemaPage {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
}

#[derive(Debug, Deserialize)]
struct SchemaInfo {
    name: String,
    catalog_name: Option<String>,
    /// Epoch milliseconds.
    updated_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct TablePage {
    #[serde(default)]
    tables: Vec<TableInfo>,
    next_page_token: Option<String>,
}

impl Page for TablePage {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
}

#[derive(Debug, Deserialize)]
struct TableInfo {
    name: String,
    table_type: Option<String>,
    comment: Option<String>,
    /// Missing when the principal may only browse the table.
    #[serde(default)]
    columns: Vec<ColumnInfo>,
}

#[derive(Debug, Deserialize)]
struct ColumnInfo {
    name: String,
    type_text: Option<String>,
    comment: Option<String>,
    position: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_types_map_to_kinds() {
        assert_eq!(kind("MANAGED"), RelationKind::Table);
        assert_eq!(kind("STREAMING_TABLE"), RelationKind::Table);
        assert_eq!(kind("EXTERNAL"), RelationKind::External);
        assert_eq!(kind("VIEW"), RelationKind::View);
        assert_eq!(kind("MATERIALIZED_VIEW"), RelationKind::MaterializedView);
    }
}
