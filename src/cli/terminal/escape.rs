//! The escape sequences of an interactive session, after ssh's: recognised only at
//! the start of a line (at the very beginning, or right after Enter), so that a `~`
//! anywhere else is typed as usual.
//!
//! | keys            | effect                                                    |
//! |-----------------|-----------------------------------------------------------|
//! | `~.`            | end the session (observers: leave it)                     |
//! | `~c` TEXT Enter | send TEXT as a chat message (Esc or Ctrl-C cancels)       |
//! | `~~`            | type one `~`                                              |
//! | `~?`            | list the escapes                                          |
//!
//! A `~` followed by anything else is typed as it is, with that key. Piped standard
//! input has no escapes: every byte is input.

/// The help shown for `~?`.
pub const HELP: &str = "escapes at the start of a line: ~. end the session, ~c TEXT Enter send a \
                        chat message, ~~ type a ~, ~? this help";

/// What the keys typed so far ask for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bytes for the remote shell.
    Send(Vec<u8>),
    /// `~c` was typed: show a chat prompt.
    ChatStarted,
    /// Echo these bytes of the chat line being typed (locally, never sent).
    ChatEcho(Vec<u8>),
    /// Send this chat message.
    Chat(String),
    /// The chat line was abandoned.
    ChatCancelled,
    /// End the session.
    End,
    /// Show the escapes.
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Normal,
    Tilde,
    Chat(Vec<u8>),
}

/// Turns keystrokes into actions; keeps its state across reads, since in raw mode
/// each key arrives on its own.
#[derive(Debug, Clone)]
pub struct Escapes {
    state: State,
    line_start: bool,
}

impl Default for Escapes {
    fn default() -> Self {
        Self {
            state: State::Normal,
            line_start: true,
        }
    }
}

/// Longest chat line accepted (the gateway's limit for Chat.text is 4 KiB).
pub const MAX_CHAT: usize = 4096;

impl Escapes {
    /// Feeds bytes read from the terminal.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut send = Vec::new();
        for &byte in bytes {
            match std::mem::replace(&mut self.state, State::Normal) {
                State::Normal => {
                    if self.line_start && byte == b'~' {
                        self.state = State::Tilde;
                    } else {
                        send.push(byte);
                        self.line_start = is_enter(byte);
                    }
                }
                State::Tilde => match byte {
                    b'.' => {
                        flush(&mut send, &mut actions);
                        actions.push(Action::End);
                        self.line_start = true;
                    }
                    b'c' | b'C' => {
                        flush(&mut send, &mut actions);
                        actions.push(Action::ChatStarted);
                        self.state = State::Chat(Vec::new());
                    }
                    b'?' => {
                        flush(&mut send, &mut actions);
                        actions.push(Action::Help);
                        self.line_start = true;
                    }
                    b'~' => {
                        send.push(b'~');
                        self.line_start = false;
                    }
                    other => {
                        send.push(b'~');
                        send.push(other);
                        self.line_start = is_enter(other);
                    }
                },
                State::Chat(mut line) => match byte {
                    b'\r' | b'\n' => {
                        let text = String::from_utf8_lossy(&line).trim().to_owned();
                        actions.push(if text.is_empty() {
                            Action::ChatCancelled
                        } else {
                            Action::Chat(text)
                        });
                        self.line_start = true;
                    }
                    0x1b | 0x03 => {
                        actions.push(Action::ChatCancelled);
                        self.line_start = true;
                    }
                    0x7f | 0x08 => {
                        // Remove one whole UTF-8 character.
                        let mut removed = false;
                        while let Some(last) = line.pop() {
                            removed = true;
                            if last & 0xC0 != 0x80 {
                                break;
                            }
                        }
                        if removed {
                            actions.push(Action::ChatEcho(b"\x08 \x08".to_vec()));
                        }
                        self.state = State::Chat(line);
                    }
                    0x15 => {
                        let width = String::from_utf8_lossy(&line).chars().count();
                        let mut erase = Vec::new();
                        for _ in 0..width {
                            erase.extend_from_slice(b"\x08 \x08");
                        }
                        if !erase.is_empty() {
                            actions.push(Action::ChatEcho(erase));
                        }
                        self.state = State::Chat(Vec::new());
                    }
                    control if control < 0x20 => self.state = State::Chat(line),
                    printable => {
                        if line.len() < MAX_CHAT {
                            line.push(printable);
                            actions.push(Action::ChatEcho(vec![printable]));
                        }
                        self.state = State::Chat(line);
                    }
                },
            }
        }
        flush(&mut send, &mut actions);
        merge_echo(actions)
    }

    /// Whether a chat line is being typed.
    #[cfg(test)]
    pub fn in_chat(&self) -> bool {
        matches!(self.state, State::Chat(_))
    }
}

fn is_enter(byte: u8) -> bool {
    byte == b'\r' || byte == b'\n'
}

fn flush(send: &mut Vec<u8>, actions: &mut Vec<Action>) {
    if !send.is_empty() {
        actions.push(Action::Send(std::mem::take(send)));
    }
}

/// Joins consecutive echoes into one write.
fn merge_echo(actions: Vec<Action>) -> Vec<Action> {
    let mut merged: Vec<Action> = Vec::with_capacity(actions.len());
    for action in actions {
        if let (Some(Action::ChatEcho(previous)), Action::ChatEcho(more)) =
            (merged.last_mut(), &action)
        {
            previous.extend_from_slice(more);
            continue;
        }
        merged.push(action);
    }
    merged
}
