-- Only the history write used this index, to count new run groups and find the touched
-- cells; it now counts the growth of the connection's range and takes the cells from the
-- batch, and each run written no longer updates a fourth index.
DROP INDEX hex_runs_by_sync;
