//! Field readers that take what Hex sends without failing a whole page over one odd value.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

/// A value of the expected type, or anything else, skipped.
#[derive(Deserialize)]
#[serde(untagged)]
enum Loose<T> {
    Fine(T),
    Other(IgnoredAny),
}

/// A timestamp, or `None` when it is missing, null or does not parse: one odd date should
/// not hide a project.
pub(crate) fn time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(match Option::<Loose<String>>::deserialize(deserializer)? {
        Some(Loose::Fine(text)) => parse_time(&text),
        _ => None,
    })
}

/// ISO-8601 as Hex documents it (UTC); an offset is honoured, and none means UTC.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// A string that may be missing or null: empty then.
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(Deserialize)]
    struct Fields {
        #[serde(default, deserialize_with = "time")]
        at: Option<DateTime<Utc>>,
    }

    fn fields(json: &str) -> Fields {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn timestamps_parse_or_become_none() {
        let expected = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).single();
        assert_eq!(fields(r#"{"at": "2024-05-01T12:30:00Z"}"#).at, expected);
        assert_eq!(fields(r#"{"at": "2024-05-01T12:30:00.000Z"}"#).at, expected);
        assert_eq!(
            fields(r#"{"at": "2024-05-01T14:30:00+02:00"}"#).at,
            expected
        );
        assert_eq!(fields(r#"{"at": "2024-05-01T12:30:00"}"#).at, expected);
        for odd in [
            r#"{"at": "yesterday"}"#,
            r#"{"at": 1714566600}"#,
            r#"{"at": {"seconds": 1}}"#,
            r#"{"at": null}"#,
            r#"{}"#,
        ] {
            assert_eq!(fields(odd).at, None, "{odd}");
        }
    }
}
