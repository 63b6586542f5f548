-- Table pages look dbt nodes up by relation with COALESCE over database and schema (which
-- may be absent), which the (connection, database, schema, name) index cannot serve: the name
-- alone narrows a connection's nodes to a handful.
CREATE INDEX dbt_nodes_by_name ON dbt_nodes (connection, rel_name);
