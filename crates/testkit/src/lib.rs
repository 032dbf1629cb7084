//! Test support: per-test databases on both engines, a manual clock, the backend macro.
//!
//! Dev-only: never a dependency of product code. Panics are failed assertions here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clock;
mod databases;

pub use clock::ManualClock;
pub use databases::{Backend, TestDatabases, POSTGRES_URL_VAR};

/// Runs each test body once on SQLite and once on PostgreSQL.
///
/// The body is an `async` block that gets a [`Backend`]. On PostgreSQL, the test is
/// skipped with a message when `SUPPORTGATE_TEST_POSTGRES_URL` is unset, and fails when
/// it is set but the server cannot be reached.
#[macro_export]
macro_rules! backend_tests {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($backend:ident : Backend) $body:block
    )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($backend: $crate::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !$crate::Backend::postgres_enabled(concat!(module_path!(), "::postgres")) {
                    return;
                }
                run($crate::Backend::Postgres).await
            }
        }
    )*};
}
