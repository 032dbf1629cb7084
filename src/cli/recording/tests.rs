//! Unit tests of `recording`: arguments and media types (the stored format, its
//! decoder and the playback timing are tested in `crate::recording`).

use std::path::Path;
use std::time::Duration;

use super::{guess_media_type, parse_speed, FormatArg, ImportKindArg, RecordingCommand};
use crate::cli::args::PurposeArg;
use crate::cli::tests::parse_command;
use crate::cli::ClientCommand;

fn parse(args: &[&str]) -> Result<RecordingCommand, clap::Error> {
    match parse_command(args)? {
        ClientCommand::Recording(command) => Ok(command),
        other => panic!("wrong command {other:?}"),
    }
}

const ID: &str = "23e4fc9b-bf63-4673-a701-8a3e75bd98c7";

#[test]
fn export_defaults_to_asciicast_and_provide_support() {
    let RecordingCommand::Export(args) = parse(&[
        "recording",
        "export",
        ID,
        "--format",
        "asciicast",
        "--out",
        "x.cast",
    ])
    .unwrap() else {
        panic!("export");
    };
    assert_eq!(args.format, FormatArg::Asciicast);
    assert_eq!(args.purpose, PurposeArg::ProvideSupport);
    assert!(!args.include_input);
    assert!(
        parse(&["recording", "export", ID]).is_err(),
        "--out is required"
    );
    assert!(parse(&["recording", "export", ID, "--format", "mp4", "--out", "x"]).is_err());
}

#[test]
fn play_takes_speed_and_max_idle() {
    let RecordingCommand::Play(args) =
        parse(&["recording", "play", ID, "--speed", "2", "--max-idle", "2s"]).unwrap()
    else {
        panic!("play");
    };
    assert!((args.speed - 2.0).abs() < f64::EPSILON);
    assert_eq!(args.max_idle, Some(Duration::from_secs(2)));
    let RecordingCommand::Play(args) = parse(&["recording", "play", ID]).unwrap() else {
        panic!("play");
    };
    assert!((args.speed - 1.0).abs() < f64::EPSILON);
    assert_eq!(args.max_idle, None);
    assert!(parse(&["recording", "play", ID, "--speed", "0"]).is_err());
    assert!(parse(&["recording", "play", ID, "--speed", "fast"]).is_err());
    assert!(parse_speed("NaN").is_err());
    assert!(parse_speed("-1").is_err());
}

#[test]
fn show_and_download_need_a_purpose() {
    assert!(parse(&["recording", "show", ID]).is_err());
    assert!(parse(&["recording", "show", ID, "--purpose", "provide-support"]).is_ok());
    assert!(parse(&["recording", "download", ID, "--out", "f"]).is_err());
    assert!(parse(&[
        "recording",
        "download",
        ID,
        "--out",
        "f",
        "--purpose",
        "improve_support"
    ])
    .is_ok());
    assert!(parse(&["recording", "list"]).is_err());
    assert!(parse(&["recording", "list", "--case", ID, "--kind", "terminal"]).is_ok());
}

#[test]
fn import_takes_only_importable_kinds() {
    let RecordingCommand::Import(args) = parse(&[
        "recording",
        "import",
        "--case",
        ID,
        "--kind",
        "phone",
        "--file",
        "call.ogg",
        "--title",
        "Call",
    ])
    .unwrap() else {
        panic!("import");
    };
    assert_eq!(args.kind, ImportKindArg::Phone);
    assert_eq!(args.media_type, None);
    assert!(parse(&[
        "recording",
        "import",
        "--case",
        ID,
        "--kind",
        "terminal",
        "--file",
        "x",
        "--title",
        "t",
    ])
    .is_err());
    assert!(parse(&[
        "recording",
        "import",
        "--case",
        ID,
        "--kind",
        "chat",
        "--file",
        "x"
    ])
    .is_err());
}

#[test]
fn media_types_are_guessed_from_the_extension() {
    assert_eq!(guess_media_type(Path::new("call.OGG")), "audio/ogg");
    assert_eq!(guess_media_type(Path::new("chat.txt")), "text/plain");
    assert_eq!(guess_media_type(Path::new("screen.webm")), "video/webm");
    assert_eq!(
        guess_media_type(Path::new("blob")),
        "application/octet-stream"
    );
}
