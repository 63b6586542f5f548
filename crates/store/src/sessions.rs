//! Login sessions, by the hash of their token: several `serve` instances behind one address
//! share them, and a read of the table gives no one a session.

use crate::{Store, StoreError};
use sqlx::{Any, Row};

/// Who a session belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The user's name.
    pub user: String,
    /// `viewer` or `admin`.
    pub role: String,
}

impl Store {
    /// Starts a session valid until `expires_at` (RFC 3339).
    pub async fn create_session(
        &self,
        token_hash: &str,
        session: &SessionRecord,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        let now = crate::now();
        sqlx::query::<Any>("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now.clone())
            .execute(&self.pool)
            .await?;
        sqlx::query::<Any>(
            "INSERT INTO sessions (token_hash, user_name, role, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_string())
        .bind(session.user.clone())
        .bind(session.role.clone())
        .bind(now)
        .bind(expires_at.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session with this token hash.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT user_name, role FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_string())
        .bind(crate::now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                user: r.try_get(0)?,
                role: r.try_get(1)?,
            })
        })
        .transpose()
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query::<Any>("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
