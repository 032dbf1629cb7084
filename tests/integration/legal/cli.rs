//! The law-enforcement flow typed into a shell: the real `supportgate` binary as the
//! agency's and the counsels' client against a test server on each backend — submit,
//! compel, a refused self-approval, approve, notify, produce into a directory whose
//! `manifest.json` and `.age` files the order's identity opens.

use std::path::{Path, PathBuf};
use std::time::Duration;

use age::x25519::Identity;
use serde_json::Value;
use supportgate_testkit::backend_tests;
use tokio::process::Command;

use super::*;
use crate::transfers::{acme_workspace, random, upload};

const BIN: &str = env!("CARGO_BIN_EXE_supportgate");

/// How long one command is given.
const PATIENCE: Duration = Duration::from_secs(60);

/// What a finished command did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The client binary pointed at the test server, run in `dir`.
struct Shell {
    dir: PathBuf,
    server: String,
    ca: PathBuf,
}

impl Shell {
    async fn run(&self, actor: &crate::harness::Actor, args: &[&str]) -> Run {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("SUPPORTGATE_SERVER", &self.server)
            .env("SUPPORTGATE_CA", &self.ca)
            .env("SUPPORTGATE_TOKEN", &actor.token)
            .env_remove("SUPPORTGATE_CERT")
            .env_remove("SUPPORTGATE_KEY")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(PATIENCE, command.output())
            .await
            .unwrap_or_else(|_| panic!("{args:?} did not finish within {PATIENCE:?}"))
            .expect("run the client");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }

    /// A command that must succeed; its trimmed stdout.
    async fn ok(&self, actor: &crate::harness::Actor, args: &[&str]) -> String {
        let run = self.run(actor, args).await;
        assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
        run.stdout.trim().to_owned()
    }

    /// A command with `--output json` that must succeed; the parsed value.
    async fn json(&self, actor: &crate::harness::Actor, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--output", "json"]);
        let stdout = self.ok(actor, &args).await;
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout}"))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

backend_tests! {
    async fn the_legal_flow_through_the_real_binary_produces_an_age_directory(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let contact = legal_contact("acme");
        set_legal_contact(world, &acme.id, contact.clone()).await;
        let customer = legal.as_actor(&acme.customer).await;
        let workspace = acme_workspace(world).await;
        let named = random(100_000);
        let other = random(5_000);
        let file = upload(&customer, &workspace, "trace.pcap", &named).await.file_id;
        let other_file = upload(&customer, &workspace, "other.txt", &other).await.file_id;

        let dir = tempfile::tempdir().expect("a working directory");
        let shell = Shell {
            dir: dir.path().to_owned(),
            server: world.server.url(),
            ca: world.server.ca_path(),
        };
        std::fs::write(dir.path().join("recipient.txt"), format!("{}\n", legal.recipient())).unwrap();

        // The agency submits and is redirected.
        let submitted = shell
            .json(&world.agency, &["legal", "submit", "--tenant", &acme.id, "--agency", "Metropolitan Police", "--basis", "Warrant 26-0815", "--agency-reference", "MPD-1"])
            .await;
        assert_eq!(submitted["status"], "redirected", "{submitted}");
        let request = submitted["request_id"].as_str().expect("a request id").to_owned();
        let reference = submitted["reference"].as_str().expect("a reference");
        // (Its format is the acceptance test's business.)
        assert!(reference.starts_with("LR-"), "{reference}");
        assert_eq!(reference, legal.request(&request).await.reference);
        assert_eq!(submitted["redirect"]["designated_contact"]["email"], contact.email.as_str(), "{submitted}");

        // Counsel compels the case's one file; the compulsion id is printed.
        let scope_arg = format!("case:{},file:{file}", acme.case);
        let compulsion = shell
            .ok(&world.counsel, &["legal", "compel", &request, "--order", "Order 26-CR-0815", "--authority", "District Court", "--scope", &scope_arg, "--recipient-key", "recipient.txt"])
            .await;
        let stored = legal.request(&request).await;
        let recorded = stored.compulsion.expect("the compulsion is recorded");
        assert_eq!(compulsion, recorded.compulsion_id);
        assert_eq!(recorded.recipient_public_key, legal.recipient());
        let scope = recorded.scope.expect("a scope");
        assert_eq!((scope.case_ids.clone(), scope.item_ids.clone()), (vec![acme.case.clone()], vec![file.clone()]));

        // The same counsel cannot approve it; the second can.
        let refused = shell.run(&world.counsel, &["legal", "approve", &request]).await;
        assert_eq!(refused.code, 1, "self-approval is refused: {}", refused.stdout);
        assert!(refused.stderr.contains("(SECOND_COUNSEL_REQUIRED)"), "{}", refused.stderr);
        shell.ok(&legal.counsel2, &["legal", "approve", &request]).await;
        assert_eq!(legal.request(&request).await.state(), supportgate::proto::LegalRequestState::CompulsionApproved);

        // Production waits for the notice.
        let out = dir.path().join("production");
        let early = shell.run(&world.counsel, &["legal", "produce", &request, "--out", "production"]).await;
        assert_eq!(early.code, 1, "{}", early.stdout);
        assert!(early.stderr.contains("(CUSTOMER_NOTICE_REQUIRED)"), "{}", early.stderr);
        assert!(!out.join("manifest.json").exists(), "no manifest for a refused production");
        shell.ok(&world.counsel, &["legal", "notify", &request, "--message", "We will produce one file under order 26-CR-0815."]).await;
        let _ = std::fs::remove_dir_all(&out);
        shell.ok(&world.counsel, &["legal", "produce", &request, "--out", "production"]).await;

        // The directory: the manifest and one age file that opens to the original.
        let manifest: Value = serde_json::from_slice(&read(&out.join("manifest.json"))).expect("manifest.json is JSON");
        assert_eq!(manifest["request_id"], request.as_str());
        assert_eq!(manifest["compulsion_id"], compulsion.as_str());
        assert_eq!(manifest["recipient_public_key"], legal.recipient().as_str());
        let items = manifest["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{manifest}");
        let item = &items[0];
        assert_eq!((item["item_id"].as_str(), item["case_id"].as_str()), (Some(file.as_str()), Some(acme.case.as_str())));
        assert_ne!(item["item_id"], other_file.as_str());
        assert_eq!(item["size"], named.len() as u64);
        assert_eq!(item["sha256"], hex(&sha256(&named)).as_str());
        let name = item["file"].as_str().expect("the item's file");
        assert!(name.ends_with(".age") && !name.contains('/'), "{name}");
        let encrypted = read(&out.join(name));
        assert_eq!(item["encrypted_sha256"], hex(&sha256(&encrypted)).as_str());
        assert_eq!(item["encrypted_size"], encrypted.len() as u64);
        let plaintext = decrypt(&legal.identity, &encrypted).expect("the order's identity opens the file");
        assert!(plaintext == named, "the produced file is byte-identical");
        assert!(decrypt(&Identity::generate(), &encrypted).is_err(), "no other identity opens it");
        let ages: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".age"))
            .collect();
        assert_eq!(ages, vec![name.to_owned()], "one age file per item");
        assert!(manifest["missing_item_ids"].as_array().is_none_or(|m| m.is_empty()), "{manifest}");

        assert_eq!(legal.request(&request).await.state(), supportgate::proto::LegalRequestState::Produced);
        assert_eq!(entries(world, PRODUCE_ITEM).await.len(), 1);
    }
}
