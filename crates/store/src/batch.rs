//! Multi-row INSERTs: one statement per few hundred rows instead of one per row.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

/// Text as both back ends store it: PostgreSQL's text cannot hold NUL, which a query text,
/// a Hex title or an API's garbage may carry, so NUL becomes U+FFFD on both (every other
/// control character is kept as data and escaped where it is shown).
pub(crate) fn storable(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{fffd}")
    } else {
        text
    }
}

/// One bound value.
pub(crate) enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
}

/// JSON for `json_each`: text as strings, numbers as numbers, NULL as null.
impl serde::Serialize for Val {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Val::Text(t) => t.serialize(s),
            Val::Int(i) => i.serialize(s),
            Val::Real(r) => r.filter(|r| r.is_finite()).serialize(s),
        }
    }
}

impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(storable(v)))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(storable(v.to_string())))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v.map(storable))
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        Val::Text(v.map(|v| storable(v.to_string())))
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(Some(v as i64))
    }
}
impl From<Option<bool>> for Val {
    fn from(v: Option<bool>) -> Self {
        Val::Int(v.map(|b| b as i64))
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Real(Some(v))
    }
}
impl From<Option<f64>> for Val {
    fn from(v: Option<f64>) -> Self {
        Val::Real(v)
    }
}

/// Binds one value; `$n` placeholders work in both SQLite and PostgreSQL.
pub(crate) fn bind<'q>(
    q: Query<'q, Any, AnyArguments<'q>>,
    v: Val,
) -> Query<'q, Any, AnyArguments<'q>> {
    match v {
        Val::Text(t) => q.bind(t),
        Val::Int(i) => q.bind(i),
        Val::Real(r) => q.bind(r),
    }
}

/// Inserts `rows` into `table`; `tail` is appended (e.g. `ON CONFLICT DO NOTHING`).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> Result<u64, sqlx::Error> {
    // Rows arrive collected: a lazy iterator of borrowing closures held across `.await` makes
    // the future lose `Send`, which spawned syncs need.
    if conn.backend_name() == "SQLite" {
        insert_json(conn, table, columns, tail, rows).await
    } else {
        insert_values(conn, table, columns, tail, rows).await
    }
}

/// SQLite: thousands of rows as one JSON parameter, unpacked by `json_each` inside SQLite.
/// sqlx-sqlite's binding cost grows with the parameters of a statement, so one parameter per
/// statement is far cheaper than multi-row VALUES (bench/ingest.sh: 500-row VALUES stored a
/// 111 MB manifest in 5.9 s, 32-row VALUES in 1.1 s).
async fn insert_json(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> Result<u64, sqlx::Error> {
    let picks: Vec<String> = (0..columns.len())
        .map(|i| format!("value ->> {i}"))
        .collect();
    // `WHERE true` keeps SQLite from reading a following ON CONFLICT as part of the SELECT.
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM json_each($1) WHERE true {tail}",
        columns.join(", "),
        picks.join(", ")
    );
    let mut inserted = 0;
    for chunk in rows.chunks(5_000) {
        let json = serde_json::to_string(chunk).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        inserted += sqlx::query::<Any>(&sql)
            .bind(json)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(inserted)
}

/// PostgreSQL: multi-row VALUES, staying well under its 65,535 bound parameters.
async fn insert_values(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> Result<u64, sqlx::Error> {
    let per_batch = (20_000 / columns.len()).min(500);
    let mut rows = rows.into_iter().peekable();
    let mut inserted = 0;
    while rows.peek().is_some() {
        let batch: Vec<Vec<Val>> = rows.by_ref().take(per_batch).collect();
        let sql = statement(table, columns, batch.len(), tail);
        let mut query = sqlx::query::<Any>(&sql);
        for v in batch.into_iter().flatten() {
            query = bind(query, v);
        }
        inserted += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(inserted)
}

fn statement(table: &str, columns: &[&str], rows: usize, tail: &str) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_placeholders_across_rows() {
        assert_eq!(
            super::statement("t", &["a", "b"], 2, "ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4) ON CONFLICT DO NOTHING"
        );
    }
}
