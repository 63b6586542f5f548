#!/usr/bin/env bash
# Ingest benchmark: `downstream sync` (parse + store a dbt manifest) against Python's bare
# `json.load` of the same file.
#
# Usage: bench/ingest.sh [--models N] [--seed S] [--runs K] [--manifest PATH] [--no-build] [--python-only]
#
#   --models N       models in the generated project (default 5000)
#   --seed S         generator seed (default 42)
#   --runs K         runs of each command; the median wall time is reported (default 3)
#   --manifest PATH  benchmark this manifest.json instead of the generated one
#   --no-build       use the existing target/release/downstream (no cargo build)
#   --python-only    time only python json.load (to check the script without the CLI)
#
# Steps:
#  1. bench/gen_large_project.py writes the project (5,000 models, 200 sources, ~25k tests)
#     into $DOWNSTREAM_BENCH_DIR/<key>/project and real `dbt parse` (dbt-core 1.11,
#     dbt-postgres profile with a dummy host: parse does not connect) produces
#     <key>/manifest.json. <key> holds the model count, the seed, a hash of the generator
#     and the dbt minor, so the manifest is reused until one of them changes (dbt parse of
#     5,000 models takes a few minutes).
#  2. cargo build --release -p downstream-cli.
#  3. K runs of each, interleaved, under /usr/bin/time -v (wall time, maximum RSS):
#       downstream sync --config <tmp>/downstream.toml   (store deleted before each run: cold, full ingest)
#       python3 -c "import json; json.load(open(PATH))"
#  4. Table: file size, median wall time and peak RSS (max over runs) of both, the ratios,
#     and PASS/FAIL against the targets: ours faster than json.load, our peak RSS < 3x the file.
#
# Exit status: 0 when both targets pass, 1 when one fails (or on error).
#
# Environment:
#   DOWNSTREAM_BENCH_DIR  cache for generated projects and manifests (default ~/.cache/downstream/bench)
#   DOWNSTREAM_VENV_DIR   venv cache root (default ~/.cache/downstream/venvs); venv dbt-1.11, shared
#                         with scripts/gen-demo-artifacts
#   PYTHON                interpreter for the generator, the venv and the json.load baseline (default python3)
#   CARGO_TARGET_DIR      cargo's target dir (default <repo>/target)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODELS=5000
SEED=42
RUNS=3
MANIFEST=""
BUILD=1
OURS=1
DBT_VERSION=1.11
MAX_RSS_RATIO=3

while [[ $# -gt 0 ]]; do
    case "$1" in
        --models) MODELS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --manifest) MANIFEST=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --python-only) OURS=0; BUILD=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[[ "$MODELS" =~ ^[1-9][0-9]*$ && "$SEED" =~ ^[0-9]+$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] \
    || { echo "--models and --runs must be positive integers, --seed an integer" >&2; exit 2; }

log() { printf '[bench/ingest] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

export DO_NOT_TRACK=1
unset DOWNSTREAM_STORE  # would override [store].location and defeat the cold-store runs
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
PYTHON=${PYTHON:-python3}
BENCH_DIR=${DOWNSTREAM_BENCH_DIR:-$HOME/.cache/downstream/bench}

# ---------------------------------------------------------------- /usr/bin/time
if [[ ! -x /usr/bin/time ]]; then
    log "/usr/bin/time is missing: installing the 'time' package"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO=sudo
    $SUDO apt-get install -y -qq time >/dev/null 2>&1 \
        || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time; } \
        || die "could not install 'time' (GNU time is needed for the peak RSS)"
fi

# ---------------------------------------------------------------- 1. manifest
if [[ -n "$MANIFEST" ]]; then
    [[ -s "$MANIFEST" ]] || die "no such manifest: $MANIFEST"
    MANIFEST=$(cd "$(dirname "$MANIFEST")" && pwd)/$(basename "$MANIFEST")
    log "using the given manifest $MANIFEST"
else
    GEN="$ROOT/bench/gen_large_project.py"
    GEN_HASH=$(sha256sum "$GEN" | cut -c1-12)
    CASE="$BENCH_DIR/n$MODELS-s$SEED-g$GEN_HASH-dbt$DBT_VERSION"
    PROJECT="$CASE/project"
    MANIFEST="$CASE/manifest.json"
    if [[ -s "$MANIFEST" ]]; then
        log "reusing the cached manifest $MANIFEST (delete $CASE to regenerate)"
    else
        mkdir -p "$CASE"
        exec 9>"$CASE/.lock"
        flock 9
        if [[ -s "$MANIFEST" ]]; then
            log "reusing the manifest another run just produced: $MANIFEST"
        else
            # venv: same location and requirements as scripts/gen-demo-artifacts
            VENV_ROOT=${DOWNSTREAM_VENV_DIR:-$HOME/.cache/downstream/venvs}
            VENV="$VENV_ROOT/dbt-$DBT_VERSION"
            REQS="dbt-core==$DBT_VERSION.* dbt-postgres==$DBT_VERSION.*"
            venv_ok() {
                [[ -x "$VENV/bin/dbt" ]] && "$VENV/bin/python" - "$DBT_VERSION" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
minor = sys.argv[1] + "."
sys.exit(0 if version("dbt-core").startswith(minor) and version("dbt-postgres").startswith(minor) else 1)
PY
            }
            if venv_ok; then
                log "reusing venv $VENV"
            else
                log "creating venv $VENV with: $REQS"
                rm -rf "$VENV"
                mkdir -p "$VENV_ROOT"
                "$PYTHON" -m venv "$VENV"
                # shellcheck disable=SC2086  # word splitting of the requirement list is intended
                "$VENV/bin/pip" install --disable-pip-version-check -q $REQS
                printf '%s' "$REQS" > "$VENV/.downstream-reqs"
            fi

            log "generating $MODELS models (seed $SEED) into $PROJECT"
            t0=$(date +%s.%N)
            "$PYTHON" "$GEN" "$PROJECT" --models "$MODELS" --seed "$SEED" --force
            t1=$(date +%s.%N)
            GEN_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

            log "dbt parse (a few minutes for 5,000 models; log: $CASE/parse.log)"
            rc=0
            (cd "$PROJECT" && "$VENV/bin/dbt" --no-use-colors parse --profiles-dir "$PROJECT" --no-partial-parse) \
                > "$CASE/parse.log" 2>&1 || rc=$?
            t2=$(date +%s.%N)
            PARSE_SECS=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
            if [[ $rc -ne 0 || ! -s "$PROJECT/target/manifest.json" ]]; then
                tail -n 30 "$CASE/parse.log" >&2
                die "dbt parse failed (exit $rc)"
            fi
            mv "$PROJECT/target/manifest.json" "$MANIFEST.tmp"
            mv "$MANIFEST.tmp" "$MANIFEST"
            rm -f "$PROJECT/target/partial_parse.msgpack"
            DBT_FULL=$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("dbt-core"))')
            printf 'dbt-core %s\ngenerator %ss\ndbt parse %ss\n' "$DBT_FULL" "$GEN_SECS" "$PARSE_SECS" > "$CASE/timings.txt"
            log "generator ${GEN_SECS}s, dbt parse ${PARSE_SECS}s (dbt-core $DBT_FULL)"
        fi
        flock -u 9
    fi
fi

"$PYTHON" - "$MANIFEST" <<'PY' >&2
import json, os, sys
from collections import Counter
p = sys.argv[1]
m = json.load(open(p))
kinds = Counter(n["resource_type"] for n in m["nodes"].values())
for key in ("sources", "macros", "docs", "exposures", "metrics", "semantic_models", "unit_tests"):
    if m.get(key):
        kinds[key.rstrip("s")] += len(m[key])
print(f"[bench/ingest] manifest {os.path.getsize(p) / 1e6:.1f} MB, "
      f"{m['metadata'].get('dbt_schema_version', '?').rsplit('/', 1)[-1]}, dbt {m['metadata'].get('dbt_version')}: "
      + ", ".join(f"{v} {k}" for k, v in kinds.most_common()))
PY

# ---------------------------------------------------------------- 2. build
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/downstream"
if [[ $BUILD -eq 1 ]]; then
    log "cargo build --release -p downstream-cli"
    (cd "$ROOT" && cargo build --release -p downstream-cli) || die "cargo build failed"
fi
if [[ $OURS -eq 1 ]]; then
    [[ -x "$BIN" ]] || die "no binary at $BIN"
    "$BIN" sync --help >/dev/null 2>&1 || die "$BIN has no working 'sync' command"
fi

# ---------------------------------------------------------------- 3. runs
TMP=$(mktemp -d /tmp/downstream-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
DB="$TMP/bench.sqlite"
CONFIG="$TMP/downstream.toml"
toml_str() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
cat > "$CONFIG" <<TOML
[store]
location = $(toml_str "$DB")

[[connections]]
name = "bench"
kind = "postgres"
database = "bench"
schema = "public"

[connections.dbt]
manifest = $(toml_str "$MANIFEST")
TOML

# measure NAME cmd...: run under GNU time; appends "wall_seconds max_rss_kb" to $TMP/NAME.times
measure() {
    local name=$1; shift
    local n=0
    [[ -f "$TMP/$name.times" ]] && n=$(wc -l < "$TMP/$name.times")
    local out="$TMP/$name.$((n + 1)).out" tv="$TMP/$name.$((n + 1)).time" rc=0
    /usr/bin/time -v -o "$tv" "$@" > "$out" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        tail -n 30 "$out" >&2
        die "$name run $((n + 1)) failed (exit $rc): $*"
    fi
    awk -F': ' '
        /Elapsed \(wall clock\) time/ {
            k = split($NF, p, ":"); s = 0
            for (i = 1; i <= k; i++) s = s * 60 + p[i]
            wall = s
        }
        /Maximum resident set size/ { rss = $NF }
        END {
            if (wall == "" || rss == "") exit 1
            printf "%.3f %d\n", wall, rss
        }' "$tv" >> "$TMP/$name.times" || die "could not read GNU time output: $tv"
    log "$(tail -n 1 "$TMP/$name.times" | awk -v name="$name" -v i="$((n + 1))" \
        '{ printf "%-7s run %d: %6.2f s, peak RSS %7.1f MB", name, i, $1, $2 * 1024 / 1e6 }')"
}

cat "$MANIFEST" > /dev/null  # same warm page cache for both
PY_PATH=$("$PYTHON" -c 'import sys; print(repr(sys.argv[1]))' "$MANIFEST")  # a Python string literal
PY_CMD=("$PYTHON" -c "import json; json.load(open($PY_PATH))")
log "$RUNS runs each, interleaved; python: $("$PYTHON" --version 2>&1)"
for ((i = 1; i <= RUNS; i++)); do
    if [[ $OURS -eq 1 ]]; then
        rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"
        measure ours "$BIN" sync --config "$CONFIG"
        if [[ $i -eq 1 ]]; then
            log "downstream sync output (run 1):"
            head -n 20 "$TMP/ours.1.out" | sed 's/^/    /' >&2
            [[ -f "$DB" ]] && log "store after run 1: $(du -h "$DB" | cut -f1)"
        fi
    fi
    measure python "${PY_CMD[@]}"
done

# ---------------------------------------------------------------- 4. report
SIZE=$(stat -c %s "$MANIFEST")
summary() { # summary NAME -> "median_wall max_rss_kb"
    sort -n -k1,1 "$TMP/$1.times" | awk '{ w[NR] = $1; if ($2 > r) r = $2 }
        END { m = (NR % 2) ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2; printf "%.3f %d\n", m, r }'
}
read -r PY_WALL PY_RSS <<< "$(summary python)"
if [[ $OURS -eq 1 ]]; then read -r OUR_WALL OUR_RSS <<< "$(summary ours)"; else OUR_WALL=""; OUR_RSS=""; fi

awk -v size="$SIZE" -v runs="$RUNS" -v pw="$PY_WALL" -v pr="$PY_RSS" -v ow="$OUR_WALL" -v orss="$OUR_RSS" \
    -v maxr="$MAX_RSS_RATIO" -v path="$MANIFEST" '
BEGIN {
    mb = size / 1e6
    printf "\nIngest benchmark: %s\n", path
    printf "file size %.1f MB; %d run(s) each; wall = median, peak RSS = max over runs (1 MB = 10^6 bytes)\n\n", mb, runs
    printf "  %-34s %10s %14s %12s\n", "", "wall (s)", "peak RSS (MB)", "RSS / file"
    if (ow != "")
        printf "  %-34s %10.2f %14.1f %11.2fx\n", "downstream sync (parse + store)", ow, orss * 1024 / 1e6, orss * 1024 / size
    printf "  %-34s %10.2f %14.1f %11.2fx\n", "python3 json.load", pw, pr * 1024 / 1e6, pr * 1024 / size
    if (ow == "") { printf "\n(--python-only: no verdict)\n"; exit 0 }
    tr = ow / pw; rr = orss * 1024 / size
    printf "\n  time ratio ours / python:        %.2f\n", tr
    printf "  peak RSS ratio ours / file size: %.2f\n\n", rr
    t_ok = (ow < pw); m_ok = (rr < maxr)
    printf "  %s  time: ours %.2f s %s python json.load %.2f s\n", t_ok ? "PASS" : "FAIL", ow, t_ok ? "<" : ">=", pw
    printf "  %s  memory: ours %.1f MB = %.2fx the file (target < %dx)\n", m_ok ? "PASS" : "FAIL", orss * 1024 / 1e6, rr, maxr
    printf "\nRESULT: %s\n", (t_ok && m_ok) ? "PASS" : "FAIL"
    exit (t_ok && m_ok) ? 0 : 1
}'
