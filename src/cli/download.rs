//! `supportgate download FILE_ID --out PATH --purpose …`: a progress bar, a resumable
//! `PATH.partial` file, and the SHA-256 checked before the file gets its final name.

use std::path::{Path, PathBuf};

use clap::Args;
use ring::digest::{Context, Digest, SHA256};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::args::{parse_id, PurposeArg};
use super::connect::Clients;
use super::error::CliError;
use super::output::{emit, hex, key_values, note};
use super::OutputFormat;
use tonic::Streaming;

use crate::proto::{
    download_file_response::Part, ByteRange, ContentChunk, ContentHeader, DownloadFileRequest,
    DownloadFileResponse,
};

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

pub(crate) fn write_error(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::failed(format!("cannot write {}: {e}", path.display()))
}

/// Refuses to overwrite `path` unless `force`.
pub(crate) fn refuse_existing(path: &Path, force: bool) -> Result<(), CliError> {
    if path.exists() && !force {
        return Err(CliError::usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        )));
    }
    Ok(())
}

/// Downloads into `OUT.partial` (continuing one an earlier run left), checks the
/// SHA-256 of the whole file, then renames it to `OUT`.
pub async fn run(args: DownloadArgs, clients: &Clients, out: OutputFormat) -> Result<(), CliError> {
    refuse_existing(&args.out, args.force)?;
    let resume = Resume::open(&args.out).await?;
    let resumed_from = resume.offset;
    let request = DownloadFileRequest {
        file_id: args.file.clone(),
        purpose: args.purpose.to_proto().into(),
        range: Some(ByteRange {
            offset: resumed_from,
            length: 0,
        }),
    };
    let stream = clients
        .transfers()
        .download_file(request)
        .await?
        .into_inner();
    let part = |m: DownloadFileResponse| match m.part? {
        Part::Header(header) => Some(ContentPart::Header(header)),
        Part::Chunk(chunk) => Some(ContentPart::Chunk(chunk)),
    };
    let (header, _) = resume
        .receive(stream, part, &args.file, Checksum::Required("file"))
        .await?;
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

/// One message of a content stream (`DownloadFile`, `DownloadRecording`), whatever
/// the RPC's own response type.
pub(crate) enum ContentPart {
    Header(ContentHeader),
    Chunk(ContentChunk),
}

/// Whether the header's SHA-256 must be there and match, and what the content is
/// called in the refusal.
pub(crate) enum Checksum {
    /// Always: a header without one does not match.
    Required(&'static str),
    /// Only when the header has one (a truncated recording has none).
    IfAnnounced(&'static str),
}

/// A download to `out` that goes through `PATH.partial` and continues what an
/// earlier run left there.
pub(crate) struct Resume {
    out: PathBuf,
    partial: PathBuf,
    hash: Context,
    /// Bytes already in the partial file: where the request's range starts.
    pub offset: u64,
}

impl Resume {
    /// Looks at what an earlier run left for `out`.
    pub(crate) async fn open(out: &Path) -> Result<Resume, CliError> {
        let partial = partial_path(out);
        let (hash, offset) = prefix(&partial).await?;
        Ok(Resume {
            out: out.to_path_buf(),
            partial,
            hash,
            offset,
        })
    }

    /// Appends `stream`'s chunks to the partial file with a progress bar (labelled
    /// `label`), checks the whole content's SHA-256 as `checksum` says, and gives the
    /// file its final name. On a mismatch nothing is kept. Returns the header and the
    /// SHA-256 of the whole content.
    pub(crate) async fn receive<M>(
        mut self,
        mut stream: Streaming<M>,
        part: impl Fn(M) -> Option<ContentPart>,
        label: &str,
        checksum: Checksum,
    ) -> Result<(ContentHeader, Digest), CliError> {
        let Some(ContentPart::Header(header)) = stream.message().await?.and_then(&part) else {
            return Err(CliError::failed(
                "the gateway did not start the download with a header",
            ));
        };
        let partial = &self.partial;
        let progress = super::upload_progress(header.total_size, label);
        progress.set_position(self.offset);
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(partial)
            .await
            .map_err(write_error(partial))?;
        while let Some(message) = stream.message().await? {
            if let Some(ContentPart::Chunk(chunk)) = part(message) {
                file.write_all(&chunk.data)
                    .await
                    .map_err(write_error(partial))?;
                self.hash.update(&chunk.data);
                progress.set_position(chunk.offset + chunk.data.len() as u64);
            }
        }
        file.sync_all().await.map_err(write_error(partial))?;
        progress.finish_and_clear();
        let digest = self.hash.finish();
        let (checked, what) = match checksum {
            Checksum::Required(what) => (true, what),
            Checksum::IfAnnounced(what) => (!header.sha256.is_empty(), what),
        };
        if checked && digest.as_ref() != header.sha256.as_ref() {
            let _ = tokio::fs::remove_file(partial).await;
            return Err(CliError::failed(format!(
                "the downloaded bytes do not match the {what}'s SHA-256; nothing was kept, try again"
            )));
        }
        tokio::fs::rename(partial, &self.out)
            .await
            .map_err(write_error(&self.out))?;
        Ok((header, digest))
    }
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
        let n = file.read(&mut buffer).await.map_err(write_error(partial))?;
        if n == 0 {
            return Ok((context, len));
        }
        context.update(&buffer[..n]);
        len += n as u64;
    }
}
