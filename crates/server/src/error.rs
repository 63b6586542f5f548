//! The one error type at the HTTP edge: it picks the status and the message users see.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is not allowed (e.g. a cross-site post).
    #[error("{0}")]
    Forbidden(String),
    /// The request lacks what it needs; the message says what.
    #[error("{0}")]
    BadRequest(String),
    /// The store is out of reach; the message says so and that it will pass.
    #[error("the store is not answering ({0}). Pages already shown are still served; this one will load again once the store is back.")]
    Unavailable(store::StoreError),
    /// The store failed; details go to the log, not the page.
    #[error("internal error")]
    Internal(#[source] store::StoreError),
    /// A template failed to render.
    #[error("internal error")]
    Render(#[from] askama::Error),
}

impl From<store::StoreError> for AppError {
    fn from(err: store::StoreError) -> Self {
        match err {
            store::StoreError::NotFound(name) => {
                AppError::NotFound(format!("no connection named {name:?}"))
            }
            other if other.is_unavailable() => AppError::Unavailable(other),
            other => AppError::Internal(other),
        }
    }
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// When the store is away, clients are told to come back in a while.
    fn retry_after(&self) -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        if matches!(self, AppError::Unavailable(_)) {
            headers.insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("10"),
            );
        }
        headers
    }

    fn log(&self) {
        match self {
            AppError::Internal(e) => tracing::error!("request failed: {e}"),
            AppError::Unavailable(e) => tracing::warn!("store unavailable: {e}"),
            AppError::Render(e) => tracing::error!("template failed: {e}"),
            AppError::NotFound(_) | AppError::Forbidden(_) | AppError::BadRequest(_) => {}
        }
    }
}

/// Pages render errors as HTML.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let page = ErrorPage {
            status: self.status().as_u16(),
            message: self.to_string(),
        };
        let body = askama::Template::render(&page).unwrap_or_else(|_| self.to_string());
        (self.status(), self.retry_after(), Html(body)).into_response()
    }
}

/// The JSON API renders errors as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        ApiError(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let body = serde_json::json!({ "error": self.0.to_string() });
        (self.0.status(), self.0.retry_after(), Json(body)).into_response()
    }
}

/// Any error, as a page.
#[derive(askama::Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    /// HTTP status.
    status: u16,
    /// What went wrong, for people.
    message: String,
}
