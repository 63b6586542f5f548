//! Integration tests of query-history sources.
