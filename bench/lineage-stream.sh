#!/usr/bin/env bash
# Streaming check for `downstream lineage sql --jsonl`: feeds the corpus repeated 1x, 10x and
# 100x through every core and prints throughput and peak memory. Memory must stay flat as the
# input grows (the batch reader runs a bounded number of chunks ahead of the writer).
#
#   bench/lineage-stream.sh [--no-build]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[[ "${1:-}" == "--no-build" ]] || cargo build --release -q -p downstream-cli
BIN=${DOWNSTREAM_BIN:-$ROOT/target/release/downstream}
CORPUS=crates/sql/corpus/corpus.jsonl
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

printf '%-8s %10s %10s %12s %12s\n' copies lines seconds "lines/s" "peak RSS"
for copies in 1 10 100; do
    for _ in $(seq "$copies"); do cat "$CORPUS"; done > "$TMP/in.jsonl"
    lines=$(wc -l < "$TMP/in.jsonl")
    /usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" lineage sql --jsonl "$TMP/in.jsonl" > /dev/null
    read -r seconds kb < "$TMP/time"
    rate=$(awk -v l="$lines" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? l / s : 0) }')
    printf '%-8s %10s %10s %12s %9s MB\n' "${copies}x" "$lines" "$seconds" "$rate" "$((kb / 1024))"
done
