-- Which process runs a sync now. PostgreSQL stores use advisory locks instead; a SQLite file
-- shared by a serve and a CLI sync uses these leases, which expire if their holder dies.
CREATE TABLE sync_leases (
    lease TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
