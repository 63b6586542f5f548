#!/usr/bin/env python3
"""Generate a large, deterministic dbt Core project for benchmarks.

Usage: bench/gen_large_project.py OUT_DIR [--models N] [--sources N] [--seed S] [--force]

The project looks like a real warehouse project:
  models/staging/<source group>/stg_*.sql        select from sources (one, sometimes two)
  models/intermediate/<domain>/int_*.sql         joins (1-3 parents) and aggregations
  models/marts/<domain>/{fct,dim}_*.sql          joins of intermediate/staging/marts models
with ~200 source tables in 8 source groups, YAML properties for every model (description,
5-30 documented columns, generic tests unique / not_null / accepted_values / relationships,
tags, meta owners), doc blocks, two macros, incremental models and a few exposures.
Parents are picked with a bias towards recently generated models, so the DAG is both deep
(dozens of levels) and wide.

Same arguments, same bytes: everything comes from one seeded random.Random, and nothing
iterates over a set. Only the Python standard library is needed (YAML is written by hand,
strings as JSON, which YAML reads as double-quoted scalars).

The profile (profiles.yml, postgres with a dummy host) is inside the project; `dbt parse`
does not connect:  cd OUT_DIR && dbt parse --profiles-dir . --no-partial-parse
"""

import argparse
import json
import os
import random
import shutil
import sys
import time

PROJECT = "bench_large"

# ----------------------------------------------------------------------------- vocabulary

# source group -> (domain, loader, loaded_at column, description, tables)
SOURCE_GROUPS = {
    "app_db": ("product", "fivetran", "_fivetran_synced",
               "Replica of the production application database (PostgreSQL), synced every 15 minutes.",
               ["users", "accounts", "workspaces", "memberships", "projects", "documents", "comments",
                "events", "sessions", "feature_flags", "feature_flag_assignments", "invitations",
                "api_keys", "integrations", "notifications", "audit_logs", "roles", "permissions",
                "teams", "team_members", "uploads", "webhooks", "webhook_deliveries", "exports",
                "onboarding_steps"]),
    "stripe": ("finance", "fivetran", "_fivetran_synced",
               "Stripe billing data: customers, subscriptions, invoices and money movement.",
               ["customers", "charges", "invoices", "invoice_line_items", "refunds", "payouts",
                "subscriptions", "subscription_items", "plans", "prices", "products",
                "balance_transactions", "disputes", "coupons", "discounts", "payment_intents",
                "payment_methods", "credit_notes", "tax_rates", "transfers", "fees",
                "checkout_sessions", "promotion_codes", "usage_records", "quotes"]),
    "salesforce": ("sales", "fivetran", "_fivetran_synced",
                   "Salesforce CRM objects used by the sales and customer success teams.",
                   ["accounts", "contacts", "leads", "opportunities", "opportunity_line_items",
                    "opportunity_history", "campaigns", "campaign_members", "tasks", "events",
                    "users", "user_roles", "territories", "quotes", "quote_line_items", "contracts",
                    "orders", "products", "pricebook_entries", "cases", "case_comments", "forecasts",
                    "partners", "assets", "entitlements"]),
    "hubspot": ("marketing", "stitch", "_sdc_batched_at",
                "HubSpot marketing automation: contacts, email engagement and web forms.",
                ["contacts", "companies", "deals", "deal_stages", "email_campaigns", "email_events",
                 "forms", "form_submissions", "lists", "list_memberships", "workflows",
                 "workflow_enrollments", "landing_pages", "page_views", "ctas", "cta_clicks",
                 "social_posts", "ads", "ad_campaigns", "ad_spend", "owners", "engagements",
                 "meetings", "calls", "tickets"]),
    "zendesk": ("support", "fivetran", "_fivetran_synced",
                "Zendesk Support: tickets, conversations and satisfaction surveys.",
                ["tickets", "ticket_comments", "ticket_fields", "ticket_field_history", "users",
                 "organizations", "groups", "group_memberships", "brands", "satisfaction_ratings",
                 "macros", "triggers", "automations", "schedules", "slas", "sla_events", "tags",
                 "ticket_tags", "views", "articles", "article_votes", "sections", "categories",
                 "call_legs", "chats"]),
    "shopify": ("commerce", "airbyte", "_airbyte_extracted_at",
                "Shopify storefront: orders, products, fulfillment and inventory.",
                ["orders", "order_lines", "products", "product_variants", "customers",
                 "customer_addresses", "fulfillments", "fulfillment_events", "refunds",
                 "refund_lines", "transactions", "inventory_items", "inventory_levels", "locations",
                 "collections", "collection_products", "discount_codes", "price_rules",
                 "abandoned_checkouts", "draft_orders", "gift_cards", "shipping_lines",
                 "tax_lines", "metafields", "tender_transactions"]),
    "netsuite": ("finance", "fivetran", "_fivetran_synced",
                 "NetSuite ERP: general ledger, accounts payable and receivable.",
                 ["transactions", "transaction_lines", "accounts", "accounting_periods", "vendors",
                  "vendor_bills", "customers", "subsidiaries", "departments", "classes",
                  "currencies", "currency_rates", "employees", "items", "journal_entries",
                  "budgets", "invoices", "payments", "purchase_orders", "expense_reports",
                  "locations", "terms", "entities", "consolidated_rates", "revenue_elements"]),
    "workday": ("people", "fivetran", "_fivetran_synced",
                "Workday HCM: workers, positions, compensation and time off.",
                ["workers", "positions", "job_profiles", "organizations", "supervisory_orgs",
                 "cost_centers", "compensation_plans", "compensation_events", "time_off_requests",
                 "time_off_balances", "absences", "terminations", "hires", "promotions",
                 "performance_reviews", "goals", "trainings", "training_completions", "locations",
                 "job_families", "pay_groups", "payroll_results", "benefits", "benefit_elections",
                 "worker_history"]),
}

DOMAINS = ["product", "finance", "sales", "marketing", "support", "commerce", "people"]

DOMAIN_PURPOSE = {
    "product": ["activation and retention analysis", "feature adoption dashboards",
                "the weekly product review", "growth experiments"],
    "finance": ["revenue recognition", "the month-end close", "ARR and MRR reporting",
                "cash forecasting", "board reporting"],
    "sales": ["pipeline reviews", "quota attainment", "territory planning", "forecast calls"],
    "marketing": ["campaign attribution", "funnel reporting", "paid media optimisation",
                  "lead scoring"],
    "support": ["SLA monitoring", "agent staffing", "CSAT reporting", "deflection analysis"],
    "commerce": ["merchandising", "inventory planning", "order operations", "GMV reporting"],
    "people": ["headcount planning", "attrition analysis", "compensation reviews",
               "recruiting funnel reporting"],
}

OWNERS = [
    ("data-platform", "ana.silva@example.com"), ("analytics-eng", "james.okafor@example.com"),
    ("finance-analytics", "mei.tanaka@example.com"), ("growth", "lukas.becker@example.com"),
    ("sales-ops", "priya.nair@example.com"), ("marketing-ops", "tom.dubois@example.com"),
    ("support-ops", "sofia.rossi@example.com"), ("people-analytics", "noah.kim@example.com"),
    ("commerce-analytics", "olga.ivanova@example.com"), ("product-analytics", "diego.lopez@example.com"),
    ("revenue-ops", "fatima.haddad@example.com"), ("bi", "erik.lund@example.com"),
]

CAVEATS = [
    "Deleted records are excluded.",
    "Soft-deleted rows are kept and flagged with `is_deleted`.",
    "Timestamps are in UTC.",
    "Amounts are converted to USD at the daily rate of the transaction date.",
    "Test accounts and internal users are filtered out.",
    "Late-arriving data is reprocessed for the last 3 days on every run.",
    "Rows before 2019-01-01 come from the legacy system and may be incomplete.",
    "This model is rebuilt every hour.",
    "Do not join on `email`: it is not unique across sources.",
    "See the data contract in Confluence before changing the grain.",
]

# name, data type, kind, description, accepted values (None = not categorical)
ATTRIBUTES = [
    ("status", "text", "cat", "Current lifecycle status of the record.",
     ["active", "inactive", "pending", "cancelled"]),
    ("type", "text", "cat", "Record type as defined in the source system.",
     ["standard", "premium", "internal"]),
    ("currency", "text", "cat", "ISO 4217 currency code of the amounts on this row.",
     ["USD", "EUR", "GBP", "JPY", "CAD", "AUD"]),
    ("country_code", "text", "str", "ISO 3166-1 alpha-2 country code.", None),
    ("region", "text", "cat", "Sales region derived from the billing country.",
     ["NA", "EMEA", "APAC", "LATAM"]),
    ("channel", "text", "cat", "Acquisition or sales channel.",
     ["web", "mobile", "partner", "direct", "marketplace"]),
    ("plan_tier", "text", "cat", "Pricing tier at the time of the event.",
     ["free", "starter", "pro", "enterprise"]),
    ("priority", "text", "cat", "Priority assigned by the owner or by automation.",
     ["low", "normal", "high", "urgent"]),
    ("source_system", "text", "cat", "System the record was first created in.",
     ["app", "import", "api", "sync"]),
    ("billing_interval", "text", "cat", "How often the customer is billed.",
     ["month", "year", "one_time"]),
    ("name", "text", "str", "Display name.", None),
    ("email", "text", "pii", "Email address. PII: masked outside the restricted schemas.", None),
    ("phone", "text", "pii", "Phone number in E.164 format. PII.", None),
    ("first_name", "text", "pii", "Given name. PII.", None),
    ("last_name", "text", "pii", "Family name. PII.", None),
    ("title", "text", "str", "Free-text title entered by the user.", None),
    ("description", "text", "str", "Free-text description; may contain markdown.", None),
    ("external_ref", "text", "str", "Identifier of the record in the upstream vendor's API.", None),
    ("url", "text", "str", "Canonical URL of the record in the source application.", None),
    ("city", "text", "str", "City from the primary address.", None),
    ("postal_code", "text", "pii", "Postal code from the primary address. PII.", None),
    ("timezone", "text", "str", "IANA time zone name, for example `Europe/Paris`.", None),
    ("locale", "text", "str", "BCP 47 locale of the user interface.", None),
    ("utm_source", "text", "str", "UTM source of the first tracked visit.", None),
    ("utm_campaign", "text", "str", "UTM campaign of the first tracked visit.", None),
    ("amount", "numeric(18,2)", "money", "Gross amount in the row's currency.", None),
    ("amount_usd", "numeric(18,2)", "money", "Gross amount converted to USD.", None),
    ("tax_amount", "numeric(18,2)", "money", "Tax included in the amount.", None),
    ("discount_amount", "numeric(18,2)", "money", "Discounts applied, as a positive number.", None),
    ("fee_amount", "numeric(18,2)", "money", "Processing fees charged by the provider.", None),
    ("unit_price", "numeric(18,4)", "money", "Price of one unit before discounts.", None),
    ("quantity", "integer", "num", "Number of units.", None),
    ("score", "double precision", "num", "Model score between 0 and 1.", None),
    ("seats", "integer", "num", "Number of paid seats.", None),
    ("duration_seconds", "integer", "num", "Duration in seconds.", None),
    ("attempt_count", "integer", "num", "Number of attempts so far.", None),
    ("rating", "integer", "num", "Rating from 1 to 5 given by the customer.", None),
    ("probability", "double precision", "num", "Win probability in percent, as entered by the owner.", None),
    ("weight_grams", "integer", "num", "Shipping weight in grams.", None),
    ("version", "integer", "num", "Optimistic-locking version counter from the source.", None),
    ("is_deleted", "boolean", "bool", "True when the record was soft-deleted in the source.", None),
    ("is_test", "boolean", "bool", "True for test or sandbox records.", None),
    ("is_active", "boolean", "bool", "True when the record is currently active.", None),
    ("is_paid", "boolean", "bool", "True when fully paid.", None),
    ("is_internal", "boolean", "bool", "True for employees and internal accounts.", None),
    ("has_opted_out", "boolean", "bool", "True when the person opted out of marketing email.", None),
    ("created_at", "timestamp", "ts", "When the record was created, UTC.", None),
    ("updated_at", "timestamp", "ts", "When the record was last modified, UTC.", None),
    ("deleted_at", "timestamp", "ts", "When the record was deleted, UTC; null if it was not.", None),
    ("started_at", "timestamp", "ts", "Start of the period or activity, UTC.", None),
    ("ended_at", "timestamp", "ts", "End of the period or activity, UTC; null while ongoing.", None),
    ("closed_at", "timestamp", "ts", "When the record was closed, UTC.", None),
    ("due_at", "timestamp", "ts", "Due date and time, UTC.", None),
    ("paid_at", "timestamp", "ts", "When payment was captured, UTC.", None),
    ("first_seen_at", "timestamp", "ts", "First time we saw this record in any source.", None),
    ("effective_date", "date", "date", "Date from which the row applies.", None),
    ("period_start_date", "date", "date", "First day of the billing or accounting period.", None),
    ("period_end_date", "date", "date", "Last day of the billing or accounting period.", None),
    ("metadata", "jsonb", "json", "Raw key/value metadata as sent by the source API.", None),
    ("properties", "jsonb", "json", "Custom properties configured by the customer.", None),
]
ATTR_BY_NAME = {a[0]: a for a in ATTRIBUTES}
ALWAYS = ["created_at", "updated_at"]
MIN_COLUMNS, MAX_COLUMNS = 5, 30  # per model

# doc blocks for the most common columns; referenced with {{ doc() }} part of the time
DOC_COLUMNS = ["status", "currency", "country_code", "region", "channel", "plan_tier", "email",
               "amount", "amount_usd", "is_deleted", "is_test", "created_at", "updated_at",
               "deleted_at", "metadata", "loaded_at"]

STAGING_VARIANTS = ["deduped", "current", "history", "daily", "normalized", "filtered", "latest",
                    "enriched", "flattened", "unioned", "cleaned", "snapshot"]
INT_VERBS = ["joined", "enriched", "combined", "mapped", "unioned", "filtered", "scored",
             "windowed", "attributed", "reconciled"]
MART_KINDS = [("fct", 0.6), ("dim", 0.3), ("rpt", 0.1)]
CADENCES = [("daily", 0.6), ("hourly", 0.25), ("weekly", 0.15)]


def singular(table):
    if table.endswith("ies"):
        return table[:-3] + "y"
    if table.endswith(("sses", "ches", "shes", "xes")):
        return table[:-2]
    if table.endswith("s") and not table.endswith("ss"):
        return table[:-1]
    return table


SQL_RESERVED = ["all", "case", "check", "column", "default", "end", "grant", "group", "limit",
                "offset", "order", "role", "session", "table", "tag", "transaction", "user", "view"]


def alias_of(entity):
    """A CTE name for an entity, avoiding SQL keywords."""
    return entity + "s" if entity in SQL_RESERVED else entity


def q(s):
    """A YAML scalar: JSON string syntax is a valid YAML double-quoted scalar."""
    return json.dumps(s, ensure_ascii=False)


def weighted(rng, pairs):
    r = rng.random() * sum(w for _, w in pairs)
    for v, w in pairs:
        r -= w
        if r <= 0:
            return v
    return pairs[-1][0]


class Column:
    __slots__ = ("name", "dtype", "kind", "desc", "values", "fk", "pk", "expr")

    def __init__(self, name, dtype, kind, desc, values=None, fk=None, pk=False, expr=None):
        self.name, self.dtype, self.kind, self.desc = name, dtype, kind, desc
        self.values, self.fk, self.pk, self.expr = values, fk, pk, expr


class Node:
    """A source table or a model."""

    def __init__(self, kind, name, domain, entity, pk, columns, parents, depth):
        self.kind, self.name, self.domain, self.entity = kind, name, domain, entity
        self.pk, self.columns, self.parents, self.depth = pk, columns, parents, depth
        # set for models
        self.layer = self.folder = self.group = None
        self.sql = self.description = None
        self.tags = []
        self.meta = {}
        self.config = {}


# ----------------------------------------------------------------------------- generator

class Generator:
    def __init__(self, n_models, n_sources, seed, max_depth):
        self.rng = random.Random(seed)
        self.n_models, self.n_sources, self.max_depth = n_models, n_sources, max_depth
        self.names = {}  # every model name -> Node (models only)
        self.sources = []  # Node, kind "source"
        self.staging, self.intermediate, self.marts = [], [], []
        self.by_domain = {d: {"staging": [], "intermediate": [], "marts": []} for d in DOMAINS}

    # ---------------------------------------------------------------- helpers
    def unique_name(self, base):
        if base not in self.names:
            return base
        i = 2
        while f"{base}_v{i}" in self.names:
            i += 1
        return f"{base}_v{i}"

    def pick_attrs(self, k, exclude=()):
        pool = [a for a in ATTRIBUTES if a[0] not in exclude and a[0] not in ALWAYS]
        return self.rng.sample(pool, min(k, len(pool)))

    def owner(self, domain):
        i = (DOMAINS.index(domain) + self.rng.randrange(3)) % len(OWNERS)
        return OWNERS[i]

    # ---------------------------------------------------------------- sources
    def gen_sources(self):
        groups = list(SOURCE_GROUPS.items())
        per_group = max(1, -(-self.n_sources // len(groups)))
        count = 0
        for gname, (domain, loader, loaded_at, gdesc, tables) in groups:
            tables = list(tables)
            i = 0
            while len(tables) < per_group:  # more sources than the vocabulary: history tables
                tables.append(f"{tables[i]}_history" if i < len(SOURCE_GROUPS[gname][4]) else f"{tables[i]}_{i}")
                i += 1
            group_nodes = []
            for table in tables[:per_group]:
                if count >= self.n_sources:
                    break
                count += 1
                entity = singular(table)
                cols = [Column("id", "bigint", "id", f"Primary key of the {entity} in {gname}.", pk=True)]
                others = [t for t in tables[:per_group] if t != table]
                for other in self.rng.sample(others, self.rng.randint(0, min(3, len(others)))):
                    e = singular(other)
                    cols.append(Column(f"{e}_id", "bigint", "id", f"The {e} this {entity} belongs to.",
                                       fk=(gname, other)))
                for a in self.pick_attrs(self.rng.randint(6, 26)):
                    cols.append(Column(a[0], a[1], a[2], a[3], a[4]))
                for n in ALWAYS:
                    a = ATTR_BY_NAME[n]
                    cols.append(Column(a[0], a[1], a[2], a[3]))
                cols.append(Column(loaded_at, "timestamp", "ts", f"When {loader} loaded the row, UTC."))
                node = Node("source", table, domain, entity, "id", cols, [], 0)
                node.group = gname
                group_nodes.append(node)
            self.sources.extend(group_nodes)

    # ---------------------------------------------------------------- staging
    def gen_staging(self, n):
        rng = self.rng
        order = list(self.sources)
        for i in range(n):
            src = order[i % len(order)] if i < len(order) else rng.choice(order)
            g = src.group
            loaded_at = SOURCE_GROUPS[g][2]
            variant = None if i < len(order) else rng.choice(STAGING_VARIANTS)
            base = f"stg_{g}__{src.name}" + (f"_{variant}" if variant else "")
            name = self.unique_name(base)
            pk = f"{src.entity}_id"
            src_cols = [c for c in src.columns if not c.pk and c.name != loaded_at]
            fks = [c for c in src_cols if c.fk]
            attrs = [c for c in src_cols if not c.fk]
            target = rng.randint(MIN_COLUMNS, MAX_COLUMNS)
            must = [c for c in attrs if c.name in ALWAYS]
            optional = [c for c in attrs if c.name not in ALWAYS]
            keep_attrs = must + rng.sample(optional, max(0, min(len(optional), target - 2 - len(fks) - len(must))))
            keep_attrs.sort(key=lambda c: src_cols.index(c))
            # "@" in an expression stands for the table qualifier ("source." when there is a join)
            cols = [Column(pk, "bigint", "id", f"Primary key of the {src.entity}.", pk=True, expr=f"@id as {pk}")]
            for c in fks:
                cols.append(Column(c.name, c.dtype, c.kind, c.desc, fk=c.fk, expr=f"@{c.name}"))
            for c in keep_attrs:
                if c.kind == "money" and g == "stripe":
                    expr = f"{{{{ cents_to_dollars('@{c.name}') }}}} as {c.name}"
                elif c.kind == "cat":
                    expr = f"lower(@{c.name}) as {c.name}"
                elif c.kind == "ts":
                    expr = f"cast(@{c.name} as timestamp) as {c.name}"
                elif c.kind == "bool":
                    expr = f"coalesce(@{c.name}, false) as {c.name}"
                else:
                    expr = f"@{c.name}"
                cols.append(Column(c.name, c.dtype, c.kind, c.desc, c.values, expr=expr))
            cols.append(Column("loaded_at", "timestamp", "ts", f"When the row was loaded into the warehouse ({SOURCE_GROUPS[g][1]}).",
                               expr=f"@{loaded_at} as loaded_at"))
            parents = [("source", src)]
            second = None
            if rng.random() < 0.15 and fks:
                fk = rng.choice(fks)
                second = next((s for s in self.sources if s.group == g and s.name == fk.fk[1]), None)
                if second is not None:
                    parents.append(("source", second))
            node = Node("model", name, src.domain, src.entity, pk, cols, parents, 1)
            node.layer, node.group = "staging", g
            node.folder = f"staging/{g}"
            node.sql = self.staging_sql(node, src, second, variant)
            self.finish_model(node, variant=variant)
            self.staging.append(node)
            self.by_domain[node.domain]["staging"].append(node)

    def staging_sql(self, node, src, second, variant):
        g = src.group
        lines = []
        if variant in ("history", "snapshot") or self.rng.random() < 0.05:
            lines.append("{{ config(materialized='table') }}\n")
        lines.append("with source as (\n")
        lines.append(f"    select * from {{{{ source('{g}', '{src.name}') }}}}\n")
        lines.append("),\n")
        if second is not None:
            lines.append(f"\n{second.name} as (\n\n    select * from {{{{ source('{g}', '{second.name}') }}}}\n\n),\n")
        lines.append("\nrenamed as (\n\n    select\n")
        qual = "source." if second is not None else ""
        exprs = [c.expr.replace("@", qual) for c in node.columns]
        lines.append(",\n".join(f"        {e}" for e in exprs) + "\n")
        lines.append("    from source\n")
        if second is not None:
            fk = f"{second.entity}_id"
            lines.append(f"    left join {second.name}\n        on source.{fk} = {second.name}.id\n")
        has = {c.name for c in node.columns}
        if "is_deleted" in has or "deleted_at" in has:
            lines.append("    where " + (f"not coalesce({qual}is_deleted, false)" if "is_deleted" in has
                                         else f"{qual}deleted_at is null") + "\n")
        lines.append("\n)")
        if variant in ("deduped", "latest", "current"):
            lines.append(",\n\nranked as (\n\n    select\n        *,\n"
                         f"        row_number() over (partition by {node.pk} order by updated_at desc) as _row_number\n"
                         "    from renamed\n\n)\n\nselect * from ranked where _row_number = 1\n")
        else:
            lines.append("\n\nselect * from renamed\n")
        return "".join(lines)

    # ---------------------------------------------------------------- intermediate / marts
    def pick_parents(self, domain, layer, k):
        rng = self.rng
        own = self.by_domain[domain]
        if layer == "intermediate":
            pools = [(own["staging"], 0.45), (own["intermediate"], 0.45), (None, 0.10)]
        else:
            pools = [(own["intermediate"], 0.5), (own["marts"], 0.3), (own["staging"], 0.1), (None, 0.1)]
        chosen = []
        for _ in range(k * 6):
            if len(chosen) >= k:
                break
            pool = weighted(rng, pools)
            if pool is None:  # cross-domain
                other = rng.choice(DOMAINS)
                pool = self.by_domain[other]["intermediate"] or self.by_domain[other]["staging"]
            if not pool:
                continue
            if rng.random() < 0.6:  # recent models: long chains
                cand = pool[-rng.randint(1, min(25, len(pool)))]
            else:
                cand = rng.choice(pool)
            if cand.depth >= self.max_depth or cand in chosen:
                continue
            chosen.append(cand)
        if not chosen:  # fall back to any staging model
            chosen.append(rng.choice(self.by_domain[domain]["staging"] or self.staging))
        return chosen

    def derived_columns(self, base_alias, base, existing, n):
        rng = self.rng
        out = []
        # only from vocabulary columns, never from derived ones (no "x_rank_bucket")
        cols = [c for c in base.columns if not c.pk and c.name in ATTR_BY_NAME]
        templates = []
        for c in cols:
            if c.kind == "money":
                if c.name != "discount_amount" and any(x.name == "discount_amount" for x in cols):
                    templates.append((f"{c.name}_net", "numeric(18,2)", "money", f"`{c.name}` minus discounts.",
                                      f"coalesce({base_alias}.{c.name}, 0) - coalesce({base_alias}.discount_amount, 0)"))
                templates += [
                    (f"{c.name}_cumulative", "numeric(18,2)", "money", f"Running total of `{c.name}` per {base.entity}.",
                     f"sum({base_alias}.{c.name}) over (partition by {base_alias}.{base.pk} order by {base_alias}.created_at)"),
                ]
            elif c.kind == "ts":
                stem = c.name[:-3] if c.name.endswith("_at") else c.name
                templates += [
                    (f"{stem}_date", "date", "date", f"Calendar date of `{c.name}`.",
                     f"cast({base_alias}.{c.name} as date)"),
                    (f"{stem}_month", "date", "date", f"First day of the month of `{c.name}`.",
                     f"date_trunc('month', {base_alias}.{c.name})"),
                    (f"days_since_{stem}", "integer", "num", f"Whole days between `{c.name}` and the run date.",
                     f"current_date - cast({base_alias}.{c.name} as date)"),
                ]
            elif c.kind == "cat" and c.values:
                v = c.values[0]
                templates.append((f"is_{c.name}_{v}", "boolean", "bool", f"True when `{c.name}` is `{v}`.",
                                  f"{base_alias}.{c.name} = '{v}'"))
            elif c.kind == "num":
                templates += [
                    (f"{c.name}_bucket", "text", "cat", f"`{c.name}` bucketed for reporting.",
                     f"case when {base_alias}.{c.name} is null then 'unknown' when {base_alias}.{c.name} < 10 then 'low' "
                     f"when {base_alias}.{c.name} < 100 then 'medium' else 'high' end"),
                    (f"{c.name}_rank", "integer", "num", f"Rank of the {base.entity} by `{c.name}`, 1 = highest.",
                     f"dense_rank() over (order by {base_alias}.{c.name} desc nulls last)"),
                ]
        templates.append((f"{base.entity}_sequence", "integer", "num", f"Order of the {base.entity} among its siblings, by creation time.",
                          f"row_number() over (partition by {base_alias}.{base.pk} order by {base_alias}.created_at)"))
        templates.append(("dbt_loaded_at", "timestamp", "ts", "When dbt built this row.", "current_timestamp"))
        rng.shuffle(templates)
        for name, dtype, kind, desc, expr in templates:
            if len(out) >= n:
                break
            if name in existing:
                continue
            existing.add(name)
            values = ["unknown", "low", "medium", "high"] if name.endswith("_bucket") else None
            out.append(Column(name, dtype, kind, desc, values, expr=f"{expr} as {name}"))
        return out

    def gen_layer(self, layer, n):
        rng = self.rng
        for i in range(n):
            domain = DOMAINS[i % len(DOMAINS)] if rng.random() < 0.8 else rng.choice(DOMAINS)
            agg = layer == "intermediate" and rng.random() < 0.2
            if agg:
                k = 1
            elif layer == "intermediate":
                k = weighted(rng, [(1, 0.3), (2, 0.45), (3, 0.25)])
            else:
                k = weighted(rng, [(1, 0.25), (2, 0.45), (3, 0.3)])
            parents = self.pick_parents(domain, layer, k)
            base = parents[0]
            target = rng.randint(MIN_COLUMNS, MAX_COLUMNS)
            if agg and not any(c.fk or c.name == "created_at" for c in base.columns):
                agg = False
            if agg:
                node = self.agg_model(domain, base, target)
            else:
                node = self.join_model(domain, layer, parents, target)
            node.layer = layer
            node.folder = f"{layer}/{domain}"
            self.finish_model(node)
            (self.intermediate if layer == "intermediate" else self.marts).append(node)
            self.by_domain[domain][layer].append(node)

    def join_model(self, domain, layer, parents, target):
        rng = self.rng
        base = parents[0]
        aliases = []
        for p in parents:
            a = alias_of(p.entity)
            if a in aliases:
                a = f"{a}_{len(aliases) + 1}"
            aliases.append(a)
        existing = {base.pk}
        cols = [Column(base.pk, "bigint", "id", f"Primary key of the {base.entity}.", pk=True,
                       expr=f"{aliases[0]}.{base.pk}")]
        joins = []
        for p, a in zip(parents[1:], aliases[1:]):
            if p.pk in existing:
                joins.append((p, a, p.pk))
                continue
            existing.add(p.pk)
            cols.append(Column(p.pk, "bigint", "id", f"The {p.entity} related to this {base.entity}.",
                               fk=("model", p), expr=f"{aliases[0]}.{p.pk}"))
            joins.append((p, a, p.pk))
        # other parents' foreign keys carried through from the base
        for c in base.columns:
            if c.fk and c.name not in existing and len(cols) < target and rng.random() < 0.7:
                existing.add(c.name)
                cols.append(Column(c.name, c.dtype, c.kind, c.desc, fk=c.fk, expr=f"{aliases[0]}.{c.name}"))
        n_inherit = max(0, int((target - len(cols)) * rng.uniform(0.5, 0.85)))
        for p, a in zip(parents, aliases):
            pool = [c for c in p.columns if not c.pk and not c.fk and c.name not in existing]
            take = rng.sample(pool, min(len(pool), max(1, n_inherit // len(parents))))
            for c in take:
                if len(cols) >= target:
                    break
                existing.add(c.name)
                cols.append(Column(c.name, c.dtype, c.kind, c.desc, c.values, expr=f"{a}.{c.name}"))
        cols += self.derived_columns(aliases[0], base, existing, max(0, target - len(cols)))
        # at least MIN_COLUMNS: carry more parent columns through
        for p, a in zip(parents, aliases):
            for c in p.columns:
                if len(cols) >= MIN_COLUMNS:
                    break
                if c.name not in existing and not c.pk:
                    existing.add(c.name)
                    cols.append(Column(c.name, c.dtype, c.kind, c.desc, c.values, fk=c.fk, expr=f"{a}.{c.name}"))

        ent = base.entity
        if layer == "intermediate":
            if len(parents) > 1 and parents[1].entity != ent:
                stem = f"{ent}_{rng.choice(INT_VERBS)}_{parents[1].entity}"
            else:
                stem = f"{ent}_{rng.choice(INT_VERBS)}"
            name = self.unique_name(f"int_{domain}__{stem}")
        else:
            kind = weighted(rng, MART_KINDS)
            stem = ent if kind != "rpt" else f"{ent}_{rng.choice(['daily', 'weekly', 'monthly', 'summary'])}"
            name = self.unique_name(f"{kind}_{domain}__{stem}" if rng.random() < 0.5 else f"{kind}_{stem}")
        depth = 1 + max(p.depth for p in parents)
        node = Node("model", name, domain, ent, base.pk, cols, [("model", p) for p in parents], depth)

        # SQL
        out = []
        incremental = layer == "marts" and rng.random() < 0.3 and any(c.name == "updated_at" for c in cols)
        if incremental:
            out.append(f"{{{{\n    config(\n        materialized='incremental',\n        unique_key='{base.pk}',\n"
                       f"        on_schema_change='append_new_columns'\n    )\n}}}}\n\n")
        out.append("with ")
        ctes = []
        for p, a in zip(parents, aliases):
            ctes.append(f"{a} as (\n\n    select * from {{{{ ref('{p.name}') }}}}\n\n)")
        out.append(",\n\n".join(ctes))
        out.append(",\n\nfinal as (\n\n    select\n")
        out.append(",\n".join(f"        {c.expr}" for c in cols) + "\n")
        out.append(f"    from {aliases[0]}\n")
        for p, a, key in joins:
            jt = rng.choice(["left join", "left join", "inner join"])
            out.append(f"    {jt} {a}\n        on {aliases[0]}.{key} = {a}.{key}\n")
        if incremental:
            out.append("    {% if is_incremental() %}\n"
                       f"    where {aliases[0]}.updated_at > (select max(updated_at) from {{{{ this }}}})\n"
                       "    {% endif %}\n")
        out.append("\n)\n\nselect * from final\n")
        node.sql = "".join(out)
        if incremental:
            node.config["materialized"] = "incremental"
        return node

    def agg_model(self, domain, base, target):
        rng = self.rng
        fks = [c for c in base.columns if c.fk]
        if fks:
            key = rng.choice(fks)
            grain, grain_expr, grain_desc = key.name, key.name, key.desc
            grain_entity = key.name[:-3]
            fk = key.fk
        else:
            grain, grain_expr, grain_desc = "date_day", "cast(created_at as date)", "Calendar day, UTC."
            grain_entity, fk = "day", None
        cols = [Column(grain, "bigint" if fk else "date", "id" if fk else "date",
                       f"One row per {grain_entity}. {grain_desc}", pk=True, expr=f"{grain_expr} as {grain}"
                       if grain_expr != grain else grain)]
        cols.append(Column(f"{base.entity}_count", "integer", "num", f"Number of {base.entity} records.",
                           expr=f"count(*) as {base.entity}_count"))
        existing = {c.name for c in cols}
        for c in base.columns:
            if len(cols) >= target:
                break
            if c.pk or c.fk or c.name in existing:
                continue
            if c.kind in ("money", "num"):
                for fn in ("sum", "avg", "max"):
                    nm = f"{fn}_{c.name}" if fn != "sum" else f"total_{c.name}"
                    if nm not in existing and len(cols) < target:
                        existing.add(nm)
                        cols.append(Column(nm, c.dtype if fn != "avg" else "double precision", c.kind,
                                           f"{ {'sum': 'Total', 'avg': 'Average', 'max': 'Largest'}[fn]} `{c.name}` per {grain_entity}.",
                                           expr=f"{fn}({c.name}) as {nm}"))
            elif c.kind == "ts":
                for fn, word in (("min", "first"), ("max", "last")):
                    stem = c.name[:-3] if c.name.endswith("_at") else c.name
                    nm = f"{word}_{stem}_at"
                    if nm not in existing and len(cols) < target:
                        existing.add(nm)
                        cols.append(Column(nm, "timestamp", "ts", f"{word.title()} `{c.name}` per {grain_entity}.",
                                           expr=f"{fn}({c.name}) as {nm}"))
            elif c.kind == "bool":
                nm = f"{c.name[3:] if c.name.startswith('is_') else c.name}_count"
                if nm not in existing:
                    existing.add(nm)
                    cols.append(Column(nm, "integer", "num", f"Number of rows where `{c.name}` is true.",
                                       expr=f"count(*) filter (where {c.name}) as {nm}"))
        # pivot on a categorical column, in Jinja (forces dbt to render it)
        cat = next((c for c in base.columns if c.kind == "cat" and c.values), None)
        # at least MIN_COLUMNS: distinct counts
        for c in base.columns:
            if len(cols) >= MIN_COLUMNS:
                break
            nm = f"distinct_{c.name}_count"
            if not c.pk and c.name != grain and nm not in existing and c.kind not in ("json",):
                existing.add(nm)
                cols.append(Column(nm, "integer", "num", f"Number of distinct `{c.name}` values per {grain_entity}.",
                                   expr=f"count(distinct {c.name}) as {nm}"))
        pivot = ""
        if cat is not None and len(cols) + len(cat.values) <= MAX_COLUMNS:
            for v in cat.values:
                existing.add(f"{cat.name}_{v}_count")
                cols.append(Column(f"{cat.name}_{v}_count", "integer", "num",
                                   f"Number of {base.entity} records with `{cat.name}` = `{v}`.", expr=None))
            pivot = (f"{{%- set {cat.name}_values = {json.dumps(cat.values)} %}}\n\n")
        name = self.unique_name(f"int_{domain}__{base.entity}_aggregated_by_{grain_entity}")
        alias = alias_of(base.entity)
        node = Node("model", name, domain, grain_entity, grain, cols, [("model", base)], base.depth + 1)
        body = ",\n".join(f"        {c.expr}" for c in cols if c.expr)
        if pivot:
            body += (f",\n        {{%- for v in {cat.name}_values %}}\n"
                     f"        count(*) filter (where {cat.name} = '{{{{ v }}}}') as {cat.name}_{{{{ v }}}}_count"
                     "{{ ',' if not loop.last }}\n        {%- endfor %}")
        group_by = "1"
        node.sql = (f"{pivot}with {alias} as (\n\n    select * from {{{{ ref('{base.name}') }}}}\n\n),\n\n"
                    f"aggregated as (\n\n    select\n{body}\n    from {alias}\n    group by {group_by}\n\n)\n\n"
                    "select * from aggregated\n")
        return node

    # ---------------------------------------------------------------- properties
    def finish_model(self, node, variant=None):
        rng = self.rng
        self.names[node.name] = node
        team, owner = self.owner(node.domain)
        cadence = weighted(rng, CADENCES)
        tags = [node.layer, node.domain, cadence]
        if any(c.kind == "pii" for c in node.columns):
            tags.append("pii")
        if node.layer == "marts" and rng.random() < 0.3:
            tags.append("tier-1")
        if rng.random() < 0.02:
            tags.append("deprecated")
        node.tags = tags
        node.meta = {"owner": owner, "team": team}
        if node.layer == "marts":
            node.meta["sla_hours"] = rng.choice([1, 4, 12, 24])
        if rng.random() < 0.2:
            node.meta["jira"] = f"DATA-{rng.randint(100, 9999)}"
        node.description = self.model_description(node, variant)

    def model_description(self, node, variant):
        rng = self.rng
        purpose = rng.choice(DOMAIN_PURPOSE[node.domain])
        parents = [p.name for _, p in node.parents]
        if node.layer == "staging":
            src = node.parents[0][1]
            s = (f"Staging model for `{src.group}.{src.name}`: renames columns, casts types and "
                 f"normalises categorical values. One row per {node.entity}"
                 + (f" ({variant} variant)." if variant else ".") + "\n\n")
        elif node.layer == "intermediate":
            s = (f"Intermediate {node.domain} model built from {', '.join(f'`{p}`' for p in parents)}. "
                 f"Grain: one row per {node.entity}. Feeds {purpose}.\n\n")
        else:
            s = (f"# {node.entity.replace('_', ' ').title()} ({node.name})\n\n"
                 f"Business-facing {node.domain} table used for {purpose}. One row per {node.entity}.\n\n"
                 "Upstream:\n" + "".join(f"- `{p}`\n" for p in parents) + "\n")
        s += " ".join(rng.sample(CAVEATS, rng.randint(1, 3)))
        return s

    # ---------------------------------------------------------------- write
    def generate(self):
        n = self.n_models
        n_stg = max(1, int(n * 0.25))
        n_int = max(0, int(n * 0.45))
        n_mart = max(0, n - n_stg - n_int)
        self.gen_sources()
        self.gen_staging(n_stg)
        self.gen_layer("intermediate", n_int)
        self.gen_layer("marts", n_mart)

    def column_tests(self, node, c, is_source=False):
        rng = self.rng
        tests = []
        if c.pk:
            tests += ["unique", "not_null"]
        elif c.fk is not None:
            if rng.random() < 0.4:
                tests.append("not_null")
            target = None
            if c.fk[0] == "model":
                target, field = f"ref('{c.fk[1].name}')", c.fk[1].pk
            elif not is_source:
                # foreign key that came from a source: point at that source's staging model
                stg = self.names.get(f"stg_{c.fk[0]}__{c.fk[1]}")
                if stg is not None:
                    target, field = f"ref('{stg.name}')", stg.pk
            elif is_source:
                target, field = f"source('{c.fk[0]}', '{c.fk[1]}')", "id"
            if target is not None and rng.random() < 0.55:
                args = {"to": target, "field": field}
                cfg = {"severity": "warn"} if rng.random() < 0.3 else {}
                tests.append(("relationships", args, cfg))
        elif c.values and rng.random() < 0.5:
            cfg = {}
            if rng.random() < 0.2:
                cfg = {"severity": "warn"}
            if rng.random() < 0.1:
                cfg["where"] = "created_at >= current_date - interval '30 days'"
            tests.append(("accepted_values", {"values": c.values}, cfg))
        elif c.name in ("created_at", "loaded_at") and rng.random() < 0.25:
            tests.append("not_null")
        elif rng.random() < 0.04:
            tests.append(("not_null", {}, {"severity": "warn"}))
        return tests

    def emit_tests(self, out, tests, ind):
        if not tests:
            return
        out.append(f"{ind}data_tests:\n")
        for t in tests:
            if isinstance(t, str):
                out.append(f"{ind}  - {t}\n")
                continue
            name, args, cfg = t
            out.append(f"{ind}  - {name}:\n")
            if args:
                out.append(f"{ind}      arguments:\n")
                for k, v in args.items():
                    val = "[" + ", ".join(q(x) for x in v) + "]" if isinstance(v, list) else q(v)
                    out.append(f"{ind}        {k}: {val}\n")
            if cfg:
                out.append(f"{ind}      config:\n")
                for k, v in cfg.items():
                    out.append(f"{ind}        {k}: {q(v)}\n")

    def col_description(self, c):
        if c.name in DOC_COLUMNS and self.rng.random() < 0.4:
            return q(f'{{{{ doc("col_{c.name}") }}}}')
        return q(c.desc)

    def model_yaml(self, node):
        out = [f"  - name: {node.name}\n", f"    description: {q(node.description)}\n", "    config:\n"]
        out.append("      tags: [" + ", ".join(q(t) for t in node.tags) + "]\n")
        out.append("      meta:\n")
        for k, v in node.meta.items():
            out.append(f"        {k}: {q(v) if isinstance(v, str) else v}\n")
        out.append("    columns:\n")
        for c in node.columns:
            out.append(f"      - name: {c.name}\n")
            out.append(f"        description: {self.col_description(c)}\n")
            out.append(f"        data_type: {c.dtype}\n")
            if c.kind == "pii":
                out.append("        config:\n          meta:\n            pii: true\n            masking: hash\n"
                           "          tags: [\"pii\"]\n")
            self.emit_tests(out, self.column_tests(node, c), "        ")
        return "".join(out)

    def sources_yaml(self, gname, nodes):
        domain, loader, loaded_at, gdesc, _ = SOURCE_GROUPS[gname]
        team, owner = OWNERS[DOMAINS.index(domain) % len(OWNERS)]
        out = ["version: 2\n\nsources:\n", f"  - name: {gname}\n", f"    description: {q(gdesc)}\n",
               "    database: raw\n", f"    schema: {gname}\n", f"    loader: {loader}\n",
               "    config:\n", f"      loaded_at_field: {loaded_at}\n",
               "      freshness:\n        warn_after: {count: 12, period: hour}\n"
               "        error_after: {count: 24, period: hour}\n",
               f"      tags: [\"{gname}\", \"{domain}\"]\n",
               f"      meta:\n        owner: {q(owner)}\n        team: {q(team)}\n", "    tables:\n"]
        for t in nodes:
            out.append(f"      - name: {t.name}\n")
            out.append(f"        description: {q(f'Raw {t.name} from {gname}, one row per {t.entity}, as loaded by {loader}.')}\n")
            if self.rng.random() < 0.15:
                out.append("        config:\n          freshness: null\n")
            out.append("        columns:\n")
            for c in t.columns:
                out.append(f"          - name: {c.name}\n")
                out.append(f"            description: {q(c.desc)}\n")
                out.append(f"            data_type: {c.dtype}\n")
                tests = []
                if c.pk:
                    tests = ["unique", "not_null"]
                elif c.fk is not None and self.rng.random() < 0.3:
                    tests = ["not_null"]
                self.emit_tests(out, tests, "            ")
        return "".join(out)

    def write(self, out_dir):
        def w(rel, text):
            path = os.path.join(out_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)

        folders_stg = sorted({n.group for n in self.staging})
        folders_dom = DOMAINS
        proj = [f"name: {PROJECT}\nversion: \"1.0.0\"\nconfig-version: 2\nprofile: {PROJECT}\n\n",
                "model-paths: [\"models\"]\nmacro-paths: [\"macros\"]\ntest-paths: [\"tests\"]\n"
                "target-path: \"target\"\nclean-targets: [\"target\"]\n\n",
                "flags:\n  send_anonymous_usage_stats: false\n  use_colors: false\n\n",
                f"models:\n  {PROJECT}:\n    +materialized: view\n    staging:\n      +materialized: view\n"]
        for g in folders_stg:
            proj.append(f"      {g}:\n        +schema: stg_{g}\n")
        proj.append("    intermediate:\n      +materialized: view\n")
        for d in folders_dom:
            proj.append(f"      {d}:\n        +schema: int_{d}\n")
        proj.append("    marts:\n      +materialized: table\n")
        for d in folders_dom:
            proj.append(f"      {d}:\n        +schema: {d}\n")
        proj.append("\ndata_tests:\n  +store_failures: false\n")
        w("dbt_project.yml", "".join(proj))
        w("profiles.yml",
          f"# dbt parse does not connect: the host is a placeholder.\n{PROJECT}:\n  target: bench\n  outputs:\n"
          "    bench:\n      type: postgres\n      host: localhost\n      port: 5432\n      user: bench\n"
          "      password: bench\n      dbname: bench\n      schema: public\n      threads: 1\n")
        w(".gitignore", "target/\nlogs/\n")
        w("macros/cents_to_dollars.sql",
          "{% macro cents_to_dollars(column_name, scale=2) -%}\n"
          "    round(cast({{ column_name }} as numeric) / 100, {{ scale }})\n{%- endmacro %}\n")
        w("macros/generate_schema_name.sql",
          "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
          "    {%- if custom_schema_name is none -%}{{ target.schema }}\n"
          "    {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}\n{%- endmacro %}\n")
        docs = []
        for c in DOC_COLUMNS:
            a = ATTR_BY_NAME.get(c)
            text = a[3] if a else "When the row was loaded into the warehouse, UTC."
            if a and a[4]:
                text += "\n\n| value | meaning |\n|---|---|\n" + "".join(f"| `{v}` | {v.replace('_', ' ')} |\n" for v in a[4])
            docs.append(f"{{% docs col_{c} %}}\n{text}\n{{% enddocs %}}\n")
        w("models/docs/columns.md", "\n".join(docs))

        by_group = {}
        for s in self.sources:
            by_group.setdefault(s.group, []).append(s)
        for g, nodes in by_group.items():
            w(f"models/staging/{g}/_{g}__sources.yml", self.sources_yaml(g, nodes))

        by_folder = {}
        for node in self.staging + self.intermediate + self.marts:
            w(f"models/{node.folder}/{node.name}.sql", node.sql)
            by_folder.setdefault(node.folder, []).append(node)
        for folder, nodes in by_folder.items():
            leaf = folder.rsplit("/", 1)[-1]
            for k in range(0, len(nodes), 50):
                chunk = nodes[k:k + 50]
                body = "version: 2\n\nmodels:\n" + "\n".join(self.model_yaml(n) for n in chunk)
                w(f"models/{folder}/_{leaf}__models_{k // 50 + 1:02d}.yml", body)

        # exposures: a dashboard per 100 models, on marts
        n_exp = max(1, self.n_models // 100) if self.marts else 0
        exp = ["version: 2\n\nexposures:\n"]
        for i in range(n_exp):
            d = DOMAINS[i % len(DOMAINS)]
            pool = self.by_domain[d]["marts"] or self.marts
            deps = self.rng.sample(pool, min(len(pool), self.rng.randint(1, 5)))
            team, owner = self.owner(d)
            exp.append(f"  - name: {d}_dashboard_{i + 1:03d}\n    label: {q(f'{d.title()} dashboard #{i + 1}')}\n"
                       f"    type: dashboard\n    maturity: {self.rng.choice(['high', 'medium', 'low'])}\n"
                       f"    url: https://bi.example.com/dashboards/{1000 + i}\n"
                       f"    description: {q(f'Dashboard for {self.rng.choice(DOMAIN_PURPOSE[d])}.')}\n"
                       "    depends_on:\n" + "".join(f"      - ref('{p.name}')\n" for p in deps) +
                       f"    owner:\n      name: {q(team)}\n      email: {q(owner)}\n")
        if n_exp:
            w("models/exposures.yml", "".join(exp))

    def stats(self):
        models = self.staging + self.intermediate + self.marts
        depths = sorted(m.depth for m in models)
        return {
            "models": len(models), "staging": len(self.staging), "intermediate": len(self.intermediate),
            "marts": len(self.marts), "sources": len(self.sources),
            "max_depth": depths[-1] if depths else 0,
            "median_depth": depths[len(depths) // 2] if depths else 0,
            "columns": sum(len(m.columns) for m in models),
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--models", type=int, default=5000)
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-depth", type=int, default=40, help="longest path from a source (default 40)")
    ap.add_argument("--force", action="store_true", help="delete OUT_DIR first if it exists")
    args = ap.parse_args()
    if args.models < 1 or args.sources < 1:
        ap.error("--models and --sources must be positive")
    if os.path.exists(args.out_dir) and os.listdir(args.out_dir):
        if not args.force:
            ap.error(f"{args.out_dir} exists and is not empty (use --force)")
        shutil.rmtree(args.out_dir)
    t0 = time.monotonic()
    g = Generator(args.models, args.sources, args.seed, args.max_depth)
    g.generate()
    g.write(args.out_dir)
    st = g.stats()
    print(f"generated {st['models']} models (staging {st['staging']}, intermediate {st['intermediate']}, "
          f"marts {st['marts']}), {st['sources']} sources, {st['columns']} model columns, "
          f"DAG depth max {st['max_depth']} / median {st['median_depth']} in {args.out_dir} "
          f"({time.monotonic() - t0:.1f}s)", file=sys.stderr)


if __name__ == "__main__":
    main()
