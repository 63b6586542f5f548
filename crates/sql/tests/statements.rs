//! Reads and writes of every statement shape the issue lists, per dialect.

use crate::{check, PG};
use sql::Dialect::{self, *};

fn pg(sql: &str, reads: &[&str], writes: &[&str]) {
    check(Postgres, PG, sql, reads, writes);
}

#[test]
fn ctes_hide_tables_they_shadow_but_not_inside_their_own_body() {
    pg(
        "with orders as (select * from orders where id > 0) select * from orders",
        &["analytics.public.orders"],
        &[],
    );
    pg(
        "with orders as (select * from raw.orders) select * from orders o join (select * from orders) x using (id)",
        &["analytics.raw.orders"],
        &[],
    );
    // The shadow ends with its query: a sibling subquery's own WITH does not leak.
    pg(
        "select * from (with customers as (select 1 as id) select * from customers) a join customers b on a.id = b.id",
        &["analytics.public.customers"],
        &[],
    );
}

#[test]
fn recursive_ctes_reference_themselves() {
    pg(
        "with recursive tree as (select id, parent_id from raw.categories where parent_id is null
           union all select c.id, c.parent_id from raw.categories c join tree t on c.parent_id = t.id)
         select * from tree",
        &["analytics.raw.categories"],
        &[],
    );
    // Snowflake does not need the RECURSIVE keyword.
    check(
        Snowflake,
        (Some("ANALYTICS"), Some("PUBLIC")),
        "with tree as (select id from raw.categories union all select c.id from raw.categories c join tree on c.parent_id = tree.id) select * from tree",
        &["ANALYTICS.RAW.CATEGORIES"],
        &[],
    );
}

#[test]
fn subqueries_anywhere() {
    pg(
        "select (select max(x) from a), y from b
         where y in (select y from c) and exists (select 1 from d where d.k = b.k)
         and not exists (select 1 from (select * from e) e2) group by y having count(*) > (select count(*) from f)
         order by (select min(z) from g)",
        &[
            "analytics.public.a",
            "analytics.public.b",
            "analytics.public.c",
            "analytics.public.d",
            "analytics.public.e",
            "analytics.public.f",
            "analytics.public.g",
        ],
        &[],
    );
}

#[test]
fn set_operations_and_parentheses() {
    pg(
        "(select id from a union all select id from b) except (select id from c) intersect select id from d order by 1 limit 5",
        &["analytics.public.a", "analytics.public.b", "analytics.public.c", "analytics.public.d"],
        &[],
    );
    check(
        Snowflake,
        (None, None),
        "select a from x.t1 minus select a from x.t2",
        &["X.T1", "X.T2"],
        &[],
    );
}

#[test]
fn every_join_kind() {
    pg(
        "select * from a inner join b on a.id = b.id left join c using (id) right outer join d on true
         full join e on e.id = a.id cross join f natural join g
         join lateral (select * from h where h.id = a.id) hh on true, lateral unnest(a.arr) as u(x)
         left join (i join j on i.id = j.id) on i.id = a.id",
        &[
            "analytics.public.a",
            "analytics.public.b",
            "analytics.public.c",
            "analytics.public.d",
            "analytics.public.e",
            "analytics.public.f",
            "analytics.public.g",
            "analytics.public.h",
            "analytics.public.i",
            "analytics.public.j",
        ],
        &[],
    );
}

#[test]
fn window_functions_and_qualify() {
    let sql = "select customer_id, sum(amount) over w as running,
                 row_number() over (partition by customer_id order by created_at rows between unbounded preceding and current row) as rn,
                 percentile_cont(0.5) within group (order by amount) as med,
                 count(*) filter (where amount > 0) as n
               from raw.payments window w as (partition by customer_id order by created_at)
               qualify rn = 1";
    check(DuckDb, PG, sql, &["analytics.raw.payments"], &[]);
}

#[test]
fn writes_of_every_dml_and_ddl_statement() {
    pg(
        "insert into marts.a (x) select x from raw.b",
        &["analytics.raw.b"],
        &["analytics.marts.a"],
    );
    pg(
        "insert into marts.a values (1, 'x'), (2, 'y')",
        &[],
        &["analytics.marts.a"],
    );
    pg("insert into a default values", &[], &["analytics.public.a"]);
    pg(
        "insert into a select * from b on conflict (id) do update set x = excluded.x returning id",
        &["analytics.public.b"],
        &["analytics.public.a"],
    );
    pg(
        "create table marts.c as select * from raw.d",
        &["analytics.raw.d"],
        &["analytics.marts.c"],
    );
    pg(
        "create materialized view if not exists marts.mv as (select * from raw.d) with no data",
        &["analytics.raw.d"],
        &["analytics.marts.mv"],
    );
    pg(
        "create or replace view v (a, b) as select x, y from t",
        &["analytics.public.t"],
        &["analytics.public.v"],
    );
    pg(
        "create temp table tmp (id int, name text)",
        &[],
        &["analytics.public.tmp"],
    );
    pg(
        "update marts.a set x = b.x from raw.b where a.id = b.id",
        &["analytics.raw.b"],
        &["analytics.marts.a"],
    );
    pg(
        "update marts.a set x = (select max(x) from marts.a a2)",
        &["analytics.marts.a"],
        &["analytics.marts.a"],
    );
    pg(
        "delete from marts.a using raw.b where a.id = b.id",
        &["analytics.raw.b"],
        &["analytics.marts.a"],
    );
    pg(
        "merge into marts.a t using raw.b s on t.id = s.id
         when matched and s.deleted then delete
         when matched then update set x = s.x
         when not matched then insert (id, x) values (s.id, s.x)",
        &["analytics.raw.b"],
        &["analytics.marts.a"],
    );
    pg(
        "select * into marts.copy from raw.b",
        &["analytics.raw.b"],
        &["analytics.marts.copy"],
    );
    pg(
        "truncate table marts.a, marts.b",
        &[],
        &["analytics.marts.a", "analytics.marts.b"],
    );
    pg(
        "with s as (select * from raw.b) insert into marts.a select * from s",
        &["analytics.raw.b"],
        &["analytics.marts.a"],
    );
}

#[test]
fn statements_without_lineage_do_not_fail() {
    for sql in [
        "set timezone = 'UTC'",
        "show search_path",
        "begin",
        "commit",
        "grant select on all tables in schema marts to analyst",
        "explain select * from a",
        "call refresh_all()",
        "select 1",
        "select now(), current_date, current_timestamp",
        "vacuum analyze marts.a",
    ] {
        pg(sql, &[], &[]);
    }
}

/// DDL that changes a table writes it (corpus/dialects/README.md conventions).
#[test]
fn ddl_writes_the_tables_it_changes() {
    pg(
        "drop table if exists marts.old",
        &[],
        &["analytics.marts.old"],
    );
    pg(
        "alter table marts.a add column y int",
        &[],
        &["analytics.marts.a"],
    );
    pg(
        "alter table marts.a rename to b",
        &["analytics.marts.a"],
        &["analytics.marts.b"],
    );
}

#[test]
fn quoted_and_mixed_case_identifiers_fold_per_warehouse() {
    let sql =
        r#"select "Order Id", amount from "Marketing"."Campaign Spend" join Raw.Orders on true"#;
    check(
        Postgres,
        PG,
        sql,
        &["analytics.Marketing.Campaign Spend", "analytics.raw.orders"],
        &[],
    );
    check(
        Snowflake,
        (Some("analytics"), Some("public")),
        sql,
        &["ANALYTICS.Marketing.Campaign Spend", "ANALYTICS.RAW.ORDERS"],
        &[],
    );
    check(
        Redshift,
        PG,
        sql,
        &["analytics.marketing.campaign spend", "analytics.raw.orders"],
        &[],
    );
    check(
        Postgres,
        PG,
        r#"select "select", "from" from "order" as "group""#,
        &["analytics.public.order"],
        &[],
    );
}

#[test]
fn bigquery_backticks_dashes_and_wildcards() {
    let bq = (Some("acme-analytics"), Some("marts"));
    check(
        BigQuery,
        bq,
        "select * from `acme-analytics.raw.orders` o join `other-proj`.raw.Customers c using (id) join raw.items i on true join orders x on true",
        &[
            "acme-analytics.marts.orders",
            "acme-analytics.raw.items",
            "acme-analytics.raw.orders",
            "other-proj.raw.Customers",
        ],
        &[],
    );
    check(
        BigQuery,
        bq,
        "select count(*) from `acme-analytics.raw.events_*` where _TABLE_SUFFIX between '20240101' and '20240131'",
        &["acme-analytics.raw.events_*"],
        &[],
    );
    check(
        BigQuery,
        bq,
        "select item.sku from my-project.raw.orders o, o.items as item, unnest(o.tags) tag",
        &["my-project.raw.orders"],
        &[],
    );
    check(
        BigQuery,
        bq,
        r#"select "not a table" as s, r'from x' as t from raw.a # a comment from y"#,
        &["acme-analytics.raw.a"],
        &[],
    );
}

#[test]
fn snowflake_identifier_flatten_and_time_travel() {
    let sf = (Some("ANALYTICS"), Some("PUBLIC"));
    check(
        Snowflake,
        sf,
        "select f.value:sku::string as sku from identifier('raw.events') e, lateral flatten(input => e.payload:items) f",
        &["ANALYTICS.RAW.EVENTS"],
        &[],
    );
    check(
        Snowflake,
        sf,
        "select * from table(flatten(input => parse_json('[1]'))) f, raw.orders at(offset => -60) o sample (10)",
        &["ANALYTICS.RAW.ORDERS"],
        &[],
    );
    // A variable this text never set stays as written.
    check(
        Snowflake,
        sf,
        "select * from identifier($tbl)",
        &["$tbl"],
        &[],
    );
    check(
        Snowflake,
        sf,
        "insert all into marts.a (x) values (x) into marts.b select x from raw.c",
        &["ANALYTICS.RAW.C"],
        &["ANALYTICS.MARTS.A", "ANALYTICS.MARTS.B"],
    );
    check(
        Snowflake,
        sf,
        "copy into raw.orders from @stage/orders/ file_format = (type = csv)",
        &["stage:ANALYTICS.PUBLIC.STAGE"],
        &["ANALYTICS.RAW.ORDERS"],
    );
    check(
        Snowflake,
        sf,
        "copy into @unload from (select * from marts.a)",
        &["ANALYTICS.MARTS.A"],
        &["stage:ANALYTICS.PUBLIC.UNLOAD"],
    );
}

#[test]
fn databricks_three_level_names_and_lateral_view() {
    let db = (Some("main"), Some("default"));
    check(
        Databricks,
        db,
        "select o.id, item from Prod.Sales.Orders o lateral view explode(o.items) t as item join `dev`.`Sales`.refunds r on r.id = o.id",
        &["dev.sales.refunds", "prod.sales.orders"],
        &[],
    );
    check(
        Databricks,
        db,
        "select transform(arr, x -> x + offset_col) from silver.events timestamp as of '2024-01-01'",
        &["main.silver.events"],
        &[],
    );
    check(
        Databricks,
        db,
        "insert overwrite table gold.daily partition (dt = '2024-01-01') select * from silver.events",
        &["main.silver.events"],
        &["main.gold.daily"],
    );
}

#[test]
fn comments_anywhere_including_hex_metadata() {
    let sql = "/* leading */ select -- from fake1\n a /* from fake2 */ from -- x\n raw.t /* nested /* from fake3 */ */\n-- Hex query metadata: {\"categories\": [\"Finance\"], \"cell_type\": \"SQL\", \"project_id\": \"1b2c\", \"project_url\": \"https://app.hex.tech/acme/hex/1b2c/draft/logic?selectedCellId=9f8e\"}";
    pg(sql, &["analytics.raw.t"], &[]);
}

#[test]
fn several_statements_and_use_changes_the_defaults() {
    check(
        Snowflake,
        (Some("ANALYTICS"), Some("PUBLIC")),
        "use schema raw; select * from orders; use database other; select * from customers;",
        &["ANALYTICS.RAW.ORDERS", "OTHER.RAW.CUSTOMERS"],
        &[],
    );
    pg(
        "set search_path to marts, public; select * from orders",
        &["analytics.marts.orders"],
        &[],
    );
    pg(
        "create table s.t as select 1 as x; insert into s.u select * from s.t;",
        &["analytics.s.t"],
        &["analytics.s.t", "analytics.s.u"],
    );
}

#[test]
fn names_qualify_only_as_far_as_the_defaults_allow() {
    check(
        Postgres,
        (None, None),
        "select * from t join s.u on true join d.s.v on true",
        &["d.s.v", "s.u", "t"],
        &[],
    );
    check(
        Postgres,
        (None, Some("public")),
        "select * from t",
        &["public.t"],
        &[],
    );
}

#[test]
fn literals_casts_and_special_forms_are_not_tables() {
    pg(
        "select cast(a as numeric(10, 2)), b::timestamp with time zone, date '2024-01-01', interval '1 day',
           extract(year from c), substring(d from 1 for 2), trim(both 'x' from e), position('a' in f),
           $$ select * from nope $$, E'it\\'s from nope', 'it''s from nope', array[1, 2], row(1, 2)
         from t",
        &["analytics.public.t"],
        &[],
    );
}

#[test]
fn every_dialect_reads_the_common_shapes_alike() {
    let sql = "with x as (select a, b from s1.t1) select x.a, count(*) from x join s2.t2 y on x.a = y.a group by 1";
    for dialect in Dialect::ALL {
        let lineage = crate::lineage(dialect, (None, None), sql);
        let reads: Vec<String> = lineage.reads.iter().map(|r| r.to_lowercase()).collect();
        assert_eq!(reads, ["s1.t1", "s2.t2"], "{dialect}");
    }
}
