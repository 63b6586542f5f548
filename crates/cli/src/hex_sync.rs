//! Hex workspaces in `downstream sync`: one line per workspace.

use crate::hex_config::HexSource;
use std::process::ExitCode;
use store::Store;
use sync::HexTarget;

/// Syncs every workspace; exit 1 if any failed (the others still run).
pub async fn run_all(store: &Store, sources: &[HexSource]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for source in sources {
        if run_target(store, &source.target).await != ExitCode::SUCCESS {
            code = ExitCode::from(1);
        }
    }
    code
}

/// Syncs one workspace, printing one line; exit 1 if it failed.
pub async fn run_target(store: &Store, target: &HexTarget) -> ExitCode {
    let name = &target.workspace;
    match sync::sync_hex(store, target).await {
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
            eprintln!("Hex {name}: sync failed, keeping the last good data: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
