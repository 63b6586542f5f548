//! Every route in one table: pages, then the JSON API under `/api`, each resource's HTML and
//! JSON handlers side by side in its module.

use crate::error::{ApiError, AppError};
use crate::{api, assets, auth, health, hex_pages, lineage, pages, refresh, AppState};
use axum::routing::{get, post};
use axum::Router;

/// The pages, assets and sign-in routes.
pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/connections/{name}", get(pages::connection))
        .route("/connections/{name}/status", get(pages::status))
        .route("/connections/{name}/refresh", post(refresh::refresh))
        .route(
            "/connections/{name}/schemas/{database}/{schema}",
            get(pages::schema),
        )
        .route(
            "/connections/{name}/tables/{database}/{schema}/{table}",
            get(pages::table),
        )
        .route("/lineage", get(lineage::page))
        .route("/hex", get(hex_pages::projects))
        .route("/hex/projects/{id}", get(hex_pages::project))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/assets/{file}", get(assets::serve))
        .nest("/api", json_api())
        .fallback(|| async { AppError::NotFound("no such page".into()) })
}

/// Routes under `/api`: the data of every page.
fn json_api() -> Router<AppState> {
    Router::new()
        .route("/connections", get(api::connections))
        .route("/connections/{name}", get(api::connection))
        .route("/connections/{name}/tree", get(api::tree))
        .route("/connections/{name}/schemas", get(api::schemas))
        .route("/connections/{name}/syncs", get(api::syncs))
        .route(
            "/connections/{name}/tables/{database}/{schema}/{table}",
            get(api::table),
        )
        .route("/search", get(api::search))
        .route("/lineage", get(lineage::api))
        .route("/graph", get(lineage::export))
        .route("/health", get(health::api))
        .route("/openlineage", get(lineage::openlineage))
        .route("/hex/projects", get(hex_pages::api_projects))
        .route("/hex/projects/{id}", get(hex_pages::api_project))
        .fallback(|| async {
            ApiError(AppError::NotFound(
                "no such API route; see README.md#json-api".into(),
            ))
        })
}
