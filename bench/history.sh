#!/usr/bin/env bash
# History import benchmark: `downstream history import` of a generated Snowflake query history
# (JSON Lines, ~90% Hex queries) against baselines that only read and JSON-decode the file.
#
# Usage: bench/history.sh [--no-build] [--rows-list "1000000 5000000"] [--shapes "default wide"]
#                         [--seed S] [--end YYYY-MM-DD] [--baseline-only]
#
#   --no-build        use the existing binary (no cargo build)
#   --rows-list "N…"  history sizes to run (default "1000000 5000000")
#   --shapes "S…"     history shapes (bench/gen_history.py --shape): default (~110,000 distinct
#                     (cell, context, user) runs per 1M rows) and wide (app views and notebook
#                     sessions by anyone: ~330,000 per 1M rows); default "default wide"
#   --seed S          generator seed (default 42)
#   --end DATE        last day (exclusive) of the generated history (default: today, UTC)
#   --baseline-only   generate and time the baselines only (no build, no downstream)
#
# For each size N:
#  1. bench/gen_history.py writes $DOWNSTREAM_BENCH_DIR/history-<N>.jsonl (history-1M.jsonl,
#     history-5M.jsonl, …; ~1 KB a row: 1.0 and 5.2 GB). A stamp file next to it holds the generator's
#     sha256, the size, the seed and the end date; the file is regenerated when one changes.
#  2. After `cat FILE > /dev/null` (every command reads from a warm page cache), each command
#     runs once under /usr/bin/time -f '%e %M' (wall seconds, peak RSS):
#       python3: for line in open(FILE): json.loads(line)
#       jq -c . FILE > /dev/null            (if jq is installed; jq 1.6 stops at the first lone
#                                            surrogate escape, the generator writes a few, so it
#                                            falls back to jq -cR 'fromjson?', which skips them)
#       downstream --store <fresh temp sqlite> history import --connection bench --kind snowflake FILE
#       the same again on the same store and file: it must add nothing ("new runs 0")
#     The store is deleted afterwards.
#  3. A table: rows, seconds, rows/s, peak RSS, and downstream / baseline ratios for time and
#     rows/s; targets: >= 100,000 rows/s and peak RSS <= 500 MB (1 MB = 1,048,576 bytes).
#
# Exit status: 0 when every command ran (whether or not the targets are met); 1 when the
# harness failed (build, generator, a command's exit status, no `history import` command);
# 2 on bad usage.
#
# Environment:
#   DOWNSTREAM_BIN        the binary to run (default <repo>/target/release/downstream; when set,
#                         nothing is built)
#   DOWNSTREAM_BENCH_DIR  cache for generated histories (default ~/.cache/downstream/bench)
#   PYTHON                interpreter for the generator and the baseline (default python3)
#   CARGO_TARGET_DIR      cargo's target dir (default <repo>/target)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS_LIST="1000000 5000000"
SHAPES="default wide"
SEED=42
END=""
BUILD=1
OURS=1
TARGET_RATE=100000
TARGET_RSS_MB=500

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-build) BUILD=0; shift ;;
        --rows-list) [[ $# -ge 2 ]] || { echo "--rows-list needs a value" >&2; exit 2; }; ROWS_LIST=$2; shift 2 ;;
        --shapes) [[ $# -ge 2 ]] || { echo "--shapes needs a value" >&2; exit 2; }; SHAPES=$2; shift 2 ;;
        --seed) [[ $# -ge 2 ]] || { echo "--seed needs a value" >&2; exit 2; }; SEED=$2; shift 2 ;;
        --end) [[ $# -ge 2 ]] || { echo "--end needs a value" >&2; exit 2; }; END=$2; shift 2 ;;
        --baseline-only) OURS=0; BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$SEED" =~ ^[0-9]+$ ]] || { echo "--seed must be a non-negative integer" >&2; exit 2; }
read -r -a SIZES <<< "$ROWS_LIST"
[[ ${#SIZES[@]} -gt 0 ]] || { echo "--rows-list is empty" >&2; exit 2; }
for n in "${SIZES[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "--rows-list: not a positive integer: $n" >&2; exit 2; }
done
END=${END:-$(date -u +%F)}
[[ "$END" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || { echo "--end must be YYYY-MM-DD" >&2; exit 2; }

log() { printf '[bench/history] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PYTHON=${PYTHON:-python3}
GEN="$ROOT/bench/gen_history.py"
BENCH_DIR=${DOWNSTREAM_BENCH_DIR:-$HOME/.cache/downstream/bench}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)  # commands run from a temp dir
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
command -v "$PYTHON" >/dev/null || die "no $PYTHON"
[[ -f "$GEN" ]] || die "no generator at $GEN"

# ---------------------------------------------------------------- the binary
BIN=""
if [[ $OURS -eq 1 ]]; then
    if [[ -n "${DOWNSTREAM_BIN:-}" ]]; then
        BIN=$DOWNSTREAM_BIN
        if [[ "$BIN" != */* ]]; then BIN=$(command -v "$BIN" || echo "$BIN")
        elif [[ "$BIN" != /* ]]; then BIN="$PWD/$BIN"; fi
    else
        BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/downstream"
        if [[ $BUILD -eq 1 ]]; then
            log "cargo build --release -p downstream-cli"
            (cd "$ROOT" && cargo build --release -p downstream-cli) || die "cargo build failed"
        fi
    fi
    [[ -x "$BIN" ]] || die "no downstream binary at $BIN (build it, or set DOWNSTREAM_BIN)"
    if ! help_out=$("$BIN" history import --help 2>&1); then
        printf '%s\n' "$help_out" | head -n 5 | sed 's/^/    /' >&2
        die "'$BIN history import --help' failed: the 'history import' command is missing from this binary" \
            "(not implemented or not built yet?). Use --baseline-only to time the generator and baselines alone."
    fi
fi

JQ=""
if command -v jq >/dev/null 2>&1; then JQ=$(command -v jq); else log "jq is not installed: no jq baseline"; fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/downstream-history-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
RESULTS="$TMP/results"  # rows label seconds kb
: > "$RESULTS"
NOTES="$TMP/notes"
: > "$NOTES"

label() { # 1000000 -> 1M, 250000 -> 250k
    local n=$1
    if (( n % 1000000 == 0 )); then echo "$((n / 1000000))M"
    elif (( n % 1000 == 0 )); then echo "$((n / 1000))k"
    else echo "$n"; fi
}

# ---------------------------------------------------------------- 1. histories
GEN_HASH=$(sha256sum "$GEN" | cut -c1-16)
history_file() { # N SHAPE -> path of an up-to-date history with N rows (generated if needed)
    local n=$1 shape=$2 name file stamp want
    name="history-$(label "$n")"
    [[ "$shape" == default ]] || name="$name-$shape"
    file="$BENCH_DIR/$name.jsonl"
    stamp="$file.stamp"
    want="generator=$GEN_HASH rows=$n seed=$SEED end=$END shape=$shape"
    exec 9>"$BENCH_DIR/$name.lock"
    flock 9
    if [[ -s "$file" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        log "reusing $file ($(du -h "$file" | cut -f1))"
    else
        rm -f "$file" "$stamp"
        local avail need
        avail=$(df -Pk "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
        need=$(( n * 13 / 10 ))  # ~1.05 KB a row, in KB, with a margin
        (( avail > need )) || die "not enough space in $BENCH_DIR for $name: ${avail} KB free, ~${need} KB needed"
        log "generating $file ($n rows, seed $SEED, end $END)"
        "$PYTHON" "$GEN" --rows "$n" --seed "$SEED" --end "$END" --shape "$shape" --out "$file" \
            || die "the generator failed for $n rows"
        printf '%s' "$want" > "$stamp"
    fi
    flock -u 9
    exec 9>&-
    HISTORY=$file
}

# ---------------------------------------------------------------- 2. runs
# measure ROWS LABEL cmd...: one run under GNU time, from $TMP/run; output in $TMP/last.{out,err}
measure() {
    local rows=$1 name=$2; shift 2
    local rc=0
    mkdir -p "$TMP/run"
    (cd "$TMP/run" && /usr/bin/time -f '%e %M' -o "$TMP/last.time" "$@" > "$TMP/last.out" 2> "$TMP/last.err") || rc=$?
    if [[ $rc -ne 0 ]]; then
        tail -n 20 "$TMP/last.err" | sed 's/^/    /' >&2
        die "$name failed (exit $rc) on $rows rows: $*"
    fi
    local secs kb
    read -r secs kb < <(tail -n 1 "$TMP/last.time") || die "could not read GNU time output for $name"
    [[ -n "$kb" ]] || die "could not read GNU time output for $name: $(cat "$TMP/last.time")"
    printf '%s\t%s\t%s\t%s\t%s\n' "$rows" "$name" "$secs" "$kb" "$SHAPE" >> "$RESULTS"
    log "$(printf '%-9s %-22s %8.2f s  peak RSS %6d MB' "$(label "$rows")" "$name" "$secs" "$((kb / 1024))")"
}

# the command's summary: the first line that starts with "imported" (after an optional
# "<connection> / <source>: " prefix)
summary_line() { grep -h -m1 -E '(^|: )imported ' "$TMP/last.out" "$TMP/last.err" 2>/dev/null | head -n 1 || true; }

PY_BASELINE='import json, sys
n = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        json.loads(line)
        n += 1
print(n)'

read -r -a SHAPE_LIST <<< "$SHAPES"
for SHAPE in "${SHAPE_LIST[@]}"; do
for n in "${SIZES[@]}"; do
    history_file "$n" "$SHAPE"
    FILE=$HISTORY
    lines=$(wc -l < "$FILE")
    [[ "$lines" -eq "$n" ]] || die "$FILE has $lines lines, expected $n (delete it to regenerate)"
    cat "$FILE" > /dev/null  # warm page cache for every command

    measure "$n" "python json.loads" "$PYTHON" -c "$PY_BASELINE" "$FILE"
    [[ "$(cat "$TMP/last.out")" == "$n" ]] || die "python baseline decoded $(cat "$TMP/last.out") lines, expected $n"

    if [[ -n "$JQ" ]]; then
        rc=0
        (cd "$TMP" && /usr/bin/time -f '%e %M' -o "$TMP/last.time" "$JQ" -c . "$FILE" > /dev/null 2> "$TMP/last.err") || rc=$?
        if [[ $rc -eq 0 ]]; then
            read -r secs kb < <(tail -n 1 "$TMP/last.time")
            printf '%s\t%s\t%s\t%s\t%s\n' "$n" "jq -c ." "$secs" "$kb" "$SHAPE" >> "$RESULTS"
            log "$(printf '%-9s %-22s %8.2f s  peak RSS %6d MB' "$(label "$n")" "jq -c ." "$secs" "$((kb / 1024))")"
        else
            log "jq -c . stopped (exit $rc: $(head -c 200 "$TMP/last.err" | head -n 1)); timing jq -cR 'fromjson?' instead"
            JQ_NOTE="$($JQ --version 2>&1) stops at a lone surrogate escape (\\ud800); the jq rows time jq -cR 'fromjson?', which skips such lines"
            (cd "$TMP" && /usr/bin/time -f '%e %M' -o "$TMP/last.time" "$JQ" -cR 'fromjson?' "$FILE" > /dev/null 2> "$TMP/last.err") \
                || { tail -n 5 "$TMP/last.err" >&2; die "jq -cR 'fromjson?' failed on $FILE"; }
            read -r secs kb < <(tail -n 1 "$TMP/last.time")
            printf '%s\t%s\t%s\t%s\t%s\n' "$n" "jq -cR fromjson?" "$secs" "$kb" "$SHAPE" >> "$RESULTS"
            log "$(printf '%-9s %-22s %8.2f s  peak RSS %6d MB' "$(label "$n")" "jq -cR fromjson?" "$secs" "$((kb / 1024))")"
        fi
    fi

    if [[ $OURS -eq 1 ]]; then
        STORE_DIR=$(mktemp -d "$TMP/store.XXXXXX")
        STORE="$STORE_DIR/history.sqlite"
        IMPORT=("$BIN" --store "$STORE" history import --connection bench --kind snowflake "$FILE")
        measure "$n" "downstream import" "${IMPORT[@]}"
        first=$(summary_line)
        [[ -n "$first" ]] || { tail -n 10 "$TMP/last.out" "$TMP/last.err" >&2; die "no summary line ('imported …') from the first import"; }
        measure "$n" "downstream re-import" "${IMPORT[@]}"
        second=$(summary_line)
        [[ -n "$second" ]] || { tail -n 10 "$TMP/last.out" "$TMP/last.err" >&2; die "no summary line ('imported …') from the second import"; }
        if [[ "$second" == *"new runs 0"* ]]; then verdict="ok: nothing new"; else verdict="UNEXPECTED: it should say 'new runs 0'"; fi
        {
            printf '%s %s first import:  %s\n' "$(label "$n")" "$SHAPE" "$first"
            printf '%s %s second import: %s  (%s)\n' "$(label "$n")" "$SHAPE" "$second" "$verdict"
            printf '%s %s store after both imports: %s\n' "$(label "$n")" "$SHAPE" "$(du -sh "$STORE_DIR" | cut -f1)"
        } >> "$NOTES"
        rm -rf "$STORE_DIR"
    fi
done
done

# ---------------------------------------------------------------- 3. report
PY_VERSION=$("$PYTHON" --version 2>&1)
JQ_VERSION=${JQ:+$("$JQ" --version 2>&1)}
printf '\nHistory import benchmark: seed %s, end %s; %s%s; %s\n' "$SEED" "$END" "$PY_VERSION" \
    "${JQ_VERSION:+, $JQ_VERSION}" "${BIN:-no downstream (--baseline-only)}"
printf 'one run each, warm page cache; targets: >= %s rows/s, peak RSS <= %s MB\n\n' "$TARGET_RATE" "$TARGET_RSS_MB"
awk -F'\t' -v rate_target="$TARGET_RATE" -v rss_target="$TARGET_RSS_MB" '
function fmt_int(x,   s, out) {  # 1234567 -> 1,234,567
    s = sprintf("%d", x); out = ""
    while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
    return s out
}
function ratio(a, b) { return (b > 0) ? sprintf("%.2f", a / b) : "-" }
{
    if ($3 < 0.01) $3 = 0.01  # GNU time resolution
    rows[NR] = $1; name[NR] = $2; secs[NR] = $3; kb[NR] = $4; shape[NR] = $5
    if ($2 == "python json.loads") py[$1, $5] = $3
    if ($2 ~ /^jq/) jq[$1, $5] = $3
}
END {
    printf "%11s  %-8s %-22s %9s %11s %12s %9s %10s %9s %10s  %s\n", "rows", "shape", "command", "seconds", "rows/s", "peak RSS MB",
        "time/py", "rate/py", "time/jq", "rate/jq", "target"
    for (i = 1; i <= NR; i++) {
        r = rows[i]; s = secs[i]
        rate = (s > 0) ? r / s : 0
        mb = kb[i] / 1024
        tp = "-"; rp = "-"; tj = "-"; rj = "-"; target = ""
        if (name[i] ~ /^downstream/) {
            k = r SUBSEP shape[i]
            if (k in py) { tp = ratio(s, py[k]); rp = ratio(py[k], s) }
            if (k in jq) { tj = ratio(s, jq[k]); rj = ratio(jq[k], s) }
            target = (rate >= rate_target && mb <= rss_target) ? "ok" : "MISS"
            if (rate < rate_target) target = target " (rate)"
            if (mb > rss_target) target = target " (memory)"
        }
        printf "%11s  %-8s %-22s %9.2f %11s %12.0f %9s %10s %9s %10s  %s\n", fmt_int(r), shape[i], name[i], s, fmt_int(rate), mb,
            tp, rp, tj, rj, target
    }
    printf "\ntime/x = seconds / baseline seconds (lower is better); rate/x = rows/s / baseline rows/s (higher is better)\n"
}' "$RESULTS"
[[ -z "${JQ_NOTE:-}" ]] || echo "$JQ_NOTE" >> "$NOTES"
if [[ -s "$NOTES" ]]; then
    printf '\n'
    cat "$NOTES"
fi
