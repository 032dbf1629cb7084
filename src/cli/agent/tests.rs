//! Unit tests of `agent`: arguments, the input check, and a real shell on a
//! pseudo-terminal.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use super::pty::Shell;
use super::{input_allowed, shell_program, AgentArgs};
use crate::cli::tests::{parse_command, TestCli};
use crate::cli::ClientCommand;
use crate::proto::ConsentScope;

fn parse(args: &[&str]) -> Result<AgentArgs, clap::Error> {
    match parse_command(args)? {
        ClientCommand::Agent(args) => Ok(args),
        other => panic!("wrong command {other:?}"),
    }
}

const ID: &str = "23e4fc9b-bf63-4673-a701-8a3e75bd98c7";

#[test]
fn agent_arguments() {
    let args = parse(&["agent", "--session", ID, "--shell", "/bin/bash", "--wait"]).unwrap();
    assert_eq!(args.session, ID);
    assert_eq!(args.shell, Some(PathBuf::from("/bin/bash")));
    assert!(args.wait);
    assert!(!args.quiet);
    assert!(parse(&["agent"]).is_err());
    assert!(parse(&["agent", "--session", "x"]).is_err());
    // Agents may authenticate with a client certificate.
    let cli = TestCli::try_parse_from([
        "supportgate",
        "agent",
        "--session",
        ID,
        "--cert",
        "a.pem",
        "--key",
        "a.key",
    ])
    .unwrap();
    assert!(cli.options.cert.is_some() && cli.options.key.is_some());
}

#[test]
fn the_shell_is_the_option_then_the_environment_then_sh() {
    assert_eq!(
        shell_program(Some("/bin/zsh".into()), Some("/bin/bash".into())),
        PathBuf::from("/bin/zsh")
    );
    assert_eq!(
        shell_program(None, Some("/bin/bash".into())),
        PathBuf::from("/bin/bash")
    );
    assert_eq!(
        shell_program(None, Some("".into())),
        PathBuf::from("/bin/sh")
    );
    assert_eq!(shell_program(None, None), PathBuf::from("/bin/sh"));
}

#[test]
fn input_needs_control() {
    assert!(input_allowed(&[
        ConsentScope::View as i32,
        ConsentScope::Control as i32
    ]));
    assert!(!input_allowed(&[ConsentScope::View as i32]));
    assert!(!input_allowed(&[ConsentScope::FileTransfer as i32]));
    assert!(!input_allowed(&[]));
}

/// Reads the shell's output until `needle` shows up (or ten seconds pass).
async fn read_until(
    output: &mut tokio::sync::mpsc::Receiver<super::Chunk>,
    needle: &str,
) -> String {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&seen).contains(needle) {
        match tokio::time::timeout_at(deadline, output.recv()).await {
            Ok(Some(Ok(data))) => seen.extend_from_slice(&data),
            _ => break,
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn a_real_shell_runs_on_the_pseudo_terminal_and_resizes() {
    let (shell, mut output) = Shell::spawn(&PathBuf::from("/bin/sh"), (100, 30), ID).unwrap();
    assert_eq!(shell.size(), (100, 30));
    shell
        .write(b"echo hello-$((6*7)) $SUPPORTGATE_SESSION\n".to_vec())
        .await;
    let seen = read_until(&mut output, &format!("hello-42 {ID}")).await;
    assert!(seen.contains(&format!("hello-42 {ID}")), "{seen}");
    assert_eq!(shell.resize(132, 43).unwrap(), (132, 43));
    shell.write(b"stty size\n".to_vec()).await;
    let seen = read_until(&mut output, "43 132").await;
    assert!(seen.contains("43 132"), "{seen}");
    // Absurd sizes are clamped.
    assert_eq!(shell.resize(0, 5000).unwrap(), (1, 1000));
    shell.write(b"exit\n".to_vec()).await;
    // The output ends when the shell exits.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, output.recv()).await {
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the output did not end after exit"),
        }
    }
}

#[tokio::test]
async fn killing_the_shell_ends_its_output() {
    let (mut shell, mut output) = Shell::spawn(&PathBuf::from("/bin/sh"), (80, 24), ID).unwrap();
    shell.write(b"echo ready\n".to_vec()).await;
    read_until(&mut output, "ready").await;
    shell.kill();
    assert!(shell.exited());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, output.recv()).await {
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the output did not end after kill"),
        }
    }
}
