//! Integration tests of query-history sources.

mod mock;
mod pg_server;

mod bigquery;
mod databricks;
mod redshift;
mod snowflake;
