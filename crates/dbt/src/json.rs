//! Serde helpers for artifact shapes that vary across dbt versions.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// A JSON object read as a list of entries in file order, without hashing the keys.
#[derive(Debug)]
pub(crate) struct Entries<T>(pub Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((k, v)) = map.next_entry()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }

        deserializer.deserialize_any(EntriesVisitor(PhantomData))
    }
}

/// A string field that older or newer dbt versions may write as null, a number or an object:
/// anything but a string reads as `None` instead of failing the whole artifact.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any {
        Str(String),
        Other(IgnoredAny),
    }
    Ok(match Any::deserialize(d)? {
        Any::Str(s) => Some(s),
        Any::Other(_) => None,
    })
}

/// A list of strings that may also be written as one string or null.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any {
        One(String),
        Many(Vec<Option<String>>),
        Other(IgnoredAny),
    }
    Ok(match Any::deserialize(d)? {
        Any::One(s) => vec![s],
        Any::Many(v) => v.into_iter().flatten().collect(),
        Any::Other(_) => Vec::new(),
    })
}

/// A number that may be null or written as a string.
pub(crate) fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any {
        Num(f64),
        Str(String),
        Other(IgnoredAny),
    }
    Ok(match Any::deserialize(d)? {
        Any::Num(n) => Some(n),
        Any::Str(s) => s.trim().parse().ok(),
        Any::Other(_) => None,
    })
}
