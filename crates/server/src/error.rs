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
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(e) => tracing::error!("request failed: {e}"),
            AppError::Render(e) => tracing::error!("template failed: {e}"),
            AppError::NotFound(_) | AppError::Forbidden(_) | AppError::BadRequest(_) => {}
        }
    }
}

/// Pages render errors as HTML.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let page = crate::pages::ErrorPage {
            status: self.status().as_u16(),
            message: self.to_string(),
        };
        let body = askama::Template::render(&page).unwrap_or_else(|_| self.to_string());
        (self.status(), Html(body)).into_response()
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
        (self.0.status(), Json(body)).into_response()
    }
}
