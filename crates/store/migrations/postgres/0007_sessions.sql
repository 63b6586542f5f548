-- Logins to the UI. Only a hash of each session token is kept, so reading this table does not
-- let anyone sign in; several servers sharing the store share the sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
