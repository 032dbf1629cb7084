//! `supportgate upload FILE... --workspace W`: hash, declare, stream from the committed
//! offset, complete. Running the same command again resumes an interrupted upload: the
//! gateway recognises the same declaration and says how much it already holds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use ring::digest::{Context, SHA256};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tonic::Code;

use super::args::parse_id;
use super::connect::Clients;
use super::error::CliError;
use super::output::{emit, hex, note, Table};
use super::OutputFormat;
use crate::proto::{
    BeginUploadRequest, Chunk, CompleteUploadRequest, GetUploadStatusRequest, UploadState,
};

/// Attempts at streaming one file before giving up (each resumes where the last stopped).
const ATTEMPTS: u32 = 5;
/// Chunks read ahead of the network: memory stays at a few chunks for any file size.
const READ_AHEAD: usize = 4;

/// What to upload.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Files to upload
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The workspace to upload into
    #[arg(long, value_parser = parse_id)]
    pub workspace: String,
    /// Media type of the files, e.g. application/gzip
    #[arg(long, default_value = "")]
    pub media_type: String,
}

/// One uploaded file, as printed.
#[derive(Debug, Serialize)]
pub struct Uploaded {
    pub file_id: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// Bytes the gateway already held from an earlier, interrupted run.
    pub resumed_from: u64,
}

/// A progress bar for `len` bytes (drawn on stderr, hidden when it is not a terminal).
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::failed(format!("cannot read {}: {e}", path.display()))
}

/// Size and SHA-256 of a file, read once.
async fn digest(path: &Path) -> Result<(u64, [u8; 32]), CliError> {
    let mut file = tokio::fs::File::open(path).await.map_err(io(path))?;
    let size = file.metadata().await.map_err(io(path))?.len();
    let progress = bar(size, "hashing");
    let mut context = Context::new(&SHA256);
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buffer).await.map_err(io(path))?;
        if n == 0 {
            break;
        }
        context.update(&buffer[..n]);
        progress.inc(n as u64);
    }
    progress.finish_and_clear();
    let mut sha = [0u8; 32];
    sha.copy_from_slice(context.finish().as_ref());
    Ok((size, sha))
}

/// Uploads every file; prints one line (or JSON object) per file.
pub async fn run(args: UploadArgs, clients: &Clients, out: OutputFormat) -> Result<(), CliError> {
    let mut done = Vec::new();
    for path in &args.files {
        done.push(upload(clients, &args.workspace, &args.media_type, path).await?);
    }
    emit(out, &done, |done| {
        let mut table = Table::new(&["file", "name", "size", "sha256"]);
        for f in done {
            table.push(vec![
                f.file_id.clone(),
                f.name.clone(),
                f.size.to_string(),
                f.sha256.clone(),
            ]);
        }
        table.render()
    })
}

/// Uploads one file, resuming whatever the gateway already holds of it.
pub async fn upload(
    clients: &Clients,
    workspace: &str,
    media_type: &str,
    path: &Path,
) -> Result<Uploaded, CliError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::usage(format!("{} has no usable file name", path.display())))?
        .to_owned();
    let (size, sha256) = digest(path).await?;
    let mut client = clients.transfers();
    let begun = client
        .begin_upload(BeginUploadRequest {
            workspace_id: workspace.to_owned(),
            name: name.clone(),
            size,
            sha256: sha256.to_vec().into(),
            media_type: media_type.to_owned(),
        })
        .await?
        .into_inner();
    let first = client
        .get_upload_status(GetUploadStatusRequest {
            upload_id: begun.upload_id.clone(),
        })
        .await?
        .into_inner();
    let resumed_from = first.committed_offset;
    if first.state != UploadState::Available as i32 {
        if resumed_from > 0 {
            note(&format!(
                "{name}: resuming at byte {resumed_from} of {size}"
            ));
        }
        let progress = bar(size, &name);
        progress.set_position(resumed_from);
        let mut committed = resumed_from;
        let mut attempt = 0;
        // An empty file has nothing to stream: completing it seals its empty segment.
        while committed < size {
            attempt += 1;
            match send(
                clients,
                &begun.upload_id,
                path,
                committed,
                begun.max_chunk_size,
                &progress,
            )
            .await
            {
                Ok(now) => committed = now,
                Err(status) if attempt < ATTEMPTS && retryable(status.code()) => {
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    committed = status_after_failure(&mut client, &begun.upload_id)
                        .await
                        .unwrap_or(committed);
                    progress.set_position(committed);
                }
                Err(status) => return Err(status.into()),
            }
        }
        progress.finish_and_clear();
        client
            .complete_upload(CompleteUploadRequest {
                upload_id: begun.upload_id.clone(),
            })
            .await?;
    }
    Ok(Uploaded {
        file_id: begun.file_id,
        name,
        size,
        sha256: hex(&sha256).unwrap_or_default(),
        resumed_from,
    })
}

/// Connection trouble and restarts are worth a retry from the committed offset; a
/// refusal is not.
fn retryable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::Unknown
            | Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Internal
            | Code::Aborted
    )
}

async fn status_after_failure(
    client: &mut crate::proto::transfer_service_client::TransferServiceClient<
        super::connect::AuthChannel,
    >,
    upload_id: &str,
) -> Option<u64> {
    let request = GetUploadStatusRequest {
        upload_id: upload_id.to_owned(),
    };
    client
        .get_upload_status(request)
        .await
        .ok()
        .map(|r| r.into_inner().committed_offset)
}

/// Streams the file from `offset`; returns the committed offset the gateway reports.
async fn send(
    clients: &Clients,
    upload_id: &str,
    path: &Path,
    offset: u64,
    max_chunk: u32,
    progress: &ProgressBar,
) -> Result<u64, tonic::Status> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(READ_AHEAD);
    let reader = read_chunks(
        path.to_owned(),
        upload_id.to_owned(),
        offset,
        max_chunk.max(1),
        sender,
        progress.clone(),
    );
    let reading = tokio::spawn(reader);
    let answer = clients
        .transfers()
        .upload_chunks(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await;
    let read = reading
        .await
        .map_err(|e| tonic::Status::internal(e.to_string()))?;
    let committed = answer?.into_inner().committed_offset;
    read.map_err(|e| tonic::Status::internal(format!("cannot read {}: {e}", path.display())))?;
    Ok(committed)
}

async fn read_chunks(
    path: PathBuf,
    upload_id: String,
    mut offset: u64,
    max_chunk: u32,
    sender: tokio::sync::mpsc::Sender<Chunk>,
    progress: ProgressBar,
) -> std::io::Result<()> {
    let mut file = tokio::fs::File::open(&path).await?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    loop {
        let mut data = vec![0u8; max_chunk as usize];
        let mut filled = 0;
        while filled < data.len() {
            let n = file.read(&mut data[filled..]).await?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            return Ok(());
        }
        data.truncate(filled);
        let chunk = Chunk {
            upload_id: upload_id.clone(),
            offset,
            crc32c: crc32c::crc32c(&data),
            data: data.into(),
        };
        offset += filled as u64;
        if sender.send(chunk).await.is_err() {
            return Ok(());
        }
        progress.set_position(offset);
    }
}
