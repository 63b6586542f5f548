#!/usr/bin/env bash
# Pages and API under load: 20,000 tables, 200,000 columns, 2,000 Hex projects, 50 concurrent
# clients; p50/p95/p99/max per route (target: p95 under 50 ms, no errors).
# See crates/server/benches/load.rs.
#
#   bench/load.sh                 SQLite store (the default), our own load generator, per route
#   bench/load.sh --postgres      the same on a throwaway PostgreSQL (scripts/with-postgres)
#   bench/load.sh --oha           oha (installed here on first use) in its own process, the same
#                                 mix of routes drawn at random, 50 connections for 20 s
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
case "${1:-}" in
--postgres)
    exec scripts/with-postgres bash -c 'cargo bench -p downstream-server --bench load -- --store "$DOWNSTREAM_TEST_PG_URL"'
    ;;
--oha) ;;
*) exec cargo bench -p downstream-server --bench load ;;
esac

OHA=target/bench-tools/bin/oha
if [[ ! -x $OHA ]]; then
    echo "installing oha into target/bench-tools (once)" >&2
    cargo install oha --locked --root target/bench-tools
fi
BENCH=$(cargo bench -p downstream-server --bench load --no-run 2>&1 |
    grep -o 'target/release/deps/load-[0-9a-f]*' | tail -1)
LOG=$(mktemp)
"$BENCH" --serve >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -f "$LOG"' EXIT
until grep -q '^serving ' "$LOG"; do
    kill -0 $SERVER 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.5
done
BASE=$(sed -n 's/^serving //p' "$LOG")
# The routes of crates/server/benches/load.rs, each equally likely; numbers in range. oha reads
# `.` as itself (and `\.` as something else), so dots stay bare.
S='s([0-9]|[1-3][0-9])'
T50='t([0-9]|[1-4][0-9])'
T500='t([0-9]|[1-9][0-9]|[1-4][0-9][0-9])'
P='p([0-9]|[1-9][0-9]|[1-9][0-9][0-9]|1[0-9][0-9][0-9])'
ROUTES=(
    ""
    "connections/wh"
    "connections/wh/schemas/analytics/$S"
    "connections/wh/tables/analytics/$S/$T50"
    "connections/wh/tables/analytics/$S/$T500"
    "api/connections/wh/tables/analytics/$S/$T500"
    "api/search\\?q=$T500&limit=20"
    "api/connections/wh/tree\\?database=analytics&schema=$S"
    "hex"
    "hex/projects/$P"
    "lineage\\?node=dbt%3Awh%3Amodel.load.${S}_$T50&up=2&down=2"
    "connections/wh/status"
)
PATTERN="$BASE/($(IFS='|'; echo "${ROUTES[*]}"))"
echo "oha $($OHA --version) against $BASE: 50 connections, 20 s, the 12 routes at random" >&2
"$OHA" --no-tui -z 20s -c 50 --rand-regex-url "$PATTERN"
