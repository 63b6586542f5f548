#!/usr/bin/env bash
# Table-lineage benchmark: `downstream lineage sql` against the Python peers sqlglot,
# openlineage-sql and sqllineage, for accuracy and speed, side by side in one run.
#
# Usage: bench/lineage.sh [CORPUS] [--no-build] [--peers-only] [--limit N] [--json OUT]
#                         [--threads N] [--sqllineage-budget S] [--stmt-timeout S] [--no-sqlglotc]
#                         [--show-misses N] [-- MORE ARGS FOR bench/lineage_peers.py]
#
#   CORPUS                 corpus JSONL (default crates/sql/corpus/corpus.jsonl)
#   --no-build             use the existing binary (no cargo build)
#   --peers-only           measure only the peers (implies --no-build)
#   --limit N              only the first N corpus lines (quick runs)
#   --json OUT             also write the numbers to OUT
#   --threads N            threads of the multi-core downstream run (default: all CPUs)
#   --sqllineage-budget S  seconds of sqllineage parsing before it stops (default 60)
#   --stmt-timeout S       per-text timeout for the peers (default 10)
#   --no-sqlglotc          do not measure sqlglot[rs] (sqlglot + the compiled sqlglotc) beside pure sqlglot
#   --show-misses N        list up to N texts each tool got wrong
#
# Steps:
#  1. cargo build --release -p downstream-cli (unless --no-build, --peers-only or DOWNSTREAM_BIN).
#  2. venv $DOWNSTREAM_VENV_DIR/lineage-peers (python3 -m venv), pip-installed with the pins
#     below, reused while they match. sqlglot[rs] goes into <venv>/sqlglot-rs with
#     `pip install --only-binary :all: --target` (it replaces sqlglot modules with compiled
#     ones, so it cannot share site-packages with pure sqlglot); if no wheel installs, sqlglot
#     is measured pure only and the report says so.
#     Note: since sqlglot 30 the `rs` extra no longer means the Rust tokenizer: sqlglotrs
#     0.13.0 is an empty, deprecated shim and the extra pulls sqlglotc, sqlglot compiled
#     with mypyc. "sqlglot[rs]" in the report is that.
#  3. bench/lineage_peers.py runs every tool over the corpus and prints the report: one-core
#     speed (binary pinned with --threads 1, best of 5 incl. start-up; peers' parse+extract
#     loop, best of 3, sqllineage time-budgeted), our --threads N run, precision / recall / F1
#     of reads and writes, exact-match rate overall and per shape, error rate, strict and
#     normalized names. See the docstring there.
#
# Exit status: 0 when the run completed, whatever the accuracy; 1 when the build, the venv or
# part of the harness failed (a missing binary, or one without `lineage sql` yet, is only
# reported); 2 on bad arguments or a missing corpus.
#
# Environment:
#   DOWNSTREAM_BIN        the binary to measure (default <target>/release/downstream); when set,
#                         nothing is built
#   DOWNSTREAM_VENV_DIR   venv cache root (default ~/.cache/downstream/venvs)
#   PYTHON                interpreter for the venv (default python3; tested with 3.11)
#   CARGO_TARGET_DIR      cargo's target dir (default <repo>/target)
set -euo pipefail

# Pinned peers: the latest PyPI releases when this was written (2026-11-23), each checked to install
# from wheels on Python 3.11.
SQLGLOT_VERSION=30.30.0
SQLGLOTC_VERSION=30.30.0       # sqlglot[rs]==30.30.0 pulls these two
SQLGLOTRS_VERSION=0.13.0
OPENLINEAGE_SQL_VERSION=1.54.0
SQLLINEAGE_VERSION=1.5.9
SQLFLUFF_VERSION=4.5.0         # sqllineage's parser back end
SQLPARSE_VERSION=0.6.1         # sqllineage's dependency; openlineage's statement splitter fallback
REQS="sqlglot==$SQLGLOT_VERSION openlineage-sql==$OPENLINEAGE_SQL_VERSION sqllineage==$SQLLINEAGE_VERSION sqlfluff==$SQLFLUFF_VERSION sqlparse==$SQLPARSE_VERSION"
RS_REQS=("sqlglot[rs]==$SQLGLOT_VERSION" "sqlglotc==$SQLGLOTC_VERSION" "sqlglotrs==$SQLGLOTRS_VERSION")

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[bench/lineage] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage_error() { log "$*"; exit 2; }
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }

CORPUS=""
BUILD=1
PEERS_ONLY=0
SQLGLOTC=1
PY_ARGS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-build) BUILD=0; shift ;;
        --peers-only) PEERS_ONLY=1; BUILD=0; shift ;;
        --no-sqlglotc) SQLGLOTC=0; shift ;;
        --limit|--threads|--sqllineage-budget|--stmt-timeout|--show-misses)
            [[ $# -ge 2 ]] || usage_error "$1 needs a value"
            PY_ARGS+=("$1" "$2"); shift 2 ;;
        --json)
            [[ $# -ge 2 ]] || usage_error "--json needs a path"
            PY_ARGS+=(--json "$(abspath "$2")"); shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        --) shift; PY_ARGS+=("$@"); break ;;
        -*) usage_error "unknown argument: $1 (see --help)" ;;
        *)
            [[ -z "$CORPUS" ]] || usage_error "one corpus only (got $CORPUS and $1)"
            CORPUS=$(abspath "$1"); shift ;;
    esac
done
CORPUS=${CORPUS:-$ROOT/crates/sql/corpus/corpus.jsonl}
cd "$ROOT"
[[ -s "$CORPUS" ]] || usage_error "no corpus at $CORPUS (pass a corpus path; the engine-verified one is crates/sql/corpus/corpus.jsonl)"

# ---------------------------------------------------------------- 1. build
if [[ -n "${DOWNSTREAM_BIN:-}" ]]; then
    BIN=$(abspath "$DOWNSTREAM_BIN")
    [[ $BUILD -eq 1 && $PEERS_ONLY -eq 0 ]] && log "DOWNSTREAM_BIN is set: measuring $BIN, not building"
    BUILD=0
else
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/downstream"
fi
if [[ $BUILD -eq 1 ]]; then
    log "cargo build --release -p downstream-cli"
    cargo build --release -p downstream-cli || die "cargo build failed"
fi

# ---------------------------------------------------------------- 2. venv
PYTHON=${PYTHON:-python3}
VENV_ROOT=${DOWNSTREAM_VENV_DIR:-$HOME/.cache/downstream/venvs}
VENV="$VENV_ROOT/lineage-peers"
RS_DIR="$VENV/sqlglot-rs"
mkdir -p "$VENV_ROOT"
exec 9>"$VENV_ROOT/.lineage-peers.lock"
flock 9
if [[ -x "$VENV/bin/python" && "$(cat "$VENV/.downstream-reqs" 2>/dev/null)" == "$REQS" ]]; then
    log "reusing venv $VENV"
else
    log "creating venv $VENV with: $REQS"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || die "$PYTHON -m venv failed"
    # shellcheck disable=SC2086  # word splitting of the requirement list is intended
    "$VENV/bin/pip" install --disable-pip-version-check -q $REQS || die "pip install of the peers failed"
    printf '%s' "$REQS" > "$VENV/.downstream-reqs"
fi
if [[ $SQLGLOTC -eq 1 ]]; then
    if [[ -d "$RS_DIR/sqlglot" && "$(cat "$RS_DIR/.downstream-reqs" 2>/dev/null)" == "${RS_REQS[*]}" ]]; then
        :
    else
        log "installing ${RS_REQS[*]} (wheels only) into $RS_DIR"
        rm -rf "$RS_DIR"
        if "$VENV/bin/pip" install --disable-pip-version-check -q --only-binary :all: --target "$RS_DIR" "${RS_REQS[@]}"; then
            printf '%s' "${RS_REQS[*]}" > "$RS_DIR/.downstream-reqs"
        else
            log "NOTE: ${RS_REQS[0]} has no wheel that installs here: sqlglot is measured pure-Python only"
            rm -rf "$RS_DIR"
            SQLGLOTC=0
        fi
    fi
fi
flock -u 9

"$VENV/bin/python" - "$([[ $SQLGLOTC -eq 1 ]] && echo "$RS_DIR")" <<'PY' >&2
import sys
from importlib.metadata import version
pkgs = ["sqlglot", "openlineage-sql", "sqllineage", "sqlfluff", "sqlparse"]
line = ", ".join(f"{p} {version(p)}" for p in pkgs)
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
    import importlib.metadata as md
    line += f"; sqlglot[rs]: sqlglotc {md.version('sqlglotc')}, sqlglotrs {md.version('sqlglotrs')} (shim)"
print(f"[bench/lineage] Python {sys.version.split()[0]}: {line}")
PY

# ---------------------------------------------------------------- 3. run
ARGS=("$CORPUS" --python "$VENV/bin/python" --bin "$BIN")
[[ $SQLGLOTC -eq 1 ]] && ARGS+=(--sqlglotc-path "$RS_DIR")
[[ $PEERS_ONLY -eq 1 ]] && ARGS+=(--tools "sqlglot,sqlglot[rs],openlineage-sql,sqllineage")
exec "$VENV/bin/python" "$ROOT/bench/lineage_peers.py" "${ARGS[@]}" ${PY_ARGS[@]+"${PY_ARGS[@]}"}
