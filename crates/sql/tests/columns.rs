//! Column-level lineage: which columns are read and where outputs come from.

use sql::{analyze, Catalog, Dialect, Options};

fn lineage_of(sql: &str, catalog: Option<&Catalog>) -> sql::Lineage {
    let options = Options::new(Dialect::Postgres).with_defaults(Some("db"), Some("public"));
    let analysis = analyze(sql, &options, catalog);
    assert_eq!(analysis.error(), None);
    analysis.merged()
}

fn pairs(lineage: &sql::Lineage) -> Vec<(String, Vec<String>)> {
    lineage
        .columns
        .lineage
        .iter()
        .map(|l| (l.target.clone(), l.sources.clone()))
        .collect()
}

#[test]
fn outputs_trace_through_ctes_and_subqueries() {
    let lineage = lineage_of(
        "with base as (select id, amount * 2 as doubled from raw.payments),
              agg as (select id, sum(doubled) as total from base group by id)
         select a.id, a.total, (select max(c.name) from raw.customers c where c.id = a.id) as name
         from agg a",
        None,
    );
    assert_eq!(
        pairs(&lineage),
        [
            ("id".into(), vec!["db.raw.payments.id".into()]),
            ("total".into(), vec!["db.raw.payments.amount".into()]),
            ("name".into(), vec!["db.raw.customers.name".into()]),
        ]
    );
    let read: Vec<_> = lineage.columns.read["db.raw.customers"].iter().collect();
    assert_eq!(read, ["id", "name"]);
}

#[test]
fn star_through_a_cte_resolves_named_columns_to_the_table() {
    let lineage = lineage_of(
        "with source as (select * from raw.orders), renamed as (select id as order_id, status from source) select * from renamed",
        None,
    );
    assert_eq!(
        pairs(&lineage),
        [
            ("order_id".into(), vec!["db.raw.orders.id".into()]),
            ("status".into(), vec!["db.raw.orders.status".into()]),
        ]
    );
}

#[test]
fn schema_expands_stars_and_places_bare_columns() {
    let catalog = Catalog::from_json(
        r#"{"raw.orders": ["id", "customer_id", "amount"], "raw.customers": {"id": "int", "name": "text"}}"#,
        Dialect::Postgres,
        Some("db"),
        Some("public"),
    )
    .unwrap();
    let lineage = lineage_of(
        "select name, amount from raw.orders o join raw.customers c on c.id = o.customer_id",
        Some(&catalog),
    );
    assert_eq!(
        pairs(&lineage),
        [
            ("name".into(), vec!["db.raw.customers.name".into()]),
            ("amount".into(), vec!["db.raw.orders.amount".into()]),
        ]
    );
    let star = lineage_of("select * from raw.customers", Some(&catalog));
    assert_eq!(star.columns.lineage.len(), 2);
    assert_eq!(star.columns.lineage[1].target, "name");
}

#[test]
fn insert_columns_name_the_targets() {
    let lineage = lineage_of(
        "insert into marts.t (a, b) select x, y + z from raw.s",
        None,
    );
    assert_eq!(
        pairs(&lineage),
        [
            ("a".into(), vec!["db.raw.s.x".into()]),
            ("b".into(), vec!["db.raw.s.y".into(), "db.raw.s.z".into()]),
        ]
    );
}

#[test]
fn aliases_date_parts_and_lambdas_are_not_columns() {
    let lineage = lineage_of(
        "select date_trunc('month', created_at) as m, count(*) as n from raw.orders group by m order by n",
        None,
    );
    let read: Vec<_> = lineage.columns.read["db.raw.orders"].iter().collect();
    assert_eq!(read, ["created_at"]);
    let options = Options::new(Dialect::Snowflake);
    let sf = analyze(
        "select datediff(day, a, b), dateadd(month, -1, c), transform(arr, x -> x * 2) from s.t",
        &options,
        None,
    )
    .merged();
    let read: Vec<_> = sf.columns.read["S.T"].iter().collect();
    assert_eq!(read, ["A", "ARR", "B", "C"]);
}
