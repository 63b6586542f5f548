-- Column lineage of dbt models and snapshots, read from their compiled SQL: each output
-- column and each input column it is computed from. The parent is a relation key, not a
-- node id, because compiled SQL may read tables dbt does not manage.
CREATE TABLE dbt_column_lineage (
    connection TEXT NOT NULL,
    node_id TEXT NOT NULL,
    column_name TEXT NOT NULL,
    parent_key TEXT NOT NULL,
    parent_column TEXT NOT NULL,
    PRIMARY KEY (connection, node_id, column_name, parent_key, parent_column)
) WITHOUT ROWID;
CREATE INDEX dbt_column_lineage_by_parent ON dbt_column_lineage (connection, parent_key, parent_column);

-- The manifest's checksum of each node, so that a later manifest can be compared node by
-- node (downstream impact).
ALTER TABLE dbt_nodes ADD COLUMN checksum TEXT;
