#!/usr/bin/env bash
# Warehouse introspection at scale against a real PostgreSQL: creates a catalog of
# SCHEMAS x TABLES relations with 10 columns each (default 40 x 500 = 20,000 tables, 200,000
# columns), reads it with `downstream sync`, reads it again, then serves the UI and times the
# pages a person opens (median and p95 of 30 requests each).
#
#   bench/introspect.sh [--no-build] [--schemas N] [--tables N]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=1 SCHEMAS=40 TABLES=500
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-build) BUILD=0; shift ;;
        --schemas) SCHEMAS=$2; shift 2 ;;
        --tables) TABLES=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
if [[ -z "${DOWNSTREAM_TEST_PG_URL:-}" ]]; then
    [[ $BUILD -eq 0 ]] || cargo build --release -q -p downstream-cli
    exec scripts/with-postgres "$0" --no-build --schemas "$SCHEMAS" --tables "$TABLES"
fi
BIN=${DOWNSTREAM_BIN:-$ROOT/target/release/downstream}
PSQL=/usr/lib/postgresql/15/bin/psql
WORK=$(mktemp -d)
SERVER=
trap '[[ -z "$SERVER" ]] || kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT

echo "==> creating $SCHEMAS schemas x $TABLES tables x 10 columns"
start=$(date +%s.%N)
# One transaction per schema: a single one would run out of lock slots.
for s in $(seq "$SCHEMAS"); do
    "$PSQL" "$DOWNSTREAM_TEST_PG_URL" -qX -v ON_ERROR_STOP=1 <<SQL
DO \$\$
BEGIN
  EXECUTE 'CREATE SCHEMA bench_$s';
  FOR t IN 1..$TABLES LOOP
    EXECUTE format('CREATE TABLE bench_$s.table_%s (id bigint, customer_id bigint, amount numeric(12,2), status text, note varchar(200), created_at timestamptz, updated_at timestamptz, is_active boolean, payload jsonb, region char(2))', t);
  END LOOP;
  COMMENT ON TABLE bench_$s.table_1 IS 'The first table of this schema';
END
\$\$;
SQL
done
echo "    $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"

cat > "$WORK/downstream.toml" <<TOML
[store]
location = "bench.sqlite"
[server]
bind = "127.0.0.1:0"
[[connections]]
name = "wh"
kind = "postgres"
database = "postgres"
schema = "public"
[connections.warehouse]
url_env = "DOWNSTREAM_TEST_PG_URL"
TOML
cd "$WORK"
for run in first second; do
    /usr/bin/time -f '%e %M' -o time.txt "$BIN" sync > sync.txt 2>&1 || { cat sync.txt; exit 1; }
    read -r seconds kb < time.txt
    printf '==> %s sync: %s s, peak RSS %s MB\n    %s\n' "$run" "$seconds" "$((kb / 1024))" "$(grep 'warehouse catalog' sync.txt)"
done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve --no-sync --bind "127.0.0.1:$PORT" > serve.txt 2>&1 &
SERVER=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$PORT"
printf '\n%-58s %8s %8s %10s\n' "page" "median" "p95" "bytes"
for path in \
    "/connections/wh" \
    "/connections/wh/schemas/postgres/bench_7" \
    "/connections/wh/tables/postgres/bench_7/table_42" \
    "/search?q=table_42" \
    "/api/connections/wh/schemas" \
    "/api/connections/wh/tree?database=postgres&schema=bench_7" \
    "/api/search?q=table_42"; do
    for _ in $(seq 30); do
        curl -s -o "$WORK/body" -w '%{time_total}\n' "$base$path"
    done | sort -n > "$WORK/times"
    awk -v p="$path" -v bytes="$(wc -c < "$WORK/body")" '
        { t[NR] = $1 }
        END { printf "%-58s %6.1f ms %6.1f ms %10d\n", p, t[int(NR / 2) + 1] * 1000, t[int(NR * 0.95)] * 1000, bytes }' "$WORK/times"
done
