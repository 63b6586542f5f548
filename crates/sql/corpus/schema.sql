-- Analytics warehouse used by generate.py to obtain engine-verified lineage truth.
--
-- Deliberately without primary keys, unique constraints, indexes or views:
-- PostgreSQL's planner drops LEFT JOINs to provably unique relations and
-- expands views into their base tables, either of which would hide a table a
-- statement really names. All tables stay empty.

create schema if not exists raw;
create schema if not exists staging;
create schema if not exists marts;
create schema if not exists finance;
create schema if not exists "Marketing";

-- ------------------------------------------------------------------ raw (loader output)
create table raw.orders (
    id               bigint,
    user_id          bigint,
    order_date       date,
    status           text,
    amount_cents     bigint,
    currency         text,
    shipping_address jsonb,
    created_at       timestamptz,
    updated_at       timestamptz,
    _loaded_at       timestamptz
);

create table raw.customers (
    id         bigint,
    first_name text,
    last_name  text,
    email      text,
    country    text,
    created_at timestamptz,
    _loaded_at timestamptz
);

create table raw.payments (
    id             bigint,
    order_id       bigint,
    payment_method text,
    amount_cents   bigint,
    status         text,
    created_at     timestamptz,
    _loaded_at     timestamptz
);

create table raw.products (
    id          bigint,
    sku         text,
    name        text,
    category    text,
    price_cents bigint,
    tags        text[],
    is_active   boolean,
    created_at  timestamptz
);

create table raw.order_items (
    id               bigint,
    order_id         bigint,
    product_id       bigint,
    quantity         integer,
    unit_price_cents bigint,
    discount_cents   bigint
);

create table raw.events (
    event_id    text,
    user_id     bigint,
    session_id  text,
    event_name  text,
    event_ts    timestamptz,
    properties  jsonb,   -- object: {"page": ..., "referrer": ..., "plan": ...}
    items       jsonb,   -- array of {"sku": ..., "qty": ..., "price": ...}
    context     jsonb,
    received_at timestamptz
);

create table raw.sessions (
    session_id   text,
    user_id      bigint,
    started_at   timestamptz,
    ended_at     timestamptz,
    device       text,
    utm_source   text,
    utm_medium   text,
    utm_campaign text,
    landing_page text
);

create table raw.subscriptions (
    id            bigint,
    customer_id   bigint,
    plan          text,
    status        text,
    mrr_cents     bigint,
    started_at    timestamptz,
    cancelled_at  timestamptz,
    trial_ends_at timestamptz
);

create table raw.invoices (
    id              bigint,
    subscription_id bigint,
    customer_id     bigint,
    amount_cents    bigint,
    currency        text,
    status          text,
    issued_at       timestamptz,
    due_at          timestamptz,
    paid_at         timestamptz,
    line_items      jsonb
);

-- ------------------------------------------------------------------ staging (dbt stg_ models)
create table staging.stg_orders (
    order_id    bigint,
    customer_id bigint,
    order_date  date,
    status      text,
    amount      numeric(12, 2),
    currency    text,
    created_at  timestamptz
);

create table staging.stg_customers (
    customer_id bigint,
    first_name  text,
    last_name   text,
    full_name   text,
    email       text,
    country     text,
    created_at  timestamptz
);

create table staging.stg_payments (
    payment_id     bigint,
    order_id       bigint,
    payment_method text,
    amount         numeric(12, 2),
    status         text,
    created_at     timestamptz
);

create table staging.stg_events (
    event_id   text,
    user_id    bigint,
    session_id text,
    event_name text,
    event_ts   timestamptz,
    event_date date,
    properties jsonb,
    items      jsonb
);

create table staging.stg_sessions (
    session_id   text,
    user_id      bigint,
    started_at   timestamptz,
    ended_at     timestamptz,
    session_date date,
    duration_s   integer,
    device       text,
    channel      text
);

-- ------------------------------------------------------------------ marts
create table marts.orders (
    order_id       bigint,
    customer_id    bigint,
    order_date     date,
    status         text,
    amount         numeric(12, 2),
    payment_total  numeric(12, 2),
    item_count     integer,
    is_first_order boolean,
    currency       text
);

create table marts.customers (
    customer_id            bigint,
    first_name             text,
    last_name              text,
    email                  text,
    country                text,
    first_order_date       date,
    most_recent_order_date date,
    number_of_orders       integer,
    lifetime_value         numeric(14, 2),
    customer_segment       text
);

create table marts.dim_date (
    date_day       date,
    year           integer,
    quarter        integer,
    month          integer,
    month_name     text,
    week_of_year   integer,
    day_of_week    integer,
    is_weekend     boolean,
    fiscal_year    integer,
    fiscal_quarter integer
);

create table marts.dim_products (
    product_id   bigint,
    sku          text,
    product_name text,
    category     text,
    price        numeric(12, 2),
    tags         text[],
    is_active    boolean
);

create table marts.fct_revenue (
    revenue_date  date,
    order_id      bigint,
    customer_id   bigint,
    product_id    bigint,
    gross_revenue numeric(14, 2),
    discounts     numeric(14, 2),
    net_revenue   numeric(14, 2),
    currency      text
);

create table marts.fct_sessions (
    session_id   text,
    user_id      bigint,
    session_date date,
    pageviews    integer,
    events       integer,
    converted    boolean,
    revenue      numeric(12, 2),
    channel      text
);

-- ------------------------------------------------------------------ finance
create table finance.invoices (
    invoice_id      bigint,
    customer_id     bigint,
    subscription_id bigint,
    amount          numeric(14, 2),
    currency        text,
    status          text,
    issued_date     date,
    due_date        date,
    paid_date       date
);

create table finance.ledger_entries (
    entry_id    bigint,
    account_id  bigint,
    entry_date  date,
    debit       numeric(14, 2),
    credit      numeric(14, 2),
    description text,
    invoice_id  bigint,
    posted_at   timestamptz
);

create table finance.gl_accounts (
    account_id        bigint,
    account_code      text,
    account_name      text,
    account_type      text,
    parent_account_id bigint,
    is_active         boolean
);

create table finance.fx_rates (
    rate_date     date,
    from_currency text,
    to_currency   text,
    rate          numeric(18, 8)
);

create table finance.revenue_recognition (
    invoice_id       bigint,
    customer_id      bigint,
    recognized_month date,
    amount           numeric(14, 2),
    currency         text
);

-- ------------------------------------------------------------------ public (app replica)
create table public.orders (
    id          bigint,
    customer_id bigint,
    created_at  timestamptz,
    status      text,
    total       numeric(12, 2)
);

create table public.customers (
    id         bigint,
    name       text,
    email      text,
    region     text,
    created_at timestamptz
);

create table public.users (
    id         bigint,
    email      text,
    name       text,
    plan       text,
    created_at timestamptz,
    is_admin   boolean
);

create table public.events (
    id         bigint,
    user_id    bigint,
    name       text,
    ts         timestamptz,
    properties jsonb
);

create table public.page_views (
    id        bigint,
    user_id   bigint,
    url       text,
    referrer  text,
    viewed_at timestamptz
);

-- reserved words as table and column names
create table public."order" (
    "select"    bigint,
    "group"     text,
    "from"      date,
    "to"        date,
    amount      numeric(12, 2),
    customer_id bigint
);

create table public."group" (
    id         bigint,
    name       text,
    "order"    integer,
    "user"     text,
    created_at timestamptz
);

-- ------------------------------------------------------------------ "Marketing" (mixed case, quoted)
create table "Marketing"."Campaign Spend" (
    "Campaign Id"   text,
    "Campaign Name" text,
    "Channel"       text,
    spend_date      date,
    "Spend USD"     numeric(12, 2),
    impressions     bigint,
    clicks          bigint
);

create table "Marketing"."AdClicks" (
    "ClickId"    text,
    "CampaignId" text,
    user_id      bigint,
    "ClickedAt"  timestamptz,
    "Cost"       numeric(10, 4),
    gclid        text
);

create table "Marketing".channel_mapping (
    utm_source text,
    utm_medium text,
    channel    text
);
