//! supportgate: the gRPC gateway for enterprise support desks.
//!
//! This crate is the edge: the only code that knows gRPC, protobuf and TLS. The rules
//! live in the pure crates (`supportgate-policy`, `-audit`, `-crypto`, `-types`), storage
//! in `supportgate-store`, use cases in `supportgate-service`. See `docs/ARCHITECTURE.md`.

pub mod proto;
pub mod cli;
