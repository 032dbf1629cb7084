//! `supportgate terminal S`: the engineer's end of a remote session.
//!
//! Joins the session (`ConnectSession`, Join as ENGINEER, or as OBSERVER with
//! `--observe`) and connects it to this terminal:
//!
//! * **Interactive** (standard input is a terminal): raw mode, every key goes to the
//!   customer's shell as Input; the window size is sent as Resize at the start and on
//!   every SIGWINCH; Output is written to stdout unchanged. Escapes at the start of a
//!   line, after ssh's (see [`escape`]): `~.` ends the session, `~c TEXT` Enter sends
//!   a chat message, `~~` types a `~`, `~?` lists them.
//! * **Piped** (standard input is not a terminal), for scripts: no raw mode and no
//!   escapes; standard input is sent as Input, byte for byte. Once it has ended and
//!   the shell has printed nothing for `--idle-exit` (1s), the session is ended and
//!   the command exits 0. `echo 'echo hello-$((6*7))' | supportgate terminal S`
//!   prints the shell's echo of the command and `hello-42`.
//!
//! Input typed before the customer's agent has connected is held (bounded) and sent
//! when it arrives; `--wait-agent` bounds the wait. `--chat TEXT` sends a chat message
//! once joined. Chat and presence ("eve (engineer) is watching") print on stderr;
//! stdout carries only the shell's output.
//!
//! Observers (`--observe`; `--purpose improve-support` for support quality) see the
//! output and chat, never type: keys other than the escapes are dropped here, and
//! `~.` (or Ctrl-C when piped) leaves without ending the session.
//!
//! ## Exit codes
//! * 0: the session ended normally: the engineer ended it (`~.`, the end of piped
//!   input, Ctrl-C when piped) or the customer's side did (the shell exited, the
//!   agent stopped); an observer left.
//! * 1: the gateway refused the Join or a frame (e.g. Input without `control`
//!   consent: the one-line `error: PERMISSION_DENIED …`), or the session was cut
//!   short: consent revoked or expired, the recording failed, the case was closed,
//!   the gateway shut down, a credential was revoked, a participant was lost. The
//!   reason is printed as `error: session ended: …`.
//! * 2: usage errors, as everywhere.
//!
//! Under view-only consent (the Joined frame's scopes lack `control`), the gateway
//! refuses Input and the refusal ends the session. Interactively, keys are therefore
//! dropped here with a warning, so that a stray key does not end the customer's
//! session. Piped input is sent as it is: the gateway refuses it (and logs the
//! attempt), and the command exits 1 with the gateway's one-line error, e.g.
//! `error: PERMISSION_DENIED (CONTROL_NOT_CONSENTED): …`.

pub mod escape;
pub mod idle;
pub mod tty;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use self::escape::{Action, Escapes};
use self::idle::IdleExit;
use self::tty::{spawn_reader, window_size, Chunk, RawMode};
use super::args::{parse_id, PurposeArg};
use super::connect::Clients;
use super::error::CliError;
use super::session::expiry::parse_duration;
use super::session::live::{self, Console, Roster};
use super::session::scope;
use super::OutputFormat;
use crate::proto::{frame::Kind, Frame, ParticipantRole};

/// How long to wait for the gateway to confirm an End we sent before leaving anyway.
const END_WAIT: Duration = Duration::from_secs(3);
/// Most input held while waiting for the customer's agent to connect.
const MAX_PENDING: usize = 1024 * 1024;

/// Attach to a session.
#[derive(Debug, Args)]
#[command(after_help = "\
Interactive (a terminal on stdin): raw mode; at the start of a line ~. ends the session, \
~c TEXT Enter sends a chat message, ~~ types a ~, ~? lists the escapes.
Piped (stdin not a terminal): stdin is sent as input; once it ends and the output has been \
quiet for --idle-exit, the session is ended. Chat and presence go to stderr.
Exit codes: 0 the engineer or the customer ended the session; 1 refused, or cut short \
(consent revoked or expired, recording failed, …); 2 usage.")]
pub struct TerminalArgs {
    /// Session id
    #[arg(value_parser = parse_id)]
    pub session: String,
    /// Join read-only as an observer (support quality: with --purpose improve-support)
    #[arg(long)]
    pub observe: bool,
    /// Why you are joining
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "provide-support"
    )]
    pub purpose: PurposeArg,
    /// Send this chat message once joined (repeat for more)
    #[arg(long, value_name = "TEXT")]
    pub chat: Vec<String>,
    /// Piped input: after it ends, end the session once the output has been quiet this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1s")]
    pub idle_exit: Duration,
    /// Give up if the customer's agent has not connected within this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub wait_agent: Duration,
}

impl TerminalArgs {
    fn role(&self) -> ParticipantRole {
        if self.observe {
            ParticipantRole::Observer
        } else {
            ParticipantRole::Engineer
        }
    }
}

/// Checks `--chat` values before anything is sent.
pub fn check_chat(messages: &[String]) -> Result<(), CliError> {
    for text in messages {
        if text.trim().is_empty() {
            return Err(CliError::usage("--chat needs a non-empty message"));
        }
        if text.len() > escape::MAX_CHAT {
            return Err(CliError::usage(format!(
                "--chat messages are at most {} bytes (this one has {})",
                escape::MAX_CHAT,
                text.len()
            )));
        }
    }
    Ok(())
}

/// Joins the session and runs it until it ends; see the module docs.
pub async fn run(
    args: TerminalArgs,
    clients: &Clients,
    _out: OutputFormat,
) -> Result<(), CliError> {
    check_chat(&args.chat)?;
    let role = args.role();
    let interactive = std::io::stdin().is_terminal();
    let live = live::join(clients, &args.session, role, args.purpose.to_proto()).await?;
    let plain = Console { raw: false };
    plain.note(&live::joined_text(&live.joined));
    let control = scope::allows_control(&live.joined.scopes);
    if role == ParticipantRole::Engineer && !control {
        plain.note(if interactive {
            "view-only consent: you can watch and chat; keys are not sent"
        } else {
            "view-only consent: the gateway will refuse the input"
        });
    }
    // The gateway follows the Joined with the presence of everyone already there: the
    // agent counts as present once its Presence (or its first output) arrives.
    let agent_present = role == ParticipantRole::Observer;
    let raw = if interactive {
        plain.note(escape::HELP);
        Some(RawMode::enable()?)
    } else {
        None
    };
    let mut terminal = Terminal {
        session_id: args.session.clone(),
        role,
        interactive,
        console: Console { raw: raw.is_some() },
        roster: Roster::default(),
        outbound: live.outbound,
        agent_present,
        pending: VecDeque::new(),
        pending_bytes: 0,
        escapes: Escapes::default(),
        idle: IdleExit::new(args.idle_exit),
        ending: None,
        warned_read_only: false,
        stdin_closed: false,
        control,
    };
    let result = terminal.run(live.inbound, args.chat, args.wait_agent).await;
    drop(raw);
    result
}

/// Which timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Piped input is done and the output has been quiet for --idle-exit.
    Idle,
    /// We sent End and the gateway has not confirmed it.
    EndWait,
    /// The agent did not connect within --wait-agent.
    AgentWait,
}

#[derive(Debug)]
struct Terminal {
    session_id: String,
    role: ParticipantRole,
    interactive: bool,
    console: Console,
    roster: Roster,
    outbound: mpsc::Sender<Frame>,
    agent_present: bool,
    /// Input and chat held until the agent is there.
    pending: VecDeque<Frame>,
    pending_bytes: usize,
    escapes: Escapes,
    idle: IdleExit,
    /// When we sent End (or decided to leave).
    ending: Option<Instant>,
    warned_read_only: bool,
    /// Standard input has ended.
    stdin_closed: bool,
    /// The consent in force allows input.
    control: bool,
}

/// How the loop ends.
enum Step {
    Continue,
    Done(Result<(), CliError>),
}

impl Terminal {
    async fn run(
        &mut self,
        mut inbound: tonic::Streaming<Frame>,
        chats: Vec<String>,
        wait_agent: Duration,
    ) -> Result<(), CliError> {
        let engineer = self.role == ParticipantRole::Engineer;
        let mut stdin = if engineer || self.interactive {
            Some(spawn_reader("stdin", std::io::stdin())?)
        } else {
            None
        };
        let mut winch = if self.interactive && engineer {
            Some(signal_stream(SignalKind::window_change())?)
        } else {
            None
        };
        let mut interrupt = signal_stream(SignalKind::interrupt())?;
        let mut terminate = signal_stream(SignalKind::terminate())?;
        let agent_deadline = Instant::now() + wait_agent;
        self.send_size().await;
        for text in chats {
            self.queue(live::chat(text)).await?;
        }
        loop {
            let timer = self.next_timer(agent_deadline);
            let step = tokio::select! {
                message = inbound.message() => self.on_inbound(message).await,
                chunk = next_chunk(&mut stdin), if stdin.is_some() => {
                    match chunk {
                        Some(chunk) => self.on_stdin(chunk).await,
                        None => {
                            stdin = None;
                            self.on_stdin_closed();
                            Step::Continue
                        }
                    }
                }
                () = next_signal(&mut winch), if winch.is_some() => {
                    self.send_size().await;
                    Step::Continue
                }
                _ = interrupt.recv() => self.end_or_leave("interrupted").await,
                _ = terminate.recv() => self.end_or_leave("terminated").await,
                () = sleep_until(timer.map(|(at, _)| at)), if timer.is_some() => {
                    match timer.map(|(_, which)| which) {
                        Some(Timer::Idle) => self.end_or_leave("input done and output quiet").await,
                        Some(Timer::EndWait) => Step::Done(Ok(())),
                        Some(Timer::AgentWait) => Step::Done(Err(self.no_agent())),
                        None => Step::Continue,
                    }
                }
            };
            if let Step::Done(result) = step {
                return result;
            }
        }
    }

    fn no_agent(&self) -> CliError {
        CliError::failed(format!(
            "no agent connected to session {id} in time; is `supportgate agent --session {id}` \
             running on the customer's machine?",
            id = self.session_id
        ))
    }

    /// The earliest pending timer.
    fn next_timer(&self, agent_deadline: Instant) -> Option<(Instant, Timer)> {
        if let Some(sent) = self.ending {
            return Some((sent + END_WAIT, Timer::EndWait));
        }
        let mut timers = Vec::new();
        if !self.agent_present {
            timers.push((agent_deadline, Timer::AgentWait));
        }
        if !self.interactive && self.role == ParticipantRole::Engineer {
            if let Some(at) = self.idle.deadline() {
                timers.push((Instant::from_std(at), Timer::Idle));
            }
        }
        timers.into_iter().min_by_key(|(at, _)| *at)
    }

    async fn on_inbound(&mut self, message: Result<Option<Frame>, tonic::Status>) -> Step {
        let frame = match live::received(message, self.ending.is_some()) {
            Ok(frame) => frame,
            Err(done) => return Step::Done(done),
        };
        match frame.kind {
            Some(Kind::Output(output)) => {
                self.idle.output(std::time::Instant::now());
                if let Err(err) = write_stdout(&output.data) {
                    return Step::Done(Err(err));
                }
                self.agent_arrived().await
            }
            Some(Kind::Resize(_)) => self.agent_arrived().await,
            Some(Kind::Chat(chat)) => {
                self.console.line(&self.roster.chat(&chat));
                Step::Continue
            }
            Some(Kind::Presence(presence)) => {
                let line = self.roster.presence(&presence);
                self.console.note(&line);
                if presence.joined && presence.role == ParticipantRole::Agent as i32 {
                    return self.agent_arrived().await;
                }
                Step::Continue
            }
            Some(Kind::End(end)) => Step::Done(finish(self.console, end.reason)),
            Some(Kind::Join(_) | Kind::Joined(_) | Kind::Input(_)) | None => Step::Continue,
        }
    }

    /// The agent is connected: send the size again (it may have missed the first)
    /// and whatever was held for it.
    async fn agent_arrived(&mut self) -> Step {
        if self.agent_present {
            return Step::Continue;
        }
        self.agent_present = true;
        self.send_size().await;
        while let Some(frame) = self.pending.pop_front() {
            self.send(frame).await;
        }
        self.pending_bytes = 0;
        if self.stdin_closed {
            self.idle.input_done(std::time::Instant::now());
        }
        Step::Continue
    }

    async fn on_stdin(&mut self, chunk: Chunk) -> Step {
        let bytes = match chunk {
            Ok(bytes) => bytes,
            Err(err) => {
                return Step::Done(Err(CliError::failed(format!(
                    "cannot read standard input: {err}"
                ))))
            }
        };
        if !self.interactive {
            return match self.queue(live::input(bytes)).await {
                Ok(()) => Step::Continue,
                Err(err) => Step::Done(Err(err)),
            };
        }
        for action in self.escapes.feed(&bytes) {
            let step = match action {
                Action::Send(data) => self.type_keys(data).await,
                Action::ChatStarted => {
                    raw_stderr(b"\r\n[chat] > ");
                    Ok(())
                }
                Action::ChatEcho(echo) => {
                    raw_stderr(&echo);
                    Ok(())
                }
                Action::Chat(text) => {
                    raw_stderr(b"\r\n");
                    self.queue(live::chat(text)).await
                }
                Action::ChatCancelled => {
                    raw_stderr(b"\r\n[chat cancelled]\r\n");
                    Ok(())
                }
                Action::Help => {
                    self.console.note(escape::HELP);
                    Ok(())
                }
                Action::End => return self.end_or_leave("ended with ~.").await,
            };
            if let Err(err) = step {
                return Step::Done(Err(err));
            }
        }
        Step::Continue
    }

    /// Keys typed for the shell: sent by an engineer with control consent; dropped,
    /// with one warning, for an observer or under view-only consent (a refused Input
    /// would end the session for everyone: one stray key must not do that).
    async fn type_keys(&mut self, data: Vec<u8>) -> Result<(), CliError> {
        if self.role == ParticipantRole::Observer || !self.control {
            if !self.warned_read_only {
                self.warned_read_only = true;
                self.console
                    .note(if self.role == ParticipantRole::Observer {
                        "observers are read-only: keys are not sent (~. leaves, ~c chats)"
                    } else {
                        "view-only consent: keys are not sent (~. ends, ~c chats)"
                    });
            }
            return Ok(());
        }
        self.queue(live::input(data)).await
    }

    fn on_stdin_closed(&mut self) {
        self.stdin_closed = true;
        if self.interactive {
            return;
        }
        if self.agent_present {
            self.idle.input_done(std::time::Instant::now());
        }
    }

    /// Sends a frame for the agent now, or holds it until the agent is there.
    async fn queue(&mut self, frame: Frame) -> Result<(), CliError> {
        if self.agent_present {
            self.send(frame).await;
            return Ok(());
        }
        self.pending_bytes += frame_len(&frame);
        if self.pending_bytes > MAX_PENDING {
            return Err(CliError::failed(
                "more than 1 MiB of input is waiting for the customer's agent to connect; giving up",
            ));
        }
        self.pending.push_back(frame);
        Ok(())
    }

    /// Sends a frame. A closed stream is not reported here: the inbound half says why.
    async fn send(&self, frame: Frame) {
        let _ = self.outbound.send(frame).await;
    }

    /// Interactive engineers tell the agent their window size.
    async fn send_size(&self) {
        if !self.interactive || self.role != ParticipantRole::Engineer {
            return;
        }
        if let Some((cols, rows)) = window_size() {
            self.send(live::resize(cols, rows)).await;
        }
    }

    /// Engineers end the session and wait for the gateway's End; observers just leave.
    async fn end_or_leave(&mut self, why: &str) -> Step {
        if self.ending.is_some() {
            return Step::Continue;
        }
        if self.role == ParticipantRole::Observer {
            // An observer's End only takes it out of the session.
            self.send(live::end()).await;
            self.console.note(&format!("left the session ({why})"));
            return Step::Done(Ok(()));
        }
        self.send(live::end()).await;
        self.ending = Some(Instant::now());
        Step::Continue
    }
}

/// The result of a session that ended for `reason`: success for a normal end (the
/// reason is noted on stderr), the one-line error otherwise.
pub fn finish(console: Console, reason: i32) -> Result<(), CliError> {
    console.fresh_line();
    if live::ended_normally(reason) {
        console.note(&format!("session ended: {}", live::end_text(reason)));
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "session ended: {}",
            live::end_text(reason)
        )))
    }
}

fn frame_len(frame: &Frame) -> usize {
    match &frame.kind {
        Some(Kind::Input(input)) => input.data.len(),
        Some(Kind::Chat(chat)) => chat.text.len(),
        _ => 0,
    }
}

/// The shell's output, unchanged, on stdout.
pub fn write_stdout(data: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failed(format!("cannot write to stdout: {e}")))
}

/// Bytes on stderr as they are (chat prompt and echo in raw mode).
fn raw_stderr(bytes: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes);
    let _ = err.flush();
}

/// A Unix signal as a stream.
pub fn signal_stream(kind: SignalKind) -> Result<Signal, CliError> {
    signal(kind).map_err(|e| CliError::failed(format!("cannot watch signals: {e}")))
}

/// The next signal, or never when there is no stream.
pub async fn next_signal(stream: &mut Option<Signal>) {
    match stream {
        Some(stream) => {
            if stream.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// The next chunk from a reader thread; `None` at its end; never when there is none.
pub async fn next_chunk(receiver: &mut Option<mpsc::Receiver<Chunk>>) -> Option<Chunk> {
    match receiver {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`, or forever.
pub async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
