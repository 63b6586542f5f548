//! Answers to GET requests, kept until a sync writes: pages are a function of the store and
//! the clock, and the store changes only when a sync records itself. Many people opening the
//! same dashboards then cost one render each per sync (and per minute, since pages say
//! "3 h ago" and what is live). Each answer ages on its own, so answers do not all expire at
//! the same moment and pile their renders up (which showed as a 450 ms stall every minute
//! under load). Runs inside the access check, so it never serves a page to someone who may
//! not see it.

use crate::versioned::Versioned;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Marks an answer served from the cache because the store could not be asked.
const STALE: header::HeaderName = header::HeaderName::from_static("x-downstream-stale");

/// How long an answer is served before it is rendered again.
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Entries kept; the oldest that nobody asked for again go first.
const ENTRIES: usize = 4_096;
/// Bodies larger than this are not kept (a huge graph export is rare and big).
const LARGEST: usize = 2 * 1024 * 1024;

/// (path and query, store version) → when it was rendered, and the answer.
#[derive(Debug, Default)]
pub struct ResponseCache {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    /// Keys in the order they go: the front is looked at first.
    order: VecDeque<Key>,
    /// Answers some request is rendering now.
    rendering: HashSet<Key>,
    /// The newest store version kept for each path.
    newest: HashMap<String, i64>,
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    /// Served since it was kept or last given a second chance.
    used: bool,
    content_type: HeaderValue,
    body: Bytes,
}

type Key = (String, i64);

impl ResponseCache {
    fn get(&self, key: &Key) -> Option<(HeaderValue, Bytes)> {
        let mut e = self.inner.lock().ok()?;
        let entry = e.map.get_mut(key)?;
        entry.used = true;
        (entry.at.elapsed() < MAX_AGE).then(|| (entry.content_type.clone(), entry.body.clone()))
    }

    /// The newest answer kept for `path`, whatever store version it was rendered at.
    fn newest(&self, path: &str) -> Option<(HeaderValue, Bytes)> {
        let e = self.inner.lock().ok()?;
        let version = *e.newest.get(path)?;
        let entry = e.map.get(&(path.to_string(), version))?;
        Some((entry.content_type.clone(), entry.body.clone()))
    }

    /// Marks `key` as being rendered by the caller until the guard drops; `None` when another
    /// request already is.
    fn start_render(&self, key: &Key) -> Option<Rendering<'_>> {
        let mut e = self.inner.lock().ok()?;
        e.rendering.insert(key.clone()).then(|| Rendering {
            cache: self,
            key: key.clone(),
        })
    }

    fn put(&self, key: Key, (content_type, body): (HeaderValue, Bytes)) {
        let Ok(mut e) = self.inner.lock() else { return };
        let entry = Entry {
            at: Instant::now(),
            used: false,
            content_type,
            body,
        };
        let newest = e.newest.entry(key.0.clone()).or_insert(key.1);
        *newest = (*newest).max(key.1);
        if e.map.insert(key.clone(), entry).is_none() {
            e.order.push_back(key);
        }
        // Second chance: an answer served since it last reached the front goes round again,
        // so the pages everyone opens stay while the long tail of table pages passes through.
        while e.map.len() > ENTRIES {
            let Some(old) = e.order.pop_front() else {
                break;
            };
            match e.map.get_mut(&old) {
                Some(entry) if entry.used => {
                    entry.used = false;
                    e.order.push_back(old);
                }
                _ => {
                    e.map.remove(&old);
                    if e.newest.get(&old.0) == Some(&old.1) {
                        e.newest.remove(&old.0);
                    }
                }
            }
        }
    }
}

/// Clears the rendering mark however the render ends.
struct Rendering<'a> {
    cache: &'a ResponseCache,
    key: Key,
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        if let Ok(mut e) = self.cache.inner.lock() {
            e.rendering.remove(&self.key);
        }
    }
}

pub(crate) async fn layer(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let version = match s.store.graph_version().await {
        Ok(version) => version,
        // The store is away: what was last rendered for this page beats an error page.
        Err(_) => match s.responses.newest(&path) {
            Some((content_type, body)) => {
                return (
                    [
                        (header::CONTENT_TYPE, content_type),
                        (STALE, HeaderValue::from_static("store unreachable")),
                    ],
                    body,
                )
                    .into_response()
            }
            None => return next.run(req).await,
        },
    };
    let key = (path, version);
    if let Some((content_type, body)) = s.responses.get(&key) {
        return ([(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    // One render per page and version: while one request renders it (after a sync, say),
    // the others get the answer kept from before rather than each rendering it again.
    let rendering = s.responses.start_render(&key);
    if rendering.is_none() {
        if let Some((content_type, body)) = s.responses.newest(&key.0) {
            return ([(header::CONTENT_TYPE, content_type)], body).into_response();
        }
    }
    let res = VERSION.scope(version, next.run(req)).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    // Our own handlers' bodies, already whole in memory: buffering them costs no more.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the answer could not be read",
            )
                .into_response()
        }
    };
    if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE) {
        if bytes.len() <= LARGEST {
            s.responses.put(key, (content_type.clone(), bytes.clone()));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

tokio::task_local! {
    /// The store version the response cache read for this request, so the handler below it
    /// need not ask the store again.
    static VERSION: i64;
}

/// Per connection, what every page of it shows (headline numbers, the dbt Cloud run behind
/// it), built once per store version.
#[derive(Debug)]
pub struct ConnectionCache<T>(Mutex<HashMap<String, Arc<Versioned<i64, T>>>>);

impl<T> Default for ConnectionCache<T> {
    fn default() -> Self {
        ConnectionCache(Mutex::new(HashMap::new()))
    }
}

impl<T: Clone> ConnectionCache<T> {
    /// The value for `name` at store `version`, computed by `load` when missing or older.
    async fn get_or<F>(&self, version: i64, name: &str, load: F) -> Result<T, crate::AppError>
    where
        F: std::future::Future<Output = Result<T, store::StoreError>>,
    {
        let slot = match self.0.lock() {
            Ok(mut m) => m.entry(name.to_string()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        match slot.get(version, || load).await {
            Ok(value) => Ok(value.as_ref().clone()),
            Err(e) => {
                // Names that do not load are not kept: anyone can ask for any name.
                if let Ok(mut m) = self.0.lock() {
                    m.remove(name);
                }
                Err(e.into())
            }
        }
    }
}

/// The search index of each store version.
pub type SearchCache = Versioned<i64, store::SearchIndex>;

impl AppState {
    /// Up to `limit` relations and columns matching `query`, from the index of the current
    /// store version (see [`crate::versioned`] for what happens while it is built).
    pub(crate) async fn search(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<store::SearchHit>, crate::AppError> {
        let version = self.store_version().await?;
        let index = self
            .searches
            .get(version, || self.store.search_index())
            .await?;
        Ok(index.search(query, limit))
    }

    /// The store's version: the one this request's cache lookup read, else asked afresh.
    pub(crate) async fn store_version(&self) -> Result<i64, store::StoreError> {
        match VERSION.try_with(|v| *v) {
            Ok(version) => Ok(version),
            Err(_) => self.store.graph_version().await,
        }
    }

    /// A connection's overview, computed once per store version.
    pub(crate) async fn overview(
        &self,
        name: &str,
    ) -> Result<store::ConnectionOverview, crate::AppError> {
        let version = self.store_version().await?;
        self.overviews
            .get_or(version, name, self.store.connection(name))
            .await
    }

    /// The dbt Cloud run a connection's metadata came from, once per store version.
    pub(crate) async fn cloud_run(
        &self,
        name: &str,
    ) -> Result<Option<store::CloudRunRecord>, crate::AppError> {
        let version = self.store_version().await?;
        self.cloud_runs
            .get_or(version, name, self.store.cloud_run(name))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> (HeaderValue, Bytes) {
        (
            HeaderValue::from_static("text/html"),
            Bytes::from_static(b"page"),
        )
    }

    #[test]
    fn pages_asked_for_again_outlive_the_long_tail() {
        let cache = ResponseCache::default();
        let home = ("/".to_string(), 1);
        cache.put(home.clone(), answer());
        for n in 0..3 * ENTRIES {
            cache.put((format!("/tables/t{n}"), 1), answer());
            if n % 100 == 0 {
                assert!(
                    cache.get(&home).is_some(),
                    "home evicted after {n} table pages"
                );
            }
        }
        assert!(
            cache.get(&("/tables/t0".to_string(), 1)).is_none(),
            "the tail passes through"
        );
        assert_eq!(cache.inner.lock().unwrap().map.len(), ENTRIES);
    }

    #[test]
    fn one_request_renders_a_page_while_the_others_get_the_kept_answer() {
        let cache = ResponseCache::default();
        cache.put(("/".to_string(), 1), answer());
        let key = ("/".to_string(), 2);
        let first = cache.start_render(&key).expect("the first request renders");
        assert!(cache.start_render(&key).is_none(), "the second does not");
        assert!(
            cache.newest("/").is_some(),
            "it gets the answer kept from version 1"
        );
        drop(first);
        assert!(
            cache.start_render(&key).is_some(),
            "a render that ended frees the page"
        );
    }
}
