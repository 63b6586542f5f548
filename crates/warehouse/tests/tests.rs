//! Integration tests of warehouse introspection.
