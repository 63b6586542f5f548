//! The web UI and JSON API.
//!
//! Pages are rendered on the server from the store's read models; the only script adds
//! search-as-you-type on top of a plain search form. Every asset is compiled into the binary,
//! so the UI works with no network at all.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = store::Store::open("downstream.sqlite").await?;
//! let addr: std::net::SocketAddr = "127.0.0.1:8400".parse()?;
//! server::serve(server::AppState::new(store), addr, |url| println!("{url}")).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod admission;
mod api;
mod assets;
pub mod auth;
mod cache;
mod error;
mod extract;
mod format;
mod health;
mod hex_pages;
mod highlight;
mod layout;
mod lineage;
mod pages;
mod refresh;
mod routes;
mod sync_text;
mod versioned;

use axum::http::{header, HeaderValue};

use axum::Router;
pub use refresh::Refresher;
use std::net::SocketAddr;

pub use error::AppError;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The store pages read from.
    pub store: store::Store,
    /// Hex work that ran within this many days counts as live; older work stays, marked stale.
    pub window_days: u32,
    /// The sources the refresh button runs (`None`: no button).
    pub refresher: Option<std::sync::Arc<Refresher>>,
    /// The lineage graph, rebuilt after syncs.
    graph_cache: std::sync::Arc<lineage::GraphCache>,
    /// Logins and tokens; `None`: a single user on loopback, who may do everything.
    pub auth: Option<std::sync::Arc<auth::Auth>>,
    /// Rendered answers, until a sync writes.
    responses: std::sync::Arc<cache::ResponseCache>,
    /// Connection overviews, until a sync writes.
    overviews: std::sync::Arc<cache::ConnectionCache<store::ConnectionOverview>>,
    /// The dbt Cloud run behind each connection, until a sync writes.
    cloud_runs: std::sync::Arc<cache::ConnectionCache<Option<store::CloudRunRecord>>>,
    /// The search index of the current store version.
    searches: std::sync::Arc<cache::SearchCache>,
    /// Turns to answer, handed out in arrival order.
    admission: std::sync::Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// State over `store` with the default 14-day activity window.
    pub fn new(store: store::Store) -> Self {
        AppState {
            store,
            window_days: 14,
            refresher: None,
            graph_cache: Default::default(),
            auth: None,
            responses: Default::default(),
            overviews: Default::default(),
            cloud_runs: Default::default(),
            searches: Default::default(),
            admission: std::sync::Arc::new(admission::turns()),
        }
    }

    /// Answers at most `turns` requests at once, the rest waiting their turn in arrival
    /// order (default: four per core).
    pub fn with_turns(mut self, turns: usize) -> Self {
        self.admission = std::sync::Arc::new(tokio::sync::Semaphore::new(turns));
        self
    }

    /// The start of the activity window, RFC 3339.
    pub fn live_since(&self) -> String {
        model::live_since(self.window_days)
    }
}

/// Request bodies larger than this are refused with 413.
const BODY_LIMIT: usize = 16 * 1024;

/// The whole application: pages, assets and `/api`.
pub fn app(state: AppState) -> Router {
    routes::pages()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::layer,
        ))
        // The only bodies the server takes are small forms (login, refresh).
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admission::admit,
        ))
        .with_state(state)
}

/// A strict CSP is possible because pages carry no inline script or style.
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// Binds `addr`, calls `ready` with the URL once listening, and serves until Ctrl-C.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    ready: impl FnOnce(String),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    ready(format!("http://{local}/"));
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
