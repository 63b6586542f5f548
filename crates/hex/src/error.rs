//! What can go wrong talking to Hex, in words that say what to fix.

use rest::RestError;

/// Why a Hex call failed. Every variant but [`HexError::InvalidWorkspace`] names the call as
/// `METHOD URL`; none holds the token.
#[derive(Debug, thiserror::Error)]
pub enum HexError {
    /// The workspace URL the user gave is not one.
    #[error("{url:?} is not a Hex workspace URL: {reason}")]
    InvalidWorkspace {
        /// What the user gave.
        url: String,
        /// What is wrong with it and what to paste instead.
        reason: String,
    },
    /// 401: the token is wrong, revoked or expired.
    #[error(
        "{call}: 401 Unauthorized: {message}; the workspace token is invalid or expired: \
         create one under Settings → API keys in Hex"
    )]
    Unauthorized {
        /// The request, e.g. `GET https://app.hex.tech/api/v1/projects?limit=100`.
        call: String,
        /// Hex's own words.
        message: String,
    },
    /// 403: the token lacks a scope, or the plan lacks the feature.
    #[error("{call}: 403 Forbidden: {message}; {grant}")]
    Forbidden {
        /// The request.
        call: String,
        /// Hex's own words (`details`).
        message: String,
        /// Which scope this call needs.
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
    /// An answer not in the documented shape: truncated, not JSON, wrong fields, a cursor
    /// that repeats.
    #[error("{call}: unexpected answer: {detail}")]
    Malformed {
        /// The request.
        call: String,
        /// What was wrong.
        detail: String,
    },
}

/// The HTTP layer's errors keep their meaning; the scope a 403 needs was set on the request.
impl From<RestError> for HexError {
    fn from(error: RestError) -> Self {
        match error {
            RestError::Unauthorized { call, message } => HexError::Unauthorized { call, message },
            RestError::Forbidden {
                call,
                message,
                grant,
            } => HexError::Forbidden {
                call,
                message,
                grant,
            },
            RestError::Http { call, status, body } => HexError::Http { call, status, body },
            RestError::Timeout { call, seconds } => HexError::Timeout { call, seconds },
            RestError::Malformed { call, detail } => HexError::Malformed { call, detail },
        }
    }
}
