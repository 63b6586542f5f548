//! Hex in the store: what the Hex API says (written per workspace), the Hex pages' reads,
//! and which Hex cells use a table.

pub(crate) mod pages;
pub(crate) mod usage;
pub(crate) mod write;
