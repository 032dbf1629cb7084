//! `supportgate log export` and `supportgate log public-key`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use super::super::args::{parse_id, parse_time};
use super::super::connect::Clients;
use super::super::error::CliError;
use super::super::output::note;
use crate::proto::{ExportRequest, GetPublicKeyRequest, SequenceRange};

/// What to export.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write the bundle (refused if it exists, unless --force)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace --out if it exists
    #[arg(long)]
    force: bool,
    /// Only this tenant's entries in full (others redacted); a tenant's reviewer always
    /// gets their own tenant
    #[arg(long, value_parser = parse_id)]
    tenant: Option<String>,
    /// First sequence number
    #[arg(long, value_name = "SEQ")]
    from: Option<u64>,
    /// Last sequence number
    #[arg(long, value_name = "SEQ")]
    to: Option<u64>,
    /// Only entries at or after this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    since: Option<prost_types::Timestamp>,
    /// Only entries before this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    until: Option<prost_types::Timestamp>,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::failed(format!("cannot write {}: {e}", path.display()))
}

/// Streams the bundle into `--out`, through a temporary file so that a broken export
/// never leaves a partial bundle under the final name.
pub async fn run(clients: &Clients, args: &ExportArgs) -> Result<(), CliError> {
    if args.out.exists() && !args.force {
        return Err(CliError::usage(format!(
            "{} exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let request = ExportRequest {
        range: Some(SequenceRange {
            from_sequence: args.from.unwrap_or(0),
            to_sequence: args.to.unwrap_or(0),
        }),
        tenant_id: args.tenant.clone().unwrap_or_default(),
        since: args.since,
        until: args.until,
    };
    let mut stream = clients.access_log().export(request).await?.into_inner();
    let partial = crate::cli::download::partial_path(&args.out);
    let mut file = std::fs::File::create(&partial).map_err(io_error(&partial))?;
    let mut written = 0usize;
    let result = async {
        while let Some(chunk) = stream.message().await? {
            file.write_all(&chunk.chunk).map_err(io_error(&partial))?;
            written += chunk.chunk.len();
        }
        file.sync_all().map_err(io_error(&partial))?;
        std::fs::rename(&partial, &args.out).map_err(io_error(&args.out))
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result?;
    note(&format!("wrote {written} bytes to {}", args.out.display()));
    Ok(())
}

/// Prints the public key (PEM) or writes it to `out`.
pub async fn public_key(clients: &Clients, out: Option<&Path>) -> Result<(), CliError> {
    let answer = clients
        .access_log()
        .get_public_key(GetPublicKeyRequest {})
        .await?
        .into_inner();
    let current = answer
        .keys
        .iter()
        .find(|k| k.key_id == answer.current_key_id)
        .ok_or_else(|| CliError::failed("the gateway named no current key"))?;
    let pem = supportgate_crypto::public_key_pem(&current.public_key);
    match out {
        None => print!("{pem}"),
        Some(path) => {
            std::fs::write(path, &pem).map_err(io_error(path))?;
            note(&format!(
                "wrote key {} to {}",
                current.key_id,
                path.display()
            ));
        }
    }
    Ok(())
}
