//! `supportgate recording play REC`: downloads a terminal recording (the stored
//! stream of length-delimited RecordedFrame messages, see [`crate::recording`]) and
//! replays it as it arrives: the agent's output on stdout with the recorded pauses
//! (each cut to `--max-idle`, then divided by `--speed`, as asciinema does), chat,
//! presence and the end on stderr where they fall. The engineer's input is not
//! replayed: the shell's echo of it is in the output already.

use std::io::IsTerminal;

use super::super::connect::Clients;
use super::super::error::{chain, CliError};
use super::super::session::live::{self, Console, Roster};
use super::super::terminal::{tty::window_size, write_stdout};
use super::PlayArgs;
use crate::proto::{
    download_recording_response::Part, frame::Kind, DownloadRecordingRequest, RecordedFrame,
};
use crate::recording::{FrameDecoder, PlaybackOptions, PlaybackTimer, TerminalSize};

/// The media type of a session recording's stored form.
pub const FRAMES_MEDIA_TYPE: &str = "application/x-supportgate-frames";

/// Downloads and replays.
pub async fn run(clients: &Clients, args: PlayArgs) -> Result<(), CliError> {
    let options = PlaybackOptions::new(args.speed, args.max_idle)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let mut stream = clients
        .recordings()
        .download_recording(DownloadRecordingRequest {
            recording_id: args.recording.clone(),
            purpose: args.purpose.to_proto().into(),
            range: None,
        })
        .await?
        .into_inner();
    let Some(Part::Header(header)) = stream.message().await?.and_then(|m| m.part) else {
        return Err(CliError::failed(
            "the gateway did not start the download with a header",
        ));
    };
    if !header.media_type.is_empty() && header.media_type != FRAMES_MEDIA_TYPE {
        return Err(CliError::usage(format!(
            "recording {} is {}, not a terminal session; use `supportgate recording download`",
            args.recording, header.media_type
        )));
    }
    let mut player = Player {
        console: Console { raw: false },
        roster: Roster::default(),
        timer: PlaybackTimer::new(options),
        size_checked: false,
    };
    let mut decoder = FrameDecoder::new();
    while let Some(message) = stream.message().await? {
        if let Some(Part::Chunk(chunk)) = message.part {
            decoder.push(&chunk.data);
            while let Some(frame) = decoder.next().map_err(|e| damaged(&e))? {
                player.show(frame).await?;
            }
        }
    }
    match decoder.finish() {
        Ok(_) => Ok(()),
        Err(e) if e.is_truncation() => {
            player
                .console
                .note("the recording stops in the middle of a frame: it is incomplete");
            Ok(())
        }
        Err(e) => Err(damaged(&e)),
    }
}

fn damaged(err: &(dyn std::error::Error + 'static)) -> CliError {
    CliError::failed(format!("the recording is damaged: {}", chain(err)))
}

#[derive(Debug)]
struct Player {
    console: Console,
    roster: Roster,
    timer: PlaybackTimer,
    size_checked: bool,
}

impl Player {
    async fn show(&mut self, recorded: RecordedFrame) -> Result<(), CliError> {
        if !self.size_checked {
            if let Some(size) = TerminalSize::reported_by(&recorded) {
                self.size_checked = true;
                self.check_size(size);
            }
        }
        if let Some(step) = self.timer.step(&recorded) {
            if !step.delay.is_zero() {
                tokio::time::sleep(step.delay).await;
            }
            return write_stdout(&step.data);
        }
        match recorded.frame.and_then(|f| f.kind) {
            Some(Kind::Chat(chat)) => self.console.line(&self.roster.chat(&chat)),
            Some(Kind::Presence(presence)) => {
                let line = self.roster.presence(&presence);
                self.console.note(&line);
            }
            Some(Kind::End(end)) => {
                self.console.fresh_line();
                self.console
                    .note(&format!("session ended: {}", live::end_text(end.reason)));
            }
            _ => {}
        }
        Ok(())
    }

    /// Says so when this terminal is smaller than the recorded one.
    fn check_size(&self, size: TerminalSize) {
        if !std::io::stdout().is_terminal() {
            return;
        }
        if let Some((cols, rows)) = window_size() {
            if u32::from(cols) < size.cols || u32::from(rows) < size.rows {
                self.console.note(&format!(
                    "recorded at {}x{}; this terminal is {cols}x{rows}: enlarge it for a faithful replay",
                    size.cols, size.rows
                ));
            }
        }
    }
}
