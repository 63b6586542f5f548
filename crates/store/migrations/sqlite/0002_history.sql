-- Query history: which Hex projects and cells ran which statements, and what those read.

-- Where each history source got to, so a sync never adds the same runs twice.
CREATE TABLE history_checkpoints (
    connection TEXT NOT NULL,
    environment TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, environment)
);

-- One row per statement shape and session defaults: parsed once, ever.
CREATE TABLE query_lineage (
    connection TEXT NOT NULL,
    query_key TEXT NOT NULL,
    sql_text TEXT NOT NULL,
    statement_kind TEXT NOT NULL,
    tables_from TEXT NOT NULL,
    error TEXT,
    first_parsed_at TEXT NOT NULL,
    PRIMARY KEY (connection, query_key)
) WITHOUT ROWID;

CREATE TABLE query_tables (
    connection TEXT NOT NULL,
    query_key TEXT NOT NULL,
    table_key TEXT NOT NULL,
    columns TEXT NOT NULL,
    PRIMARY KEY (connection, query_key, table_key)
) WITHOUT ROWID;
CREATE INDEX query_tables_by_table ON query_tables (connection, table_key);

-- Per connection: what a comment in one warehouse says about a project (anyone who can run
-- SQL there can write one) never renames it in another.
CREATE TABLE hex_projects (
    connection TEXT NOT NULL,
    project_id TEXT NOT NULL,
    name TEXT,
    url TEXT,
    status TEXT,
    categories TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, project_id)
);

-- Runs add up across syncs; first and last seen widen. `run_key` hashes the identifying
-- columns so upserts compare one short key.
CREATE TABLE hex_runs (
    run_key TEXT PRIMARY KEY,
    connection TEXT NOT NULL,
    environment TEXT NOT NULL,
    query_key TEXT NOT NULL,
    project_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    context TEXT NOT NULL,
    user_name TEXT NOT NULL,
    hex_connection TEXT,
    runs INTEGER NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    first_synced_at TEXT NOT NULL,
    last_synced_at TEXT NOT NULL
);
CREATE INDEX hex_runs_by_query ON hex_runs (connection, query_key);
CREATE INDEX hex_runs_by_sync ON hex_runs (connection, last_synced_at, query_key);

-- Which Hex cells read which tables: maintained with the runs, so "new edges" is a count of
-- inserted rows.
CREATE TABLE hex_edges (
    connection TEXT NOT NULL,
    table_key TEXT NOT NULL,
    project_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    PRIMARY KEY (connection, table_key, project_id, cell_id)
);
CREATE INDEX hex_edges_by_project ON hex_edges (project_id, cell_id);
