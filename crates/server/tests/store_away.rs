//! A shared PostgreSQL store that stops answering: the server keeps serving what it already
//! rendered, says plainly why the rest cannot load, and recovers by itself when the database
//! takes connections again. Runs on the server `DOWNSTREAM_TEST_PG_URL` names (scripts/test
//! starts one); says SKIPPED without it.

use crate::{demo_app_at, get};
use axum::http::StatusCode;
use sqlx::{Connection, Executor, PgConnection};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_outlive_a_store_that_goes_away_and_come_back_with_it() {
    let Ok(admin) = std::env::var("DOWNSTREAM_TEST_PG_URL") else {
        eprintln!("SKIPPED: DOWNSTREAM_TEST_PG_URL is not set (scripts/test starts a server)");
        return;
    };
    let name = format!("store_away_{}", std::process::id());
    let mut db = PgConnection::connect(&admin).await.unwrap();
    db.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await
        .unwrap();
    db.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = demo_app_at(&format!("{base}/{name}"), dir.path()).await;
    let table = "/connections/jaffle_warehouse/tables/analytics/marts/fct_orders";
    assert_eq!(get(&state, table).await.0, StatusCode::OK);

    // The database refuses new connections and drops the ones it has.
    db.execute(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false").as_str())
        .await
        .unwrap();
    db.execute(
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            .as_str(),
    )
    .await
    .unwrap();

    let (status, _, html) = get(&state, table).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the page rendered before is still served"
    );
    assert!(html.contains("fct_orders"));
    let (status, _, html) = get(&state, "/hex").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("the store is not answering"), "{html}");
    assert!(html.contains("once the store is back"), "{html}");
    let (status, _, json) = get(&state, "/api/connections").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        json.contains("\"error\":\"the store is not answering"),
        "{json}"
    );
    assert_eq!(get(&state, "/assets/app.css").await.0, StatusCode::OK);

    db.execute(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true").as_str())
        .await
        .unwrap();
    let (status, _, html) = get(&state, "/hex").await;
    assert_eq!(status, StatusCode::OK, "back by itself: {html}");

    drop(state);
    db.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
}
