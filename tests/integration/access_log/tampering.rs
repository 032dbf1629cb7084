//! An intruder with the database's credentials: drops the append-only triggers, then
//! changes one column of one stored entry (one test per column), deletes an entry, or
//! swaps two. Verify is then not ok and its first problem names exactly that entry's
//! sequence number; `log verify` exits non-zero and says which entry.

use supportgate::proto::{
    AccessLogEntry, Decision, ListEntriesRequest, Purpose, VerifyProblemKind, VerifyResponse,
};
use supportgate_testkit::{backend_tests, Backend};

use super::{one_line_error, read_case, verify, Cli};
use crate::harness::{TestServer, World};

/// Drops the triggers that refuse UPDATE and DELETE on the log, as an intruder would.
async fn drop_append_only_triggers(server: &TestServer) {
    if server.on_postgres() {
        server
            .sql(&["DROP TRIGGER access_log_no_update_or_delete ON access_log"])
            .await;
    } else {
        server
            .sql(&[
                "DROP TRIGGER access_log_no_update",
                "DROP TRIGGER access_log_no_delete",
            ])
            .await;
    }
}

/// The acme engineer's read of the acme case: an entry in the middle of the log, with
/// entries after it.
async fn target(world: &World) -> AccessLogEntry {
    let (view, _) = read_case(&world.server, &world.acme.engineer, &world.acme.case).await;
    view.expect("the assigned engineer reads the case");
    let filter = ListEntriesRequest {
        subject_id: world.acme.engineer.subject_id.clone(),
        case_id: world.acme.case.clone(),
        action: "case.get".into(),
        ..Default::default()
    };
    let entry = world.log(filter).await.pop().expect("the read is logged");
    assert_eq!(
        (entry.action.as_str(), entry.decision, entry.purpose),
        (
            "case.get",
            Decision::Allowed as i32,
            Purpose::ProvideSupport as i32
        ),
        "{entry:?}"
    );
    let (view, _) = read_case(&world.server, &world.globex.engineer, &world.globex.case).await;
    view.expect("globex's engineer reads their case");
    let before = verify(world, None).await;
    assert!(
        before.ok,
        "the log verifies before it is touched: {:?}",
        before.problems
    );
    entry
}

/// `s` with its last character changed: one byte, still a UUID if it was one.
fn one_byte(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let last = chars.last_mut().expect("a non-empty value");
    *last = match *last {
        '0' => '1',
        c if c.is_ascii_hexdigit() => '0',
        'X' => 'Y',
        _ => 'X',
    };
    chars.into_iter().collect()
}

/// `bytes` with its first byte flipped, as an SQL literal for the engine.
fn flipped(postgres: bool, bytes: &[u8]) -> String {
    let mut bytes = bytes.to_vec();
    bytes[0] ^= 0x01;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if postgres {
        format!("'\\x{hex}'::bytea")
    } else {
        format!("X'{hex}'")
    }
}

/// Verify after tampering: not ok, and the first problem names `sequence`.
async fn assert_named(world: &World, sequence: u64, what: &str) -> VerifyResponse {
    let report = verify(world, None).await;
    assert!(!report.ok, "{what} went unnoticed: {report:?}");
    let first = report
        .problems
        .first()
        .unwrap_or_else(|| panic!("{what}: not ok but no problem named: {report:?}"));
    assert_eq!(
        first.sequence, sequence,
        "{what}: the first problem names another entry: {:?}",
        report.problems
    );
    report
}

/// How an intruder rewrites one column: the SQL value, from the engine and the entry.
type Rewrite = fn(bool, &AccessLogEntry) -> String;

/// What Verify must say beyond naming the entry first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A field the entry hashes: that entry, and only it, no longer hashes to its
    /// stored hash.
    HashMismatchOnly,
    /// The entry's own hash: it no longer matches (the next entry no longer follows it).
    HashMismatchFirst,
    /// What it follows: it no longer follows its predecessor; every problem is its own.
    ChainBrokenHere,
    /// A value the log cannot show (or no longer parses): only that it is named first.
    Named,
}

/// Changes `column` of the target entry to `rewrite`'s value and checks Verify names
/// exactly that entry.
async fn change_column(backend: Backend, column: &str, rewrite: Rewrite, expect: Expect) {
    let world = World::build(backend).await;
    let entry = target(&world).await;
    let server = &world.server;
    drop_append_only_triggers(server).await;
    let value = rewrite(server.on_postgres(), &entry);
    let update = format!(
        "UPDATE access_log SET {column} = {value} WHERE seq = {}",
        entry.sequence
    );
    server.sql(&[&update]).await;
    if expect != Expect::Named {
        // The row changed as the log shows it.
        let filter = ListEntriesRequest {
            case_id: world.acme.case.clone(),
            subject_id: world.acme.engineer.subject_id.clone(),
            ..Default::default()
        };
        let entries = world.log(filter).await;
        assert!(
            !entries.contains(&entry),
            "{update} changed nothing the log shows"
        );
    }

    let report = assert_named(&world, entry.sequence, &update).await;
    let kinds: Vec<(u64, i32)> = report
        .problems
        .iter()
        .map(|p| (p.sequence, p.kind))
        .collect();
    let mismatch = (entry.sequence, VerifyProblemKind::EntryHashMismatch as i32);
    let broken = (entry.sequence, VerifyProblemKind::ChainBroken as i32);
    match expect {
        Expect::HashMismatchOnly => assert_eq!(kinds, [mismatch], "{:?}", report.problems),
        Expect::HashMismatchFirst => assert_eq!(kinds[0], mismatch, "{:?}", report.problems),
        Expect::ChainBrokenHere => assert!(
            kinds.iter().all(|(s, _)| *s == entry.sequence) && kinds.contains(&broken),
            "{:?}",
            report.problems
        ),
        Expect::Named => {}
    }
}

backend_tests! {
    async fn changing_the_action_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "action", |_, e| format!("'{}'", one_byte(&e.action)), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_decision_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "decision", |_, _| "'denied'".into(), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_reason_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "reason", |_, e| format!("'{}'", one_byte(&e.reason)), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_time_of_a_stored_entry_by_a_microsecond_is_found_and_named(backend: Backend) {
        change_column(backend, "time", |_, _| "time + 1".into(), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_subject_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "subject_id", |_, e| format!("'{}'", one_byte(&e.subject_id)), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_tenant_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "tenant_id", |_, e| format!("'{}'", one_byte(&e.tenant_id)), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_case_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "case_id", |_, e| format!("'{}'", one_byte(&e.case_id)), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_purpose_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "purpose", |_, _| "'improve_support'".into(), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_resource_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "resource_id", |_, e| {
            if e.resource_id.is_empty() {
                "'tampered'".into()
            } else {
                format!("'{}'", one_byte(&e.resource_id))
            }
        }, Expect::HashMismatchOnly).await;
    }

    async fn changing_the_request_id_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "request_id", |_, e| format!("'{}'", one_byte(&e.request_id)), Expect::HashMismatchOnly).await;
    }

    async fn changing_one_byte_of_the_previous_hash_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "prev_hash", |postgres, e| flipped(postgres, &e.prev_hash), Expect::ChainBrokenHere).await;
    }

    async fn changing_one_byte_of_the_hash_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "hash", |postgres, e| flipped(postgres, &e.entry_hash), Expect::HashMismatchFirst).await;
    }

    async fn changing_the_role_of_a_stored_entry_to_another_role_is_found_and_named(backend: Backend) {
        change_column(backend, "role", |_, _| "'customer'".into(), Expect::HashMismatchOnly).await;
    }

    async fn changing_the_data_class_of_a_stored_entry_is_found_and_named(backend: Backend) {
        change_column(backend, "data_class", |_, _| "'metadata'".into(), Expect::HashMismatchOnly).await;
    }

    async fn one_byte_changed_in_a_field_that_must_parse_is_still_found_and_named(backend: Backend) {
        // The acceptance: one byte of any field. Here the role no longer names a role;
        // Verify must still answer and name the entry, not fail as a whole.
        change_column(backend, "role", |_, _| "'support_engineeX'".into(), Expect::Named).await;
    }

    async fn changing_the_encoding_format_of_a_stored_entry_is_found_and_named(backend: Backend) {
        // The column says which canonical encoding the entry was hashed in; an entry
        // claiming another format than the one it verifies under has been changed.
        change_column(backend, "format", |_, _| "2".into(), Expect::Named).await;
    }

    async fn deleting_a_stored_entry_is_found_and_named(backend: Backend) {
        let world = World::build(backend).await;
        let entry = target(&world).await;
        drop_append_only_triggers(&world.server).await;
        let delete = format!("DELETE FROM access_log WHERE seq = {}", entry.sequence);
        world.server.sql(&[&delete]).await;
        let report = assert_named(&world, entry.sequence, &delete).await;
        assert_eq!(
            report.problems[0].kind,
            VerifyProblemKind::SequenceGap as i32,
            "{:?}",
            report.problems
        );
    }

    async fn swapping_two_stored_entries_is_found_and_the_first_is_named(backend: Backend) {
        let world = World::build(backend).await;
        let entry = target(&world).await;
        drop_append_only_triggers(&world.server).await;
        let (a, b) = (entry.sequence, entry.sequence + 2);
        let swap = [
            format!("UPDATE access_log SET seq = -1 WHERE seq = {a}"),
            format!("UPDATE access_log SET seq = {a} WHERE seq = {b}"),
            format!("UPDATE access_log SET seq = {b} WHERE seq = -1"),
        ];
        world.server.sql(&swap.iter().map(String::as_str).collect::<Vec<_>>()).await;
        let report = assert_named(&world, a, &format!("swapping entries {a} and {b}")).await;
        assert!(
            report.problems.iter().any(|p| p.sequence == b),
            "the second swapped entry is named too: {:?}",
            report.problems
        );
    }

    async fn log_verify_in_a_shell_fails_and_names_the_changed_entry(backend: Backend) {
        let world = World::build(backend).await;
        let entry = target(&world).await;
        let cli = Cli::new(&world.server);
        let ok = cli.run(&world.reviewer, &["log", "verify"]).await;
        assert_eq!(ok.code, 0, "untouched: {ok:?}");

        drop_append_only_triggers(&world.server).await;
        let update = format!("UPDATE access_log SET decision = 'denied' WHERE seq = {}", entry.sequence);
        world.server.sql(&[&update]).await;
        let run = cli.run(&world.reviewer, &["log", "verify"]).await;
        let line = one_line_error(&run, 1);
        assert!(
            line.contains(&format!("at entry {}:", entry.sequence)),
            "the error names entry {}: {line}",
            entry.sequence
        );
        assert!(run.stdout.contains("FAILED"), "{run:?}");
    }
}
