//! Path and query extractors whose rejections speak our formats: a bad `?limit=x` or path
//! segment is a 400 in the API's `{"error": …}` JSON, or the HTML error page, never axum's
//! own plain text.

use crate::error::{ApiError, AppError};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Query parameters of an API route.
pub struct ApiQuery<T>(pub T);

/// Path segments of an API route.
pub struct ApiPath<T>(pub T);

/// Query parameters of a page.
pub struct PageQuery<T>(pub T);

/// Path segments of a page.
pub struct PagePath<T>(pub T);

fn bad_query(rejection: QueryRejection) -> AppError {
    AppError::BadRequest(format!(
        "{}: check the query parameters",
        rejection.body_text()
    ))
}

/// A segment that does not decode is the client's mistake; a route whose parameters do not
/// match its handler is ours.
fn bad_path(rejection: PathRejection) -> AppError {
    let text = rejection.body_text();
    if rejection.status().is_client_error() {
        AppError::BadRequest(text)
    } else {
        AppError::NotFound(text)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError(bad_query(rejection))),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError(bad_path(rejection))),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PageQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(PageQuery(value)),
            Err(rejection) => Err(bad_query(rejection)),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PagePath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PagePath(value)),
            Err(rejection) => Err(bad_path(rejection)),
        }
    }
}
