//! Hex's own links: one rule for a project's and a cell's URL, and for which URLs from a
//! query comment may be shown as links, shared by the sources that read them and the pages
//! that show them.

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
