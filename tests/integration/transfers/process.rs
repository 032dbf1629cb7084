//! The real `supportgate` binary, twice: as the client a customer types into a shell
//! (`Shell`), and as `serve --dev` in a child process (`Gateway`) that can be killed
//! with SIGKILL and started again on the same port and data directory.
//!
//! Adapted from `tests/integration/cli.rs`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_supportgate");

/// The client binary pointed at one gateway, with token files in `dir`.
pub struct Shell {
    pub dir: PathBuf,
    pub server: String,
    pub ca: PathBuf,
}

/// What a command did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Shell {
    /// The command, not started: environment and working directory set.
    pub fn command(&self, token: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("SUPPORTGATE_SERVER", &self.server)
            .env("SUPPORTGATE_CA", &self.ca)
            .env("SUPPORTGATE_TOKEN", token)
            .kill_on_drop(true);
        command
    }

    pub async fn run(&self, token: &Path, args: &[&str]) -> Run {
        let output = self
            .command(token, args)
            .output()
            .await
            .expect("run the client");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }

    /// Runs a command that must succeed; returns its trimmed stdout.
    pub async fn ok(&self, token: &Path, args: &[&str]) -> String {
        let run = self.run(token, args).await;
        assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
        run.stdout.trim().to_owned()
    }

    /// Runs a command with `--output json` that must succeed; returns the parsed value
    /// and what it said on stderr.
    pub async fn json(&self, token: &Path, args: &[&str]) -> (Value, String) {
        let mut args = args.to_vec();
        args.extend(["--output", "json"]);
        let run = self.run(token, &args).await;
        assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
        let value = serde_json::from_str(run.stdout.trim()).expect("one JSON value on stdout");
        (value, run.stderr)
    }

    /// Runs a command the gateway must refuse; returns the one error line.
    pub async fn refused(&self, token: &Path, args: &[&str]) -> String {
        let run = self.run(token, args).await;
        assert_eq!(run.code, 1, "{args:?} should be refused: {}", run.stdout);
        assert!(
            run.stdout.is_empty(),
            "nothing on stdout when refused: {}",
            run.stdout
        );
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one error line: {}", run.stderr);
        lines[0].to_owned()
    }

    pub fn token(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.token"))
    }
}

/// `supportgate serve --dev` as a child process, killed when dropped.
pub struct Gateway {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Gateway {
    /// `serve --dev` on `listen` (`127.0.0.1:0` for a free port) over `data`.
    pub async fn dev(data: &Path, listen: &str) -> Gateway {
        let mut child = Command::new(BIN)
            .args(["serve", "--dev", "--listen", listen, "--data-dir"])
            .arg(data)
            .env("SUPPORTGATE_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start supportgate serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read the server log") {
                if line.contains("serving grpc over tls") {
                    let addr = line.split("addr=").nth(1).expect("addr field");
                    return addr.split_whitespace().next().expect("address").to_owned();
                }
            }
            panic!("the server exited before listening")
        })
        .await
        .expect("the server starts within a minute");
        // Keep draining the log so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Gateway { child, addr }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL the gateway");
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the gateway dies")
            .expect("wait for the gateway");
        assert!(!status.success(), "killed, not exited: {status:?}");
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

/// Total bytes of every file under `dir` (0 when it does not exist yet).
pub fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                bytes_under(&path)
            } else {
                entry.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

/// Sets up a support desk through the CLI: tenant `acme`, customer carol, assigned
/// engineer eve, communications cora, sales sam, a case and a workspace on it.
/// Returns the workspace id.
pub async fn desk(shell: &Shell, admin: &Path) -> String {
    shell
        .ok(admin, &["admin", "tenant", "create", "acme"])
        .await;
    for (name, role) in [
        ("carol", "customer"),
        ("eve", "support_engineer"),
        ("cora", "communications"),
        ("sam", "sales_marketing"),
    ] {
        let args = [
            "admin", "subject", "create", "--tenant", "acme", "--role", role, "--name", name,
        ];
        let token = shell.ok(admin, &args).await;
        std::fs::write(shell.token(name), token).expect("save the token");
    }
    let open = [
        "case",
        "open",
        "--summary",
        "VPN drops every hour",
        "--contact-name",
        "Carol Smith",
        "--contact-email",
        "carol@acme.example",
        "--contact-phone",
        "+1 555 0100",
    ];
    let case = shell.ok(&shell.token("carol"), &open).await;
    shell
        .ok(admin, &["case", "assign", &case, "--engineer", "eve"])
        .await;
    let workspace = shell
        .ok(&shell.token("eve"), &["transfer", "open", &case])
        .await;
    uuid::Uuid::parse_str(&workspace).expect("transfer open prints the workspace id");
    workspace
}
