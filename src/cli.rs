//! The command-line client: the same binary as the server, one subcommand per task.
//!
//! Every command connects over TLS (`--server`, `--ca`), authenticates with a bearer
//! credential (`--token`), makes one or more RPCs and prints the result either as a
//! readable table (`--output table`, the default) or as exactly one JSON value
//! (`--output json`).
//!
//! Contract with the shell, relied on by scripts:
//! * exit code 0 on success, 1 when the gateway refused or failed a call (or could
//!   not be reached), 2 for usage and configuration errors found before any call;
//! * a failure prints one line on stderr, `error: CODE (REASON): message`;
//! * create commands print only the new id (or token) on stdout in table mode, so
//!   `ID=$(supportgate case open …)` works; the human summary goes to stderr.
//!
//! `anyhow` is not used here on purpose: the error type must know which exit code and
//! which one-line rendering each failure gets, see [`error`].

mod admin;
mod agent;
mod args;
mod case;
mod connect;
mod contact;
pub mod dev;
mod download;
mod error;
mod hold;
mod keys;
mod legal;
mod log;
mod notifications;
mod output;
mod page;
mod recording;
mod resolve;
mod retention;
mod session;
mod terminal;
mod transfer;
mod troubleshoot;
mod upload;
mod view;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use self::connect::Clients;
use self::error::CliError;
pub(crate) use self::upload::bar as upload_progress;

/// Options every client command shares.
///
/// `Debug` is written by hand so that the bearer credential is never printed.
#[derive(clap::Args)]
pub struct ClientOptions {
    /// Gateway address, e.g. https://127.0.0.1:7443
    #[arg(long, global = true, env = "SUPPORTGATE_SERVER")]
    pub server: Option<String>,
    /// CA certificate (PEM) that signed the gateway's certificate
    #[arg(long, global = true, env = "SUPPORTGATE_CA")]
    pub ca: Option<PathBuf>,
    /// Bearer credential: the token itself or a path to a file holding it
    #[arg(long, global = true, env = "SUPPORTGATE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Client certificate (PEM) to authenticate with instead of a token (agents, services)
    #[arg(long, global = true, env = "SUPPORTGATE_CERT", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert
    #[arg(long, global = true, env = "SUPPORTGATE_KEY", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("server", &self.server)
            .field("ca", &self.ca)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("output", &self.output)
            .finish()
    }
}

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned tables and key-value lists for people; create commands print only the
    /// new id or token.
    Table,
    /// Exactly one pretty-printed JSON object or array, for programs.
    Json,
}

/// The client commands, one group per area of the API.
#[derive(Debug, clap::Subcommand)]
pub enum ClientCommand {
    /// Operators: tenants, subjects and credentials (admin role)
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Support cases: open, show, list, assign, close
    #[command(subcommand)]
    Case(case::CaseCommand),
    /// Contact data of a case: show, correct, opt out, communication recipients
    #[command(subcommand)]
    Contact(contact::ContactCommand),
    /// The access log (compliance reviewers; customers: who accessed their cases)
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Transfer workspaces and their files
    #[command(subcommand)]
    Transfer(transfer::TransferCommand),
    /// Upload files into a workspace (customers); rerun to resume
    Upload(upload::UploadArgs),
    /// Download a file (needs a purpose); rerun to resume
    Download(download::DownloadArgs),
    /// Collect system information and log files, show them, and upload them as one bundle (customers)
    Troubleshoot(troubleshoot::TroubleshootArgs),
    /// Remote-access sessions: request, consent, revoke, show, list
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// Share a shell on this machine in a session (the customer's agent)
    Agent(agent::AgentArgs),
    /// Attach to a session's shell as the engineer (or observe it)
    Terminal(terminal::TerminalArgs),
    /// Session and imported recordings: list, show, download, export, play, import
    #[command(subcommand)]
    Recording(recording::RecordingCommand),
    /// Law-enforcement requests: submit, list, show, compel, non-disclosure, approve,
    /// notify, produce
    #[command(subcommand)]
    Legal(legal::LegalCommand),
    /// Legal notifications of your tenant: list, ack (customers)
    #[command(subcommand)]
    Notifications(notifications::NotificationsCommand),
    /// Legal holds on cases and tenants: set, clear, list (legal counsel)
    #[command(subcommand)]
    Hold(hold::HoldCommand),
    /// Show who the gateway thinks you are
    Whoami,
}

/// Runs one client command and turns its outcome into the process exit code.
///
/// Errors are printed here, once, as a single line on stderr; see the module docs
/// for the exit codes.
pub async fn run(options: ClientOptions, command: ClientCommand) -> ExitCode {
    match execute(&options, command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            err.exit_code()
        }
    }
}

/// Connects, then hands the command to its area.
async fn execute(options: &ClientOptions, command: ClientCommand) -> Result<(), CliError> {
    if let ClientCommand::Log(cmd) = &command {
        if cmd.is_offline() {
            let ClientCommand::Log(cmd) = command else {
                return Ok(());
            };
            return log::run_offline(cmd, options.output);
        }
    }
    if let ClientCommand::Troubleshoot(args) = &command {
        // Refuse a non-interactive run without --yes before anything else happens.
        troubleshoot::ensure_can_ask(
            args.yes,
            std::io::IsTerminal::is_terminal(&std::io::stdin()),
        )?;
    }
    let clients = Clients::connect(options).await?;
    let out = options.output;
    match command {
        ClientCommand::Admin(cmd) => admin::run(cmd, &clients, out).await,
        ClientCommand::Case(cmd) => case::run(cmd, &clients, out).await,
        ClientCommand::Contact(cmd) => contact::run(cmd, &clients, out).await,
        ClientCommand::Log(cmd) => log::run(cmd, &clients, out).await,
        ClientCommand::Transfer(cmd) => transfer::run(cmd, &clients, out).await,
        ClientCommand::Upload(args) => upload::run(args, &clients, out).await,
        ClientCommand::Download(args) => download::run(args, &clients, out).await,
        ClientCommand::Troubleshoot(args) => troubleshoot::run(args, &clients, out).await,
        ClientCommand::Session(cmd) => session::run(cmd, &clients, out).await,
        ClientCommand::Agent(args) => agent::run(args, &clients, out).await,
        ClientCommand::Terminal(args) => terminal::run(args, &clients, out).await,
        ClientCommand::Recording(cmd) => recording::run(cmd, &clients, out).await,
        ClientCommand::Legal(cmd) => legal::run(cmd, &clients, out).await,
        ClientCommand::Notifications(cmd) => notifications::run(cmd, &clients, out).await,
        ClientCommand::Hold(cmd) => hold::run(cmd, &clients, out).await,
        ClientCommand::Whoami => admin::whoami(&clients, out).await,
    }
}
