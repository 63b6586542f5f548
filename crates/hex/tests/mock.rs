//! What the Hex tests share beyond [`mockhttp`]: a client for a mock, pages in Hex's shape,
//! and the checks every answer must pass.

use hex::{HexClient, HexConfig, HexError, Workspace};
pub use mockhttp::{Mock, Reply, Seen, TOKEN};
use model::Secret;
use serde_json::{json, Value};

/// A client for the workspace `acme` on `mock`, trying each request `attempts` times.
pub fn client(mock: &Mock, attempts: u32) -> HexClient {
    let workspace = Workspace::parse(&format!("{}/acme/", mock.url)).expect("a workspace URL");
    let mut config = HexConfig::new(workspace, Secret::new(TOKEN));
    config.http = mockhttp::fast_http(attempts);
    HexClient::new(config)
}

/// A page in Hex's shape; `after` is the next page's cursor.
pub fn page(values: Value, after: Option<&str>) -> Reply {
    Reply::json(
        200,
        json!({"values": values, "pagination": {"after": after, "before": null}}),
    )
}

/// An error body in Hex's shape.
pub fn hex_error(status: u16, details: &str) -> Reply {
    Reply::json(
        status,
        json!({"details": details, "traceId": "5f1c-trace", "reason": "x"}),
    )
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
