//! The generated gRPC code for `supportgate.v1` and its descriptor set.
#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    missing_debug_implementations
)]

tonic::include_proto!("supportgate.v1");

/// The encoded `FileDescriptorSet` of every `.proto` file, for reflection and tests.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/supportgate_descriptor.bin"));
