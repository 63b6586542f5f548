//! The comment Hex appends to every query it runs:
//! `-- Hex query metadata: {"context": …, "project_id": …, "project_url": …}`.
//!
//! The payload is parsed as JSON (never by key order), keys are matched without regard to
//! case (some warehouses re-case query text), unknown keys are ignored, and the cell comes
//! from `selectedCellId` in `project_url`.

use crate::HEX_MARKER;
use model::hex::RunContext;
use serde_json::{Map, Value};

/// What a Hex comment says about the query it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexComment {
    /// The Hex project.
    pub project_id: String,
    /// Its title when the query ran.
    pub project_name: Option<String>,
    /// The project URL Hex wrote, which carries the cell.
    pub project_url: Option<String>,
    /// The cell, from `selectedCellId`; queries Hex issues itself carry none.
    pub cell_id: Option<String>,
    /// Why it ran.
    pub context: RunContext,
    /// The Hex user.
    pub user_email: Option<String>,
    /// The name of the Hex data connection.
    pub connection: Option<String>,
    /// The project's status (`Published`, …).
    pub status: Option<String>,
    /// The project's categories.
    pub categories: Vec<String>,
}

/// A Hex comment that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    /// The text ends inside the JSON payload: the warehouse cut the query text short.
    #[error("truncated Hex metadata: the query text ends inside the comment's JSON")]
    Truncated,
    /// The payload is not a JSON object.
    #[error("unreadable Hex metadata: {0}")]
    Invalid(String),
    /// The payload names no project.
    #[error("Hex metadata without a project_id or project URL")]
    NoProject,
}

/// Finds and reads the Hex comment in `sql`: `Ok(None)` when there is none.
///
/// # Errors
/// A comment whose payload is cut short, is not JSON, or names no project.
pub fn parse_comment(sql: &str) -> Result<Option<HexComment>, CommentError> {
    match split(sql) {
        Some((_, payload)) => parse_payload(payload).map(Some),
        None => Ok(None),
    }
}

/// Splits a query into the SQL before Hex's comment and the comment's JSON payload;
/// `None` when there is no Hex comment. Cheap: callers use it to cache SQL and comments
/// separately, since the same SQL runs from many cells and the same cell runs many texts.
pub fn split(sql: &str) -> Option<(&str, &str)> {
    let start = find_marker(sql)?;
    let line_start = sql[..start].rfind('\n').map_or(0, |i| i + 1);
    let comment_start = sql[line_start..start]
        .rfind("--")
        .map_or(start, |i| line_start + i);
    Some((
        sql[..comment_start].trim_end(),
        payload_after(&sql[start..]),
    ))
}

/// Reads the JSON payload of a Hex comment.
///
/// # Errors
/// A payload cut short, not a JSON object, or naming no project.
pub fn parse_payload(payload: &str) -> Result<HexComment, CommentError> {
    if let Some(hex) = parse_exact(payload) {
        return Ok(hex);
    }
    let object = read_object(payload)?;
    let fields = Fields(&object);
    let project_url = fields.text("project_url");
    let project_id = fields
        .text("project_id")
        .or_else(|| project_url.as_deref().and_then(project_from_url))
        .ok_or(CommentError::NoProject)?;
    let cell_id = fields
        .text("cell_id")
        .or_else(|| project_url.as_deref().and_then(cell_from_url));
    Ok(HexComment {
        project_id,
        project_name: fields.text("project_name"),
        cell_id,
        context: RunContext::from_hex(fields.text("context").as_deref().unwrap_or("")),
        user_email: fields.text("user_email"),
        connection: fields.text("connection"),
        status: fields.text("status"),
        categories: fields.list("categories"),
        project_url,
    })
}

/// The payload exactly as Hex writes it (lower-case keys), read straight into borrowed
/// fields: several times faster than a JSON tree, which matters because every execution's
/// comment differs (`trace_id`). `None` sends the payload down the tolerant path.
fn parse_exact(payload: &str) -> Option<HexComment> {
    #[derive(serde::Deserialize)]
    struct Exact<'a> {
        #[serde(borrow)]
        project_id: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        project_name: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        project_url: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        context: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        user_email: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        connection: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        status: Option<std::borrow::Cow<'a, str>>,
        #[serde(default)]
        categories: Vec<String>,
        #[serde(borrow)]
        cell_id: Option<std::borrow::Cow<'a, str>>,
    }
    let exact: Exact<'_> = serde_json::from_str(payload).ok()?;
    // A key Hex always writes that is missing may be there in another case.
    if exact.project_name.is_none() || exact.context.is_none() || exact.user_email.is_none() {
        return None;
    }
    let text = |v: Option<std::borrow::Cow<'_, str>>| {
        v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    };
    let project_id = text(exact.project_id)?;
    let project_url = text(exact.project_url);
    let cell_id = text(exact.cell_id).or_else(|| project_url.as_deref().and_then(cell_from_url));
    Some(HexComment {
        project_id,
        project_name: text(exact.project_name),
        cell_id,
        context: RunContext::from_hex(exact.context.as_deref().unwrap_or("")),
        user_email: text(exact.user_email),
        connection: text(exact.connection),
        status: text(exact.status),
        categories: exact.categories,
        project_url,
    })
}

fn read_object(payload: &str) -> Result<Map<String, Value>, CommentError> {
    let parsed = serde_json::from_str::<Value>(payload).or_else(|first| {
        // Text re-cased by the warehouse turns `\u2013` into `\U2013`; undo just that.
        if payload.contains("\\U") {
            // Cut short after a `\U`, the retry is what knows the text just ends.
            serde_json::from_str(&payload.replace("\\U", "\\u")).map_err(|retry| {
                if retry.is_eof() {
                    retry
                } else {
                    first
                }
            })
        } else {
            Err(first)
        }
    });
    match parsed {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(CommentError::Invalid(
            "the payload is not a JSON object".into(),
        )),
        Err(e) if e.is_eof() => Err(CommentError::Truncated),
        Err(e) => Err(CommentError::Invalid(e.to_string())),
    }
}

/// The JSON after a marker, up to the end of its line.
fn payload_after(from_marker: &str) -> &str {
    let rest = from_marker[HEX_MARKER.len()..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let end = rest.find('\n').unwrap_or(rest.len());
    rest[..end].trim()
}

/// The last occurrence of the marker, in any case (some warehouses re-case text).
fn find_marker(sql: &str) -> Option<usize> {
    if let Some(at) = sql.rfind(HEX_MARKER) {
        return Some(at);
    }
    let marker = HEX_MARKER.as_bytes();
    sql.as_bytes()
        .windows(marker.len())
        .rposition(|w| w.eq_ignore_ascii_case(marker))
}

/// Looks up keys without regard to case.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).or_else(|| {
            self.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    }

    fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn list(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }
}

/// `selectedCellId=<id>` in a project URL, the key in any case (re-cased query text).
fn cell_from_url(url: &str) -> Option<String> {
    const KEY: &str = "selectedCellId=";
    let query = url.split_once('?')?.1;
    query
        .split(['&', '#'])
        .find_map(|pair| {
            let key = pair.get(..KEY.len())?;
            key.eq_ignore_ascii_case(KEY).then(|| &pair[KEY.len()..])
        })
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

/// `…/hex/<project id>/…` in a project URL.
fn project_from_url(url: &str) -> Option<String> {
    let (_, id) = model::hex::split_project_url(url)?;
    Some(id.to_string()).filter(|id| !id.is_empty())
}

/// The link rules live with the shared vocabulary; sources and pages use the same ones.
pub use model::hex::{cell_url, linkable, project_base};

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://app.hex.tech/acme/hex/1b2c3d4e/draft/logic?selectedCellId=9f8e7d6c";

    fn comment(json: &str) -> String {
        format!("select 1\n-- Hex query metadata: {json}")
    }

    #[test]
    fn reads_the_documented_payload() {
        let sql = comment(&format!(
            r#"{{"categories": ["Finance"], "cell_type": "SQL", "connection": "Prod Snowflake", "context": "SCHEDULED_RUN", "project_id": "1b2c3d4e", "project_name": "Revenue dashboard", "project_url": "{URL}", "status": "Published", "trace_id": "4c1f", "user_email": "ana@acme.com"}}"#
        ));
        let hex = parse_comment(&sql).unwrap().unwrap();
        assert_eq!(hex.project_id, "1b2c3d4e");
        assert_eq!(hex.project_name.as_deref(), Some("Revenue dashboard"));
        assert_eq!(hex.cell_id.as_deref(), Some("9f8e7d6c"));
        assert_eq!(hex.context, RunContext::Scheduled);
        assert_eq!(hex.user_email.as_deref(), Some("ana@acme.com"));
        assert_eq!(hex.connection.as_deref(), Some("Prod Snowflake"));
        assert_eq!(hex.categories, ["Finance"]);
    }

    #[test]
    fn key_order_case_escapes_and_unknown_keys_do_not_matter() {
        let sql = comment(&format!(
            r#"{{"USER_EMAIL": "b@x.io", "new_key": {{"nested": [1]}}, "Project_Name": "Q\"4\" \u2013 from orders", "project_url": "{URL}", "context": "APP_VIEW", "project_id": "p"}}"#
        ));
        let hex = parse_comment(&sql).unwrap().unwrap();
        assert_eq!(hex.project_name.as_deref(), Some("Q\"4\" – from orders"));
        assert_eq!(hex.user_email.as_deref(), Some("b@x.io"));
        assert_eq!(hex.context, RunContext::AppView);
        let upper = sql.to_uppercase();
        assert_eq!(parse_comment(&upper).unwrap().unwrap().project_id, "P");
    }

    #[test]
    fn missing_cell_truncation_and_garbage_are_reported() {
        let no_cell = comment(r#"{"project_id": "p", "context": "LOGIC_VIEW"}"#);
        let hex = parse_comment(&no_cell).unwrap().unwrap();
        assert_eq!(hex.cell_id, None);
        assert_eq!(hex.context, RunContext::Interactive);
        let cut = comment(r#"{"project_id": "p", "project_url": "https://app.hex"#);
        assert_eq!(parse_comment(&cut), Err(CommentError::Truncated));
        assert!(matches!(
            parse_comment(&comment("not json")),
            Err(CommentError::Invalid(_))
        ));
        assert_eq!(
            parse_comment(&comment(r#"{"context": "API"}"#)),
            Err(CommentError::NoProject)
        );
        assert_eq!(parse_comment("select 1 -- a comment"), Ok(None));
    }

    #[test]
    fn split_separates_sql_and_payload() {
        let sql = comment(r#"{"project_id": "p"}"#);
        assert_eq!(split(&sql), Some(("select 1", r#"{"project_id": "p"}"#)));
        assert_eq!(split("select 1"), None);
    }

    #[test]
    fn project_id_falls_back_to_the_url() {
        let hex = parse_comment(&comment(&format!(r#"{{"project_url": "{URL}"}}"#)))
            .unwrap()
            .unwrap();
        assert_eq!(hex.project_id, "1b2c3d4e");
    }

    #[test]
    fn cell_links_point_into_the_logic_view() {
        assert_eq!(
            cell_url(URL, "c1"),
            "https://app.hex.tech/acme/hex/1b2c3d4e/draft/logic?selectedCellId=c1"
        );
        assert_eq!(
            cell_url("https://app.hex.tech/acme/hex/1b2c3d4e/app", "c1"),
            "https://app.hex.tech/acme/hex/1b2c3d4e/draft/logic?selectedCellId=c1"
        );
        assert_eq!(project_base(URL), "https://app.hex.tech/acme/hex/1b2c3d4e");
        assert_eq!(
            project_base("https://app.hex.tech/acme/app/1b2c3d4e/latest"),
            "https://app.hex.tech/acme/hex/1b2c3d4e"
        );
        assert!(linkable(URL) && !linkable("javascript:alert(1)") && !linkable("http://evil"));
    }

    /// Issue 8 (property tests): a workspace called `hex` or `app` was taken for the marker
    /// before the project id.
    #[test]
    fn issue_8_a_workspace_called_hex_is_not_the_project() {
        let url = "https://app.hex.tech/hex/hex/1b2c3d4e/draft/logic?selectedCellId=c1";
        assert_eq!(project_base(url), "https://app.hex.tech/hex/hex/1b2c3d4e");
        assert_eq!(
            project_base("https://app.hex.tech/app/app/1b2c3d4e/latest"),
            "https://app.hex.tech/app/hex/1b2c3d4e"
        );
        let hex = parse_payload(&format!(r#"{{"project_url": "{url}"}}"#)).unwrap();
        assert_eq!(hex.project_id, "1b2c3d4e");
    }

    /// Issue 8 (property tests): upper-cased text cut short after a `\U2013` escape read as
    /// unreadable JSON, not as truncated.
    #[test]
    fn issue_8_re_cased_text_cut_after_an_escape_reads_as_truncated() {
        let sql = comment(r#"{"project_id": "p", "project_name": "Q4 \u2013 rev"#);
        assert_eq!(
            parse_comment(&sql.to_uppercase()),
            Err(CommentError::Truncated)
        );
    }

    /// Issue 8 (property tests): in upper-cased query text the project and cell in the URL
    /// were missed, so a comment naming its project only by URL read as having none.
    #[test]
    fn issue_8_re_cased_urls_still_name_the_project_and_cell() {
        let sql = comment(&format!(r#"{{"project_url": "{URL}"}}"#)).to_uppercase();
        let hex = parse_comment(&sql).unwrap().unwrap();
        assert_eq!(hex.project_id, "1B2C3D4E");
        assert_eq!(hex.cell_id.as_deref(), Some("9F8E7D6C"));
    }
}
