//! What every part of the recording tests shares: deterministic content with a marker
//! to hunt for in the blob store, declarations, and one-line wrappers around each
//! RecordingService call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use supportgate::proto::{
    download_recording_response, export_recording_response, import_recording_request, ByteRange,
    ContentChunk, ContentHeader, DownloadRecordingRequest, ExportRecordingRequest,
    GetRecordingRequest, ImportRecordingMetadata, ImportRecordingRequest, ListRecordingsRequest,
    Purpose, Recording, RecordingExportFormat, RecordingKind, RecordingView,
};
use supportgate_testkit::Backend;
use tonic::{Request, Status};

use crate::harness::{Clients, TestServer, World};

/// A string no encryption reproduces by chance, planted in every recording's content.
pub const MARKER: &[u8] = b"PLAINTEXT-MARKER:call-with-carol-about-the-vpn-7f3a9c";

/// Bytes per import chunk: a 300 KB recording arrives in several.
pub const CHUNK: usize = 64 * 1024;

/// `len` deterministic bytes with [`MARKER`] planted every 40 000 bytes.
pub fn content(len: usize) -> Vec<u8> {
    let mut data: Vec<u8> = (0..len).map(|i| ((i * 7919) % 251) as u8).collect();
    let mut at = 0;
    while at + MARKER.len() <= len {
        data[at..at + MARKER.len()].copy_from_slice(MARKER);
        at += 40_000;
    }
    data
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

fn at(seconds: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds, nanos: 0 }
}

/// When the declared call started and ended.
pub const STARTED: i64 = 1_714_640_400;
pub const ENDED: i64 = 1_714_641_300;

/// A correct declaration of `data` as a phone call into `case`.
pub fn metadata(case: &str, kind: RecordingKind, data: &[u8]) -> ImportRecordingMetadata {
    ImportRecordingMetadata {
        case_id: case.into(),
        kind: kind.into(),
        media_type: "audio/ogg".into(),
        size: data.len() as u64,
        sha256: sha256(data).into(),
        started_at: Some(at(STARTED)),
        ended_at: Some(at(ENDED)),
        title: "Call with Carol 2024-05-02".into(),
        description: "Carol reports the VPN drops every hour; agreed to collect traces.".into(),
        external_id: String::new(),
    }
}

pub fn meta_message(m: ImportRecordingMetadata) -> ImportRecordingRequest {
    ImportRecordingRequest {
        part: Some(import_recording_request::Part::Metadata(m)),
    }
}

pub fn chunk_message(offset: u64, data: &[u8]) -> ImportRecordingRequest {
    ImportRecordingRequest {
        part: Some(import_recording_request::Part::Chunk(ContentChunk {
            offset,
            data: data.to_vec().into(),
        })),
    }
}

/// The metadata message followed by `data` in chunks of [`CHUNK`] bytes.
pub fn messages(m: ImportRecordingMetadata, data: &[u8]) -> Vec<ImportRecordingRequest> {
    let mut all = vec![meta_message(m)];
    all.extend(
        data.chunks(CHUNK)
            .enumerate()
            .map(|(i, part)| chunk_message((i * CHUNK) as u64, part)),
    );
    all
}

/// Sends `messages` as one import stream.
pub async fn import_stream(
    clients: &Clients,
    messages: Vec<ImportRecordingRequest>,
) -> Result<Recording, Status> {
    clients
        .recordings()
        .import_recording(futures::stream::iter(messages))
        .await
        .map(tonic::Response::into_inner)
}

/// Imports `data` as declared by `m`.
pub async fn import(
    clients: &Clients,
    m: ImportRecordingMetadata,
    data: &[u8],
) -> Result<Recording, Status> {
    import_stream(clients, messages(m, data)).await
}

/// `message` with our own `x-request-id`, so its log entries can be found.
pub fn tagged<T>(message: T) -> (Request<T>, String) {
    let id = uuid::Uuid::new_v4().to_string();
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "x-request-id",
        id.parse().expect("a uuid is a header value"),
    );
    (request, id)
}

/// The recordings of `case` (of `kind`; UNSPECIFIED = all), every page.
pub async fn list(
    clients: &Clients,
    case: &str,
    kind: RecordingKind,
) -> Result<Vec<Recording>, Status> {
    let mut request = ListRecordingsRequest {
        case_id: case.into(),
        kind: kind.into(),
        page_size: 0,
        page_token: String::new(),
    };
    let mut all = Vec::new();
    loop {
        let page = clients
            .recordings()
            .list_recordings(request.clone())
            .await?
            .into_inner();
        all.extend(page.recordings);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        request.page_token = page.next_page_token;
    }
}

/// The ids of every recording of `case`, listed by someone who may.
pub async fn listed_ids(clients: &Clients, case: &str) -> Vec<String> {
    list(clients, case, RecordingKind::Unspecified)
        .await
        .expect("ListRecordings")
        .into_iter()
        .map(|r| r.recording_id)
        .collect()
}

pub async fn get(
    clients: &Clients,
    recording: &str,
    purpose: i32,
) -> Result<RecordingView, Status> {
    let request = GetRecordingRequest {
        recording_id: recording.into(),
        purpose,
    };
    clients
        .recordings()
        .get_recording(request)
        .await
        .map(tonic::Response::into_inner)
}

pub fn download_request(
    recording: &str,
    purpose: i32,
    range: Option<(u64, u64)>,
) -> DownloadRecordingRequest {
    DownloadRecordingRequest {
        recording_id: recording.into(),
        purpose,
        range: range.map(|(offset, length)| ByteRange { offset, length }),
    }
}

/// Downloads `recording` (a `range` of `(offset, length)`, or all of it); checks the
/// header comes first and the chunks arrive in order and fill the announced range.
pub async fn download(
    clients: &Clients,
    recording: &str,
    purpose: i32,
    range: Option<(u64, u64)>,
) -> Result<(ContentHeader, Vec<u8>), Status> {
    use download_recording_response::Part;
    let request = download_request(recording, purpose, range);
    let mut stream = clients
        .recordings()
        .download_recording(request)
        .await?
        .into_inner();
    let header = match stream.message().await?.and_then(|m| m.part) {
        Some(Part::Header(header)) => header,
        other => panic!("a download starts with its header, not {other:?}"),
    };
    let mut data = Vec::new();
    while let Some(message) = stream.message().await? {
        match message.part {
            Some(Part::Chunk(chunk)) => {
                assert_eq!(
                    chunk.offset,
                    header.offset + data.len() as u64,
                    "chunks arrive in order, without gaps"
                );
                data.extend_from_slice(&chunk.data);
            }
            other => panic!("only chunks follow the header, not {other:?}"),
        }
    }
    assert_eq!(
        data.len() as u64,
        header.length,
        "the header announces the length"
    );
    Ok((header, data))
}

/// Exports `recording`; returns everything the stream carried.
pub async fn export(
    clients: &Clients,
    recording: &str,
    purpose: i32,
    format: i32,
) -> Result<Vec<u8>, Status> {
    use export_recording_response::Part;
    let request = ExportRecordingRequest {
        recording_id: recording.into(),
        purpose,
        format,
        include_input: false,
    };
    let mut stream = clients
        .recordings()
        .export_recording(request)
        .await?
        .into_inner();
    let mut data = Vec::new();
    while let Some(message) = stream.message().await? {
        if let Some(Part::Chunk(chunk)) = message.part {
            data.extend_from_slice(&chunk.data);
        }
    }
    Ok(data)
}

pub const PROVIDE: i32 = Purpose::ProvideSupport as i32;
pub const IMPROVE: i32 = Purpose::ImproveSupport as i32;
pub const ASCIICAST: i32 = RecordingExportFormat::AsciicastV2 as i32;

/// Every stored file under `dir` with its bytes.
pub fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            out.insert(path, bytes);
        }
    }
    out
}

/// The stored recording blobs (`recordings/<tenant>/<recording>`), by path.
pub fn recording_blobs(server: &TestServer) -> Vec<PathBuf> {
    files_under(&server.blob_dir().join("recordings"))
        .into_keys()
        .collect()
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Polls `check` until it holds; a bounded wait, not a sleep.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A world in which acme's assigned engineer imported a 300 KB phone call into acme's
/// case.
pub struct Imported {
    pub world: World,
    pub recording: Recording,
    pub data: Vec<u8>,
}

impl Imported {
    pub async fn build(backend: Backend) -> Imported {
        let world = World::build(backend).await;
        let data = content(300_000);
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let m = metadata(&world.acme.case, RecordingKind::Phone, &data);
        let recording = import(&engineer, m, &data)
            .await
            .expect("the assigned engineer imports a phone call");
        Imported {
            world,
            recording,
            data,
        }
    }

    pub fn id(&self) -> &str {
        &self.recording.recording_id
    }
}
