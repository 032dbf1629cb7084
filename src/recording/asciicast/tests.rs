//! asciicast v2 export: header, events, text decoding and the initial size.

use serde_json::Value;

use super::*;
use crate::recording::test_support::*;

/// Exports `rec` as the ExportRecording RPC would: size pass, then the events.
fn export(rec: &Recorder, include_input: bool) -> (Value, Vec<Value>) {
    let size = initial_size(&rec.bytes[..]).unwrap();
    let mut writer = AsciicastWriter::new(
        Vec::new(),
        size.cols,
        size.rows,
        Some(1_700_000_000),
        Some("S-1"),
    )
    .unwrap()
    .include_input(include_input);
    writer.write_recording(&rec.bytes[..]).unwrap();
    let text = String::from_utf8(writer.finish().unwrap()).unwrap();
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let header = lines.next().unwrap();
    (header, lines.collect())
}

/// The data of every event with `code`, in order.
fn events<'a>(events: &'a [Value], code: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e[1] == code)
        .map(|e| e[2].as_str().unwrap())
        .collect()
}

fn acceptance_session() -> Recorder {
    let mut rec = Recorder::default();
    rec.record(0, ENGINEER, resize(200, 60));
    rec.record(10, AGENT, resize(100, 30));
    rec.record(1_000, AGENT, output(b"$ "));
    rec.record(2_500_000, ENGINEER, input(b"echo hello-$((6*7))\r"));
    rec.record(2_500_100, AGENT, output(b"echo hello-$((6*7))\r\n"));
    rec.record(2_600_000, AGENT, output(b"hello-42\r\n$ "));
    rec
}

#[test]
fn a_recording_with_hello_42_exports_it_in_an_output_event_after_a_version_2_header() {
    let (header, events_) = export(&acceptance_session(), false);
    assert_eq!(header["version"], 2);
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        (Some(100), Some(30))
    );
    assert_eq!(header["timestamp"], 1_700_000_000);
    assert_eq!(header["title"], "S-1");
    assert!(events(&events_, "o").iter().any(|o| o.contains("hello-42")));
    assert!(
        events(&events_, "i").is_empty(),
        "input is left out by default"
    );
}

#[test]
fn input_is_exported_when_asked() {
    let (_, events_) = export(&acceptance_session(), true);
    assert_eq!(events(&events_, "i"), ["echo hello-$((6*7))\r"]);
}

#[test]
fn only_the_agents_resizes_are_exported() {
    let mut rec = acceptance_session();
    rec.record(3_000_000, ENGINEER, resize(10, 10));
    rec.record(3_000_001, AGENT, resize(132, 43));
    let (_, events_) = export(&rec, false);
    assert_eq!(events(&events_, "r"), ["100x30", "132x43"]);
}

#[test]
fn times_are_seconds_with_six_decimals_and_never_go_back() {
    let mut rec = Recorder::default();
    rec.record(1_234_567, AGENT, output(b"a"));
    rec.record(1_000_000, AGENT, output(b"b"));
    rec.record(62_000_001, AGENT, output(b"c"));
    let mut writer = AsciicastWriter::new(Vec::new(), 80, 24, None, None).unwrap();
    writer.write_recording(&rec.bytes[..]).unwrap();
    let text = String::from_utf8(writer.finish().unwrap()).unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines[0], r#"{"version":2,"width":80,"height":24}"#);
    assert_eq!(
        &lines[1..],
        [
            r#"[1.234567, "o", "a"]"#,
            r#"[1.234567, "o", "b"]"#,
            r#"[62.000001, "o", "c"]"#
        ]
    );
}

#[test]
fn a_multibyte_character_split_across_output_frames_is_exported_whole() {
    let text = "é€🦀 ok";
    let bytes = text.as_bytes();
    for cut in 0..=bytes.len() {
        let mut rec = Recorder::default();
        rec.record(1, AGENT, output(&bytes[..cut]));
        rec.record(2, ENGINEER, input(b"x"));
        rec.record(3, AGENT, output(&bytes[cut..]));
        let (_, events_) = export(&rec, true);
        assert_eq!(events(&events_, "o").concat(), text, "cut at {cut}");
    }
}

#[test]
fn bytes_that_are_not_utf8_become_replacement_characters() {
    let mut rec = Recorder::default();
    rec.record(1, AGENT, output(b"a\xffb"));
    rec.record(2, AGENT, output(b"c\xe2\x82"));
    let (_, events_) = export(&rec, false);
    assert_eq!(events(&events_, "o"), ["a\u{FFFD}b", "c", "\u{FFFD}"]);
}

#[test]
fn control_characters_and_quotes_are_escaped_as_json() {
    let mut rec = Recorder::default();
    rec.record(1, AGENT, output(b"\x1b[1m\"bold\"\\\x1b[0m\r\n"));
    let (_, events_) = export(&rec, false);
    assert_eq!(events(&events_, "o"), ["\u{1b}[1m\"bold\"\\\u{1b}[0m\r\n"]);
}

#[test]
fn chat_presence_and_end_are_markers() {
    let mut rec = Recorder::default();
    rec.record(
        1,
        GATEWAY,
        frame(Kind::Presence(proto::Presence {
            participant_id: "p-2".into(),
            subject_id: "s-2".into(),
            subject_name: "Ada".into(),
            role: ParticipantRole::Observer as i32,
            joined: true,
        })),
    );
    rec.record(
        2,
        ENGINEER,
        frame(Kind::Chat(proto::Chat {
            text: "running \"df\" now".into(),
            from_participant_id: "p-1".into(),
            from_role: ParticipantRole::Engineer as i32,
            from_subject_id: "s-1".into(),
        })),
    );
    rec.record(
        3,
        GATEWAY,
        frame(Kind::End(proto::End {
            reason: SessionEndReason::ConsentRevoked as i32,
        })),
    );
    let (_, events_) = export(&rec, false);
    assert_eq!(
        events(&events_, "m"),
        [
            "observer Ada (s-2) joined",
            "chat from engineer s-1: running \"df\" now",
            "session ended: consent revoked",
        ]
    );
}

#[test]
fn the_initial_size_is_80x24_without_a_resize_from_the_agent() {
    let mut rec = Recorder::default();
    rec.record(1, ENGINEER, resize(200, 60));
    rec.record(2, AGENT, output(b"x"));
    assert_eq!(initial_size(&rec.bytes[..]).unwrap(), TerminalSize::DEFAULT);
    assert_eq!(
        initial_size(&rec.bytes[..rec.bytes.len() - 1]).unwrap(),
        TerminalSize::DEFAULT
    );
}

#[test]
fn a_cut_short_recording_exports_every_whole_frame_and_reports_the_cut() {
    let rec = acceptance_session();
    let cut = &rec.bytes[..rec.bytes.len() - 1];
    let mut writer = AsciicastWriter::new(Vec::new(), 80, 24, None, None).unwrap();
    assert!(writer.write_recording(cut).unwrap_err().is_truncation());
    let text = String::from_utf8(writer.finish().unwrap()).unwrap();
    assert!(text.contains("echo hello-$((6*7))"));
    assert!(!text.contains("hello-42"));
}
