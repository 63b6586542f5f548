-- A Hex cell's staticId stays the same across the project's versions, where its id does not;
-- query comments may name a cell by either, so both are kept and runs meet the cell by the
-- one they carry.
ALTER TABLE hex_cells ADD COLUMN static_id TEXT;
-- queriedTables is filled from published runs, so it changes without edits: when it was last
-- read, to read it again on a schedule.
ALTER TABLE hex_api_projects ADD COLUMN queried_read_at TEXT;
