//! One page of a listing. Hex answers `{"values": [...], "pagination": {"after": ...}}`;
//! a bare array, or `values` without `pagination`, is a single last page.

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::marker::PhantomData;

/// The values of one page and the cursor of the next, if there is one.
pub(crate) struct Page<T> {
    pub(crate) values: Vec<T>,
    pub(crate) after: Option<String>,
}

#[derive(Deserialize)]
struct Pagination {
    after: Option<String>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PageVisitor(PhantomData))
    }
}

struct PageVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for PageVisitor<T> {
    type Value = Page<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with `values` and `pagination`, or an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Page<T>, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = seq.next_element()? {
            values.push(value);
        }
        Ok(Page {
            values,
            after: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
        let mut values = None;
        let mut after = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "values" => values = Some(map.next_value::<Vec<T>>()?),
                "pagination" => {
                    after = map
                        .next_value::<Option<Pagination>>()?
                        .and_then(|p| p.after)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let values = values.ok_or_else(|| de::Error::missing_field("values"))?;
        // An empty cursor would start the listing over, so it ends it like null does.
        let after = after.filter(|cursor| !cursor.is_empty());
        Ok(Page { values, after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> Result<Page<u32>, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn pages_come_as_objects_or_bare_arrays() {
        let first = page(r#"{"values": [1, 2], "pagination": {"after": "c1", "before": null}}"#);
        let first = first.expect("a page");
        assert_eq!(
            (first.values, first.after.as_deref()),
            (vec![1, 2], Some("c1"))
        );
        for last in [
            r#"{"values": [3], "pagination": {"after": null, "before": "c1"}}"#,
            r#"{"values": [3], "pagination": {"after": ""}}"#,
            r#"{"values": [3], "pagination": {}}"#,
            r#"{"values": [3], "pagination": null, "traceId": "t"}"#,
            r#"{"values": [3]}"#,
            r#"[3]"#,
        ] {
            let last = page(last).unwrap_or_else(|e| panic!("{last}: {e}"));
            assert_eq!((last.values, last.after), (vec![3], None));
        }
    }

    #[test]
    fn other_shapes_say_what_was_expected() {
        let missing = page(r#"{"pagination": {"after": null}}"#).err();
        assert!(missing.is_some_and(|e| e.to_string().contains("missing field `values`")));
        let scalar = page(r#""values""#).err();
        assert!(scalar.is_some_and(|e| e.to_string().contains("an object with `values`")));
        assert!(page(r#"{"values": {"a": 1}}"#).is_err());
    }
}
