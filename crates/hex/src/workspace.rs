//! The workspace URL a user pastes from the browser, and every URL derived from it.

use crate::HexError;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Url;

/// What an id may keep unescaped in a link: the characters Hex ids are made of.
const ID: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// What to tell a user whose URL does not name a workspace.
const PASTE: &str = "paste the workspace URL as shown in the browser, \
                     e.g. https://app.hex.tech/my-workspace/";

/// A Hex workspace: where its API is and how links into it look. Multi-tenant, EU and
/// single-tenant hosts all follow `<scheme>://<host>/<workspace>/...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    api_base: String,
    app_base: String,
    slug: String,
}

impl Workspace {
    /// Reads a workspace URL such as `https://app.hex.tech/my-workspace/`, or any page below
    /// it (`.../home`, a project's `.../hex/<id>/draft/logic`). Without a scheme, `https` is
    /// assumed.
    pub fn parse(url: &str) -> Result<Workspace, HexError> {
        let text = url.trim();
        let invalid = |reason: String| HexError::InvalidWorkspace {
            url: text.to_string(),
            reason,
        };
        let parsed = parse_url(text).map_err(invalid)?;
        let slug = workspace_slug(&parsed).map_err(invalid)?;
        // The origin drops any user name, password and default port the URL carried.
        let origin = parsed.origin().ascii_serialization();
        Ok(Workspace {
            api_base: format!("{origin}/api/v1"),
            app_base: format!("{origin}/{slug}"),
            slug,
        })
    }

    /// The API's base, e.g. `https://app.hex.tech/api/v1`.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The workspace's name in its URLs, e.g. `my-workspace`.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// The workspace's pages, e.g. `https://app.hex.tech/my-workspace`.
    pub fn app_base(&self) -> &str {
        &self.app_base
    }

    /// The project's app: `<app_base>/hex/<project_id>`.
    pub fn project_url(&self, project_id: &str) -> String {
        format!("{}/hex/{}", self.app_base, escaped(project_id))
    }

    /// The cell in the project's logic view:
    /// `<app_base>/hex/<project_id>/draft/logic?selectedCellId=<cell_id>`.
    pub fn cell_url(&self, project_id: &str, cell_id: &str) -> String {
        format!(
            "{}/draft/logic?selectedCellId={}",
            self.project_url(project_id),
            escaped(cell_id)
        )
    }
}

fn parse_url(text: &str) -> Result<Url, String> {
    // People copy `app.hex.tech/acme` from the address bar, which hides the scheme.
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("{e}; {PASTE}"))?;
    match url.scheme() {
        "https" | "http" if url.host().is_some() => Ok(url),
        _ => Err(format!("not an http(s) URL with a host; {PASTE}")),
    }
}

/// The first path segment, which names the workspace on every Hex host.
fn workspace_slug(url: &Url) -> Result<String, String> {
    let first = url
        .path_segments()
        .and_then(|mut segments| segments.next())
        .unwrap_or("");
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    match first {
        "" => Err(format!("it names no workspace; {PASTE}")),
        // The API's own URL is a common paste, and "api" would pass as a workspace.
        "api" => Err(format!(
            "this is the API's URL, not the workspace's; {PASTE}"
        )),
        slug if slug.chars().all(fine) => Ok(slug.to_string()),
        slug => Err(format!("{slug:?} is not a workspace name; {PASTE}")),
    }
}

fn escaped(id: &str) -> String {
    utf8_percent_encode(id, ID).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Workspace {
        Workspace::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn any_page_of_the_workspace_gives_the_same_workspace() {
        let expected = parsed("https://app.hex.tech/my-workspace/");
        assert_eq!(expected.api_base(), "https://app.hex.tech/api/v1");
        assert_eq!(expected.slug(), "my-workspace");
        assert_eq!(expected.app_base(), "https://app.hex.tech/my-workspace");
        for url in [
            "https://app.hex.tech/my-workspace",
            "https://app.hex.tech/my-workspace/home",
            "  https://app.hex.tech/my-workspace/home?tab=projects#top ",
            "https://app.hex.tech/my-workspace/hex/1b2c-3d4e/draft/logic",
            "app.hex.tech/my-workspace/",
        ] {
            assert_eq!(parsed(url), expected, "{url}");
        }
    }

    #[test]
    fn other_hosts_keep_their_scheme_and_port() {
        let eu = parsed("https://eu.hex.tech/acme");
        assert_eq!(eu.api_base(), "https://eu.hex.tech/api/v1");
        assert_eq!(eu.app_base(), "https://eu.hex.tech/acme");
        let single = parsed("https://hex.acme.com/acme/home");
        assert_eq!(single.api_base(), "https://hex.acme.com/api/v1");
        let local = parsed("http://127.0.0.1:8123/acme/");
        assert_eq!(local.api_base(), "http://127.0.0.1:8123/api/v1");
        assert_eq!(local.app_base(), "http://127.0.0.1:8123/acme");
        let default_port = parsed("https://user:pw@app.hex.tech:443/acme");
        assert_eq!(default_port.app_base(), "https://app.hex.tech/acme");
    }

    #[test]
    fn urls_without_a_workspace_say_what_to_paste() {
        for url in [
            "https://app.hex.tech",
            "https://app.hex.tech/",
            "https://app.hex.tech/api/v1",
            "https://app.hex.tech/a%20b/",
            "ftp://app.hex.tech/acme",
            "",
            "https://",
        ] {
            let error = Workspace::parse(url).expect_err(url);
            assert!(matches!(error, HexError::InvalidWorkspace { .. }), "{url}");
            let text = error.to_string();
            assert!(
                text.contains("paste the workspace URL as shown in the browser"),
                "{text}"
            );
        }
    }

    #[test]
    fn links_escape_what_is_not_an_id() {
        let workspace = parsed("https://app.hex.tech/acme");
        assert_eq!(
            workspace.project_url("1b2c-3d4e"),
            "https://app.hex.tech/acme/hex/1b2c-3d4e"
        );
        assert_eq!(
            workspace.cell_url("1b2c", "9f8e_7d"),
            "https://app.hex.tech/acme/hex/1b2c/draft/logic?selectedCellId=9f8e_7d"
        );
        assert_eq!(
            workspace.cell_url("../x", "a&b=c"),
            "https://app.hex.tech/acme/hex/..%2Fx/draft/logic?selectedCellId=a%26b%3Dc"
        );
    }
}
