//! Unit tests of `terminal`: arguments, escapes, the piped-mode idle exit.

use std::time::{Duration, Instant};

use super::escape::{Action, Escapes};
use super::idle::IdleExit;
use super::{check_chat, TerminalArgs};
use crate::cli::args::PurposeArg;
use crate::cli::tests::parse_command;
use crate::cli::ClientCommand;
use crate::proto::ParticipantRole;

fn parse(args: &[&str]) -> Result<TerminalArgs, clap::Error> {
    match parse_command(args)? {
        ClientCommand::Terminal(args) => Ok(args),
        other => panic!("wrong command {other:?}"),
    }
}

const ID: &str = "23e4fc9b-bf63-4673-a701-8a3e75bd98c7";

#[test]
fn terminal_defaults() {
    let args = parse(&["terminal", ID]).unwrap();
    assert_eq!(args.session, ID);
    assert!(!args.observe);
    assert_eq!(args.role(), ParticipantRole::Engineer);
    assert_eq!(args.purpose, PurposeArg::ProvideSupport);
    assert_eq!(args.idle_exit, Duration::from_secs(1));
    assert_eq!(args.wait_agent, Duration::from_secs(60));
    assert!(args.chat.is_empty());
}

#[test]
fn terminal_options() {
    let args = parse(&[
        "terminal",
        ID,
        "--observe",
        "--purpose",
        "improve-support",
        "--idle-exit",
        "250ms",
        "--chat",
        "hello",
        "--chat",
        "again",
    ])
    .unwrap();
    assert_eq!(args.role(), ParticipantRole::Observer);
    assert_eq!(args.purpose, PurposeArg::ImproveSupport);
    assert_eq!(args.idle_exit, Duration::from_millis(250));
    assert_eq!(args.chat, vec!["hello", "again"]);
    assert!(parse(&["terminal"]).is_err());
    assert!(parse(&["terminal", ID, "--idle-exit", "5"]).is_err());
}

#[test]
fn chat_messages_are_checked() {
    assert!(check_chat(&["hi".into()]).is_ok());
    assert!(check_chat(&[" ".into()]).is_err());
    assert!(check_chat(&["x".repeat(4097)]).is_err());
    assert!(check_chat(&["x".repeat(4096)]).is_ok());
}

fn send(bytes: &[u8]) -> Action {
    Action::Send(bytes.to_vec())
}

#[test]
fn plain_keys_pass_through() {
    let mut escapes = Escapes::default();
    assert_eq!(escapes.feed(b"ls -l\r"), vec![send(b"ls -l\r")]);
    // A tilde in the middle of a line is typed.
    assert_eq!(escapes.feed(b"cd ~/x"), vec![send(b"cd ~/x")]);
}

#[test]
fn tilde_dot_at_line_start_ends() {
    let mut escapes = Escapes::default();
    assert_eq!(escapes.feed(b"~."), vec![Action::End]);
    let mut escapes = Escapes::default();
    assert_eq!(
        escapes.feed(b"echo hi\r~."),
        vec![send(b"echo hi\r"), Action::End]
    );
    // Keys arriving one by one, as in raw mode.
    let mut escapes = Escapes::default();
    assert_eq!(escapes.feed(b"x"), vec![send(b"x")]);
    assert_eq!(escapes.feed(b"\r"), vec![send(b"\r")]);
    assert_eq!(escapes.feed(b"~"), vec![]);
    assert_eq!(escapes.feed(b"."), vec![Action::End]);
}

#[test]
fn tilde_elsewhere_or_doubled_is_typed() {
    let mut escapes = Escapes::default();
    assert_eq!(escapes.feed(b"a~."), vec![send(b"a~.")]);
    let mut escapes = Escapes::default();
    assert_eq!(escapes.feed(b"~~"), vec![send(b"~")]);
    // After ~~ the line has started: ~. is typed.
    assert_eq!(escapes.feed(b"~."), vec![send(b"~.")]);
    let mut escapes = Escapes::default();
    assert_eq!(escapes.feed(b"~x"), vec![send(b"~x")]);
    let mut escapes = Escapes::default();
    assert_eq!(escapes.feed(b"~?"), vec![Action::Help]);
    assert_eq!(escapes.feed(b"~."), vec![Action::End]);
}

#[test]
fn tilde_c_collects_a_chat_line_that_is_never_typed() {
    let mut escapes = Escapes::default();
    assert_eq!(
        escapes.feed(b"~chi"),
        vec![Action::ChatStarted, Action::ChatEcho(b"hi".to_vec())]
    );
    assert!(escapes.in_chat());
    assert_eq!(
        escapes.feed(b"x\x7f!\r"),
        vec![
            Action::ChatEcho(b"x\x08 \x08!".to_vec()),
            Action::Chat("hi!".into())
        ]
    );
    assert!(!escapes.in_chat());
    // Back at the start of a line.
    assert_eq!(escapes.feed(b"~."), vec![Action::End]);
}

#[test]
fn a_chat_line_can_be_cancelled_or_left_empty() {
    let mut escapes = Escapes::default();
    escapes.feed(b"~csecret");
    assert_eq!(escapes.feed(b"\x1b"), vec![Action::ChatCancelled]);
    assert_eq!(escapes.feed(b"ls\r"), vec![send(b"ls\r")]);
    escapes.feed(b"~c");
    assert_eq!(
        escapes.feed(b"  \r"),
        vec![Action::ChatEcho(b"  ".to_vec()), Action::ChatCancelled]
    );
    escapes.feed(b"~c\xc3\xa9");
    assert_eq!(
        escapes.feed(b"\x7f\r"),
        vec![
            Action::ChatEcho(b"\x08 \x08".to_vec()),
            Action::ChatCancelled
        ]
    );
}

#[test]
fn idle_exit_waits_for_the_end_of_input_then_quiet_output() {
    let start = Instant::now();
    let second = Duration::from_secs(1);
    let mut idle = IdleExit::new(second);
    assert_eq!(idle.deadline(), None);
    idle.output(start);
    assert_eq!(idle.deadline(), None, "input still open");
    let eof = start + Duration::from_millis(100);
    idle.input_done(eof);
    assert_eq!(idle.deadline(), Some(eof + second));
    let later = start + Duration::from_millis(700);
    idle.output(later);
    assert_eq!(
        idle.deadline(),
        Some(later + second),
        "output restarts the clock"
    );
    // A second end of input does not move the clock back.
    idle.input_done(start + Duration::from_millis(800));
    assert_eq!(idle.deadline(), Some(later + second));
}
