//! `supportgate recording …`: the recordings of a case. Session recordings (written
//! by the gateway during a remote session) and imported ones (phone calls, chat
//! transcripts, screen recordings made elsewhere).
//!
//! Reading content names a purpose (`--purpose`; `export` and `play` default to
//! provide-support): the gateway allows the customer of the tenant and the case's
//! engineers with provide-support, support quality with improve-support, and logs
//! every access, so the customer can see who replayed what.
//!
//! * `list --case C`: metadata only.
//! * `show REC --purpose P`: details, title, description, participants.
//! * `download REC --out FILE --purpose P`: the stored form (for a session, the
//!   length-delimited RecordedFrame stream), checked against its SHA-256 before it
//!   gets its final name; a rerun resumes `FILE.partial`.
//! * `export REC --format asciicast --out FILE`: asciicast v2, converted by the
//!   gateway (`--out -` writes to stdout); `--include-input` adds the engineer's
//!   keystrokes as "i" events.
//! * `play REC [--speed 2] [--max-idle 2s]`: replays a terminal recording here, with
//!   its timing, output on stdout and chat, presence and the end on stderr.
//! * `import --case C --kind phone|chat|screen --file F --title T`: streams the file,
//!   declared with its size and SHA-256, which the gateway verifies.

mod play;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use ring::digest::{Context, SHA256};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::args::{parse_id, parse_time, PurposeArg};
use super::connect::Clients;
use super::download::{partial_path, refuse_existing, write_error, Checksum, ContentPart, Resume};
use super::error::CliError;
use super::output::{cell, emit, enum_name, hex, key_values, note, present, rfc3339, Table};
use super::session::expiry::parse_duration;
use super::session::live::role_name;
use super::{page, OutputFormat};
use crate::proto::{
    download_recording_response, export_recording_response, import_recording_request, ByteRange,
    ContentChunk, DownloadRecordingRequest, DownloadRecordingResponse, ExportRecordingRequest,
    GetRecordingRequest, ImportRecordingMetadata, ImportRecordingRequest, ListRecordingsRequest,
    Recording, RecordingExportFormat, RecordingKind, RecordingSource, RecordingState,
    RecordingView,
};

/// Bytes per import chunk: well under the gateway's message limit.
const IMPORT_CHUNK: usize = 256 * 1024;

/// Recordings.
#[derive(Debug, Subcommand)]
pub enum RecordingCommand {
    /// List the recordings of a case (metadata only)
    List {
        /// Case id
        #[arg(long, value_parser = parse_id)]
        case: String,
        /// Only recordings of this kind
        #[arg(long, value_enum, ignore_case = true)]
        kind: Option<KindArg>,
    },
    /// Show a recording's details, title and participants (needs a purpose)
    Show {
        /// Recording id
        #[arg(value_parser = parse_id)]
        recording: String,
        /// Why you are reading it
        #[arg(long, value_enum, ignore_case = true)]
        purpose: PurposeArg,
    },
    /// Download a recording in its stored form (needs a purpose); rerun to resume
    Download {
        /// Recording id
        #[arg(value_parser = parse_id)]
        recording: String,
        /// Where to write it (refused if it exists, unless --force)
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Why you are reading it
        #[arg(long, value_enum, ignore_case = true)]
        purpose: PurposeArg,
        /// Replace --out if it exists
        #[arg(long)]
        force: bool,
    },
    /// Export a terminal recording for common players (asciicast v2)
    Export(ExportArgs),
    /// Replay a terminal recording in this terminal
    Play(PlayArgs),
    /// Import a phone, chat or screen recording made elsewhere into a case
    Import(ImportArgs),
}

/// Arguments of `recording export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Recording id
    #[arg(value_parser = parse_id)]
    pub recording: String,
    /// Output format
    #[arg(long, value_enum, ignore_case = true, default_value = "asciicast")]
    pub format: FormatArg,
    /// Where to write it (`-` for stdout; refused if it exists, unless --force)
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Why you are reading it
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "provide-support"
    )]
    pub purpose: PurposeArg,
    /// Include the engineer's keystrokes as "i" events (they may hold secrets)
    #[arg(long)]
    pub include_input: bool,
    /// Replace --out if it exists
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `recording play`.
#[derive(Debug, Args)]
pub struct PlayArgs {
    /// Recording id
    #[arg(value_parser = parse_id)]
    pub recording: String,
    /// Playback speed: 2 plays twice as fast, 0.5 at half speed
    #[arg(long, default_value = "1", value_parser = parse_speed)]
    pub speed: f64,
    /// Shorten every pause to at most this long, e.g. 2s (default: real pauses)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_idle: Option<Duration>,
    /// Why you are reading it
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "provide-support"
    )]
    pub purpose: PurposeArg,
}

/// Arguments of `recording import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The case to attach it to
    #[arg(long, value_parser = parse_id)]
    pub case: String,
    /// What it is
    #[arg(long, value_enum, ignore_case = true)]
    pub kind: ImportKindArg,
    /// The recording's file
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,
    /// Short title, e.g. "Call with customer 2024-05-02"
    #[arg(long)]
    pub title: String,
    /// Free-text description
    #[arg(long, default_value = "")]
    pub description: String,
    /// Media type, e.g. audio/ogg (default: guessed from the file name)
    #[arg(long)]
    pub media_type: Option<String>,
    /// When the recorded interaction started (RFC 3339)
    #[arg(long, value_parser = parse_time)]
    pub started: Option<prost_types::Timestamp>,
    /// When it ended (RFC 3339)
    #[arg(long, value_parser = parse_time)]
    pub ended: Option<prost_types::Timestamp>,
    /// Its id in the system it comes from (a repeated import is then refused)
    #[arg(long)]
    pub external_id: Option<String>,
}

/// A recording kind, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// A remote session's terminal
    Terminal,
    /// A screen recording
    Screen,
    /// A phone call
    Phone,
    /// A chat transcript
    Chat,
}

impl KindArg {
    /// The wire value.
    pub fn to_proto(self) -> RecordingKind {
        match self {
            Self::Terminal => RecordingKind::Terminal,
            Self::Screen => RecordingKind::Screen,
            Self::Phone => RecordingKind::Phone,
            Self::Chat => RecordingKind::Chat,
        }
    }
}

/// The kinds that can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKindArg {
    /// A phone call
    Phone,
    /// A chat transcript
    Chat,
    /// A screen recording
    Screen,
}

impl ImportKindArg {
    /// The wire value.
    pub fn to_proto(self) -> RecordingKind {
        match self {
            Self::Phone => RecordingKind::Phone,
            Self::Chat => RecordingKind::Chat,
            Self::Screen => RecordingKind::Screen,
        }
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// asciicast v2, for asciinema's player and others
    #[value(alias = "asciicast-v2", alias = "asciicast_v2")]
    Asciicast,
}

impl FormatArg {
    /// The wire value.
    pub fn to_proto(self) -> RecordingExportFormat {
        match self {
            Self::Asciicast => RecordingExportFormat::AsciicastV2,
        }
    }
}

/// Parses `--speed`: a positive number.
pub fn parse_speed(value: &str) -> Result<f64, String> {
    let speed: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("'{value}' is not a number; e.g. 2 or 0.5"))?;
    if speed.is_finite() && speed > 0.0 && speed <= 1000.0 {
        Ok(speed)
    } else {
        Err(format!(
            "'{value}' is not a usable speed (more than 0, at most 1000)"
        ))
    }
}

/// The media type of a file to import, from its extension.
pub fn guess_media_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "ogg" | "oga" | "opus" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        "flac" => "audio/flac",
        "txt" | "log" => "text/plain",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "csv" => "text/csv",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "cast" => "application/x-asciicast",
        _ => "application/octet-stream",
    }
}

/// A recording as printed.
#[derive(Debug, Serialize)]
pub struct RecordingListing {
    pub recording_id: String,
    pub tenant_id: String,
    pub case_id: String,
    pub session_id: Option<String>,
    pub kind: Option<String>,
    pub source: Option<String>,
    pub state: Option<String>,
    pub media_type: String,
    pub size: u64,
    pub sha256: Option<String>,
    pub frame_count: u64,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub created_by: String,
    pub created_at: Option<String>,
}

impl From<Recording> for RecordingListing {
    fn from(r: Recording) -> Self {
        RecordingListing {
            session_id: present(&r.session_id),
            kind: enum_name(
                RecordingKind::try_from(r.kind)
                    .ok()
                    .map(|v| v.as_str_name()),
                "RECORDING_KIND_",
                r.kind,
            ),
            source: enum_name(
                RecordingSource::try_from(r.source)
                    .ok()
                    .map(|v| v.as_str_name()),
                "RECORDING_SOURCE_",
                r.source,
            ),
            state: enum_name(
                RecordingState::try_from(r.state)
                    .ok()
                    .map(|v| v.as_str_name()),
                "RECORDING_STATE_",
                r.state,
            ),
            sha256: hex(&r.sha256),
            started_at: rfc3339(r.started_at.as_ref()),
            ended_at: rfc3339(r.ended_at.as_ref()),
            created_at: rfc3339(r.created_at.as_ref()),
            recording_id: r.recording_id,
            tenant_id: r.tenant_id,
            case_id: r.case_id,
            media_type: r.media_type,
            size: r.size,
            frame_count: r.frame_count,
            created_by: r.created_by,
        }
    }
}

/// A recording's details as printed.
#[derive(Debug, Serialize)]
pub struct RecordingDetail {
    #[serde(flatten)]
    pub recording: Option<RecordingListing>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub initial_cols: u32,
    pub initial_rows: u32,
    pub participants: Vec<ParticipantView>,
}

/// A participant of a recorded session.
#[derive(Debug, Serialize)]
pub struct ParticipantView {
    pub subject_id: String,
    pub role: String,
    pub joined_at: Option<String>,
    pub left_at: Option<String>,
}

impl From<RecordingView> for RecordingDetail {
    fn from(v: RecordingView) -> Self {
        RecordingDetail {
            recording: v.recording.map(RecordingListing::from),
            title: present(&v.title),
            description: present(&v.description),
            initial_cols: v.initial_cols,
            initial_rows: v.initial_rows,
            participants: v
                .participants
                .into_iter()
                .map(|p| ParticipantView {
                    role: role_name(p.role),
                    joined_at: rfc3339(p.joined_at.as_ref()),
                    left_at: rfc3339(p.left_at.as_ref()),
                    subject_id: p.subject_id,
                })
                .collect(),
        }
    }
}

fn listing_pairs(r: &RecordingListing) -> Vec<(&'static str, String)> {
    vec![
        ("recording", r.recording_id.clone()),
        ("tenant", r.tenant_id.clone()),
        ("case", r.case_id.clone()),
        ("session", cell(r.session_id.as_ref())),
        ("kind", cell(r.kind.as_ref())),
        ("source", cell(r.source.as_ref())),
        ("state", cell(r.state.as_ref())),
        ("media type", r.media_type.clone()),
        ("size", r.size.to_string()),
        ("sha256", cell(r.sha256.as_ref())),
        ("frames", r.frame_count.to_string()),
        ("started", cell(r.started_at.as_ref())),
        ("ended", cell(r.ended_at.as_ref())),
        ("created by", r.created_by.clone()),
        ("created", cell(r.created_at.as_ref())),
    ]
}

/// Runs a `recording` command.
pub async fn run(
    command: RecordingCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        RecordingCommand::List { case, kind } => list(clients, out, case, kind).await,
        RecordingCommand::Show { recording, purpose } => {
            let view = clients
                .recordings()
                .get_recording(GetRecordingRequest {
                    recording_id: recording,
                    purpose: purpose.to_proto().into(),
                })
                .await?
                .into_inner();
            let detail = RecordingDetail::from(view);
            emit(out, &detail, |d| {
                let mut pairs = d.recording.as_ref().map(listing_pairs).unwrap_or_default();
                pairs.push(("title", cell(d.title.as_ref())));
                pairs.push(("description", cell(d.description.as_ref())));
                if d.initial_cols > 0 {
                    pairs.push((
                        "size at start",
                        format!("{}x{}", d.initial_cols, d.initial_rows),
                    ));
                }
                for p in &d.participants {
                    pairs.push((
                        "participant",
                        format!(
                            "{} ({}) {} to {}",
                            p.subject_id,
                            p.role,
                            cell(p.joined_at.as_ref()),
                            cell(p.left_at.as_ref())
                        ),
                    ));
                }
                key_values(&pairs)
            })
        }
        RecordingCommand::Download {
            recording,
            out: path,
            purpose,
            force,
        } => download(clients, out, recording, &path, purpose, force).await,
        RecordingCommand::Export(args) => export(clients, out, args).await,
        RecordingCommand::Play(args) => play::run(clients, args).await,
        RecordingCommand::Import(args) => import(clients, out, args).await,
    }
}

async fn list(
    clients: &Clients,
    out: OutputFormat,
    case: String,
    kind: Option<KindArg>,
) -> Result<(), CliError> {
    let client = clients.recordings();
    let kind = kind.map_or(RecordingKind::Unspecified, KindArg::to_proto) as i32;
    let all = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListRecordingsRequest {
            case_id: case.clone(),
            kind,
            page_size,
            page_token,
        };
        async move {
            let r = client.list_recordings(request).await?.into_inner();
            Ok((r.recordings, r.next_page_token))
        }
    })
    .await?;
    let views: Vec<RecordingListing> = all.into_iter().map(RecordingListing::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&[
            "recording",
            "kind",
            "source",
            "state",
            "session",
            "size",
            "frames",
            "started",
            "ended",
        ]);
        for r in views {
            table.push(vec![
                r.recording_id.clone(),
                cell(r.kind.as_ref()),
                cell(r.source.as_ref()),
                cell(r.state.as_ref()),
                cell(r.session_id.as_ref()),
                r.size.to_string(),
                r.frame_count.to_string(),
                cell(r.started_at.as_ref()),
                cell(r.ended_at.as_ref()),
            ]);
        }
        table.render()
    })
}

#[derive(Debug, Serialize)]
struct Downloaded {
    recording_id: String,
    path: String,
    size: u64,
    sha256: Option<String>,
    resumed_from: u64,
}

/// Downloads into `OUT.partial` (continuing one an earlier run left), checks the
/// SHA-256 of the whole recording, then renames it to `OUT`.
async fn download(
    clients: &Clients,
    out: OutputFormat,
    recording: String,
    path: &Path,
    purpose: PurposeArg,
    force: bool,
) -> Result<(), CliError> {
    refuse_existing(path, force)?;
    let resume = Resume::open(path).await?;
    let resumed_from = resume.offset;
    let stream = clients
        .recordings()
        .download_recording(DownloadRecordingRequest {
            recording_id: recording.clone(),
            purpose: purpose.to_proto().into(),
            range: (resumed_from > 0).then_some(ByteRange {
                offset: resumed_from,
                length: 0,
            }),
        })
        .await?
        .into_inner();
    let part = |m: DownloadRecordingResponse| match m.part? {
        download_recording_response::Part::Header(header) => Some(ContentPart::Header(header)),
        download_recording_response::Part::Chunk(chunk) => Some(ContentPart::Chunk(chunk)),
    };
    let (header, digest) = resume
        .receive(stream, part, &recording, Checksum::IfAnnounced("recording"))
        .await?;
    let size = tokio::fs::metadata(path)
        .await
        .map(|m| m.len())
        .unwrap_or(header.total_size);
    note(&format!("downloaded {size} bytes to {}", path.display()));
    let done = Downloaded {
        recording_id: recording,
        path: path.display().to_string(),
        size,
        sha256: hex(digest.as_ref()),
        resumed_from,
    };
    emit(out, &done, |d| {
        key_values(&[
            ("recording", d.recording_id.clone()),
            ("path", d.path.clone()),
            ("size", d.size.to_string()),
            ("sha256", cell(d.sha256.as_ref())),
        ])
    })
}

#[derive(Debug, Serialize)]
struct Exported {
    recording_id: String,
    format: &'static str,
    path: String,
    size: u64,
    sha256: Option<String>,
}

/// Streams the gateway's conversion into `OUT.partial`, then renames it (or writes
/// it to stdout for `--out -`).
async fn export(clients: &Clients, out: OutputFormat, args: ExportArgs) -> Result<(), CliError> {
    let to_stdout = args.out.as_os_str() == "-";
    if !to_stdout {
        refuse_existing(&args.out, args.force)?;
    }
    let mut stream = clients
        .recordings()
        .export_recording(ExportRecordingRequest {
            recording_id: args.recording.clone(),
            purpose: args.purpose.to_proto().into(),
            format: args.format.to_proto().into(),
            include_input: args.include_input,
        })
        .await?
        .into_inner();
    let Some(export_recording_response::Part::Header(_header)) =
        stream.message().await?.and_then(|m| m.part)
    else {
        return Err(CliError::failed(
            "the gateway did not start the export with a header",
        ));
    };
    let mut hash = Context::new(&SHA256);
    let mut size = 0u64;
    if to_stdout {
        let mut stdout = tokio::io::stdout();
        while let Some(message) = stream.message().await? {
            if let Some(export_recording_response::Part::Chunk(chunk)) = message.part {
                stdout
                    .write_all(&chunk.data)
                    .await
                    .map_err(|e| CliError::failed(format!("cannot write to stdout: {e}")))?;
                size += chunk.data.len() as u64;
            }
        }
        stdout
            .flush()
            .await
            .map_err(|e| CliError::failed(format!("cannot write to stdout: {e}")))?;
        note(&format!("exported {size} bytes (asciicast v2)"));
        return Ok(());
    }
    let partial = partial_path(&args.out);
    let mut file = tokio::fs::File::create(&partial)
        .await
        .map_err(write_error(&partial))?;
    let copied: Result<(), CliError> = async {
        while let Some(message) = stream.message().await? {
            if let Some(export_recording_response::Part::Chunk(chunk)) = message.part {
                file.write_all(&chunk.data)
                    .await
                    .map_err(write_error(&partial))?;
                hash.update(&chunk.data);
                size += chunk.data.len() as u64;
            }
        }
        file.sync_all().await.map_err(write_error(&partial))
    }
    .await;
    if let Err(err) = copied {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(err);
    }
    tokio::fs::rename(&partial, &args.out)
        .await
        .map_err(write_error(&args.out))?;
    note(&format!(
        "exported {size} bytes (asciicast v2) to {}",
        args.out.display()
    ));
    let done = Exported {
        recording_id: args.recording,
        format: "asciicast_v2",
        path: args.out.display().to_string(),
        size,
        sha256: hex(hash.finish().as_ref()),
    };
    emit(out, &done, |d| {
        key_values(&[
            ("recording", d.recording_id.clone()),
            ("format", d.format.to_owned()),
            ("path", d.path.clone()),
            ("size", d.size.to_string()),
            ("sha256", cell(d.sha256.as_ref())),
        ])
    })
}

/// Size and SHA-256 of a file, read once.
async fn digest(path: &Path) -> Result<(u64, [u8; 32]), CliError> {
    let read = |e: std::io::Error| CliError::usage(format!("cannot read {}: {e}", path.display()));
    let mut file = tokio::fs::File::open(path).await.map_err(read)?;
    let mut context = Context::new(&SHA256);
    let mut buffer = vec![0u8; 1024 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).await.map_err(read)?;
        if n == 0 {
            break;
        }
        context.update(&buffer[..n]);
        size += n as u64;
    }
    let mut sha = [0u8; 32];
    sha.copy_from_slice(context.finish().as_ref());
    Ok((size, sha))
}

/// Hashes the file, then streams the metadata and the content in order.
async fn import(clients: &Clients, out: OutputFormat, args: ImportArgs) -> Result<(), CliError> {
    if args.title.trim().is_empty() {
        return Err(CliError::usage("--title must not be empty"));
    }
    let media_type = args
        .media_type
        .clone()
        .unwrap_or_else(|| guess_media_type(&args.file).to_owned());
    let (size, sha256) = digest(&args.file).await?;
    let metadata = ImportRecordingMetadata {
        case_id: args.case.clone(),
        kind: args.kind.to_proto().into(),
        media_type,
        size,
        sha256: sha256.to_vec().into(),
        started_at: args.started,
        ended_at: args.ended,
        title: args.title.clone(),
        description: args.description.clone(),
        external_id: args.external_id.clone().unwrap_or_default(),
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<ImportRecordingRequest>(4);
    let path = args.file.clone();
    let progress = super::upload_progress(size, &args.title);
    let bar = progress.clone();
    let reading = tokio::spawn(async move {
        let first = ImportRecordingRequest {
            part: Some(import_recording_request::Part::Metadata(metadata)),
        };
        if sender.send(first).await.is_err() {
            return Ok(());
        }
        let mut file = tokio::fs::File::open(&path).await?;
        let mut offset = 0u64;
        let mut buffer = vec![0u8; IMPORT_CHUNK];
        loop {
            let n = file.read(&mut buffer).await?;
            if n == 0 {
                return Ok(());
            }
            let chunk = ImportRecordingRequest {
                part: Some(import_recording_request::Part::Chunk(ContentChunk {
                    offset,
                    data: buffer[..n].to_vec().into(),
                })),
            };
            if sender.send(chunk).await.is_err() {
                return Ok(());
            }
            offset += n as u64;
            bar.set_position(offset);
        }
    });
    let answer = clients
        .recordings()
        .import_recording(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await;
    let read: Result<std::io::Result<()>, _> = reading.await;
    progress.finish_and_clear();
    let recording = answer?.into_inner();
    match read {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return Err(CliError::failed(format!(
                "cannot read {}: {e}",
                args.file.display()
            )))
        }
        Err(e) => return Err(CliError::failed(format!("the file reader failed: {e}"))),
    }
    note(&format!(
        "imported {} ({size} bytes) into case {} as recording {}",
        args.file.display(),
        recording.case_id,
        recording.recording_id
    ));
    match out {
        OutputFormat::Json => emit(out, &RecordingListing::from(recording), |_| String::new()),
        OutputFormat::Table => super::output::stdout(&format!("{}\n", recording.recording_id)),
    }
}
