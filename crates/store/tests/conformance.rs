//! The storage conformance suite: every test body runs on SQLite and on PostgreSQL
//! (`supportgate_testkit::backend_tests!`), each on fresh databases.
//!
//! It covers every statement of `supportgate-store` on both engines: migrations,
//! identities, keys, cases, contacts, grants minted by the real policy, the access log,
//! the separation of the two stores, and hostile input. PostgreSQL runs need
//! `SUPPORTGATE_TEST_POSTGRES_URL`; without it those halves are skipped with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "conformance/support.rs"]
mod support;

#[path = "conformance/access_log.rs"]
mod access_log;
#[path = "conformance/append_only.rs"]
mod append_only;
#[path = "conformance/cases.rs"]
mod cases;
#[path = "conformance/checkpoints.rs"]
mod checkpoints;
#[path = "conformance/contacts.rs"]
mod contacts;
#[path = "conformance/grants.rs"]
mod grants;
#[path = "conformance/hostile.rs"]
mod hostile;
#[path = "conformance/keys.rs"]
mod keys;
#[path = "conformance/legal.rs"]
mod legal;
#[path = "conformance/migrations.rs"]
mod migrations;
#[path = "conformance/recordings.rs"]
mod recordings;
#[path = "conformance/retention.rs"]
mod retention;
#[path = "conformance/separation.rs"]
mod separation;
#[path = "conformance/sessions.rs"]
mod sessions;
#[path = "conformance/subjects.rs"]
mod subjects;
#[path = "conformance/tenants.rs"]
mod tenants;
#[path = "conformance/transfers.rs"]
mod transfers;
