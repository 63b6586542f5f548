//! The lineage graph in other tools' formats, as typed values the caller serializes:
//! [`exposures`] for dbt (one per Hex project that reads dbt nodes) and [`openlineage`] run
//! events (one per Hex cell). Pure: a graph in, records out.
#![deny(missing_docs)]

pub mod exposures;
pub mod openlineage;
