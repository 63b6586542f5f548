#!/usr/bin/env python3
"""Table-lineage benchmark: `downstream lineage sql` against sqlglot, openlineage-sql and sqllineage.

Run through bench/lineage.sh, which builds the binary and prepares the peers' venv. Direct use:

    python3 bench/lineage_peers.py [CORPUS] [--bin PATH] [--python PY] [--sqlglotc-path DIR]
        [--limit N] [--json OUT] [--threads N] [--ours-runs 5] [--peer-runs 3]
        [--sqllineage-budget 60] [--stmt-timeout 10] [--cpu K] [--tools LIST] [--show-misses N]

The corpus is JSON Lines, one text per line: {"id", "shape", "dialect", "default_database",
"default_schema", "sql", "expected": {"reads": [...], "writes": [...]}, "truth"}. Names are
`database.schema.table` as the warehouse stores them. One corpus line is one "stmt" in the rates
below: a text, which may hold several `;`-separated statements.

Each tool reads every text and gives the union of the tables its statements read and write.

* downstream: the binary, `lineage sql --jsonl --threads 1`, fed the whole corpus on stdin (the
  `expected` and `truth` fields removed), pinned to one CPU; best wall time of --ours-runs runs,
  process start-up included. Then again with --threads N (all CPUs by default), not pinned,
  reported apart, and checked to give the same output.
* the peers each run in a worker process of the peers' interpreter, pinned to the same CPU. The
  worker times only the parse + extract call of each text (imports and a warm-up parse per
  dialect come first, untimed); a pass is the sum. sqlglot and openlineage-sql: best of
  --peer-runs passes. sqllineage is slow: one pass over the texts in a seeded random order until
  --sqllineage-budget seconds are spent; its speed and accuracy are over the texts it reached.
  "sqlglot[rs]" is the same sqlglot code run again with sqlglot[rs] on the path (--sqlglotc-path:
  sqlglot plus sqlglotc, its mypyc-compiled modules).
  An exception, a Rust panic, a per-text timeout (--stmt-timeout, SIGALRM) or a crash of the
  worker (it is restarted after the text) counts as an error for that text, never a failed run.

Accuracy, per tool: micro-averaged precision, recall and F1 over (text, table) pairs, for reads
and writes apart; the exact-match rate (reads and writes both exactly right), overall and per
shape; the error rate. Two ways of comparing names:
  strict      (downstream only) the exact strings of the corpus;
  normalized  (every tool, the side-by-side table) quotes and backticks removed, 1- and 2-part
              names qualified with default_database / default_schema, compared case-insensitively.

Exit status: 0 when the run completed (whatever the accuracy); 1 when part of the harness failed
(the binary crashed or broke its one-line-per-input contract, a peer could not start); 2 on bad
arguments or an unreadable corpus. A missing binary, or one without `lineage sql` yet, is reported
and skipped: the peers are still measured and the exit status is 0.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(ROOT, "crates", "sql", "corpus", "corpus.jsonl")
SHUFFLE_SEED = 20240601  # order in which a time-budgeted peer (sqllineage) meets the texts

# Our corpus dialect -> the name each peer takes. Found by reading their dialect tables and by
# probing with dialect-specific syntax (see the report's "dialects" note).
SQLGLOT_DIALECTS = {d: d for d in ("postgres", "snowflake", "bigquery", "redshift", "databricks", "duckdb")}
# openlineage-sql (sqlparser-rs) knows bigquery, snowflake, postgres/postgresql, redshift,
# databricks, hive, mysql, mssql, sqlite, ansi and generic; any other name silently means
# GenericDialect. It has no DuckDB entry: "duckdb" behaves exactly like "generic", so we say so.
OPENLINEAGE_DIALECTS = {
    "postgres": "postgres", "snowflake": "snowflake", "bigquery": "bigquery",
    "redshift": "redshift", "databricks": "databricks", "duckdb": "generic",
}
# sqllineage's default back end is sqlfluff, which takes all six names as they are
# (LineageRunner.supported_dialects()); "non-validating" would be the deprecated sqlparse one.
SQLLINEAGE_DIALECTS = {d: d for d in ("postgres", "snowflake", "bigquery", "redshift", "databricks", "duckdb")}

PEERS = ("sqlglot", "sqlglot[rs]", "openlineage-sql", "sqllineage")
ALL_TOOLS = ("downstream",) + PEERS


# ============================================================================ worker side
# The worker runs in the peers' interpreter, imports one peer and speaks JSON lines on the
# stdout it was started with (the peer's own prints go to stderr).


class StatementTimeout(BaseException):
    """Raised by SIGALRM in the middle of a peer's call; BaseException so no `except Exception`
    inside the peer swallows it."""


def _on_alarm(signum, frame):
    raise StatementTimeout()


class SqlglotAdapter:
    """sqlglot.parse per text; reads = real tables among the sources of every scope
    (optimizer.scope.traverse_scope: CTE names and derived tables are scopes, not tables);
    writes = target of INSERT / CREATE TABLE|VIEW / MERGE / UPDATE / DELETE."""

    def __init__(self):
        import sqlglot
        from sqlglot import exp
        from sqlglot.optimizer.scope import traverse_scope

        self.sqlglot, self.exp, self.traverse_scope = sqlglot, exp, traverse_scope
        self.write_types = (exp.Insert, exp.Create, exp.Merge, exp.Update, exp.Delete)

    def info(self):
        from importlib.metadata import PackageNotFoundError, version

        import sqlglot.parser

        compiled = sqlglot.parser.__file__.endswith((".so", ".pyd"))
        info = {"version": version("sqlglot"), "compiled": compiled}
        if compiled:
            try:
                info["sqlglotc"] = version("sqlglotc")
            except PackageNotFoundError:
                pass
        info["detail"] = (
            f"sqlglot {info['version']}"
            + (f" + sqlglotc {info.get('sqlglotc', '?')} (mypyc-compiled)" if compiled else " (pure Python)")
        )
        return info

    @staticmethod
    def dialect(d):
        return SQLGLOT_DIALECTS.get(d, d)

    def _name(self, table):
        return ".".join(p for p in (table.catalog, table.db, table.name) if p)

    def _statement(self, e, reads, writes):
        exp = self.exp
        target = None
        if isinstance(e, self.write_types):
            if isinstance(e, exp.Create) and not any(k in (e.kind or "").upper() for k in ("TABLE", "VIEW")):
                target = None  # CREATE SCHEMA / FUNCTION / INDEX ...
            else:
                target = e.this
                while isinstance(target, exp.Schema):  # INSERT INTO t (a, b) / CREATE TABLE t (a int)
                    target = target.this
            if isinstance(target, exp.Table) and isinstance(target.this, exp.Identifier):
                writes.add(self._name(target))
            if isinstance(e, exp.Create):  # CREATE TABLE t CLONE s / LIKE s read s
                for node in e.find_all(exp.Clone, exp.LikeProperty):
                    if isinstance(node.this, exp.Table):
                        reads.add(self._name(node.this))
        for scope in self.traverse_scope(e):
            for source in scope.sources.values():
                # a Table whose `this` is a function call is a table function (read_parquet(...))
                if isinstance(source, exp.Table) and source is not target and isinstance(source.this, exp.Identifier):
                    reads.add(self._name(source))

    def extract(self, entry):
        reads, writes, errors = set(), set(), []
        try:
            statements = self.sqlglot.parse(entry["sql"], read=self.dialect(entry["dialect"]))
        except Exception as e:  # ParseError, TokenError, anything: the text fails
            return reads, writes, f"{type(e).__name__}: {e}", 0
        n = 0
        for statement in statements:
            if statement is None:
                continue
            n += 1
            try:
                self._statement(statement, reads, writes)
            except Exception as e:
                errors.append(f"{type(e).__name__}: {e}")
        return reads, writes, "; ".join(errors) or None, n


class OpenLineageAdapter:
    """openlineage_sql.parse([text], dialect, default_schema) -> in_tables / out_tables
    (DbTableMeta: database, schema, name). The whole text is one list item: sqlparser-rs splits
    it into statements itself. When that fails to parse and the text holds several statements,
    it is split with sqlparse.split (as OpenLineage's Airflow SQLParser does) and parsed again
    as a list, so one bad statement does not cost the others; the error still counts."""

    def __init__(self):
        import openlineage_sql

        self.ol = openlineage_sql
        try:
            import sqlparse

            self.split = sqlparse.split
        except ImportError:
            self.split = None

    def info(self):
        from importlib.metadata import version

        v = version("openlineage-sql")
        return {"version": v, "detail": f"openlineage-sql {v} (Rust, sqlparser-rs)"}

    @staticmethod
    def dialect(d):
        return OPENLINEAGE_DIALECTS.get(d, d)

    @staticmethod
    def _name(t):
        return ".".join(p for p in (t.database, t.schema, t.name) if p)

    def extract(self, entry):
        d, schema = self.dialect(entry["dialect"]), entry.get("default_schema") or None
        meta = self.ol.parse([entry["sql"]], dialect=d, default_schema=schema)
        if meta.errors and self.split is not None:
            parts = [s for s in self.split(entry["sql"]) if s.strip()]
            if len(parts) > 1:
                meta = self.ol.parse(parts, dialect=d, default_schema=schema)
        reads = {self._name(t) for t in meta.in_tables}
        writes = {self._name(t) for t in meta.out_tables}
        error = "; ".join(getattr(e, "message", str(e)) for e in meta.errors) or None
        return reads, writes, error, None


class SqlLineageAdapter:
    """LineageRunner(text, dialect=...) with its default back end, sqlfluff (the validating
    one; the sqlparse one is deprecated) and silent_mode off, under
    SQLLineageConfig(DEFAULT_SCHEMA=default_schema). Its source_tables / target_tables leave
    out the "intermediate" tables that one statement writes and a later one reads, so those are
    added to both sides: the union over statements, as for the other tools."""

    def __init__(self):
        from sqllineage.config import SQLLineageConfig
        from sqllineage.core.models import Table
        from sqllineage.runner import LineageRunner

        self.Runner, self.Config, self.Table = LineageRunner, SQLLineageConfig, Table

    def info(self):
        from importlib.metadata import version

        v = version("sqllineage")
        return {"version": v, "detail": f"sqllineage {v} (sqlfluff {version('sqlfluff')} back end)"}

    @staticmethod
    def dialect(d):
        return SQLLINEAGE_DIALECTS.get(d, d)

    def _names(self, tables):
        out = set()
        for t in tables:
            if not isinstance(t, self.Table):  # a Path (file location), not a table
                continue
            schema = str(t.schema)
            out.add(t.raw_name if schema in ("", "<default>") else f"{schema}.{t.raw_name}")
        return out

    def extract(self, entry):
        with self.Config(DEFAULT_SCHEMA=entry.get("default_schema") or ""):
            runner = self.Runner(entry["sql"], dialect=self.dialect(entry["dialect"]))
            sources, targets, middle = runner.source_tables, runner.target_tables, runner.intermediate_tables
        mid = self._names(middle)
        return self._names(sources) | mid, self._names(targets) | mid, None, None


ADAPTERS = {
    "sqlglot": SqlglotAdapter,
    "sqlglot[rs]": SqlglotAdapter,  # same code; the interpreter's path has sqlglotc on it
    "openlineage-sql": OpenLineageAdapter,
    "sqllineage": SqlLineageAdapter,
}


def worker_main(args):
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj):
        proto.write(json.dumps(obj) + "\n")

    import logging
    import warnings

    logging.disable(logging.CRITICAL)  # sqlglot and sqlfluff log warnings per odd statement
    warnings.simplefilter("ignore")

    entries = load_corpus(args.corpus, None)  # the orchestrator hands a --limit'ed copy
    with open(args.indices) as f:
        indices = [int(x) for x in f.read().split()]
    try:
        adapter = ADAPTERS[args.worker]()
        info = adapter.info()
    except BaseException as e:
        send({"fatal": f"cannot load {args.worker}: {type(e).__name__}: {e}"})
        return 3
    send({"hello": info})

    # untimed warm-up: one tiny statement per dialect (lazy dialect tables, sqlfluff grammars)
    for d in sorted({entries[i]["dialect"] for i in indices}):
        try:
            adapter.extract({"sql": "select a from s.t", "dialect": d, "default_schema": "s"})
        except BaseException:
            pass

    timeout = args.stmt_timeout if args.stmt_timeout > 0 else 0
    if timeout:
        signal.signal(signal.SIGALRM, _on_alarm)
    budget = args.budget if args.budget > 0 else None
    for p in range(args.passes):
        total, n, budget_hit = 0.0, 0, False
        for i in indices:
            if budget is not None and total >= budget:
                budget_hit = True
                break
            entry = entries[i]
            reads, writes, error, nstmt = set(), set(), None, None
            t0 = time.perf_counter()
            try:
                if timeout:
                    signal.setitimer(signal.ITIMER_REAL, timeout)
                reads, writes, error, nstmt = adapter.extract(entry)
            except StatementTimeout:
                error = f"timeout after {timeout:g} s"
            except KeyboardInterrupt:
                raise
            except BaseException as e:  # includes pyo3's PanicException
                error = f"{type(e).__name__}: {e}"
            finally:
                if timeout:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            dt = time.perf_counter() - t0
            total += dt
            n += 1
            if args.emit_results:
                send({"i": i, "r": sorted(reads), "w": sorted(writes), "e": error and error[:500], "t": dt, "s": nstmt})
        send({"pass": p, "secs": total, "n": n, "budget_hit": budget_hit})
    return 0


# ============================================================================ corpus and names


class CorpusError(Exception):
    pass


def load_corpus(path, limit):
    entries = []
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise CorpusError(f"cannot open the corpus {path}: {e}") from e
    with f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
                exp_ = e["expected"]
                if not isinstance(e["sql"], str) or not isinstance(e["dialect"], str):
                    raise TypeError("sql and dialect must be strings")
                if not isinstance(exp_.get("reads", []), list) or not isinstance(exp_.get("writes", []), list):
                    raise TypeError("expected.reads / expected.writes must be lists")
                e.setdefault("id", f"line-{lineno}")
                e.setdefault("shape", "?")
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                raise CorpusError(f"{path}:{lineno}: bad corpus line: {err}") from err
            entries.append(e)
            if limit is not None and len(entries) >= limit:
                break
    return entries


def normalize(name, entry):
    """Quotes and backticks removed, 1- and 2-part names qualified with the defaults, case folded."""
    parts = [p.strip() for p in name.replace('"', "").replace("`", "").split(".")]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    if len(parts) == 1:
        parts = [entry.get("default_database") or "", entry.get("default_schema") or ""] + parts
    elif len(parts) == 2:
        parts = [entry.get("default_database") or ""] + parts
    return ".".join(parts).casefold()


# ============================================================================ scoring


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p is not None and r is not None and p + r else (0.0 if p is not None and r is not None else None)
    return {"p": p, "r": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def score(entries, results, indices, strict):
    """results: index -> {"reads", "writes", "error"}; only `indices` are scored."""
    cnt = {"reads": [0, 0, 0], "writes": [0, 0, 0]}
    exact = errors = 0
    shape_n, shape_ok = Counter(), Counter()
    misses = []
    for i in indices:
        e, res = entries[i], results[i]
        ok = True
        for side in ("reads", "writes"):
            if strict:
                want = set(e["expected"].get(side, []))
                got = set(res[side])
            else:
                want = {normalize(n, e) for n in e["expected"].get(side, [])} - {""}
                got = {normalize(n, e) for n in res[side]} - {""}
            c = cnt[side]
            c[0] += len(want & got)
            c[1] += len(got - want)
            c[2] += len(want - got)
            ok = ok and want == got
        shape_n[e["shape"]] += 1
        if ok:
            exact += 1
            shape_ok[e["shape"]] += 1
        else:
            misses.append(e["id"])
        if res["error"]:
            errors += 1
    n = len(indices)
    return {
        "n": n,
        "reads": prf(*cnt["reads"]),
        "writes": prf(*cnt["writes"]),
        "exact": exact / n if n else None,
        "errors": errors / n if n else None,
        "per_shape": {s: {"n": shape_n[s], "exact": shape_ok[s] / shape_n[s]} for s in sorted(shape_n)},
        "misses": misses,
    }


# ============================================================================ running tools


ALLOWED_CPUS = sorted(os.sched_getaffinity(0))


def pin_to(cpus):
    """preexec_fn for a child: run on exactly these CPUs (children inherit the harness's own
    affinity, which is moved off the measured CPU while it waits)."""
    cpus = set(cpus)

    def f():
        os.sched_setaffinity(0, cpus)

    return f


def check_binary(bin_path):
    """(usable, why-not)."""
    if not bin_path:
        return False, "no binary path given"
    if not (os.path.isfile(bin_path) and os.access(bin_path, os.X_OK)):
        return False, f"no executable at {bin_path}"
    try:
        p = subprocess.run([bin_path, "lineage", "sql", "--help"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"{bin_path} lineage sql --help failed: {e}"
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).decode(errors="replace").strip().splitlines()
        return False, f"{bin_path} has no working `lineage sql` command yet ({msg[0] if msg else 'exit %d' % p.returncode})"
    return True, ""


def binary_version(bin_path):
    try:
        p = subprocess.run([bin_path, "--version"], capture_output=True, timeout=30)
        out = p.stdout.decode(errors="replace").strip()
        return out.split()[-1] if p.returncode == 0 and out else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def run_ours(bin_path, entries, tmp, threads, runs, cpu, log):
    """Returns (times, lines, raw_output_bytes, problem)."""
    inp = os.path.join(tmp, "ours.in.jsonl")
    with open(inp, "w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps({k: v for k, v in e.items() if k not in ("expected", "truth")}) + "\n")
    cmd = [bin_path, "lineage", "sql", "--jsonl", "--threads", str(threads)]
    out, err = os.path.join(tmp, f"ours.t{threads}.out"), os.path.join(tmp, f"ours.t{threads}.err")
    times, first = [], None
    for k in range(runs):
        with open(inp, "rb") as fi, open(out, "wb") as fo, open(err, "wb") as fe:
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdin=fi, stdout=fo, stderr=fe, preexec_fn=pin_to([cpu] if threads == 1 else ALLOWED_CPUS))
            dt = time.perf_counter() - t0
        with open(out, "rb") as fo:
            raw = fo.read()
        if p.returncode != 0:
            with open(err, "rb") as fe:
                tail = fe.read().decode(errors="replace").strip().splitlines()[-5:]
            return times, None, None, f"`{' '.join(cmd)}` exited {p.returncode}: " + " | ".join(tail)
        times.append(dt)
        log(f"downstream --threads {threads} run {k + 1}/{runs}: {dt:.3f} s")
        if first is None:
            first = raw
    lines = first.decode("utf-8", errors="replace").splitlines()
    return times, lines, first, None


def parse_ours(lines, entries):
    """Our output lines -> (results by index, problems)."""
    problems = []
    if len(lines) != len(entries):
        problems.append(f"downstream wrote {len(lines)} lines for {len(entries)} input lines")
    objs = []
    for k, line in enumerate(lines):
        try:
            o = json.loads(line)
            if not isinstance(o, dict):
                raise ValueError("not an object")
        except ValueError as e:
            problems.append(f"output line {k + 1} is not a JSON object: {e}")
            o = {}
        objs.append(o)
    ids = [e["id"] for e in entries]
    in_order = all(k < len(objs) and objs[k].get("id") == ids[k] for k in range(len(ids)))
    by_index = {}
    if in_order:
        by_index = dict(enumerate(objs[: len(ids)]))
    else:
        problems.append("output ids are not the input ids in input order; matching by id")
        by_id = {o.get("id"): o for o in objs}
        by_index = {k: by_id[i] for k, i in enumerate(ids) if i in by_id}
    results = {}
    for k in range(len(entries)):
        o = by_index.get(k)
        if o is None:
            results[k] = {"reads": [], "writes": [], "error": "no output line"}
            continue
        reads, writes = o.get("reads") or [], o.get("writes") or []
        results[k] = {
            "reads": [x for x in reads if isinstance(x, str)],
            "writes": [x for x in writes if isinstance(x, str)],
            "error": o.get("error"),
        }
    return results, problems


class Worker:
    """One worker process; yields parsed JSON lines, or ("timeout"|"eof", rc)."""

    def __init__(self, python, tool, corpus, indices, tmp, args, passes, emit, budget, env, cpu):
        idx_file = os.path.join(tmp, f"idx.{tool}.{time.monotonic_ns()}")
        with open(idx_file, "w") as f:
            f.write(" ".join(map(str, indices)))
        self.errlog = os.path.join(tmp, f"{tool}.stderr")
        cmd = [python, os.path.abspath(__file__), "--worker", tool, corpus, "--indices", idx_file,
               "--passes", str(passes), "--budget", str(budget or 0), "--stmt-timeout", str(args.stmt_timeout)]
        if emit:
            cmd.append("--emit-results")
        with open(self.errlog, "ab") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=err, env=env, preexec_fn=pin_to([cpu]))
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.buf = b""

    def lines(self, idle):
        """idle(): seconds to wait for the next line before giving up on the worker."""
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError:
                        yield {"junk": line[:200].decode(errors="replace")}
            if not self.sel.select(timeout=idle()):
                self.kill()
                yield ("timeout", None)
                return
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                rc = self.proc.wait()
                yield ("eof", rc)
                return
            self.buf += chunk

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.sel.close()
        self.proc.stdout.close()

    def stderr_tail(self, n=5):
        try:
            with open(self.errlog, "rb") as f:
                return " | ".join(f.read().decode(errors="replace").strip().splitlines()[-n:])
        except OSError:
            return ""


def run_peer(tool, python, env, corpus, order, tmp, args, log):
    """Returns dict(info, results, pass_secs, processed, budget_hit, crashes, problem)."""
    budgeted = tool == "sqllineage"
    budget = args.sqllineage_budget if budgeted else 0
    passes = 1 if budgeted else max(1, args.peer_runs)
    results, pass1, info, problem, crashed = {}, 0.0, None, None, set()
    remaining, budget_hit = list(order), False
    state = {"phase": "start"}

    def idle():
        # imports + warm-up may take a while; then a text may take up to --stmt-timeout
        if state["phase"] == "start":
            return 300.0
        return (args.stmt_timeout if args.stmt_timeout > 0 else 600.0) + 60.0

    # pass 1: results (restarting the worker after a text that kills it)
    while remaining:
        w = Worker(python, tool, corpus, remaining, tmp, args, 1, True, budget and max(budget - pass1, 1e-9), env, args.cpu)
        state["phase"], done, finished, end = "start", 0, False, None
        for msg in w.lines(idle):
            if isinstance(msg, tuple):
                end = msg
                break
            if "fatal" in msg:
                w.kill()
                return {"info": info, "problem": msg["fatal"] + (" | " + w.stderr_tail() if w.stderr_tail() else "")}
            if "hello" in msg:
                info = info or msg["hello"]
                state["phase"] = "run"
            elif "i" in msg:
                results[msg["i"]] = {"reads": msg["r"], "writes": msg["w"], "error": msg["e"], "nstmt": msg.get("s")}
                pass1 += msg["t"]
                done += 1
                if len(results) % 500 == 0:
                    log(f"{tool}: {len(results)} texts, {pass1:.1f} s")
            elif "pass" in msg:
                finished = True
                budget_hit = msg["budget_hit"]
        w.kill()
        if finished or done >= len(remaining):  # (died after its last answer: nothing lost)
            break
        if info is None:
            return {"info": None, "problem": f"{tool} worker died before starting: {w.stderr_tail()}"}
        # the text after the last answered one killed or hung the worker
        bad = remaining[done]
        if end is not None and end[0] == "timeout":
            why = f"hung: no answer in {idle():.0f} s, worker killed"
        else:
            why = f"crashed the worker (exit {w.proc.returncode})"
        results[bad] = {"reads": [], "writes": [], "error": why, "nstmt": None}
        crashed.add(bad)
        log(f"{tool}: text {bad} {why}; restarting after it")
        remaining = remaining[done + 1:]
    pass_secs = [pass1]

    # more passes, timing only, over the texts that did not crash it
    if passes > 1 and results:
        keep = [i for i in order if i in results and i not in crashed]
        state["phase"] = "start"
        w = Worker(python, tool, corpus, keep, tmp, args, passes - 1, False, 0, env, args.cpu)
        slack = max(120.0, 5 * pass1 + 60)
        for msg in w.lines(lambda: slack if state["phase"] == "run" else 300.0):
            if isinstance(msg, tuple):
                break
            if "hello" in msg:
                state["phase"] = "run"
            elif "pass" in msg:
                pass_secs.append(msg["secs"])
        w.kill()
        if len(pass_secs) < passes:
            problem = f"{tool}: a timing pass did not finish ({w.stderr_tail()}); best of {len(pass_secs)}"
    return {"info": info, "results": results, "pass_secs": pass_secs, "processed": len(results),
            "budget_hit": budget_hit, "crashes": len(crashed), "problem": problem}


# ============================================================================ report


def pct(x, nd=1):
    return "-" if x is None else f"{100 * x:.{nd}f}"


def prf_str(s):
    return f"{pct(s['p'])}/{pct(s['r'])}/{pct(s['f1'])}"


def rate_str(x):
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def table(rows, header, align):
    widths = [max(len(str(r[c])) for r in [header] + rows) for c in range(len(header))]
    out = []
    for r in [header] + rows:
        cells = [(str(v).ljust(w) if a == "l" else str(v).rjust(w)) for v, w, a in zip(r, widths, align)]
        out.append("  " + "  ".join(cells).rstrip())
        if r is header:
            out.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, help="corpus JSONL (default: %(default)s)")
    ap.add_argument("--bin", default=os.environ.get("DOWNSTREAM_BIN") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "downstream"),
        help="downstream binary (default: $DOWNSTREAM_BIN, else target/release/downstream)")
    ap.add_argument("--python", default=sys.executable, help="interpreter with the peers installed")
    ap.add_argument("--sqlglotc-path", default="",
                    help="directory with sqlglot[rs] (sqlglot + sqlglotc) installed by pip --target; "
                         "when given, sqlglot is measured a second time from there")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N corpus lines")
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    ap.add_argument("--threads", type=int, default=len(ALLOWED_CPUS), help="downstream multi-core run (default: all CPUs)")
    ap.add_argument("--ours-runs", type=int, default=5, help="runs of the binary; best wall time (default 5)")
    ap.add_argument("--peer-runs", type=int, default=3, help="passes of sqlglot / openlineage-sql; best (default 3)")
    ap.add_argument("--sqllineage-budget", type=float, default=60.0, help="seconds of sqllineage parsing (default 60; 0 = no limit)")
    ap.add_argument("--stmt-timeout", type=float, default=10.0, help="per-text timeout for the peers, seconds (default 10; 0 = none)")
    ap.add_argument("--cpu", type=int, default=None, help="CPU for the single-core runs (default: the last one allowed)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma-separated subset of: " + ", ".join(ALL_TOOLS))
    ap.add_argument("--show-misses", type=int, default=0, help="list up to N texts each tool got wrong (and downstream's strict misses)")
    # worker mode (internal)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--indices", help=argparse.SUPPRESS)
    ap.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--budget", type=float, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--emit-results", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        return worker_main(args)

    def log(msg):
        print(f"[bench/lineage] {msg}", file=sys.stderr, flush=True)

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in ALL_TOOLS]
    if unknown:
        ap.error(f"unknown tool(s) {', '.join(unknown)}; choose from {', '.join(ALL_TOOLS)}")
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be positive")
    if args.threads < 1 or args.ours_runs < 1 or args.peer_runs < 1:
        ap.error("--threads, --ours-runs and --peer-runs must be positive")
    allowed = ALLOWED_CPUS
    if args.cpu is None:
        args.cpu = allowed[-1]
    elif args.cpu not in allowed:
        ap.error(f"--cpu {args.cpu} is not among the allowed CPUs {allowed}")
    if "sqlglot[rs]" in tools and not args.sqlglotc_path:
        tools.remove("sqlglot[rs]")

    corpus = os.path.abspath(args.corpus)
    try:
        entries = load_corpus(corpus, args.limit)
    except CorpusError as e:
        log(f"ERROR: {e}")
        return 2
    if not entries:
        log(f"ERROR: the corpus {corpus} is empty")
        return 2
    n = len(entries)
    problems, notes = [], []
    tmp = tempfile.mkdtemp(prefix="downstream-lineage-bench.")
    atexit.register(shutil.rmtree, tmp, True)
    # the workers read the corpus themselves; with --limit they must see the same lines
    wcorpus = corpus
    if args.limit is not None:
        wcorpus = os.path.join(tmp, "corpus.jsonl")
        with open(wcorpus, "w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps(e) + "\n")

    if len(allowed) > 1:  # keep the harness itself (reading worker output) off the measured CPU
        os.sched_setaffinity(0, set(allowed) - {args.cpu})
    load1 = os.getloadavg()[0]
    log(f"{n} texts from {corpus}; single-core runs on CPU {args.cpu}; load average {load1:.2f}")
    if load1 > 0.5:
        notes.append(f"load average was {load1:.2f} at the start: other processes were running, so timings are noisy")

    tool_out = {}  # tool -> dict(version, detail, results, processed, secs, times, rate, ...)
    ours_missing = None

    # ---------------------------------------------------------------- downstream
    ours_multi = None
    if "downstream" in tools:
        ok, why = check_binary(args.bin)
        if not ok:
            log(f"NOTE: {why}; skipping downstream")
            ours_missing = why
        else:
            ver = binary_version(args.bin)
            times, lines, raw1, prob = run_ours(args.bin, entries, tmp, 1, args.ours_runs, args.cpu, log)
            if prob:
                problems.append(prob)
                log(f"ERROR: {prob}")
            else:
                results, probs = parse_ours(lines, entries)
                problems.extend(probs)
                best = min(times)
                tool_out["downstream"] = {
                    "version": ver, "detail": f"downstream {ver} (`lineage sql --threads 1`, process start-up included)",
                    "results": results, "processed": n, "secs": best, "times": times, "rate": n / best,
                    "indices": list(range(n)),
                }
                # the multi-core run, not pinned
                mt, _, rawm, probm = run_ours(args.bin, entries, tmp, args.threads, args.ours_runs, None, log)
                if probm:
                    problems.append(probm)
                else:
                    same = "byte-identical" if rawm == raw1 else None
                    if same is None:
                        rm, _ = parse_ours(rawm.decode("utf-8", errors="replace").splitlines(), entries)
                        diff = sum(1 for k in range(n) if (sorted(rm[k]["reads"]), sorted(rm[k]["writes"]), rm[k]["error"])
                                   != (sorted(results[k]["reads"]), sorted(results[k]["writes"]), results[k]["error"]))
                        same = "same reads/writes/errors (other fields differ)" if diff == 0 else f"DIFFERENT on {diff} texts"
                        if diff:
                            problems.append(f"downstream --threads {args.threads} output differs from --threads 1 on {diff} texts")
                    ours_multi = {"threads": args.threads, "secs": min(mt), "times": mt, "rate": n / min(mt),
                                  "speedup": best / min(mt), "same_output": same}

    # ---------------------------------------------------------------- peers
    order = list(range(n))
    random.Random(SHUFFLE_SEED).shuffle(order)
    for tool in [t for t in PEERS if t in tools]:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if tool == "sqlglot[rs]":
            env["PYTHONPATH"] = os.path.abspath(args.sqlglotc_path)
        log(f"running {tool} ...")
        t0 = time.monotonic()
        r = run_peer(tool, args.python, env, wcorpus, order, tmp, args, log)
        if r.get("problem"):
            (problems if "results" not in r else notes).append(r["problem"])
            log(("ERROR: " if "results" not in r else "NOTE: ") + r["problem"])
        if "results" not in r or not r["results"]:
            continue
        info = r["info"] or {}
        if tool == "sqlglot[rs]" and not info.get("compiled"):
            problems.append(f"sqlglot[rs]: sqlglot under {args.sqlglotc_path} is not the compiled one; dropped")
            continue
        best = min(r["pass_secs"])
        indices = sorted(r["results"])
        tool_out[tool] = {
            "version": info.get("version", "?"), "detail": info.get("detail", tool),
            "results": r["results"], "processed": r["processed"], "secs": best, "times": r["pass_secs"],
            # texts that crashed or hung the worker are left out of the timing passes
            "rate": (r["processed"] - r["crashes"]) / best if best > 0 else None, "budget_hit": r["budget_hit"],
            "crashes": r["crashes"], "indices": indices,
        }
        log(f"{tool}: {r['processed']} texts, best pass {best:.2f} s ({time.monotonic() - t0:.0f} s in all)")

    # ---------------------------------------------------------------- scores
    for name, t in tool_out.items():
        t["normalized"] = score(entries, t["results"], t["indices"], strict=False)
    if "downstream" in tool_out:
        d = tool_out["downstream"]
        d["strict"] = score(entries, d["results"], d["indices"], strict=True)
    nstmt = None
    for name in ("sqlglot", "sqlglot[rs]"):
        if name in tool_out and tool_out[name]["processed"] == n:
            nstmt = sum((r.get("nstmt") or 0) for r in tool_out[name]["results"].values())
            break

    # ---------------------------------------------------------------- print
    P = print
    dialects = Counter(e["dialect"] for e in entries)
    shapes = Counter(e["shape"] for e in entries)
    truths = Counter(e.get("truth", "?") for e in entries)
    P()
    P(f"Lineage benchmark: {corpus}" + (f" (first {n} lines)" if args.limit else ""))
    P(f"  {n} texts" + (f", {nstmt} SQL statements as sqlglot splits them" if nstmt is not None else "")
      + "; a 'stmt' below is one text (corpus line)")
    P("  dialects: " + ", ".join(f"{k} {v}" for k, v in dialects.most_common()))
    P("  shapes:   " + ", ".join(f"{k} {v}" for k, v in shapes.most_common()))
    P("  truth:    " + ", ".join(f"{k} {v}" for k, v in truths.most_common()))
    P(f"  machine:  {os.cpu_count()} CPUs, load average {load1:.2f} at start; Python {sys.version.split()[0]}; "
      f"single-core runs pinned to CPU {args.cpu}")
    if ours_missing:
        P(f"  DOWNSTREAM NOT MEASURED: {ours_missing}. Peers only.")
    P()

    order_names = [t for t in ALL_TOOLS if t in tool_out]
    if not order_names:
        P("No tool produced results.")
    else:
        rows = []
        for name in order_names:
            t = tool_out[name]
            s = t["normalized"]
            cover = f"{t['processed']}/{n}" + (" *" if t["processed"] < n else "")
            rows.append([name, t["version"], rate_str(t["rate"]), prf_str(s["reads"]), prf_str(s["writes"]),
                         pct(s["exact"]), pct(s["errors"]), cover])
        P("Side by side: names normalized (quotes stripped, qualified with the defaults, case-insensitive)")
        P(table(rows, ["tool", "version", "stmts/s/core", "reads P/R/F1 %", "writes P/R/F1 %", "exact %", "errors %", "texts"],
                "llrrrrrr"))
        if any(tool_out[x]["processed"] < n for x in order_names):
            P(f"  * time-budgeted ({args.sqllineage_budget:g} s of parsing): speed and accuracy over the texts it reached,")
            P(f"    taken in a seeded random order (seed {SHUFFLE_SEED}), so a sample of every shape")
        if "downstream" in tool_out:
            s = tool_out["downstream"]["strict"]
            P()
            P("downstream, strict (exact strings as the corpus spells them):")
            P(table([["downstream", prf_str(s["reads"]), prf_str(s["writes"]), pct(s["exact"]), pct(s["errors"])]],
                    ["tool", "reads P/R/F1 %", "writes P/R/F1 %", "exact %", "errors %"], "lrrrr"))

        # per shape
        P()
        P("Exact match % per shape (normalized; n = texts in the corpus, a budgeted tool is over its own subset)")
        rows = []
        for shape in sorted(shapes):
            row = [shape, shapes[shape]]
            for name in order_names:
                ps = tool_out[name]["normalized"]["per_shape"].get(shape)
                row.append("-" if ps is None else pct(ps["exact"], 0) + ("" if ps["n"] == shapes[shape] else f" ({ps['n']})"))
            rows.append(row)
        P(table(rows, ["shape", "n"] + order_names, "lr" + "r" * len(order_names)))

        # same subset, when one tool saw only part of it
        partial = [x for x in order_names if tool_out[x]["processed"] < n]
        for pname in partial:
            sub = tool_out[pname]["indices"]
            P()
            P(f"On the {len(sub)} texts {pname} reached (same texts for every tool):")
            rows = []
            for name in order_names:
                t = tool_out[name]
                if not set(sub) <= set(t["results"]):
                    continue
                s = score(entries, t["results"], sub, strict=False)
                rows.append([name, prf_str(s["reads"]), prf_str(s["writes"]), pct(s["exact"]), pct(s["errors"])])
            P(table(rows, ["tool", "reads P/R/F1 %", "writes P/R/F1 %", "exact %", "errors %"], "lrrrr"))

        # speed
        P()
        P("Speed, one core:")
        for name in order_names:
            t = tool_out[name]
            how = (f"best of {len(t['times'])} runs, wall incl. start-up" if name == "downstream"
                   else ("one budgeted pass, parse+extract time" if name == "sqllineage"
                         else f"best of {len(t['times'])} passes, parse+extract time"))
            P(f"  {name:16} {rate_str(t['rate']):>10} stmts/s   {t['secs']:.3f} s for {t['processed']} texts ({how}): "
              + ", ".join(f"{x:.3f}" for x in t["times"]))
        if ours_multi:
            P(f"  downstream --threads {ours_multi['threads']}: {rate_str(ours_multi['rate'])} stmts/s in all "
              f"({ours_multi['secs']:.3f} s best of {len(ours_multi['times'])}; {ours_multi['speedup']:.2f}x --threads 1); "
              f"output vs --threads 1: {ours_multi['same_output']}")
        if "downstream" in tool_out:
            ours = tool_out["downstream"]["rate"]
            P()
            P("Speed ratios, downstream / peer (stmts/s on one core):")
            for name in order_names[1:]:
                pr = tool_out[name]["rate"]
                if not pr:
                    P(f"  vs {name:16} -")
                    continue
                x = ours / pr
                P(f"  vs {name:16} {x:10.3g}x" + ("" if x >= 1 else f"   ({name} is {1 / x:.3g}x faster)"))
            if "sqlglot" in tool_out and "sqlglot[rs]" in tool_out:
                a, b = tool_out["sqlglot"]["rate"], tool_out["sqlglot[rs]"]["rate"]
                if a and b:
                    P(f"  (sqlglot[rs] = sqlglotc, mypyc-compiled sqlglot, is {b / a:.2f}x pure-Python sqlglot)")

        if args.show_misses:
            views = [(name, "normalized") for name in order_names]
            if "downstream" in tool_out:
                views.insert(1, ("downstream", "strict"))
            for name, how in views:
                t = tool_out[name]
                misses = t[how]["misses"]
                if not misses:
                    continue
                P()
                P(f"{name}: {len(misses)} text{'s' if len(misses) != 1 else ''} not exactly right ({how}); "
                  f"first {min(len(misses), args.show_misses)}:")
                by_id = {entries[i]["id"]: i for i in t["indices"]}
                for mid in misses[: args.show_misses]:
                    i = by_id[mid]
                    e, res = entries[i], t["results"][i]
                    for side in ("reads", "writes"):
                        if how == "strict":
                            want, got = set(e["expected"].get(side, [])), set(res[side])
                        else:
                            want = {normalize(x, e) for x in e["expected"].get(side, [])}
                            got = {normalize(x, e) for x in res[side]}
                        if want != got:
                            P(f"  {mid} [{e['dialect']}] {side}: missing {sorted(want - got)} extra {sorted(got - want)}")
                    if res["error"]:
                        P(f"  {mid}   error: {' '.join(str(res['error']).split())[:200]}")

    P()
    P("Notes:")
    P("  tools: " + "; ".join(tool_out[x]["detail"] for x in order_names))
    P("  dialect names passed: sqlglot and sqllineage (sqlfluff) take postgres, snowflake, bigquery, redshift,")
    P("  databricks and duckdb as they are; openlineage-sql takes all but duckdb (it has no DuckDB dialect and")
    P("  maps unknown names to sqlparser's GenericDialect), so duckdb texts go to it as 'generic'.")
    for note in notes:
        P(f"  {note}")
    if problems:
        P()
        P("Harness problems:")
        for p in problems:
            P(f"  - {p}")

    if args.json:
        dump = {
            "corpus": corpus, "texts": n, "sql_statements": nstmt, "limit": args.limit, "cpu": args.cpu,
            "load_average": load1, "dialects": dict(dialects), "shapes": dict(shapes),
            "tools": {}, "downstream_multicore": ours_multi, "ratios": {}, "notes": notes, "problems": problems,
        }
        for name in order_names:
            t = tool_out[name]
            dump["tools"][name] = {
                "version": t["version"], "detail": t["detail"], "texts": t["processed"], "secs_best": t["secs"],
                "times": t["times"], "stmts_per_sec_per_core": t["rate"], "normalized": t["normalized"],
            }
            if "strict" in t:
                dump["tools"][name]["strict"] = t["strict"]
        if "downstream" in tool_out:
            for name in order_names[1:]:
                pr = tool_out[name]["rate"]
                dump["ratios"][name] = tool_out["downstream"]["rate"] / pr if pr else None
        with open(args.json, "w") as f:
            json.dump(dump, f, indent=2)
        log(f"numbers written to {args.json}")

    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
