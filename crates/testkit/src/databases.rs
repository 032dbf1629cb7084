//! A fresh pair of databases per test: two SQLite files in a temporary directory, or a
//! new PostgreSQL database with the production layout (two schemas, two owning roles).

use std::path::PathBuf;

use sqlx::{Connection, Executor, PgConnection};
use supportgate_store::StoreConfig;

/// The environment variable naming the PostgreSQL server for tests (a superuser URL).
pub const POSTGRES_URL_VAR: &str = "SUPPORTGATE_TEST_POSTGRES_URL";

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// The PostgreSQL named by `SUPPORTGATE_TEST_POSTGRES_URL`.
    Postgres,
}

impl Backend {
    /// Whether PostgreSQL tests run; prints why not when they are skipped.
    pub fn postgres_enabled(test: &str) -> bool {
        let enabled = std::env::var(POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty());
        if !enabled {
            eprintln!("skipped {test}: set {POSTGRES_URL_VAR} to run it on PostgreSQL");
        }
        enabled
    }

    /// Lower-case name for messages and golden files.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Databases that exist for one test and are removed afterwards.
#[derive(Debug)]
pub struct TestDatabases {
    /// How to reach them.
    pub config: StoreConfig,
    /// The directory for SQLite files and anything else the test writes.
    pub dir: tempfile::TempDir,
    postgres: Option<PostgresDatabase>,
}

#[derive(Debug)]
struct PostgresDatabase {
    admin_url: String,
    database: String,
    roles: [String; 2],
}

impl TestDatabases {
    /// Creates fresh, empty databases for `backend`.
    pub async fn create(backend: Backend) -> TestDatabases {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        match backend {
            Backend::Sqlite => TestDatabases {
                config: StoreConfig::sqlite_in(dir.path()),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
                    panic!("{POSTGRES_URL_VAR} must be set for PostgreSQL tests")
                });
                let (config, postgres) = create_postgres(&admin_url).await;
                TestDatabases {
                    config,
                    dir,
                    postgres: Some(postgres),
                }
            }
        }
    }

    /// Where test files may go.
    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

fn url_with(admin: &url::Url, user: &str, database: &str) -> String {
    let mut url = admin.clone();
    url.set_username(user).expect("set user");
    url.set_password(None).expect("clear password");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

async fn create_postgres(admin_url: &str) -> (StoreConfig, PostgresDatabase) {
    let admin = url::Url::parse(admin_url).expect("SUPPORTGATE_TEST_POSTGRES_URL is a URL");
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let database = format!("sg_test_{tag}");
    let main_role = format!("sg_{tag}_main");
    let contact_role = format!("sg_{tag}_contact");
    let mut conn = PgConnection::connect(admin_url).await.unwrap_or_else(|e| {
        panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable at {admin_url}: {e}")
    });
    for sql in [
        format!("CREATE DATABASE \"{database}\""),
        format!("CREATE ROLE \"{main_role}\" LOGIN"),
        format!("CREATE ROLE \"{contact_role}\" LOGIN"),
    ] {
        conn.execute(sql.as_str())
            .await
            .expect("create test database and roles");
    }
    conn.close().await.ok();
    let mut db = PgConnection::connect(&url_with(&admin, admin.username(), &database))
        .await
        .expect("connect to the test database");
    let layout = include_str!("../../../deploy/postgres/layout.sql")
        .replace(":main_role", &format!("\"{main_role}\""))
        .replace(":contact_role", &format!("\"{contact_role}\""))
        .replace(":database", &format!("\"{database}\""));
    db.execute(layout.as_str())
        .await
        .expect("apply deploy/postgres/layout.sql");
    db.close().await.ok();
    let config = StoreConfig {
        main_url: url_with(&admin, &main_role, &database),
        contact_url: url_with(&admin, &contact_role, &database),
        main_schema: "supportgate".into(),
        contact_schema: "supportgate_contact".into(),
        max_connections: 4,
    };
    let postgres = PostgresDatabase {
        admin_url: admin_url.to_owned(),
        database,
        roles: [main_role, contact_role],
    };
    (config, postgres)
}

impl Drop for TestDatabases {
    fn drop(&mut self) {
        let Some(pg) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; clean up on a thread with its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&pg.admin_url).await?;
                conn.execute(
                    format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", pg.database).as_str(),
                )
                .await?;
                for role in &pg.roles {
                    conn.execute(format!("DROP ROLE IF EXISTS \"{role}\"").as_str())
                        .await?;
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        });
        if let Ok(Err(e)) = cleanup.join() {
            eprintln!("could not remove test database: {e}");
        }
    }
}
