//! Diagnostic transfers: upload and download throughput of one file over TLS, against the
//! same run's local ceiling for the same bytes, and the gateway's peak memory while 16
//! uploads of that size stream at once.
//!
//! The gateway is the real binary (`supportgate serve --dev`, SQLite, the local blob
//! store, TLS on loopback) in its own process, so its memory is its own: peak RSS is read
//! from `/proc/<pid>/status` (`VmHWM`). The client runs in this process on the same
//! machine and reads its file as it streams (1 MiB chunks by default, each with its
//! CRC32C, 4 chunks read ahead), like `supportgate upload`.
//!
//! - **upload**: BeginUpload + UploadChunks + CompleteUpload (the gateway seals every
//!   64 KiB segment, writes and syncs each chunk, commits its offset in the database, and
//!   checks the SHA-256 at the end), as a customer;
//! - **download**: DownloadFile of the whole file as the assigned engineer (purpose
//!   PROVIDE_SUPPORT), written to disk and hashed as it arrives, then checked;
//! - **local ceiling**, in-process, no network: read the same file, SHA-256, seal it with
//!   `supportgate_crypto` (the same 64 KiB segments), write it with a durable sync after
//!   every chunk and a final fsync; and the reverse (read sealed, open, SHA-256, write,
//!   fsync) for downloads. Each both on one thread, one chunk after the other, and
//!   pipelined on three threads (read | hash and seal | write and sync, with bounded
//!   queues), because the gateway overlaps these stages too: the client reads while the
//!   stream task seals and a blocking thread waits for the disk. Two lighter variants
//!   (no write; one final fsync) show where the ceiling's time goes;
//! - the ceilings and the one-at-a-time transfers are measured in interleaved rounds
//!   (default 5) and the best of each is compared, so that load from elsewhere on the
//!   machine hits both sides of a ratio alike; every round's figure is printed too;
//! - **legal production** of each round's file (`transfers/production.rs`): compelled by
//!   one counsel and approved by another, untimed; timed, `Produce` with the gateway
//!   encrypting the file to the order's age recipient as it streams, and the client
//!   writing, hashing and syncing it like a download, whose round it is compared with;
//!   the first round's production is decrypted (untimed) and checked against the source;
//! - **memory**: a fresh gateway, its `VmHWM` after setup, then 16 concurrent uploads of
//!   the file under 16 names (each on its own TLS connection), their total throughput,
//!   the gateway's `VmHWM` after them and the largest `VmRSS` sampled every 100 ms.
//!
//! Run: `cargo bench --bench transfers`. `SUPPORTGATE_BENCH_GIB` sets the file size in
//! GiB (default 1, fractions such as 0.25 allowed; the default workspace quota of 64 GiB
//! caps it at 4); `SUPPORTGATE_BENCH_CHUNK_KIB` the upload chunk size (default 1024, the
//! gateway's default limit; a larger value raises the gateway's `max_chunk_size` for the
//! run through a configuration file); `SUPPORTGATE_BENCH_ROUNDS` the number of rounds
//! (default 5). Needs about 18 times the file size free in the temporary directory,
//! which is deleted at the end. Results go into docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "transfers/production.rs"]
mod production;

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ring::digest::{Context, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use supportgate::proto::admin_service_client::AdminServiceClient;
use supportgate::proto::case_service_client::CaseServiceClient;
use supportgate::proto::download_file_response::Part;
use supportgate::proto::transfer_service_client::TransferServiceClient;
use supportgate::proto::{
    AssignEngineerRequest, BeginUploadRequest, Chunk, CompleteUploadRequest, ContactDetails,
    CreateSubjectRequest, CreateTenantRequest, DownloadFileRequest, OpenCaseRequest,
    OpenWorkspaceRequest, Purpose, Role, UploadState,
};
use supportgate_crypto::{DataKey, SegmentCipher, StreamHeader};
use tokio::io::{AsyncBufReadExt, BufReader as AsyncBufReader};
use tokio::process::{Child, Command};
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
/// Chunks read ahead of the network, as in `supportgate upload`.
const READ_AHEAD: usize = 4;
/// Uploads streaming at once in the memory measurement: the gateway's default
/// `max_concurrent_uploads_per_tenant`.
const CONCURRENT_UPLOADS: usize = 16;
/// The gateway's default `max_chunk_size`.
const DEFAULT_MAX_CHUNK: usize = 1024 * 1024;

/// `supportgate serve --dev` as a child process, killed if dropped.
struct Gateway {
    child: Child,
    pid: u32,
    url: String,
    ca: Vec<u8>,
    admin_token: String,
}

impl Gateway {
    /// Starts the gateway on a free port with its data in `data_dir` and waits until it
    /// listens.
    async fn start(data_dir: &Path, config: Option<&Path>) -> Gateway {
        let mut command = Command::new(env!("CARGO_BIN_EXE_supportgate"));
        command
            .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let mut child = command
            .env("SUPPORTGATE_LOG", "info")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start supportgate serve");
        let pid = child.id().expect("the gateway runs");
        let mut lines = AsyncBufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read the gateway log") {
                if line.contains("serving grpc over tls") {
                    let addr = line.split("addr=").nth(1).expect("addr field");
                    return addr.split_whitespace().next().expect("address").to_owned();
                }
            }
            panic!("the gateway exited before listening")
        })
        .await
        .expect("the gateway starts within a minute");
        // Keep draining the log so the gateway never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Gateway {
            child,
            pid,
            url: format!("https://{addr}"),
            ca: std::fs::read(data_dir.join("tls/ca.pem")).unwrap(),
            admin_token: std::fs::read_to_string(data_dir.join("admin.token"))
                .unwrap()
                .trim()
                .to_owned(),
        }
    }

    /// A new TLS connection trusting the gateway's dev CA.
    async fn channel(&self) -> Channel {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca))
            .domain_name("127.0.0.1");
        Endpoint::from_shared(self.url.clone())
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// A `kB` field of `/proc/<pid>/status`, in bytes.
    fn memory(&self, field: &str) -> u64 {
        proc_status_bytes(self.pid, field)
    }

    /// SIGTERM, and waits for a clean exit.
    async fn stop(mut self) {
        let pid = self.pid.to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success(), "signal the gateway");
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the gateway stops within a minute of SIGTERM")
            .unwrap();
        assert!(status.success(), "the gateway exits cleanly: {status:?}");
    }
}

fn proc_status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"));
    let kib: u64 = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// CPU time, user and system, of all threads of process `pid` (`self` for this one).
fn cpu_seconds(pid: &str) -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    let ticks_used: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks_used / ticks
}

/// Wall time and the CPU time the gateway and this process (the client) spent meanwhile.
#[derive(Clone, Copy)]
struct Usage {
    wall: Duration,
    gateway_cpu: f64,
    client_cpu: f64,
}

/// Starts measuring a [`Usage`].
struct Meter {
    started: Instant,
    gateway_pid: String,
    gateway_cpu: f64,
    client_cpu: f64,
}

impl Meter {
    fn start(gateway: &Gateway) -> Meter {
        let gateway_pid = gateway.pid.to_string();
        Meter {
            gateway_cpu: cpu_seconds(&gateway_pid),
            client_cpu: cpu_seconds("self"),
            gateway_pid,
            started: Instant::now(),
        }
    }

    fn stop(self) -> Usage {
        Usage {
            wall: self.started.elapsed(),
            gateway_cpu: cpu_seconds(&self.gateway_pid) - self.gateway_cpu,
            client_cpu: cpu_seconds("self") - self.client_cpu,
        }
    }
}

fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value: MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    request.metadata_mut().insert("authorization", value);
    request
}

/// Who uploads, who downloads, and where; and who compels and produces.
struct Parties {
    tenant: String,
    customer: String,
    engineer: String,
    workspace: String,
    agency: String,
    counsel: String,
    second_counsel: String,
}

/// A tenant, a customer with a case, the engineer assigned to it, and a workspace the
/// engineer opened on the case.
async fn fixture(gateway: &Gateway) -> Parties {
    let channel = gateway.channel().await;
    let mut admin = AdminServiceClient::new(channel.clone());
    let token = &gateway.admin_token;
    let tenant = admin
        .create_tenant(authed(
            CreateTenantRequest {
                name: "bench".into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .tenant_id;
    let subject = |role: Role, name: &str| CreateSubjectRequest {
        tenant_id: tenant.clone(),
        role: role.into(),
        name: name.into(),
        credential_ttl_seconds: 0,
    };
    let customer = admin
        .create_subject(authed(subject(Role::Customer, "c"), token))
        .await
        .unwrap()
        .into_inner();
    let engineer = admin
        .create_subject(authed(subject(Role::SupportEngineer, "e"), token))
        .await
        .unwrap()
        .into_inner();
    let customer_token = customer.credential.unwrap().token;
    let engineer_token = engineer.credential.unwrap().token;
    let provider = |role: Role, name: &str| {
        let request = CreateSubjectRequest {
            tenant_id: String::new(),
            role: role.into(),
            name: name.into(),
            credential_ttl_seconds: 0,
        };
        let mut admin = admin.clone();
        async move {
            admin
                .create_subject(authed(request, token))
                .await
                .unwrap()
                .into_inner()
                .credential
                .unwrap()
                .token
        }
    };
    let agency = provider(Role::LawEnforcement, "agency").await;
    let counsel = provider(Role::LegalCounsel, "counsel").await;
    let second_counsel = provider(Role::LegalCounsel, "counsel-2").await;
    let mut cases = CaseServiceClient::new(channel.clone());
    let open = OpenCaseRequest {
        summary: "VPN drops every hour".into(),
        contact: Some(ContactDetails {
            name: "Carol Smith".into(),
            email: "carol@bench.example".into(),
            phone: "+1 555 0100".into(),
            company: "Bench Corp".into(),
            job_title: "IT lead".into(),
        }),
    };
    let case = cases
        .open_case(authed(open, &customer_token))
        .await
        .unwrap()
        .into_inner()
        .case_id;
    let assign = AssignEngineerRequest {
        case_id: case.clone(),
        engineer_id: engineer.subject.unwrap().subject_id,
    };
    cases.assign_engineer(authed(assign, token)).await.unwrap();
    let workspace = TransferServiceClient::new(channel)
        .open_workspace(authed(
            OpenWorkspaceRequest { case_id: case },
            &engineer_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .workspace_id;
    Parties {
        tenant,
        customer: customer_token,
        engineer: engineer_token,
        workspace,
        agency,
        counsel,
        second_counsel,
    }
}

/// The file every measurement moves: its path, size and SHA-256.
#[derive(Clone)]
struct Source {
    path: PathBuf,
    size: u64,
    sha256: [u8; 32],
}

/// Writes `size` random bytes to `path` (synced, so no writeback is left for the timed
/// runs) and hashes them.
fn make_source(path: &Path, size: u64) -> Source {
    let rng = SystemRandom::new();
    let mut file = File::create(path).unwrap();
    let mut hash = Context::new(&SHA256);
    let mut block = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        let n = left.min(MIB) as usize;
        rng.fill(&mut block[..n]).unwrap();
        hash.update(&block[..n]);
        file.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    file.sync_all().unwrap();
    Source {
        path: path.to_owned(),
        size,
        sha256: digest(hash),
    }
}

fn digest(hash: Context) -> [u8; 32] {
    hash.finish().as_ref().try_into().unwrap()
}

/// Fills `buf` from `file`; fewer bytes only at the end of the file.
fn read_full(file: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).unwrap() {
            0 => break,
            n => filled += n,
        }
    }
    filled
}

/// Uploads `source` as `name` (BeginUpload, UploadChunks, CompleteUpload); returns the
/// file id once it is available.
async fn upload(
    channel: Channel,
    parties: &Parties,
    source: &Source,
    name: &str,
    chunk: usize,
) -> String {
    let token = &parties.customer;
    let mut client = TransferServiceClient::new(channel);
    let begin = BeginUploadRequest {
        workspace_id: parties.workspace.clone(),
        name: name.into(),
        size: source.size,
        sha256: source.sha256.to_vec().into(),
        media_type: String::new(),
    };
    let begun = client
        .begin_upload(authed(begin, token))
        .await
        .unwrap()
        .into_inner();
    assert!(
        chunk <= begun.max_chunk_size as usize,
        "the gateway takes chunks of at most {} bytes",
        begun.max_chunk_size
    );
    let (sender, receiver) = tokio::sync::mpsc::channel(READ_AHEAD);
    let reading = {
        let (path, upload_id) = (source.path.clone(), begun.upload_id.clone());
        tokio::task::spawn_blocking(move || read_chunks(&path, &upload_id, chunk, sender))
    };
    let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
    let committed = client
        .upload_chunks(authed(stream, token))
        .await
        .unwrap()
        .into_inner()
        .committed_offset;
    reading.await.unwrap();
    assert_eq!(committed, source.size, "every byte is committed");
    let complete = CompleteUploadRequest {
        upload_id: begun.upload_id,
    };
    let status = client
        .complete_upload(authed(complete, token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.state, UploadState::Available as i32, "verified");
    begun.file_id
}

/// Reads the file a chunk at a time, as the client streams (blocking thread).
fn read_chunks(
    path: &Path,
    upload_id: &str,
    chunk: usize,
    sender: tokio::sync::mpsc::Sender<Chunk>,
) {
    let mut file = File::open(path).unwrap();
    let mut offset = 0;
    loop {
        let mut data = vec![0u8; chunk];
        let filled = read_full(&mut file, &mut data);
        if filled == 0 {
            return;
        }
        data.truncate(filled);
        let message = Chunk {
            upload_id: upload_id.to_owned(),
            offset,
            crc32c: crc32c::crc32c(&data),
            data: data.into(),
        };
        offset += filled as u64;
        if sender.blocking_send(message).is_err() {
            return;
        }
    }
}

/// Downloads the whole file as the engineer into `out`, hashing as it arrives; returns
/// the SHA-256 of what was written (and synced).
async fn download(channel: Channel, parties: &Parties, file_id: &str, out: &Path) -> [u8; 32] {
    let request = DownloadFileRequest {
        file_id: file_id.to_owned(),
        purpose: Purpose::ProvideSupport.into(),
        range: None,
    };
    let mut stream = TransferServiceClient::new(channel)
        .download_file(authed(request, &parties.engineer))
        .await
        .unwrap()
        .into_inner();
    let Some(Part::Header(header)) = stream.message().await.unwrap().and_then(|m| m.part) else {
        panic!("a download starts with its header");
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Bytes>(READ_AHEAD);
    let writing = {
        let out = out.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut file = File::create(out).unwrap();
            let mut hash = Context::new(&SHA256);
            while let Some(data) = receiver.blocking_recv() {
                hash.update(&data);
                file.write_all(&data).unwrap();
            }
            file.sync_all().unwrap();
            digest(hash)
        })
    };
    let mut next = 0;
    while let Some(message) = stream.message().await.unwrap() {
        let Some(Part::Chunk(chunk)) = message.part else {
            panic!("only chunks follow the header");
        };
        assert_eq!(chunk.offset, next, "chunks arrive in order");
        next += chunk.data.len() as u64;
        sender.send(chunk.data).await.unwrap();
    }
    drop(sender);
    assert_eq!(next, header.total_size, "the whole file arrived");
    let written = writing.await.unwrap();
    assert_eq!(
        written.as_slice(),
        header.sha256.as_ref(),
        "the header's hash"
    );
    written
}

/// Where the local ceiling's sealed bytes go.
#[derive(Clone, Copy, PartialEq)]
enum Sink {
    /// Dropped.
    Nowhere,
    /// Written to a file, one fsync at the end.
    FinalSync,
    /// Written to a file, synced after every chunk (as the gateway commits) and at the end.
    SyncEveryChunk,
}

/// The writing stage of a local ceiling.
struct Writer {
    file: Option<File>,
    sink: Sink,
}

impl Writer {
    /// A writer to `path` (none for [`Sink::Nowhere`]) that starts with `prefix`.
    fn create(path: &Path, sink: Sink, prefix: &[u8]) -> Writer {
        let file = (sink != Sink::Nowhere).then(|| {
            let mut file = File::create(path).unwrap();
            file.write_all(prefix).unwrap();
            file
        });
        Writer { file, sink }
    }

    fn write(&mut self, bytes: &[u8]) {
        if let Some(file) = self.file.as_mut() {
            file.write_all(bytes).unwrap();
            if self.sink == Sink::SyncEveryChunk {
                file.sync_data().unwrap();
            }
        }
    }

    fn finish(self) {
        if let Some(file) = self.file {
            file.sync_all().unwrap();
        }
    }
}

/// Seals a stream as the gateway does: whole 64 KiB segments as soon as they are
/// complete, the shorter last one at the end, hashing the plaintext on the way.
struct Sealer {
    cipher: SegmentCipher,
    hash: Context,
    pending: Vec<u8>,
    received: u64,
    index: u64,
}

impl Sealer {
    fn new(cipher: SegmentCipher) -> Sealer {
        Sealer {
            cipher,
            hash: Context::new(&SHA256),
            pending: Vec::new(),
            received: 0,
            index: 0,
        }
    }

    /// Takes the next plaintext bytes; returns the segments they complete, sealed.
    fn push(&mut self, data: &[u8]) -> Vec<u8> {
        self.received += data.len() as u64;
        self.pending.extend_from_slice(data);
        let segment = self.cipher.segment_size() as usize;
        let ready = if self.received == self.cipher.plaintext_size() {
            self.pending.len()
        } else {
            self.pending.len() / segment * segment
        };
        let mut sealed = Vec::with_capacity(ready + ready / segment * 16 + 16);
        for plaintext in self.pending[..ready].chunks(segment) {
            self.hash.update(plaintext);
            sealed.extend_from_slice(&self.cipher.seal(self.index, plaintext).unwrap());
            self.index += 1;
        }
        self.pending.drain(..ready);
        sealed
    }

    /// The SHA-256 of the plaintext, once every segment is sealed.
    fn finish(self) -> [u8; 32] {
        assert_eq!(
            self.index,
            self.cipher.segment_count(),
            "every segment sealed"
        );
        digest(self.hash)
    }
}

/// Opens the segments of a stream in order, hashing the plaintext.
struct Opener {
    cipher: SegmentCipher,
    hash: Context,
    index: u64,
}

impl Opener {
    /// Takes whole sealed segments; returns their plaintext.
    fn push(&mut self, sealed: &[u8]) -> Vec<u8> {
        let mut plaintext = Vec::with_capacity(sealed.len());
        let mut rest = sealed;
        while !rest.is_empty() {
            let len = self.cipher.sealed_segment_len(self.index) as usize;
            let (segment, tail) = rest.split_at(len);
            let opened = self.cipher.open(self.index, segment).unwrap();
            self.hash.update(&opened);
            plaintext.extend_from_slice(&opened);
            self.index += 1;
            rest = tail;
        }
        plaintext
    }
}

/// Calls `emit` with each `chunk` bytes of the file at `path` (the last may be shorter).
fn read_plain(path: &Path, chunk: usize, emit: &mut dyn FnMut(Vec<u8>)) {
    let mut file = File::open(path).unwrap();
    loop {
        let mut data = vec![0u8; chunk];
        let filled = read_full(&mut file, &mut data);
        if filled == 0 {
            return;
        }
        data.truncate(filled);
        emit(data);
    }
}

/// Calls `emit` with the sealed segments of the stream at `path`, `batch` segments at a
/// time, after skipping its `header_len`-byte header.
fn read_sealed(
    path: &Path,
    header_len: usize,
    cipher: &SegmentCipher,
    batch: u64,
    emit: &mut dyn FnMut(Vec<u8>),
) {
    let mut file = File::open(path).unwrap();
    let mut header = vec![0u8; header_len];
    file.read_exact(&mut header).unwrap();
    let mut index = 0;
    while index < cipher.segment_count() {
        let next = (index + batch).min(cipher.segment_count());
        let mut data =
            vec![0u8; (cipher.sealed_offset(next) - cipher.sealed_offset(index)) as usize];
        file.read_exact(&mut data).unwrap();
        emit(data);
        index = next;
    }
}

/// Runs `read | transform | write`: on this thread one chunk at a time (`pipelined`
/// false), or on three threads joined by queues of [`READ_AHEAD`] chunks, so that
/// reading, computing and waiting for the disk overlap as they do between the client,
/// the gateway's stream task and its blocking blob writes.
fn run_stages(
    pipelined: bool,
    read: impl FnOnce(&mut dyn FnMut(Vec<u8>)) + Send,
    mut transform: impl FnMut(Vec<u8>) -> Vec<u8>,
    mut write: impl FnMut(Vec<u8>) + Send,
) {
    if !pipelined {
        read(&mut |data| write(transform(data)));
        return;
    }
    let (read_tx, read_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(READ_AHEAD);
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(READ_AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || read(&mut |data| read_tx.send(data).unwrap()));
        scope.spawn(move || done_rx.into_iter().for_each(&mut write));
        for data in read_rx {
            done_tx.send(transform(data)).unwrap();
        }
        drop(done_tx);
    });
}

/// A sealed copy of the source from the ceiling, to open again.
struct SealedCopy {
    key: DataKey,
    header: StreamHeader,
    path: PathBuf,
}

/// The local upload ceiling: read `source` a chunk at a time, SHA-256, seal whole 64 KiB
/// segments as the gateway does, and write them to `out` as `sink` says.
fn ceiling_seal(
    source: &Source,
    out: &Path,
    chunk: usize,
    sink: Sink,
    pipelined: bool,
) -> (Duration, SealedCopy) {
    let started = Instant::now();
    let key = DataKey::generate().unwrap();
    let header = StreamHeader::new("bench-object", "bench-tenant", 1).unwrap();
    let mut sealer = Sealer::new(SegmentCipher::new(&key, &header, source.size).unwrap());
    let mut writer = Writer::create(out, sink, &header.encode());
    run_stages(
        pipelined,
        |emit| read_plain(&source.path, chunk, emit),
        |data| sealer.push(&data),
        |sealed| writer.write(&sealed),
    );
    writer.finish();
    let elapsed = started.elapsed();
    assert_eq!(sealer.finish(), source.sha256);
    let copy = SealedCopy {
        key,
        header,
        path: out.to_owned(),
    };
    (elapsed, copy)
}

/// The local download ceiling: read the sealed copy, open every segment, SHA-256, write
/// the plaintext to `out` and fsync.
fn ceiling_open(
    source: &Source,
    sealed: &SealedCopy,
    out: &Path,
    chunk: usize,
    pipelined: bool,
) -> Duration {
    let started = Instant::now();
    let cipher = SegmentCipher::new(&sealed.key, &sealed.header, source.size).unwrap();
    let batch = (chunk as u64).div_ceil(u64::from(cipher.segment_size()));
    let mut opener = Opener {
        cipher: cipher.clone(),
        hash: Context::new(&SHA256),
        index: 0,
    };
    let mut writer = Writer::create(out, Sink::FinalSync, &[]);
    let header_len = sealed.header.encoded_len();
    run_stages(
        pipelined,
        |emit| read_sealed(&sealed.path, header_len, &cipher, batch, emit),
        |data| opener.push(&data),
        |plaintext| writer.write(&plaintext),
    );
    writer.finish();
    let elapsed = started.elapsed();
    assert_eq!(opener.index, cipher.segment_count(), "every segment opened");
    assert_eq!(digest(opener.hash), source.sha256);
    elapsed
}

fn mib_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / MIB as f64 / time.as_secs_f64()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

/// The times of one measurement, a sample per round.
#[derive(Default)]
struct Samples(Vec<(Duration, f64)>);

impl Samples {
    /// Records a round: its wall time and the CPU time of whoever did the work.
    fn push(&mut self, wall: Duration, cpu: f64) {
        self.0.push((wall, cpu));
    }

    fn best(&self) -> Duration {
        self.0.iter().map(|(wall, _)| *wall).min().unwrap()
    }

    /// The CPU time of the best round.
    fn best_cpu(&self) -> f64 {
        self.0.iter().min_by_key(|(wall, _)| *wall).unwrap().1
    }

    /// `best MiB/s (round 1, round 2, …)`.
    fn rates(&self, size: u64) -> String {
        let each: Vec<String> = self
            .0
            .iter()
            .map(|(time, _)| format!("{:.0}", mib_per_s(size, *time)))
            .collect();
        format!(
            "**{:.0}** ({})",
            mib_per_s(size, self.best()),
            each.join(", ")
        )
    }
}

/// Runs `f`; returns its result and the CPU time this process spent meanwhile.
fn with_cpu<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let before = cpu_seconds("self");
    let out = f();
    (out, cpu_seconds("self") - before)
}

/// The local ceilings, for the same bytes as the transfers.
#[derive(Default)]
struct Ceilings {
    seal_only: Samples,
    final_sync: Samples,
    upload_serial: Samples,
    upload_pipelined: Samples,
    download_serial: Samples,
    download_pipelined: Samples,
}

impl Ceilings {
    /// One round of every ceiling.
    fn measure(&mut self, dir: &Path, source: &Source, chunk: usize) {
        let sealed_out = dir.join("ceiling.sealed");
        let opened_out = dir.join("ceiling.opened");
        let seal = |sink, pipelined| ceiling_seal(source, &sealed_out, chunk, sink, pipelined);
        let ((time, _), cpu) = with_cpu(|| seal(Sink::Nowhere, false));
        self.seal_only.push(time, cpu);
        let ((time, _), cpu) = with_cpu(|| seal(Sink::FinalSync, false));
        self.final_sync.push(time, cpu);
        let ((time, _), cpu) = with_cpu(|| seal(Sink::SyncEveryChunk, false));
        self.upload_serial.push(time, cpu);
        let ((time, sealed), cpu) = with_cpu(|| seal(Sink::SyncEveryChunk, true));
        self.upload_pipelined.push(time, cpu);
        let open = |pipelined| ceiling_open(source, &sealed, &opened_out, chunk, pipelined);
        let (time, cpu) = with_cpu(|| open(false));
        self.download_serial.push(time, cpu);
        let (time, cpu) = with_cpu(|| open(true));
        self.download_pipelined.push(time, cpu);
        std::fs::remove_file(&sealed_out).unwrap();
        std::fs::remove_file(&opened_out).unwrap();
    }
}

/// Uploads and downloads of one file at a time, a round each, on one gateway.
#[derive(Default)]
struct Transfers {
    /// Wall time and gateway CPU time per round.
    upload: Samples,
    download: Samples,
    produce: Samples,
    /// Per round, for the table of where the time goes.
    upload_usage: Vec<Usage>,
    download_usage: Vec<Usage>,
    produce_usage: Vec<Usage>,
    /// Gateway VmHWM: after setup, after the first upload, after the first download,
    /// after the last round.
    hwm: Vec<u64>,
}

/// `rounds` rounds of: every local ceiling, then one upload and its download over TLS,
/// so that a disturbance from outside hits both sides of a ratio alike.
async fn single(
    dir: &Path,
    config: Option<&Path>,
    source: &Source,
    chunk: usize,
    rounds: usize,
) -> (Ceilings, Transfers) {
    let data = dir.join("gateway-single");
    let gateway = Gateway::start(&data, config).await;
    let parties = fixture(&gateway).await;
    let channel = gateway.channel().await;
    let (mut ceilings, mut transfers) = (Ceilings::default(), Transfers::default());
    transfers.hwm.push(gateway.memory("VmHWM"));
    let downloaded = dir.join("downloaded.bin");
    let produced = dir.join("produced.age");
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    for round in 0..rounds {
        ceilings.measure(dir, source, chunk);
        let name = format!("bench-{round}.bin");
        let meter = Meter::start(&gateway);
        let file_id = upload(channel.clone(), &parties, source, &name, chunk).await;
        let usage = meter.stop();
        transfers.upload.push(usage.wall, usage.gateway_cpu);
        transfers.upload_usage.push(usage);
        if round == 0 {
            transfers.hwm.push(gateway.memory("VmHWM"));
        }
        let meter = Meter::start(&gateway);
        let sha256 = download(channel.clone(), &parties, &file_id, &downloaded).await;
        let usage = meter.stop();
        transfers.download.push(usage.wall, usage.gateway_cpu);
        transfers.download_usage.push(usage);
        assert_eq!(sha256, source.sha256, "the download is the uploaded file");
        std::fs::remove_file(&downloaded).unwrap();
        let request_id =
            production::compel_file(channel.clone(), &parties, &file_id, &recipient).await;
        let meter = Meter::start(&gateway);
        let (announced, written) =
            production::produce(channel.clone(), &parties, &request_id, &produced).await;
        let usage = meter.stop();
        transfers.produce.push(usage.wall, usage.gateway_cpu);
        transfers.produce_usage.push(usage);
        assert_eq!(
            announced, source.sha256,
            "the item header announces the file"
        );
        assert!(written > source.size, "the production is ciphertext");
        if round == 0 {
            let opened = production::decrypted_sha256(&produced, &identity);
            assert_eq!(opened, source.sha256, "the production decrypts to the file");
        }
        std::fs::remove_file(&produced).unwrap();
        if round == 0 {
            transfers.hwm.push(gateway.memory("VmHWM"));
        }
    }
    transfers.hwm.push(gateway.memory("VmHWM"));
    gateway.stop().await;
    std::fs::remove_dir_all(&data).unwrap();
    (ceilings, transfers)
}

fn print_single(size: u64, chunk: usize, c: &Ceilings, t: &Transfers) {
    let kib = chunk / 1024;
    let rounds = t.upload.0.len();
    println!(
        "| local ceiling (in-process, no network) | best time | its CPU time | MiB/s, best ({rounds} rounds) |"
    );
    println!("|---|---|---|---|");
    let rows = [
        ("read + SHA-256 + seal, no write; one thread".to_owned(), &c.seal_only),
        (
            "read + SHA-256 + seal + write, one final fsync; one thread".to_owned(),
            &c.final_sync,
        ),
        (
            format!("**upload, one thread**: read + SHA-256 + seal + write, sync every {kib} KiB + final fsync"),
            &c.upload_serial,
        ),
        (
            format!("**upload, pipelined**: read ‖ SHA-256 + seal ‖ write, sync every {kib} KiB + final fsync"),
            &c.upload_pipelined,
        ),
        (
            "**download, one thread**: read sealed + open + SHA-256 + write + final fsync".to_owned(),
            &c.download_serial,
        ),
        (
            "**download, pipelined**: read sealed ‖ open + SHA-256 ‖ write + final fsync".to_owned(),
            &c.download_pipelined,
        ),
    ];
    for (what, samples) in rows {
        println!(
            "| {what} | {:.2} s | {:.2} s | {} |",
            samples.best().as_secs_f64(),
            samples.best_cpu(),
            samples.rates(size)
        );
    }
    println!();
    println!("| over TLS (gateway in its own process) | best time | MiB/s, best ({rounds} rounds) | ceiling, one thread | ratio | ceiling, pipelined | ratio |");
    println!("|---|---|---|---|---|---|---|");
    let rows = [
        (
            format!("upload ({kib} KiB chunks, verified)"),
            &t.upload,
            &c.upload_serial,
            &c.upload_pipelined,
        ),
        (
            "download (PROVIDE_SUPPORT, hashed, fsynced)".to_owned(),
            &t.download,
            &c.download_serial,
            &c.download_pipelined,
        ),
    ];
    for (what, samples, serial, pipelined) in rows {
        let best = samples.best().as_secs_f64();
        println!(
            "| {what} | {best:.2} s | {} | {:.0} | {:.2} | {:.0} | {:.2} |",
            samples.rates(size),
            mib_per_s(size, serial.best()),
            serial.best().as_secs_f64() / best,
            mib_per_s(size, pipelined.best()),
            pipelined.best().as_secs_f64() / best
        );
    }
    println!();
    println!("| legal production of the same file, same rounds | best time | MiB/s, best | download, best | production / download throughput |");
    println!("|---|---|---|---|---|");
    let (produce, download) = (t.produce.best(), t.download.best());
    println!(
        "| Produce (age to the order's recipient, hashed, fsynced) | {:.2} s | {} | {:.0} | {:.2} |",
        produce.as_secs_f64(),
        t.produce.rates(size),
        mib_per_s(size, download),
        download.as_secs_f64() / produce.as_secs_f64()
    );
    println!();
    println!("| where the time goes (best round) | wall | gateway CPU | client CPU | gateway CPU / wall |");
    println!("|---|---|---|---|---|");
    for (what, usages) in [
        ("upload", &t.upload_usage),
        ("download", &t.download_usage),
        ("production", &t.produce_usage),
    ] {
        let best = usages.iter().min_by_key(|u| u.wall).unwrap();
        println!(
            "| {what} | {:.2} s | {:.2} s | {:.2} s | {:.2} |",
            best.wall.as_secs_f64(),
            best.gateway_cpu,
            best.client_cpu,
            best.gateway_cpu / best.wall.as_secs_f64()
        );
    }
    println!();
    println!("| gateway peak RSS (VmHWM), one transfer at a time | MiB |");
    println!("|---|---|");
    let stages = [
        "after setup",
        "after the first upload",
        "after the first download",
        "after every round",
    ];
    for (stage, hwm) in stages.iter().zip(&t.hwm) {
        println!("| {stage} | {:.1} |", mib(*hwm));
    }
    println!();
}

/// 16 concurrent uploads on a fresh gateway: their total throughput and its memory.
async fn concurrent(dir: &Path, config: Option<&Path>, source: &Source, chunk: usize) {
    let data = dir.join("gateway-concurrent");
    let gateway = Gateway::start(&data, config).await;
    let parties = Arc::new(fixture(&gateway).await);
    let hwm_setup = gateway.memory("VmHWM");
    let mut channels = Vec::new();
    for _ in 0..CONCURRENT_UPLOADS {
        channels.push(gateway.channel().await);
    }
    let peak_sampled = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (pid, peak) = (gateway.pid, peak_sampled.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(proc_status_bytes(pid, "VmRSS"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let meter = Meter::start(&gateway);
    let tasks: Vec<_> = channels
        .into_iter()
        .enumerate()
        .map(|(i, channel)| {
            let (parties, source) = (parties.clone(), source.clone());
            tokio::spawn(async move {
                upload(channel, &parties, &source, &format!("bench-{i}.bin"), chunk).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let usage = meter.stop();
    let elapsed = usage.wall;
    sampler.abort();
    let hwm = gateway.memory("VmHWM");
    gateway.stop().await;
    std::fs::remove_dir_all(&data).unwrap();

    let total = source.size * CONCURRENT_UPLOADS as u64;
    println!(
        "| {CONCURRENT_UPLOADS} concurrent uploads of {:.2} GiB, {} KiB chunks | value |",
        source.size as f64 / GIB as f64,
        chunk / 1024
    );
    println!("|---|---|");
    println!(
        "| gateway VmHWM after setup (baseline) | {:.1} MiB |",
        mib(hwm_setup)
    );
    println!(
        "| gateway VmHWM after the uploads (peak) | {:.1} MiB |",
        mib(hwm)
    );
    println!(
        "| gateway largest VmRSS sampled every 100 ms | {:.1} MiB |",
        mib(peak_sampled.load(Ordering::Relaxed))
    );
    println!(
        "| total throughput | {:.0} MiB/s ({:.1} GiB in {:.1} s) |",
        mib_per_s(total, elapsed),
        total as f64 / GIB as f64,
        elapsed.as_secs_f64()
    );
    let cores = std::thread::available_parallelism().unwrap().get() as f64;
    println!(
        "| CPU time: gateway, client (of {:.1} s on {cores} cores) | {:.1} s, {:.1} s |",
        cores * elapsed.as_secs_f64(),
        usage.gateway_cpu,
        usage.client_cpu
    );
}

/// A configuration file raising the gateway's chunk limit, when `chunk` exceeds it.
fn chunk_config(dir: &Path, chunk: usize) -> Option<PathBuf> {
    if chunk <= DEFAULT_MAX_CHUNK {
        return None;
    }
    let path = dir.join("bench.toml");
    let message = (chunk + DEFAULT_MAX_CHUNK).max(4 * DEFAULT_MAX_CHUNK);
    std::fs::write(
        &path,
        format!("max_chunk_size = {chunk}\nmax_stream_message_bytes = {message}\n"),
    )
    .unwrap();
    Some(path)
}

fn env_number(name: &str, default: f64) -> f64 {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}")),
        _ => default,
    }
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split(':').nth(1))
        .map_or_else(
            || "unknown model".to_owned(),
            |model| model.trim().to_owned(),
        )
}

#[tokio::main]
async fn main() {
    let gib = env_number("SUPPORTGATE_BENCH_GIB", 1.0);
    let size = (gib * GIB as f64) as u64;
    assert!(size > 0, "SUPPORTGATE_BENCH_GIB must be positive");
    let chunk = (env_number("SUPPORTGATE_BENCH_CHUNK_KIB", 1024.0) as usize) * 1024;
    assert!(chunk > 0, "SUPPORTGATE_BENCH_CHUNK_KIB must be positive");
    let rounds = env_number("SUPPORTGATE_BENCH_ROUNDS", 5.0) as usize;
    assert!(rounds > 0, "SUPPORTGATE_BENCH_ROUNDS must be positive");
    let dir = tempfile::Builder::new()
        .prefix("supportgate-bench-transfers")
        .tempdir()
        .unwrap();
    let config = chunk_config(dir.path(), chunk);
    let started = Instant::now();
    let source = make_source(&dir.path().join("source.bin"), size);
    eprintln!(
        "source: {size} random bytes, sha256 {} ({:.1} s to write, not timed)",
        hex::encode(source.sha256),
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:.2} GiB of random bytes, {} KiB chunks, {rounds} rounds; {} CPUs ({})\n",
        size as f64 / GIB as f64,
        chunk / 1024,
        std::thread::available_parallelism().unwrap(),
        cpu_model()
    );
    let (ceilings, transfers) = single(dir.path(), config.as_deref(), &source, chunk, rounds).await;
    print_single(size, chunk, &ceilings, &transfers);
    concurrent(dir.path(), config.as_deref(), &source, chunk).await;
    dir.close().unwrap();
}
