//! Redshift's SQL run for real on a throwaway PostgreSQL holding look-alike
//! `sys_query_history` and `sys_query_text` tables (PostgreSQL has no LISTAGG, so the source
//! picks `string_agg` there; everything else is the same statement).

use crate::mock::{at, hex_sql, read, window};
use crate::pg_server::PgServer;
use chrono::{DateTime, Utc};
use history::redshift::{Redshift, RedshiftConfig};
use history::{Checkpoint, HistoryError, HistoryRow, QueryHistory, Secret, HEX_MARKER};
use pretty_assertions::assert_eq;
use sqlx::{Connection, PgConnection};

const TABLES: &str = "
CREATE TABLE sys_query_history (query_id bigint, user_id int, database_name text, query_type text,
    status text, start_time timestamp, end_time timestamp, query_text varchar(4000));
CREATE TABLE sys_query_text (query_id bigint, sequence int, text varchar(4000));
CREATE ROLE reader LOGIN;";

/// Records one query as Redshift would: its first 4,000 characters in the history, the
/// whole text in chunks.
async fn add(
    db: &mut PgConnection,
    id: i64,
    user: i32,
    status: &str,
    start: DateTime<Utc>,
    chunks: &[&str],
) {
    let text = chunks.concat();
    let truncated: String = text.chars().take(4000).collect();
    sqlx::query(
        "INSERT INTO sys_query_history VALUES ($1, $2, 'dev', 'SELECT', $3, \
         CAST($4 AS timestamp), CAST($4 AS timestamp) + interval '2 seconds', $5)",
    )
    .bind(id)
    .bind(user)
    .bind(status)
    .bind(start.format("%Y-%m-%d %H:%M:%S").to_string())
    .bind(truncated)
    .execute(&mut *db)
    .await
    .unwrap();
    for (sequence, chunk) in chunks.iter().enumerate() {
        sqlx::query("INSERT INTO sys_query_text VALUES ($1, $2, $3)")
            .bind(id)
            .bind(sequence as i32)
            .bind(*chunk)
            .execute(&mut *db)
            .await
            .unwrap();
    }
}

/// Cuts `text` into chunks of at most 4,000 characters, as SYS_QUERY_TEXT stores it.
fn chunks(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    bytes
        .chunks(4000)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect()
}

fn long_query() -> String {
    let columns: Vec<String> = (0..700).map(|i| format!("  amount_{i:04}")).collect();
    hex_sql(
        &format!("select\n{}\nfrom finance.ledger", columns.join(",\n")),
        "p-long",
    )
}

#[tokio::test]
async fn rebuilds_chunked_texts_and_groups_them_in_sql() {
    let Some(server) = PgServer::start("redshift::rebuilds_chunked_texts_and_groups_them_in_sql")
    else {
        return;
    };
    let mut db = PgConnection::connect(&server.url("postgres"))
        .await
        .unwrap();
    sqlx::raw_sql(TABLES).execute(&mut db).await.unwrap();

    let orders = hex_sql("select * from public.orders", "p-orders");
    let long = long_query();
    assert!(long.len() > 8000 && long.ends_with('}'));
    let straddle = hex_sql("select * from public.events", "p-events");
    let cut = straddle.find(HEX_MARKER).unwrap() + 7;
    let (head, tail) = straddle.split_at(cut);

    add(&mut db, 1, 10, "success", at(1, 8, 0), &[&orders]).await;
    add(&mut db, 2, 101, "success", at(1, 9, 30), &[&orders]).await;
    add(&mut db, 3, 101, "success", at(1, 10, 0), &chunks(&long)).await;
    add(&mut db, 4, 10, "success", at(1, 11, 0), &[head, tail]).await;
    // Not Hex, failed, or outside the window:
    add(&mut db, 5, 10, "success", at(1, 12, 0), &["select 1"]).await;
    add(&mut db, 6, 10, "failed", at(1, 12, 0), &[&orders]).await;
    add(&mut db, 7, 10, "success", at(2, 1, 0), &[&orders]).await;
    add(
        &mut db,
        8,
        10,
        "success",
        at(1, 0, 0) - chrono::Duration::minutes(1),
        &[&orders],
    )
    .await;

    let source = Redshift::new(RedshiftConfig::new(Secret::new(server.url("postgres"))));
    assert_eq!(
        source.describe(),
        format!("redshift 127.0.0.1:{}/postgres", server.port)
    );
    let (result, pages) = read(&source, &window(2)).await;

    assert_eq!(
        result.unwrap(),
        Checkpoint("2024-05-02T00:00:00.000Z".to_string())
    );
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
    let mut rows: Vec<HistoryRow> = pages.into_iter().flatten().collect();
    rows.sort_by_key(|row| row.first_seen);
    let row = |text: &str, users: &[&str], executions, first, last| HistoryRow {
        text: text.to_string(),
        database: Some("dev".to_string()),
        users: users.iter().map(|u| u.to_string()).collect(),
        executions,
        first_seen: Some(first),
        last_seen: Some(last),
        ..HistoryRow::default()
    };
    assert_eq!(
        rows,
        [
            row(&orders, &["101", "postgres"], 2, at(1, 8, 0), at(1, 9, 30)),
            row(&long, &["101"], 1, at(1, 10, 0), at(1, 10, 0)),
            row(&straddle, &["postgres"], 1, at(1, 11, 0), at(1, 11, 0)),
        ]
    );
}

#[tokio::test]
async fn a_user_without_access_is_told_what_to_grant() {
    let Some(server) = PgServer::start("redshift::a_user_without_access_is_told_what_to_grant")
    else {
        return;
    };
    let mut db = PgConnection::connect(&server.url("postgres"))
        .await
        .unwrap();
    sqlx::raw_sql(TABLES).execute(&mut db).await.unwrap();

    let source = Redshift::new(RedshiftConfig::new(Secret::new(server.url("reader"))));
    let (result, _) = read(&source, &window(10)).await;
    let error = result.unwrap_err();
    assert!(matches!(error, HistoryError::Forbidden { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("permission denied for table sys_query_history"),
        "{text}"
    );
    assert!(text.contains("GRANT ROLE sys:monitor"), "{text}");
}

#[tokio::test]
async fn a_refused_connection_names_the_server_but_not_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://hex:pa55word@127.0.0.1:{port}/dev");
    let source = Redshift::new(RedshiftConfig::new(Secret::new(url)));
    let (result, _) = read(&source, &window(10)).await;
    let error = result.unwrap_err();
    assert!(matches!(error, HistoryError::Database { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("connect to 127.0.0.1:{port}/dev: ")),
        "{text}"
    );
    assert!(!text.contains("pa55word"), "{text}");
}

/// A Hex query past LISTAGG's 65,535-byte limit (long IN lists are common in BI SQL) once
/// failed the whole statement on Redshift, every sync; now it comes back whole, rebuilt
/// here from its chunks, beside the texts Redshift joined itself.
#[tokio::test]
async fn texts_past_the_listagg_limit_are_rebuilt_from_their_chunks() {
    let Some(server) =
        PgServer::start("redshift::texts_past_the_listagg_limit_are_rebuilt_from_their_chunks")
    else {
        return;
    };
    let mut db = PgConnection::connect(&server.url("postgres"))
        .await
        .unwrap();
    sqlx::raw_sql(TABLES).execute(&mut db).await.unwrap();
    let ids: Vec<String> = (0..9000).map(|i| format!("'{i:06}'")).collect();
    let huge = hex_sql(
        &format!(
            "select * from finance.ledger where account in ({})",
            ids.join(", ")
        ),
        "p-huge",
    );
    let huge_chunks = chunks(&huge);
    assert!(huge.len() > 70_000 && huge_chunks.len() > 16);
    let short = hex_sql("select * from public.orders", "p-orders");

    add(&mut db, 1, 10, "success", at(1, 8, 0), &huge_chunks).await;
    add(&mut db, 2, 10, "success", at(1, 9, 0), &[&short]).await;
    add(&mut db, 3, 10, "success", at(1, 10, 0), &huge_chunks).await;
    add(&mut db, 4, 10, "failed", at(1, 11, 0), &huge_chunks).await;

    let source = Redshift::new(RedshiftConfig::new(Secret::new(server.url("postgres"))));
    let (result, pages) = read(&source, &window(10)).await;
    result.unwrap();
    let mut rows: Vec<HistoryRow> = pages.into_iter().flatten().collect();
    rows.sort_by_key(|row| row.first_seen);
    let texts: Vec<(&str, u64)> = rows
        .iter()
        .map(|r| (&r.text[r.text.len() - 20..], r.executions))
        .collect();
    assert_eq!(rows.len(), 3, "{texts:?}");
    assert_eq!(rows[0].text, huge, "rebuilt in sequence order");
    assert_eq!(rows[1].text, short);
    assert_eq!(rows[2].text, huge);
    assert_eq!(
        rows.iter().map(|r| r.executions).collect::<Vec<_>>(),
        [1, 1, 1]
    );
    assert_eq!(rows[0].users, ["postgres"]);
    assert_eq!(rows[0].first_seen, Some(at(1, 8, 0)));
    assert_eq!(rows[2].last_seen, Some(at(1, 10, 0)));
}
