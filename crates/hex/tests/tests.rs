//! The Hex client against a local server that answers in the documented shapes.

mod mock;

mod cells;
mod data_connections;
mod errors;
mod limits;
mod projects;
mod queried_tables;
