//! `[auth]`: users, API tokens and a trusted proxy header for a shared deployment.

use anyhow::{bail, Context, Result};
use model::Secret;
use serde::Deserialize;
use server::auth::{Auth, Credential, Role};

/// Logins last this long unless configured.
const SESSION_HOURS: u32 = 12;

/// `[auth]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    session_hours: Option<u32>,
    #[serde(default)]
    secure_cookie: bool,
    trusted_header: Option<String>,
    #[serde(default)]
    admins: Vec<String>,
    #[serde(default)]
    users: Vec<RawCredential>,
    #[serde(default)]
    tokens: Vec<RawCredential>,
}

/// `[[auth.users]]` or `[[auth.tokens]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    name: String,
    role: Option<String>,
    password_env: Option<String>,
    token_env: Option<String>,
}

/// Resolves `[auth]`; every secret must be in the environment, since a user without a
/// password must not quietly lock everyone out (or in).
pub fn resolve(raw: RawAuth) -> Result<Auth> {
    let users = raw
        .users
        .iter()
        .map(|u| credential(u, "users", u.password_env.as_deref(), "password_env"))
        .collect::<Result<Vec<_>>>()?;
    let tokens = raw
        .tokens
        .iter()
        .map(|t| credential(t, "tokens", t.token_env.as_deref(), "token_env"))
        .collect::<Result<Vec<_>>>()?;
    if users.is_empty() && tokens.is_empty() && raw.trusted_header.is_none() {
        bail!(
            "[auth] has no [[auth.users]], [[auth.tokens]] or trusted_header: nobody could get in"
        );
    }
    Ok(Auth {
        users,
        tokens,
        trusted_header: raw.trusted_header,
        header_admins: raw.admins,
        secure_cookie: raw.secure_cookie,
        session_hours: raw.session_hours.unwrap_or(SESSION_HOURS),
    })
}

fn credential(
    raw: &RawCredential,
    list: &str,
    variable: Option<&str>,
    field: &str,
) -> Result<Credential> {
    let role = match raw.role.as_deref() {
        None => Role::Viewer,
        Some(r) => Role::parse(r).with_context(|| {
            format!(
                "[[auth.{list}]] {:?}: role = {r:?}: use \"viewer\" or \"admin\"",
                raw.name
            )
        })?,
    };
    let Some(variable) = variable else {
        bail!(
            "[[auth.{list}]] {:?}: {field} names the variable holding its secret",
            raw.name
        );
    };
    let secret = match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Secret::new(value),
        _ => bail!(
            "[[auth.{list}]] {:?}: ${variable} is not set in the environment",
            raw.name
        ),
    };
    Ok(Credential {
        name: raw.name.clone(),
        role,
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_environment_with_their_roles() {
        std::env::set_var("DOWNSTREAM_TEST_AUTH_PW", "s3cret");
        let raw: RawAuth = toml::from_str(
            "[[users]]\nname = \"ana\"\nrole = \"admin\"\npassword_env = \"DOWNSTREAM_TEST_AUTH_PW\"",
        )
        .unwrap();
        let auth = resolve(raw).unwrap();
        assert_eq!(auth.users[0].role, Role::Admin);
        assert_eq!(auth.users[0].secret.expose(), "s3cret");
        assert!(
            !format!("{auth:?}").contains("s3cret"),
            "Debug hides secrets"
        );
        assert_eq!(auth.session_hours, 12);
    }

    #[test]
    fn mistakes_name_the_entry_and_what_to_do() {
        let missing: RawAuth =
            toml::from_str("[[tokens]]\nname = \"ci\"\ntoken_env = \"DOWNSTREAM_TEST_UNSET\"")
                .unwrap();
        let e = resolve(missing).unwrap_err().to_string();
        assert!(
            e.contains("\"ci\": $DOWNSTREAM_TEST_UNSET is not set"),
            "{e}"
        );
        let role: RawAuth =
            toml::from_str("[[tokens]]\nname = \"ci\"\nrole = \"root\"\ntoken_env = \"X\"")
                .unwrap();
        assert!(format!("{:#}", resolve(role).unwrap_err()).contains("use \"viewer\" or \"admin\""));
        let empty: RawAuth = toml::from_str("secure_cookie = true").unwrap();
        assert!(resolve(empty)
            .unwrap_err()
            .to_string()
            .contains("nobody could get in"));
    }
}
