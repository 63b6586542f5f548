#!/usr/bin/env python3
"""Generate the engine-verified lineage accuracy corpus (corpus.jsonl).

Every statement is produced by a template with a fixed seed, then its ground
truth (tables read / written) is taken from a real PostgreSQL 15 engine:

* SELECT / INSERT / UPDATE / DELETE / MERGE: ``EXPLAIN (VERBOSE, FORMAT JSON)``;
  the plan tree is walked (InitPlans and SubPlans included). ModifyTable nodes
  are writes; every other node with a relation is a read, except the scan of
  the modify target itself (same relation and alias as the ModifyTable).
* CREATE TABLE AS / SELECT INTO / CREATE [MATERIALIZED] VIEW: executed inside
  a rolled-back transaction; the write is the relation created by the current
  transaction (pg_class.xmin), reads come from EXPLAIN (CTAS) or from the
  view's rewrite-rule dependencies (pg_depend).
* SET / SHOW / transaction control: executed harmlessly, checked to create
  nothing.

The template also records every table it writes into the text; the engine's
answer must equal that record exactly or the run fails (the planner can drop
relations: constant-false predicates, unused subquery outputs, provably
useless joins; such templates get fixed, never the truth).

Renderings in other dialects (snowflake, bigquery, redshift, databricks,
duckdb) are produced from the same template with the same structural random
choices; their truth is the PostgreSQL truth mapped through each dialect's
naming rules (truth "mapped:postgres"). Dialect-only syntax (QUALIFY, FLATTEN,
IDENTIFIER(), UNNEST, LATERAL VIEW explode) is verified through an equivalent
PostgreSQL statement built from the same choices. BigQuery wildcard tables are
the only "hand" truth: their PostgreSQL stand-in is raw.events.

Usage: generate.py --pg 'host=/tmp/x user=postgres' [--out corpus.jsonl]
Requires Python 3.11 and psycopg 3 only.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import traceback
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
DB = "analytics"
SEED = "downstream-lineage-corpus-v1"
DIALECTS = ("postgres", "snowflake", "bigquery", "redshift", "databricks", "duckdb")
BQ_PROJECT = "acme-analytics"

# ============================================================================ warehouse model
# Column roles used by the templates; column names and types come from the
# catalog at run time (see load_columns).
ROLES: dict[tuple[str, str], dict[str, str]] = {
    ("raw", "orders"): dict(id="id", cust="user_id", date="order_date", ts="created_at", amt="amount_cents", cat="status", json="shipping_address"),
    ("raw", "customers"): dict(id="id", ts="created_at", cat="country", txt="email", name="first_name"),
    ("raw", "payments"): dict(id="id", ts="created_at", amt="amount_cents", cat="payment_method"),
    ("raw", "products"): dict(id="id", ts="created_at", amt="price_cents", cat="category", arr="tags", name="name"),
    ("raw", "order_items"): dict(id="id", amt="unit_price_cents", qty="quantity"),
    ("raw", "events"): dict(sid="event_id", cust="user_id", ts="event_ts", cat="event_name", json="properties", items="items"),
    ("raw", "sessions"): dict(sid="session_id", cust="user_id", ts="started_at", cat="device", txt="landing_page"),
    ("raw", "subscriptions"): dict(id="id", cust="customer_id", ts="started_at", amt="mrr_cents", cat="plan"),
    ("raw", "invoices"): dict(id="id", cust="customer_id", ts="issued_at", amt="amount_cents", cat="status", items="line_items"),
    ("staging", "stg_orders"): dict(id="order_id", cust="customer_id", date="order_date", ts="created_at", amt="amount", cat="status"),
    ("staging", "stg_customers"): dict(id="customer_id", ts="created_at", cat="country", txt="email", name="full_name"),
    ("staging", "stg_payments"): dict(id="payment_id", ts="created_at", amt="amount", cat="payment_method"),
    ("staging", "stg_events"): dict(sid="event_id", cust="user_id", date="event_date", ts="event_ts", cat="event_name", json="properties", items="items"),
    ("staging", "stg_sessions"): dict(sid="session_id", cust="user_id", date="session_date", ts="started_at", cat="channel", qty="duration_s"),
    ("marts", "orders"): dict(id="order_id", cust="customer_id", date="order_date", amt="amount", cat="status", qty="item_count"),
    ("marts", "customers"): dict(id="customer_id", date="first_order_date", amt="lifetime_value", cat="customer_segment", txt="email", name="first_name", qty="number_of_orders"),
    ("marts", "dim_date"): dict(date="date_day", cat="month_name", qty="year"),
    ("marts", "dim_products"): dict(id="product_id", amt="price", cat="category", arr="tags", name="product_name"),
    ("marts", "fct_revenue"): dict(id="order_id", cust="customer_id", date="revenue_date", amt="net_revenue", cat="currency"),
    ("marts", "fct_sessions"): dict(sid="session_id", cust="user_id", date="session_date", amt="revenue", cat="channel", qty="pageviews"),
    ("finance", "invoices"): dict(id="invoice_id", cust="customer_id", date="issued_date", amt="amount", cat="status"),
    ("finance", "ledger_entries"): dict(id="entry_id", date="entry_date", ts="posted_at", amt="debit", cat="description"),
    ("finance", "gl_accounts"): dict(id="account_id", cat="account_type", name="account_name"),
    ("finance", "fx_rates"): dict(date="rate_date", amt="rate", cat="from_currency"),
    ("finance", "revenue_recognition"): dict(id="invoice_id", cust="customer_id", date="recognized_month", amt="amount", cat="currency"),
    ("public", "orders"): dict(id="id", cust="customer_id", ts="created_at", amt="total", cat="status"),
    ("public", "customers"): dict(id="id", ts="created_at", cat="region", txt="email", name="name"),
    ("public", "users"): dict(id="id", ts="created_at", cat="plan", txt="email", name="name"),
    ("public", "events"): dict(id="id", cust="user_id", ts="ts", cat="name", json="properties"),
    ("public", "page_views"): dict(id="id", cust="user_id", ts="viewed_at", cat="referrer", txt="url"),
    ("public", "order"): dict(id="select", cust="customer_id", date="from", amt="amount", cat="group"),
    ("public", "group"): dict(id="id", ts="created_at", cat="name", qty="order"),
    ("Marketing", "Campaign Spend"): dict(sid="Campaign Id", date="spend_date", amt="Spend USD", cat="Channel", name="Campaign Name", qty="clicks"),
    ("Marketing", "AdClicks"): dict(sid="ClickId", cust="user_id", ts="ClickedAt", amt="Cost", cat="CampaignId"),
    ("Marketing", "channel_mapping"): dict(cat="channel", txt="utm_source"),
}
SPECIAL = {("public", "order"), ("public", "group"), ("Marketing", "Campaign Spend"), ("Marketing", "AdClicks"), ("Marketing", "channel_mapping")}
PUBLIC = [k for k in ROLES if k[0] == "public"]

# join edges: (table a, column of a, table b, column of b), same types on both sides
EDGES = [
    (("raw", "orders"), "user_id", ("raw", "customers"), "id"),
    (("raw", "payments"), "order_id", ("raw", "orders"), "id"),
    (("raw", "order_items"), "order_id", ("raw", "orders"), "id"),
    (("raw", "order_items"), "product_id", ("raw", "products"), "id"),
    (("raw", "events"), "user_id", ("raw", "customers"), "id"),
    (("raw", "events"), "session_id", ("raw", "sessions"), "session_id"),
    (("raw", "sessions"), "user_id", ("raw", "customers"), "id"),
    (("raw", "subscriptions"), "customer_id", ("raw", "customers"), "id"),
    (("raw", "invoices"), "subscription_id", ("raw", "subscriptions"), "id"),
    (("raw", "invoices"), "customer_id", ("raw", "customers"), "id"),
    (("staging", "stg_orders"), "customer_id", ("staging", "stg_customers"), "customer_id"),
    (("staging", "stg_payments"), "order_id", ("staging", "stg_orders"), "order_id"),
    (("staging", "stg_events"), "session_id", ("staging", "stg_sessions"), "session_id"),
    (("staging", "stg_events"), "user_id", ("staging", "stg_customers"), "customer_id"),
    (("staging", "stg_sessions"), "user_id", ("staging", "stg_customers"), "customer_id"),
    (("staging", "stg_orders"), "order_id", ("raw", "orders"), "id"),
    (("staging", "stg_customers"), "customer_id", ("raw", "customers"), "id"),
    (("marts", "orders"), "customer_id", ("marts", "customers"), "customer_id"),
    (("marts", "orders"), "order_date", ("marts", "dim_date"), "date_day"),
    (("marts", "fct_revenue"), "order_id", ("marts", "orders"), "order_id"),
    (("marts", "fct_revenue"), "product_id", ("marts", "dim_products"), "product_id"),
    (("marts", "fct_revenue"), "revenue_date", ("marts", "dim_date"), "date_day"),
    (("marts", "fct_revenue"), "customer_id", ("marts", "customers"), "customer_id"),
    (("marts", "fct_sessions"), "user_id", ("marts", "customers"), "customer_id"),
    (("marts", "fct_sessions"), "session_date", ("marts", "dim_date"), "date_day"),
    (("marts", "orders"), "order_id", ("staging", "stg_payments"), "order_id"),
    (("finance", "invoices"), "customer_id", ("marts", "customers"), "customer_id"),
    (("finance", "ledger_entries"), "account_id", ("finance", "gl_accounts"), "account_id"),
    (("finance", "ledger_entries"), "invoice_id", ("finance", "invoices"), "invoice_id"),
    (("finance", "revenue_recognition"), "invoice_id", ("finance", "invoices"), "invoice_id"),
    (("finance", "invoices"), "issued_date", ("marts", "dim_date"), "date_day"),
    (("finance", "gl_accounts"), "parent_account_id", ("finance", "gl_accounts"), "account_id"),
    (("finance", "invoices"), "currency", ("finance", "fx_rates"), "from_currency"),
    (("finance", "ledger_entries"), "entry_date", ("marts", "dim_date"), "date_day"),
    (("public", "orders"), "customer_id", ("public", "customers"), "id"),
    (("public", "events"), "user_id", ("public", "users"), "id"),
    (("public", "page_views"), "user_id", ("public", "users"), "id"),
    (("public", "order"), "customer_id", ("public", "customers"), "id"),
    (("public", "users"), "id", ("raw", "customers"), "id"),
    (("Marketing", "AdClicks"), "CampaignId", ("Marketing", "Campaign Spend"), "Campaign Id"),
    (("Marketing", "AdClicks"), "user_id", ("raw", "customers"), "id"),
    (("Marketing", "channel_mapping"), "utm_source", ("raw", "sessions"), "utm_source"),
    (("Marketing", "Campaign Spend"), "spend_date", ("marts", "dim_date"), "date_day"),
    (("raw", "orders"), "order_date", ("marts", "dim_date"), "date_day"),
]

CATVALS = {
    "status": ["completed", "shipped", "returned", "placed", "pending", "paid", "failed"],
    "country": ["US", "DE", "FR", "GB", "BR", "JP"],
    "payment_method": ["credit_card", "bank_transfer", "coupon", "gift_card"],
    "category": ["apparel", "electronics", "home", "beauty"],
    "event_name": ["page_view", "add_to_cart", "checkout_started", "order_completed", "signup"],
    "device": ["mobile", "desktop", "tablet"],
    "plan": ["free", "starter", "pro", "enterprise"],
    "channel": ["paid_search", "organic", "email", "social", "direct"],
    "customer_segment": ["new", "returning", "vip", "churned"],
    "month_name": ["January", "February", "March", "December"],
    "currency": ["USD", "EUR", "GBP"],
    "account_type": ["asset", "liability", "revenue", "expense"],
    "description": ["Stripe payout", "Refund", "Invoice payment"],
    "from_currency": ["EUR", "GBP", "JPY"],
    "region": ["NA", "EMEA", "APAC", "LATAM"],
    "name": ["Admins", "Sales", "page_view", "signup"],
    "referrer": ["google.com", "news.ycombinator.com", "(direct)"],
    "group": ["A", "B", "control"],
    "Channel": ["Google Ads", "Meta", "LinkedIn", "TikTok"],
    "CampaignId": ["cmp_001", "cmp_042", "cmp_107"],
}

COLS: dict[tuple[str, str], list[tuple[str, str]]] = {}


def family(typ: str) -> str:
    if typ in ("bigint", "integer"):
        return "int"
    if typ.startswith("numeric"):
        return "num"
    if typ.startswith("timestamp"):
        return "ts"
    if typ == "date":
        return "date"
    if typ == "jsonb":
        return "json"
    if typ.endswith("[]"):
        return "arr"
    if typ == "boolean":
        return "bool"
    return "text"


def ctype(key, col) -> str:
    for c, t in COLS[key]:
        if c == col:
            return family(t)
    raise KeyError((key, col))


def load_columns(conn) -> None:
    rows = conn.execute(
        """select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
           from pg_attribute a join pg_class c on c.oid = a.attrelid
           join pg_namespace n on n.oid = c.relnamespace
           where c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
             and n.nspname in ('raw', 'staging', 'marts', 'finance', 'public', 'Marketing')
           order by n.nspname, c.relname, a.attnum"""
    ).fetchall()
    for s, t, c, typ in rows:
        COLS.setdefault((s, t), []).append((c, typ))
    missing = sorted(set(ROLES) - set(COLS))
    if missing:
        sys.exit(f"schema.sql lacks tables the generator models: {missing}")
    for key, roles in ROLES.items():
        names = {c for c, _ in COLS[key]}
        for r, c in roles.items():
            if c not in names:
                sys.exit(f"role {r} of {key} names missing column {c}")
    for a, ca, b, cb in EDGES:
        if ctype(a, ca) != ctype(b, cb):
            sys.exit(f"edge type mismatch {a}.{ca} / {b}.{cb}")


# ============================================================================ identifiers and dialects
SIMPLE = re.compile(r"[a-z_][a-z0-9_]*\Z")
BQ_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RESERVED = {"order", "group", "select", "from", "to", "user", "table", "where", "limit", "all", "end", "default", "case"}


def needs_quote(name: str) -> bool:
    return not SIMPLE.match(name) or name in RESERVED


def is_lower_name(name: str) -> bool:
    """Names redshift/databricks can hold as written (they fold everything to lower case)."""
    return name == name.lower()


def truth_name(dialect: str, schema: str, table: str) -> str:
    """Fully qualified name, as the warehouse of `dialect` stores it, of the
    table PostgreSQL knows as analytics.schema.table (written as the
    templates write it: quoted exactly when needs_quote says so)."""
    if dialect in ("postgres", "duckdb"):
        return f"{DB}.{schema}.{table}"
    if dialect in ("redshift", "databricks"):
        return f"{DB}.{schema.lower()}.{table.lower()}"
    if dialect == "snowflake":
        fold = lambda x: x if needs_quote(x) else x.upper()  # noqa: E731
        return f"{DB.upper()}.{fold(schema)}.{fold(table)}"
    if dialect == "bigquery":
        return f"{BQ_PROJECT}.{schema}.{table}"
    raise ValueError(dialect)


DEFAULTS = {
    "postgres": (DB, "public"),
    "duckdb": (DB, "public"),
    "redshift": (DB, "public"),
    "databricks": (DB, "public"),
    "snowflake": (DB.upper(), "PUBLIC"),
    "bigquery": (BQ_PROJECT, "public"),
}

ALIAS_BAD = {
    "as", "at", "by", "do", "in", "is", "of", "on", "or", "to", "if", "end", "all", "and", "any", "asc", "for", "not",
    "off", "set", "top", "use", "row", "key", "user", "order", "group", "from", "select", "desc", "case", "when", "then",
    "else", "with", "join", "left", "full", "cross", "limit", "table", "over", "window", "natural", "using", "lateral",
    "qualify", "fetch", "only", "some", "into", "new", "old", "cs", "value", "values", "date", "time", "year", "month",
    "view", "views", "rows", "range", "sample", "partition", "default", "check", "primary", "union", "rate", "session",
}


class Skip(Exception):
    """The template cannot render this variant in the requested dialect."""


class R:
    """Per-rendering context: dialect-aware spelling, and the record of every
    table the template writes into the text (per statement piece)."""

    def __init__(self, dialect: str, frng: random.Random):
        self.d = dialect
        self.f = frng  # formatting choices only; never structural
        self.mentions: list[tuple[int, str, str, str]] = []
        self.pieces: list[tuple[str, str]] = []
        self.allowed = set(DIALECTS)
        self.used_alias: set[str] = set()
        self.subst: dict[tuple[str, str], str] = {}  # hand truth overrides (bigquery wildcards)
        self.hand = False
        self.sf_case = frng.choice(["lower", "lower", "upper", "mixed"])
        self.force_bare = False
        self.comment_k = 0  # comments shape: how many comments to weave in
        self.hex = False  # hex_query shape: append Hex's metadata comment

    # ---- statement pieces
    def stmt(self, kind: str, sql: str) -> None:
        self.pieces.append((kind, sql))

    def only(self, *dialects: str) -> None:
        self.allowed &= set(dialects)
        if self.d not in self.allowed:
            raise Skip(self.d)

    def exclude(self, *dialects: str) -> None:
        self.only(*[d for d in DIALECTS if d not in dialects])

    @property
    def pg(self) -> bool:
        return self.d == "postgres"

    # ---- identifiers
    def q(self, name: str, force: bool = False) -> str:
        if self.d in ("bigquery", "databricks"):
            if force or not BQ_SIMPLE.match(name) or name.lower() in RESERVED:
                return f"`{name}`"
            return name
        if force or needs_quote(name):
            return '"' + name.replace('"', '""') + '"'
        return name

    def _sf(self, name: str, force: bool = False) -> str:
        if needs_quote(name):
            return '"' + name + '"'
        if force:
            return '"' + name.upper() + '"'
        mode = self.sf_case
        if mode == "mixed":
            mode = self.f.choice(["lower", "upper"])
        return name.upper() if mode == "upper" else name

    def t(self, key, role: str = "r", form: str = "auto") -> str:
        """Reference to table `key` = (schema, name); role 'r' read or 'w' write.
        form: auto | bare | two | three | quoted | dbt (quoted three-part) | identifier."""
        s, n = key
        self.mentions.append((len(self.pieces), s, n, role))
        if not (is_lower_name(s) and is_lower_name(n)):
            self.allowed -= {"redshift", "databricks"}
            if self.d in ("redshift", "databricks"):
                raise Skip("mixed-case name")
        f = self.f
        if form == "auto":
            x = f.random()
            if s == "public" and (self.force_bare or x < 0.22):
                form = "bare"
            elif x < 0.34:
                form = "three"
            elif x < 0.37:
                form = "quoted"
            else:
                form = "two"
        if form == "identifier":
            if self.d in ("snowflake", "databricks"):
                inner = self.render(s, n, f.choice(["two", "two", "three"]))
                return f"{f.choice(['identifier', 'IDENTIFIER'])}('{inner}')"
            form = "two"
        return self.render(s, n, form)

    def render(self, s: str, n: str, form: str) -> str:
        f = self.f
        force = form in ("quoted", "dbt")
        three = form in ("three", "dbt")
        d = self.d
        if d == "snowflake":
            parts = ([self._sf(DB, force)] if three else []) + ([self._sf(s, force)] if form != "bare" else []) + [self._sf(n, force)]
            return ".".join(parts)
        if d == "bigquery":
            if three:
                if f.random() < 0.6:
                    return f"`{BQ_PROJECT}.{s}.{n}`"
                return f"`{BQ_PROJECT}`.{self.q(s, force)}.{self.q(n, force)}"
            if form == "bare":
                return self.q(n, force)
            if f.random() < 0.2 and not force:
                return f"`{s}.{n}`"
            return f"{self.q(s, force)}.{self.q(n, force)}"
        parts = ([DB] if three else []) + ([s] if form != "bare" else []) + [n]
        return ".".join(self.q(p, force) for p in parts)

    def wild(self, key, written: str) -> str:
        """BigQuery wildcard table; its PostgreSQL twin reads `key` instead."""
        self.subst[key] = written
        self.hand = True
        if self.d == "bigquery":
            self.mentions.append((len(self.pieces), key[0], key[1], "r"))
            return f"`{written}`"
        return self.t(key)

    def c(self, a: str | None, col: str) -> str:
        return f"{a}.{self.q(col)}" if a else self.q(col)

    def alias(self, g: random.Random, key, prefer: str | None = None) -> str:
        n = key[1]
        words = [w for w in re.split(r"[_ ]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", n)) if w]
        words = [w for w in words if w.lower() not in ("stg", "fct", "dim")] or words
        ini = "".join(w[0] for w in words).lower()
        last = words[-1].lower()
        single = last[:-3] + "y" if last.endswith("ies") else last.rstrip("s")
        cands = [ini, ini, ini, last[:3], last, single, ini + "1"]
        if prefer:
            cands = [prefer] * 4 + cands
        ok = [c for c in cands if SIMPLE.match(c) and c not in ALIAS_BAD and c not in self.used_alias]
        if not ok:
            i = 1
            while f"t{i}" in self.used_alias:
                i += 1
            ok = [f"t{i}"]
        a = g.choice(ok)
        self.used_alias.add(a)
        return a

    # ---- literals and functions
    def s(self, text: str) -> str:
        if self.d in ("bigquery", "databricks"):
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def date(self, iso: str) -> str:
        if self.pg and self.f.random() < 0.3:
            return f"'{iso}'::date"
        return f"date '{iso}'"

    def ago(self, n: int, kind: str = "ts") -> str:
        d, f = self.d, self.f
        if d == "postgres":
            if kind == "date":
                return f.choice([f"current_date - {n}", f"current_date - interval '{n} days'", f"(current_date - interval '{n} day')::date"])
            return f.choice([f"now() - interval '{n} days'", f"current_timestamp - interval '{n} days'", f"now() - '{n} days'::interval"])
        if d == "duckdb":
            return f"current_date - interval {n} day" if kind == "date" else f"now() - interval '{n} days'"
        if d == "snowflake":
            return f"dateadd(day, -{n}, current_date())" if kind == "date" else f.choice([f"dateadd('day', -{n}, current_timestamp())", f"current_timestamp() - interval '{n} days'"])
        if d == "bigquery":
            return f"date_sub(current_date(), interval {n} day)" if kind == "date" else f"timestamp_sub(current_timestamp(), interval {n} day)"
        if d == "redshift":
            return f"dateadd(day, -{n}, current_date)" if kind == "date" else f"getdate() - interval '{n} days'"
        if d == "databricks":
            return f"date_sub(current_date(), {n})" if kind == "date" else f"current_timestamp() - interval {n} days"
        raise ValueError(d)

    def trunc(self, part: str, expr: str, kind: str = "ts") -> str:
        if self.d == "bigquery":
            fn = "date_trunc" if kind == "date" else "timestamp_trunc"
            return f"{fn}({expr}, {part.upper()})"
        if self.d == "postgres" and kind == "date" and self.f.random() < 0.5:
            return f"date_trunc('{part}', {expr})::date"
        return f"date_trunc('{part}', {expr})"

    def add_days(self, expr: str, n: int) -> str:
        d = self.d
        if d in ("postgres", "duckdb"):
            return f"{expr} + {n}"
        if d in ("snowflake", "redshift"):
            return f"dateadd(day, {n}, {expr})"
        if d == "bigquery":
            return f"date_add({expr}, interval {n} day)"
        return f"date_add({expr}, {n})"

    def cast(self, expr: str, ty: str) -> str:
        d = self.d
        bq = {"text": "string", "bigint": "int64", "int": "int64", "integer": "int64", "numeric": "numeric", "date": "date", "timestamp": "timestamp", "boolean": "bool", "numeric(12,2)": "numeric"}
        sp = {"text": "string", "numeric(12,2)": "decimal(12,2)", "numeric": "decimal(18,2)"}
        if d == "bigquery":
            return f"cast({expr} as {bq.get(ty, ty)})"
        if d == "databricks":
            return f"cast({expr} as {sp.get(ty, ty)})"
        if d in ("snowflake", "redshift") and ty == "text":
            ty = "varchar"
        if self.f.random() < 0.55:
            return f"{expr}::{ty}"
        return f"cast({expr} as {ty})"

    def jtext(self, expr: str, key: str) -> str:
        d = self.d
        if d in ("postgres", "duckdb"):
            return f"{expr}->>'{key}'"
        if d == "snowflake":
            return f"{expr}:{key}::string"
        if d == "bigquery":
            return f"json_value({expr}, '$.{key}')"
        if d == "redshift":
            return f"json_extract_path_text({expr}, '{key}')"
        return f"get_json_object({expr}, '$.{key}')"

    def str_agg(self, expr: str, sep: str = ", ") -> str:
        d = self.d
        if d in ("postgres", "duckdb", "bigquery"):
            return f"string_agg({expr}, {self.s(sep)})"
        if d in ("snowflake", "redshift"):
            return f"listagg({expr}, {self.s(sep)})"
        return f"array_join(collect_list({expr}), {self.s(sep)})"

    def now(self) -> str:
        return {"postgres": self.f.choice(["now()", "current_timestamp"]), "duckdb": "now()", "snowflake": "current_timestamp()",
                "bigquery": "current_timestamp()", "redshift": "getdate()", "databricks": "current_timestamp()"}[self.d]

    def setop(self, op: str) -> str:
        """op: union | union all | intersect | except"""
        if self.d == "bigquery" and op != "union all":
            return f"{op} distinct"
        if self.d == "snowflake" and op == "except" and self.f.random() < 0.4:
            return "minus"
        return op


# ============================================================================ formatting pass
KEYWORDS = set("""
select from where and or not in is null as on join left right full outer inner cross natural using group by order having
limit offset union all intersect except distinct case when then else end with recursive insert into values update set
delete merge matched create table view materialized replace between like ilike asc desc nulls first last over partition
rows range unbounded preceding following current row window lateral filter returning cast interval date timestamp true
false rollup cube grouping sets qualify exists any some extract count sum avg min max coalesce nullif round lower upper
if do nothing begin commit rollback show start transaction unlogged exists minus
""".split())
BREAK_BEFORE = {"from", "where", "group", "order", "having", "limit", "join", "left", "right", "full", "inner", "cross",
                "union", "intersect", "except", "window", "qualify", "select", "and", "when", "set", "values", "on",
                "returning", "using", "lateral", "natural", "else", "minus"}
DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def tokenize(sql: str, dialect: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i, n = 0, len(sql)
    backslash = dialect in ("bigquery", "databricks", "snowflake")
    while i < n:
        ch = sql[i]
        if ch in " \t\r\n":
            j = i
            while j < n and sql[j] in " \t\r\n":
                j += 1
            out.append(("ws", sql[i:j]))
            i = j
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(("comment", sql[i:j]))
            i = j
        elif sql.startswith("/*", i):
            depth, j = 1, i + 2
            while depth and j < n:
                if dialect == "postgres" and sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise ValueError(f"unterminated comment in {sql!r}")
            out.append(("comment", sql[i:j]))
            i = j
        elif ch in "'\"`":
            j = i + 1
            while True:
                if j >= n:
                    raise ValueError(f"unterminated quote in {sql!r}")
                if ch == "'" and backslash and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == ch:
                    if ch != "`" and j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            out.append(("quoted", sql[i:j + 1]))
            i = j + 1
        elif ch == "$" and DOLLAR.match(sql, i):
            tag = DOLLAR.match(sql, i).group(0)
            j = sql.find(tag, i + len(tag))
            if j < 0:
                raise ValueError(f"unterminated dollar quote in {sql!r}")
            out.append(("quoted", sql[i:j + len(tag)]))
            i = j + len(tag)
        elif WORD.match(sql, i):
            w = WORD.match(sql, i).group(0)
            if w in ("E", "e") and sql.startswith("'", i + 1):
                j = i + 2
                while True:
                    if j >= n:
                        raise ValueError(f"unterminated E-string in {sql!r}")
                    if sql[j] == "\\":
                        j += 2
                        continue
                    if sql[j] == "'":
                        if j + 1 < n and sql[j + 1] == "'":
                            j += 2
                            continue
                        break
                    j += 1
                out.append(("quoted", sql[i:j + 1]))
                i = j + 1
                continue
            out.append(("word", w))
            i += len(w)
        else:
            out.append(("punct", ch))
            i += 1
    return out


def reformat(sql: str, dialect: str, f: random.Random) -> str:
    """Keyword casing and line breaks; never touches literals, quoted names or comments."""
    toks = tokenize(sql, dialect)
    mode = f.choices(["lower", "upper", "title", "random"], [45, 40, 4, 11])[0]
    p_break = f.choice([0.0, 0.0, 0.5, 0.8, 1.0, 1.0])
    indent = f.choice(["", "  ", "    ", "\t"])
    out = []
    for idx, (kind, text) in enumerate(toks):
        if kind == "word" and text.lower() in KEYWORDS:
            m = mode if mode != "random" else f.choice(["lower", "upper"])
            text = {"lower": text.lower(), "upper": text.upper(), "title": text.capitalize()}[m]
            if idx > 1 and toks[idx - 1] == ("ws", " ") and text.lower() in BREAK_BEFORE and f.random() < p_break:
                out[-1] = "\n" + (indent if text.lower() not in ("select", "with") else "")
        out.append(text)
    return "".join(out)


def insert_comments(sql: str, dialect: str, f: random.Random, k: int) -> str:
    toks = tokenize(sql, dialect)
    ws = [i for i, (kind, _) in enumerate(toks) if kind == "ws"]
    if not ws:
        return sql
    chosen = set(f.sample(ws, min(k, len(ws))))
    out = []
    for i, (kind, text) in enumerate(toks):
        if i in chosen:
            out.append(comment_text(dialect, f))
        else:
            out.append(text)
    return "".join(out)


COMMENT_BODIES = [
    "from secret_table", "select * from secret_table", "join raw.secrets s on s.id = o.id", "TODO: switch to marts.orders",
    "don't read staging.stg_payments here", "filters: last 30 days", "-- dashed", "see JIRA DATA-1234", "update finance.invoices set x = 1",
    "insert into audit.log values (1)", "grain: one row per order", "CTE: with orders as (select 1)", "owner: @ana", "uses \"Marketing\".\"Campaign Spend\"",
    "'unbalanced quote", "; delete from users; ", "noqa", "hex cell 3", "pii columns removed", "union all select * from other",
]


def comment_text(dialect: str, f: random.Random) -> str:
    body = f.choice(COMMENT_BODIES)
    kind = f.random()
    if kind < 0.4:
        return f" -- {body}\n" + f.choice(["", "  ", "    "])
    if kind < 0.55 and dialect == "postgres":
        return f" /* outer /* nested {body} */ still a comment: from secret_table */ "
    sep = f.choice([" ", "\n"])
    return f"{sep}/* {body} */{sep}"


# ============================================================================ template helpers
TEMPLATES: dict[str, list] = defaultdict(list)
DIALECT_ONLY = {"qualify": ("snowflake", "bigquery", "databricks", "duckdb", "redshift"),
                "flatten": ("snowflake",),
                "identifier": ("snowflake", "databricks"),
                "unnest": ("bigquery", "duckdb", "databricks", "redshift", "snowflake"),
                "wildcard": ("bigquery",)}


def tpl(shape: str, weight: float = 1.0, dialects=DIALECTS):
    def deco(fn):
        TEMPLATES[shape].append((fn, weight, frozenset(dialects)))
        return fn
    return deco


POOL: list | None = None  # restricts every pick (search_path_unqualified: public tables only)


def tables_with(*roles, special: bool = True, pool=None) -> list:
    pool = pool if pool is not None else (list(POOL) if POOL is not None else list(ROLES))
    return [k for k in pool if all(r in ROLES[k] for r in roles) and (special or k not in SPECIAL)]


def pick(g: random.Random, *roles, special: bool = True, pool=None):
    cands = tables_with(*roles, special=special, pool=pool)
    weights = [0.35 if k in SPECIAL else 1.0 for k in cands]
    return g.choices(cands, weights)[0]


def role(key, r):
    return ROLES[key][r]


def catval(g, R, key):
    col = role(key, "cat")
    return R.s(g.choice(CATVALS.get(col, ["x", "y"])))


def pred(g: random.Random, R: R, a: str | None, key, avoid=()) -> str:
    roles = ROLES[key]
    opts = []
    if "cat" in roles:
        opts += ["cat_eq", "cat_in", "cat_notnull", "cat_ne"]
    if "ts" in roles:
        opts += ["ts_recent", "ts_recent"]
    if "date" in roles:
        opts += ["date_range", "date_recent"]
    if "amt" in roles:
        opts += ["amt_gt"]
    if "txt" in roles:
        opts += ["txt_like"]
    opts = [o for o in opts if o not in avoid] or opts
    k = g.choice(opts)
    c = lambda r: R.c(a, role(key, r))  # noqa: E731
    if k == "cat_eq":
        return f"{c('cat')} = {catval(g, R, key)}"
    if k == "cat_ne":
        return f"{c('cat')} <> {catval(g, R, key)}"
    if k == "cat_in":
        vals = CATVALS.get(role(key, "cat"), ["x", "y", "z"])
        chosen = g.sample(vals, min(len(vals), g.randint(2, 3)))
        return f"{c('cat')} in ({', '.join(R.s(v) for v in chosen)})"
    if k == "cat_notnull":
        return f"{c('cat')} is not null"
    if k == "ts_recent":
        return f"{c('ts')} >= {R.ago(g.choice([1, 7, 14, 30, 90, 365]), 'ts')}"
    if k == "date_recent":
        return f"{c('date')} >= {R.ago(g.choice([7, 28, 30, 90, 180]), 'date')}"
    if k == "date_range":
        y = g.choice([2023, 2024, 2025])
        m = g.randint(1, 10)
        return f"{c('date')} between {R.date(f'{y}-{m:02d}-01')} and {R.date(f'{y}-{m + 2:02d}-28')}"
    if k == "amt_gt":
        return f"{c('amt')} > {g.choice(['0', '10', '100', '1000', '49.99', '250'])}"
    if k == "txt_like":
        return f"lower({c('txt')}) like {R.s(g.choice(['%@acme.com', '%test%', 'https://%', '%gmail%']))}"
    raise AssertionError(k)


def preds(g, R, a, key, n=None) -> str:
    n = n if n is not None else g.choice([1, 1, 1, 2, 2, 3])
    ps = [pred(g, R, a, key) for _ in range(n)]
    return " and ".join(dict.fromkeys(ps))


def colnames(key, fams=None) -> list[str]:
    return [c for c, t in COLS[key] if fams is None or family(t) in fams]


SCALAR = ("int", "num", "text", "ts", "date", "bool")


def pick_cols(g, key, k, fams=SCALAR) -> list[str]:
    names = colnames(key, fams)
    return g.sample(names, min(k, len(names)))


def sel_list(g, R, a, key, k=None, rename=0.2) -> list[str]:
    k = k or g.randint(2, 5)
    out = []
    for col in pick_cols(g, key, k):
        e = R.c(a, col)
        if g.random() < rename:
            nm = re.sub(r"[^a-z0-9]+", "_", col.lower()).strip("_")
            e += f" as {g.choice(['', 'src_', 'the_'])}{nm}"
        out.append(e)
    return out


def agg_expr(g, R, a, key) -> tuple[str, str]:
    roles = ROLES[key]
    opts = ["count"]
    if "amt" in roles:
        opts += ["sum", "avg", "max_amt"]
    if "cust" in roles:
        opts += ["count_distinct"]
    if "ts" in roles:
        opts += ["max_ts"]
    if "date" in roles:
        opts += ["min_date"]
    k = g.choice(opts)
    c = lambda r: R.c(a, role(key, r))  # noqa: E731
    if k == "count":
        return g.choice(["count(*)", "count(1)"]), g.choice(["n", "cnt", "row_count", "num_rows"])
    if k == "sum":
        return f"sum({c('amt')})", g.choice(["total", "total_amount", "revenue", "sum_amount"])
    if k == "avg":
        return f"round(avg({c('amt')}), 2)", g.choice(["avg_amount", "mean_value"])
    if k == "max_amt":
        return f"max({c('amt')})", "max_amount"
    if k == "count_distinct":
        return f"count(distinct {c('cust')})", g.choice(["customers", "unique_users", "n_customers"])
    if k == "max_ts":
        return f"max({c('ts')})", g.choice(["last_seen_at", "latest_at"])
    return f"min({c('date')})", "first_date"


def aggs(g, R, a, key, n=None) -> list[str]:
    n = n or g.randint(1, 3)
    out, seen = [], set()
    for _ in range(n):
        e, nm = agg_expr(g, R, a, key)
        if nm in seen:
            continue
        seen.add(nm)
        out.append(f"{e} as {nm}")
    return out


def edges() -> list:
    if POOL is None:
        return EDGES
    return [e for e in EDGES if e[0] in POOL and e[2] in POOL]


def edge_nodes(*roles) -> list:
    nodes = sorted({e[0] for e in edges()} | {e[2] for e in edges()})
    return [k for k in nodes if all(r in ROLES[k] for r in roles)]


def join_chain(g, R, n_tables: int, start=None, kinds=("join", "inner join", "left join", "left outer join")):
    """FROM clause joining n_tables along EDGES; returns (from_sql, [(alias, key)])."""
    start = start or g.choice(edge_nodes())
    a0 = R.alias(g, start)
    items = [(a0, start)]
    sql = f"{R.t(start)} {g.choice(['', 'as '])}{a0}"
    for _ in range(n_tables - 1):
        cands = []
        for ta, ca, tb, cb in edges():
            for al, k in items:
                if k == ta:
                    cands.append((al, ca, tb, cb))
                if k == tb:
                    cands.append((al, cb, ta, ca))
        if not cands:
            break
        al, col, nk, ncol = g.choice(cands)
        na = R.alias(g, nk)
        jk = g.choice(kinds)
        cond = f"{na}.{R.q(ncol)} = {al}.{R.q(col)}" if g.random() < 0.5 else f"{al}.{R.q(col)} = {na}.{R.q(ncol)}"
        if g.random() < 0.15 and "cat" in ROLES[nk]:
            cond += f" and {na}.{R.q(role(nk, 'cat'))} is not null"
        sql += f" {jk} {R.t(nk)} {g.choice(['', 'as '])}{na} on {cond}"
        items.append((na, nk))
    return sql, items


def maybe_limit(g, R) -> str:
    x = g.random()
    if x < 0.25:
        return f" limit {g.choice([10, 100, 500, 1000, 5000])}"
    return ""


def semi(g) -> str:
    return g.choice(["", "", "", ";"])


def from_item(g, R, key, a, form="auto") -> str:
    t = R.t(key, form=form)
    return f"{t} {g.choice(['', 'as ', 'AS '])}{a}".rstrip() if a else t


def time_col(key) -> tuple[str, str]:
    """(column, kind) of the table's main time column."""
    if "date" in ROLES[key]:
        return role(key, "date"), "date"
    return role(key, "ts"), "ts"


def has_time(key) -> bool:
    return "date" in ROLES[key] or "ts" in ROLES[key]


def int_key(key) -> str:
    r = ROLES[key]
    return r.get("cust") or r["id"]


def nice(col: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", col.lower()).strip("_")


def edge_walk(g, n: int):
    """Random path of n edges: [(key_i, col leaving key_i, key_i+1, col entering key_i+1)]."""
    for _ in range(50):
        start = g.choice(edge_nodes())
        path, cur = [], start
        for _ in range(n):
            cands = []
            for ta, ca, tb, cb in edges():
                if ta == cur:
                    cands.append((ta, ca, tb, cb))
                if tb == cur:
                    cands.append((tb, cb, ta, ca))
            if not cands:
                break
            step = g.choice(cands)
            path.append(step)
            cur = step[2]
        if len(path) == n:
            return path
    raise AssertionError("no edge walk")


def pick_edge(g, pred_fn=None):
    """Random edge in either orientation (a, col of a, b, col of b) satisfying pred_fn."""
    cands = []
    for e in edges():
        for o in (e, (e[2], e[3], e[0], e[1])):
            if pred_fn is None or pred_fn(o):
                cands.append(o)
    return g.choice(cands) if cands else None


# ============================================================================ SELECT builders
def b_simple(g, R) -> str:
    key = pick(g)
    a = R.alias(g, key) if g.random() < 0.6 else None
    v = g.random()
    if v < 0.15 and "cat" in ROLES[key]:
        c = R.c(a, role(key, "cat"))
        sql = f"select distinct {c} from {from_item(g, R, key, a)}"
        if g.random() < 0.5:
            sql += f" where {c} is not null"
        return sql + " order by 1"
    cols = sel_list(g, R, a, key)
    sql = f"select {', '.join(cols)} from {from_item(g, R, key, a)}"
    if g.random() < 0.75:
        sql += f" where {preds(g, R, a, key)}"
    if g.random() < 0.35:
        sql += f" order by {g.choice(['1', str(len(cols))])}{g.choice(['', ' desc', ' asc', ' desc nulls last'])}"
    if g.random() < 0.06:
        R.only("postgres", "snowflake")
        sql += " offset 20 rows fetch next 10 rows only"
    else:
        sql += maybe_limit(g, R)
    return sql


def b_star(g, R) -> str:
    v = g.randrange(7)
    if v == 0:
        return f"select * from {R.t(pick(g))}"
    if v == 1:
        key = pick(g)
        a = R.alias(g, key)
        return f"select {a}.* from {from_item(g, R, key, a)} where {preds(g, R, a, key)}"
    if v == 2:
        return f"select * from {R.t(pick(g))} limit {g.choice([10, 100, 1000])}"
    if v == 3:
        frm, items = join_chain(g, R, 2)
        (a1, k1) = items[0]
        extra = [R.c(al, c) + f" as {al}_{nice(c)}" for al, k in items[1:] for c in pick_cols(g, k, 2)]
        return f"select {a1}.*{''.join(', ' + e for e in extra)} from {frm}"
    if v == 4:
        key = pick(g)
        R.only("postgres")
        return f"table {R.t(key)}"
    if v == 5:
        key = pick(g, "ts")
        a = R.alias(g, key)
        return f"select * from {from_item(g, R, key, a)} order by {R.c(a, role(key, 'ts'))} desc limit 1"
    key = pick(g)
    return f"select *, {R.now()} as queried_at from {R.t(key)} where {preds(g, R, None, key, 1)}"


def b_agg(g, R) -> str:
    v = g.randrange(9)
    if v == 6:
        start = g.choice(edge_nodes("cat"))
        frm, items = join_chain(g, R, g.randint(2, 3), start=start)
        a1, k1 = items[0]
        al, kl = items[-1]
        e, nm = agg_expr(g, R, al, kl)
        c1 = R.c(a1, role(k1, "cat"))
        sql = f"select {c1}, count(*) as n, {e} as {nm}_{al} from {frm} group by {g.choice(['1', c1])}"
        if g.random() < 0.4:
            sql += f" having count(*) > {g.choice([1, 5, 10, 100])}"
        return sql + g.choice(["", " order by 2 desc", " order by n desc"])
    if v == 7:
        key = pick(g)
        a = R.alias(g, key) if g.random() < 0.5 else None
        return f"select {', '.join(aggs(g, R, a, key, g.randint(1, 3)))} from {from_item(g, R, key, a)} where {preds(g, R, a, key, 1)}"
    if v == 8:
        v = 0
    key = pick(g, "cat")
    if v in (1, 2, 3, 4, 5) and not ("date" in ROLES[key] or "ts" in ROLES[key]):
        v = 0
    a = R.alias(g, key) if g.random() < 0.7 else None
    cat = R.c(a, role(key, "cat"))
    ag = aggs(g, R, a, key)
    frm = from_item(g, R, key, a)
    where = f" where {preds(g, R, a, key, 1)}" if g.random() < 0.5 else ""
    if v == 0:
        sql = f"select {cat}, {', '.join(ag)} from {frm}{where} group by {g.choice(['1', cat])}"
        if g.random() < 0.45:
            sql += f" having {g.choice(['count(*)', 'count(1)'])} > {g.choice([0, 1, 10, 100])}"
        if g.random() < 0.5:
            sql += f" order by {g.choice(['2 desc', '1', cat])}"
        return sql + maybe_limit(g, R)
    col, kind = time_col(key)
    part = g.choice(["day", "week", "month", "quarter", "year"])
    tr = R.trunc(part, R.c(a, col), kind)
    if v == 1:
        sql = f"select {tr} as {part}, {', '.join(ag)} from {frm}{where} group by {g.choice(['1', tr])} order by 1"
        return sql
    if v == 5:
        R.only("postgres", "duckdb")
        val = catval(g, R, key)
        return (f"select {tr} as {part}, count(*) as total, count(*) filter (where {cat} = {val}) as matching, "
                f"count(distinct {cat}) filter (where {cat} is not null) as kinds from {frm}{where} group by 1")
    if v == 8:
        R.exclude("redshift")
        return f"select {cat}, {', '.join(ag)} from {frm}{where} group by all"
    R.exclude("redshift") if v == 4 else None
    gfn = {2: "rollup", 3: "grouping sets", 4: "cube"}[v]
    if v == 3:
        gb = f"grouping sets (({cat}), ({cat}, {tr}), ())"
    else:
        gb = f"{gfn} ({cat}, {tr})"
    flag = f", grouping({cat}) as is_total" if g.random() < 0.4 else ""
    return f"select {cat}, {tr} as {part}, {', '.join(ag)}{flag} from {frm}{where} group by {gb}"


def b_join(g, R) -> str:
    v = g.randrange(12)
    if v <= 4:
        n = g.choice([2, 2, 3, 3, 3, 4, 4, 5, 6])
        kinds = ("join", "inner join", "left join", "left outer join", "join", "left join")
        if g.random() < 0.3:
            kinds = kinds + ("right join", "full outer join", "full join", "right outer join")
        frm, items = join_chain(g, R, n, kinds=kinds)
        cols = []
        for al, k in items:
            for c in pick_cols(g, k, g.randint(1, 2)):
                cols.append(R.c(al, c) + (f" as {al}_{nice(c)}" if g.random() < 0.5 else ""))
        sql = f"select {', '.join(cols)} from {frm}"
        if g.random() < 0.6:
            a1, k1 = items[0]
            sql += f" where {preds(g, R, a1, k1, 1)}"
        return sql + maybe_limit(g, R)
    if v == 5:  # self join
        if g.random() < 0.4:
            key = ("finance", "gl_accounts")
            a, p = R.alias(g, key, "a"), R.alias(g, key, "parent")
            jt = g.choice(["left join", "join"])
            return (f"select {a}.account_code, {a}.account_name, {p}.account_name as parent_name from {from_item(g, R, key, a)} "
                    f"{jt} {from_item(g, R, key, p)} on {p}.account_id = {a}.parent_account_id")
        key = pick(g, "cust", "ts") if g.random() < 0.5 else pick(g, "cust", "date")
        col, _ = time_col(key)
        a1, a2 = R.alias(g, key, "cur"), R.alias(g, key, "prev")
        c = role(key, "cust")
        return (f"select {R.c(a1, c)}, {R.c(a1, col)} as current_at, max({R.c(a2, col)}) as previous_at "
                f"from {from_item(g, R, key, a1)} left join {from_item(g, R, key, a2)} on {R.c(a2, c)} = {R.c(a1, c)} "
                f"and {R.c(a2, col)} < {R.c(a1, col)} group by 1, 2")
    if v == 6:  # cross join
        d = R.alias(g, ("marts", "dim_date"), "d")
        key = pick(g, "cat")
        x = R.alias(g, key)
        cross = f"{from_item(g, R, ('marts', 'dim_date'), d)} cross join {from_item(g, R, key, x)}" if g.random() < 0.5 else \
            f"{from_item(g, R, ('marts', 'dim_date'), d)}, {from_item(g, R, key, x)}"
        return (f"select {d}.date_day, {R.c(x, role(key, 'cat'))}, count(*) as n from {cross} "
                f"where {d}.date_day >= {R.ago(g.choice([7, 30, 90]), 'date')} group by 1, 2")
    if v == 7:  # natural
        R.exclude("bigquery")
        a_k, b_k = g.choice([(("staging", "stg_orders"), ("staging", "stg_payments")), (("marts", "orders"), ("marts", "customers")),
                             (("marts", "fct_revenue"), ("marts", "orders")), (("finance", "invoices"), ("finance", "revenue_recognition")),
                             (("raw", "sessions"), ("raw", "events")), (("staging", "stg_events"), ("staging", "stg_sessions"))])
        jt = g.choice(["natural join", "natural left join", "natural inner join"])
        sel = g.choice(["*", "count(*) as n"])
        return f"select {sel} from {R.t(a_k)} {jt} {R.t(b_k)}"
    if v == 8:  # using
        e = pick_edge(g, lambda e: e[1] == e[3])
        if e is None:
            return b_simple(g, R)
        ka, col, kb, _ = e
        a, b = R.alias(g, ka), R.alias(g, kb)
        jt = g.choice(["join", "left join", "inner join", "full join"])
        extra = ", ".join(R.c(b, c) + f" as {b}_{nice(c)}" for c in pick_cols(g, kb, 2) if c != col)
        return f"select {R.q(col)}, {R.c(a, role(ka, 'cat')) if 'cat' in ROLES[ka] else R.c(a, col) + ' as a_key'}{', ' + extra if extra else ''} " \
               f"from {from_item(g, R, ka, a)} {jt} {from_item(g, R, kb, b)} using ({R.q(col)})"
    if v == 9:  # comma join
        ka, ca, kb, cb = pick_edge(g)
        a, b = R.alias(g, ka), R.alias(g, kb)
        cols = sel_list(g, R, a, ka, 2, rename=0) + [R.c(b, c) + f" as {b}_{nice(c)}" for c in pick_cols(g, kb, 2)]
        return f"select {', '.join(cols)} from {from_item(g, R, ka, a)}, {from_item(g, R, kb, b)} where {R.c(a, ca)} = {R.c(b, cb)} and {pred(g, R, b, kb)}"
    if v == 10:  # parenthesized join tree
        (k1, c1, k2, c2), (_, c2b, k3, c3) = edge_walk(g, 2)
        a, b, c = R.alias(g, k1), R.alias(g, k2), R.alias(g, k3)
        jt = g.choice(["join", "left join"])
        cols = [R.c(a, x) + f" as {a}_{nice(x)}" for x in pick_cols(g, k1, 2)] + [R.c(c, x) + f" as {c}_{nice(x)}" for x in pick_cols(g, k3, 2)]
        return (f"select {', '.join(cols)} from {from_item(g, R, k1, a)} {jt} ({from_item(g, R, k2, b)} join {from_item(g, R, k3, c)} "
                f"on {R.c(c, c3)} = {R.c(b, c2b)}) on {R.c(b, c2)} = {R.c(a, c1)}")
    # join + aggregate
    start = g.choice(edge_nodes("cat"))
    frm, items = join_chain(g, R, g.randint(2, 4), start=start)
    a1, k1 = items[0]
    al, kl = items[-1]
    e, nm = agg_expr(g, R, al, kl)
    return f"select {R.c(a1, role(k1, 'cat'))} as grp, {e} as {nm} from {frm} group by 1 order by 2 desc"


def b_window(g, R) -> str:
    key = pick(g, "cust", "amt")
    a = R.alias(g, key) if g.random() < 0.75 else None
    cust, amt = R.c(a, role(key, "cust")), R.c(a, role(key, "amt"))
    tcol, tkind = time_col(key)
    tc = R.c(a, tcol)
    base = sel_list(g, R, a, key, g.randint(1, 3), rename=0)
    frm = from_item(g, R, key, a)
    v = g.randrange(10)
    if v == 0:
        w = f"row_number() over (partition by {cust} order by {tc} desc) as rn"
    elif v == 1:
        w = f"sum({amt}) over (partition by {cust} order by {tc} rows between unbounded preceding and current row) as running_total"
    elif v == 2:
        fn = g.choice(["lag", "lead"])
        w = f"{fn}({amt}) over (partition by {cust} order by {tc}) as {fn}_amount, {tc} - {fn}({tc}) over (partition by {cust} order by {tc}) as gap"
        if R.d == "bigquery":
            w = f"{fn}({amt}) over (partition by {cust} order by {tc}) as {fn}_amount"
    elif v == 3:
        fn = g.choice(["rank", "dense_rank", "percent_rank", "cume_dist"])
        w = f"{fn}() over (order by {amt} desc) as amount_{fn}"
    elif v == 4:
        R.exclude("snowflake", "redshift")
        w = (f"row_number() over w as rn, sum({amt}) over w as running_total, first_value({amt}) over w as first_amount")
        sql = f"select {', '.join(base)}, {w} from {frm} window w as (partition by {cust} order by {tc})"
        return sql
    elif v == 5:
        inner = f"select {', '.join(base)}, {cust} as grp_key, row_number() over (partition by {cust} order by {tc} desc) as rn from {frm}"
        return f"select * from ({inner}) {g.choice(['x', 'ranked', 'dedup'])} where rn = 1"
    elif v == 6:
        tr = R.trunc("day", tc, tkind)
        return (f"select {tr} as day, sum({amt}) as total, avg(sum({amt})) over (order by {tr} rows between 6 preceding and current row) as total_7d_avg "
                f"from {frm} group by {tr}")
    elif v == 7:
        w = f"{amt} / nullif(sum({amt}) over (partition by {cust}), 0) as share_of_customer"
    elif v == 8:
        w = f"ntile({g.choice([4, 10, 100])}) over (order by {amt}) as bucket"
    else:
        w = (f"last_value({amt}) over (partition by {cust} order by {tc} rows between unbounded preceding and unbounded following) as last_amount, "
             f"count(*) over (partition by {cust}) as n_rows")
    sql = f"select {', '.join(base)}, {w} from {frm}"
    if g.random() < 0.4:
        sql += f" where {pred(g, R, a, key)}"
    return sql


def in_subquery(g, R, depth: int) -> str:
    """SELECT nested `depth` levels deep through IN / EXISTS along an edge path."""
    path = edge_walk(g, depth)
    k0 = path[0][0]
    a0 = R.alias(g, k0)
    head = f"select {', '.join(sel_list(g, R, a0, k0, 2, rename=0))} from {from_item(g, R, k0, a0)} where "
    body, closers, prev_alias = "", "", a0
    for i, (ka, ca, kb, cb) in enumerate(path):
        b = R.alias(g, kb)
        last = i == len(path) - 1
        if g.random() < 0.5:
            body += f"{R.c(prev_alias, ca)} in (select {R.c(b, cb)} from {from_item(g, R, kb, b)} where "
        else:
            body += f"exists (select 1 from {from_item(g, R, kb, b)} where {R.c(b, cb)} = {R.c(prev_alias, ca)} and "
        if last:
            body += pred(g, R, b, kb)
        closers += ")"
        prev_alias = b
    return head + body + closers


def b_subq(g, R) -> str:
    v = g.randrange(11)
    if v == 0:
        key = pick(g, "cat")
        a = R.alias(g, key)
        ag = aggs(g, R, a, key, 1)[0]
        nm = ag.rsplit(" as ", 1)[1]
        x = g.choice(["x", "sub", "agg", "t"])
        return (f"select {x}.grp, {x}.{nm} from (select {R.c(a, role(key, 'cat'))} as grp, {ag} from {from_item(g, R, key, a)} "
                f"group by 1) {g.choice(['', 'as '])}{x} where {x}.{nm} is not null order by 2 desc")
    if v in (1, 2, 3, 8):
        ka, ca, kb, cb = pick_edge(g)
        a, b = R.alias(g, ka), R.alias(g, kb)
        cols = ", ".join(sel_list(g, R, a, ka, 3))
        if v == 1:
            cond = f"{R.c(a, ca)} in (select {R.c(b, cb)} from {from_item(g, R, kb, b)} where {pred(g, R, b, kb)})"
        elif v == 2:
            cond = f"exists (select 1 from {from_item(g, R, kb, b)} where {R.c(b, cb)} = {R.c(a, ca)} and {pred(g, R, b, kb)})"
        elif v == 3:
            cond = f"not exists (select 1 from {from_item(g, R, kb, b)} where {R.c(b, cb)} = {R.c(a, ca)})"
        else:
            op = g.choice(["not in", "= any"])
            R.exclude("bigquery", "databricks") if op == "= any" else None
            inner = f"select {R.c(b, cb)} from {from_item(g, R, kb, b)} where {R.c(b, cb)} is not null"
            cond = f"{R.c(a, ca)} {op} ({inner})"
        return f"select {cols} from {from_item(g, R, ka, a)} where {cond}"
    if v == 4:
        key = pick(g, "amt")
        a = R.alias(g, key)
        amt = role(key, "amt")
        if g.random() < 0.5:
            inner_t = from_item(g, R, key, R.alias(g, key))
            inner = f"select avg({R.q(amt)}) from {inner_t}"
        else:
            k2 = pick(g, "amt")
            inner = f"select {g.choice(['avg', 'max', 'min'])}({R.q(role(k2, 'amt'))}) from {R.t(k2)}"
        return f"select {', '.join(sel_list(g, R, a, key, 3))} from {from_item(g, R, key, a)} where {R.c(a, amt)} > ({inner})"
    if v == 5:
        ka, ca, kb, cb = pick_edge(g)
        a, b = R.alias(g, ka), R.alias(g, kb)
        fn = "count(*)" if "amt" not in ROLES[kb] or g.random() < 0.5 else f"sum({R.c(b, role(kb, 'amt'))})"
        return (f"select {', '.join(sel_list(g, R, a, ka, 2))}, (select {fn} from {from_item(g, R, kb, b)} where {R.c(b, cb)} = {R.c(a, ca)}) "
                f"as related_{g.choice(['count', 'total', 'n'])} from {from_item(g, R, ka, a)}")
    if v == 6:
        key = pick(g, "cat", "amt")
        k2 = pick(g, "amt")
        a = R.alias(g, key)
        return (f"select {R.c(a, role(key, 'cat'))}, sum({R.c(a, role(key, 'amt'))}) as total from {from_item(g, R, key, a)} group by 1 "
                f"having sum({R.c(a, role(key, 'amt'))}) > (select avg({R.q(role(k2, 'amt'))}) from {R.t(k2)})")
    if v == 7 or v == 10:
        return in_subquery(g, R, g.choice([2, 3, 3, 4]))
    # v == 9: join to an aggregated subquery
    ka, ca, kb, cb = pick_edge(g)
    a = R.alias(g, ka)
    b = R.alias(g, kb)
    x = g.choice(["agg", "stats", "s", "per_key"])
    jt = g.choice(["join", "left join"])
    inner = f"select {R.c(b, cb)} as k, count(*) as n_rows from {from_item(g, R, kb, b)} group by {R.c(b, cb)}"
    return f"select {', '.join(sel_list(g, R, a, ka, 2))}, {x}.n_rows from {from_item(g, R, ka, a)} {jt} ({inner}) {x} on {x}.k = {R.c(a, ca)}"


def setop_branch(g, R, key, paren=False) -> str:
    a = R.alias(g, key) if g.random() < 0.5 else None
    sql = f"select {R.c(a, int_key(key))} as id, {R.c(a, role(key, 'cat'))} as label from {from_item(g, R, key, a)}"
    if g.random() < 0.5:
        sql += f" where {pred(g, R, a, key)}"
    if paren:
        sql = f"({sql})"
    return sql


def b_setop(g, R) -> str:
    pool = tables_with("cat")
    pool = [k for k in pool if "cust" in ROLES[k] or ("id" in ROLES[k] and ctype(k, role(k, "id")) == "int")]
    n = g.choice([2, 2, 2, 3, 3, 4])
    keys = [g.choice(pool) for _ in range(n)]
    paren = g.random() < 0.25
    ops = [R.setop(g.choice(["union", "union all", "union all", "intersect", "except"])) for _ in range(n - 1)]
    sql = setop_branch(g, R, keys[0], paren)
    for op, k in zip(ops, keys[1:]):
        sql += f" {op} {setop_branch(g, R, k, paren)}"
    v = g.randrange(4)
    if v == 1:
        sql += f" order by {g.choice(['1', '2', 'label', 'id desc'])}" + f" limit {g.choice([10, 50, 100])}"
    elif v == 2:
        u = g.choice(["u", "unioned", "all_rows"])
        sql = f"select label, count(*) as n from ({sql}) {u} group by label"
    elif v == 3:
        sql = f"with combined as ({sql}) select * from combined where id is not null"
    return sql


def b_case(g, R) -> str:
    key = pick(g, "cat", "amt")
    a = R.alias(g, key) if g.random() < 0.7 else None
    cat, amt = R.c(a, role(key, "cat")), R.c(a, role(key, "amt"))
    vals = CATVALS.get(role(key, "cat"), ["x", "y", "z"])
    v = g.randrange(7)
    if v == 3 and not has_time(key):
        v = 0
    frm = from_item(g, R, key, a) if v != 6 else ""
    if v == 0:
        e = f"case when {amt} >= 1000 then 'large' when {amt} >= 100 then 'medium' when {amt} is null then 'unknown' else 'small' end as size_bucket"
        return f"select {', '.join(sel_list(g, R, a, key, 2))}, {e} from {frm}"
    if v == 1:
        whens = " ".join(f"when {R.s(x)} then {i + 1}" for i, x in enumerate(vals[:3]))
        return f"select {cat}, case {cat} {whens} else 0 end as sort_key from {frm} order by 2"
    if v == 2:
        e = (f"case when {cat} = {R.s(vals[0])} then case when {amt} > 100 then 'big_{nice(vals[0])}' else 'small_{nice(vals[0])}' end "
             f"when {cat} is null then null else 'other' end as segment")
        return f"select {e}, count(*) as n from {frm} group by 1"
    if v == 3:
        cols = ", ".join(f"sum(case when {cat} = {R.s(x)} then {amt} else 0 end) as {nice(x)}_total" for x in vals[:g.randint(2, 4)])
        col, kind = time_col(key)
        tr = R.trunc("month", R.c(a, col), kind)
        return f"select {tr} as month, {cols} from {frm} group by 1 order by 1"
    if v == 4:
        e = f"case when {cat} in ({', '.join(R.s(x) for x in vals[:2])}) then 1 else 2 end"
        return f"select {', '.join(sel_list(g, R, a, key, 3))} from {frm} where {e} = 1 order by {e}, {amt} desc"
    if v == 5:
        e = f"case when {amt} > 500 then {amt} * 0.9 else {amt} end"
        return f"select {cat}, sum({e}) as discounted_total, avg(case when {cat} is not null then 1.0 else 0 end) as cat_fill_rate from {frm} group by 1"
    # CASE with a subquery reading another table
    ka, ca, kb, cb = pick_edge(g, lambda e: "cat" in ROLES[e[0]] and "amt" in ROLES[e[0]])
    b = R.alias(g, kb)
    a2 = R.alias(g, ka)
    return (f"select {', '.join(sel_list(g, R, a2, ka, 2))}, case when exists (select 1 from {from_item(g, R, kb, b)} where {R.c(b, cb)} = {R.c(a2, ca)}) "
            f"then 'has_match' else 'orphan' end as match_status from {from_item(g, R, ka, a2)}")


def cte_name(key) -> str:
    n = nice(key[1])
    for pre in ("stg_", "fct_", "dim_"):
        if n.startswith(pre):
            n = n[len(pre):]
    if n in RESERVED:
        n += "s"
    return n


def b_cte(g, R) -> str:
    v = g.randrange(6)
    form = g.choice(["auto", "auto", "dbt", "dbt", "three"])
    if v in (0, 1):  # dbt staging model
        key = pick(g)
        cols = pick_cols(g, key, g.randint(3, 6), SCALAR + ("json",))
        single = cte_name(key).rstrip("s")
        ren, seen = [], set()
        for c in cols:
            new = f"{single}_id" if c == "id" else ("customer_id" if c == "user_id" else nice(c))
            if new in seen or new == "":
                new = f"{nice(c)}_{len(seen)}"
            seen.add(new)
            ren.append(R.q(c) + ("" if new == c else f" as {new}"))
        sql = f"with source as (select * from {R.t(key, form=form)}), renamed as (select {', '.join(ren)} from source"
        if g.random() < 0.5:
            sql += f" where {pred(g, R, None, key)}"
        sql += ")"
        if v == 1:
            sql += f", final as (select *, {R.now()} as dbt_loaded_at from renamed) select * from final"
        else:
            sql += " select * from renamed"
        return sql
    if v == 2:  # two sources, aggregate, left join
        child, ccol, parent, pcol = pick_edge(g, lambda e: "amt" in ROLES[e[0]] and e[0] != e[2])
        pn, cn = cte_name(parent), cte_name(child)
        if cn == pn:
            cn = cn + "_src"
        amt = R.q(role(child, "amt"))
        sql = (f"with {pn} as (select * from {R.t(parent, form=form)}), {cn} as (select * from {R.t(child, form=form)}), "
               f"{cn}_summary as (select {R.q(ccol)}, count(*) as child_count, sum({amt}) as child_total from {cn} group by {R.q(ccol)}), "
               f"final as (select {pn}.*, coalesce({cn}_summary.child_count, 0) as child_count, {cn}_summary.child_total "
               f"from {pn} left join {cn}_summary on {cn}_summary.{R.q(ccol)} = {pn}.{R.q(pcol)}) select * from final")
        return sql
    if v == 3:  # several CTEs joined in final
        path = edge_walk(g, g.randint(1, 3))
        keys = [path[0][0]] + [p[2] for p in path]
        names = []
        parts = []
        for k in keys:
            nm = cte_name(k)
            while nm in names:
                nm += "_2"
            names.append(nm)
            body = f"select * from {R.t(k, form=form)}"
            if g.random() < 0.4:
                body += f" where {pred(g, R, None, k)}"
            parts.append(f"{nm} as ({body})")
        cols = [f"{names[0]}.{R.q(c)} as {names[0]}_{nice(c)}" for c in pick_cols(g, keys[0], 2)]
        frm = names[0]
        for i, (ka, ca, kb, cb) in enumerate(path):
            jt = g.choice(["join", "left join", "inner join"])
            frm += f" {jt} {names[i + 1]} on {names[i + 1]}.{R.q(cb)} = {names[i]}.{R.q(ca)}"
            cols += [f"{names[i + 1]}.{R.q(c)} as {names[i + 1]}_{nice(c)}" for c in pick_cols(g, kb, 1)]
        return f"with {', '.join(parts)}, final as (select {', '.join(cols)} from {frm}) select * from final"
    if v == 4:  # CTE used twice + chained CTE
        key = pick(g, "cust", "amt")
        cust, amt = R.q(role(key, "cust")), R.q(role(key, "amt"))
        hint = ""
        if g.random() < 0.3:
            R.only("postgres")
            hint = g.choice(["materialized ", "not materialized "])
        return (f"with base as {hint}(select {cust} as customer_id, {amt} as amount from {R.t(key, form=form)}), "
                f"totals as (select customer_id, sum(amount) as total from base group by 1) "
                f"select b.customer_id, b.amount, t.total, b.amount / nullif(t.total, 0) as share from base b join totals t on t.customer_id = b.customer_id")
    # column-list CTE
    R.exclude("bigquery")
    key = pick(g, "cat")
    return (f"with counts(label, n) as (select {R.q(role(key, 'cat'))}, count(*) from {R.t(key, form=form)} group by 1) "
            f"select label, n, n * 100.0 / sum(n) over () as pct from counts order by n desc")


SELECT_BUILDERS = [(b_simple, 3), (b_star, 1), (b_agg, 3), (b_join, 3), (b_subq, 2), (b_window, 2), (b_setop, 1), (b_case, 1), (b_cte, 2)]
SAFE_BODIES = [(b_simple, 3), (b_agg, 3), (b_window, 2), (b_setop, 1), (b_case, 1), (b_cte, 2)]


def any_select(g, R, builders=SELECT_BUILDERS) -> str:
    fn = g.choices([b for b, _ in builders], [w for _, w in builders])[0]
    return fn(g, R)


# ============================================================================ DML builders
def _div100(R, e):
    return f"{e} / 100.0"


# target, source, [(target column, source expression with {a} for the source alias)]
MAPPINGS = [
    (("staging", "stg_orders"), ("raw", "orders"), [("order_id", "{a}.id"), ("customer_id", "{a}.user_id"), ("order_date", "{a}.order_date"),
                                                  ("status", "lower({a}.status)"), ("amount", "{a}.amount_cents / 100.0"), ("currency", "upper({a}.currency)"),
                                                  ("created_at", "{a}.created_at")]),
    (("staging", "stg_customers"), ("raw", "customers"), [("customer_id", "{a}.id"), ("first_name", "{a}.first_name"), ("last_name", "{a}.last_name"),
                                                        ("full_name", "{a}.first_name || ' ' || {a}.last_name"), ("email", "lower({a}.email)"),
                                                        ("country", "{a}.country"), ("created_at", "{a}.created_at")]),
    (("staging", "stg_payments"), ("raw", "payments"), [("payment_id", "{a}.id"), ("order_id", "{a}.order_id"), ("payment_method", "{a}.payment_method"),
                                                      ("amount", "{a}.amount_cents / 100.0"), ("status", "{a}.status"), ("created_at", "{a}.created_at")]),
    (("staging", "stg_events"), ("raw", "events"), [("event_id", "{a}.event_id"), ("user_id", "{a}.user_id"), ("session_id", "{a}.session_id"),
                                                  ("event_name", "{a}.event_name"), ("event_ts", "{a}.event_ts"), ("event_date", "CAST({a}.event_ts AS date)")]),
    (("staging", "stg_sessions"), ("raw", "sessions"), [("session_id", "{a}.session_id"), ("user_id", "{a}.user_id"), ("started_at", "{a}.started_at"),
                                                      ("ended_at", "{a}.ended_at"), ("session_date", "CAST({a}.started_at AS date)"), ("device", "{a}.device"),
                                                      ("channel", "coalesce({a}.utm_medium, 'direct')")]),
    (("marts", "orders"), ("staging", "stg_orders"), [("order_id", "{a}.order_id"), ("customer_id", "{a}.customer_id"), ("order_date", "{a}.order_date"),
                                                    ("status", "{a}.status"), ("amount", "{a}.amount"), ("currency", "{a}.currency")]),
    (("marts", "fct_revenue"), ("marts", "orders"), [("order_id", "{a}.order_id"), ("revenue_date", "{a}.order_date"), ("customer_id", "{a}.customer_id"),
                                                   ("gross_revenue", "{a}.amount"), ("net_revenue", "{a}.amount"), ("currency", "{a}.currency")]),
    (("finance", "invoices"), ("raw", "invoices"), [("invoice_id", "{a}.id"), ("customer_id", "{a}.customer_id"), ("subscription_id", "{a}.subscription_id"),
                                                  ("amount", "{a}.amount_cents / 100.0"), ("currency", "{a}.currency"), ("status", "{a}.status"),
                                                  ("issued_date", "CAST({a}.issued_at AS date)"), ("due_date", "CAST({a}.due_at AS date)")]),
    (("finance", "revenue_recognition"), ("finance", "invoices"), [("invoice_id", "{a}.invoice_id"), ("customer_id", "{a}.customer_id"),
                                                                 ("recognized_month", "{a}.issued_date"), ("amount", "{a}.amount"), ("currency", "{a}.currency")]),
    (("marts", "fct_sessions"), ("staging", "stg_sessions"), [("session_id", "{a}.session_id"), ("user_id", "{a}.user_id"), ("session_date", "{a}.session_date"),
                                                            ("channel", "{a}.channel"), ("pageviews", "0")]),
    (("public", "events"), ("raw", "events"), [("user_id", "{a}.user_id"), ("name", "{a}.event_name"), ("ts", "{a}.event_ts")]),
    (("marts", "dim_products"), ("raw", "products"), [("product_id", "{a}.id"), ("sku", "{a}.sku"), ("product_name", "{a}.name"),
                                                    ("category", "{a}.category"), ("price", "{a}.price_cents / 100.0"), ("is_active", "{a}.is_active")]),
    (("Marketing", "channel_mapping"), ("raw", "sessions"), [("utm_source", "{a}.utm_source"), ("utm_medium", "{a}.utm_medium"),
                                                           ("channel", "coalesce({a}.utm_campaign, 'unknown')")]),
    (("public", "order"), ("raw", "orders"), [("select", "{a}.id"), ("group", "{a}.status"), ("from", "{a}.order_date"),
                                             ("amount", "{a}.amount_cents / 100.0"), ("customer_id", "{a}.user_id")]),
    (("public", "users"), ("raw", "customers"), [("id", "{a}.id"), ("email", "{a}.email"), ("name", "{a}.first_name"), ("created_at", "{a}.created_at")]),
    (("marts", "customers"), ("staging", "stg_customers"), [("customer_id", "{a}.customer_id"), ("first_name", "{a}.first_name"),
                                                          ("last_name", "{a}.last_name"), ("email", "{a}.email"), ("country", "{a}.country")]),
]


def mapping_exprs(R, m, a) -> list[str]:
    out = []
    for _, e in m[2]:
        x = e.replace("{a}.", f"{a}." if a else "")
        if R.d in ("bigquery", "databricks"):
            x = x.replace("CAST(", "cast(").replace("' '", "' '")
        out.append(x)
    return out


def pick_mapping(g, pool=None):
    ms = [m for m in MAPPINGS if POOL is None or m[0] in POOL]
    return g.choice(ms)


def b_insert_select(g, R) -> str:
    m = pick_mapping(g)
    tgt, src, cols = m
    a = R.alias(g, src) if g.random() < 0.7 else None
    tcols = ", ".join(R.q(c) for c, _ in cols)
    exprs = mapping_exprs(R, m, a)
    v = g.randrange(8)
    tref = R.t(tgt, "w")
    if v == 5:  # WITH before INSERT (PostgreSQL) / inside it (others)
        body = f"select {', '.join(mapping_exprs(R, m, 'src'))} from src"
        inner = f"src as (select * from {R.t(src)} where {pred(g, R, None, src)})"
        if R.d in ("postgres", "duckdb"):
            return f"with {inner} insert into {tref} ({tcols}) {body}"
        return f"insert into {tref} ({tcols}) with {inner} {body}"
    if v == 7:  # self-copy of the target (backfill / dedupe)
        t2 = R.alias(g, tgt)
        return f"insert into {tref} select * from {from_item(g, R, tgt, t2)} where {pred(g, R, t2, tgt)}"
    sel = f"select {', '.join(exprs)} from {from_item(g, R, src, a)}"
    if v == 0:
        return f"insert into {tref} ({tcols}) {sel}"
    if v == 1:
        return f"insert into {tref} ({tcols}) {sel} where {preds(g, R, a, src)}"
    if v == 2:  # incremental: reads the target too
        tcol, kind = time_col(tgt) if ("date" in ROLES[tgt] or "ts" in ROLES[tgt]) else (None, None)
        scol = dict(cols).get(tcol) if tcol else None
        if scol:
            scol = scol.replace("{a}.", f"{a}." if a else "")
            t2 = R.alias(g, tgt, "this")
            return f"insert into {tref} ({tcols}) {sel} where {scol} > (select coalesce(max({R.c(t2, tcol)}), {R.date('1900-01-01') if kind == 'date' else R.cast(R.s('1900-01-01'), 'timestamp')}) from {from_item(g, R, tgt, t2)})"
        return f"insert into {tref} ({tcols}) {sel} where {preds(g, R, a, src, 1)}"
    if v == 3:  # extra table via semi join
        cands = [e for e in edges() if e[0] == src or e[2] == src]
        if cands and a:
            e = g.choice(cands)
            ka, ca, kb, cb = e if e[0] == src else (e[2], e[3], e[0], e[1])
            b = R.alias(g, kb)
            return (f"insert into {tref} ({tcols}) {sel} where exists (select 1 from {from_item(g, R, kb, b)} "
                    f"where {R.c(b, cb)} = {R.c(a, ca)})")
        return f"insert into {tref} ({tcols}) {sel}"
    if v == 4:
        R.only("postgres", "duckdb")
        tail = g.choice([" on conflict do nothing", " returning *", f" returning {R.q(cols[0][0])}"])
        if tail == " on conflict do nothing":
            R.only("postgres")
        return f"insert into {tref} ({tcols}) {sel}{tail}"
    # v == 6: union of two sources
    a2 = R.alias(g, src)
    sel2 = f"select {', '.join(mapping_exprs(R, m, a2))} from {from_item(g, R, src, a2)} where {pred(g, R, a2, src)}"
    return f"insert into {tref} ({tcols}) {sel} where {pred(g, R, a, src)} union all {sel2}"


def lit_for(g, R, fam: str, col: str) -> str:
    if fam == "int":
        return str(g.randint(1, 99999))
    if fam == "num":
        return f"{g.randint(1, 999)}.{g.randint(0, 99):02d}"
    if fam == "date":
        return R.date(f"2024-{g.randint(1, 12):02d}-{g.randint(1, 28):02d}")
    if fam == "ts":
        lit = f"2024-{g.randint(1, 12):02d}-{g.randint(1, 28):02d} {g.randint(0, 23):02d}:{g.randint(0, 59):02d}:00"
        return f"timestamp '{lit}'"
    if fam == "bool":
        return g.choice(["true", "false"])
    vals = CATVALS.get(col) or ["Ana", "O'Brien", "acme", "ops@acme.com", "n/a", "Zoë"]
    return R.s(g.choice(vals))


VALUES_TABLES = [("raw", "customers"), ("finance", "fx_rates"), ("public", "users"), ("finance", "gl_accounts"), ("public", "customers"),
                 ("public", "page_views"), ("public", "group"), ("public", "order"), ("Marketing", "Campaign Spend"), ("Marketing", "AdClicks"),
                 ("raw", "payments"), ("staging", "stg_payments"), ("marts", "dim_date")]


def b_insert_values(g, R) -> str:
    key = g.choice([k for k in VALUES_TABLES if POOL is None or k in POOL])
    allc = [(c, family(t)) for c, t in COLS[key]]
    v = g.randrange(6)
    if v in (0, 1):
        cols = allc if v == 0 else g.sample(allc, g.randint(2, len(allc)))
        if v == 1:
            cols = [c for c in allc if c in cols]
        rows = [f"({', '.join(lit_for(g, R, fam, c) for c, fam in cols)})" for _ in range(g.choice([1, 1, 2, 3, 5]))]
        collist = "" if v == 0 and g.random() < 0.5 else f" ({', '.join(R.q(c) for c, _ in cols)})"
        return f"insert into {R.t(key, 'w')}{collist} values {', '.join(rows)}"
    if v == 2:  # scalar subquery inside VALUES reads a table
        ints = [c for c, fam in allc if fam == "int"]
        if not ints:
            return f"insert into {R.t(key, 'w')} ({R.q(allc[0][0])}) values ({lit_for(g, R, allc[0][1], allc[0][0])})"
        c = ints[0]
        R.exclude("bigquery", "databricks", "redshift")
        t = R.t(key, "w")
        sub = f"(select coalesce(max({R.q(c)}), 0) + 1 from {R.t(key)})"
        rest = [x for x in allc if x[0] != c][:2]
        return f"insert into {t} ({R.q(c)}, {', '.join(R.q(x) for x, _ in rest)}) values ({sub}, {', '.join(lit_for(g, R, fam, x) for x, fam in rest)})"
    if v == 3:
        R.only("postgres")
        return f"insert into {R.t(key, 'w')} default values"
    if v == 4:
        R.only("postgres", "duckdb")
        c0 = allc[0][0]
        return f"insert into {R.t(key, 'w')} ({R.q(c0)}) values ({lit_for(g, R, allc[0][1], c0)}) returning {R.q(c0)}"
    # VALUES list through a SELECT
    cols = allc[:2]
    R.exclude("bigquery")
    rows = ", ".join(f"({', '.join(lit_for(g, R, fam, c) for c, fam in cols)})" for _ in range(2))
    return f"insert into {R.t(key, 'w')} ({', '.join(R.q(c) for c, _ in cols)}) select * from (values {rows}) as v(a, b)"


SET_EXPR = {"text": "'{v}'", "int": "0", "num": "0", "bool": "false"}


def set_clause(g, R, tgt, src_alias=None, src_key=None) -> str:
    """One or two assignments to target columns; from the source when types allow."""
    out = []
    tcols = [(c, family(t)) for c, t in COLS[tgt] if family(t) in ("text", "int", "num", "ts", "bool", "date")]
    for c, fam in g.sample(tcols, min(len(tcols), g.randint(1, 2))):
        srcs = [x for x, t in COLS[src_key] if family(t) == fam] if src_key else []
        if srcs and g.random() < 0.7:
            val = R.c(src_alias, g.choice(srcs))
        elif fam == "text":
            val = R.s(g.choice(CATVALS.get(c, ["archived", "n/a"])))
        elif fam in ("int", "num"):
            val = f"{R.q(c)} + 1" if g.random() < 0.5 else "0"
        elif fam == "ts":
            val = R.now()
        elif fam == "date":
            val = "current_date"
        else:
            val = "false"
        out.append(f"{R.q(c)} = {val}")
    return ", ".join(out)


def b_update(g, R) -> str:
    v = g.randrange(7)
    if v in (0, 1):  # UPDATE ... FROM
        R.exclude("databricks")
        tgt, tc, src, sc = pick_edge(g, lambda e: e[0] != e[2])
        t = R.alias(g, tgt) if g.random() < 0.7 else None
        s_ = R.alias(g, src)
        tref = R.t(tgt, "w") + (f" {g.choice(['', 'as '])}{t}" if t else "")
        tname = t or R.q(tgt[1])
        sets = set_clause(g, R, tgt, s_, src)
        where = f"{R.c(s_, sc)} = {tname}.{R.q(tc)}"
        if v == 1:
            where += f" and {pred(g, R, s_, src)}"
        return f"update {tref} set {sets} from {from_item(g, R, src, s_)} where {where}"
    if v == 2:  # correlated scalar subquery in SET
        R.exclude("databricks", "redshift")
        child, ccol, parent, pcol = pick_edge(g, lambda e: e[0] != e[2] and ("qty" in ROLES[e[2]] or "amt" in ROLES[e[2]]))
        t = R.alias(g, parent, "p")
        c = R.alias(g, child)
        target_col = role(parent, "qty") if "qty" in ROLES[parent] else role(parent, "amt")
        fn = "count(*)" if "amt" not in ROLES[child] or ctype(parent, target_col) == "int" else f"sum({R.c(c, role(child, 'amt'))})"
        return (f"update {R.t(parent, 'w')} {t} set {R.q(target_col)} = (select {fn} from {from_item(g, R, child, c)} "
                f"where {R.c(c, ccol)} = {R.c(t, pcol)})" + (f" where {pred(g, R, t, parent)}" if g.random() < 0.6 else " where true"))
    if v == 3:  # WHERE IN subquery
        tgt, tc, src, sc = pick_edge(g)
        s_ = R.alias(g, src)
        return (f"update {R.t(tgt, 'w')} set {set_clause(g, R, tgt)} where {R.q(tc)} in "
                f"(select {R.c(s_, sc)} from {from_item(g, R, src, s_)} where {pred(g, R, s_, src)})")
    if v == 4:  # plain: the target is written, not read
        tgt = pick(g)
        t = R.alias(g, tgt) if g.random() < 0.4 else None
        tref = R.t(tgt, "w") + (f" {t}" if t else "")
        return f"update {tref} set {set_clause(g, R, tgt)} where {pred(g, R, t, tgt)}"
    if v == 5:  # FROM with a join of two sources
        R.exclude("databricks")
        (k1, c1, k2, c2), (_, c2b, k3, c3) = edge_walk(g, 2)
        t = R.alias(g, k1, "tgt")
        b, c = R.alias(g, k2), R.alias(g, k3)
        return (f"update {R.t(k1, 'w')} as {t} set {set_clause(g, R, k1, c, k3)} from {from_item(g, R, k2, b)} join {from_item(g, R, k3, c)} "
                f"on {R.c(c, c3)} = {R.c(b, c2b)} where {R.c(b, c2)} = {R.c(t, c1)}")
    # reads the target again in a subquery
    R.exclude("databricks", "redshift")
    tgt = pick(g, "amt")
    amt = R.q(role(tgt, "amt"))
    t2 = R.alias(g, tgt, "x")
    tail = " returning *" if g.random() < 0.3 else ""
    if tail:
        R.only("postgres", "duckdb")
    return f"update {R.t(tgt, 'w')} set {amt} = {amt} * 1.1 where {amt} < (select avg({R.c(t2, role(tgt, 'amt'))}) from {from_item(g, R, tgt, t2)}){tail}"


def b_delete(g, R) -> str:
    v = g.randrange(7)
    if v in (0, 1):  # USING
        R.only("postgres", "snowflake", "redshift", "duckdb")
        tgt, tc, src, sc = pick_edge(g, lambda e: e[0] != e[2])
        t, s_ = R.alias(g, tgt), R.alias(g, src)
        extra = f" and {pred(g, R, s_, src)}" if v == 1 else ""
        return f"delete from {R.t(tgt, 'w')} {g.choice(['', 'as '])}{t} using {from_item(g, R, src, s_)} where {R.c(s_, sc)} = {R.c(t, tc)}{extra}"
    if v == 2:
        tgt, tc, src, sc = pick_edge(g)
        s_ = R.alias(g, src)
        return f"delete from {R.t(tgt, 'w')} where {R.q(tc)} in (select {R.c(s_, sc)} from {from_item(g, R, src, s_)} where {pred(g, R, s_, src)})"
    if v == 3:
        tgt, tc, src, sc = pick_edge(g, lambda e: e[0] != e[2])
        t, s_ = R.alias(g, tgt), R.alias(g, src)
        return f"delete from {R.t(tgt, 'w')} {t} where not exists (select 1 from {from_item(g, R, src, s_)} where {R.c(s_, sc)} = {R.c(t, tc)})"
    if v == 4:  # plain delete: nothing read
        tgt = pick(g)
        return f"delete from {R.t(tgt, 'w')} where {preds(g, R, None, tgt)}"
    if v == 5:  # dbt delete+insert incremental: delete the window present in the source
        tgt = pick(g, "date")
        src = pick(g, "date")
        return (f"delete from {R.t(tgt, 'w')} where {R.q(role(tgt, 'date'))} >= (select min({R.q(role(src, 'date'))}) from {R.t(src)})")
    R.only("postgres", "duckdb")
    tgt = pick(g)
    return f"delete from {R.t(tgt, 'w')} where {pred(g, R, None, tgt)} returning *"


def b_merge(g, R) -> str:
    m = pick_mapping(g)
    tgt, src, cols = m
    key = cols[0][0]
    t = R.alias(g, tgt, "t")
    s_ = R.alias(g, src, "s")
    v = g.randrange(5)
    bare_merge = g.random() < 0.5
    into = "merge" if R.d == "bigquery" and bare_merge else "merge into"
    exprs = mapping_exprs(R, m, "src")
    if v == 0:
        using = f"(select {', '.join(f'{e} as {R.q(c)}' for e, (c, _) in zip(exprs, cols))} from {from_item(g, R, src, 'src')}) {s_}"
    elif v == 1:
        using = (f"(select {', '.join(f'{e} as {R.q(c)}' for e, (c, _) in zip(exprs, cols))} from {from_item(g, R, src, 'src')} "
                 f"where {pred(g, R, 'src', src)}) as {s_}")
    elif v == 2:  # source joins another table
        cands = [e for e in EDGES if (e[0] == src or e[2] == src) and e[0] != e[2]]
        e = g.choice(cands)
        ka, ca, kb, cb = e if e[0] == src else (e[2], e[3], e[0], e[1])
        using = (f"(select {', '.join(f'{e_} as {R.q(c)}' for e_, (c, _) in zip(exprs, cols))} from {from_item(g, R, src, 'src')} "
                 f"join {from_item(g, R, kb, 'j')} on j.{R.q(cb)} = src.{R.q(ca)}) {s_}")
    elif v == 3:
        using = (f"(select {', '.join(f'{e} as {R.q(c)}' for e, (c, _) in zip(exprs, cols))} from {from_item(g, R, src, 'src')} "
                 f"where {pred(g, R, 'src', src)}) {s_}")
    else:
        using = (f"(select {', '.join(f'{e} as {R.q(c)}' for e, (c, _) in zip(exprs, cols))} from {from_item(g, R, src, 'src')}) {s_}")
    upd = ", ".join(f"{R.q(c)} = {s_}.{R.q(c)}" for c, _ in cols[1:][:g.randint(1, max(1, len(cols) - 1))])
    ins_c = ", ".join(R.q(c) for c, _ in cols)
    ins_v = ", ".join(f"{s_}.{R.q(c)}" for c, _ in cols)
    sql = f"{into} {R.t(tgt, 'w')} {g.choice(['', 'as '])}{t} using {using} on {t}.{R.q(key)} = {s_}.{R.q(key)}"
    w = g.randrange(4)
    if w == 0:
        sql += f" when matched then update set {upd} when not matched then insert ({ins_c}) values ({ins_v})"
    elif w == 1:
        sql += f" when matched and {s_}.{R.q(key)} is null then delete when matched then update set {upd} when not matched then insert ({ins_c}) values ({ins_v})"
    elif w == 2:
        sql += f" when not matched then insert ({ins_c}) values ({ins_v})"
    else:
        R.only("postgres")
        sql += f" when matched then do nothing when not matched then insert ({ins_c}) values ({ins_v})"
    return sql


NEW_TABLES = [("staging", "tmp_orders_daily"), ("marts", "customer_ltv"), ("marts", "orders_enriched"), ("marts", "rpt_revenue_by_month"),
              ("marts", "weekly_active_users"), ("finance", "churn_cohorts"), ("finance", "payments_summary"), ("staging", "snapshot_orders_2024"),
              ("public", "scratch_ana"), ("public", "tmp_export"), ("Marketing", "Campaign Summary"), ("marts", "rpt_kpis")]


def new_table(g):
    ks = [k for k in NEW_TABLES if POOL is None or k[0] == "public"]
    return g.choice(ks)


def b_ctas(g, R) -> tuple[str, str]:
    tgt = new_table(g)
    v = g.randrange(8)
    if v == 0:  # SELECT INTO
        R.only("postgres", "redshift")
        key = pick(g)
        a = R.alias(g, key)
        cols = sel_list(g, R, a, key, 3, rename=0)
        tref = R.t(tgt, "w")
        return "ctas", f"select {', '.join(cols)} into {tref} from {from_item(g, R, key, a)} where {pred(g, R, a, key)}"
    if v == 1:
        R.only("postgres")
        tref = R.t(tgt, "w")
        return "ctas", f"create table {tref} as table {R.t(pick(g))}"
    d = R.d
    head_choices = {
        "postgres": ["create table", "create table if not exists", "create unlogged table", "create table"],
        "snowflake": ["create or replace table", "create or replace transient table", "create table if not exists", "create table"],
        "bigquery": ["create or replace table", "create table if not exists", "create table", "create or replace table"],
        "redshift": ["create table", "create table if not exists", "create table", "create table"],
        "databricks": ["create or replace table", "create table if not exists", "create table", "create or replace table"],
        "duckdb": ["create or replace table", "create table if not exists", "create table", "create table"],
    }
    hv = g.randrange(4)
    tref = R.t(tgt, "w")
    head = head_choices[d][hv] + f" {tref}"
    if d == "databricks" and hv == 2:
        head += " using delta"
    body = any_select(g, R, SAFE_BODIES)
    if g.random() < 0.3:
        body = f"({body})"
    tail = ""
    if v == 7:
        R.only("postgres")
        tail = " with no data"
    return "ctas", f"{head} as {body}{tail}"


VIEW_NAMES = [("marts", "v_orders"), ("marts", "v_active_customers"), ("staging", "v_sessions_clean"), ("finance", "v_open_invoices"),
              ("public", "v_users"), ("marts", "v_revenue_daily"), ("Marketing", "v_Campaign ROI"), ("finance", "mv_ledger_summary")]


def b_view(g, R) -> tuple[str, str]:
    ks = [k for k in VIEW_NAMES if POOL is None or k[0] == "public"]
    tgt = g.choice(ks)
    v = g.randrange(6)
    d = R.d
    tref = R.t(tgt, "w")
    if v == 0:
        R.exclude("duckdb")
        head = f"create materialized view {tref}"
        if d in ("snowflake", "bigquery", "databricks"):
            head = f"create materialized view if not exists {tref}" if d != "databricks" else f"create or replace materialized view {tref}"
    elif v in (1, 2):
        head = f"create or replace view {tref}"
        if d == "snowflake" and v == 2:
            head = f"create or replace secure view {tref}"
    else:
        head = f"create view {tref}"
    body = any_select(g, R, SAFE_BODIES)
    return "view", f"{head} as {body}"


# ============================================================================ shape templates
def simple_tpl(shape, builder, weight=1.0):
    def fn(g, R):
        R.stmt("explain", builder(g, R))
    fn.__name__ = f"t_{shape}_{builder.__name__}"
    tpl(shape, weight)(fn)


for _shape, _b in [("select_simple", b_simple), ("select_star", b_star), ("aggregate", b_agg), ("join", b_join), ("subquery", b_subq),
                   ("window", b_window), ("setop", b_setop), ("case_expr", b_case), ("cte", b_cte), ("insert_select", b_insert_select),
                   ("insert_values", b_insert_values), ("update_from", b_update), ("delete_using", b_delete), ("merge", b_merge)]:
    simple_tpl(_shape, _b)


@tpl("ctas")
def t_ctas(g, R):
    R.stmt(*b_ctas(g, R))


@tpl("create_view")
def t_view(g, R):
    R.stmt(*b_view(g, R))


@tpl("lateral")
def t_lateral(g, R):
    v = g.randrange(9)
    if v <= 2:
        parent, pcol, child, ccol = pick_edge(g, lambda e: e[0] != e[2] and ("ts" in ROLES[e[2]] or "date" in ROLES[e[2]]))
        p, c = R.alias(g, parent), R.alias(g, child)
        x = g.choice(["latest", "x", "lat", "recent", "last_n"])
        tcol, _ = time_col(child)
        pfrom = from_item(g, R, parent, p)
        if v == 2:
            R.only("postgres", "snowflake", "duckdb")
            inner = f"select count(*) as n, max({R.c(c, tcol)}) as last_at from {from_item(g, R, child, c)} where {R.c(c, ccol)} = {R.c(p, pcol)}"
            join = f", lateral ({inner}) {x}" if g.random() < 0.5 else f" cross join lateral ({inner}) {x}"
        else:
            R.only("postgres", "duckdb")
            inner = (f"select {', '.join(sel_list(g, R, c, child, 2, rename=0))} from {from_item(g, R, child, c)} where {R.c(c, ccol)} = {R.c(p, pcol)} "
                     f"order by {R.c(c, tcol)} desc limit {g.choice([1, 3, 5])}")
            join = f" cross join lateral ({inner}) {x}" if v == 0 else f" left join lateral ({inner}) {x} on true"
        return R.stmt("explain", f"select {', '.join(sel_list(g, R, p, parent, 2, rename=0))}, {x}.* from {pfrom}{join}")
    R.only("postgres", "duckdb") if v == 6 else R.only("postgres")
    if v in (3, 4, 8):
        key = g.choice(tables_with("items"))
        e = R.alias(g, key)
        items = R.c(e, role(key, "items"))
        ident = R.c(e, ROLES[key].get("sid") or ROLES[key].get("id"))
        frm = from_item(g, R, key, e)
        if v == 3:
            it = g.choice(["item", "li", "elem"])
            lat = g.choice([f"cross join lateral jsonb_array_elements({items}) as {it}", f", jsonb_array_elements({items}) {it}",
                            f", lateral jsonb_array_elements({items}) as {it}"])
            lat = lat if lat.startswith(",") else " " + lat
            return R.stmt("explain", f"select {ident}, {it}->>'sku' as sku, ({it}->>'qty')::int as qty from {frm}{lat}")
        if v == 4:
            return R.stmt("explain", f"select {ident}, it.pos, it.item ->> 'sku' as sku from {frm} cross join lateral jsonb_array_elements({items}) "
                                     f"with ordinality as it(item, pos) where it.pos <= 3")
        dp = R.alias(g, ("marts", "dim_products"), "dp")
        return R.stmt("explain", f"select {ident}, li.sku, li.qty, {dp}.product_name from {frm} cross join lateral jsonb_to_recordset({items}) "
                                 f"as li(sku text, qty int, price numeric) left join {from_item(g, R, ('marts', 'dim_products'), dp)} on {dp}.sku = li.sku")
    if v in (5, 7):
        key = g.choice(tables_with("json"))
        e = R.alias(g, key)
        js = R.c(e, role(key, "json"))
        frm = from_item(g, R, key, e)
        if v == 5:
            return R.stmt("explain", f"select kv.key, count(*) as n from {frm} cross join lateral jsonb_each_text({js}) as kv(key, value) group by kv.key order by n desc")
        return R.stmt("explain", f"select {ident_of(R, e, key)}, k from {frm}, lateral jsonb_object_keys({js}) as k where k not like '\\_%'")
    key = g.choice(tables_with("arr"))
    p = R.alias(g, key)
    return R.stmt("explain", f"select {R.c(p, role(key, 'name'))}, tag from {from_item(g, R, key, p)} cross join lateral unnest({R.c(p, role(key, 'arr'))}) as tag")


def ident_of(R, a, key):
    r = ROLES[key]
    return R.c(a, r.get("sid") or r.get("id") or r.get("cust") or r["cat"])


@tpl("cte_shadow")
def t_cte_shadow(g, R):
    v = g.randrange(11)
    shadow = g.choice(["orders", "customers", "users", "events", "page_views"])
    real_public = ("public", shadow)
    others = {"orders": [("raw", "orders"), ("marts", "orders"), ("staging", "stg_orders")], "customers": [("raw", "customers"), ("marts", "customers"), ("staging", "stg_customers")],
              "users": [("raw", "customers"), ("public", "customers")], "events": [("raw", "events"), ("staging", "stg_events")],
              "page_views": [("raw", "events"), ("public", "events")]}[shadow]
    src = g.choice(others)
    if v == 0:
        return R.stmt("explain", f"with {shadow} as (select * from {R.t(src)} where {pred(g, R, None, src)}) select * from {shadow}")
    if v == 1:
        n = g.choice(["n", "cnt"])
        return R.stmt("explain", f"with {shadow} as (select * from {R.t(src)}) select 'cte' as src, count(*) as {n} from {shadow} "
                                 f"union all select 'table', count(*) from {R.t(real_public, form=g.choice(['two', 'three']))}")
    if v == 2:  # shadow ends with its subquery
        return R.stmt("explain", f"select a.n, b.m from (with {shadow} as (select * from {R.t(src)}) select count(*) as n from {shadow}) a "
                                 f"cross join (select count(*) as m from {R.t(real_public, form='bare')}) b")
    if v == 3:  # a non-recursive CTE cannot see itself: the inner name is the real table
        R.only("postgres")
        cat = role(real_public, "cat") if "cat" in ROLES[real_public] else "id"
        return R.stmt("explain", f"with {shadow} as (select * from {R.t(real_public, form='bare')} where {R.q(cat)} is not null) select * from {shadow}")
    if v == 4:  # no table at all
        return R.stmt("explain", f"with {shadow} as (select 1 as id, 'x' as name) select * from {shadow}")
    if v == 5:  # inner WITH shadows an outer CTE of the same name
        k1, k2 = g.sample(others + [real_public], 2)
        c1, c2 = int_key(k1), int_key(k2)
        f1, f2 = g.choice(["two", "three"]), g.choice(["two", "three"])
        return R.stmt("explain", f"with {shadow} as (select {R.q(c1)} as k from {R.t(k1, form=f1)}) select k from {shadow} union all "
                                 f"select * from (with {shadow} as (select {R.q(c2)} as k from {R.t(k2, form=f2)}) select k from {shadow}) inner_scope")
    if v == 6:  # CTE scope inside EXISTS; outer table of the same name is real
        inner_src = g.choice(others)
        c_in = int_key(inner_src)
        return R.stmt("explain", f"select o.* from {R.t(real_public, form='bare')} o where exists (with {shadow} as (select {R.q(c_in)} as k from {R.t(inner_src)}) "
                                 f"select 1 from {shadow} x where x.k = o.id)")
    if v == 7:  # INSERT target named like the CTE is always a real table
        R.only("postgres", "duckdb")
        if shadow != "orders":
            shadow = "orders"
        return R.stmt("explain", f"with orders as (select id, user_id, created_at, status, amount_cents from {R.t(('raw', 'orders'))} where {pred(g, R, None, ('raw', 'orders'))}) "
                                 f"insert into {R.t(('public', 'orders'), 'w', form='bare')} (id, customer_id, created_at, status, total) "
                                 f"select id, user_id, created_at, status, amount_cents / 100.0 from orders")
    if v == 8:  # correlated subquery to the real table from inside a shadowed scope
        cust_src = g.choice([("raw", "customers"), ("public", "customers")])
        return R.stmt("explain", f"with customers as (select * from {R.t(cust_src)}) select c.id, (select count(*) from {R.t(('public', 'orders'), form='bare')} o "
                                 f"where o.customer_id = c.id) as order_count from customers c")
    if v == 9:  # later CTE references an earlier one whose name is a real table
        return R.stmt("explain", f"with customers as (select * from {R.t(('raw', 'customers'))}), orders as (select o.* from {R.t(('raw', 'orders'))} o "
                                 f"join customers c on c.id = o.user_id) select count(*) from orders")
    # shadowing + qualified reference to the same name in the same query
    q = g.choice([k for k in others if k[1] == shadow] or others)
    return R.stmt("explain", f"with {shadow} as (select * from {R.t(src)}) select count(*) from {shadow} where exists (select 1 from {R.t(q, form=g.choice(['two', 'three']))})")


@tpl("cte_recursive")
def t_recursive(g, R):
    R.exclude("databricks")
    plain_with = g.random() < 0.4
    rec = "with" if R.d == "snowflake" and plain_with else "with recursive"
    v = g.randrange(5)
    if v in (0, 1):
        ga = R.t(("finance", "gl_accounts"))
        ga2 = R.t(("finance", "gl_accounts"))
        sql = (f"{rec} tree as (select account_id, parent_account_id, account_name, 1 as depth from {ga} where parent_account_id is null "
               f"union all select a.account_id, a.parent_account_id, a.account_name, t.depth + 1 from {ga2} a join tree t on a.parent_account_id = t.account_id) ")
        if v == 0:
            return R.stmt("explain", sql + "select * from tree order by depth, account_name")
        le = R.alias(g, ("finance", "ledger_entries"), "le")
        return R.stmt("explain", sql + f"select tree.account_name, tree.depth, sum({le}.debit - {le}.credit) as balance from tree "
                                       f"left join {from_item(g, R, ('finance', 'ledger_entries'), le)} on {le}.account_id = tree.account_id group by 1, 2")
    if v == 2:  # date spine
        key = pick(g, "date")
        a = R.alias(g, key)
        y = g.choice([2023, 2024, 2025])
        step = R.add_days("d", 1)
        sql = (f"{rec} spine as (select {R.date(f'{y}-01-01')} as d union all select {step} from spine where d < {R.date(f'{y}-12-31')}) "
               f"select spine.d, count({R.c(a, role(key, 'date'))}) as n from spine left join {from_item(g, R, key, a)} on {R.c(a, role(key, 'date'))} = spine.d "
               f"group by spine.d order by spine.d")
        if R.pg:
            sql = sql.replace("select d + 1 from spine", "select (d + 1)::date from spine")
        return R.stmt("explain", sql)
    if v == 3:  # numbers
        key = pick(g)
        n = g.choice([5, 10, 12, 24])
        return R.stmt("explain", f"{rec} n(i) as (select 1 union all select i + 1 from n where i < {n}) select n.i, x.total from n cross join "
                                 f"(select count(*) as total from {R.t(key)}) x" if R.d != "bigquery" else
                      f"{rec} n as (select 1 as i union all select i + 1 from n where i < {n}) select n.i, x.total from n cross join "
                      f"(select count(*) as total from {R.t(key)}) x")
    # session chains: events followed by the next event of the same session
    key = g.choice([("raw", "events"), ("staging", "stg_events")])
    ev1, ev2 = R.t(key), R.t(key)
    return R.stmt("explain", f"{rec} chain as (select event_id, session_id, event_ts, 1 as step from {ev1} where event_name = 'page_view' "
                             f"union all select e.event_id, e.session_id, e.event_ts, c.step + 1 from {ev2} e join chain c on e.session_id = c.session_id "
                             f"and e.event_ts > c.event_ts where c.step < 5) select session_id, max(step) as depth from chain group by session_id")


@tpl("quoted_identifiers")
def t_quoted(g, R):
    v = g.randrange(8)
    Q = R.q
    if v == 0:
        key = ("Marketing", "Campaign Spend")
        a = R.alias(g, key) if g.random() < 0.5 else None
        return R.stmt("explain", f"select {R.c(a, 'Campaign Name')}, {R.c(a, 'Channel')}, sum({R.c(a, 'Spend USD')}) as {Q('Total Spend')}, "
                                 f"sum({R.c(a, 'clicks')}) as {Q('Clicks')} from {from_item(g, R, key, a)} group by 1, 2 order by {Q('Total Spend')} desc")
    if v == 1:
        cs, ac = ("Marketing", "Campaign Spend"), ("Marketing", "AdClicks")
        a, b = R.alias(g, ac), R.alias(g, cs)
        return R.stmt("explain", f"select {R.c(b, 'Campaign Name')}, count({R.c(a, 'ClickId')}) as {Q('Clicks')}, sum({R.c(a, 'Cost')}) as {Q('Cost USD')} "
                                 f"from {from_item(g, R, ac, a)} join {from_item(g, R, cs, b)} on {R.c(b, 'Campaign Id')} = {R.c(a, 'CampaignId')} group by 1")
    if v == 2:
        key = ("public", "order")
        a = R.alias(g, key) if g.random() < 0.6 else None
        return R.stmt("explain", f"select {R.c(a, 'select')}, {R.c(a, 'group')}, {R.c(a, 'from')}, {R.c(a, 'to')} from {from_item(g, R, key, a)} "
                                 f"where {R.c(a, 'to')} >= {R.date('2024-01-01')} order by {R.c(a, 'from')}")
    if v == 3:
        key = ("public", "group")
        a = R.alias(g, key, "grp") if g.random() < 0.6 else None
        return R.stmt("explain", f"select {R.c(a, 'order')}, {R.c(a, 'user')}, count(*) as {Q('Members')} from {from_item(g, R, key, a)} group by 1, 2")
    if v == 4:
        key = pick(g, "cat", special=False)
        al = g.choice(["O", "Src", "T1", "Base Table"])
        return R.stmt("explain", f"select {Q(al)}.{Q(role(key, 'cat'))} as {Q('Status Label')}, count(*) as {Q('Row Count')} "
                                 f"from {R.t(key, form='quoted')} as {Q(al)} group by 1")
    if v == 5:
        cm, se = ("Marketing", "channel_mapping"), ("raw", "sessions")
        return R.stmt("explain", f"select m.channel, count(*) as sessions from {R.t(se)} s left join {R.t(cm)} m on m.utm_source = s.utm_source group by 1")
    if v == 6:
        key = pick(g, "amt", special=False)
        return R.stmt("explain", f"select sum({R.q(role(key, 'amt'))}) as {Q('Revenue ($)')}, count(*) as {Q('order')}, max({R.q(role(key, 'amt'))}) as {Q('select')} "
                                 f"from {R.t(key, form='dbt')}")
    key = g.choice([("public", "order"), ("Marketing", "AdClicks"), ("Marketing", "Campaign Spend"), ("public", "group")])
    cols = ", ".join(R.q(c) for c, _ in COLS[key][:3])
    return R.stmt("explain", f"select {cols} from {R.t(key, form=g.choice(['dbt', 'three', 'two']))} limit 100")


@tpl("comments")
def t_comments(g, R):
    R.comment_k = g.choice([1, 1, 2, 2, 3, 4])
    if g.random() < 0.8:
        return R.stmt("explain", any_select(g, R))
    return R.stmt("explain", g.choice([b_insert_select, b_update, b_delete])(g, R))


@tpl("strings")
def t_strings(g, R):
    v = g.randrange(10)
    key = pick(g, "cat") if v != 6 else g.choice(tables_with("json", "cat"))
    a = R.alias(g, key)
    cat = R.c(a, role(key, "cat"))
    frm = from_item(g, R, key, a)
    base = ", ".join(sel_list(g, R, a, key, 2, rename=0))
    if v == 0:
        return R.stmt("explain", f"select {R.s('select * from fake_table')} as example_sql, {base} from {frm} where {cat} <> {R.s('from secret_table')}")
    if v == 1:
        if g.random() < 0.5:
            R.only("postgres", "duckdb")
            return R.stmt("explain", f"select $tag$it's 'quoted' from hidden_table; drop table x$tag$ as note, {base} from {frm}")
        R.only("postgres", "duckdb", "snowflake")
        return R.stmt("explain", f"select $$select * from fake join other using (id)$$ as body, {base} from {frm}")
    if v == 2:
        R.only("postgres", "duckdb")
        return R.stmt("explain", f"select E'it\\'s from \\\\ secret_table\\n' as escaped, {base} from {frm} where {cat} <> E'\\'quoted\\''")
    if v == 3:
        lits = ", ".join(R.s(x) for x in ["O'Brien from fake", "it's; select 1"])
        return R.stmt("explain", f"select {base} from {frm} where {cat} not in ({lits})")
    if v == 4:
        return R.stmt("explain", f"select {R.s(';')} as sep, {R.s('a;b;c')} as list, {base} from {frm}")
    if v == 5:
        return R.stmt("explain", f"select {R.s('-- not a comment')} as dashes, {R.s('/* nor this */')} as block, {base} from {frm}")
    if v == 6:
        R.only("postgres")
        return R.stmt("explain", f"select {base} from {frm} where {R.c(a, role(key, 'json'))} @> '{{\"from\": \"secret_table\", \"join\": \"x\"}}'::jsonb")
    if v == 7:
        R.only("postgres", "duckdb")
        return R.stmt("explain", f"select {base} from {frm} where {cat} like '%\\_%' escape '\\' or {cat} like 'from%'")
    if v == 8:
        lit = R.s('"marts"."orders"')
        return R.stmt("explain", f"select {lit} as quoted_name, {base} from {frm}")
    return R.stmt("explain", f"select coalesce({cat}, {R.s('raw.orders')}) as src_name, {R.s('update finance.invoices set paid = true')} as note from {frm}")


@tpl("casts")
def t_casts(g, R):
    v = g.randrange(9)
    if v == 7:
        R.only("postgres")
        k2 = g.choice(tables_with("json"))
        b = R.alias(g, k2)
        js = R.c(b, role(k2, "json"))
        return R.stmt("explain", f"select ({js}->>'qty')::int as qty, ({js}->'price')::numeric as price, {js}::text as raw_json, "
                                 f"cast({js}->>'ts' as timestamptz) as ts from {from_item(g, R, k2, b)}")
    key = pick(g, "amt")
    a = R.alias(g, key)
    amt = R.c(a, role(key, "amt"))
    tcol, kind = time_col(key) if has_time(key) else (None, None)
    if v in (3, 4) and not (v == 3 and tcol):
        R.only("postgres", "redshift", "duckdb")
        k2 = pick(g, "txt")
        b = R.alias(g, k2)
        t = R.c(b, role(k2, "txt"))
        return R.stmt("explain", f"select substring({t} from 1 for 5) as prefix, trim(both ' ' from {t}) as trimmed, position('@' in {t}) as at_pos, "
                                 f"trim(leading '0' from {t}) as no_zeros from {from_item(g, R, k2, b)}")
    frm = from_item(g, R, key, a)
    if v == 0:
        R.exclude("bigquery", "databricks")
        return R.stmt("explain", f"select {amt}::numeric / 100 as amount, {R.c(a, COLS[key][0][0])}::text as id_text from {frm}")
    if v == 1:
        extra = f", {R.cast(R.c(a, tcol), 'date')} as day" if tcol else ""
        return R.stmt("explain", f"select {R.cast(amt, 'numeric(12,2)')} as amount{extra}, {R.cast(R.c(a, COLS[key][0][0]), 'text')} as id_text from {frm}")
    if v == 2:
        R.only("postgres", "redshift", "duckdb", "snowflake")
        cond = f" where {R.c(a, tcol)} >= {'date' if kind == 'date' else 'timestamp'} '2024-01-01' - interval '30 days'" if tcol else ""
        return R.stmt("explain", f"select {amt}, interval '1 day' as one_day{'' if not tcol else ', ' + R.c(a, tcol) + ' + interval ' + R.s('7 days') + ' as next_week'} from {frm}{cond}")
    if v == 3 and tcol:
        part = g.choice(["year", "month", "quarter"])
        return R.stmt("explain", f"select extract({part} from {R.c(a, tcol)}) as {part}_num, sum({amt}) as total from {frm} group by 1 order by 1")
    if v in (3, 4):
        R.only("postgres", "redshift", "duckdb")
        k2 = pick(g, "txt")
        b = R.alias(g, k2)
        t = R.c(b, role(k2, "txt"))
        return R.stmt("explain", f"select substring({t} from 1 for 5) as prefix, trim(both ' ' from {t}) as trimmed, position('@' in {t}) as at_pos, "
                                 f"trim(leading '0' from {t}) as no_zeros from {from_item(g, R, k2, b)}")
    if v == 5:
        R.only("postgres", "duckdb")
        tz = f", {R.c(a, tcol)} at time zone 'UTC' as utc_time" if tcol and kind == "ts" else ""
        return R.stmt("explain", f"select '2024-01-01'::date as d, {amt}::text::numeric as round_trip{tz} from {frm}")
    if v == 6:
        R.only("postgres", "snowflake", "redshift", "duckdb")
        return R.stmt("explain", f"select round({amt}::numeric(12,2), 1) as amount_1dp, {amt}::float8 as amount_float, cast({amt} as varchar(20)) as amount_str from {frm}")
    if v == 7:
        R.only("postgres")
        k2 = g.choice(tables_with("json"))
        b = R.alias(g, k2)
        js = R.c(b, role(k2, "json"))
        return R.stmt("explain", f"select ({js}->>'qty')::int as qty, ({js}->'price')::numeric as price, {js}::text as raw_json, "
                                 f"cast({js}->>'ts' as timestamptz) as ts from {from_item(g, R, k2, b)}")
    R.only("postgres", "duckdb", "redshift", "snowflake")
    return R.stmt("explain", f"select timestamp '2024-03-01 12:00:00' as ts_literal, date '2024-03-01' as date_literal, {amt} from {frm} where {amt} > cast('0' as int)")


HEX_PROJECTS = ["Revenue dashboard", "Weekly KPIs", "Churn deep-dive", "Ana's scratchpad", "Orders from Shopify", "Marketing attribution (v2)",
                "Board deck – Q3", "Ops: late deliveries", "Cohort retention", "Finance close checklist", "Growth / Activation", "Zoë's experiments"]
HEX_CONNECTIONS = {"postgres": ["Prod Postgres", "Postgres (read replica)", "analytics-db"], "snowflake": ["Prod Snowflake", "Snowflake - ANALYTICS", "Snowflake (dev)"],
                   "bigquery": ["BigQuery", "acme-analytics (BigQuery)"], "redshift": ["Redshift Prod", "Redshift - analytics"],
                   "databricks": ["Databricks SQL Warehouse", "Databricks (Unity Catalog)"], "duckdb": ["MotherDuck", "DuckDB (local)"]}
HEX_USERS = ["ana@acme.com", "bob.smith@acme.com", "data-team@acme.com", "zoe.o'neil@acme.com", "li.wei@acme.com"]


def hex_metadata(hrng: random.Random, dialect: str) -> str:
    pid = str(uuid.UUID(int=hrng.getrandbits(128), version=4))
    cid = str(uuid.UUID(int=hrng.getrandbits(128), version=4))
    meta = {
        "categories": hrng.sample(["Finance", "Marketing", "Product", "Ops", "Exec"], hrng.randint(0, 2)),
        "cell_type": "SQL",
        "connection": hrng.choice(HEX_CONNECTIONS[dialect]),
        "context": hrng.choice(["SCHEDULED_RUN", "LOGIC_VIEW", "APP_VIEW", "API"]),
        "project_id": pid,
        "project_name": hrng.choice(HEX_PROJECTS),
        "project_url": f"https://app.hex.tech/acme/hex/{pid}/draft/logic?selectedCellId={cid}",
        "status": hrng.choice(["Published", "In development", "Approved", "Draft"]),
        "trace_id": f"{hrng.getrandbits(128):032x}",
        "user_email": hrng.choice(HEX_USERS),
    }
    return "-- Hex query metadata: " + json.dumps(meta, ensure_ascii=False)


@tpl("hex_query")
def t_hex(g, R):
    R.hex = True
    if g.random() < 0.9:
        return R.stmt("explain", any_select(g, R))
    return t_quoted(g, R)


@tpl("multi_statement")
def t_multi(g, R):
    v = g.randrange(8)
    d = R.d
    if v == 0:  # search_path then unqualified names
        R.exclude("bigquery")
        schema = g.choice(["marts", "staging", "finance"])
        keys = [k for k in ROLES if k[0] == schema]
        key = g.choice(keys)
        spell = {"postgres": g.choice([f"set search_path to {schema}", f"set search_path = {schema}, public", f"SET search_path TO '{schema}'"]),
                 "redshift": f"set search_path to {schema}", "snowflake": f"use schema {schema}", "databricks": f"use schema {schema}",
                 "duckdb": f"set search_path = '{schema}'"}[d]
        R.stmt("exec", spell)
        a = R.alias(g, key)
        R.stmt("explain", f"select {', '.join(sel_list(g, R, a, key, 3, rename=0))} from {R.t(key, form='bare')} {a} where {pred(g, R, a, key)}")
        if g.random() < 0.5:
            k2 = g.choice(keys)
            R.stmt("explain", f"select count(*) from {R.t(k2, form='bare')}")
        return
    if v == 1:  # delete+insert incremental in a transaction
        R.exclude("databricks")
        m = pick_mapping(g)
        tgt, src, cols = m
        begin = {"bigquery": "begin transaction", "snowflake": g.choice(["begin", "begin transaction"])}.get(d, g.choice(["begin", "BEGIN", "start transaction"]))
        R.stmt("txn", begin)
        s1 = R.alias(g, src)
        R.stmt("explain", f"delete from {R.t(tgt, 'w')} where {R.q(cols[0][0])} in (select {mapping_exprs(R, m, s1)[0]} from {from_item(g, R, src, s1)})")
        s2 = R.alias(g, src, "src")
        R.stmt("explain", f"insert into {R.t(tgt, 'w')} ({', '.join(R.q(c) for c, _ in cols)}) select {', '.join(mapping_exprs(R, m, s2))} from {from_item(g, R, src, s2)}")
        R.stmt("txn", "commit transaction" if d == "bigquery" else "commit")
        return
    if v == 2:  # scratch table then insert from it
        m = pick_mapping(g)
        tgt, src, cols = m
        tmp = (g.choice(["staging", "marts"]), g.choice(["tmp_batch", "tmp__dbt_tmp", "orders__dbt_tmp", "incremental_batch"]))
        head = {"postgres": "create table", "snowflake": "create or replace table",
                "bigquery": "create or replace table", "redshift": "create table", "databricks": "create or replace table", "duckdb": "create or replace table"}[d]
        R.stmt("ctas", f"{head} {R.t(tmp, 'w')} as select * from {R.t(src)} where {pred(g, R, None, src)}")
        R.stmt("explain", f"insert into {R.t(tgt, 'w')} ({', '.join(R.q(c) for c, _ in cols)}) select {', '.join(mapping_exprs(R, m, 'b'))} from {R.t(tmp)} b")
        return
    if v == 3:
        R.stmt("explain", any_select(g, R))
        R.stmt("explain", any_select(g, R))
        return
    if v == 4:
        R.stmt("explain", b_update(g, R))
        R.stmt("explain", b_delete(g, R))
        return
    if v == 5:
        R.only("postgres", "snowflake", "redshift", "duckdb")
        val = g.choice(["'UTC'", "'America/New_York'"])
        spell = {"postgres": g.choice([f"set timezone = {val}", f"SET TIME ZONE {val}", "set statement_timeout = '5min'"]),
                 "redshift": f"set timezone = {val}", "duckdb": f"set timezone = {val}", "snowflake": f"alter session set timezone = {val}"}[d]
        R.stmt("exec", spell)
        R.stmt("explain", any_select(g, R))
        return
    if v == 6:
        R.stmt(*b_view(g, R))
        R.stmt("explain", any_select(g, R))
        return
    R.stmt("explain", b_insert_values(g, R))
    R.stmt("explain", any_select(g, R))


# (kind, {dialect: sql}); kinds: explain (EXPLAIN works), exec (SET/SHOW), txn (transaction control)
OTHERS = [
    ("explain", {"postgres": "select 1", "snowflake": "select 1", "bigquery": "select 1", "redshift": "select 1", "databricks": "select 1", "duckdb": "select 1"}),
    ("explain", {"postgres": "SELECT now()", "snowflake": "SELECT current_timestamp()", "bigquery": "SELECT current_timestamp()", "duckdb": "SELECT now()"}),
    ("explain", {"postgres": "select current_date, current_user", "snowflake": "select current_date(), current_user()", "redshift": "select current_date, current_user"}),
    ("explain", {"postgres": "select version()", "duckdb": "select version()"}),
    ("explain", {"postgres": "select 1 + 1 as two", "bigquery": "select 1 + 1 as two", "databricks": "select 1 + 1 as two"}),
    ("explain", {"postgres": "select * from generate_series(1, 10) as g(n)", "duckdb": "select * from generate_series(1, 10) as g(n)"}),
    ("explain", {"postgres": "values (1, 'a'), (2, 'b')", "duckdb": "values (1, 'a'), (2, 'b')", "databricks": "values (1, 'a'), (2, 'b')"}),
    ("explain", {"postgres": "select 'select * from raw.orders' as sql_text", "snowflake": "select 'select * from raw.orders' as sql_text"}),
    ("explain", {"postgres": "select current_setting('search_path')"}),
    ("explain", {"postgres": "select * from (values (1), (2)) as orders(id)", "duckdb": "select * from (values (1), (2)) as orders(id)"}),
    ("explain", {"postgres": "select pg_sleep(0)"}),
    ("explain", {"postgres": "select md5('from secret_table') as h"}),
    ("explain", {"postgres": "select extract(year from now()) as y", "bigquery": "select extract(year from current_date()) as y"}),
    ("explain", {"postgres": "select unnest(array[1, 2, 3]) as n", "duckdb": "select unnest([1, 2, 3]) as n", "bigquery": "select n from unnest([1, 2, 3]) as n"}),
    ("explain", {"postgres": "select json_build_object('table', 'marts.orders') as j"}),
    ("explain", {"postgres": "select set_config('application_name', 'hex', false)"}),
    ("explain", {"postgres": "select 'a' as x union all select 'b'", "snowflake": "select 'a' as x union all select 'b'", "bigquery": "select 'a' as x union all select 'b'"}),
    ("exec", {"postgres": "set search_path to marts", "redshift": "set search_path to marts", "snowflake": "use schema marts", "databricks": "use schema marts"}),
    ("exec", {"postgres": "set search_path = staging, public", "redshift": "set search_path to staging, public"}),
    ("exec", {"postgres": "SET TIME ZONE 'UTC'", "snowflake": "alter session set timezone = 'UTC'", "duckdb": "SET TimeZone = 'UTC'"}),
    ("exec", {"postgres": "set statement_timeout = '5min'", "snowflake": "alter session set statement_timeout_in_seconds = 300"}),
    ("exec", {"postgres": "set application_name = 'hex'"}),
    ("exec", {"postgres": "show timezone", "snowflake": "show parameters like 'TIMEZONE'", "duckdb": "select current_setting('TimeZone')"}),
    ("exec", {"postgres": "SHOW search_path", "redshift": "show search_path"}),
    ("exec", {"postgres": "reset search_path"}),
    ("exec", {"postgres": "set local work_mem = '64MB'"}),
    ("txn", {"postgres": "begin", "snowflake": "begin", "redshift": "begin", "duckdb": "begin", "bigquery": "begin transaction"}),
    ("txn", {"postgres": "COMMIT", "snowflake": "COMMIT", "redshift": "COMMIT", "duckdb": "COMMIT", "bigquery": "COMMIT TRANSACTION"}),
    ("txn", {"postgres": "start transaction", "snowflake": "start transaction", "redshift": "start transaction"}),
    ("txn", {"postgres": "rollback", "snowflake": "rollback", "duckdb": "rollback"}),
    ("txn", {"postgres": "end", "redshift": "end"}),
]


@tpl("other")
def t_other(g, R):
    kind, spell = g.choice(OTHERS)
    R.only(*spell)
    R.stmt(kind, spell[R.d])


@tpl("search_path_unqualified")
def t_search_path(g, R):
    fn = g.choices([b_simple, b_star, b_agg, b_join, b_subq, b_window, b_case, b_cte, b_setop, b_insert_select, b_update, b_delete, b_insert_values],
                   [3, 1, 2, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1])[0]
    R.stmt("explain", fn(g, R))


# ============================================================================ dialect-only shapes (PostgreSQL twin verified)
@tpl("qualify")
def t_qualify(g, R):
    key = pick(g, "cust", special=False)
    tcol, _ = time_col(key) if ("date" in ROLES[key] or "ts" in ROLES[key]) else (role(key, "cust"), None)
    v = g.randrange(4)
    a = R.alias(g, key)
    frm = from_item(g, R, key, a)
    cols = sel_list(g, R, a, key, 3, rename=0)
    if v == 2:
        ka, ca, kb, cb = pick_edge(g, lambda e: e[0] == key)
        b = R.alias(g, kb)
        frm += f" join {from_item(g, R, kb, b)} on {R.c(b, cb)} = {R.c(a, ca)}"
        cols.append(R.c(b, pick_cols(g, kb, 1)[0]) + " as joined_col")
    where = f" where {pred(g, R, a, key)}" if g.random() < 0.5 else ""
    fn = g.choice(["row_number()", "row_number()", "rank()", "dense_rank()"])
    w = f"{fn} over (partition by {R.c(a, role(key, 'cust'))} order by {R.c(a, tcol)} desc)"
    cmp = "= 1" if v != 1 else f"<= {g.choice([3, 5])}"
    if v == 3:
        amt = ROLES[key].get("amt")
        w = f"sum({R.c(a, amt)}) over (partition by {R.c(a, role(key, 'cust'))})" if amt else f"count(*) over (partition by {R.c(a, role(key, 'cust'))})"
        cmp = "> 100"
    if R.pg:
        inner = f"select {', '.join(cols)}, {w} as qualify_rank from {frm}{where}"
        return R.stmt("explain", f"select * from ({inner}) q where qualify_rank {cmp}")
    R.stmt("explain", f"select {', '.join(cols)} from {frm}{where} qualify {w} {cmp}")


def items_table(g):
    return g.choice([("raw", "events"), ("staging", "stg_events"), ("raw", "invoices")])


@tpl("flatten")
def t_flatten(g, R):
    v = g.randrange(6)
    key = items_table(g) if v != 3 else g.choice([("raw", "events"), ("staging", "stg_events"), ("raw", "orders")])
    e = R.alias(g, key)
    ident = ident_of(R, e, key)
    frm = from_item(g, R, key, e)
    it = g.choice(["f", "item", "li", "x"])
    if v == 3:
        js = R.c(e, role(key, "json"))
        if R.pg:
            return R.stmt("explain", f"select {ident}, {it}.key, {it}.value from {frm} cross join lateral jsonb_each_text({js}) as {it}(key, value)")
        return R.stmt("explain", f"select {ident}, {it}.key, {it}.value::string as value from {frm}, lateral flatten(input => {js}) {it}")
    items = R.c(e, role(key, "items"))
    if R.pg:
        sku, qty = f"{it}->>'sku'", f"({it}->>'qty')::int"
    else:
        sku, qty = f"{it}.value:sku::string", f"{it}.value:qty::int"
    if v == 4:
        dp = R.alias(g, ("marts", "dim_products"), "dp")
        jt = f"join {from_item(g, R, ('marts', 'dim_products'), dp)} on {dp}.sku = {sku}"
    if R.pg:
        lat = {0: f"cross join lateral jsonb_array_elements({items}) as {it}", 1: f"cross join jsonb_array_elements({items}) as {it}",
               2: f"left join lateral jsonb_array_elements({items}) as {it} on true", 4: f"cross join lateral jsonb_array_elements({items}) as {it}",
               5: f"cross join lateral jsonb_array_elements({items}) as {it}"}[v]
        lat = " " + lat
    else:
        lat = {0: f", lateral flatten(input => {items}) {it}", 1: f", table(flatten({items})) {it}", 2: f", lateral flatten(input => {items}, outer => true) {it}",
               4: f", lateral flatten(input => {items}) {it}", 5: f", lateral flatten({items}) as {it}"}[v]
    if v == 4:
        return R.stmt("explain", f"select {ident}, {sku} as sku, {dp}.product_name from {frm}{lat} {jt}")
    if v == 5:
        return R.stmt("explain", f"select {sku} as sku, sum({qty}) as units from {frm}{lat} group by 1 order by 2 desc")
    return R.stmt("explain", f"select {ident}, {sku} as sku, {qty} as qty from {frm}{lat}")


@tpl("unnest")
def t_unnest(g, R):
    R.exclude("snowflake")
    use_tags = g.random() < 0.55
    v = g.randrange(5)
    d = R.d
    if use_tags:
        key = g.choice([("raw", "products"), ("marts", "dim_products")])
        p = R.alias(g, key)
        frm = from_item(g, R, key, p)
        arr = R.c(p, role(key, "arr"))
        name = R.c(p, role(key, "name"))
        t = g.choice(["tag", "t", "tag_value"])
        if d == "postgres":
            body = {0: f"select {name}, {t} from {frm} cross join unnest({arr}) as {t}",
                    1: f"select {name}, {t} from {frm}, unnest({arr}) as {t}",
                    2: f"select {name}, {t} from {frm} left join lateral unnest({arr}) as {t} on true",
                    3: f"select {name}, (select count(*) from unnest({arr})) as n_tags from {frm}",
                    4: f"select {name} from {frm} where 'sale' = any({arr})"}[v]
        elif d == "bigquery":
            body = {0: f"select {name}, {t} from {frm} cross join unnest({arr}) as {t}",
                    1: f"select {name}, {t} from {frm}, {arr} as {t}",
                    2: f"select {name}, {t} from {frm} left join unnest({arr}) as {t}",
                    3: f"select {name}, (select count(*) from unnest({arr})) as n_tags from {frm}",
                    4: f"select {name} from {frm} where 'sale' in unnest({arr})"}[v]
        elif d == "duckdb":
            body = {0: f"select {name}, unnest({arr}) as {t} from {frm}",
                    1: f"select {name}, {t} from {frm}, unnest({arr}) as u({t})",
                    2: f"select {name}, {t} from {frm} left join lateral unnest({arr}) as u({t}) on true",
                    3: f"select {name}, len({arr}) as n_tags from {frm}",
                    4: f"select {name} from {frm} where list_contains({arr}, 'sale')"}[v]
        elif d == "databricks":
            body = {0: f"select {name}, {t} from {frm} lateral view explode({arr}) exploded as {t}",
                    1: f"select {name}, explode({arr}) as {t} from {frm}",
                    2: f"select {name}, {t} from {frm} lateral view outer explode({arr}) exploded as {t}",
                    3: f"select {name}, size({arr}) as n_tags from {frm}",
                    4: f"select {name} from {frm} where array_contains({arr}, 'sale')"}[v]
        else:  # redshift: PartiQL navigation of SUPER arrays
            body = {0: f"select {name}, {t} from {frm}, {arr} as {t}",
                    1: f"select {name}, {t} from {frm}, {arr} as {t}",
                    2: f"select {name}, {t}, idx from {frm}, {arr} as {t} at idx",
                    3: f"select {name}, get_array_length({arr}) as n_tags from {frm}",
                    4: f"select {name}, {t} from {frm}, {arr} as {t} where {t} = 'sale'"}[v]
        return R.stmt("explain", body)
    R.exclude("duckdb")
    key = items_table(g)
    e = R.alias(g, key)
    frm = from_item(g, R, key, e)
    items = R.c(e, role(key, "items"))
    ident = ident_of(R, e, key)
    it = g.choice(["item", "li", "elem"])
    if d == "postgres":
        body = {0: f"select {ident}, {it}->>'sku' as sku from {frm} cross join lateral jsonb_array_elements({items}) as {it}",
                1: f"select {ident}, {it}->>'sku' as sku from {frm}, jsonb_array_elements({items}) as {it}",
                2: f"select {ident}, {it}->>'sku' as sku from {frm} left join lateral jsonb_array_elements({items}) as {it} on true",
                3: f"select {ident}, (select count(*) from jsonb_array_elements({items})) as n_items from {frm}",
                4: f"select {ident}, sum(({it}->>'qty')::int) as units from {frm} cross join lateral jsonb_array_elements({items}) as {it} group by 1"}[v]
    elif d == "bigquery":
        body = {0: f"select {ident}, {it}.sku from {frm} cross join unnest({items}) as {it}",
                1: f"select {ident}, {it}.sku from {frm}, {items} as {it}",
                2: f"select {ident}, {it}.sku from {frm} left join unnest({items}) as {it}",
                3: f"select {ident}, (select count(*) from unnest({items})) as n_items from {frm}",
                4: f"select {ident}, sum({it}.qty) as units from {frm}, unnest({items}) {it} group by 1"}[v]
    elif d == "databricks":
        body = {0: f"select {ident}, {it}.sku from {frm} lateral view explode({items}) x as {it}",
                1: f"select {ident}, {it}.sku from {frm} lateral view explode({items}) x as {it}",
                2: f"select {ident}, {it}.sku from {frm} lateral view outer explode({items}) x as {it}",
                3: f"select {ident}, size({items}) as n_items from {frm}",
                4: f"select {ident}, sum({it}.qty) as units from {frm} lateral view explode({items}) x as {it} group by 1"}[v]
    else:  # redshift
        body = {0: f"select {ident}, {it}.sku from {frm}, {items} as {it}",
                1: f"select {ident}, {it}.sku from {frm}, {items} {it}",
                2: f"select {ident}, {it}.sku, pos from {frm}, {items} as {it} at pos",
                3: f"select {ident}, get_array_length({items}) as n_items from {frm}",
                4: f"select {ident}, sum({it}.qty::int) as units from {frm}, {items} as {it} group by 1"}[v]
    R.stmt("explain", body)


@tpl("identifier")
def t_identifier(g, R):
    v = g.randrange(6)
    if v <= 2:
        key = pick(g, special=False)
        a = R.alias(g, key)
        ref = R.t(key, form="identifier")
        if v == 0:
            return R.stmt("explain", f"select * from {ref} {a} where {pred(g, R, a, key)}")
        if v == 1:
            return R.stmt("explain", f"select count(*) as n from {ref}")
        ka, ca, kb, cb = pick_edge(g, lambda e: e[0] == key)
        b = R.alias(g, kb)
        return R.stmt("explain", f"select {', '.join(sel_list(g, R, a, key, 2))}, {R.c(b, cb)} from {ref} {a} join {R.t(kb, form=g.choice(['identifier', 'auto']))} {b} "
                                 f"on {R.c(b, cb)} = {R.c(a, ca)}")
    m = g.choice([x for x in MAPPINGS if is_lower_name(x[0][0] + x[0][1]) and x[0] != ("public", "order")])
    tgt, src, cols = m
    if v == 3:
        return R.stmt("explain", f"insert into {R.t(tgt, 'w', form='identifier')} ({', '.join(R.q(c) for c, _ in cols)}) "
                                 f"select {', '.join(mapping_exprs(R, m, 's'))} from {R.t(src, form='identifier')} s")
    if v == 4:
        return R.stmt("explain", f"delete from {R.t(tgt, 'w', form='identifier')} where {pred(g, R, None, tgt)}")
    return R.stmt("explain", f"update {R.t(tgt, 'w', form='identifier')} set {set_clause(g, R, tgt)} where {pred(g, R, None, tgt)}")


@tpl("wildcard")
def t_wildcard(g, R):
    key = g.choice([("raw", "events"), ("staging", "stg_events")])
    written = f"{BQ_PROJECT}.{key[0]}.{key[1]}_" + g.choice(["*", "*", "2024*", "202501*"])
    v = g.randrange(4)
    e = g.choice(["e", "ev", "events"])
    ref = R.wild(key, written)
    lo, hi = g.choice([("20240101", "20240131"), ("20240601", "20240630"), ("20250101", "20250107")])
    if R.pg:
        suffix = "to_char(e.event_ts, 'YYYYMMDD')".replace("e.", f"{e}.")
        between = f"{suffix} between '{lo}' and '{hi}'"
    else:
        suffix = "_TABLE_SUFFIX" if g.random() < 0.5 else "_table_suffix"
        between = f"{suffix} between '{lo}' and '{hi}'"
    if v == 0:
        return R.stmt("explain", f"select count(*) as n from {ref} {e} where {between}")
    if v == 1:
        return R.stmt("explain", f"select {suffix} as day, count(distinct {e}.user_id) as users from {ref} {e} where {between} group by 1 order by 1")
    if v == 2:
        s_key = ("raw", "sessions")
        return R.stmt("explain", f"select s.device, count(*) as n from {ref} {e} join {R.t(s_key)} s on s.session_id = {e}.session_id where {between} group by 1")
    return R.stmt("explain", f"with ev as (select * from {ref} {e} where {between}) select event_name, count(*) as n from ev group by 1")


# ============================================================================ PostgreSQL truth
class PgError(Exception):
    pass


class Engine:
    def __init__(self, conninfo: str):
        self.conn = psycopg.connect(conninfo, autocommit=True, prepare_threshold=None)
        self.notes = Counter()

    def x(self, sql: str, params=None):
        return self.conn.execute(sql, params)

    def explain(self, sql: str) -> tuple[set, set]:
        raw = self.x("explain (verbose, format json) " + sql).fetchone()[0]
        doc = json.loads(raw) if isinstance(raw, str) else raw
        mods, scans = [], []

        def walk(p):
            if p["Node Type"] == "ModifyTable":
                mods.append((p["Schema"], p["Relation Name"], p["Alias"]))
                self.notes[f"ModifyTable {p.get('Operation')}"] += 1
            elif "Relation Name" in p:
                scans.append((p["Schema"], p["Relation Name"], p.get("Alias")))
            if p.get("Parent Relationship") in ("InitPlan", "SubPlan"):
                self.notes[f"{p['Parent Relationship']} node"] += 1
            for ch in p.get("Plans", []):
                walk(ch)

        walk(doc[0]["Plan"])
        targets = set(mods)
        writes = {(s, n) for s, n, _ in mods}
        reads = {(s, n) for s, n, a in scans if (s, n, a) not in targets}
        for s, n, a in scans:
            if (s, n, a) not in targets and (s, n) in writes:
                self.notes["modify target also read under another alias"] += 1
        return reads, writes

    def created(self) -> dict[int, tuple[str, str]]:
        rows = self.x("""select c.oid::bigint, n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                         where c.relkind in ('r', 'v', 'm', 'p', 'f')
                           and c.xmin::text = mod(txid_current(), 4294967296)::text""").fetchall()
        return {oid: (s, n) for oid, s, n in rows}

    def view_deps(self, oid: int) -> set:
        rows = self.x("""select distinct rn.nspname, rc.relname from pg_rewrite r
                         join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
                         join pg_class rc on rc.oid = d.refobjid join pg_namespace rn on rn.oid = rc.relnamespace
                         where r.ev_class = %s and d.refobjid <> %s""", (oid, oid)).fetchall()
        return {(s, n) for s, n in rows}

    def truth(self, pieces: list[tuple[str, str]]) -> list[tuple[set, set]]:
        if len(pieces) == 1 and pieces[0][0] == "txn":  # run it for real, outside any transaction, then clean up
            kind, sql = pieces[0]
            try:
                self.x(sql)
            except psycopg.Error as e:
                raise PgError(f"{e}\n--- statement:\n{sql}") from None
            self.x("rollback")
            return [(set(), set())]
        out = []
        self.x("begin")
        try:
            for kind, sql in pieces:
                try:
                    if kind == "explain":
                        out.append(self.explain(sql))
                    elif kind == "ctas":
                        reads, w0 = self.explain(sql)
                        before = self.created()
                        self.x(sql)
                        new = {v for k, v in self.created().items() if k not in before}
                        if w0 or len(new) != 1:
                            raise PgError(f"CTAS created {new} (plan writes {w0})")
                        out.append((reads, new))
                    elif kind == "view":
                        before = self.created()
                        self.x(sql)
                        new = {k: v for k, v in self.created().items() if k not in before}
                        if len(new) != 1:
                            raise PgError(f"view statement created {new}")
                        oid, name = next(iter(new.items()))
                        out.append((self.view_deps(oid), {name}))
                    elif kind == "exec":
                        before = self.created()
                        self.x(sql)
                        if self.created() != before:
                            raise PgError("exec statement created relations")
                        out.append((set(), set()))
                    elif kind == "txn":  # the surrounding transaction is ours; BEGIN/COMMIT are not sent
                        out.append((set(), set()))
                    else:
                        raise AssertionError(kind)
                except psycopg.Error as e:
                    raise PgError(f"{e}\n--- statement:\n{sql}") from None
        finally:
            self.x("rollback")
        return out


# ============================================================================ driver
SHAPES = [
    ("select_simple", 110), ("select_star", 70), ("aggregate", 145), ("join", 190), ("lateral", 90), ("cte", 145), ("cte_shadow", 100),
    ("cte_recursive", 50), ("subquery", 160), ("setop", 85), ("window", 110), ("insert_select", 95), ("insert_values", 55), ("ctas", 80),
    ("create_view", 70), ("merge", 80), ("update_from", 85), ("delete_using", 70), ("quoted_identifiers", 80), ("comments", 95),
    ("strings", 70), ("casts", 80), ("case_expr", 60), ("hex_query", 120), ("multi_statement", 95), ("other", 40),
    ("search_path_unqualified", 90),
    # dialect-only syntax: only the dialect renderings are written (their PostgreSQL twin is verified, not emitted)
    ("qualify", 100), ("flatten", 60), ("identifier", 55), ("unnest", 90), ("wildcard", 40),
]
DIALECT_WEIGHTS = {"snowflake": 3.0, "bigquery": 2.5, "redshift": 1.2, "databricks": 1.5, "duckdb": 1.0}
RENDER_SHARE = 0.42


class Rendered:
    def __init__(self, r: R, texts: list[str], text: str):
        self.r, self.texts, self.text = r, texts, text


def render(shape: str, i: int, dialect: str) -> Rendered:
    global POOL
    g = random.Random(f"{SEED}|{shape}|{i}")
    f = random.Random(f"{SEED}|{shape}|{i}|{dialect}")
    r = R(dialect, f)
    fns = TEMPLATES[shape]
    fn, _, dials = g.choices(fns, [w for _, w, _ in fns])[0]
    r.allowed &= dials | {"postgres"}
    if dialect not in r.allowed:
        raise Skip(dialect)
    POOL = PUBLIC if shape == "search_path_unqualified" else None
    r.force_bare = shape == "search_path_unqualified"
    try:
        fn(g, r)
    finally:
        POOL = None
    if shape == "search_path_unqualified" and not any(s == "public" for _, s, _, _ in r.mentions):
        raise Skip("no unqualified table")
    texts = []
    for kind, sql in r.pieces:
        t = reformat(sql, dialect, f)
        if r.comment_k:
            t = insert_comments(t, dialect, f, r.comment_k)
            if f.random() < 0.5:  # leading comment
                if f.random() < 0.5:
                    t = comment_text(dialect, f).lstrip(" \n") + t
                else:
                    t = f"-- {f.choice(COMMENT_BODIES)}\n{t}"
            if f.random() < 0.3:
                t += f" /* {f.choice(COMMENT_BODIES)} */"
        texts.append(t)
    multi = len(texts) > 1
    text = texts[0]
    for t in texts[1:]:
        text += ";" + f.choice([" ", "\n", "\n\n", ";\n"[1:]]) + t
    if f.random() < (0.5 if multi else 0.12):
        text += ";"
    if r.hex:
        hrng = random.Random(f"{SEED}|{shape}|{i}|hex")
        line = hex_metadata(hrng, dialect)
        sep = "\n" if f.random() < 0.85 else "\n\n"
        text += sep + line
        texts[-1] = texts[-1] + "\n" + line
    return Rendered(r, texts, text)


def names(truths, dialect: str, subst=None) -> tuple[list[str], list[str]]:
    subst = subst or {}
    reads, writes = set(), set()
    for rd, wr in truths:
        reads |= rd
        writes |= wr

    def nm(k):
        if dialect == "bigquery" and k in subst:
            return subst[k]
        return truth_name(dialect, *k)
    return sorted({nm(k) for k in reads}), sorted({nm(k) for k in writes})


def expected_from_mentions(r: R, n_pieces: int) -> list[tuple[set, set]]:
    out = [(set(), set()) for _ in range(n_pieces)]
    for p, s, n, role_ in r.mentions:
        (out[p][1] if role_ == "w" else out[p][0]).add((s, n))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", required=True, help="libpq connection string of a PostgreSQL 15 server (any database; `analytics` is created)")
    ap.add_argument("--out", default=str(HERE / "corpus.jsonl"))
    ap.add_argument("--only", help="comma-separated shapes (debugging; writes nothing unless --out is given explicitly)")
    args = ap.parse_args()
    t0 = time.monotonic()

    admin = psycopg.connect(args.pg, autocommit=True)
    if not admin.execute("select 1 from pg_database where datname = %s", (DB,)).fetchone():
        admin.execute(f"create database {DB}")
    admin.close()
    conninfo = psycopg.conninfo.make_conninfo(args.pg, dbname=DB)
    eng = Engine(conninfo)
    if eng.x("select count(*) from pg_namespace where nspname = 'raw'").fetchone()[0] == 0:
        eng.x((HERE / "schema.sql").read_text())
    ver = eng.x("show server_version_num").fetchone()[0]
    if not ver.startswith("15"):
        print(f"warning: PostgreSQL {ver}, expected 15", file=sys.stderr)
    load_columns(eng.conn)

    only = set(args.only.split(",")) if args.only else None
    records, seen = [], set()
    problems: list[str] = []
    per_shape_skips = Counter()
    for shape, target in SHAPES:
        if only and shape not in only:
            continue
        dialect_only = shape in DIALECT_ONLY
        produced, i = 0, 0
        while produced < target:
            i += 1
            if i > target * 6 + 50:
                problems.append(f"{shape}: only {produced} of {target} statements after {i} attempts")
                break
            try:
                pg = render(shape, i, "postgres")
            except Skip:
                per_shape_skips[shape] += 1
                continue
            except Exception:  # template bug: report all of them, then fail
                problems.append(f"{shape} #{i}: template crashed\n{traceback.format_exc()}")
                continue
            if ("postgres", pg.text) in seen and not dialect_only:
                per_shape_skips[shape] += 1
                continue
            pieces = [(k, t) for (k, _), t in zip(pg.r.pieces, pg.texts)]
            try:
                truth = eng.truth(pieces)
            except PgError as e:
                problems.append(f"{shape} #{i}: PostgreSQL error: {e}")
                continue
            expect = expected_from_mentions(pg.r, len(pieces))
            if truth != expect:
                problems.append(f"{shape} #{i}: engine truth differs from the template's tables\n  template: {expect}\n  engine:   {truth}\n  sql: {pg.text}")
                continue
            source = "postgres-explain" if all(k == "explain" for k, _ in pieces) else "postgres-catalog"
            out = []
            if not dialect_only:
                rd, wr = names(truth, "postgres")
                out.append(("postgres", pg.text, rd, wr, source))
            drng = random.Random(f"{SEED}|{shape}|{i}|dialects")
            allowed = [d for d in DIALECTS[1:] if d in pg.r.allowed and (not dialect_only or d in DIALECT_ONLY[shape])]
            want = []
            if allowed and (dialect_only or drng.random() < RENDER_SHARE):
                k = min(len(allowed), drng.choice([1, 1, 1, 2, 2, 3]) if not dialect_only else drng.choice([1, 1, 2]))
                pool = list(allowed)
                for _ in range(k):
                    d = drng.choices(pool, [DIALECT_WEIGHTS[x] for x in pool])[0]
                    pool.remove(d)
                    want.append(d)
                want.sort(key=DIALECTS.index)
            for d in want:
                try:
                    rr = render(shape, i, d)
                except Skip:
                    continue
                except Exception:
                    problems.append(f"{shape} #{i} ({d}): template crashed\n{traceback.format_exc()}")
                    continue
                if sorted(rr.r.mentions) != sorted(pg.r.mentions):
                    problems.append(f"{shape} #{i}: {d} rendering names other tables than the PostgreSQL one\n  pg: {pg.r.mentions}\n  {d}: {rr.r.mentions}")
                    continue
                rd, wr = names(truth, d, rr.r.subst)
                out.append((d, rr.text, rd, wr, "hand" if rr.r.hand else "mapped:postgres"))
            out = [o for o in out if (o[0], o[1]) not in seen]
            if not out:
                per_shape_skips[shape] += 1
                continue
            for d, text, rd, wr, src in out:
                seen.add((d, text))
                records.append((shape, d, text, rd, wr, src))
            produced += 1

    if problems:
        for p in problems:
            print("PROBLEM: " + p, file=sys.stderr)
        print(f"{len(problems)} problem(s); corpus not written", file=sys.stderr)
        return 1

    counters = Counter()
    lines = []
    for shape, d, text, rd, wr, src in records:
        counters[shape] += 1
        db, schema = DEFAULTS[d]
        rec = {"id": f"{shape}-{counters[shape]:04d}", "shape": shape, "dialect": d, "default_database": db, "default_schema": schema,
               "sql": text, "expected": {"reads": rd, "writes": wr}, "truth": src}
        lines.append(json.dumps(rec, ensure_ascii=False))
    if not only or args.out != str(HERE / "corpus.jsonl"):
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")

    by_shape = defaultdict(Counter)
    for shape, d, *_rest in records:
        by_shape[shape][d] += 1
    print(f"{len(records)} statements -> {args.out}  ({time.monotonic() - t0:.1f}s)")
    print(f"{'shape':<26}{'total':>6}  " + "  ".join(f"{d[:9]:>9}" for d in DIALECTS))
    for shape, _ in SHAPES:
        if shape in by_shape:
            c = by_shape[shape]
            print(f"{shape:<26}{sum(c.values()):>6}  " + "  ".join(f"{c[d]:>9}" for d in DIALECTS))
    print("by dialect: " + ", ".join(f"{d}={n}" for d, n in sorted(Counter(r[1] for r in records).items(), key=lambda x: DIALECTS.index(x[0]))))
    print("by truth:   " + ", ".join(f"{k}={n}" for k, n in sorted(Counter(r[5] for r in records).items())))
    print("plan notes: " + ", ".join(f"{k}={n}" for k, n in sorted(eng.notes.items())))
    if per_shape_skips:
        print("skipped seeds (duplicates / unsupported variants): " + ", ".join(f"{k}={n}" for k, n in sorted(per_shape_skips.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
