-- Live integrations: what dbt Cloud and the Hex API say, beside what query history observed.

-- The dbt Cloud run whose artifacts are loaded, so an unchanged run is not downloaded again.
CREATE TABLE dbt_cloud_runs (
    connection TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    sources_run_id TEXT,
    job_id TEXT NOT NULL,
    job_name TEXT NOT NULL,
    finished_at TEXT,
    docs_url TEXT NOT NULL,
    explorer_url TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);

-- One row per configured Hex workspace; `queried_tables` is NULL until known, then
-- 'available' or the reason it is not (a 403 on a plan without the feature).
CREATE TABLE hex_workspaces (
    workspace TEXT PRIMARY KEY,
    app_base TEXT NOT NULL,
    queried_tables TEXT,
    synced_at TEXT NOT NULL
);

CREATE TABLE hex_api_projects (
    workspace TEXT NOT NULL,
    project_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    kind TEXT NOT NULL,
    status TEXT,
    categories TEXT NOT NULL,
    owner_email TEXT,
    creator_email TEXT,
    app_views_all_time BIGINT,
    app_views_30d BIGINT,
    last_viewed_at TEXT,
    last_edited_at TEXT,
    last_published_at TEXT,
    created_at TEXT,
    archived_at TEXT,
    trashed_at TEXT,
    url TEXT NOT NULL,
    -- The project's lastEditedAt when its cells were last read: cells are read again only
    -- after an edit, which keeps a sync inside Hex's 30 requests a minute.
    cells_read_at_edit TEXT,
    PRIMARY KEY (workspace, project_id)
);
CREATE INDEX hex_api_projects_by_id ON hex_api_projects (project_id);

CREATE TABLE hex_data_connections (
    workspace TEXT NOT NULL,
    hex_connection_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    host TEXT,
    database_name TEXT,
    connection TEXT,
    matched_by TEXT NOT NULL,
    PRIMARY KEY (workspace, hex_connection_id)
);

CREATE TABLE hex_cells (
    workspace TEXT NOT NULL,
    project_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    cell_type TEXT NOT NULL,
    label TEXT,
    hex_connection_id TEXT,
    connection TEXT,
    sql_text TEXT,
    parse_error TEXT,
    PRIMARY KEY (workspace, project_id, cell_id)
);

-- Tables a project's SQL cells read, whether or not query history saw them run.
CREATE TABLE hex_cell_tables (
    connection TEXT NOT NULL,
    table_key TEXT NOT NULL,
    project_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    columns TEXT NOT NULL,
    PRIMARY KEY (connection, table_key, project_id, cell_id)
);
CREATE INDEX hex_cell_tables_by_project ON hex_cell_tables (project_id);

-- Tables Hex itself says a project queried (Enterprise plans).
CREATE TABLE hex_queried_tables (
    connection TEXT NOT NULL,
    table_key TEXT NOT NULL,
    project_id TEXT NOT NULL,
    PRIMARY KEY (connection, table_key, project_id)
);
CREATE INDEX hex_queried_tables_by_project ON hex_queried_tables (project_id);
