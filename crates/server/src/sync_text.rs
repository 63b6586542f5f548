//! A sync's figures in words a person reads at a glance ("8 new runs from 69 Hex queries ·
//! 0.4 s"), for the status page and beside the structured figures in the API.

use serde_json::Value;

/// One line about what a sync of `source` did, from the summary it stored.
pub(crate) fn describe(source: &str, summary: &Value) -> String {
    if source.starts_with("history:") {
        history(summary)
    } else {
        generic(summary)
    }
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What one history source contributed: the runs it counted (or the source that counts them
/// instead), the Hex queries, the new cell → table edges and what did not parse.
fn history(s: &Value) -> String {
    let mut parts = vec![match s["runs_counted_by"].as_str() {
        Some(other) => format!("runs counted by {other}: this source adds which cells read what"),
        None => format!(
            "{} from {}",
            plural(count(&s["stored"]["new_runs"]), "new run", "new runs"),
            plural(count(&s["hex_rows"]), "Hex query", "Hex queries")
        ),
    }];
    parts.push(plural(
        count(&s["runs_counted"]),
        "execution counted",
        "executions counted",
    ));
    parts.push(plural(
        count(&s["stored"]["new_edges"]),
        "new edge",
        "new edges",
    ));
    let failed = count(&s["parse_failed"]);
    if failed > 0 {
        parts.push(format!(
            "{} did not parse",
            plural(failed, "statement", "statements")
        ));
    }
    if let Some(skipped) = s["failed"].as_object() {
        for (why, n) in skipped {
            parts.push(format!(
                "{} skipped: {why}",
                plural(count(n), "row", "rows")
            ));
        }
    }
    parts.extend(seconds(&s["seconds"]));
    parts.join(" · ")
}

/// Any other summary: each figure with its name in words, nested figures flattened, empty
/// ones left out, times in seconds to one decimal.
fn generic(summary: &Value) -> String {
    let mut parts = Vec::new();
    flatten(summary, &mut parts);
    parts.join(" · ")
}

fn flatten(value: &Value, parts: &mut Vec<String>) {
    let Some(fields) = value.as_object() else {
        return;
    };
    for (key, v) in fields {
        let name = key.replace('_', " ");
        match v {
            Value::Number(_) if key == "seconds" || key.ends_with("_seconds") => {
                parts.extend(seconds(v))
            }
            Value::Number(n) => parts.push(format!("{n} {name}")),
            Value::String(text) if !text.is_empty() => parts.push(format!("{name}: {text}")),
            Value::Bool(yes) => parts.push(format!("{name}: {}", if *yes { "yes" } else { "no" })),
            Value::Object(_) => flatten(v, parts),
            _ => {}
        }
    }
}

fn seconds(v: &Value) -> Option<String> {
    v.as_f64().map(|s| format!("{s:.1} s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_sync_reads_as_a_sentence() {
        let summary = serde_json::json!({
            "rows": 80, "executions": 90, "hex_rows": 69, "parse_failed": 2, "runs_counted": 75,
            "runs_counted_by": null, "failed": {"truncated Hex metadata": 1},
            "stored": {"new_runs": 8, "new_edges": 3, "new_queries": 4, "updated_runs": 1},
            "seconds": 0.4123
        });
        assert_eq!(
            describe("history:prod", &summary),
            "8 new runs from 69 Hex queries · 75 executions counted · 3 new edges · \
             2 statements did not parse · 1 row skipped: truncated Hex metadata · 0.4 s"
        );
    }

    #[test]
    fn other_summaries_drop_empty_figures_and_quotes() {
        let summary = serde_json::json!({
            "projects": 4, "failed": {}, "queried_tables": "available",
            "seconds": 0.002458724, "stored": {"new_edges": 0}
        });
        assert_eq!(
            describe("hex", &summary),
            "4 projects · queried tables: available · 0.0 s · 0 new edges"
        );
    }
}
