//! The example project's artifacts, written by dbt Core by scripts/gen-demo-artifacts.
