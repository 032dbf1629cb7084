//! Unit tests of the legal workflow's commands: the scope parser, the recipient
//! file, the command lines of `legal`, `hold`, `notifications`, `admin retention`,
//! `admin legal-contact`, `admin purge` and `contact export|delete`, and the
//! production writer fed a stream in place of the gateway.

use std::io::Write as _;

use ring::digest::{digest, SHA256};
use tonic::Status;

use super::compel::compulsion_request;
use super::produce::{item_file_name, prepare_dir, write_production, MANIFEST};
use super::scope::{build_scope, parse_recipient, parse_scope_entry, ItemKindArg, ScopeEntry};
use super::{parse_target, LegalCommand, RequestStateArg};
use crate::cli::admin::AdminCommand;
use crate::cli::contact::ContactCommand;
use crate::cli::error::CliError;
use crate::cli::hold::HoldCommand;
use crate::cli::notifications::NotificationsCommand;
use crate::cli::retention::{
    retention_seconds, retention_text, LegalContactCommand, RetentionCommand,
};
use crate::cli::tests::parse_command;
use crate::cli::ClientCommand;
use crate::proto::{
    legal_target::Target, produce_response::Part, ContentChunk, DataClass, LegalItemKind,
    LegalRequestState, LegalScope, ProduceResponse, ProducedItem, ProductionManifest,
    ProductionSummary,
};

const REQ: &str = "23e4fc9b-bf63-4673-a701-8a3e75bd98c7";
const CASE: &str = "7f1c7d5e-0000-4000-8000-000000000001";
const CASE2: &str = "7f1c7d5e-0000-4000-8000-000000000002";
const FILE: &str = "7f1c7d5e-0000-4000-8000-0000000000f1";
const REC: &str = "7f1c7d5e-0000-4000-8000-0000000000a1";
const RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

fn legal(args: &[&str]) -> Result<LegalCommand, clap::Error> {
    let mut line = vec!["legal"];
    line.extend_from_slice(args);
    match parse_command(&line)? {
        ClientCommand::Legal(command) => Ok(command),
        other => panic!("wrong command {other:?}"),
    }
}

fn kinds(scope: &LegalScope) -> Vec<LegalItemKind> {
    scope
        .item_kinds
        .iter()
        .map(|&k| LegalItemKind::try_from(k).unwrap())
        .collect()
}

fn entries(spec: &str) -> Vec<ScopeEntry> {
    spec.split(',')
        .map(|e| parse_scope_entry(e).unwrap())
        .collect()
}

#[test]
fn scope_entries_parse_with_canonical_ids_and_reject_unknown_kinds() {
    assert_eq!(
        parse_scope_entry(&format!("case:{}", CASE.to_uppercase())).unwrap(),
        ScopeEntry::Case(CASE.to_owned())
    );
    assert_eq!(
        parse_scope_entry(&format!(" Recording:{REC} ")).unwrap(),
        ScopeEntry::Recording(REC.to_owned())
    );
    assert!(parse_scope_entry(CASE).unwrap_err().contains("KIND:ID"));
    assert!(parse_scope_entry(&format!("tenant:{CASE}"))
        .unwrap_err()
        .contains("not a scope kind"));
    assert!(parse_scope_entry("file:report.pdf")
        .unwrap_err()
        .contains("not an id"));
}

#[test]
fn a_case_alone_means_the_case_its_files_and_its_recordings() {
    let scope = build_scope(
        &entries(&format!("case:{CASE},case:{CASE2},case:{CASE}")),
        None,
    );
    assert_eq!(scope.case_ids, [CASE, CASE2]);
    assert_eq!(
        kinds(&scope),
        [
            LegalItemKind::Case,
            LegalItemKind::File,
            LegalItemKind::Recording
        ]
    );
    assert!(scope.item_ids.is_empty());
    assert!(
        scope.tenant_id.is_empty(),
        "the gateway uses the request's tenant"
    );
}

#[test]
fn naming_files_or_recordings_narrows_the_scope_to_exactly_them() {
    let scope = build_scope(
        &entries(&format!(
            "case:{CASE},file:{FILE},recording:{REC},file:{FILE}"
        )),
        None,
    );
    assert_eq!(scope.case_ids, [CASE]);
    assert_eq!(scope.item_ids, [FILE, REC]);
    assert_eq!(
        kinds(&scope),
        [LegalItemKind::File, LegalItemKind::Recording]
    );
}

#[test]
fn a_contact_entry_adds_the_contact_of_its_case() {
    let alone = build_scope(&entries(&format!("contact:{CASE}")), None);
    assert_eq!(alone.case_ids, [CASE]);
    assert_eq!(kinds(&alone), [LegalItemKind::Contact]);
    let with_case = build_scope(&entries(&format!("case:{CASE},contact:{CASE}")), None);
    assert_eq!(with_case.case_ids, [CASE], "case ids are not repeated");
    assert_eq!(
        kinds(&with_case),
        [
            LegalItemKind::Case,
            LegalItemKind::Contact,
            LegalItemKind::File,
            LegalItemKind::Recording
        ]
    );
}

#[test]
fn kinds_given_explicitly_replace_the_implied_ones() {
    let scope = build_scope(
        &entries(&format!("case:{CASE},file:{FILE}")),
        Some(&[ItemKindArg::Recording, ItemKindArg::Case, ItemKindArg::Case]),
    );
    assert_eq!(
        kinds(&scope),
        [LegalItemKind::Case, LegalItemKind::Recording]
    );
    assert_eq!(scope.item_ids, [FILE]);
}

#[test]
fn the_recipient_file_skips_comments_and_blank_lines() {
    let text = format!("# created: 2025-01-01\n\n  # for the court\n{RECIPIENT}\n\n");
    assert_eq!(parse_recipient(&text).unwrap(), RECIPIENT);
}

#[test]
fn a_recipient_file_holding_a_private_key_or_nonsense_is_refused() {
    let identity = format!(
        "# public key: {RECIPIENT}\nAGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n"
    );
    assert!(parse_recipient(&identity)
        .unwrap_err()
        .contains("private key"));
    assert!(parse_recipient("# nothing\n\n")
        .unwrap_err()
        .contains("no age recipient"));
    assert!(parse_recipient("ssh-ed25519 AAAA…").is_err());
    let two = format!("{RECIPIENT}\n{RECIPIENT}\n");
    assert!(parse_recipient(&two).unwrap_err().contains("exactly one"));
}

#[test]
fn submit_sends_an_id_as_tenant_id_and_anything_else_as_the_organisation() {
    assert_eq!(
        parse_target(&CASE.to_uppercase()).unwrap(),
        Target::TenantId(CASE.to_owned())
    );
    assert_eq!(
        parse_target(" Acme GmbH ").unwrap(),
        Target::OrganisationName("Acme GmbH".to_owned())
    );
    assert!(parse_target("  ").is_err());
    let LegalCommand::Submit(args) = legal(&[
        "submit",
        "--tenant",
        "Acme",
        "--agency",
        "FBI",
        "--basis",
        "18 USC 2703",
        "--scope",
        "all mail",
        "--agency-reference",
        "X-1",
    ])
    .unwrap() else {
        panic!("submit");
    };
    assert_eq!(args.tenant, Target::OrganisationName("Acme".to_owned()));
    assert_eq!(args.scope.as_deref(), Some("all mail"));
    assert_eq!(args.agency_reference.as_deref(), Some("X-1"));
    assert!(
        legal(&["submit", "--tenant", "Acme", "--agency", "FBI"]).is_err(),
        "--basis"
    );
}

#[test]
fn list_filters_by_state_with_short_aliases() {
    let LegalCommand::List { tenant, state } =
        legal(&["list", "--state", "pending", "--tenant", CASE]).unwrap()
    else {
        panic!("list");
    };
    assert_eq!(tenant.as_deref(), Some(CASE));
    assert_eq!(state, Some(RequestStateArg::CompulsionPendingApproval));
    assert_eq!(
        RequestStateArg::CompulsionApproved.to_proto(),
        LegalRequestState::CompulsionApproved
    );
    assert!(legal(&["list", "--state", "compulsion_approved"]).is_ok());
    assert!(legal(&["list", "--state", "open"]).is_err());
    assert!(legal(&["list", "--tenant", "acme"]).is_err(), "an id only");
}

fn compel_line<'a>(key: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut line = vec![
        "compel",
        REQ,
        "--order",
        "2025-CR-7",
        "--authority",
        "District Court",
        "--scope",
        "case:7f1c7d5e-0000-4000-8000-000000000001,contact:7f1c7d5e-0000-4000-8000-000000000001",
        "--recipient-key",
        key,
    ];
    line.extend_from_slice(extra);
    line
}

#[test]
fn compel_builds_the_whole_request_before_sending_anything() {
    let mut key = tempfile::NamedTempFile::new().unwrap();
    writeln!(key, "# recipient of the court\n{RECIPIENT}").unwrap();
    let path = key.path().to_str().unwrap();
    let line = compel_line(
        path,
        &[
            "--since",
            "2025-01-01T00:00:00Z",
            "--until",
            "2025-02-01T00:00:00+01:00",
            "--order-date",
            "2025-03-01T00:00:00Z",
            "--basis",
            "StPO 100a",
        ],
    );
    let LegalCommand::Compel(args) = legal(&line).unwrap() else {
        panic!("compel");
    };
    let request = compulsion_request(&args).unwrap();
    assert_eq!(request.request_id, REQ);
    assert_eq!(request.recipient_public_key, RECIPIENT);
    assert_eq!(request.legal_basis, "StPO 100a");
    assert!(request.order_date.is_some());
    let scope = request.scope.unwrap();
    assert_eq!(scope.case_ids, [CASE]);
    assert_eq!(scope.since.unwrap().seconds, 1_735_689_600);
    assert_eq!(scope.until.unwrap().seconds, 1_738_364_400);
    assert_eq!(kinds(&scope).len(), 4);
}

#[test]
fn compel_refuses_a_missing_or_bad_scope_or_key_as_usage_errors() {
    let missing = legal(&[
        "compel",
        REQ,
        "--order",
        "o",
        "--authority",
        "a",
        "--recipient-key",
        "k",
    ])
    .unwrap_err();
    assert_eq!(
        missing.kind(),
        clap::error::ErrorKind::MissingRequiredArgument
    );
    let mut bad = compel_line("k", &[]);
    bad[7] = "case:nope";
    assert_eq!(legal(&bad).unwrap_err().exit_code(), 2);
    let LegalCommand::Compel(args) =
        legal(&compel_line("/nonexistent/recipient.txt", &[])).unwrap()
    else {
        panic!("compel");
    };
    assert!(matches!(compulsion_request(&args), Err(CliError::Usage(_))));
    assert!(legal(&compel_line("k", &["--kinds", "case,email"])).is_err());
    assert!(legal(&compel_line("k", &["--since", "last week"])).is_err());
}

#[test]
fn a_non_disclosure_expiry_needs_the_non_disclosure_order() {
    let alone = legal(&compel_line(
        "k",
        &["--non-disclosure-expires", "2026-01-01T00:00:00Z"],
    ));
    assert_eq!(
        alone.unwrap_err().kind(),
        clap::error::ErrorKind::MissingRequiredArgument
    );
    let LegalCommand::Compel(args) = legal(&compel_line(
        "k",
        &[
            "--non-disclosure",
            "2025-CR-7 §3",
            "--non-disclosure-expires",
            "2026-01-01T00:00:00Z",
            "--kinds",
            "FILE,recording",
        ],
    ))
    .unwrap() else {
        panic!("compel");
    };
    assert_eq!(args.non_disclosure.as_deref(), Some("2025-CR-7 §3"));
    assert!(args.non_disclosure_expires.is_some());
    assert_eq!(
        args.kinds,
        Some(vec![ItemKindArg::File, ItemKindArg::Recording])
    );
}

#[test]
fn the_other_legal_steps_parse_their_arguments() {
    let LegalCommand::Approve { compulsion, .. } = legal(&["approve", REQ]).unwrap() else {
        panic!("approve");
    };
    assert_eq!(compulsion, None);
    assert!(legal(&["approve", REQ, "--compulsion", "c1"]).is_err());
    let LegalCommand::NonDisclosure { order, expires, .. } = legal(&[
        "non-disclosure",
        REQ,
        "--order",
        "R",
        "--expires",
        "2026-01-01T00:00:00Z",
    ])
    .unwrap() else {
        panic!("non-disclosure");
    };
    assert_eq!(
        (order.as_str(), expires.map(|t| t.seconds)),
        ("R", Some(1_767_225_600))
    );
    assert!(legal(&["notify", REQ]).is_err(), "--message is required");
    assert!(legal(&["notify", REQ, "--message", "m", "--not-before", "soon"]).is_err());
    let LegalCommand::Produce { out, .. } = legal(&["produce", REQ, "--out", "prod"]).unwrap()
    else {
        panic!("produce");
    };
    assert_eq!(out, std::path::PathBuf::from("prod"));
    assert!(legal(&["produce", REQ]).is_err(), "--out is required");
    assert!(legal(&["show", "LR-2025-000001"]).is_err(), "an id");
}

#[test]
fn hold_set_and_clear_take_exactly_one_target() {
    let hold = |args: &[&str]| {
        let mut line = vec!["hold"];
        line.extend_from_slice(args);
        parse_command(&line).map(|command| match command {
            ClientCommand::Hold(command) => command,
            other => panic!("wrong command {other:?}"),
        })
    };
    let HoldCommand::Set(args) =
        hold(&["set", "--tenant", "acme", "--reason", "litigation"]).unwrap()
    else {
        panic!("set");
    };
    assert_eq!((args.tenant.as_deref(), args.case), (Some("acme"), None));
    assert!(hold(&["set", "--reason", "r"]).is_err());
    assert!(hold(&["set", "--case", CASE, "--tenant", "acme", "--reason", "r"]).is_err());
    assert!(
        hold(&["set", "--case", CASE]).is_err(),
        "--reason is required"
    );
    assert!(hold(&["set", "--case", CASE, "--reason", "r", "--request", REQ]).is_ok());
    assert!(hold(&["clear", "--case", CASE, "--reason", "done"]).is_ok());
    assert!(hold(&["clear", "--reason", "done"]).is_err());
    assert!(hold(&["clear", "--hold", REQ, "--case", CASE, "--reason", "done"]).is_err());
    let HoldCommand::List { active, case, .. } =
        hold(&["list", "--active", "--case", CASE]).unwrap()
    else {
        panic!("list");
    };
    assert!(active);
    assert_eq!(case.as_deref(), Some(CASE));
}

#[test]
fn notifications_list_and_ack_parse() {
    let Ok(ClientCommand::Notifications(NotificationsCommand::List { unacknowledged })) =
        parse_command(&["notifications", "list", "--unacknowledged"])
    else {
        panic!("list");
    };
    assert!(unacknowledged);
    assert!(parse_command(&["notifications", "ack", REQ]).is_ok());
    assert!(parse_command(&["notifications", "ack", "latest"]).is_err());
}

fn admin(args: &[&str]) -> Result<AdminCommand, clap::Error> {
    let mut line = vec!["admin"];
    line.extend_from_slice(args);
    parse_command(&line).map(|command| match command {
        ClientCommand::Admin(command) => command,
        other => panic!("wrong command {other:?}"),
    })
}

#[test]
fn admin_retention_legal_contact_and_purge_parse() {
    let AdminCommand::Retention(RetentionCommand::Set {
        tenant,
        customer_data_days,
    }) = admin(&[
        "retention",
        "set",
        "--tenant",
        "acme",
        "--customer-data-days",
        "30",
    ])
    .unwrap()
    else {
        panic!("retention set");
    };
    assert_eq!((tenant.as_str(), customer_data_days), ("acme", 30));
    assert!(admin(&[
        "retention",
        "set",
        "--tenant",
        "acme",
        "--customer-data-days",
        "-1"
    ])
    .is_err());
    assert!(admin(&["retention", "show", "--tenant", "acme"]).is_ok());
    let AdminCommand::LegalContact(LegalContactCommand::Set(contact)) = admin(&[
        "legal-contact",
        "set",
        "--tenant",
        "acme",
        "--name",
        "Legal",
        "--address",
        "1 Main St",
    ])
    .unwrap() else {
        panic!("legal-contact set");
    };
    assert_eq!(contact.address.as_deref(), Some("1 Main St"));
    let unreachable = admin(&[
        "legal-contact",
        "set",
        "--tenant",
        "acme",
        "--name",
        "Legal",
    ]);
    assert_eq!(
        unreachable.unwrap_err().exit_code(),
        2,
        "an e-mail or address is required"
    );
    let AdminCommand::Purge(purge) =
        admin(&["purge", "--dry-run", "--as-of", "2030-01-01T00:00:00Z"]).unwrap()
    else {
        panic!("purge");
    };
    assert!(purge.dry_run && purge.as_of.is_some() && purge.tenant.is_none());
    assert!(admin(&["purge", "--as-of", "tomorrow"]).is_err());
}

#[test]
fn retention_is_set_in_days_and_shown_in_days() {
    assert_eq!(retention_seconds(30).unwrap(), 2_592_000);
    assert!(matches!(
        retention_seconds(u64::MAX),
        Err(CliError::Usage(_))
    ));
    assert_eq!(retention_text(0), "server default");
    assert_eq!(retention_text(2_592_000), "30 days");
    assert_eq!(retention_text(90), "90 seconds");
}

#[test]
fn contact_export_and_delete_parse() {
    let Ok(ClientCommand::Contact(ContactCommand::Export { case, out })) =
        parse_command(&["contact", "export", CASE, "--out", "me.json"])
    else {
        panic!("export");
    };
    assert_eq!((case.as_str(), out), (CASE, Some("me.json".into())));
    assert!(parse_command(&["contact", "delete", CASE]).is_ok());
    assert!(parse_command(&["contact", "delete"]).is_err());
}

#[test]
fn item_files_are_numbered_and_cannot_escape_the_directory() {
    assert_eq!(
        item_file_name(7, Some("file"), FILE),
        format!("007-file-{FILE}.age")
    );
    assert_eq!(
        item_file_name(1, None, "../../etc/passwd"),
        "001-item-______etc_passwd.age"
    );
    assert_eq!(item_file_name(1000, Some("case"), ""), "1000-case-item.age");
}

#[test]
fn an_output_directory_must_be_new_or_empty() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("a/b");
    prepare_dir(&fresh).unwrap();
    assert!(fresh.is_dir());
    prepare_dir(&fresh).unwrap();
    std::fs::write(fresh.join("x"), b"x").unwrap();
    assert!(matches!(prepare_dir(&fresh), Err(CliError::Usage(_))));
    assert!(matches!(
        prepare_dir(&fresh.join("x")),
        Err(CliError::Usage(_))
    ));
}

/// An age file to a fresh identity, with its plaintext.
fn sealed(plaintext: &[u8]) -> Vec<u8> {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(plaintext).unwrap();
    writer.finish().unwrap();
    out
}

fn item(kind: LegalItemKind, id: &str, plaintext: &[u8]) -> ProduceResponse {
    ProduceResponse {
        part: Some(Part::Item(ProducedItem {
            kind: kind.into(),
            item_id: id.to_owned(),
            case_id: CASE.to_owned(),
            data_class: DataClass::Customer.into(),
            media_type: "text/plain".to_owned(),
            size: plaintext.len() as u64,
            sha256: digest(&SHA256, plaintext).as_ref().to_vec().into(),
            encryption: "age".to_owned(),
        })),
    }
}

fn chunks(content: &[u8]) -> Vec<ProduceResponse> {
    content
        .chunks(100)
        .map(|data| ProduceResponse {
            part: Some(Part::Chunk(ContentChunk {
                offset: 0,
                data: data.to_vec().into(),
            })),
        })
        .collect()
}

fn announce(count: u64) -> ProduceResponse {
    ProduceResponse {
        part: Some(Part::Manifest(ProductionManifest {
            request_id: REQ.to_owned(),
            compulsion_id: "c-1".to_owned(),
            scope: Some(build_scope(&entries(&format!("case:{CASE}")), None)),
            item_count: count,
            recipient_public_key: RECIPIENT.to_owned(),
        })),
    }
}

fn summary(count: u64) -> ProduceResponse {
    ProduceResponse {
        part: Some(Part::Summary(ProductionSummary {
            items_produced: count,
            missing_item_ids: vec![REC.to_owned()],
            completed_at: Some(prost_types::Timestamp {
                seconds: 1_714_564_800,
                nanos: 0,
            }),
        })),
    }
}

fn two_items() -> (Vec<ProduceResponse>, Vec<u8>, Vec<u8>) {
    let (case_text, file_text) = (b"{\"case\":1}".to_vec(), vec![7u8; 1000]);
    let (case_age, file_age) = (sealed(&case_text), sealed(&file_text));
    let mut messages = vec![announce(2), item(LegalItemKind::Case, CASE, &case_text)];
    messages.extend(chunks(&case_age));
    messages.push(item(LegalItemKind::File, FILE, &file_text));
    messages.extend(chunks(&file_age));
    (messages, case_age, file_age)
}

async fn write(messages: Vec<ProduceResponse>, dir: &std::path::Path) -> Result<(), CliError> {
    let mut stream = tokio_stream::iter(messages.into_iter().map(Ok::<_, Status>));
    write_production(&mut stream, dir).await.map(|_| ())
}

#[tokio::test]
async fn a_production_writes_one_age_file_per_item_and_the_manifest_last() {
    let dir = tempfile::tempdir().unwrap();
    let (mut messages, case_age, file_age) = two_items();
    messages.push(summary(2));
    write(messages, dir.path()).await.unwrap();
    let case_file = format!("001-case-{CASE}.age");
    let file_file = format!("002-file-{FILE}.age");
    assert_eq!(
        std::fs::read(dir.path().join(&case_file)).unwrap(),
        case_age
    );
    assert_eq!(
        std::fs::read(dir.path().join(&file_file)).unwrap(),
        file_age
    );
    let text = std::fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["request_id"], REQ);
    assert_eq!(manifest["compulsion_id"], "c-1");
    assert_eq!(manifest["recipient_public_key"], RECIPIENT);
    assert_eq!(manifest["scope"]["case_ids"][0], CASE);
    assert_eq!(manifest["missing_item_ids"][0], REC);
    assert_eq!(manifest["completed_at"], "2024-05-01T12:00:00Z");
    let second = &manifest["items"][1];
    assert_eq!(second["file"], file_file);
    assert_eq!(
        (second["kind"].as_str(), second["size"].as_u64()),
        (Some("file"), Some(1000))
    );
    assert_eq!(second["data_class"], "customer");
    assert_eq!(second["sha256"], hex::encode(digest(&SHA256, &[7u8; 1000])));
    assert_eq!(
        second["encrypted_sha256"],
        hex::encode(digest(&SHA256, &file_age))
    );
    assert_eq!(second["encrypted_size"], file_age.len() as u64);
    assert!(!dir.path().join("manifest.json.partial").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(&case_file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_stream_that_ends_early_is_an_error_and_leaves_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (messages, _, _) = two_items();
    assert!(matches!(
        write(messages, dir.path()).await,
        Err(CliError::Failed(_))
    ));
    assert!(!dir.path().join(MANIFEST).exists());

    let dir = tempfile::tempdir().unwrap();
    let (mut messages, _, _) = two_items();
    messages.push(summary(2));
    messages.truncate(messages.len() - 1);
    let mut stream = tokio_stream::iter(
        messages
            .into_iter()
            .map(Ok)
            .chain([Err(Status::unavailable("gateway went away"))]),
    );
    let failed = write_production(&mut stream, dir.path()).await;
    assert!(matches!(failed, Err(CliError::Rpc(_))));
    assert!(!dir.path().join(MANIFEST).exists());
}

#[tokio::test]
async fn a_count_that_differs_from_the_announced_one_leaves_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (mut messages, _, _) = two_items();
    messages[0] = announce(3);
    messages.push(summary(2));
    let err = write(messages, dir.path()).await.unwrap_err();
    assert!(err.to_string().contains("announced 3"), "{err}");
    assert!(!dir.path().join(MANIFEST).exists());
}

#[tokio::test]
async fn content_that_is_not_an_age_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut messages = vec![announce(1), item(LegalItemKind::Case, CASE, b"plain")];
    messages.extend(chunks(b"{\"summary\":\"plaintext\"}"));
    messages.push(summary(1));
    let err = write(messages, dir.path()).await.unwrap_err();
    assert!(err.to_string().contains("not an age file"), "{err}");
    assert!(!dir.path().join(MANIFEST).exists());
    assert!(
        !dir.path().join(format!("001-case-{CASE}.age")).exists(),
        "plaintext is not kept"
    );

    let mut unsealed = item(LegalItemKind::Case, CASE, b"plain");
    if let Some(Part::Item(header)) = unsealed.part.as_mut() {
        header.encryption = "none".to_owned();
    }
    let dir = tempfile::tempdir().unwrap();
    let err = write(vec![announce(1), unsealed, summary(1)], dir.path())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("encrypted as 'none'"), "{err}");
}
