-- Connections, sync history and everything a dbt load yields.
-- Timestamps are RFC 3339 UTC text with microseconds, so text order is time order.

CREATE TABLE connections (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    default_database TEXT,
    default_schema TEXT,
    docs_url TEXT,
    dbt_source TEXT,
    access TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE syncs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT,
    warnings TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX syncs_by_connection ON syncs (connection, source, id);

CREATE TABLE dbt_projects (
    connection TEXT PRIMARY KEY,
    project_name TEXT,
    adapter_type TEXT,
    dbt_version TEXT,
    manifest_version INTEGER NOT NULL,
    generated_at TEXT,
    invocation_id TEXT,
    loaded_at TEXT NOT NULL
);

CREATE TABLE dbt_nodes (
    connection TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    source_name TEXT,
    package TEXT NOT NULL,
    description TEXT NOT NULL,
    source_description TEXT NOT NULL,
    rel_database TEXT,
    rel_schema TEXT,
    rel_name TEXT,
    rel_key TEXT,
    materialized TEXT,
    tags TEXT NOT NULL,
    owner TEXT,
    meta TEXT NOT NULL,
    path TEXT NOT NULL,
    fresh_warn_after TEXT,
    fresh_error_after TEXT,
    loaded_at_field TEXT,
    row_count INTEGER,
    PRIMARY KEY (connection, unique_id)
) WITHOUT ROWID;
CREATE INDEX dbt_nodes_by_relation ON dbt_nodes (connection, rel_database, rel_schema, rel_name);

CREATE TABLE dbt_columns (
    connection TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    data_type TEXT,
    documented INTEGER NOT NULL,
    in_warehouse INTEGER,
    PRIMARY KEY (connection, unique_id, ordinal)
) WITHOUT ROWID;

CREATE TABLE dbt_tests (
    connection TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    name TEXT NOT NULL,
    test_type TEXT NOT NULL,
    column_name TEXT,
    severity TEXT NOT NULL,
    PRIMARY KEY (connection, unique_id)
) WITHOUT ROWID;

CREATE TABLE dbt_test_targets (
    connection TEXT NOT NULL,
    test_id TEXT NOT NULL,
    node_id TEXT NOT NULL,
    PRIMARY KEY (connection, test_id, node_id)
) WITHOUT ROWID;
CREATE INDEX dbt_test_targets_by_node ON dbt_test_targets (connection, node_id);

CREATE TABLE dbt_edges (
    connection TEXT NOT NULL,
    parent TEXT NOT NULL,
    child TEXT NOT NULL,
    PRIMARY KEY (connection, parent, child)
) WITHOUT ROWID;
CREATE INDEX dbt_edges_by_child ON dbt_edges (connection, child);

-- Results accumulate across loads: a later docs-generate or partial run never erases them.
CREATE TABLE dbt_runs (
    connection TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    command TEXT NOT NULL,
    status TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    execution_time REAL NOT NULL,
    failures INTEGER,
    message TEXT,
    PRIMARY KEY (connection, unique_id, invocation_id)
);
CREATE INDEX dbt_runs_latest ON dbt_runs (connection, unique_id, completed_at);

CREATE TABLE dbt_freshness (
    connection TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    snapshotted_at TEXT NOT NULL,
    status TEXT NOT NULL,
    max_loaded_at TEXT,
    age_seconds REAL,
    warn_after TEXT,
    error_after TEXT,
    error TEXT,
    PRIMARY KEY (connection, unique_id, snapshotted_at)
);
