//! The access log as a compliance reviewer, a customer and an intruder meet it (issue 3,
//! DESIGN section 6), through the real gRPC interface and the real `supportgate` binary:
//!
//! * `verification`: after activity, Verify (gRPC and `log verify`) is ok and counts
//!   every entry and every signed checkpoint;
//! * `tampering`: an intruder with the database's credentials changes one column of one
//!   entry (for every column), deletes an entry or swaps two; Verify names exactly that
//!   sequence number, and so does `log verify`;
//! * `fail_closed`: with the log unwritable, reads and writes fail with
//!   `UNAVAILABLE`/`AUDIT_UNAVAILABLE`, release nothing and leave no trace;
//! * `bundles`: an export verifies offline with the public key alone and fails after any
//!   byte is changed; corrupt, truncated and foreign-key input fail with one clear line;
//!   a tenant export holds no trace of another tenant;
//! * `reading`: customers see who accessed their cases and nothing else; StreamEntries
//!   ends, or follows new entries;
//! * `refusals`: inverted time and sequence ranges and unknown filter values are refused
//!   and write nothing;
//! * `concurrency`: concurrent reads share group commits and leave a gap-free chain.

use std::path::{Path, PathBuf};
use std::time::Duration;

use supportgate::bundle::BundleReader;
use supportgate::proto::bundle_record::Record;
use supportgate::proto::{
    AccessLogEntry, CaseView, Contact, ExportRequest, GetCaseRequest, GetContactRequest,
    ListEntriesRequest, Purpose, SequenceRange, VerifyRequest, VerifyResponse,
};
use tokio::process::Command;
use tonic::{Request, Status};

use crate::harness::{Actor, Clients, TestServer, World};

mod bundles;
mod concurrency;
mod fail_closed;
mod reading;
mod refusals;
mod tampering;
mod verification;

/// Long enough for any call on a loaded 2-core machine; a hang is a failure, not a stuck
/// test.
const WAIT: Duration = Duration::from_secs(60);

const BIN: &str = env!("CARGO_BIN_EXE_supportgate");

/// Every entry of the log, read by the provider-wide reviewer (the read itself is the
/// last entry).
async fn whole_log(world: &World) -> Vec<AccessLogEntry> {
    world.log(ListEntriesRequest::default()).await
}

/// Verify over `range` (unset: the whole log), as the provider-wide reviewer.
async fn verify(world: &World, range: Option<SequenceRange>) -> VerifyResponse {
    let mut log = world.server.as_actor(&world.reviewer).await.log();
    log.verify(VerifyRequest { range })
        .await
        .expect("Verify answers")
        .into_inner()
}

/// A request carrying our own `x-request-id`, so its log entry can be found.
fn with_request_id<T>(message: T) -> (Request<T>, String) {
    let id = uuid::Uuid::new_v4().to_string();
    let mut request = Request::new(message);
    let value = id.parse().expect("a uuid is a header value");
    request.metadata_mut().insert("x-request-id", value);
    (request, id)
}

/// `actor` reads `case` for support; returns the answer and the request id.
async fn read_case(
    server: &TestServer,
    actor: &Actor,
    case: &str,
) -> (Result<CaseView, Status>, String) {
    let (request, id) = with_request_id(GetCaseRequest {
        case_id: case.into(),
        purpose: Purpose::ProvideSupport.into(),
    });
    let answer = server.as_actor(actor).await.cases().get_case(request).await;
    (answer.map(tonic::Response::into_inner), id)
}

/// `actor` reads the contact of `case` for support; returns the answer and the request id.
async fn read_contact(
    server: &TestServer,
    actor: &Actor,
    case: &str,
) -> (Result<Contact, Status>, String) {
    let (request, id) = with_request_id(GetContactRequest {
        case_id: case.into(),
        purpose: Purpose::ProvideSupport.into(),
    });
    let answer = server
        .as_actor(actor)
        .await
        .contacts()
        .get_contact(request)
        .await;
    (answer.map(tonic::Response::into_inner), id)
}

/// Both tenants' engineers read their cases and contacts: data reads in the log.
async fn activity(world: &World) {
    for tenant in [&world.acme, &world.globex] {
        for case in [&tenant.case, &tenant.opted_out_case] {
            let (view, _) = read_case(&world.server, &tenant.engineer, case).await;
            view.unwrap_or_else(|s| panic!("{} reads {case}: {s:?}", tenant.engineer.name));
            let (contact, _) = read_contact(&world.server, &tenant.engineer, case).await;
            contact.unwrap_or_else(|s| {
                panic!("{} reads {case}'s contact: {s:?}", tenant.engineer.name)
            });
        }
    }
}

/// Asserts `entries` are the log from 1 without gaps, each following the one before.
#[track_caller]
fn assert_gap_free(entries: &[AccessLogEntry]) {
    assert!(!entries.is_empty(), "the log is empty");
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(
            entry.sequence,
            i as u64 + 1,
            "the log has a gap before {entry:?}"
        );
        if i == 0 {
            assert_eq!(
                entry.prev_hash.as_ref(),
                [0u8; 32],
                "entry 1 follows the zero hash"
            );
        } else {
            assert_eq!(
                entry.prev_hash,
                entries[i - 1].entry_hash,
                "entry {} does not follow entry {}",
                entry.sequence,
                i
            );
        }
        assert_eq!(
            entry.entry_hash.len(),
            32,
            "entry {} has no hash",
            entry.sequence
        );
    }
}

/// Runs Export and concatenates the chunks into the bundle file's bytes.
async fn export_bytes(clients: &Clients, request: ExportRequest) -> Result<Vec<u8>, Status> {
    let mut stream = clients.log().export(request).await?.into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = tokio::time::timeout(WAIT, stream.message())
        .await
        .expect("the export stalled")?
    {
        bytes.extend_from_slice(&chunk.chunk);
    }
    Ok(bytes)
}

/// The records of a well-formed bundle.
fn bundle_records(bytes: &[u8]) -> Vec<Record> {
    let mut reader = BundleReader::new(bytes);
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().expect("a well-formed bundle") {
        records.push(record);
    }
    records
}

/// The client binary pointed at one gateway, with token files in a temporary directory.
struct Cli {
    dir: tempfile::TempDir,
    server: String,
    ca: PathBuf,
}

/// What one command did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Cli {
    fn new(server: &TestServer) -> Cli {
        Cli {
            dir: tempfile::tempdir().expect("temporary directory"),
            server: server.url(),
            ca: server.ca_path(),
        }
    }

    /// A file in the working directory.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `actor`'s token, saved to a file as a user would.
    fn token(&self, actor: &Actor) -> PathBuf {
        let path = self.path(&format!("{}.token", actor.name));
        std::fs::write(&path, &actor.token).expect("save the token");
        path
    }

    async fn output(command: &mut Command) -> Run {
        let output = tokio::time::timeout(WAIT, command.output())
            .await
            .expect("the client hung")
            .expect("run the client");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }

    /// Runs a command as `actor` against the gateway.
    async fn run(&self, actor: &Actor, args: &[&str]) -> Run {
        let token = self.token(actor);
        Self::output(
            Command::new(BIN)
                .args(args)
                .current_dir(self.dir.path())
                .env("SUPPORTGATE_SERVER", &self.server)
                .env("SUPPORTGATE_CA", &self.ca)
                .env("SUPPORTGATE_TOKEN", token),
        )
        .await
    }

    /// Runs a command that must succeed; returns its stdout.
    async fn ok(&self, actor: &Actor, args: &[&str]) -> String {
        let run = self.run(actor, args).await;
        assert_eq!(run.code, 0, "{args:?} failed: {run:?}");
        run.stdout
    }

    /// Runs a command with no gateway to talk to: no server, CA or token configured.
    async fn offline(&self, args: &[&str]) -> Run {
        Self::output(
            Command::new(BIN)
                .args(args)
                .current_dir(self.dir.path())
                .env_remove("SUPPORTGATE_SERVER")
                .env_remove("SUPPORTGATE_CA")
                .env_remove("SUPPORTGATE_TOKEN")
                .env_remove("SUPPORTGATE_CERT")
                .env_remove("SUPPORTGATE_KEY"),
        )
        .await
    }
}

/// Asserts a command failed with exit code `code` and exactly one `error: …` line on
/// stderr (no panic, no backtrace); returns that line.
#[track_caller]
fn one_line_error(run: &Run, code: i32) -> String {
    assert_eq!(run.code, code, "unexpected exit code: {run:?}");
    assert!(
        !run.stderr.contains("panicked"),
        "the client panicked: {run:?}"
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one error line on stderr: {run:?}");
    assert!(lines[0].starts_with("error: "), "an error line: {run:?}");
    lines[0].to_owned()
}

/// The value after `key:` in the table output of `log verify`.
fn field(stdout: &str, key: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {key:?} in {stdout}"))
        .trim()
        .to_owned()
}

/// `path` relative to the CLI's directory, as a string argument.
fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}
