-- The Hex pages read one project's runs, cells and comments by project id; without these,
-- every project page would scan all of hex_runs, hex_cells and hex_projects.
CREATE INDEX hex_runs_by_project ON hex_runs (project_id, cell_id);
CREATE INDEX hex_cells_by_project ON hex_cells (project_id, cell_id);
CREATE INDEX hex_projects_by_id ON hex_projects (project_id);
