//! Secrets from the environment or config, which never show in `Debug` or `Display`.

use std::fmt;

/// A secret from the environment or config: shown as `***` in `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value of environment variable `variable`, trimmed; the error names the variable.
    pub fn from_env(variable: &str) -> Result<Self, Misconfigured> {
        match std::env::var(variable) {
            Ok(value) if !value.trim().is_empty() => Ok(Secret(value.trim().to_string())),
            _ => Err(Misconfigured(format!(
                "${variable} is not set in the environment"
            ))),
        }
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a source cannot work as configured (a secret missing from the environment, say),
/// with what to do: the one shape every source reports it in, at each sync, on its
/// connection's status page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misconfigured(pub String);

impl Misconfigured {
    /// The same problem with a hint after it: `… is not set: create a token and export it`.
    pub fn with_hint(self, hint: &str) -> Self {
        Misconfigured(format!("{}: {hint}", self.0))
    }
}

impl fmt::Display for Misconfigured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Misconfigured {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
