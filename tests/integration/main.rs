//! The one integration binary: every capability tested through the real gRPC interface,
//! over TLS, against a real server on a random loopback port, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod access_log;
mod authorization;
mod bad_input;
mod cli;
mod data_subject;
mod data_use_chart;
mod expiry;
mod identity;
mod keys;
mod legal;
mod metrics;
mod recordings;
mod retention;
mod sessions;
mod smoke;
mod transfers;
mod transport;
