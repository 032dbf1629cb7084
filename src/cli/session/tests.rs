//! Unit tests of `session`: arguments, scopes, expiries, end reasons.

use std::time::Duration;

use super::expiry::{parse_duration, parse_expiry, Expiry};
use super::live::{end_text, ended_normally, joined_text, Roster};
use super::scope::{allows_control, names, to_wire, ScopeArg};
use super::{is_yes, recording_notice, SessionCommand};
use crate::cli::tests::parse_command as parse;
use crate::cli::ClientCommand;
use crate::proto::{Chat, ConsentScope, Joined, ParticipantRole, Presence, SessionEndReason};

const ID: &str = "23e4fc9b-bf63-4673-a701-8a3e75bd98c7";

#[test]
fn request_takes_a_comma_separated_capability_list() {
    let command = parse(&[
        "session",
        "request",
        ID,
        "--capabilities",
        "view,control,file_transfer",
    ])
    .unwrap();
    let ClientCommand::Session(SessionCommand::Request { case, capabilities }) = command else {
        panic!("wrong command");
    };
    assert_eq!(case, ID);
    assert_eq!(
        capabilities,
        vec![ScopeArg::View, ScopeArg::Control, ScopeArg::FileTransfer]
    );
    assert_eq!(
        to_wire(&capabilities),
        vec![
            ConsentScope::View as i32,
            ConsentScope::Control as i32,
            ConsentScope::FileTransfer as i32
        ]
    );
}

#[test]
fn request_needs_capabilities_and_rejects_unknown_ones() {
    assert!(parse(&["session", "request", ID]).is_err());
    let err = parse(&["session", "request", ID, "--capabilities", "view,root"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    assert!(parse(&["session", "request", "not-an-id", "--capabilities", "view"]).is_err());
    // Kebab case and upper case are accepted too.
    assert!(parse(&[
        "session",
        "request",
        ID,
        "--capabilities",
        "VIEW,file-transfer"
    ])
    .is_ok());
}

#[test]
fn scopes_are_sent_once_each_in_a_stable_order() {
    assert_eq!(
        to_wire(&[ScopeArg::Control, ScopeArg::View, ScopeArg::Control]),
        vec![ConsentScope::View as i32, ConsentScope::Control as i32]
    );
}

#[test]
fn consent_grant_needs_an_expiry_and_excludes_decline() {
    let command = parse(&[
        "session",
        "consent",
        ID,
        "--grant",
        "view,control",
        "--expires",
        "30m",
    ])
    .unwrap();
    let ClientCommand::Session(SessionCommand::Consent(args)) = command else {
        panic!("wrong command");
    };
    assert_eq!(args.grant, vec![ScopeArg::View, ScopeArg::Control]);
    assert_eq!(args.expires, Some(Expiry::In(Duration::from_secs(1800))));
    assert!(!args.decline);
    assert!(!args.yes);

    assert!(parse(&["session", "consent", ID, "--grant", "view"]).is_err());
    assert!(parse(&["session", "consent", ID]).is_err());
    assert!(parse(&["session", "consent", ID, "--decline", "--grant", "view"]).is_err());
    assert!(parse(&["session", "consent", ID, "--decline", "--expires", "1h"]).is_err());
    let command = parse(&["session", "consent", ID, "--decline"]).unwrap();
    let ClientCommand::Session(SessionCommand::Consent(args)) = command else {
        panic!("wrong command");
    };
    assert!(args.decline);
    assert!(args.grant.is_empty());
    assert!(parse(&[
        "session",
        "consent",
        ID,
        "--grant",
        "view",
        "--expires",
        "2h",
        "--yes"
    ])
    .is_ok());
}

#[test]
fn revoke_show_and_list_parse() {
    assert!(matches!(
        parse(&["session", "revoke", ID]).unwrap(),
        ClientCommand::Session(SessionCommand::Revoke { .. })
    ));
    assert!(matches!(
        parse(&["session", "show", ID]).unwrap(),
        ClientCommand::Session(SessionCommand::Show { .. })
    ));
    assert!(matches!(
        parse(&[
            "session",
            "list",
            "--case",
            ID,
            "--state",
            "pending-consent"
        ])
        .unwrap(),
        ClientCommand::Session(SessionCommand::List { .. })
    ));
    assert!(parse(&["session", "list"]).is_err());
}

#[test]
fn durations_take_units_and_combinations() {
    assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
    assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
    assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
    assert_eq!(parse_duration("45s").unwrap(), Duration::from_secs(45));
    assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
    assert_eq!(parse_duration(" 2H ").unwrap(), Duration::from_secs(7200));
    assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
    assert_eq!(parse_duration("0.2s").unwrap(), Duration::from_millis(200));
    assert_eq!(
        parse_duration("2.5ms").unwrap(),
        Duration::from_micros(2500)
    );
    for bad in [
        "",
        "30",
        "m",
        "3x",
        ".5s",
        "1..5s",
        "1.2.3s",
        "-5m",
        "h30",
        "99999999999999999999d",
        "9999999999999999999.5d",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad} should be refused");
    }
}

#[test]
fn expiries_are_durations_or_rfc3339_times() {
    assert_eq!(
        parse_expiry("30m").unwrap(),
        Expiry::In(Duration::from_secs(1800))
    );
    let Expiry::At(at) = parse_expiry("2030-01-02T03:04:05Z").unwrap() else {
        panic!("a time");
    };
    assert_eq!(at.seconds, 1_893_553_445);
    assert!(parse_expiry("0m").is_err());
    assert!(parse_expiry("2030-13-02T03:04:05Z").is_err());
    assert!(parse_expiry("tomorrow").is_err());
}

#[test]
fn a_duration_expiry_counts_from_now() {
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
    let at = Expiry::In(Duration::from_secs(1800)).resolve(now).unwrap();
    assert_eq!(at.seconds, 1_700_001_800);
    assert_eq!(at.nanos, 0);
    let fixed = prost_types::Timestamp {
        seconds: 5,
        nanos: 0,
    };
    assert_eq!(Expiry::At(fixed).resolve(now).unwrap(), fixed);
}

#[test]
fn only_control_allows_input() {
    assert!(allows_control(&[
        ConsentScope::View as i32,
        ConsentScope::Control as i32
    ]));
    assert!(allows_control(&[ConsentScope::Control as i32]));
    assert!(!allows_control(&[ConsentScope::View as i32]));
    assert!(!allows_control(&[
        ConsentScope::View as i32,
        ConsentScope::FileTransfer as i32
    ]));
    assert!(!allows_control(&[]));
    assert!(!allows_control(&[99]));
}

#[test]
fn scope_names_are_snake_case() {
    assert_eq!(
        names(&[1, 2, 3, 0, 42]),
        vec!["view", "control", "file_transfer", "unknown_42"]
    );
}

#[test]
fn only_the_parties_ending_a_session_is_a_normal_end() {
    assert!(ended_normally(SessionEndReason::EngineerEnded as i32));
    assert!(ended_normally(SessionEndReason::AgentEnded as i32));
    for reason in [
        SessionEndReason::Unspecified,
        SessionEndReason::ConsentRevoked,
        SessionEndReason::ConsentExpired,
        SessionEndReason::RecordingFailed,
        SessionEndReason::CaseClosed,
        SessionEndReason::Shutdown,
        SessionEndReason::CredentialRevoked,
        SessionEndReason::Disconnected,
    ] {
        assert!(!ended_normally(reason as i32), "{reason:?}");
    }
    assert_eq!(
        end_text(SessionEndReason::ConsentRevoked as i32),
        "the customer revoked consent (consent_revoked)"
    );
    assert!(end_text(77).contains("unknown_77"));
}

#[test]
fn presence_and_chat_name_the_participant_without_control_characters() {
    let mut roster = Roster::default();
    let joined = roster.presence(&Presence {
        participant_id: "p1".into(),
        subject_id: "s1".into(),
        subject_name: "eve".into(),
        role: ParticipantRole::Engineer as i32,
        joined: true,
    });
    assert_eq!(joined, "eve (engineer) is watching");
    let observer = roster.presence(&Presence {
        participant_id: "p2".into(),
        subject_id: "s2".into(),
        subject_name: "\u{1b}[31mquinn".into(),
        role: ParticipantRole::Observer as i32,
        joined: true,
    });
    assert_eq!(observer, "[31mquinn (observer) is watching, read-only");
    let chat = roster.chat(&Chat {
        text: "hello\nthere\u{7}".into(),
        from_participant_id: "p1".into(),
        from_role: ParticipantRole::Engineer as i32,
        from_subject_id: "s1".into(),
    });
    assert_eq!(chat, "[chat] eve (engineer): hello there");
    let left = roster.presence(&Presence {
        participant_id: "p1".into(),
        subject_id: "s1".into(),
        subject_name: "eve".into(),
        role: ParticipantRole::Engineer as i32,
        joined: false,
    });
    assert_eq!(left, "eve (engineer) left");
    // Unknown sender: the subject id stands in.
    let chat = roster.chat(&Chat {
        text: "hi".into(),
        from_participant_id: "p9".into(),
        from_role: ParticipantRole::Agent as i32,
        from_subject_id: "s9".into(),
    });
    assert_eq!(chat, "[chat] s9 (agent): hi");
}

#[test]
fn the_join_line_says_the_session_is_recorded() {
    let line = joined_text(&Joined {
        session_id: ID.into(),
        participant_id: "p".into(),
        role: ParticipantRole::Agent as i32,
        recording: true,
        scopes: vec![ConsentScope::View as i32],
        consent_expires_at: Some(prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        }),
        recording_id: "r1".into(),
    });
    assert!(line.contains("as agent"), "{line}");
    assert!(
        line.contains("consent: view until 2023-11-14T22:13:20Z"),
        "{line}"
    );
    assert!(line.contains("recorded (recording r1)"), "{line}");
}

#[test]
fn the_grant_notice_tells_the_customer_about_the_recording() {
    let notice = recording_notice(
        ID,
        &[ScopeArg::View, ScopeArg::Control],
        "2030-01-01T00:00:00Z",
    );
    assert!(notice.contains("RECORDED"));
    assert!(
        notice.contains("see your terminal and type into it until 2030-01-01T00:00:00Z"),
        "{notice}"
    );
    let notice = recording_notice(ID, &[ScopeArg::View], "2030-01-01T00:00:00Z");
    assert!(notice.contains("see your terminal until"), "{notice}");
    assert!(notice.contains("supportgate session revoke"));
    assert!(is_yes("y\n"));
    assert!(is_yes(" YES "));
    assert!(!is_yes(""));
    assert!(!is_yes("no"));
}
