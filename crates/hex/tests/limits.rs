use crate::mock::{Reply, TOKEN};
use hex::{HexClient, HexConfig, Workspace};
use model::Secret;
use rest::Window;
use serde_json::json;
use std::time::{Duration, Instant};

/// Requests the test sends, more than two windows' worth.
const REQUESTS: usize = 12;
const LIMIT: usize = 5;
const WINDOW: Duration = Duration::from_secs(1);
/// The limiter counts when requests leave; the server sees them arrive a little later, by
/// amounts that differ per request (a new connection takes longer than a pooled one). The
/// spans are measured at the server, so they may look this much shorter than they were.
const ARRIVAL_JITTER: Duration = Duration::from_millis(50);

#[tokio::test]
async fn concurrent_calls_share_one_limit() {
    let empty = || {
        Reply::json(
            200,
            json!({"values": [], "pagination": {"after": null, "before": null}}),
        )
    };
    let replies = (0..REQUESTS).map(|_| empty()).collect();
    let mock = crate::mock::hex_mock(replies).await;
    let workspace = Workspace::parse(&format!("{}/acme", mock.url)).expect("workspace");
    let mut config = HexConfig::new(workspace, Secret::new(TOKEN));
    config.http = mockhttp::fast_http(1);
    config.limits = vec![Window {
        limit: LIMIT as u32,
        window: WINDOW,
    }];
    let client = HexClient::new(config);

    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..REQUESTS {
        let client = client.clone();
        calls.spawn(async move { client.data_connections().await });
    }
    while let Some(done) = calls.join_next().await {
        done.expect("the task").expect("the call");
    }
    // 12 requests at 5 a second: the 6th waits one window, the 11th two.
    assert!(started.elapsed() >= 2 * WINDOW, "{:?}", started.elapsed());

    let mut arrivals: Vec<Instant> = mock.seen().iter().map(|s| s.at).collect();
    assert_eq!(arrivals.len(), REQUESTS);
    arrivals.sort();
    // Any span holding LIMIT + 1 requests holds some request and the LIMIT-th after it.
    for (first, sixth) in arrivals.iter().zip(&arrivals[LIMIT..]) {
        let span = sixth.duration_since(*first);
        assert!(
            span + ARRIVAL_JITTER >= WINDOW,
            "{} requests arrived within {span:?}",
            LIMIT + 1
        );
    }
}
