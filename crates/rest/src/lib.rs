//! The JSON-over-HTTPS layer the warehouse APIs share (Snowflake, BigQuery, Databricks), for
//! query history and catalog introspection alike.
//!
//! [`HttpClient`] sends one [`Request`] with retries, `Retry-After`, time limits and errors
//! that name the call and say what to grant. [`bigquery`] adds Google sign-in and the
//! `jobs.query` protocol, [`snowflake`] the SQL API's statements, polling and partitions. Errors
//! are [`RestError`]s, which each source crate turns into its own error type.
//!
//! ```
//! use rest::{checked_id, RestError};
//!
//! // Ids from an answer go into the next URL only when they cannot change its path.
//! assert_eq!(checked_id("POST /queries", "jobId", "job_7f3a").unwrap(), "job_7f3a");
//! let error = checked_id("POST /queries", "jobId", "../admin").unwrap_err();
//! assert!(matches!(error, RestError::Malformed { .. }));
//! assert_eq!(
//!     error.to_string(),
//!     "POST /queries: unexpected answer: jobId \"../admin\" is not an id"
//! );
//! ```
#![deny(missing_docs)]

pub mod bigquery;
mod client;
pub mod databricks;
mod limit;
pub mod snowflake;

pub use client::{checked_id, Answer, HttpClient, HttpOptions, Request};
pub use limit::{RateLimiter, Window};

/// Why a call failed. Every variant names the call as `METHOD URL`.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// 401: the credential is wrong or expired.
    #[error("{call}: 401 Unauthorized: {message}")]
    Unauthorized {
        /// The request, e.g. `POST https://acme.snowflakecomputing.com/api/v2/statements`.
        call: String,
        /// The API's own words.
        message: String,
    },
    /// 403: a missing privilege; `grant` says what to grant.
    #[error("{call}: 403 Forbidden: {message}. {grant}")]
    Forbidden {
        /// The request.
        call: String,
        /// The API's own words.
        message: String,
        /// What to grant, as the caller phrased it for this call.
        grant: String,
    },
    /// Any other HTTP failure, verbatim, after retries; status 0 when no answer came at all.
    #[error("{call}: HTTP {status}: {body}")]
    Http {
        /// The request.
        call: String,
        /// The HTTP status.
        status: u16,
        /// The body, shortened.
        body: String,
    },
    /// No answer in time, after retries.
    #[error("{call}: timed out after {seconds} s")]
    Timeout {
        /// The request.
        call: String,
        /// The time limit.
        seconds: u64,
    },
    /// An answer that is not in the documented shape (truncated, not JSON, missing fields).
    #[error("{call}: unexpected answer: {detail}")]
    Malformed {
        /// The request.
        call: String,
        /// What was wrong.
        detail: String,
    },
}

/// A fresh random request id in the UUID v4 form, for APIs that deduplicate a resubmitted
/// request by it (Snowflake's `requestId`, BigQuery's `requestId`).
pub fn request_id() -> String {
    let bits = fastrand::u128(..);
    // Version 4 and the RFC 4122 variant, as UUID v4 sets them.
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A byte count as people read it: `64 MB`, or `512 bytes` below a megabyte.
pub fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_uuid_v4_and_differ() {
        let (a, b) = (super::request_id(), super::request_id());
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
    }
}
