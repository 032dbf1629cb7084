//! `supportgate troubleshoot --workspace W [--log FILE]... [--yes] [--keep PATH]`:
//! collects system information and the named log files, shows the user what it will
//! send, bundles it into one `.tar.gz` and uploads that with `supportgate upload`'s
//! resumable code.
//!
//! Nothing needs root or the network: files any user can read under `/etc`, `/proc`
//! and `/sys`, and a few tools (`uname`, `df`, `ip`, the package manager) run without
//! a shell, with a time limit. Memory stays bounded: tool output is capped and log
//! files are streamed into the archive, only their last `--max-log-size` bytes.
//!
//! ## Why ask, and refuse when nobody can answer
//! The bundle leaves the customer's machine: the user sees every item first and
//! says yes. Without a terminal there is nobody to ask, and uploading silently would
//! make the question pointless, so that needs an explicit `--yes` (exit code 2
//! otherwise, like any usage error).

mod bundle;
mod command;
mod item;
mod logs;
mod summary;
mod system;

#[cfg(test)]
mod tests;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use supportgate_types::{Clock, SystemClock};
use tonic::Code;

use super::args::parse_id;
use super::connect::Clients;
use super::error::CliError;
use super::output::{emit, note, Table};
use super::upload::{upload, Uploaded};
use super::OutputFormat;

/// What to collect and where to send it.
#[derive(Debug, Args)]
pub struct TroubleshootArgs {
    /// The workspace to upload the bundle into
    #[arg(long, value_parser = parse_id)]
    pub workspace: String,
    /// A log file to include (repeat for more); only its end is kept, see --max-log-size
    #[arg(long = "log", value_name = "FILE")]
    pub logs: Vec<PathBuf>,
    /// How much of the end of each log file to keep, e.g. 10MiB, 512KiB
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = logs::parse_size)]
    pub max_log_size: u64,
    /// Upload without asking (required when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Write the bundle here (a new file, or a directory to put it in) and keep it
    #[arg(long, value_name = "PATH")]
    pub keep: Option<PathBuf>,
}

/// Collects, shows, asks, bundles and uploads; prints the uploaded file like `upload`.
pub async fn run(
    args: TroubleshootArgs,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    ensure_can_ask(args.yes, std::io::stdin().is_terminal())?;
    let at = SystemClock.now();
    let host = system::hostname();
    let destination = Destination::prepare(args.keep.as_deref(), &bundle::file_name(&host, at))?;
    let mut logs = logs::collect(&args.logs, args.max_log_size)?;
    let mut items = system::collect().await;
    items.append(&mut logs);
    let _ = write!(std::io::stderr(), "{}", summary::render(&items));

    let count = items.len();
    let size = write_bundle(items, &destination, host, at).await?;
    if !args.yes {
        let question = format!(
            "Upload {size} bytes in {count} items to workspace {}?",
            args.workspace
        );
        let answer = ask(
            &question,
            &mut std::io::stdin().lock(),
            &mut std::io::stderr(),
        )
        .map_err(|e| CliError::failed(format!("cannot read the answer: {e}")))?;
        if !answer {
            return Err(destination.declined());
        }
    }
    let path = &destination.path;
    let uploaded = match upload(clients, &args.workspace, "application/gzip", path).await {
        Ok(uploaded) => uploaded,
        Err(e) if resumable(&e) => {
            destination.keep_for_resume(&args.workspace);
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    emit(out, &[uploaded], |done| render(done))
}

/// Writes the bundle off the async runtime (it compresses up to many MiB); returns
/// its size. A bundle that cannot be written is removed.
async fn write_bundle(
    mut items: Vec<item::Item>,
    destination: &Destination,
    host: String,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<u64, CliError> {
    let path = destination.path.clone();
    let written =
        tokio::task::spawn_blocking(move || bundle::write(&path, &mut items, &host, at)).await;
    let (size, late) = match written {
        Ok(Ok(written)) => written,
        Ok(Err(e)) => return Err(destination.abandon(&e.to_string())),
        Err(e) => return Err(destination.abandon(&e.to_string())),
    };
    for line in late {
        note(&line);
    }
    note(&format!(
        "bundle: {} ({size} bytes)",
        destination.path.display()
    ));
    Ok(size)
}

/// The upload result, in the columns `supportgate upload` prints.
fn render(done: &[Uploaded]) -> String {
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
}

/// Whether a failed upload is worth resuming: the connection broke or the gateway
/// stumbled, as opposed to a refusal (no such workspace, no permission, quota), which
/// rerunning would only repeat.
fn resumable(err: &CliError) -> bool {
    match err {
        CliError::Rpc(status) => matches!(
            status.code(),
            Code::Unavailable
                | Code::Unknown
                | Code::Cancelled
                | Code::DeadlineExceeded
                | Code::Internal
                | Code::Aborted
        ),
        CliError::Failed(_) => true,
        CliError::Usage(_) => false,
    }
}

/// Refuses, before any work, to run where the question cannot be asked.
pub fn ensure_can_ask(yes: bool, interactive: bool) -> Result<(), CliError> {
    if yes || interactive {
        return Ok(());
    }
    Err(CliError::usage(
        "standard input is not a terminal, so there is nobody to confirm the upload: \
         run it in a terminal to review what is sent, or pass --yes to upload without asking",
    ))
}

/// Asks `question` with a `[y/N]` default of no; only `y` or `yes` (any case) agree.
pub fn ask(
    question: &str,
    input: &mut impl BufRead,
    prompt: &mut impl Write,
) -> std::io::Result<bool> {
    write!(prompt, "{question} [y/N] ")?;
    prompt.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Where the bundle is written: `--keep PATH` (kept), or a private temporary
/// directory removed when the upload is done.
#[derive(Debug)]
struct Destination {
    path: PathBuf,
    temp: Option<tempfile::TempDir>,
}

impl Destination {
    /// Checks `--keep` before anything is collected: a directory gets the bundle
    /// under its default name; an existing file is never overwritten.
    fn prepare(keep: Option<&Path>, name: &str) -> Result<Self, CliError> {
        let path = match keep {
            Some(dir) if dir.is_dir() => dir.join(name),
            Some(file) => file.to_path_buf(),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("supportgate-troubleshoot-")
                    .tempdir()
                    .map_err(|e| {
                        CliError::failed(format!("cannot make a temporary directory: {e}"))
                    })?;
                let path = temp.path().join(name);
                return Ok(Self {
                    path,
                    temp: Some(temp),
                });
            }
        };
        if path.exists() {
            return Err(CliError::usage(format!(
                "--keep {} exists; name a new file or a directory",
                path.display()
            )));
        }
        Ok(Self { path, temp: None })
    }

    /// The bundle could not be written: remove what there is of it (a temporary
    /// directory goes when the `Destination` is dropped).
    fn abandon(&self, why: &str) -> CliError {
        if self.temp.is_none() {
            let _ = std::fs::remove_file(&self.path);
        }
        CliError::failed(format!(
            "cannot write the bundle {}: {why}",
            self.path.display()
        ))
    }

    /// The user said no: nothing is sent; a temporary bundle goes, a kept one stays.
    fn declined(self) -> CliError {
        match self.temp {
            Some(_) => CliError::failed("not uploaded: declined at the prompt"),
            None => CliError::failed(format!(
                "not uploaded: declined at the prompt; the bundle is kept at {}",
                self.path.display()
            )),
        }
    }

    /// The upload failed: keep even a temporary bundle, so that `supportgate upload`
    /// can resume it rather than start over with a new one.
    fn keep_for_resume(self, workspace: &str) {
        if let Some(temp) = self.temp {
            let _ = temp.keep();
        }
        note(&format!(
            "the bundle is kept at {0}; `supportgate upload {0} --workspace {workspace} --media-type application/gzip` resumes the upload",
            self.path.display()
        ));
    }
}
