//! The shared shell: a child process on a pseudo-terminal, its output read on one
//! thread and its input written on another, so that neither blocks the session.

use std::fmt;
use std::path::Path;

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use tokio::sync::mpsc;

use super::super::error::CliError;
use super::super::terminal::tty::{spawn_reader, Chunk};

/// Largest window accepted from a Resize, in either dimension.
pub const MAX_CELLS: u32 = 1000;

/// A shell running on a pseudo-terminal.
pub struct Shell {
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    input: mpsc::Sender<Vec<u8>>,
}

impl fmt::Debug for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shell")
            .field("pid", &self.child.process_id())
            .finish_non_exhaustive()
    }
}

/// The window size used when there is no local terminal to take it from.
pub const DEFAULT_SIZE: (u16, u16) = (80, 24);

impl Shell {
    /// Starts `program` on a new pseudo-terminal of `size` (columns, rows), in the
    /// current directory, with `TERM` set if it is not. Returns the shell and the
    /// receiver of its output (closed when the shell and everything it started have
    /// closed the terminal).
    pub fn spawn(
        program: &Path,
        size: (u16, u16),
        session_id: &str,
    ) -> Result<(Self, mpsc::Receiver<Chunk>), CliError> {
        let failed =
            |what: &str, err: &dyn fmt::Display| CliError::failed(format!("cannot {what}: {err}"));
        let pair = native_pty_system()
            .openpty(pty_size(size.0, size.1))
            .map_err(|e| failed("open a pseudo-terminal", &e))?;
        let mut command = CommandBuilder::new(program);
        if let Ok(dir) = std::env::current_dir() {
            command.cwd(dir);
        }
        if std::env::var_os("TERM").is_none_or(|term| term.is_empty()) {
            command.env("TERM", "xterm-256color");
        }
        command.env("SUPPORTGATE_SESSION", session_id);
        let child = pair
            .slave
            .spawn_command(command)
            .map_err(|e| failed(&format!("start {}", program.display()), &e))?;
        // Only the child keeps the terminal's other end open: when it (and whatever
        // it started) exits, reading the output ends.
        drop(pair.slave);
        let reader = pair
            .master
            .try_clone_reader()
            .map_err(|e| failed("read the pseudo-terminal", &e))?;
        let mut writer = pair
            .master
            .take_writer()
            .map_err(|e| failed("write to the pseudo-terminal", &e))?;
        let output = spawn_reader("shell output", reader)?;
        let (input, mut queue) = mpsc::channel::<Vec<u8>>(16);
        std::thread::Builder::new()
            .name("shell input".to_owned())
            .spawn(move || {
                while let Some(data) = queue.blocking_recv() {
                    if writer
                        .write_all(&data)
                        .and_then(|()| writer.flush())
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .map_err(|e| failed("start the shell input writer", &e))?;
        Ok((
            Self {
                master: pair.master,
                child,
                input,
            },
            output,
        ))
    }

    /// Types `data` into the shell (waits while the shell is not reading).
    pub async fn write(&self, data: Vec<u8>) {
        let _ = self.input.send(data).await;
    }

    /// Resizes the terminal to what was asked (clamped to 1..=[`MAX_CELLS`]) and
    /// returns the size it now has.
    pub fn resize(&self, cols: u32, rows: u32) -> Result<(u16, u16), CliError> {
        let clamp = |n: u32| u16::try_from(n.clamp(1, MAX_CELLS)).unwrap_or(80);
        self.master
            .resize(pty_size(clamp(cols), clamp(rows)))
            .map_err(|e| CliError::failed(format!("cannot resize the pseudo-terminal: {e}")))?;
        Ok(self.size())
    }

    /// The terminal's actual size (columns, rows).
    pub fn size(&self) -> (u16, u16) {
        self.master
            .get_size()
            .map_or(DEFAULT_SIZE, |size| (size.cols, size.rows))
    }

    /// Whether the shell process has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Ends the shell: SIGHUP, then SIGKILL if it is still there shortly after.
    pub fn kill(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
        }
        let _ = self.child.try_wait();
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        self.kill();
    }
}

fn pty_size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}
