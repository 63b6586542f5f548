//! The store's one error type.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The location is not a path, `sqlite:` or `postgres://` URL.
    #[error("store location {0:?} is neither a file path, a sqlite: URL nor a postgres:// URL")]
    BadLocation(String),
    /// Opening or migrating the database failed.
    #[error("cannot open the store at {location}: {source}")]
    Open {
        /// Where (secrets redacted).
        location: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Applying migrations failed.
    #[error("cannot migrate the store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("store query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A connection the caller named is not in the store.
    #[error("no connection named {0:?}")]
    NotFound(String),
    /// Another writer changed what this write was based on; nothing was written.
    #[error("{0}")]
    Conflict(String),
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact_url("postgres://ana:s3cret@db:5432/x"),
            "postgres://ana:***@db:5432/x"
        );
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
