//! What every part of the transfer tests shares: random content and leak scans, a
//! gateway with custom limits, and one-line wrappers around each TransferService call.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use ring::rand::SecureRandom;
use supportgate::proto::{
    download_file_response::Part, BeginUploadRequest, BeginUploadResponse, Chunk,
    CompleteUploadRequest, ContentHeader, DownloadFileRequest, FileInfo, GetUploadStatusRequest,
    ListFilesRequest, OpenWorkspaceRequest, Purpose, UploadStatus,
};
use supportgate_service::TransferLimits;
use supportgate_testkit::Backend;
use tonic::Status;

use crate::harness::world::open_case;
use crate::harness::{Actor, Clients, TestServer, World};

/// Plaintext bytes per encryption segment: the gateway commits whole segments only
/// (and the file's tail once it ends the file).
pub const SEGMENT: u64 = 64 * 1024;

/// `len` random bytes: no two 64-byte runs alike, so a leak cannot hide in repetition.
pub fn random(len: usize) -> Vec<u8> {
    let rng = ring::rand::SystemRandom::new();
    let mut data = vec![0u8; len];
    for part in data.chunks_mut(1 << 20) {
        rng.fill(part).expect("random bytes");
    }
    data
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// Every file under `dir`, read whole.
pub fn stored_bytes(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(stored_bytes(&path));
        } else {
            out.push(std::fs::read(path).unwrap());
        }
    }
    out
}

/// Asserts no 64-byte window of `data`, at any offset, occurs anywhere in the blob
/// store (for files small enough to index every window).
pub fn assert_no_plaintext_run(dir: &Path, data: &[u8]) {
    let blobs = stored_bytes(dir);
    assert!(!blobs.is_empty(), "the blob store holds the content");
    let mut windows: HashSet<&[u8]> = HashSet::new();
    for blob in &blobs {
        windows.extend(blob.windows(64));
    }
    for (at, run) in data.windows(64).enumerate() {
        assert!(
            !windows.contains(run),
            "the 64 plaintext bytes at offset {at} are in the blob store"
        );
    }
}

/// Asserts none of `samples` 64-byte runs of `data`, spread evenly across it, occurs
/// at any offset of any stored blob (for files too large to index every window).
///
/// Every 8-byte window of every sampled run is indexed with its offset in the run; a run
/// stored at any blob offset `p` covers a blob position that is a multiple of 57 with
/// one of those windows, so looking at every 57th position finds it.
pub fn assert_no_sampled_plaintext_run(dir: &Path, data: &[u8], samples: usize) {
    const KEY: usize = 8;
    const STEP: usize = 64 - KEY + 1;
    let key = |bytes: &[u8]| u64::from_le_bytes(bytes[..KEY].try_into().unwrap());
    let stride = (data.len() - 64) / samples;
    let runs: Vec<&[u8]> = (0..samples)
        .map(|i| &data[i * stride + i % 61..][..64])
        .collect();
    let mut index: Vec<(u64, u32, u8)> = Vec::with_capacity(samples * STEP);
    for (r, run) in runs.iter().enumerate() {
        for at in 0..STEP {
            index.push((key(&run[at..]), r as u32, at as u8));
        }
    }
    index.sort_unstable();
    let blobs = stored_bytes(dir);
    assert!(!blobs.is_empty(), "the blob store holds the content");
    for blob in &blobs {
        let mut q = 0;
        while q + KEY <= blob.len() {
            let k = key(&blob[q..]);
            let first = index.partition_point(|e| e.0 < k);
            for &(_, r, at) in index[first..].iter().take_while(|e| e.0 == k) {
                let p = q.checked_sub(usize::from(at));
                let stored = p.and_then(|p| blob.get(p..p + 64));
                assert!(
                    stored != Some(runs[r as usize]),
                    "a sampled 64-byte run of plaintext is in the blob store"
                );
            }
            q += STEP;
        }
    }
}

/// A gateway with custom transfer limits: acme (a customer, an assigned engineer, a case
/// with a workspace) and globex (the same).
pub struct Desk {
    pub server: TestServer,
    pub customer: Actor,
    pub engineer: Actor,
    pub case: String,
    pub workspace: String,
    pub globex_customer: Actor,
    pub globex_workspace: String,
}

impl Desk {
    pub async fn start(backend: Backend, limits: TransferLimits) -> Desk {
        let server =
            TestServer::start_configured(backend, supportgate::server::Limits::default(), limits)
                .await;
        let (customer, engineer, case, workspace) = tenant(&server, "acme").await;
        let (globex_customer, _, _, globex_workspace) = tenant(&server, "globex").await;
        Desk {
            server,
            customer,
            engineer,
            case,
            workspace,
            globex_customer,
            globex_workspace,
        }
    }

    pub async fn customer(&self) -> Clients {
        self.server.as_actor(&self.customer).await
    }
}

async fn tenant(server: &TestServer, name: &str) -> (Actor, Actor, String, String) {
    use supportgate::proto::Role;
    let id = server.create_tenant(name).await;
    let customer = server
        .create_subject(Some(&id), Role::Customer, &format!("{name}-customer"))
        .await;
    let engineer = server
        .create_subject(
            Some(&id),
            Role::SupportEngineer,
            &format!("{name}-engineer"),
        )
        .await;
    let email = format!("carol@{name}.example");
    let case = open_case(server, &customer, Some(&engineer), "VPN drops", &email).await;
    let workspace = open_workspace(server, &engineer, &case).await;
    (customer, engineer, case, workspace)
}

/// Opens a workspace on `case` as `engineer`; returns its id.
pub async fn open_workspace(server: &TestServer, engineer: &Actor, case: &str) -> String {
    server
        .as_actor(engineer)
        .await
        .transfers()
        .open_workspace(OpenWorkspaceRequest {
            case_id: case.into(),
        })
        .await
        .expect("open a workspace")
        .into_inner()
        .workspace_id
}

/// Acme's workspace on acme's case, opened by acme's engineer.
pub async fn acme_workspace(world: &World) -> String {
    open_workspace(&world.server, &world.acme.engineer, &world.acme.case).await
}

/// Declares `data` under `name`.
pub async fn begin(
    clients: &Clients,
    workspace: &str,
    name: &str,
    data: &[u8],
) -> Result<BeginUploadResponse, Status> {
    declare(clients, workspace, name, data.len() as u64, sha256(data)).await
}

/// Declares a file of `size` bytes with the given SHA-256.
pub async fn declare(
    clients: &Clients,
    workspace: &str,
    name: &str,
    size: u64,
    sha256: Vec<u8>,
) -> Result<BeginUploadResponse, Status> {
    let request = BeginUploadRequest {
        workspace_id: workspace.into(),
        name: name.into(),
        size,
        sha256: sha256.into(),
        media_type: String::new(),
    };
    clients
        .transfers()
        .begin_upload(request)
        .await
        .map(|r| r.into_inner())
}

/// A chunk of `upload` at `offset` with a correct CRC32C.
pub fn chunk(upload: &str, offset: u64, data: &[u8]) -> Chunk {
    Chunk {
        upload_id: upload.into(),
        offset,
        data: data.to_vec().into(),
        crc32c: crc32c::crc32c(data),
    }
}

/// `data[from..to]` as chunks of at most `size` bytes, each at its own offset.
pub fn chunks(upload: &str, data: &[u8], from: u64, to: u64, size: usize) -> Vec<Chunk> {
    data[from as usize..to as usize]
        .chunks(size)
        .enumerate()
        .map(|(i, part)| chunk(upload, from + (i * size) as u64, part))
        .collect()
}

/// Sends `chunks` in one stream; returns the committed offset the gateway reports.
pub async fn stream(clients: &Clients, chunks: Vec<Chunk>) -> Result<u64, Status> {
    clients
        .transfers()
        .upload_chunks(futures::stream::iter(chunks))
        .await
        .map(|r| r.into_inner().committed_offset)
}

/// Sends `data[from..]` in chunks of 100 000 bytes, in one stream.
pub async fn send_rest(
    clients: &Clients,
    upload: &str,
    data: &[u8],
    from: u64,
) -> Result<u64, Status> {
    stream(
        clients,
        chunks(upload, data, from, data.len() as u64, 100_000),
    )
    .await
}

pub async fn upload_status(clients: &Clients, upload: &str) -> UploadStatus {
    clients
        .transfers()
        .get_upload_status(GetUploadStatusRequest {
            upload_id: upload.into(),
        })
        .await
        .expect("GetUploadStatus")
        .into_inner()
}

pub async fn committed(clients: &Clients, upload: &str) -> u64 {
    upload_status(clients, upload).await.committed_offset
}

pub async fn complete(clients: &Clients, upload: &str) -> Result<UploadStatus, Status> {
    clients
        .transfers()
        .complete_upload(CompleteUploadRequest {
            upload_id: upload.into(),
        })
        .await
        .map(|r| r.into_inner())
}

/// Declares, streams and completes `data`; returns the declaration.
pub async fn upload(
    clients: &Clients,
    workspace: &str,
    name: &str,
    data: &[u8],
) -> BeginUploadResponse {
    let begun = begin(clients, workspace, name, data)
        .await
        .expect("BeginUpload");
    if !data.is_empty() {
        let at = send_rest(clients, &begun.upload_id, data, 0)
            .await
            .expect("UploadChunks");
        assert_eq!(at, data.len() as u64, "every byte is committed");
    }
    let done = complete(clients, &begun.upload_id)
        .await
        .expect("CompleteUpload");
    assert_eq!(done.state(), supportgate::proto::UploadState::Available);
    begun
}

/// Downloads `file` (a `range` of `(offset, length)`, or all of it); checks the chunks
/// arrive in order and fill exactly the range the header announces.
pub async fn download(
    clients: &Clients,
    file: &str,
    purpose: Purpose,
    range: Option<(u64, u64)>,
) -> Result<(ContentHeader, Vec<u8>), Status> {
    download_raw(clients, file, purpose as i32, range).await
}

/// Like [`download`], with any wire value as the purpose.
pub async fn download_raw(
    clients: &Clients,
    file: &str,
    purpose: i32,
    range: Option<(u64, u64)>,
) -> Result<(ContentHeader, Vec<u8>), Status> {
    let request = DownloadFileRequest {
        file_id: file.into(),
        purpose,
        range: range.map(|(offset, length)| supportgate::proto::ByteRange { offset, length }),
    };
    let mut stream = clients
        .transfers()
        .download_file(request)
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

/// The files of `workspace` as `clients`' actor sees them for `purpose`.
pub async fn list_files(
    clients: &Clients,
    workspace: &str,
    purpose: Purpose,
) -> Result<Vec<FileInfo>, Status> {
    let request = ListFilesRequest {
        workspace_id: workspace.into(),
        purpose: purpose.into(),
        page_size: 0,
        page_token: String::new(),
    };
    clients
        .transfers()
        .list_files(request)
        .await
        .map(|r| r.into_inner().files)
}

/// Runs `sql` (which must yield one integer) and returns whether it equals `expected`,
/// through the harness's raw SQL door: the value goes into a table whose CHECK
/// constraint only `expected` passes.
pub async fn sql_count_is(server: &TestServer, sql: &str, expected: i64) -> bool {
    use futures::FutureExt;
    let table = format!("probe_{}", uuid::Uuid::new_v4().simple());
    let create = format!("CREATE TABLE {table} (v BIGINT CHECK (v = {expected}))");
    server.sql(&[&create]).await;
    let insert = format!("INSERT INTO {table} (v) {sql}");
    let held = std::panic::AssertUnwindSafe(server.sql(&[&insert]))
        .catch_unwind()
        .await
        .is_ok();
    server.sql(&[&format!("DROP TABLE {table}")]).await;
    held
}

/// Polls `check` until it holds; a bounded wait, not a sleep.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
