//! Hex workspaces in `downstream sync`: one line per workspace.

use crate::hex_config::HexSource;
use std::process::ExitCode;
use store::Store;

/// Syncs every workspace; exit 1 if any failed (the others still run).
pub async fn run_all(store: &Store, sources: &[HexSource]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for source in sources {
        let name = &source.target.workspace;
        match sync::sync_hex(store, &source.target).await {
            Ok(s) => println!(
                "Hex {name}: {} projects ({} read, the rest unchanged), {} cells, {} SQL cells ({} did not parse), {} table reads from SQL; {}/{} data connections matched; queriedTables: {}; {:.2} s",
                s.projects,
                s.projects_read,
                s.cells,
                s.sql_cells,
                s.parse_failed,
                s.sql_edges,
                s.matched_connections,
                s.data_connections,
                s.queried_tables,
                s.seconds
            ),
            Err(e) => {
                code = ExitCode::from(1);
                eprintln!("Hex {name}: sync failed, keeping the last good data: {e}");
            }
        }
    }
    code
}
