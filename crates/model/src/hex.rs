//! Hex's vocabulary shared by sources, store and pages: who or what made Hex run a query
//! ([`RunContext`]), and Hex's own links: one rule for a project's and a cell's URL, and for
//! which URLs from a query comment may be shown as links.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

/// Who or what made Hex run a query. Stored, serialized and ordered by its name, so maps keyed
/// by it read and print as they did when keyed by the name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RunContext {
    /// A scheduled run (`SCHEDULED_RUN`).
    Scheduled,
    /// Someone opened the published app (`APP_VIEW`).
    AppView,
    /// Interactive work in the notebook (`LOGIC_VIEW` and other logic contexts).
    Interactive,
    /// A run through Hex's API (`API`).
    Api,
    /// Anything else, lower-cased as Hex wrote it.
    Other(String),
}

impl RunContext {
    /// The context as Hex's query comment writes it (in any case).
    pub fn from_hex(raw: &str) -> Self {
        let upper = raw.trim().to_ascii_uppercase();
        match upper.as_str() {
            "SCHEDULED_RUN" | "SCHEDULED" => RunContext::Scheduled,
            "APP_VIEW" | "APP" | "PUBLISHED_APP" => RunContext::AppView,
            "API" | "API_RUN" => RunContext::Api,
            _ if upper.contains("LOGIC") || upper.contains("INTERACTIVE") => {
                RunContext::Interactive
            }
            "" => RunContext::Other("unknown".to_string()),
            _ => RunContext::Other(upper.to_ascii_lowercase()),
        }
    }

    /// The stored name: `scheduled`, `app_view`, `interactive`, `api` or Hex's own word.
    pub fn as_str(&self) -> &str {
        match self {
            RunContext::Scheduled => "scheduled",
            RunContext::AppView => "app_view",
            RunContext::Interactive => "interactive",
            RunContext::Api => "api",
            RunContext::Other(other) => other,
        }
    }

    /// The inverse of [`RunContext::as_str`].
    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "scheduled" => RunContext::Scheduled,
            "app_view" => RunContext::AppView,
            "interactive" => RunContext::Interactive,
            "api" => RunContext::Api,
            other => RunContext::Other(other.to_string()),
        }
    }

    /// The contexts Hex names, in the order pages offer them as filters.
    pub const KNOWN: [RunContext; 4] = [
        RunContext::Scheduled,
        RunContext::AppView,
        RunContext::Interactive,
        RunContext::Api,
    ];

    /// How pages say it: `scheduled`, `app view`, `interactive`, `API`.
    pub fn label(&self) -> String {
        match self {
            RunContext::Api => "API".to_string(),
            other => other.as_str().replace('_', " "),
        }
    }

    /// Runs people see the results of without working on the project: schedules and app
    /// views.
    pub fn is_audience(&self) -> bool {
        matches!(self, RunContext::Scheduled | RunContext::AppView)
    }
}

impl fmt::Display for RunContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Ord for RunContext {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RunContext {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Lookups by name (`map["scheduled"]`) agree with the order: both are the name's.
impl Borrow<str> for RunContext {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for RunContext {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A project URL's path up to its `/hex/` or `/app/`, and the project id after it.
///
/// Hex writes `<host>/<workspace>/hex/<id>/…`, so the segment after the workspace is tried
/// first (a workspace may itself be called `hex` or `app`), then any other. Case is ignored:
/// some warehouses re-case the query text.
pub fn split_project_url(url: &str) -> Option<(&str, &str)> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let host = path.find("://").map_or(0, |i| i + 3);
    let slashes: Vec<usize> = path[host..]
        .match_indices('/')
        .map(|(i, _)| host + i)
        .collect();
    let is_kind = |at: &&usize| {
        let kind = path[**at + 1..].get(..4);
        kind.is_some_and(|k| k.eq_ignore_ascii_case("hex/") || k.eq_ignore_ascii_case("app/"))
    };
    let at = *slashes
        .get(1)
        .filter(is_kind)
        .or_else(|| slashes.iter().find(is_kind))?;
    let after = &path[at + 5..];
    Some((&path[..at], after.split('/').next().unwrap_or(after)))
}

/// Hex's link to a cell: the project's logic view with the cell selected.
pub fn cell_url(project_url: &str, cell_id: &str) -> String {
    format!(
        "{}/draft/logic?selectedCellId={cell_id}",
        project_base(project_url)
    )
}

/// `https://app.hex.tech/<workspace>/hex/<project id>` from any URL of the project, the
/// published app's (`…/<workspace>/app/<project id>/latest`) included.
pub fn project_base(url: &str) -> String {
    match split_project_url(url) {
        Some((workspace, id)) => format!("{workspace}/hex/{id}"),
        None => {
            let path = url.split(['?', '#']).next().unwrap_or(url);
            path.trim_end_matches('/').to_string()
        }
    }
}

/// Whether a URL from a comment may be shown as a link: anyone who can run SQL can write a
/// Hex comment, so only `https://` links are trusted.
pub fn linkable(url: &str) -> bool {
    url.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_context_reads_from_hex_and_keys_orders_and_prints_by_its_name() {
        assert_eq!(
            RunContext::from_hex(" scheduled_run "),
            RunContext::Scheduled
        );
        assert_eq!(RunContext::from_hex("LOGIC_VIEW"), RunContext::Interactive);
        assert_eq!(
            RunContext::from_hex("NOTEBOOK_EXPORT"),
            RunContext::Other("notebook_export".into())
        );
        for c in RunContext::KNOWN {
            assert_eq!(RunContext::from_stored(c.as_str()), c);
        }
        let runs: std::collections::BTreeMap<RunContext, i64> = [
            (RunContext::Scheduled, 3),
            (RunContext::AppView, 2),
            (RunContext::Api, 1),
        ]
        .into();
        // Name order, lookups by name, and JSON keys are the stored names.
        assert_eq!(runs["app_view"], 2);
        let keys: Vec<&str> = runs.keys().map(RunContext::as_str).collect();
        assert_eq!(keys, ["api", "app_view", "scheduled"]);
        assert_eq!(
            serde_json::to_string(&runs).unwrap(),
            r#"{"api":1,"app_view":2,"scheduled":3}"#
        );
        assert_eq!(RunContext::AppView.label(), "app view");
        assert_eq!(RunContext::Api.label(), "API");
        assert!(RunContext::Scheduled.is_audience() && !RunContext::Interactive.is_audience());
    }
}
