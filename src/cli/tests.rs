//! Unit tests of the client: argument parsing, credentials, error lines, output.

use std::collections::HashMap;

use clap::Parser;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::args::{parse_id, parse_time, parse_value, PurposeArg, RoleArg};
use super::connect::{https_host, read_token, BearerAuth};
use super::error::{status_line, CliError};
use super::output::{key_values, rfc3339, Table};
use super::view::EntryView;
use super::{page, ClientCommand, ClientOptions};
use crate::proto::{self, Purpose, Role};

/// The shape main.rs gives the client: global options plus the commands.
#[derive(Debug, Parser)]
pub(super) struct TestCli {
    #[command(flatten)]
    pub options: ClientOptions,
    #[command(subcommand)]
    pub command: ClientCommand,
}

fn parse(args: &[&str]) -> Result<TestCli, clap::Error> {
    TestCli::try_parse_from(std::iter::once("supportgate").chain(args.iter().copied()))
}

/// The command `args` parse to, as main.rs would parse them: for the command modules'
/// own tests.
pub(super) fn parse_command(args: &[&str]) -> Result<ClientCommand, clap::Error> {
    parse(args).map(|cli| cli.command)
}

#[test]
fn every_purpose_parses_in_kebab_and_snake_case() {
    let all = [
        ("provide-support", Purpose::ProvideSupport),
        ("improve-support", Purpose::ImproveSupport),
        ("communications", Purpose::Communications),
        ("legal-compelled", Purpose::LegalCompelled),
        ("marketing", Purpose::Marketing),
        ("advertising", Purpose::Advertising),
        (
            "third-party-advertising-transfer",
            Purpose::ThirdPartyAdvertisingTransfer,
        ),
        (
            "voluntary-law-enforcement-disclosure",
            Purpose::VoluntaryLawEnforcementDisclosure,
        ),
    ];
    for (name, wire) in all {
        let kebab: PurposeArg = parse_value(name).unwrap();
        let snake: PurposeArg = parse_value(&name.replace('-', "_")).unwrap();
        let upper: PurposeArg = parse_value(&name.to_uppercase()).unwrap();
        assert_eq!(kebab.to_proto(), wire, "{name}");
        assert_eq!(snake, kebab);
        assert_eq!(upper, kebab);
    }
}

#[test]
fn an_unknown_purpose_is_a_usage_error_that_lists_the_valid_ones() {
    assert!(parse_value::<PurposeArg>("sales").is_err());
    assert!(parse_value::<PurposeArg>("unspecified").is_err());
    let err = parse(&[
        "case",
        "show",
        "7f1c7d5e-0000-4000-8000-000000000001",
        "--purpose",
        "x",
    ])
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(text.contains("provide-support"), "{text}");
    assert!(
        text.contains("voluntary-law-enforcement-disclosure"),
        "{text}"
    );
}

#[test]
fn reading_commands_require_a_purpose() {
    let err = parse(&["contact", "show", "7f1c7d5e-0000-4000-8000-000000000001"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn every_role_parses_with_underscores_or_dashes() {
    let all = [
        ("customer", Role::Customer),
        ("customer_agent", Role::CustomerAgent),
        ("support_engineer", Role::SupportEngineer),
        ("support_quality", Role::SupportQuality),
        ("communications", Role::Communications),
        ("sales_marketing", Role::SalesMarketing),
        ("compliance_reviewer", Role::ComplianceReviewer),
        ("legal_counsel", Role::LegalCounsel),
        ("law_enforcement", Role::LawEnforcement),
        ("admin", Role::Admin),
    ];
    for (name, wire) in all {
        let snake: RoleArg = parse_value(name).unwrap();
        let kebab: RoleArg = parse_value(&name.replace('_', "-")).unwrap();
        assert_eq!(snake.to_proto(), wire, "{name}");
        assert_eq!(kebab, snake);
    }
    assert!(parse_value::<RoleArg>("root").is_err());
}

#[test]
fn the_command_tree_parses_with_global_options_anywhere() {
    let cli = parse(&[
        "admin",
        "subject",
        "create",
        "--role",
        "support-engineer",
        "--name",
        "j.doe",
        "--tenant",
        "acme",
        "--output",
        "json",
        "--server",
        "https://gw:7443",
    ])
    .unwrap();
    assert_eq!(cli.options.output, super::OutputFormat::Json);
    assert_eq!(cli.options.server.as_deref(), Some("https://gw:7443"));
    assert!(matches!(cli.command, ClientCommand::Admin(_)));
    assert!(parse(&["whoami"]).is_ok());
    assert!(parse(&["log", "list", "--decision", "denied", "--limit", "5"]).is_ok());
    assert!(parse(&["log", "list", "--limit", "0"]).is_err());
    assert!(parse(&["log", "list", "--since", "yesterday"]).is_err());
    assert!(parse(&["contact", "correct", "7f1c7d5e-0000-4000-8000-000000000001"]).is_err());
}

#[test]
fn ids_are_canonicalised_and_non_ids_rejected() {
    assert_eq!(
        parse_id("7F1C7D5E-0000-4000-8000-00000000000A").unwrap(),
        "7f1c7d5e-0000-4000-8000-00000000000a"
    );
    assert!(parse_id("acme").is_err());
}

#[test]
fn times_parse_as_rfc3339_in_any_offset() {
    let time = parse_time("2024-05-01T14:00:00.5+02:00").unwrap();
    assert_eq!(time.seconds, 1_714_564_800);
    assert_eq!(time.nanos, 500_000_000);
    assert_eq!(rfc3339(Some(&time)).unwrap(), "2024-05-01T12:00:00.500Z");
}

#[test]
fn a_token_value_that_names_a_file_is_read_from_it_and_trimmed() {
    let path = std::env::temp_dir().join(format!("sg-token-{}", uuid::Uuid::new_v4()));
    std::fs::write(&path, "  sg_secret_token\n").unwrap();
    let from_file = read_token(path.to_str().unwrap());
    std::fs::write(&path, "\n").unwrap();
    let empty_file = read_token(path.to_str().unwrap());
    std::fs::remove_file(&path).unwrap();
    assert_eq!(from_file.unwrap(), "sg_secret_token");
    assert!(matches!(empty_file, Err(CliError::Usage(_))));
}

#[test]
fn a_token_value_that_is_not_a_file_is_the_token() {
    assert_eq!(read_token("sg_abc.def").unwrap(), "sg_abc.def");
    assert!(matches!(read_token("   "), Err(CliError::Usage(_))));
    assert!(BearerAuth::new("has\nnewline").is_err());
    assert!(!format!("{:?}", BearerAuth::new("sg_abc").unwrap()).contains("sg_abc"));
}

#[test]
fn the_token_never_appears_in_debug_output() {
    let cli = parse(&["whoami", "--token", "sg_very_secret"]).unwrap();
    let debug = format!("{:?}", cli.options);
    assert!(!debug.contains("sg_very_secret"), "{debug}");
}

#[test]
fn only_https_addresses_are_accepted() {
    assert_eq!(https_host("https://gw.example:7443").unwrap(), "gw.example");
    assert_eq!(https_host("https://[::1]:7443").unwrap(), "::1");
    let plain = https_host("http://gw.example:7443").unwrap_err();
    assert!(plain.to_string().contains("https://"), "{plain}");
    assert!(matches!(plain, CliError::Usage(_)));
    assert!(https_host("gw.example:7443").is_err());
}

#[test]
fn a_denial_prints_code_reason_and_message_on_one_line() {
    let details =
        ErrorDetails::with_error_info("PURPOSE_PROHIBITED", "supportgate.v1", HashMap::new());
    let status = Status::with_error_details(
        Code::PermissionDenied,
        "purpose marketing is prohibited",
        details,
    );
    assert_eq!(
        status_line(&status),
        "error: PERMISSION_DENIED (PURPOSE_PROHIBITED): purpose marketing is prohibited"
    );
    let err = CliError::from(status);
    assert_eq!(err.exit_code(), std::process::ExitCode::from(1));
}

#[test]
fn a_status_without_details_prints_without_a_reason() {
    let status = Status::new(
        Code::Unauthenticated,
        "credential revoked\nsince 12:00\x1b[31m",
    );
    assert_eq!(
        status_line(&status),
        "error: UNAUTHENTICATED: credential revoked since 12:00[31m"
    );
}

#[test]
fn usage_errors_exit_with_two() {
    let err = CliError::usage("no gateway address: pass --server or set SUPPORTGATE_SERVER");
    assert_eq!(err.exit_code(), std::process::ExitCode::from(2));
    assert_eq!(
        err.to_string(),
        "error: no gateway address: pass --server or set SUPPORTGATE_SERVER"
    );
}

fn sample_entry() -> proto::AccessLogEntry {
    proto::AccessLogEntry {
        sequence: 42,
        time: Some(prost_types::Timestamp {
            seconds: 1_714_564_800,
            nanos: 0,
        }),
        subject_id: "7f1c7d5e-0000-4000-8000-000000000001".to_owned(),
        role: Role::SupportEngineer.into(),
        tenant_id: "7f1c7d5e-0000-4000-8000-000000000002".to_owned(),
        action: "case.get".to_owned(),
        data_class: proto::DataClass::Customer.into(),
        resource_id: String::new(),
        case_id: "7f1c7d5e-0000-4000-8000-000000000003".to_owned(),
        purpose: Purpose::ProvideSupport.into(),
        decision: proto::Decision::Allowed.into(),
        reason: "ASSIGNED_ENGINEER".to_owned(),
        request_id: "req-1".to_owned(),
        prev_hash: bytes::Bytes::from_static(&[0, 1, 0xab]),
        entry_hash: bytes::Bytes::new(),
    }
}

#[test]
fn an_entry_renders_as_json_with_names_times_and_strings() {
    let json = serde_json::to_value(EntryView::from(&sample_entry())).unwrap();
    assert_eq!(json["sequence"], 42);
    assert_eq!(json["time"], "2024-05-01T12:00:00Z");
    assert_eq!(json["role"], "support_engineer");
    assert_eq!(json["data_class"], "customer");
    assert_eq!(json["purpose"], "provide_support");
    assert_eq!(json["decision"], "allowed");
    assert_eq!(json["subject_id"], "7f1c7d5e-0000-4000-8000-000000000001");
    assert_eq!(json["resource_id"], serde_json::Value::Null);
    assert_eq!(json["prev_hash"], "0001ab");
    assert_eq!(json["entry_hash"], serde_json::Value::Null);
}

#[test]
fn unspecified_and_unknown_enum_values_are_null_and_named() {
    let mut entry = sample_entry();
    entry.purpose = 0;
    entry.decision = 99;
    let json = serde_json::to_value(EntryView::from(&entry)).unwrap();
    assert_eq!(json["purpose"], serde_json::Value::Null);
    assert_eq!(json["decision"], "unknown_99");
}

#[test]
fn tables_pad_every_column_to_its_widest_cell() {
    let mut table = Table::new(&["seq", "action", "decision"]);
    table.push(vec!["1".into(), "case.get".into(), "allowed".into()]);
    table.push(vec![
        "10".into(),
        "admin.tenant.create".into(),
        "denied".into(),
    ]);
    table.push(vec!["100".into()]);
    assert_eq!(
        table.render(),
        "seq  action               decision\n\
         1    case.get             allowed\n\
         10   admin.tenant.create  denied\n\
         100\n"
    );
}

#[test]
fn the_access_log_table_has_the_documented_columns() {
    let views = vec![EntryView::from(&sample_entry())];
    let text = super::log::entry_table(&views).render();
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "seq", "time", "subject", "role", "tenant", "action", "class", "case", "purpose",
            "decision", "reason"
        ]
    );
    assert!(text.contains("provide_support"));
}

#[test]
fn key_values_align_the_values() {
    let text = key_values(&[("case", "c1".to_owned()), ("opened by", String::new())]);
    assert_eq!(text, "case:       c1\nopened by:\n");
}

#[tokio::test]
async fn paging_follows_tokens_and_stops_at_the_limit() {
    let pages = |token: String, _size: u32| async move {
        let (items, next) = match token.as_str() {
            "" => (vec![1, 2], "p2"),
            "p2" => (vec![3, 4], "p3"),
            _ => (vec![5], ""),
        };
        Ok::<_, Status>((items, next.to_owned()))
    };
    assert_eq!(
        page::collect(None, pages).await.unwrap(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(page::collect(Some(3), pages).await.unwrap(), vec![1, 2, 3]);
    let stuck = |_token: String, _size: u32| async { Ok::<_, Status>((vec![1], "same".into())) };
    assert!(page::collect(None, stuck).await.is_err());
}
