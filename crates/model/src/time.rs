//! How every stored timestamp is written.

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 in UTC with microseconds (`2026-11-23T09:00:00.000000Z`): one fixed width, so
/// comparing the text compares the times, in SQL and in Rust alike.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The start of the activity window of `days` days ending now: work that ran since is live.
pub fn live_since(days: u32) -> String {
    stamp(Utc::now() - chrono::Duration::days(i64::from(days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let a: DateTime<Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
        let b: DateTime<Utc> = "2026-11-23T09:00:00.5Z".parse().unwrap();
        assert_eq!(stamp(a), "2026-11-23T09:00:00.000000Z");
        assert!(stamp(a) < stamp(b));
    }
}
