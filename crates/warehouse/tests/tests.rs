//! Integration tests of warehouse introspection.

mod mock;

mod bigquery;
mod databricks;
mod snowflake;
