//! dbt writes timestamps in several shapes; downstream stores one: RFC 3339 UTC, microseconds.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Normalizes `2021-08-12T09:11:56.147256Z`, `...+00:00` and zone-less variants (taken as UTC).
pub fn normalize(text: &str) -> Option<String> {
    parse(text).map(model::stamp)
}

/// Parses any of dbt's timestamp shapes to UTC.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(text, fmt).ok())
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_dbt_writes() {
        let want = Some("2021-08-12T09:11:56.147256Z".to_string());
        assert_eq!(normalize("2021-08-12T09:11:56.147256Z"), want);
        assert_eq!(normalize("2021-08-12T09:11:56.147256+00:00"), want);
        assert_eq!(normalize("2021-08-12T09:11:56.147256"), want);
        assert_eq!(normalize("2021-08-12 11:11:56.147256+02:00"), want);
        assert_eq!(normalize("yesterday"), None);
    }
}
