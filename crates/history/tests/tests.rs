//! Integration tests of query-history sources.

mod mock;
mod pg_server;

mod properties;

mod bigquery;
mod databricks;
mod redshift;
mod snowflake;
