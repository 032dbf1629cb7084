//! Running a local tool (`df`, `ip`, `dpkg-query`, …) safely: a fixed program and
//! argument list with no shell in between, no standard input, a time limit and a cap
//! on what is kept of its output.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// How long one tool may run; a hung network mount can make `df` block for ever.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// Output kept from one tool; the rest is cut (and the tool stopped).
pub const MAX_OUTPUT: u64 = 4 * 1024 * 1024;
/// Error output kept, for the note.
const MAX_STDERR: u64 = 16 * 1024;

/// What running a tool gave.
#[derive(Debug)]
pub enum Outcome {
    /// The tool ran to its end.
    Ran {
        /// Standard output, at most [`MAX_OUTPUT`] bytes.
        stdout: Vec<u8>,
        /// Whether standard output was longer and got cut.
        cut: bool,
        /// Exit status.
        status: ExitStatus,
        /// First line of the error output, if any.
        stderr: String,
    },
    /// No such program on this machine.
    Missing,
    /// It could not be started, or did not finish in time.
    Failed(String),
}

impl Outcome {
    /// Standard output when the tool succeeded, with a note when it was cut.
    pub fn success(&self) -> Option<(String, Option<String>)> {
        match self {
            Self::Ran {
                stdout,
                cut,
                status,
                ..
            } if status.success() => Some((
                String::from_utf8_lossy(stdout).into_owned(),
                cut.then(|| format!("output cut at {MAX_OUTPUT} bytes")),
            )),
            _ => None,
        }
    }

    /// Why the tool gave nothing usable, in a few words.
    pub fn why(&self, program: &str) -> String {
        match self {
            Self::Ran { status, stderr, .. } if stderr.is_empty() => {
                format!("{program} failed ({status})")
            }
            Self::Ran { status, stderr, .. } => format!("{program} failed ({status}): {stderr}"),
            Self::Missing => format!("{program} is not installed"),
            Self::Failed(why) => why.clone(),
        }
    }
}

/// Runs `program` with `args` (looked up on `PATH` unless it is a path), in the C
/// locale so the output reads the same everywhere.
pub async fn run(program: &str, args: &[&str]) -> Outcome {
    let spawned = tokio::process::Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Outcome::Missing,
        Err(e) => return Outcome::Failed(format!("cannot start {program}: {e}")),
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let finished = tokio::time::timeout(TIMEOUT, async {
        let (out, err) = tokio::join!(capped(stdout, MAX_OUTPUT), capped(stderr, MAX_STDERR));
        (out, err, child.wait().await)
    })
    .await;
    // On a timeout `child` is dropped here, which kills it (`kill_on_drop`).
    match finished {
        Err(_) => Outcome::Failed(format!(
            "{program} did not finish within {} s",
            TIMEOUT.as_secs()
        )),
        Ok((_, _, Err(e))) | Ok((Err(e), _, _)) => {
            Outcome::Failed(format!("cannot run {program}: {e}"))
        }
        Ok((Ok((stdout, cut)), err, Ok(status))) => {
            let err = err.map(|(bytes, _)| bytes).unwrap_or_default();
            let stderr = String::from_utf8_lossy(&err)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            Outcome::Ran {
                stdout,
                cut,
                status,
                stderr,
            }
        }
    }
}

/// The first of `candidates` that exists on this machine, run with `args`.
///
/// `ip` lives in `/usr/sbin` or `/sbin`, which are often not on a user's `PATH`.
pub async fn run_first(candidates: &[&str], args: &[&str]) -> (String, Outcome) {
    let mut last = (String::new(), Outcome::Missing);
    for program in candidates {
        let outcome = run(program, args).await;
        if !matches!(outcome, Outcome::Missing) {
            return ((*program).to_owned(), outcome);
        }
        last = ((*program).to_owned(), outcome);
    }
    last
}

/// Reads at most `cap` bytes; says whether there was more. Stops reading after the
/// cap, so a tool writing without end gets a broken pipe instead of filling memory.
async fn capped<R: AsyncRead + Unpin>(
    reader: Option<R>,
    cap: u64,
) -> std::io::Result<(Vec<u8>, bool)> {
    let Some(reader) = reader else {
        return Ok((Vec::new(), false));
    };
    let mut kept = Vec::new();
    let mut limited = reader.take(cap);
    limited.read_to_end(&mut kept).await?;
    let mut reader = limited.into_inner();
    let mut probe = [0u8; 1];
    let more = reader.read(&mut probe).await? > 0;
    Ok((kept, more))
}
