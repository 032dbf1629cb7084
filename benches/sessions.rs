//! What the session relay costs, compared in one run with its baselines.
//!
//! - **latency**: a 256-byte frame from the engineer through the gateway to the agent,
//!   which echoes it back as output through the gateway (TLS on every leg, recording
//!   on); p50 and p99 against a direct TLS echo of 256 bytes on loopback;
//! - **throughput**: output frames per second in one session, recording on against the
//!   same relay with recording off (the `bench-unrecorded` feature exists only for this);
//! - **idle sessions**: the gateway runs in a child process; N sessions are paired and
//!   left idle, and the child's resident memory growth is divided by N.
//!
//! Run: `cargo bench --bench sessions --features bench-unrecorded` (set
//! `SUPPORTGATE_TEST_POSTGRES_URL` to add PostgreSQL rows for latency and throughput;
//! `SUPPORTGATE_BENCH_SECONDS` changes the time per throughput measurement and
//! `SUPPORTGATE_BENCH_IDLE_SESSIONS` the number of idle sessions, default 10000).
//! Results go into docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use supportgate::proto::admin_service_client::AdminServiceClient;
use supportgate::proto::case_service_client::CaseServiceClient;
use supportgate::proto::session_service_client::SessionServiceClient;
use supportgate::proto::{
    frame::Kind, AssignEngineerRequest, ConsentScope, ContactDetails, CreateSubjectRequest,
    CreateTenantRequest, Frame, GrantConsentRequest, Join, OpenCaseRequest, ParticipantRole,
    Purpose, RequestSessionRequest, Role,
};
use supportgate::server::sessions::RelaySettings;
use supportgate::server::tls::{server_config, TlsMaterial};
use supportgate::server::{dev_pki, Limits, Server, ServerSettings};
use supportgate_crypto::{LocalMasterKey, SecretKey, SigningKey};
use supportgate_service::{GatewayKey, Services, ServicesConfig};
use supportgate_store::{ContactStore, MainStore};
use supportgate_testkit::{Backend, TestDatabases};
use supportgate_types::SystemClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::Streaming;

const FRAME: usize = 256;
const CHILD_FLAG: &str = "--gateway-child";

struct Gateway {
    url: String,
    ca_path: std::path::PathBuf,
    admin_token: String,
    tls: Arc<rustls::ServerConfig>,
    shutdown: CancellationToken,
    _dbs: TestDatabases,
}

/// Limits for thousands of long-lived streams: sessions hold their streams open.
fn many_streams() -> Limits {
    Limits {
        max_concurrent_streams: 1000,
        max_in_flight_requests: 100_000,
        ..Limits::default()
    }
}

async fn start(backend: Backend, limits: Limits) -> Gateway {
    let dbs = TestDatabases::create(backend).await;
    let pki = dev_pki::load_or_create(&dbs.path().join("tls"), &[]).unwrap();
    let material =
        TlsMaterial::from_files(&pki.server_cert_path, &pki.server_key_path, None).unwrap();
    let clock: Arc<dyn supportgate_types::Clock> = Arc::new(SystemClock);
    let key = GatewayKey::new(SigningKey::from_seed(&SecretKey::generate().unwrap()).unwrap());
    let options = key.log_options(clock.clone(), 1024, Duration::from_secs(10));
    let main = MainStore::open_with(&dbs.config, options).await.unwrap();
    let contacts = ContactStore::open(&dbs.config).await.unwrap();
    let master = LocalMasterKey::new("bench".into(), SecretKey::generate().unwrap());
    let blobs = supportgate_store::LocalBlobStore::open(&dbs.path().join("blobs")).unwrap();
    let services = Services::new(
        main,
        contacts,
        clock,
        Arc::new(master),
        key,
        Arc::new(blobs),
        ServicesConfig::default(),
    );
    let admin = services
        .bootstrap_admin(None, chrono::Duration::days(1))
        .await
        .unwrap()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = CancellationToken::new();
    let tls = server_config(&material).unwrap();
    let settings = ServerSettings {
        tls: tls.clone(),
        limits,
        metrics: None,
    };
    let running = Server::bind(listener, services, settings, shutdown.clone()).unwrap();
    Gateway {
        url: format!("https://{}", running.addr),
        ca_path: pki.ca_cert_path.clone(),
        admin_token: admin.token,
        tls,
        shutdown,
        _dbs: dbs,
    }
}

/// A gateway somewhere: its address, CA and bootstrap admin token.
#[derive(Clone)]
struct Target {
    url: String,
    ca: Vec<u8>,
    admin_token: String,
}

impl Target {
    fn of(gateway: &Gateway) -> Target {
        Target {
            url: gateway.url.clone(),
            ca: std::fs::read(&gateway.ca_path).unwrap(),
            admin_token: gateway.admin_token.clone(),
        }
    }

    async fn channel(&self) -> Channel {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca))
            .domain_name("127.0.0.1");
        Endpoint::from_shared(self.url.clone())
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .tcp_nodelay(true)
            .connect()
            .await
            .unwrap()
    }
}

fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value: MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    request.metadata_mut().insert("authorization", value);
    request
}

/// A tenant with a customer, its agent, an engineer assigned to one case.
struct Desk {
    customer: String,
    agent: String,
    engineer: String,
    case: String,
}

async fn desk(target: &Target) -> Desk {
    let channel = target.channel().await;
    let mut admin = AdminServiceClient::new(channel.clone());
    let token = &target.admin_token;
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
    let subject = |role: Role, name: &str| {
        let request = CreateSubjectRequest {
            tenant_id: tenant.clone(),
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
        }
    };
    let customer = subject(Role::Customer, "carol").await;
    let agent = subject(Role::CustomerAgent, "carol-laptop").await;
    let engineer = subject(Role::SupportEngineer, "eve").await;
    let customer_token = customer.credential.unwrap().token;
    let mut cases = CaseServiceClient::new(channel);
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
    Desk {
        customer: customer_token,
        agent: agent.credential.unwrap().token,
        engineer: engineer.credential.unwrap().token,
        case,
    }
}

/// A consented session (view and control, one hour).
async fn consented(channel: &Channel, desk: &Desk) -> String {
    let mut sessions = SessionServiceClient::new(channel.clone());
    let scopes = vec![ConsentScope::View as i32, ConsentScope::Control as i32];
    let request = RequestSessionRequest {
        case_id: desk.case.clone(),
        capabilities: scopes.clone(),
    };
    let session = sessions
        .request_session(authed(request, &desk.engineer))
        .await
        .unwrap()
        .into_inner()
        .session_id;
    let expires = supportgate_types::Clock::now(&SystemClock) + chrono::Duration::hours(1);
    let grant = GrantConsentRequest {
        session_id: session.clone(),
        scopes,
        expires_at: Some(prost_types::Timestamp {
            seconds: expires.timestamp(),
            nanos: 0,
        }),
        recording_acknowledged: true,
    };
    sessions
        .grant_consent(authed(grant, &desk.customer))
        .await
        .unwrap();
    session
}

struct Peer {
    tx: mpsc::Sender<Frame>,
    rx: Streaming<Frame>,
}

async fn join(channel: &Channel, token: &str, session: &str, role: ParticipantRole) -> Peer {
    let (tx, queue) = mpsc::channel(64);
    let join = Join {
        session_id: session.into(),
        role: role as i32,
        purpose: Purpose::ProvideSupport as i32,
    };
    tx.send(Frame {
        kind: Some(Kind::Join(join)),
    })
    .await
    .unwrap();
    let mut sessions = SessionServiceClient::new(channel.clone());
    let mut rx = sessions
        .connect_session(authed(ReceiverStream::new(queue), token))
        .await
        .unwrap()
        .into_inner();
    match rx.message().await.unwrap().and_then(|f| f.kind) {
        Some(Kind::Joined(_)) => Peer { tx, rx },
        other => panic!("expected Joined, got {other:?}"),
    }
}

impl Peer {
    /// Waits for the other side's presence: the pair is complete.
    async fn paired(&mut self) {
        loop {
            if let Some(Kind::Presence(p)) = self.rx.message().await.unwrap().and_then(|f| f.kind) {
                if p.joined {
                    return;
                }
            }
        }
    }

    /// The next frame that is not a presence.
    async fn next(&mut self) -> Kind {
        loop {
            match self.rx.message().await.unwrap().and_then(|f| f.kind) {
                Some(Kind::Presence(_)) => continue,
                Some(kind) => return kind,
                None => panic!("the session stream closed"),
            }
        }
    }
}

async fn pair(target: &Target, desk: &Desk) -> (Peer, Peer) {
    let agent_channel = target.channel().await;
    let engineer_channel = target.channel().await;
    let session = consented(&agent_channel, desk).await;
    let mut agent = join(
        &agent_channel,
        &desk.agent,
        &session,
        ParticipantRole::Agent,
    )
    .await;
    let mut engineer = join(
        &engineer_channel,
        &desk.engineer,
        &session,
        ParticipantRole::Engineer,
    )
    .await;
    agent.paired().await;
    engineer.paired().await;
    (agent, engineer)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

/// Round trips through the gateway: engineer input, agent echo as output.
async fn gateway_round_trips(target: &Target, desk: &Desk, count: usize) -> Vec<Duration> {
    let (mut agent, mut engineer) = pair(target, desk).await;
    let echo = tokio::spawn(async move {
        loop {
            match agent.next().await {
                Kind::Input(input) => {
                    let output = supportgate::proto::Output { data: input.data };
                    if agent
                        .tx
                        .send(Frame {
                            kind: Some(Kind::Output(output)),
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Kind::End(_) => return,
                _ => {}
            }
        }
    });
    let payload = vec![b'x'; FRAME];
    let mut times = Vec::with_capacity(count);
    for n in 0..count + count / 10 {
        let input = supportgate::proto::Input {
            data: payload.clone().into(),
        };
        let sent = Instant::now();
        engineer
            .tx
            .send(Frame {
                kind: Some(Kind::Input(input)),
            })
            .await
            .unwrap();
        loop {
            if let Kind::Output(_) = engineer.next().await {
                break;
            }
        }
        if n >= count / 10 {
            times.push(sent.elapsed());
        }
    }
    drop(engineer);
    echo.abort();
    times
}

/// Round trips of 256 bytes over one TLS connection to an echo server, no gateway.
async fn direct_round_trips(gateway: &Gateway, ca: &[u8], count: usize) -> Vec<Duration> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut server_tls = (*gateway.tls).clone();
    server_tls.alpn_protocols.clear();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_tls));
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut buf = vec![0u8; FRAME];
        while tls.read_exact(&mut buf).await.is_ok() {
            if tls.write_all(&buf).await.is_err() {
                return;
            }
        }
    });
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile_certs(ca) {
        roots.add(cert).unwrap();
    }
    let client_tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let payload = vec![b'x'; FRAME];
    let mut back = vec![0u8; FRAME];
    let mut times = Vec::with_capacity(count);
    for n in 0..count + count / 10 {
        let sent = Instant::now();
        tls.write_all(&payload).await.unwrap();
        tls.read_exact(&mut back).await.unwrap();
        if n >= count / 10 {
            times.push(sent.elapsed());
        }
    }
    drop(tls);
    server.abort();
    times
}

/// The certificates of a PEM bundle.
fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .map(Result::unwrap)
        .collect()
}

/// Output frames per second the engineer receives from an agent sending flat out.
async fn frames_per_second(target: &Target, desk: &Desk, time: Duration) -> f64 {
    let (agent, mut engineer) = pair(target, desk).await;
    let stop = CancellationToken::new();
    let stopping = stop.clone();
    let producer = tokio::spawn(async move {
        let payload: bytes::Bytes = vec![b'o'; FRAME].into();
        loop {
            let output = supportgate::proto::Output {
                data: payload.clone(),
            };
            tokio::select! {
                () = stopping.cancelled() => return agent,
                sent = agent.tx.send(Frame { kind: Some(Kind::Output(output)) }) => sent.unwrap(),
            }
        }
    });
    // Warm up, then count.
    let warm = Instant::now() + Duration::from_millis(300);
    while Instant::now() < warm {
        engineer.next().await;
    }
    let started = Instant::now();
    let mut frames = 0u64;
    while started.elapsed() < time {
        if let Kind::Output(_) = engineer.next().await {
            frames += 1;
        }
    }
    let rate = frames as f64 / started.elapsed().as_secs_f64();
    stop.cancel();
    let _agent = producer.await.unwrap();
    rate
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn latency_and_throughput(backend: Backend, time: Duration) {
    let recorded = start(backend, Limits::default()).await;
    let unrecorded_limits = Limits {
        sessions: RelaySettings {
            unrecorded: true,
            ..RelaySettings::default()
        },
        ..Limits::default()
    };
    let unrecorded = start(backend, unrecorded_limits).await;
    let target = Target::of(&recorded);
    let desk_recorded = desk(&target).await;
    let count = 5000;
    let mut through = gateway_round_trips(&target, &desk_recorded, count).await;
    let mut direct = direct_round_trips(&recorded, &target.ca, count).await;
    through.sort();
    direct.sort();
    let (g50, g99) = (percentile(&through, 0.5), percentile(&through, 0.99));
    let (d50, d99) = (percentile(&direct, 0.5), percentile(&direct, 0.99));
    println!(
        "| {} | latency, 256-byte frame | gateway p50 {:.0} µs, p99 {:.0} µs | direct TLS echo p50 {:.0} µs, p99 {:.0} µs | p50 {:.2}x, p99 {:.2}x |",
        backend.name(),
        micros(g50),
        micros(g99),
        micros(d50),
        micros(d99),
        micros(g50) / micros(d50),
        micros(g99) / micros(d99),
    );
    let on = frames_per_second(&target, &desk_recorded, time).await;
    let off_target = Target::of(&unrecorded);
    let desk_unrecorded = desk(&off_target).await;
    let off = frames_per_second(&off_target, &desk_unrecorded, time).await;
    println!(
        "| {} | throughput, 256-byte output frames | recording on {on:.0} frames/s | recording off {off:.0} frames/s | {:.2}x |",
        backend.name(),
        on / off
    );
    recorded.shutdown.cancel();
    unrecorded.shutdown.cancel();
}

/// The child: a gateway with many-stream limits on SQLite; prints where it is, then
/// serves until its standard input closes.
fn child_main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let gateway = start(Backend::Sqlite, many_streams()).await;
        println!(
            "READY {} {} {}",
            gateway.url,
            gateway.ca_path.display(),
            gateway.admin_token
        );
        std::io::stdout().flush().unwrap();
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
        })
        .await
        .unwrap();
        gateway.shutdown.cancel();
    });
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn idle_sessions(count: usize) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .arg(CHILD_FLAG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let parts: Vec<&str> = ready.split_whitespace().collect();
    assert_eq!(
        parts.first(),
        Some(&"READY"),
        "the child gateway said {ready}"
    );
    let target = Target {
        url: parts[1].into(),
        ca: std::fs::read(parts[2]).unwrap(),
        admin_token: parts[3].into(),
    };
    let desk = Arc::new(desk(&target).await);
    // Sessions are consented first: their rows are not what is measured.
    let setup = target.channel().await;
    let mut ids = Vec::with_capacity(count);
    let mut pending = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (channel, desk) = (setup.clone(), desk.clone());
        pending.spawn(async move { consented(&channel, &desk).await });
        if pending.len() >= 32 {
            ids.push(pending.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(id) = pending.join_next().await {
        ids.push(id.unwrap());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = resident_kib(pid);
    let started = Instant::now();
    // 100 streams per connection: 50 sessions' agents, or engineers, per channel.
    let mut channels = Vec::new();
    for _ in 0..count.div_ceil(50) * 2 {
        channels.push(target.channel().await);
    }
    let mut peers = Vec::with_capacity(count * 2);
    let mut joining = tokio::task::JoinSet::new();
    for (n, id) in ids.iter().enumerate() {
        let agent_channel = channels[(n / 50) * 2].clone();
        let engineer_channel = channels[(n / 50) * 2 + 1].clone();
        let (id, desk) = (id.clone(), desk.clone());
        joining.spawn(async move {
            let mut agent = join(&agent_channel, &desk.agent, &id, ParticipantRole::Agent).await;
            let mut engineer = join(
                &engineer_channel,
                &desk.engineer,
                &id,
                ParticipantRole::Engineer,
            )
            .await;
            agent.paired().await;
            engineer.paired().await;
            (agent, engineer)
        });
        if joining.len() >= 64 {
            peers.push(joining.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(pair) = joining.join_next().await {
        peers.push(pair.unwrap());
    }
    let paired_in = started.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = resident_kib(pid);
    let per_session = (after.saturating_sub(before)) as f64 / count as f64;
    println!(
        "| sqlite | idle sessions | {count} paired and idle (set up in {:.1} s) | gateway resident memory {} MiB before, {} MiB after | {per_session:.1} KiB per session |",
        paired_in.as_secs_f64(),
        before / 1024,
        after / 1024,
    );
    drop(peers);
    drop(child.stdin.take());
    child.wait().unwrap();
}

fn main() {
    if std::env::args().any(|a| a == CHILD_FLAG) {
        child_main();
        return;
    }
    let seconds = std::env::var("SUPPORTGATE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let idle = std::env::var("SUPPORTGATE_BENCH_IDLE_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut backends = vec![Backend::Sqlite];
        if std::env::var(supportgate_testkit::POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty()) {
            backends.push(Backend::Postgres);
        } else {
            eprintln!(
                "PostgreSQL rows skipped: set {} to include them",
                supportgate_testkit::POSTGRES_URL_VAR
            );
        }
        println!("| backend | measure | gateway | baseline | ratio |");
        println!("|---|---|---|---|---|");
        for backend in backends {
            latency_and_throughput(backend, Duration::from_secs(seconds)).await;
        }
        idle_sessions(idle).await;
    });
}
