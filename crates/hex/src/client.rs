//! The client: one call per listing, every page fetched, all calls under one rate limiter.

use crate::cell::RawCell;
use crate::connection::RawConnection;
use crate::page::Page;
use crate::project::RawProject;
use crate::{Cell, DataConnection, HexError, Project, QueriedTable, QueriedTables, Workspace};
use model::Secret;
use rest::{checked_id, HttpClient, HttpOptions, RateLimiter, Request, Window};
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The largest page Hex serves.
const PAGE_LIMIT: &str = "100";

/// What a 403 means for each call: the scope of the workspace token (Settings → API keys)
/// that call needs, in the words Hex's token dialog uses.
const PROJECTS_SCOPE: &str = "the workspace token needs the scope Projects: Read access";
const CELLS_SCOPE: &str = "the workspace token needs the scope Cells: Read access";
const QUERIED_TABLES_SCOPE: &str = "the workspace token needs the scope \"Read project queried \
                                    tables\" (an Enterprise plan feature)";
const DATA_CONNECTIONS_SCOPE: &str =
    "the workspace token needs the scope Data connections: Read access";

/// How to reach a Hex workspace.
#[derive(Clone, Debug)]
pub struct HexConfig {
    /// The workspace, from the URL a user pasted.
    pub workspace: Workspace,
    /// A workspace token (Settings → API keys).
    pub token: Secret,
    /// Rate limits for the token; Hex's defaults unless the workspace has others.
    pub limits: Vec<Window>,
    /// Time limits and retries.
    pub http: HttpOptions,
}

impl HexConfig {
    /// A config with Hex's default limits (30 requests a minute, 1,800 an hour) and the
    /// default HTTP options.
    pub fn new(workspace: Workspace, token: Secret) -> HexConfig {
        HexConfig {
            workspace,
            token,
            limits: vec![
                Window {
                    limit: 30,
                    window: Duration::from_secs(60),
                },
                Window {
                    limit: 1_800,
                    window: Duration::from_secs(3_600),
                },
            ],
            http: HttpOptions::default(),
        }
    }
}

/// The Hex API v1 client; clones share one rate limiter, as they share one token.
#[derive(Clone)]
pub struct HexClient {
    workspace: Workspace,
    token: Secret,
    http: HttpClient,
}

impl fmt::Debug for HexClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HexClient")
            .field("workspace", &self.workspace)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl HexClient {
    /// A client for `config`'s workspace under its limits.
    pub fn new(config: HexConfig) -> HexClient {
        let limiter = Arc::new(RateLimiter::new(config.limits));
        HexClient {
            workspace: config.workspace,
            token: config.token,
            http: HttpClient::new(config.http).with_limiter(limiter),
        }
    }

    /// The workspace this client reads.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Every project and component, archived and trashed ones included (`GET /projects`).
    pub async fn projects(&self) -> Result<Vec<Project>, HexError> {
        let url = format!("{}/projects", self.workspace.api_base());
        let params = [
            ("includeArchived", "true"),
            ("includeComponents", "true"),
            ("includeTrashed", "true"),
        ];
        let raw: Vec<RawProject> = self.all_pages(&url, &params, PROJECTS_SCOPE).await?;
        Ok(raw.into_iter().map(Project::from).collect())
    }

    /// Every cell of the project (`GET /cells?projectId=...`).
    pub async fn cells(&self, project_id: &str) -> Result<Vec<Cell>, HexError> {
        let url = format!("{}/cells", self.workspace.api_base());
        let params = [("projectId", project_id)];
        let raw: Vec<RawCell> = self.all_pages(&url, &params, CELLS_SCOPE).await?;
        Ok(raw.into_iter().map(Cell::from).collect())
    }

    /// The warehouse tables the project queries (`GET /projects/{projectId}/queriedTables`),
    /// or why Hex will not say: a 403 is [`QueriedTables::Unavailable`], a 404 or 422 (both
    /// in the spec's responses for this call) [`QueriedTables::Refused`], not errors.
    pub async fn queried_tables(&self, project_id: &str) -> Result<QueriedTables, HexError> {
        let api = self.workspace.api_base();
        let template = format!("GET {api}/projects/{{projectId}}/queriedTables");
        let project_id = checked_id(&template, "projectId", project_id)?;
        let url = format!("{api}/projects/{project_id}/queriedTables");
        match self
            .all_pages::<QueriedTable>(&url, &[], QUERIED_TABLES_SCOPE)
            .await
        {
            Ok(tables) => Ok(QueriedTables::Tables(tables)),
            Err(HexError::Forbidden { call, message, .. }) => {
                Ok(QueriedTables::Unavailable(unavailable(&call, &message)))
            }
            Err(HexError::Http {
                call,
                status: status @ (404 | 422),
                body,
            }) => Ok(QueriedTables::Refused(format!(
                "{call}: HTTP {status}: {body}; Hex lists no queried tables for this project"
            ))),
            Err(error) => Err(error),
        }
    }

    /// One data connection with its details (`GET /data-connections/{dataConnectionId}`,
    /// which always answers the "with sensitive fields" form).
    pub async fn data_connection(&self, id: &str) -> Result<DataConnection, HexError> {
        let api = self.workspace.api_base();
        let template = format!("GET {api}/data-connections/{{dataConnectionId}}");
        let id = checked_id(&template, "dataConnectionId", id)?;
        let request = Request::get(format!("{api}/data-connections/{id}"))
            .bearer(&self.token)
            .grant(DATA_CONNECTIONS_SCOPE);
        let raw: RawConnection = self.http.send(&request).await?.body;
        Ok(raw.into())
    }

    /// The cheapest calls that prove the token and each scope a sync uses: one project,
    /// one data connection, and that project's queried tables (`limit=1` each). A missing
    /// scope the sync can do without is said, not failed. `downstream check` uses it.
    pub async fn check(&self) -> Result<String, HexError> {
        let api = self.workspace.api_base();
        let first = self
            .probe(&format!("{api}/projects"), PROJECTS_SCOPE)
            .await?;
        let mut said = vec![match &first {
            Some(_) => "projects readable".to_string(),
            None => "the token sees no projects".to_string(),
        }];
        let connections = self
            .probe(&format!("{api}/data-connections"), DATA_CONNECTIONS_SCOPE)
            .await;
        said.push(match connections {
            Ok(_) => "data connections readable".into(),
            Err(HexError::Forbidden { grant, .. }) => format!(
                "data connections not readable ({grant}), so they are matched by the names \
                 query history carries"
            ),
            Err(error) => return Err(error),
        });
        if let Some(project) = first {
            let id = checked_id(&format!("GET {api}/projects"), "id", &project)?;
            self.probe(&format!("{api}/cells?projectId={id}"), CELLS_SCOPE)
                .await?;
            said.push("cells readable".into());
            let queried = format!("{api}/projects/{id}/queriedTables");
            said.push(match self.probe(&queried, QUERIED_TABLES_SCOPE).await {
                Ok(_) => "queried tables readable".into(),
                Err(HexError::Forbidden { grant, .. }) => {
                    format!("queried tables not readable ({grant}): lineage comes from query history and the projects' SQL")
                }
                Err(HexError::Http { status: 404 | 422, .. }) => {
                    "queried tables readable (none for the first project)".into()
                }
                Err(error) => return Err(error),
            });
        }
        Ok(said.join("; "))
    }

    /// `GET url&limit=1`: the id of the first value, if the page has one.
    async fn probe(&self, url: &str, scope: &str) -> Result<Option<String>, HexError> {
        #[derive(serde::Deserialize)]
        struct Id {
            id: Option<String>,
        }
        let request = Request::get(url)
            .bearer(&self.token)
            .grant(scope)
            .query("limit", "1");
        let page: Page<Id> = self.http.send(&request).await?.body;
        Ok(page
            .values
            .into_iter()
            .next()
            .map(|v| v.id.unwrap_or_default()))
    }

    /// Every data connection of the workspace (`GET /data-connections`).
    pub async fn data_connections(&self) -> Result<Vec<DataConnection>, HexError> {
        let url = format!("{}/data-connections", self.workspace.api_base());
        let raw: Vec<RawConnection> = self.all_pages(&url, &[], DATA_CONNECTIONS_SCOPE).await?;
        Ok(raw.into_iter().map(DataConnection::from).collect())
    }

    /// Every page of a listing, following `pagination.after` until it is null.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        url: &str,
        params: &[(&'static str, &str)],
        scope: &str,
    ) -> Result<Vec<T>, HexError> {
        let mut values = Vec::new();
        let mut cursors = HashSet::new();
        let mut after: Option<String> = None;
        loop {
            let request = self.page_request(url, params, scope, after.as_deref());
            let page: Page<T> = self.http.send(&request).await?.body;
            values.extend(page.values);
            let Some(next) = page.after else {
                return Ok(values);
            };
            // A cursor seen before would loop forever over the same pages.
            if !cursors.insert(next.clone()) {
                return Err(HexError::Malformed {
                    call: format!("GET {url}"),
                    detail: format!("pagination.after {next:?} came back a second time"),
                });
            }
            after = Some(next);
        }
    }

    fn page_request<'a>(
        &'a self,
        url: &str,
        params: &[(&'static str, &str)],
        scope: &'a str,
        after: Option<&str>,
    ) -> Request<'a> {
        let mut request = Request::get(url)
            .bearer(&self.token)
            .grant(scope)
            .query("limit", PAGE_LIMIT);
        for &(name, value) in params {
            request = request.query(name, value);
        }
        match after {
            Some(cursor) => request.query("after", cursor),
            None => request,
        }
    }
}

/// Why a project's tables are not known, and what the project still has to go on.
fn unavailable(call: &str, message: &str) -> String {
    format!(
        "{call}: 403 Forbidden: {message}: Hex shares a project's queried tables only on \
         Enterprise plans and with a workspace token that has the scope \"Read project queried \
         tables\"; this project's tables come from warehouse query history alone"
    )
}
