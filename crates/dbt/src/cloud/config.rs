//! What the client needs to reach one dbt Cloud project, checked before anything is sent.

use super::CloudError;
use model::Secret;
use rest::HttpOptions;

/// How to reach one dbt Cloud project.
#[derive(Clone, Debug)]
pub struct CloudConfig {
    /// The account's access URL: `https://cloud.getdbt.com`, `https://emea.dbt.com`,
    /// `https://au.dbt.com` or a cell host like `https://ab123.us1.dbt.com` (Account settings
    /// → Access URLs). A trailing `/` is fine.
    pub access_url: String,
    /// The account id (`…/deploy/<account_id>/…` in dbt Cloud URLs).
    pub account_id: u64,
    /// The project id (`…/projects/<project_id>/…`).
    pub project_id: u64,
    /// A service token with the Metadata Only and Job Admin permissions.
    pub token: Secret,
    /// The job whose runs hold the docs, when the project's own choice (`docs_job_id`) or the
    /// jobs that generate docs should not decide.
    pub job_id: Option<u64>,
    /// Time limits and retries of each call.
    pub http: HttpOptions,
}

impl CloudConfig {
    /// A config with the default HTTP options and no pinned job.
    pub fn new(
        access_url: impl Into<String>,
        account_id: u64,
        project_id: u64,
        token: Secret,
    ) -> Self {
        CloudConfig {
            access_url: access_url.into(),
            account_id,
            project_id,
            token,
            job_id: None,
            // A download is an artifact: the same limit as reading one from disk.
            http: HttpOptions {
                max_download_bytes: crate::max_artifact_bytes(),
                ..HttpOptions::default()
            },
        }
    }

    /// Checks every field; the result is the access URL without a trailing `/`.
    pub(crate) fn checked_base(&self) -> Result<String, CloudError> {
        for (field, id) in [
            ("account_id", self.account_id),
            ("project_id", self.project_id),
        ] {
            if id == 0 {
                return Err(config(field, "must be the id dbt Cloud shows, not 0"));
            }
        }
        check_token(&self.token)?;
        access_base(&self.access_url)
    }
}

fn config(field: &'static str, message: impl Into<String>) -> CloudError {
    CloudError::Config {
        field,
        message: message.into(),
    }
}

/// The token goes into a header: a stray newline from a copied secret would break the request.
/// The message never shows the token.
fn check_token(token: &Secret) -> Result<(), CloudError> {
    let value = token.expose();
    if value.trim().is_empty() {
        return Err(config(
            "token",
            "is empty: create a service token with the Metadata Only and Job Admin permissions",
        ));
    }
    if !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err(config(
            "token",
            "holds spaces or control characters: copy the service token again",
        ));
    }
    Ok(())
}

/// `scheme://host[:port]` without a trailing `/`. Plain `http` is allowed only to this
/// machine (the tests' mock server): anywhere else the token would cross the network in clear.
fn access_base(url: &str) -> Result<String, CloudError> {
    const EXAMPLE: &str = "use the access URL from Account settings, e.g. https://cloud.getdbt.com, https://emea.dbt.com or https://ab123.us1.dbt.com";
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, authority) = trimmed
        .split_once("://")
        .ok_or_else(|| config("access_url", format!("{url:?} is not a URL: {EXAMPLE}")))?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    if !host_ok || !port_ok {
        return Err(config(
            "access_url",
            format!("{url:?} is not a bare host URL (no path, query or user): {EXAMPLE}"),
        ));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(format!("https://{}", authority.to_ascii_lowercase())),
        "http" if is_loopback(host) => Ok(format!("http://{}", authority.to_ascii_lowercase())),
        "http" => Err(config(
            "access_url",
            format!("{url:?} uses http: dbt Cloud needs https, or the token would travel in clear"),
        )),
        _ => Err(config(
            "access_url",
            format!("{url:?} is not an http(s) URL: {EXAMPLE}"),
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let octets: Vec<&str> = host.split('.').collect();
    let ipv4 = octets.len() == 4 && octets.iter().all(|o| o.parse::<u8>().is_ok());
    host.eq_ignore_ascii_case("localhost") || ipv4 && octets[0] == "127"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_host_is_accepted() {
        for (given, base) in [
            ("https://cloud.getdbt.com", "https://cloud.getdbt.com"),
            ("https://cloud.getdbt.com/", "https://cloud.getdbt.com"),
            ("https://emea.dbt.com", "https://emea.dbt.com"),
            ("https://au.dbt.com/", "https://au.dbt.com"),
            ("https://ab123.us1.dbt.com", "https://ab123.us1.dbt.com"),
            (" HTTPS://AB123.us1.dbt.com/ ", "https://ab123.us1.dbt.com"),
            ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
            ("http://localhost:9000/", "http://localhost:9000"),
        ] {
            assert_eq!(access_base(given).unwrap(), base, "{given}");
        }
    }

    #[test]
    fn anything_else_is_a_config_error() {
        for given in [
            "",
            "cloud.getdbt.com",
            "https://",
            "https://cloud.getdbt.com/deploy/1/projects/2",
            "https://cloud.getdbt.com?x=1",
            "https://user@cloud.getdbt.com",
            "https://cloud.getdbt.com:http",
            "http://cloud.getdbt.com",
            "http://127.evil.example.com",
            "ftp://cloud.getdbt.com",
            "https://cloud..getdbt.com",
        ] {
            let error = access_base(given).unwrap_err();
            assert!(
                matches!(
                    error,
                    CloudError::Config {
                        field: "access_url",
                        ..
                    }
                ),
                "{given}: {error}"
            );
        }
    }

    #[test]
    fn ids_and_token_are_checked_without_showing_the_token() {
        let mut config =
            CloudConfig::new("https://cloud.getdbt.com", 1, 2, Secret::new("dbtc_abc"));
        assert_eq!(config.checked_base().unwrap(), "https://cloud.getdbt.com");
        config.project_id = 0;
        assert!(config
            .checked_base()
            .unwrap_err()
            .to_string()
            .contains("project_id"));
        config.project_id = 2;
        config.token = Secret::new("dbtc_abc\n");
        let text = config.checked_base().unwrap_err().to_string();
        assert!(
            text.contains("token") && !text.contains("dbtc_abc"),
            "{text}"
        );
    }
}
