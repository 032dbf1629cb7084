//! `supportgate download FILE_ID --out PATH --purpose …`: a progress bar, a resumable
//! `PATH.partial` file, and the SHA-256 checked before the file gets its final name.

use std::path::{Path, PathBuf};

use clap::Args;
use ring::digest::{Context, SHA256};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::args::{parse_id, PurposeArg};
use super::connect::Clients;
use super::error::CliError;
use super::output::{emit, hex, key_values, note};
use super::OutputFormat;
use crate::proto::{download_file_response::Part, ByteRange, DownloadFileRequest};

/// What to download.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// File id
    #[arg(value_parser = parse_id)]
    file: String,
    /// Where to write it (refused if it exists, unless --force)
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Why you are reading it
    #[arg(long, value_enum, ignore_case = true)]
    purpose: PurposeArg,
    /// Replace --out if it exists
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Serialize)]
struct Downloaded {
    file_id: String,
    path: String,
    size: u64,
    sha256: String,
    resumed_from: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::failed(format!("cannot write {}: {e}", path.display()))
}

/// Downloads into `OUT.partial` (continuing one an earlier run left), checks the
/// SHA-256 of the whole file, then renames it to `OUT`.
pub async fn run(args: DownloadArgs, clients: &Clients, out: OutputFormat) -> Result<(), CliError> {
    if args.out.exists() && !args.force {
        return Err(CliError::usage(format!(
            "{} exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let partial = partial_path(&args.out);
    let (mut hash, resumed_from) = prefix(&partial).await?;
    let request = DownloadFileRequest {
        file_id: args.file.clone(),
        purpose: args.purpose.to_proto().into(),
        range: Some(ByteRange {
            offset: resumed_from,
            length: 0,
        }),
    };
    let mut stream = clients
        .transfers()
        .download_file(request)
        .await?
        .into_inner();
    let Some(Part::Header(header)) = stream.message().await?.and_then(|m| m.part) else {
        return Err(CliError::failed(
            "the gateway did not start the download with a header",
        ));
    };
    let progress = super::upload_progress(header.total_size, &args.file);
    progress.set_position(resumed_from);
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&partial)
        .await
        .map_err(io(&partial))?;
    while let Some(message) = stream.message().await? {
        if let Some(Part::Chunk(chunk)) = message.part {
            file.write_all(&chunk.data).await.map_err(io(&partial))?;
            hash.update(&chunk.data);
            progress.set_position(chunk.offset + chunk.data.len() as u64);
        }
    }
    file.sync_all().await.map_err(io(&partial))?;
    progress.finish_and_clear();
    let digest = hash.finish();
    if digest.as_ref() != header.sha256.as_ref() {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(CliError::failed(
            "the downloaded bytes do not match the file's SHA-256; nothing was kept, try again",
        ));
    }
    tokio::fs::rename(&partial, &args.out)
        .await
        .map_err(io(&args.out))?;
    note(&format!(
        "downloaded {} bytes to {}",
        header.total_size,
        args.out.display()
    ));
    let done = Downloaded {
        file_id: args.file,
        path: args.out.display().to_string(),
        size: header.total_size,
        sha256: hex(&header.sha256).unwrap_or_default(),
        resumed_from,
    };
    emit(out, &done, |d| {
        key_values(&[
            ("file", d.file_id.clone()),
            ("path", d.path.clone()),
            ("size", d.size.to_string()),
            ("sha256", d.sha256.clone()),
        ])
    })
}

/// Where a download to `out` is written until it is verified: `out` with `.partial`
/// appended to its whole name (`trace.log` → `trace.log.partial`).
///
/// ## Why append, not replace the extension
/// Outputs that differ only by extension (`trace.log`, `trace.txt`) must not share one
/// partial file: a rerun of one would resume from the other's bytes.
pub(crate) fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// The SHA-256 state and length of what an earlier run already wrote.
pub(crate) async fn prefix(partial: &Path) -> Result<(Context, u64), CliError> {
    let mut context = Context::new(&SHA256);
    let Ok(mut file) = tokio::fs::File::open(partial).await else {
        return Ok((context, 0));
    };
    let mut buffer = vec![0u8; 1024 * 1024];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buffer).await.map_err(io(partial))?;
        if n == 0 {
            return Ok((context, len));
        }
        context.update(&buffer[..n]);
        len += n as u64;
    }
}
