#!/usr/bin/env bash
# Pages and API under load: 20,000 tables, 200,000 columns, 2,000 Hex projects, 50 concurrent
# clients for 20 s; p50/p95/p99/max per route (target: p95 under 50 ms, no errors).
# See crates/server/benches/load.rs.
#
#   bench/load.sh                 SQLite store (the default)
#   bench/load.sh --postgres      the same on a throwaway PostgreSQL (scripts/with-postgres)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [[ "${1:-}" == "--postgres" ]]; then
    exec scripts/with-postgres bash -c 'cargo bench -p downstream-server --bench load -- --store "$DOWNSTREAM_TEST_PG_URL"'
fi
cargo bench -p downstream-server --bench load
