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

impl StoreError {
    /// Whether the database itself is out of reach (down, restarting, refusing connections,
    /// its file unreadable) rather than a query being wrong: worth retrying later.
    pub fn is_unavailable(&self) -> bool {
        let (StoreError::Query(e) | StoreError::Open { source: e, .. }) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|c| unavailable_code(&c)),
            _ => false,
        }
    }
}

/// PostgreSQL: connection exceptions (08…), shutdown and cannot-connect-now (57P0…), a
/// database refusing connections (55000) or gone (3D000). SQLite: busy (5), I/O error (10),
/// cannot open (14).
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P0")
        || ["55000", "3D000", "5", "10", "14"].contains(&code)
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
