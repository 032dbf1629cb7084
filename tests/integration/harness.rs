//! The integration harness: a real gateway (the production `Server::bind`) on a random
//! loopback port, over TLS with a per-test CA, on fresh SQLite or PostgreSQL databases,
//! and typed gRPC clients per role.

pub mod clients;
pub mod raw;
pub mod server;
pub mod status;
pub mod world;

pub use clients::{Actor, Clients};
pub use server::TestServer;
pub use status::{assert_status, reason};
pub use world::World;
