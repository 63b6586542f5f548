//! dbt metadata in the store: the write of a whole load, the synced project as impact
//! analysis reads it, and the dbt Cloud run a connection's data came from.

pub(crate) mod cloud;
pub(crate) mod state;
pub(crate) mod write;
