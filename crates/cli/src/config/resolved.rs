//! The configuration as `downstream check` shows it: every setting with its default filled
//! in, each source's fields as written, and secrets only as the variable that holds them
//! (`<from $SNOWFLAKE_TOKEN>`), never their value.

use serde::Serialize;
use std::collections::BTreeMap;

/// The resolved configuration.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Resolved {
    /// Where the store lives.
    pub store: String,
    /// The address `serve` binds.
    pub bind: String,
    /// Hex work that ran within this many days is live.
    pub window_days: u32,
    /// How far back a history source's first sync reads.
    pub lookback_days: u32,
    /// Seconds between `serve`'s rounds, by kind of source.
    pub schedules: BTreeMap<&'static str, u64>,
    /// Each connection and its sources.
    pub connections: Vec<ResolvedConnection>,
    /// Each Hex workspace's settings.
    pub hex: Vec<Settings>,
}

/// One connection as resolved.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ResolvedConnection {
    /// Its name.
    pub name: String,
    /// Warehouse kind.
    pub kind: String,
    /// Where its dbt metadata comes from.
    pub dbt: Option<String>,
    /// How its warehouse catalog is reached.
    pub warehouse: Option<Settings>,
    /// Its query-history sources.
    pub history: Vec<Settings>,
}

/// One source's fields as written, secrets as their variables.
pub type Settings = BTreeMap<String, String>;

/// The fields of a raw config entry: `*_env` fields become `<from $VAR>`, absent ones are left
/// out, lists are joined.
pub fn settings(entry: &impl Serialize) -> Settings {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(entry) else {
        return Settings::new();
    };
    fields
        .into_iter()
        .filter_map(|(key, value)| {
            let text = match value {
                serde_json::Value::Null => return None,
                serde_json::Value::Object(map) if map.is_empty() => return None,
                serde_json::Value::Array(items) if items.is_empty() => return None,
                serde_json::Value::String(s) if key.ends_with("_env") => format!("<from ${s}>"),
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            Some((key, text))
        })
        .collect()
}

impl Resolved {
    /// The text `check` prints above its table.
    pub fn text(&self) -> String {
        let schedules: Vec<String> = self
            .schedules
            .iter()
            .map(|(what, s)| format!("{what} every {s} s"))
            .collect();
        let mut out = format!(
            "store      {}\nserver     bind {}; {}\nhistory    live window {} days; first sync looks back {} days\n",
            self.store,
            self.bind,
            schedules.join(", "),
            self.window_days,
            self.lookback_days
        );
        for c in &self.connections {
            out.push_str(&format!("connection {} ({})\n", c.name, c.kind));
            if let Some(dbt) = &c.dbt {
                out.push_str(&format!("  dbt        {dbt}\n"));
            }
            if let Some(warehouse) = &c.warehouse {
                out.push_str(&format!("  warehouse  {}\n", line(warehouse)));
            }
            for h in &c.history {
                out.push_str(&format!("  history    {}\n", line(h)));
            }
        }
        for h in &self.hex {
            out.push_str(&format!("hex        {}\n", line(h)));
        }
        out
    }
}

/// `prod: kind = snowflake, account = acme, …`: the entry's name first, then its fields.
fn line(settings: &Settings) -> String {
    let fields: Vec<String> = settings
        .iter()
        .filter(|(k, _)| *k != "name")
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    match settings.get("name") {
        Some(name) => format!("{name}: {}", fields.join(", ")),
        None => fields.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Entry {
        name: &'static str,
        token_env: &'static str,
        role: Option<&'static str>,
        projects: Vec<&'static str>,
        access_history: bool,
    }

    #[test]
    fn secrets_show_as_their_variable_and_absent_fields_are_left_out() {
        let shown = settings(&Entry {
            name: "prod",
            token_env: "SNOWFLAKE_TOKEN",
            role: None,
            projects: vec!["a", "b"],
            access_history: true,
        });
        assert_eq!(shown["token_env"], "<from $SNOWFLAKE_TOKEN>");
        assert_eq!(shown["projects"], "a, b");
        assert_eq!(shown["access_history"], "true");
        assert!(!shown.contains_key("role"));
        assert_eq!(
            line(&shown),
            "prod: access_history = true, projects = a, b, token_env = <from $SNOWFLAKE_TOKEN>"
        );
    }
}
