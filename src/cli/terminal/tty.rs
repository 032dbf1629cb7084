//! The local terminal: raw mode that is always restored, its size, and reading a
//! blocking source (standard input, a pseudo-terminal) on a thread of its own.

use std::io::Read;

use tokio::sync::mpsc;

use super::super::error::CliError;

/// Raw mode on the controlling terminal for as long as this value lives: keys reach
/// us one by one, unechoed, Ctrl-C included. Dropping it (also on an error return or
/// a panic) restores the terminal.
#[derive(Debug)]
pub struct RawMode(());

impl RawMode {
    /// Enters raw mode.
    pub fn enable() -> Result<Self, CliError> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| CliError::failed(format!("cannot put the terminal in raw mode: {e}")))?;
        Ok(Self(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// The local terminal's size as (columns, rows), when there is one.
pub fn window_size() -> Option<(u16, u16)> {
    crossterm::terminal::size()
        .ok()
        .filter(|&(cols, rows)| cols > 0 && rows > 0)
}

/// What a reader thread delivers: a chunk of bytes, or the error that stopped it.
/// The channel closing means end of file.
pub type Chunk = std::io::Result<Vec<u8>>;

/// Reads `source` on a plain thread (not tokio's blocking pool, whose threads the
/// runtime waits for at exit: a read blocked on a terminal cannot be cancelled) and
/// delivers what it reads on a bounded channel, so a slow consumer stops the reads.
pub fn spawn_reader<R>(name: &str, mut source: R) -> Result<mpsc::Receiver<Chunk>, CliError>
where
    R: Read + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(16);
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let mut buffer = vec![0u8; 16 * 1024];
            loop {
                match source.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        if sender.blocking_send(Ok(buffer[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = sender.blocking_send(Err(e));
                        break;
                    }
                }
            }
        })
        .map_err(|e| CliError::failed(format!("cannot start the {name} reader: {e}")))?;
    Ok(receiver)
}

/// Whether standard input is a terminal this process owns: one it may put in raw mode.
///
/// ## Why the foreground check
/// A process started in the background (`supportgate agent … &`) that changes its
/// terminal's mode is stopped by the kernel (SIGTTOU) and would sit there, joined to
/// the session but relaying nothing. In the background it runs as with piped input
/// instead.
pub fn owns_terminal() -> bool {
    let stdin = std::io::stdin();
    std::io::IsTerminal::is_terminal(&stdin)
        && rustix::termios::tcgetpgrp(&stdin).is_ok_and(|group| group == rustix::process::getpgrp())
}
