//! `supportgate agent --session S`: the customer's end of a remote session. Shares a
//! shell on this machine, through a pseudo-terminal, with the engineer.
//!
//! Authenticates as the tenant's customer agent (`--token`, or `--cert`/`--key`),
//! joins the session as AGENT (purpose provide-support), starts `--shell` (default
//! `$SHELL`, else `/bin/sh`) on a pseudo-terminal and relays:
//!
//! * the shell's output → Output frames (and this terminal, unless `--quiet`);
//! * Input frames → the shell, **only** when the consent in force (the Joined frame's
//!   scopes) includes `control`. The gateway already refuses input without it; the
//!   agent checks again and drops such input unseen (defence in depth): the shell
//!   never receives it, so nothing of it is echoed either;
//! * Resize frames → the pseudo-terminal's size; the size it then has is reported
//!   back with a Resize frame, and once at the start;
//! * Chat and Presence → stderr, so the customer sees who is watching and what they
//!   say.
//!
//! When standard input is a terminal in the foreground (and not `--quiet`), the
//! customer works in the same shell: raw mode, local keys go to the shell too, and the
//! escapes of `supportgate terminal` apply (`~.` ends the session, `~c TEXT` Enter
//! chats). The window size follows the engineer's terminal. Started in the background
//! (`&`), the agent leaves the terminal alone and only shows the shell's output.
//!
//! The session ends when the gateway sends End (revocation, expiry, the engineer
//! ended it…), when the shell exits, on `~.`, or on SIGINT/SIGTERM/SIGHUP: the agent
//! sends End, restores the terminal and stops the shell (SIGHUP, then SIGKILL). Exit
//! codes as for `supportgate terminal`: 0 when the engineer or the agent ended the
//! session, 1 when it was cut short (revoked or expired consent, recording failure…).
//!
//! `--wait` waits for the customer's consent (the session turning READY) before
//! joining, instead of failing.

mod pty;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tokio::signal::unix::SignalKind;
use tokio::time::Instant;

use self::pty::{Shell, DEFAULT_SIZE};
use super::args::parse_id;
use super::connect::Clients;
use super::error::CliError;
use super::session::live::{self, Console, Roster};
use super::session::scope;
use super::terminal::escape::{self, Action, Escapes};
use super::terminal::tty::{owns_terminal, spawn_reader, window_size, Chunk, RawMode};
use super::terminal::{finish, next_chunk, signal_stream, sleep_until, write_stdout};
use super::OutputFormat;
use crate::proto::{frame::Kind, Frame, GetSessionRequest, ParticipantRole, Purpose, SessionState};

/// How long to wait for the gateway to confirm our End.
const END_WAIT: Duration = Duration::from_secs(3);
/// How long after the shell exits its remaining output may still arrive.
const DRAIN: Duration = Duration::from_millis(300);
/// How often `--wait` asks whether consent was granted.
const POLL: Duration = Duration::from_secs(1);

/// Share a shell.
#[derive(Debug, Args)]
#[command(after_help = "\
The engineer's input reaches the shell only with control consent. With a terminal on stdin \
(and without --quiet) you work in the same shell: at the start of a line ~. ends the \
session, ~c TEXT Enter sends a chat message. Who is watching, and chat, show on stderr.
Exit codes: 0 the engineer or the customer ended the session; 1 refused, or cut short \
(consent revoked or expired, recording failed, …); 2 usage.")]
pub struct AgentArgs {
    /// The session to serve
    #[arg(long, value_parser = parse_id)]
    pub session: String,
    /// The shell to share (default: $SHELL, else /bin/sh)
    #[arg(long, value_name = "PATH")]
    pub shell: Option<PathBuf>,
    /// Wait for the customer's consent instead of failing while it is pending
    #[arg(long)]
    pub wait: bool,
    /// Do not show the shared shell on this terminal (and do not read keys from it)
    #[arg(long)]
    pub quiet: bool,
}

/// The shell to run: `--shell`, else `$SHELL`, else `/bin/sh`.
pub fn shell_program(shell: Option<PathBuf>, env_shell: Option<std::ffi::OsString>) -> PathBuf {
    shell
        .or_else(|| env_shell.filter(|s| !s.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

/// Whether Input from the engineer may reach the shell under these scopes.
pub fn input_allowed(scopes: &[i32]) -> bool {
    scope::allows_control(scopes)
}

/// Joins, starts the shell and relays until the session ends.
pub async fn run(args: AgentArgs, clients: &Clients, _out: OutputFormat) -> Result<(), CliError> {
    let plain = Console { raw: false };
    if args.wait {
        wait_for_consent(clients, &args.session, plain).await?;
    }
    let live = live::join(
        clients,
        &args.session,
        ParticipantRole::Agent,
        Purpose::ProvideSupport,
    )
    .await?;
    plain.note(&live::joined_text(&live.joined));
    let control = input_allowed(&live.joined.scopes);
    plain.note(if control {
        "this shell is shared: the engineer sees it and may type into it; everything is recorded"
    } else {
        "this shell is shared view-only: the engineer sees it but cannot type; everything is recorded"
    });
    let interactive = !args.quiet && owns_terminal();
    let size = if !args.quiet && std::io::stdout().is_terminal() {
        window_size().unwrap_or(DEFAULT_SIZE)
    } else {
        DEFAULT_SIZE
    };
    let program = shell_program(args.shell, std::env::var_os("SHELL"));
    let (shell, output) = Shell::spawn(&program, size, &args.session)?;
    if interactive {
        plain.note(escape::HELP);
    }
    let raw = if interactive {
        Some(RawMode::enable()?)
    } else {
        None
    };
    let mut agent = Agent {
        console: Console { raw: raw.is_some() },
        roster: Roster::default(),
        outbound: live.outbound,
        shell,
        control,
        mirror: !args.quiet,
        escapes: Escapes::default(),
        ending: None,
        shell_gone: None,
        warned_input: false,
    };
    let result = agent.run(live.inbound, output, interactive).await;
    agent.shell.kill();
    drop(raw);
    result
}

/// Polls the session until consent is granted (READY or ACTIVE).
async fn wait_for_consent(
    clients: &Clients,
    session_id: &str,
    console: Console,
) -> Result<(), CliError> {
    let mut said = false;
    loop {
        let session = clients
            .sessions()
            .get_session(GetSessionRequest {
                session_id: session_id.to_owned(),
            })
            .await?
            .into_inner();
        match SessionState::try_from(session.state) {
            Ok(SessionState::Ready | SessionState::Active) => return Ok(()),
            Ok(SessionState::PendingConsent) => {
                if !said {
                    console.note(&format!(
                        "waiting for the customer to consent to session {session_id}…"
                    ));
                    said = true;
                }
            }
            Ok(SessionState::Declined) => {
                return Err(CliError::failed(format!(
                    "session {session_id} was declined by the customer"
                )))
            }
            Ok(SessionState::Ended) => {
                return Err(CliError::failed(format!(
                    "session {session_id} has ended: {}",
                    live::end_text(session.end_reason)
                )))
            }
            Ok(SessionState::Unspecified) | Err(_) => {
                return Err(CliError::failed(format!(
                    "session {session_id} is in a state this client does not know ({})",
                    session.state
                )))
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

#[derive(Debug)]
struct Agent {
    console: Console,
    roster: Roster,
    outbound: tokio::sync::mpsc::Sender<Frame>,
    shell: Shell,
    /// The consent allows the engineer's input.
    control: bool,
    /// Show the shell's output on this terminal.
    mirror: bool,
    escapes: Escapes,
    /// When we sent End.
    ending: Option<Instant>,
    /// When the shell process was seen to have exited.
    shell_gone: Option<Instant>,
    warned_input: bool,
}

enum Step {
    Continue,
    Done(Result<(), CliError>),
}

impl Agent {
    async fn run(
        &mut self,
        mut inbound: tonic::Streaming<Frame>,
        output: tokio::sync::mpsc::Receiver<Chunk>,
        interactive: bool,
    ) -> Result<(), CliError> {
        let mut output = Some(output);
        let mut stdin = if interactive {
            Some(spawn_reader("stdin", std::io::stdin())?)
        } else {
            None
        };
        let mut interrupt = signal_stream(SignalKind::interrupt())?;
        let mut terminate = signal_stream(SignalKind::terminate())?;
        let mut hangup = signal_stream(SignalKind::hangup())?;
        let mut check = tokio::time::interval(Duration::from_millis(200));
        let (cols, rows) = self.shell.size();
        self.send(live::resize(cols, rows)).await;
        loop {
            let deadline = match (self.ending, self.shell_gone) {
                (Some(sent), _) => Some(sent + END_WAIT),
                (None, Some(gone)) => Some(gone + DRAIN),
                (None, None) => None,
            };
            let step = tokio::select! {
                message = inbound.message() => self.on_inbound(message).await,
                chunk = next_chunk(&mut output), if output.is_some() => match chunk {
                    Some(Ok(data)) => self.on_output(data).await,
                    Some(Err(_)) | None => {
                        // EIO or end of file: the shell and its children are gone.
                        output = None;
                        self.end("the shell exited").await
                    }
                },
                chunk = next_chunk(&mut stdin), if stdin.is_some() => match chunk {
                    Some(Ok(keys)) => self.on_keys(&keys).await,
                    Some(Err(_)) | None => {
                        stdin = None;
                        Step::Continue
                    }
                },
                _ = check.tick(), if self.shell_gone.is_none() => {
                    if self.shell.exited() {
                        self.shell_gone = Some(Instant::now());
                    }
                    Step::Continue
                }
                _ = interrupt.recv() => self.end("interrupted").await,
                _ = terminate.recv() => self.end("terminated").await,
                _ = hangup.recv() => self.end("hung up").await,
                () = sleep_until(deadline), if deadline.is_some() => {
                    if self.ending.is_some() {
                        Step::Done(Ok(()))
                    } else {
                        self.end("the shell exited").await
                    }
                }
            };
            if let Step::Done(result) = step {
                return result;
            }
        }
    }

    async fn on_inbound(&mut self, message: Result<Option<Frame>, tonic::Status>) -> Step {
        let frame = match live::received(message, self.ending.is_some()) {
            Ok(frame) => frame,
            Err(done) => return Step::Done(done),
        };
        match frame.kind {
            Some(Kind::Input(input)) => {
                if self.control {
                    self.shell.write(input.data.to_vec()).await;
                } else if !self.warned_input {
                    self.warned_input = true;
                    self.console.note(
                        "dropped input from the engineer: this session's consent is view-only",
                    );
                }
                Step::Continue
            }
            Some(Kind::Resize(resize)) => {
                if resize.cols > 0 && resize.rows > 0 {
                    match self.shell.resize(resize.cols, resize.rows) {
                        Ok((cols, rows)) => self.send(live::resize(cols, rows)).await,
                        Err(err) => self.console.note(&err.to_string()),
                    }
                }
                Step::Continue
            }
            Some(Kind::Chat(chat)) => {
                self.console.line(&self.roster.chat(&chat));
                Step::Continue
            }
            Some(Kind::Presence(presence)) => {
                let line = self.roster.presence(&presence);
                self.console.note(&line);
                Step::Continue
            }
            Some(Kind::End(end)) => {
                self.shell.kill();
                Step::Done(finish(self.console, end.reason))
            }
            Some(Kind::Output(_) | Kind::Join(_) | Kind::Joined(_)) | None => Step::Continue,
        }
    }

    async fn on_output(&mut self, data: Vec<u8>) -> Step {
        if self.mirror {
            if let Err(err) = write_stdout(&data) {
                // The local view is gone; the session itself carries on.
                self.mirror = false;
                self.console.note(&err.to_string());
            }
        }
        self.send(live::output(data)).await;
        Step::Continue
    }

    /// Keys typed by the customer on this terminal: their own shell, always theirs.
    async fn on_keys(&mut self, keys: &[u8]) -> Step {
        for action in self.escapes.feed(keys) {
            match action {
                Action::Send(data) => self.shell.write(data).await,
                Action::ChatStarted => self.console.line("[chat] type a message, Enter sends it:"),
                Action::ChatEcho(echo) => {
                    let _ = std::io::Write::write_all(&mut std::io::stderr(), &echo);
                }
                Action::Chat(text) => {
                    self.console.line("[chat] sent");
                    self.send(live::chat(text)).await;
                }
                Action::ChatCancelled => self.console.line("[chat cancelled]"),
                Action::Help => self.console.note(escape::HELP),
                Action::End => return self.end("ended with ~.").await,
            }
        }
        Step::Continue
    }

    /// Sends End (once), stops the shell and waits for the gateway's End.
    async fn end(&mut self, why: &str) -> Step {
        if self.ending.is_some() {
            return Step::Continue;
        }
        self.console.note(&format!("ending the session: {why}"));
        self.shell.kill();
        self.send(live::end()).await;
        self.ending = Some(Instant::now());
        Step::Continue
    }

    async fn send(&self, frame: Frame) {
        let _ = self.outbound.send(frame).await;
    }
}
