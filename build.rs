//! Compiles `proto/` with protox (pure Rust: no system `protoc`), generates tonic code,
//! and writes the descriptor set that gRPC reflection and the authorization coverage
//! test read.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "common",
        "admin",
        "case",
        "contact",
        "transfer",
        "session",
        "recording",
        "access_log",
        "legal",
    ]
    .map(|f| format!("supportgate/v1/{f}.proto"));
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(&files, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("supportgate_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .bytes(".")
        // Malformed messages are INVALID_ARGUMENT, not INTERNAL: see src/server/codec.rs.
        .codec_path("crate::server::codec::StrictCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
