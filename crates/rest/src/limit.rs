//! A client-side rate limit over sliding windows: Hex allows 30 requests a minute and 1,800
//! an hour per token, and a client that waits for its turn never meets the 429s at all.
//!
//! The limiter keeps the send times of the longest window (1,800 instants for Hex) and grants a
//! turn only when every window has room. A server's 429 holds all turns for its `Retry-After`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// At most `limit` requests in any span of `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Requests allowed.
    pub limit: u32,
    /// The span they are counted over.
    pub window: Duration,
}

/// Shared by every request to one API with one credential.
#[derive(Debug)]
pub struct RateLimiter {
    windows: Vec<Window>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sent: VecDeque<Instant>,
    held_until: Option<Instant>,
}

impl RateLimiter {
    /// A limiter over `windows`; a window with limit 0 counts as 1.
    pub fn new(windows: Vec<Window>) -> Self {
        let windows = windows
            .into_iter()
            .map(|w| Window {
                limit: w.limit.max(1),
                ..w
            })
            .collect();
        RateLimiter {
            windows,
            state: Mutex::new(State::default()),
        }
    }

    /// Waits until a request may go, and counts it as sent.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                match self.wait_at(&mut state, now) {
                    None => {
                        state.sent.push_back(now);
                        return;
                    }
                    Some(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// No turns for `wait` from now: the server said to slow down.
    pub fn hold(&self, wait: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + wait;
        state.held_until = Some(state.held_until.map_or(until, |held| held.max(until)));
    }

    /// How long a request at `now` must wait, or `None` when it may go.
    fn wait_at(&self, state: &mut State, now: Instant) -> Option<Duration> {
        let longest = self.windows.iter().map(|w| w.window).max()?;
        while state
            .sent
            .front()
            .is_some_and(|&t| now.duration_since(t) >= longest)
        {
            state.sent.pop_front();
        }
        let held = state
            .held_until
            .filter(|&until| until > now)
            .map(|until| until - now);
        let full = self.windows.iter().filter_map(|w| {
            let in_window = state
                .sent
                .iter()
                .rev()
                .take_while(|&&t| now.duration_since(t) < w.window)
                .count();
            // The oldest send that must leave the window before this one may go.
            let blocking = in_window.checked_sub(w.limit as usize)?;
            let oldest = state.sent[state.sent.len() - in_window + blocking];
            Some(w.window - now.duration_since(oldest))
        });
        held.into_iter().chain(full).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_limits() -> RateLimiter {
        RateLimiter::new(vec![
            Window {
                limit: 30,
                window: Duration::from_secs(60),
            },
            Window {
                limit: 1_800,
                window: Duration::from_secs(3_600),
            },
        ])
    }

    /// Counts the most sends found in any span of `window` ending at a send.
    fn busiest(sends: &[Instant], window: Duration) -> usize {
        (0..sends.len())
            .map(|end| {
                sends[..=end]
                    .iter()
                    .rev()
                    .take_while(|&&t| sends[end].duration_since(t) < window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn three_hours_of_eager_requests_stay_under_both_windows() {
        let limiter = hex_limits();
        let start = Instant::now();
        let mut sends = Vec::new();
        while Instant::now() - start < Duration::from_secs(3 * 3_600) {
            limiter.acquire().await;
            sends.push(Instant::now());
        }
        assert_eq!(busiest(&sends, Duration::from_secs(60)), 30);
        assert!(busiest(&sends, Duration::from_secs(3_600)) <= 1_800);
        // Neither too strict: the minute limit is what binds, so about 30 a minute go out.
        assert!(sends.len() >= 3 * 1_800 - 30, "{}", sends.len());
    }

    #[tokio::test(start_paused = true)]
    async fn the_hour_binds_when_it_is_the_tighter_limit() {
        let limiter = RateLimiter::new(vec![
            Window {
                limit: 30,
                window: Duration::from_secs(60),
            },
            Window {
                limit: 100,
                window: Duration::from_secs(3_600),
            },
        ]);
        let start = Instant::now();
        for _ in 0..101 {
            limiter.acquire().await;
        }
        assert!(Instant::now() - start >= Duration::from_secs(3_600));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_every_turn() {
        let limiter = hex_limits();
        limiter.acquire().await;
        limiter.hold(Duration::from_secs(42));
        let start = Instant::now();
        limiter.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(42));
    }
}
