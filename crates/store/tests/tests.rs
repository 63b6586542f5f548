//! The store story, run against SQLite and against PostgreSQL: each test is generated twice
//! by [`both!`], the second on a database of its own on the server `DOWNSTREAM_TEST_PG_URL`
//! names (scripts/test starts one; without it the PostgreSQL half says SKIPPED).

mod column_lineage;
mod hex_read;
mod live;
mod locks;
mod story;

use model::WarehouseKind;
use std::path::PathBuf;

/// The example project's artifacts, written by real dbt Core.
pub fn demo_paths() -> dbt::ArtifactPaths {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jaffle_analytics/artifacts");
    dbt::ArtifactPaths {
        manifest: dir.join("manifest.json"),
        catalog: Some(dir.join("catalog.json")),
        run_results: vec![dir.join("run_results.json")],
        sources: Some(dir.join("sources.json")),
    }
}

pub fn demo_project() -> model::DbtProject {
    dbt::load(&demo_paths(), WarehouseKind::Postgres).expect("demo artifacts load")
}

pub fn connection() -> store::ConnectionRecord {
    store::ConnectionRecord {
        name: "warehouse".into(),
        kind: WarehouseKind::Postgres,
        default_database: Some("analytics".into()),
        default_schema: Some("public".into()),
        docs_url: None,
        dbt_source: Some("local artifacts".into()),
        access: None,
    }
}

/// Which store a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    /// A file in a temp dir.
    Sqlite,
    /// A database of its own on the test server.
    Postgres,
}

/// Runs `test` on a fresh store of `backend` holding the test connection; the PostgreSQL
/// half says SKIPPED when no server is configured.
pub async fn run_on<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(store::Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let location = match backend {
        Backend::Sqlite => dir.path().join("downstream.sqlite").display().to_string(),
        Backend::Postgres => match fresh_database().await {
            Some(url) => url,
            None => {
                eprintln!("SKIPPED on PostgreSQL: DOWNSTREAM_TEST_PG_URL is not set (scripts/test starts a server)");
                return;
            }
        },
    };
    let store = store::Store::open(&location).await.unwrap();
    store.upsert_connection(&connection()).await.unwrap();
    test(store).await;
}

/// A new, empty database on the test server, so tests running at once never share tables.
async fn fresh_database() -> Option<String> {
    use sqlx::{Connection, Executor};
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let admin = std::env::var("DOWNSTREAM_TEST_PG_URL").ok()?;
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("store_{}_{stamp}_{n}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

/// One test per back end: `both!(name, |store| async move { … })` makes `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident, $test:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                $crate::run_on($crate::Backend::Sqlite, $test).await
            }

            #[tokio::test]
            async fn postgres() {
                $crate::run_on($crate::Backend::Postgres, $test).await
            }
        }
    };
}
