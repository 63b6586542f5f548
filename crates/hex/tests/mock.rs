//! What the Hex tests share beyond [`mockhttp`]: a client for a mock. Answers are built as
//! Hex's OpenAPI document defines them ([`mockhttp::hex`]); every mock made with [`hex_mock`]
//! checks its answers against that document when the test ends, and answers outside it say
//! why with [`Reply::off_spec`].

use hex::{HexClient, HexConfig, HexError, Workspace};
pub use mockhttp::hex::{
    cell, cells_error, connection, detailed_connection, error as hex_error,
    error_details as hex_error_details, mock as hex_mock, page, queried_page, sql_cell, uuid,
};
pub use mockhttp::{Mock, Reply, Seen, TOKEN};
use model::Secret;
use serde_json::Value;

/// A project last edited at the start of the tests' month.
pub fn project(id: &str, title: &str) -> Value {
    mockhttp::hex::project(id, title, "2024-05-01T09:00:00.000Z")
}

/// A client for the workspace `acme` on `mock`, trying each request `attempts` times.
pub fn client(mock: &Mock, attempts: u32) -> HexClient {
    let workspace = Workspace::parse(&format!("{}/acme/", mock.url)).expect("a workspace URL");
    let mut config = HexConfig::new(workspace, Secret::new(TOKEN));
    config.http = mockhttp::fast_http(attempts);
    HexClient::new(config)
}

/// Neither the message nor the `Debug` form of `error` shows the token.
pub fn assert_no_token(error: &HexError) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains(TOKEN), "the error shows the token: {text}");
}

/// Every request carried the token as a bearer token.
pub fn assert_bearer(seen: &[Seen]) {
    let bearer = format!("Bearer {TOKEN}");
    for request in seen {
        assert_eq!(
            request.header("authorization"),
            Some(bearer.as_str()),
            "{}",
            request.path
        );
    }
}
