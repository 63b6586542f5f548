-- The warehouse as introspection found it: every schema, relation and column a connection
-- can see, whether dbt manages it or not.

CREATE TABLE warehouse_schemas (
    connection TEXT NOT NULL,
    database_name TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    changed_at TEXT,
    synced_at TEXT NOT NULL,
    PRIMARY KEY (connection, database_name, schema_name)
);

CREATE TABLE warehouse_relations (
    connection TEXT NOT NULL,
    database_name TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    name TEXT NOT NULL,
    rel_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    comment TEXT,
    row_estimate INTEGER,
    column_count INTEGER NOT NULL,
    PRIMARY KEY (connection, database_name, schema_name, name)
);
CREATE INDEX warehouse_relations_by_key ON warehouse_relations (connection, rel_key);

CREATE TABLE warehouse_columns (
    connection TEXT NOT NULL,
    rel_key TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    name TEXT NOT NULL,
    data_type TEXT NOT NULL,
    comment TEXT,
    PRIMARY KEY (connection, rel_key, ordinal)
);

-- Matching warehouse relations to dbt nodes (tree merge, search).
CREATE INDEX dbt_nodes_by_key ON dbt_nodes (connection, rel_key);
