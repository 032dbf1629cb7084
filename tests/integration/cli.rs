//! The acceptance scenario of issue 2, typed into a shell: the real `supportgate` binary
//! as client, against the real binary's `serve --dev` (SQLite) and against a test server
//! on each backend. Exit codes, the one-line errors and `--output json` are what scripts
//! rely on, so they are asserted here.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use supportgate_testkit::{backend_tests, Backend};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_supportgate");

/// The client binary pointed at one gateway, with token files in `dir`.
struct Shell {
    dir: PathBuf,
    server: String,
    ca: PathBuf,
}

/// What a command did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Shell {
    async fn run(&self, token: &Path, args: &[&str]) -> Run {
        let output = Command::new(BIN)
            .args(args)
            .current_dir(&self.dir)
            .env("SUPPORTGATE_SERVER", &self.server)
            .env("SUPPORTGATE_CA", &self.ca)
            .env("SUPPORTGATE_TOKEN", token)
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
    async fn ok(&self, token: &Path, args: &[&str]) -> String {
        let run = self.run(token, args).await;
        assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
        run.stdout.trim().to_owned()
    }

    /// Runs a command with `--output json` that must succeed; returns the parsed value.
    async fn json(&self, token: &Path, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--output", "json"]);
        serde_json::from_str(&self.ok(token, &args).await).expect("one JSON value on stdout")
    }

    /// Runs a command the gateway must refuse; returns the error line.
    async fn refused(&self, token: &Path, args: &[&str]) -> String {
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

    fn token(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.token"))
    }
}

/// The scenario, step by step, as the issue gives it.
async fn acceptance_scenario(shell: &Shell, admin: &Path) {
    let tenant = shell
        .ok(admin, &["admin", "tenant", "create", "acme"])
        .await;
    uuid::Uuid::parse_str(&tenant).expect("tenant create prints the tenant id");
    for (name, role) in [
        ("carol", "customer"),
        ("eve", "support_engineer"),
        ("sam", "sales_marketing"),
        ("cora", "communications"),
        ("rita", "compliance_reviewer"),
    ] {
        let args = [
            "admin", "subject", "create", "--tenant", "acme", "--role", role, "--name", name,
        ];
        let token = shell.ok(admin, &args).await;
        assert!(
            token.starts_with("sg1."),
            "subject create prints the credential"
        );
        std::fs::write(shell.token(name), token).expect("save the token");
    }
    let (carol, eve, sam, cora, rita) = (
        shell.token("carol"),
        shell.token("eve"),
        shell.token("sam"),
        shell.token("cora"),
        shell.token("rita"),
    );
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
    let case = shell.ok(&carol, &open).await;
    uuid::Uuid::parse_str(&case).expect("case open prints the case id");
    shell
        .ok(admin, &["case", "assign", &case, "--engineer", "eve"])
        .await;

    let shown = shell
        .ok(
            &eve,
            &["case", "show", &case, "--purpose", "provide-support"],
        )
        .await;
    assert!(
        shown.contains("VPN drops every hour") && shown.contains("carol@acme.example"),
        "{shown}"
    );
    let view = shell
        .json(
            &eve,
            &["case", "show", &case, "--purpose", "provide-support"],
        )
        .await;
    assert_eq!(view["summary"], "VPN drops every hour");
    assert_eq!(view["contact"]["phone"], "+1 555 0100");

    let contact = shell
        .json(
            &cora,
            &["contact", "show", &case, "--purpose", "communications"],
        )
        .await;
    assert_eq!(contact["email"], "carol@acme.example");
    assert!(
        contact.get("summary").is_none(),
        "contact data only: {contact}"
    );

    let line = shell
        .refused(
            &cora,
            &["case", "show", &case, "--purpose", "communications"],
        )
        .await;
    assert!(
        line.starts_with("error: PERMISSION_DENIED (PURPOSE_NOT_PERMITTED_FOR_CLASS)"),
        "{line}"
    );
    let line = shell
        .refused(&eve, &["case", "show", &case, "--purpose", "marketing"])
        .await;
    assert!(
        line.starts_with("error: PERMISSION_DENIED (PURPOSE_PROHIBITED)"),
        "{line}"
    );
    let line = shell
        .refused(
            &sam,
            &["case", "show", &case, "--purpose", "provide-support"],
        )
        .await;
    assert!(
        line.starts_with("error: PERMISSION_DENIED (ROLE_DENIED)"),
        "{line}"
    );

    let table = shell.ok(&rita, &["log", "list", "--case", &case]).await;
    assert!(
        table.contains("PURPOSE_PROHIBITED") && table.contains("ROLE_DENIED"),
        "{table}"
    );
    let entries = shell.json(&rita, &["log", "list", "--case", &case]).await;
    let seen: Vec<(String, String, String, String)> = entries
        .as_array()
        .expect("log list --output json prints an array")
        .iter()
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap_or("-").to_owned();
            (
                field("action"),
                field("purpose"),
                field("decision"),
                field("reason"),
            )
        })
        .collect();
    for expected in [
        ("case.open", "-", "allowed", "OWN_TENANT"),
        ("case.assign", "-", "allowed", "METADATA_WRITE"),
        (
            "case.get",
            "provide_support",
            "allowed",
            "ASSIGNED_ENGINEER",
        ),
        (
            "contact.get",
            "communications",
            "allowed",
            "COMMUNICATIONS_CONTACT",
        ),
        (
            "case.get",
            "communications",
            "denied",
            "PURPOSE_NOT_PERMITTED_FOR_CLASS",
        ),
        ("case.get", "marketing", "denied", "PURPOSE_PROHIBITED"),
        ("case.get", "provide_support", "denied", "ROLE_DENIED"),
    ] {
        let expected = (
            expected.0.into(),
            expected.1.into(),
            expected.2.into(),
            expected.3.into(),
        );
        assert!(
            seen.contains(&expected),
            "{expected:?} missing from the log: {seen:?}"
        );
    }

    let usage = shell
        .run(
            &eve,
            &[
                "case",
                "show",
                "not-a-case-id",
                "--purpose",
                "provide-support",
            ],
        )
        .await;
    assert_eq!(
        usage.code, 2,
        "a malformed id is a usage error: {}",
        usage.stderr
    );
    let usage = shell
        .run(&eve, &["case", "show", &case, "--purpose", "curiosity"])
        .await;
    assert_eq!(
        usage.code, 2,
        "an unknown purpose is a usage error: {}",
        usage.stderr
    );
}

backend_tests! {
    async fn the_acceptance_scenario_works_from_a_shell(backend: Backend) {
        let server = TestServer::start(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let admin = dir.path().join("admin.token");
        std::fs::write(&admin, &server.admin_actor().token).unwrap();
        let shell = Shell { dir: dir.path().to_owned(), server: server.url(), ca: server.ca_path() };
        acceptance_scenario(&shell, &admin).await;
    }
}

/// `supportgate serve` as a child process that stops when dropped.
struct ServerProcess {
    child: Child,
    addr: String,
}

impl ServerProcess {
    /// `serve --dev` on a free port.
    async fn dev(data_dir: &Path) -> ServerProcess {
        Self::spawn(
            &["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"],
            data_dir,
        )
        .await
    }

    /// Starts the binary with `args` and `path`, and waits until it listens.
    async fn spawn(args: &[&str], path: &Path) -> ServerProcess {
        let mut child = Command::new(BIN)
            .args(args)
            .arg(path)
            .env("SUPPORTGATE_LOG", "info")
            .stderr(Stdio::piped())
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
        ServerProcess { child, addr }
    }

    /// SIGTERM, then the exit status.
    async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill");
        assert!(killed.success());
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the server stops within 30 s of SIGTERM")
            .expect("wait for the server")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_dev_needs_nothing_installed_and_keeps_its_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sg-data");
    let server = ServerProcess::dev(&data).await;
    for file in [
        "tls/ca.pem",
        "admin.token",
        "master.key",
        "signing.key",
        "supportgate.db",
        "contacts.db",
    ] {
        assert!(data.join(file).is_file(), "serve --dev created {file}");
    }
    let shell = Shell {
        dir: dir.path().to_owned(),
        server: format!("https://{}", server.addr),
        ca: data.join("tls/ca.pem"),
    };
    let admin = data.join("admin.token");
    acceptance_scenario(&shell, &admin).await;
    agent_authenticates_with_a_dev_client_certificate(&shell, &admin, &data).await;
    let token_before = std::fs::read_to_string(&admin).unwrap();
    let status = server.terminate().await;
    assert!(status.success(), "SIGTERM is a clean shutdown: {status:?}");

    let server = ServerProcess::dev(&data).await;
    let shell = Shell {
        server: format!("https://{}", server.addr),
        ..shell
    };
    assert_eq!(
        std::fs::read_to_string(&admin).unwrap(),
        token_before,
        "a valid admin credential is kept"
    );
    let tenants = shell.json(&admin, &["admin", "tenant", "list"]).await;
    assert_eq!(
        tenants.as_array().map(Vec::len),
        Some(1),
        "the tenant survived the restart: {tenants}"
    );
    let cases = shell.json(&shell.token("carol"), &["case", "list"]).await;
    let case = cases[0]["case_id"]
        .as_str()
        .expect("carol's case survived")
        .to_owned();
    let view = shell
        .json(
            &shell.token("eve"),
            &["case", "show", &case, "--purpose", "provide-support"],
        )
        .await;
    assert_eq!(
        view["summary"], "VPN drops every hour",
        "content decrypts with the same master key"
    );
    server.terminate().await;
}

/// `dev client-cert` issues a certificate from the dev CA; `--cert/--key` replace the token.
async fn agent_authenticates_with_a_dev_client_certificate(
    shell: &Shell,
    admin: &Path,
    data: &Path,
) {
    let args = [
        "admin",
        "subject",
        "create",
        "--tenant",
        "acme",
        "--role",
        "customer_agent",
        "--name",
        "host-42",
    ];
    let created = shell.json(admin, &args).await;
    let subject = created["subject"]["subject_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = shell.dir.join("host-42");
    let issue = Command::new(BIN)
        .args(["dev", "client-cert", "--subject", &subject, "--out"])
        .arg(&out)
        .arg("--data-dir")
        .arg(data)
        .output()
        .await
        .unwrap();
    assert!(
        issue.status.success(),
        "{}",
        String::from_utf8_lossy(&issue.stderr)
    );
    let whoami = Command::new(BIN)
        .args([
            "whoami",
            "--output",
            "json",
            "--server",
            &shell.server,
            "--cert",
        ])
        .arg(out.with_extension("pem"))
        .arg("--key")
        .arg(out.with_extension("key"))
        .arg("--ca")
        .arg(&shell.ca)
        .env_remove("SUPPORTGATE_TOKEN")
        .output()
        .await
        .unwrap();
    assert!(
        whoami.status.success(),
        "{}",
        String::from_utf8_lossy(&whoami.stderr)
    );
    let me: Value = serde_json::from_slice(&whoami.stdout).unwrap();
    assert_eq!(me["subject"]["subject_id"], subject.as_str(), "{me}");
    assert_eq!(me["subject"]["role"], "customer_agent", "{me}");
}

/// `serve` without `--dev`: PostgreSQL (each store as its own role), a TOML file, TLS and
/// key files the operator made. Runs when PostgreSQL is configured for the tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_on_postgresql_from_a_configuration_file() {
    if !Backend::postgres_enabled("cli::serve_runs_on_postgresql_from_a_configuration_file") {
        return;
    }
    let dbs = supportgate_testkit::TestDatabases::create(Backend::Postgres).await;
    let dir = dbs.path();
    let pki = supportgate::server::dev_pki::load_or_create(&dir.join("pki"), &[]).unwrap();
    let key = |name: &str| {
        let path = dir.join(name);
        let seed = supportgate_crypto::SecretKey::generate().unwrap();
        use base64::Engine as _;
        std::fs::write(
            &path,
            base64::engine::general_purpose::STANDARD.encode(seed.expose()),
        )
        .unwrap();
        path
    };
    let (master, signing) = (key("master.key"), key("signing.key"));
    let config = dir.join("supportgate.toml");
    let toml = format!(
        "listen = \"127.0.0.1:0\"\ndatabase_url = {:?}\ncontact_database_url = {:?}\n\
         tls_cert = {:?}\ntls_key = {:?}\nmaster_key_file = {:?}\nsigning_key_file = {:?}\n\
         admin_token_file = {:?}\nblob_dir = {:?}\n",
        dbs.config.main_url,
        dbs.config.contact_url,
        pki.server_cert_path,
        pki.server_key_path,
        master,
        signing,
        dir.join("admin.token"),
        dir.join("blobs"),
    );
    std::fs::write(&config, toml).unwrap();
    let server = ServerProcess::spawn(&["serve", "--config"], &config).await;
    let shell = Shell {
        dir: dir.clone(),
        server: format!("https://{}", server.addr),
        ca: pki.ca_cert_path.clone(),
    };
    acceptance_scenario(&shell, &dir.join("admin.token")).await;
    assert!(server.terminate().await.success());
}
