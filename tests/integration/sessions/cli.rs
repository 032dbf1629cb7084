//! Remote sessions end to end through the real `supportgate` binary: the engineer's
//! `supportgate terminal` and the customer's `supportgate agent` (a real shell on a
//! pseudo-terminal) as two processes, consent and revocation with `supportgate session`,
//! the recording read back with `supportgate recording`; and a `serve --dev` gateway
//! killed with SIGKILL in the middle of a session.
//!
//! Against a [`TestServer`](crate::harness::TestServer) its clock is a manual one
//! (2026-01-01) while the client reads the system clock, so `--expires 30m` would be
//! refused as too far ahead of the gateway's "now": consents there are given as an
//! RFC 3339 time, 30 minutes after the gateway's clock. The `serve --dev` test runs on
//! the system clock and uses `--expires 30m`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use supportgate::proto::{
    self, frame::Kind, ParticipantRole, Purpose, RecordedFrame, RecordingState, SessionEndReason,
    SessionState,
};
use supportgate_testkit::backend_tests;
use supportgate_types::Clock;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

use super::support::*;
use crate::harness::{Clients, World};

const BIN: &str = env!("CARGO_BIN_EXE_supportgate");

/// How long a process that must exit (or print something) is given.
const PROCESS_PATIENCE: Duration = Duration::from_secs(30);

/// The bound asserted here between `session revoke` returning and the engineer's
/// terminal exiting (the 200 ms requirement is asserted at the gRPC level, in `relay`).
const REVOKE_BOUND: Duration = Duration::from_secs(1);

/// The client binary pointed at one gateway, run in `dir`.
struct Cli {
    dir: PathBuf,
    server: String,
    ca: PathBuf,
}

/// What a finished command did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Cli {
    /// The command, not started: gateway, CA and credential (a token or a token file)
    /// in the environment, stdin closed unless the caller says otherwise.
    fn command(&self, token: &str, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("SUPPORTGATE_SERVER", &self.server)
            .env("SUPPORTGATE_CA", &self.ca)
            .env("SUPPORTGATE_TOKEN", token)
            .env_remove("SUPPORTGATE_CERT")
            .env_remove("SUPPORTGATE_KEY")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, token: &str, args: &[&str]) -> Run {
        let output = tokio::time::timeout(PROCESS_PATIENCE, self.command(token, args).output())
            .await
            .unwrap_or_else(|_| panic!("{args:?} did not finish within {PROCESS_PATIENCE:?}"))
            .expect("run the client");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed; returns its trimmed stdout.
    async fn ok(&self, token: &str, args: &[&str]) -> String {
        let run = self.run(token, args).await;
        assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
        run.stdout.trim().to_owned()
    }

    /// Runs a command with `--output json` that must succeed; returns the value.
    async fn json(&self, token: &str, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--output", "json"]);
        serde_json::from_str(&self.ok(token, &args).await).expect("one JSON value on stdout")
    }

    /// Starts a long-running command (`agent`, `terminal`), its output collected; with
    /// `stdin`, a pipe the test writes to and closes, otherwise nothing on stdin.
    fn spawn(&self, name: &str, token: &str, args: &[&str], stdin: bool) -> Proc {
        let mut command = self.command(token, args);
        command
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().expect("stdout"), stdout.clone()),
            collect(child.stderr.take().expect("stderr"), stderr.clone()),
        ];
        Proc {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            readers,
        }
    }
}

/// Copies everything `from` produces into `into` until it ends.
fn collect(
    mut from: impl AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 8192];
        while let Ok(n) = from.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buffer[..n]);
        }
    })
}

/// A client process started by a test, SIGKILLed when dropped (on every path,
/// including a failed assertion).
struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl Proc {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    async fn write(&mut self, data: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is a pipe and still open");
        stdin.write_all(data).await.expect("write to stdin");
        stdin.flush().await.expect("flush stdin");
    }

    /// Closes stdin: the end of piped input.
    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits (bounded) until stdout contains `needle`.
    async fn wait_for_stdout(&self, needle: &str) {
        let deadline = Instant::now() + PROCESS_PATIENCE;
        while !self.stdout().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{} did not print {needle:?} within {PROCESS_PATIENCE:?}; stdout: {}; stderr: {}",
                self.name,
                self.stdout(),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) until stderr contains `needle`.
    async fn wait_for_stderr(&self, needle: &str) {
        let deadline = Instant::now() + PROCESS_PATIENCE;
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{} did not say {needle:?} within {PROCESS_PATIENCE:?}; stderr: {}",
                self.name,
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) for the process to exit; returns its exit code and when the
    /// exit was seen, once all its output has been collected.
    async fn exit(&mut self) -> (i32, Instant) {
        let status = match tokio::time::timeout(PROCESS_PATIENCE, self.child.wait()).await {
            Ok(status) => status.expect("wait for the process"),
            Err(_) => panic!(
                "{} did not exit within {PROCESS_PATIENCE:?}; stdout: {}; stderr: {}",
                self.name,
                self.stdout(),
                self.stderr()
            ),
        };
        let seen = Instant::now();
        for reader in self.readers.drain(..) {
            // A grandchild could hold a pipe open: do not wait for it forever.
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        (status.code().unwrap_or(-1), seen)
    }

    /// The exit code, waited for (bounded).
    async fn code(&mut self) -> i32 {
        self.exit().await.0
    }
}

/// A consent expiry 30 minutes after the gateway's (manual) clock, in RFC 3339.
fn expires_in_30_minutes(world: &World) -> String {
    let at = Clock::now(&*world.server.clock) + chrono::Duration::minutes(30);
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The client binary against the world's gateway, running in a fresh directory.
fn cli_for(world: &World, dir: &Path) -> Cli {
    Cli {
        dir: dir.to_owned(),
        server: world.server.url(),
        ca: world.server.ca_path(),
    }
}

/// Acme's engineer requests a view,control session on acme's case with
/// `supportgate session request`; acme's customer grants `grant` with
/// `supportgate session consent … --yes`. Returns the session id.
async fn requested_and_consented(world: &World, cli: &Cli, grant: &str) -> String {
    let acme = &world.acme;
    let args = [
        "session",
        "request",
        &acme.case,
        "--capabilities",
        "view,control",
    ];
    let session = cli.ok(&acme.engineer.token, &args).await;
    uuid::Uuid::parse_str(&session).expect("session request prints the session id");
    let expires = expires_in_30_minutes(world);
    let args = [
        "session",
        "consent",
        &session,
        "--grant",
        grant,
        "--expires",
        &expires,
        "--yes",
    ];
    let consent = cli.run(&acme.customer.token, &args).await;
    assert_eq!(consent.code, 0, "consent failed: {}", consent.stderr);
    assert!(
        consent.stderr.contains("RECORDED"),
        "the customer is told the session is recorded: {}",
        consent.stderr
    );
    session
}

/// `supportgate agent --session S --shell /bin/sh` as acme's customer agent, joined.
async fn agent(world: &World, cli: &Cli, session: &str) -> Proc {
    let args = ["agent", "--session", session, "--shell", "/bin/sh"];
    let agent = cli.spawn("the agent", &world.acme.agent.token, &args, false);
    agent.wait_for_stderr("joined session").await;
    agent
}

/// Every Output frame's data in a recording, as text.
fn outputs(frames: &[RecordedFrame]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| match f.frame.as_ref().and_then(|f| f.kind.as_ref()) {
            Some(Kind::Output(o)) => Some(String::from_utf8_lossy(&o.data).into_owned()),
            _ => None,
        })
        .collect()
}

backend_tests! {
    async fn a_shell_is_shared_between_two_real_processes_and_its_recording_read_back(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let dir = tempfile::tempdir().unwrap();
        let cli = cli_for(&world, dir.path());
        let session = requested_and_consented(&world, &cli, "view,control").await;

        let mut agent = agent(&world, &cli, &session).await;
        let args = ["terminal", &session, "--idle-exit", "1s"];
        let mut terminal = cli.spawn("the terminal", &acme.engineer.token, &args, true);
        // echo 'echo hello-$((6*7))' | supportgate terminal S --idle-exit 1s
        terminal.write(b"echo hello-$((6*7))\n").await;
        terminal.close_stdin();

        let terminal_code = terminal.code().await;
        assert_eq!(
            terminal_code, 0,
            "the piped terminal ends the session itself and exits 0; stderr: {}",
            terminal.stderr()
        );
        assert!(
            terminal.stdout().contains("hello-42"),
            "the engineer sees the shell's answer; stdout: {:?}; stderr: {}",
            terminal.stdout(),
            terminal.stderr()
        );
        let agent_code = agent.code().await;
        assert_eq!(agent_code, 0, "the engineer ended the session: the agent exits 0; stderr: {}", agent.stderr());
        assert!(agent.stdout().contains("hello-42"), "the customer sees their shell too: {:?}", agent.stdout());

        let over = ended(&world, &session).await;
        assert_eq!(over.end_reason(), SessionEndReason::EngineerEnded);
        let shown = cli.json(&acme.customer.token, &["session", "show", &session]).await;
        assert_eq!(shown["state"], "ended", "{shown}");
        assert_eq!(shown["end_reason"], "engineer_ended", "{shown}");
        let recording = shown["recording_id"].as_str().expect("the session names its recording").to_owned();
        assert_eq!(recording, over.recording_id);

        // The customer finds it on the case…
        let table = cli.ok(&acme.customer.token, &["recording", "list", "--case", &acme.case]).await;
        assert!(table.contains(&recording), "recording list shows the recording: {table}");
        let listed = cli.json(&acme.customer.token, &["recording", "list", "--case", &acme.case]).await;
        let entry = listed
            .as_array()
            .expect("an array")
            .iter()
            .find(|r| r["recording_id"] == recording.as_str())
            .unwrap_or_else(|| panic!("{recording} listed: {listed}"))
            .clone();
        assert_eq!(entry["kind"], "terminal", "{entry}");
        assert_eq!(entry["state"], "available", "{entry}");
        assert_eq!(entry["session_id"], session.as_str(), "{entry}");

        // …exports it for a player…
        let cast = dir.path().join("session.cast");
        let out = cast.to_str().unwrap();
        let args = ["recording", "export", &recording, "--format", "asciicast", "--out", out];
        cli.ok(&acme.customer.token, &args).await;
        let exported = std::fs::read_to_string(&cast).expect("the export is written");
        assert!(exported.starts_with("{\"version\":2"), "asciicast v2: {exported}");
        assert!(exported.contains("hello-42"), "the export holds the output: {exported}");
        // …which the gateway only ever stored encrypted…
        assert_not_stored(&world, b"hello-42");

        // …and replays it here.
        let played = cli.run(&acme.customer.token, &["recording", "play", &recording, "--speed", "100"]).await;
        assert_eq!(played.code, 0, "recording play failed: {}", played.stderr);
        assert!(played.stdout.contains("hello-42"), "the replay shows the output: {:?}", played.stdout);
    }

    async fn view_only_consent_refuses_piped_input_and_the_shell_never_runs_it(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let dir = tempfile::tempdir().unwrap();
        let cli = cli_for(&world, dir.path());
        let session = requested_and_consented(&world, &cli, "view").await;
        let pwned = dir.path().join("pwned");

        let mut agent = agent(&world, &cli, &session).await;
        let args = ["terminal", &session, "--idle-exit", "1s"];
        let mut terminal = cli.spawn("the terminal", &acme.engineer.token, &args, true);
        let line = format!("touch {}; echo hello-$((6*7))\n", pwned.display());
        terminal.write(line.as_bytes()).await;
        terminal.close_stdin();

        let code = terminal.code().await;
        assert_eq!(code, 1, "the refused input fails the command; stderr: {}", terminal.stderr());
        assert!(
            terminal.stderr().contains("error: PERMISSION_DENIED (CONTROL_NOT_CONSENTED)"),
            "the gateway's one-line refusal: {}",
            terminal.stderr()
        );
        assert!(!terminal.stdout().contains("hello-42"), "{}", terminal.stdout());
        // The refusal ends the session: the agent's session was cut short.
        let agent_code = agent.code().await;
        assert_eq!(agent_code, 1, "the agent's session was cut short; stderr: {}", agent.stderr());
        assert!(agent.stderr().contains("session ended"), "{}", agent.stderr());

        // The agent and its shell are gone: whatever the shell ran has run.
        assert!(!pwned.exists(), "the shell ran input sent without control consent");
        assert!(!agent.stdout().contains("hello-42"), "the shell answered: {}", agent.stdout());
        assert!(!agent.stdout().contains("pwned"), "the input reached the terminal: {}", agent.stdout());

        let over = ended(&world, &session).await;
        let frames = frames(&download(&world, &over.recording_id).await);
        assert!(
            !frames.iter().any(|f| matches!(f.frame.as_ref().and_then(|f| f.kind.as_ref()), Some(Kind::Input(_)))),
            "refused input is not recorded"
        );
        for output in outputs(&frames) {
            assert!(!output.contains("hello-42") && !output.contains("pwned"), "recorded output: {output:?}");
        }
    }

    async fn revoking_consent_ends_a_running_terminal_at_once(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let dir = tempfile::tempdir().unwrap();
        let cli = cli_for(&world, dir.path());
        let session = requested_and_consented(&world, &cli, "view,control").await;

        let mut agent = agent(&world, &cli, &session).await;
        // stdin stays open: the terminal runs until something else ends the session.
        let mut terminal = cli.spawn("the terminal", &acme.engineer.token, &["terminal", &session], true);
        terminal.write(b"echo ready-$((1+1))\n").await;
        terminal.wait_for_stdout("ready-2").await;
        assert_eq!(session_state(&world, &session).await, SessionState::Active);

        let asked = Instant::now();
        let revoked = cli.run(&acme.customer.token, &["session", "revoke", &session]).await;
        let done = Instant::now();
        assert_eq!(revoked.code, 0, "revoke failed: {}", revoked.stderr);
        let (code, exited) = terminal.exit().await;
        // Seen exiting at most this long after `session revoke` returned (zero when it had
        // already exited by then).
        let took = exited.saturating_duration_since(done);
        println!(
            "the terminal exited {took:?} after `session revoke` returned ({:?} after it was started)",
            exited.saturating_duration_since(asked)
        );
        assert!(took <= REVOKE_BOUND, "the terminal exited {took:?} after the revocation (bound {REVOKE_BOUND:?})");
        assert_eq!(code, 1, "a revoked session is cut short; stderr: {}", terminal.stderr());
        assert!(
            terminal.stderr().contains("consent_revoked") && terminal.stderr().contains("revoked consent"),
            "the terminal says consent was revoked: {}",
            terminal.stderr()
        );
        let agent_code = agent.code().await;
        assert_eq!(agent_code, 1, "stderr: {}", agent.stderr());
        assert!(agent.stderr().contains("consent_revoked"), "{}", agent.stderr());
        assert_eq!(ended(&world, &session).await.end_reason(), SessionEndReason::ConsentRevoked);
    }
}

async fn session_state(world: &World, id: &str) -> SessionState {
    session(world, id).await.state()
}

/// `supportgate serve --dev` as a child process, SIGKILLed when dropped.
struct Gateway {
    child: Child,
    /// `127.0.0.1:PORT`.
    addr: String,
    _log: JoinHandle<()>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl Gateway {
    /// `serve --dev` on a free port over `data`; waits until it listens.
    async fn dev(data: &Path) -> Gateway {
        let mut child = Command::new(BIN)
            .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("SUPPORTGATE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start supportgate serve --dev");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read the server log") {
                if line.contains("serving grpc over tls") {
                    let addr = line.split("addr=").nth(1).expect("addr field");
                    return addr.split_whitespace().next().expect("address").to_owned();
                }
            }
            panic!("the server exited before listening")
        })
        .await
        .expect("the server starts within a minute");
        // Keep draining the log so the server never blocks on a full pipe.
        let log = tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Gateway {
            child,
            addr,
            _log: log,
        }
    }

    fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// SIGKILL: no shutdown, no last flush.
    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL the gateway");
        let status = tokio::time::timeout(PROCESS_PATIENCE, self.child.wait())
            .await
            .expect("the gateway dies")
            .expect("wait for the gateway");
        assert!(!status.success(), "killed, not exited: {status:?}");
    }
}

/// gRPC clients with `token` against a gateway whose certificate `ca` signed.
async fn connect(url: &str, ca: &Path, token: &str) -> Clients {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(
            std::fs::read(ca).expect("read the CA"),
        ))
        .domain_name("127.0.0.1");
    let channel = Endpoint::from_shared(url.to_owned())
        .expect("endpoint")
        .tls_config(tls)
        .expect("tls")
        .connect()
        .await
        .expect("connect to the gateway");
    Clients::new(channel, Some(token))
}

async fn get_recording(clients: &Clients, recording: &str) -> proto::Recording {
    clients
        .recordings()
        .get_recording(proto::GetRecordingRequest {
            recording_id: recording.into(),
            purpose: Purpose::ProvideSupport as i32,
        })
        .await
        .expect("get the recording")
        .into_inner()
        .recording
        .expect("the recording")
}

async fn get_session(clients: &Clients, session: &str) -> proto::Session {
    clients
        .sessions()
        .get_session(proto::GetSessionRequest {
            session_id: session.into(),
        })
        .await
        .expect("get the session")
        .into_inner()
}

/// The stored form of a recording, downloaded with DownloadRecording.
async fn download_stored(clients: &Clients, recording: &str) -> Vec<u8> {
    use proto::download_recording_response::Part;
    let mut stream = clients
        .recordings()
        .download_recording(proto::DownloadRecordingRequest {
            recording_id: recording.into(),
            purpose: Purpose::ProvideSupport as i32,
            range: None,
        })
        .await
        .expect("download the recording")
        .into_inner();
    let mut data = Vec::new();
    while let Some(message) = stream.message().await.expect("download stream") {
        if let Some(Part::Chunk(chunk)) = message.part {
            assert_eq!(chunk.offset, data.len() as u64, "chunks arrive in order");
            data.extend_from_slice(&chunk.data);
        }
    }
    data
}

/// The whole frames of a stored recording: a stream that stops inside a frame is what
/// a crash leaves, and is tolerated at the end; anything else malformed is not.
fn whole_frames(stored: &[u8]) -> Vec<RecordedFrame> {
    let mut frames = Vec::new();
    for item in supportgate::recording::FrameReader::new(stored) {
        match item {
            Ok(frame) => frames.push(frame),
            Err(e) if e.is_truncation() => break,
            Err(e) => panic!(
                "the stored recording is malformed after {} frames: {e}",
                frames.len()
            ),
        }
    }
    frames
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// SQLite only: `serve --dev` is the SQLite gateway (a PostgreSQL gateway in a child
/// process is `serve --config`, which needs a whole operator setup; the crash recovery
/// under test, `recordings_recover` at start-up, is engine-independent service code
/// over the store conformance-tested on both engines).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_mid_session_keeps_the_durable_part_as_a_truncated_recording() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sg-data");
    let gateway = Gateway::dev(&data).await;
    let ca = data.join("tls/ca.pem");
    let admin_file = data.join("admin.token");
    let admin = admin_file.to_str().unwrap();
    let mut cli = Cli {
        dir: dir.path().to_owned(),
        server: gateway.url(),
        ca: ca.clone(),
    };

    cli.ok(admin, &["admin", "tenant", "create", "acme"]).await;
    let mut tokens = std::collections::HashMap::new();
    for (name, role) in [
        ("carol", "customer"),
        ("eve", "support_engineer"),
        ("host-42", "customer_agent"),
    ] {
        let args = [
            "admin", "subject", "create", "--tenant", "acme", "--role", role, "--name", name,
        ];
        tokens.insert(name, cli.ok(admin, &args).await);
    }
    let (carol, eve, host) = (&tokens["carol"], &tokens["eve"], &tokens["host-42"]);
    let open = [
        "case",
        "open",
        "--summary",
        "VPN drops every hour",
        "--contact-name",
        "Carol Smith",
        "--contact-email",
        "carol@acme.example",
        "--contact-phone",
        "+1 555 0100",
    ];
    let case = cli.ok(carol, &open).await;
    cli.ok(admin, &["case", "assign", &case, "--engineer", "eve"])
        .await;
    let session = cli
        .ok(
            eve,
            &[
                "session",
                "request",
                &case,
                "--capabilities",
                "view,control",
            ],
        )
        .await;
    let args = [
        "session",
        "consent",
        &session,
        "--grant",
        "view,control",
        "--expires",
        "30m",
        "--yes",
    ];
    cli.ok(carol, &args).await;

    // The live part with gRPC peers: the agent's output is what must survive.
    let url = gateway.url();
    let mut agent = try_join(
        &connect(&url, &ca, host).await,
        &session,
        ParticipantRole::Agent,
        Purpose::ProvideSupport,
    )
    .await
    .expect("the agent joins");
    let mut engineer = try_join(
        &connect(&url, &ca, eve).await,
        &session,
        ParticipantRole::Engineer,
        Purpose::ProvideSupport,
    )
    .await
    .expect("the engineer joins");
    assert_eq!(engineer.presence().await.role(), ParticipantRole::Agent);
    assert_eq!(agent.presence().await.role(), ParticipantRole::Engineer);
    let customer = connect(&url, &ca, carol).await;
    let deadline = Instant::now() + PATIENCE;
    let recording = loop {
        let s = get_session(&customer, &session).await;
        if s.state() == SessionState::Active && !s.recording_id.is_empty() {
            break s.recording_id;
        }
        assert!(
            Instant::now() < deadline,
            "the session did not start: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let sent: Vec<String> = (0..5)
        .map(|n| format!("before-the-crash-{n}\r\n"))
        .collect();
    for line in &sent {
        agent.send(output(line.as_bytes())).await;
        assert_eq!(engineer.output().await, line.as_bytes());
    }
    // Durable: the recorder flushes every 250 ms and then stores its progress; wait
    // (bounded) until it counts both presences and every output.
    let want = 2 + sent.len() as u64;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let r = get_recording(&customer, &recording).await;
        assert_eq!(r.state(), RecordingState::Recording);
        if r.frame_count >= want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the recording never made {want} frames durable: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    gateway.kill().await;
    drop((agent, engineer, customer));
    let gateway = Gateway::dev(&data).await;
    cli.server = gateway.url();
    let customer = connect(&gateway.url(), &ca, carol).await;

    let after = get_recording(&customer, &recording).await;
    assert_eq!(after.state(), RecordingState::Truncated, "{after:?}");
    assert!(after.size > 0, "the durable part is kept: {after:?}");
    let over = get_session(&customer, &session).await;
    assert_eq!(over.state(), SessionState::Ended, "{over:?}");
    assert!(over.ended_at.is_some(), "{over:?}");

    let stored = download_stored(&customer, &recording).await;
    assert_eq!(
        stored.len() as u64,
        after.size,
        "the stored form is the durable part"
    );
    let frames = whole_frames(&stored);
    let recorded = outputs(&frames);
    assert_eq!(
        recorded, sent,
        "every output sent before the crash is in the recording, in order"
    );
    assert!(
        frames.iter().all(|f| !matches!(
            f.frame.as_ref().and_then(|f| f.kind.as_ref()),
            Some(Kind::End(_))
        )),
        "no End frame: the session never ended cleanly"
    );
    // The recording is stored encrypted.
    let blobs = files_under(&data.join("blobs"));
    assert!(!blobs.is_empty(), "the blob store holds the recording");
    for blob in blobs {
        let bytes = std::fs::read(&blob).unwrap();
        assert!(
            !bytes.windows(16).any(|w| w == b"before-the-crash"),
            "{} holds the output in the clear",
            blob.display()
        );
    }
    // The CLI sees the same after the restart.
    let shown = cli.json(carol, &["session", "show", &session]).await;
    assert_eq!(shown["state"], "ended", "{shown}");
    let listed = cli
        .json(carol, &["recording", "list", "--case", &case])
        .await;
    assert_eq!(listed[0]["state"], "truncated", "{listed}");
    // What the restart changed is in the log, as the gateway's own events.
    let log = cli.json(carol, &["log", "list", "--case", &case]).await;
    let entries = log.as_array().expect("log entries");
    for (action, resource, reason) in [
        ("recording.truncate", &recording, "GATEWAY_RESTARTED"),
        ("session.end", &session, "SHUTDOWN"),
    ] {
        assert!(
            entries.iter().any(|e| e["action"] == action
                && e["resource_id"] == resource.as_str()
                && e["reason"] == reason),
            "{action} {reason} is in the log: {log}"
        );
    }
}
