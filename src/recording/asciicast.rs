//! Export of a terminal recording as asciicast v2
//! (<https://docs.asciinema.org/manual/asciicast/v2/>), which asciinema's player and
//! many others play.
//!
//! One JSON header line, then one event per line, `[seconds, code, data]`:
//!
//! | frame                                  | event                                    |
//! |----------------------------------------|------------------------------------------|
//! | Output                                 | `"o"`, the text                          |
//! | Input (only when asked: it may hold secrets) | `"i"`, the text                    |
//! | Resize from the agent (actual size)    | `"r"`, `"COLSxROWS"`                     |
//! | Chat                                   | `"m"`, `chat from <role> <subject>: <text>` |
//! | Presence                               | `"m"`, `<role> <name> (<subject>) joined` / `left` |
//! | End                                    | `"m"`, `session ended: <reason>`         |
//!
//! Resizes the engineer asks for, Join and Joined are not exported. Times are
//! `elapsed_micros` as seconds with six decimals, never going backwards.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::Serialize;

use super::utf8::Utf8Stream;
use super::{FrameReader, RecordingError};
use crate::proto::{self, frame::Kind, FrameDirection, ParticipantRole, SessionEndReason};

/// A terminal size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalSize {
    /// Columns.
    pub cols: u32,
    /// Rows.
    pub rows: u32,
}

impl TerminalSize {
    /// The size assumed when a recording has no Resize from the agent: 80×24.
    pub const DEFAULT: Self = Self { cols: 80, rows: 24 };

    /// The actual size the agent reported in `frame`, if it is such a Resize.
    pub fn reported_by(frame: &proto::RecordedFrame) -> Option<Self> {
        match frame.frame.as_ref()?.kind.as_ref()? {
            Kind::Resize(r) if frame.direction == FrameDirection::AgentToViewers as i32 => {
                Some(Self {
                    cols: r.cols,
                    rows: r.rows,
                })
            }
            _ => None,
        }
    }
}

impl Default for TerminalSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The size a terminal recording starts at: the first Resize the agent reported, or
/// [`TerminalSize::DEFAULT`]. Reads `recording` (the stored form) only up to that frame.
///
/// ## Why a separate pass
/// The asciicast header, which holds the size, comes before every event; callers that
/// stream the recording read it twice rather than buffer it. A recording cut short
/// before any Resize gets the default; any other error is returned.
pub fn initial_size<R: Read>(recording: R) -> Result<TerminalSize, RecordingError> {
    for frame in FrameReader::new(recording) {
        match frame {
            Ok(frame) => {
                if let Some(size) = TerminalSize::reported_by(&frame) {
                    return Ok(size);
                }
            }
            Err(e) if e.is_truncation() => break,
            Err(e) => return Err(e),
        }
    }
    Ok(TerminalSize::DEFAULT)
}

/// The asciicast v2 header line.
#[derive(Debug, Clone, Default)]
pub struct AsciicastHeader {
    /// The initial terminal size (see [`initial_size`]).
    pub size: TerminalSize,
    /// When the session started, in seconds since the Unix epoch.
    pub timestamp: Option<i64>,
    /// A title for players to show.
    pub title: Option<String>,
    /// Environment of the recorded shell (`SHELL`, `TERM`), when known.
    pub env: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct HeaderLine<'a> {
    version: u8,
    width: u32,
    height: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    env: &'a BTreeMap<String, String>,
}

/// Writes a terminal recording as asciicast v2: the header when created, then one
/// event per [`write_frame`](Self::write_frame); [`finish`](Self::finish) at the end.
///
/// Output is not necessarily UTF-8 and a character may be split across frames: an
/// incomplete character at the end of a frame waits for the next one of the same
/// stream, and bytes that can never be UTF-8 become U+FFFD.
#[derive(Debug)]
pub struct AsciicastWriter<W: Write> {
    out: W,
    include_input: bool,
    output: Utf8Stream,
    input: Utf8Stream,
    last_micros: u64,
    line: Vec<u8>,
    text: String,
}

impl<W: Write> AsciicastWriter<W> {
    /// Writes the header (no `env`) and returns a writer for the events. Input is
    /// left out unless [`include_input`](Self::include_input) says otherwise.
    pub fn new(
        out: W,
        cols: u32,
        rows: u32,
        start_unix_seconds: Option<i64>,
        title: Option<&str>,
    ) -> Result<Self, RecordingError> {
        let header = AsciicastHeader {
            size: TerminalSize { cols, rows },
            timestamp: start_unix_seconds,
            title: title.map(str::to_owned),
            env: BTreeMap::new(),
        };
        Self::with_header(out, &header)
    }

    /// Writes `header` and returns a writer for the events.
    pub fn with_header(mut out: W, header: &AsciicastHeader) -> Result<Self, RecordingError> {
        let line = HeaderLine {
            version: 2,
            width: header.size.cols,
            height: header.size.rows,
            timestamp: header.timestamp,
            title: header.title.as_deref(),
            env: &header.env,
        };
        let mut bytes = serde_json::to_vec(&line).map_err(|e| RecordingError::Write(e.into()))?;
        bytes.push(b'\n');
        out.write_all(&bytes).map_err(RecordingError::Write)?;
        Ok(Self {
            out,
            include_input: false,
            output: Utf8Stream::default(),
            input: Utf8Stream::default(),
            last_micros: 0,
            line: Vec::new(),
            text: String::new(),
        })
    }

    /// Whether engineer Input becomes `"i"` events (default: no, as in
    /// `ExportRecordingRequest.include_input`, since input may hold typed secrets).
    pub fn include_input(mut self, include: bool) -> Self {
        self.include_input = include;
        self
    }

    /// Writes the event for one frame, if it has one.
    pub fn write_frame(&mut self, frame: &proto::RecordedFrame) -> Result<(), RecordingError> {
        let Some(kind) = frame.frame.as_ref().and_then(|f| f.kind.as_ref()) else {
            return Ok(());
        };
        self.last_micros = self.last_micros.max(frame.elapsed_micros);
        self.text.clear();
        let code = match kind {
            Kind::Output(o) => {
                self.output.decode(&o.data, &mut self.text);
                "o"
            }
            Kind::Input(i) if self.include_input => {
                self.input.decode(&i.data, &mut self.text);
                "i"
            }
            Kind::Resize(_) => match TerminalSize::reported_by(frame) {
                Some(size) => {
                    self.text = format!("{}x{}", size.cols, size.rows);
                    "r"
                }
                None => return Ok(()),
            },
            Kind::Chat(c) => {
                self.text = chat_marker(c, &frame.participant_id);
                "m"
            }
            Kind::Presence(p) => {
                self.text = presence_marker(p);
                "m"
            }
            Kind::End(e) => {
                self.text = format!("session ended: {}", end_reason(e.reason));
                "m"
            }
            Kind::Input(_) | Kind::Join(_) | Kind::Joined(_) => return Ok(()),
        };
        self.write_event(code)
    }

    /// Writes every frame of a stored recording read from `recording`, and returns how
    /// many frames were read. On an error, the events of the frames before it are
    /// written; a cut-short recording ends in an error that
    /// [`is_truncation`](RecordingError::is_truncation), after which the caller may
    /// still [`finish`](Self::finish).
    pub fn write_recording<R: Read>(&mut self, recording: R) -> Result<u64, RecordingError> {
        let mut frames = 0;
        for frame in FrameReader::new(recording) {
            self.write_frame(&frame?)?;
            frames += 1;
        }
        Ok(frames)
    }

    /// Ends the export: a character still cut becomes U+FFFD; flushes and returns the
    /// output.
    pub fn finish(mut self) -> Result<W, RecordingError> {
        self.text.clear();
        self.output.finish(&mut self.text);
        self.write_event("o")?;
        if self.include_input {
            self.text.clear();
            self.input.finish(&mut self.text);
            self.write_event("i")?;
        }
        self.out.flush().map_err(RecordingError::Write)?;
        Ok(self.out)
    }

    /// Writes `[seconds, code, text]` for the text in `self.text`, unless it is empty.
    fn write_event(&mut self, code: &str) -> Result<(), RecordingError> {
        if self.text.is_empty() {
            return Ok(());
        }
        self.line.clear();
        let (secs, micros) = (self.last_micros / 1_000_000, self.last_micros % 1_000_000);
        write!(self.line, "[{secs}.{micros:06}, \"{code}\", ").map_err(RecordingError::Write)?;
        serde_json::to_writer(&mut self.line, &self.text)
            .map_err(|e| RecordingError::Write(e.into()))?;
        self.line.extend_from_slice(b"]\n");
        self.out
            .write_all(&self.line)
            .map_err(RecordingError::Write)
    }
}

fn role_name(role: i32) -> &'static str {
    match ParticipantRole::try_from(role) {
        Ok(ParticipantRole::Agent) => "agent",
        Ok(ParticipantRole::Engineer) => "engineer",
        Ok(ParticipantRole::Observer) => "observer",
        _ => "participant",
    }
}

/// `chat from engineer <subject>: <text>`; the participant id when no subject is set.
fn chat_marker(chat: &proto::Chat, participant_id: &str) -> String {
    let from = [
        chat.from_subject_id.as_str(),
        chat.from_participant_id.as_str(),
        participant_id,
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .map(|s| format!(" {s}"))
    .unwrap_or_default();
    format!(
        "chat from {}{from}: {}",
        role_name(chat.from_role),
        chat.text
    )
}

/// `engineer Ada (<subject>) joined`, or without the name when there is none.
fn presence_marker(p: &proto::Presence) -> String {
    let what = if p.joined { "joined" } else { "left" };
    let role = role_name(p.role);
    match (p.subject_name.is_empty(), p.subject_id.is_empty()) {
        (false, false) => format!("{role} {} ({}) {what}", p.subject_name, p.subject_id),
        (false, true) => format!("{role} {} {what}", p.subject_name),
        (true, false) => format!("{role} {} {what}", p.subject_id),
        (true, true) => format!("{role} {what}"),
    }
}

/// `consent revoked` for `SESSION_END_REASON_CONSENT_REVOKED`.
fn end_reason(reason: i32) -> String {
    match SessionEndReason::try_from(reason) {
        Ok(SessionEndReason::Unspecified) | Err(_) => "unspecified".to_owned(),
        Ok(r) => r
            .as_str_name()
            .trim_start_matches("SESSION_END_REASON_")
            .to_lowercase()
            .replace('_', " "),
    }
}

#[cfg(test)]
mod tests;
