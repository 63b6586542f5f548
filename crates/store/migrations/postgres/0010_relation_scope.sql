-- A schema's tree and a table page match dbt nodes on COALESCE(database, '') and
-- COALESCE(schema, ''), as they are stored absent for some warehouses; an index on those very
-- expressions serves both without scanning the connection's nodes.
CREATE INDEX dbt_nodes_by_scope
    ON dbt_nodes (connection, (COALESCE(rel_database, '')), (COALESCE(rel_schema, '')), rel_name);
