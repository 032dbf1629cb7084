//! Export bundles: written by `log export`, verified offline by `log verify --bundle`
//! with the public key from `log public-key` alone; any changed byte, truncation,
//! garbage or another key fails with one clear line and no panic. A tenant's export holds
//! its tenant's entries whole and nothing of any other tenant, and still verifies.

use std::collections::BTreeSet;

use supportgate::bundle::{verify_bundle, BundleError, BundleReader, BundleVerdict};
use supportgate::proto::bundle_record::Record;
use supportgate::proto::{ExportRequest, GetPublicKeyRequest, ListEntriesRequest};
use supportgate_crypto::{parse_public_key_pem, public_key_pem, SecretKey, SigningKey};
use supportgate_service::TrustedKeys;
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{activity, arg, bundle_records, export_bytes, field, one_line_error, Cli};
use crate::harness::{assert_status, World};

/// Verifies `bytes` in process against `key`.
fn check(bytes: &[u8], key: [u8; 32]) -> Result<BundleVerdict, BundleError> {
    verify_bundle(bytes, &TrustedKeys::default().with(key))
}

/// Asserts `bytes` do not verify under `key`: an error or a verdict that is not ok.
#[track_caller]
fn assert_rejected(bytes: &[u8], key: [u8; 32], what: &str) {
    match check(bytes, key) {
        Err(error) => {
            let text = error.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "{what}: {text:?}");
        }
        Ok(verdict) => assert!(!verdict.ok(), "{what} verified: {verdict:?}"),
    }
}

/// A public key nobody at the gateway ever used.
fn stranger_key() -> [u8; 32] {
    let key = SigningKey::from_seed(&SecretKey::generate().expect("seed")).expect("key");
    key.public_key().try_into().expect("32 bytes")
}

/// Deterministic noise (xorshift), for garbage files.
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Where each record of a well-formed bundle starts, and its end.
fn record_starts(bytes: &[u8]) -> Vec<u64> {
    let mut reader = BundleReader::new(bytes);
    let mut starts = vec![0];
    while reader.next_record().expect("well formed").is_some() {
        starts.push(reader.offset());
    }
    starts
}

backend_tests! {
    async fn an_exported_bundle_verifies_offline_and_fails_after_any_byte_is_changed(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let cli = Cli::new(&world.server);
        let reviewer = world.reviewer.clone();
        cli.ok(&reviewer, &["log", "public-key", "--out", "key.pem"]).await;
        cli.ok(&reviewer, &["log", "export", "--out", "bundle.sgb"]).await;
        let listed = world.log(ListEntriesRequest::default()).await;
        // No server from here on.
        world.server.stop().await;

        let run = cli
            .offline(&["log", "verify", "--bundle", "bundle.sgb", "--public-key", "key.pem"])
            .await;
        assert_eq!(run.code, 0, "offline verification: {run:?}");
        assert_eq!(field(&run.stdout, "result"), "ok", "{run:?}");
        assert_eq!(field(&run.stdout, "bundle signature"), "valid", "{run:?}");
        let checked: u64 = field(&run.stdout, "entries checked").parse().expect("a count");
        assert!(checked + 1 >= listed.len() as u64, "the bundle holds the whole log: {run:?}");

        let pem = std::fs::read_to_string(cli.path("key.pem")).expect("the key file");
        let key = parse_public_key_pem(&pem).expect("a PEM public key");
        let bytes = std::fs::read(cli.path("bundle.sgb")).expect("the bundle");
        let verdict = check(&bytes, key).expect("a well-formed bundle");
        assert!(verdict.ok(), "{verdict:?}");
        assert_eq!(verdict.tenant, None, "a whole-log export");
        let records = bundle_records(&bytes);
        let entries: Vec<_> = records
            .iter()
            .filter_map(|r| match r {
                Record::Entry(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(entries[..listed.len() - 1], listed[..listed.len() - 1], "the bundle's entries are the log's");
        assert!(records.iter().any(|r| matches!(r, Record::Checkpoint(_))), "a signed checkpoint");

        // Every single changed byte, at a few hundred places over the whole file, and at
        // every byte of the first and last records (header and signature).
        let starts = record_starts(&bytes);
        let len = bytes.len();
        let step = (len / 400).max(1);
        let mut positions: BTreeSet<usize> = (0..len).step_by(step).collect();
        positions.extend(0..(starts[1] as usize).min(len));
        positions.extend(starts[starts.len() - 2] as usize..len);
        positions.extend(starts.iter().map(|s| *s as usize).filter(|s| *s < len));
        assert!(positions.len() >= 400, "{} positions", positions.len());
        for (i, &position) in positions.iter().enumerate() {
            let mut changed = bytes.clone();
            changed[position] ^= [0x01, 0x80, 0xff][i % 3];
            assert_rejected(&changed, key, &format!("the bundle with byte {position} of {len} changed"));
        }

        std::fs::write(cli.path("changed.sgb"), {
            let mut changed = bytes.clone();
            changed[len / 2] ^= 0x01;
            changed
        })
        .expect("write");
        let run = cli
            .offline(&["log", "verify", "--bundle", "changed.sgb", "--public-key", "key.pem"])
            .await;
        let line = one_line_error(&run, 1);
        assert!(line.contains("verification failed"), "{line}");
    }

    async fn truncated_empty_garbage_and_foreign_key_bundles_fail_with_one_clear_line(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let cli = Cli::new(&world.server);
        cli.ok(&world.reviewer, &["log", "public-key", "--out", "key.pem"]).await;
        cli.ok(&world.reviewer, &["log", "export", "--out", "bundle.sgb"]).await;
        world.server.stop().await;
        let pem = std::fs::read_to_string(cli.path("key.pem")).expect("the key file");
        let key = parse_public_key_pem(&pem).expect("a PEM public key");
        let bytes = std::fs::read(cli.path("bundle.sgb")).expect("the bundle");
        assert!(check(&bytes, key).expect("well formed").ok());
        let starts = record_starts(&bytes);
        let before_signature = starts[starts.len() - 2] as usize;
        let second_record = starts[1] as usize;

        let mut garbage_with_a_header = bytes[..second_record].to_vec();
        garbage_with_a_header.extend(noise(2000, 7));
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("last byte cut", bytes[..bytes.len() - 1].to_vec(), "truncated"),
            ("cut in half", bytes[..bytes.len() / 2].to_vec(), "truncated"),
            ("signature record cut off", bytes[..before_signature].to_vec(), "truncated"),
            ("only the header", bytes[..second_record].to_vec(), "truncated"),
            ("ten bytes", bytes[..10].to_vec(), "truncated"),
            ("empty", Vec::new(), "empty"),
            ("random garbage", noise(4096, 0x9e37_79b9_7f4a_7c15), ""),
            ("garbage after a good header", garbage_with_a_header, ""),
            ("one byte", vec![0x80], ""),
            ("a huge record length", vec![0xff, 0xff, 0xff, 0xff, 0x0f], ""),
        ];
        for (what, content, says) in &cases {
            assert_rejected(content, key, what);
            let name = format!("{}.sgb", what.replace(' ', "-"));
            std::fs::write(cli.path(&name), content).expect("write");
            let run = cli
                .offline(&["log", "verify", "--bundle", &name, "--public-key", "key.pem"])
                .await;
            let line = one_line_error(&run, 1);
            assert!(line.contains(says), "{what}: the error should say {says:?}: {line}");
        }

        let stranger = stranger_key();
        assert_rejected(&bytes, stranger, "the bundle under another key");
        std::fs::write(cli.path("stranger.pem"), public_key_pem(&stranger)).expect("write");
        let run = cli
            .offline(&["log", "verify", "--bundle", "bundle.sgb", "--public-key", "stranger.pem"])
            .await;
        let line = one_line_error(&run, 1);
        assert!(line.contains("key"), "the error is about the key: {line}");

        std::fs::write(cli.path("not-a-key.pem"), "not a key\n").expect("write");
        let run = cli
            .offline(&["log", "verify", "--bundle", "bundle.sgb", "--public-key", "not-a-key.pem"])
            .await;
        let line = one_line_error(&run, 2);
        assert!(line.contains("not-a-key.pem"), "the error names the key file: {line}");
        let missing = cli.path("missing.sgb");
        let run = cli
            .offline(&["log", "verify", "--bundle", arg(&missing), "--public-key", "key.pem"])
            .await;
        let line = one_line_error(&run, 2);
        assert!(line.contains("missing.sgb"), "the error names the bundle: {line}");
    }

    async fn a_tenant_export_verifies_offline_and_holds_nothing_of_another_tenant(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let acme_reviewer = world.server.as_actor(&acme.reviewer).await;
        let bytes = export_bytes(&acme_reviewer, ExportRequest::default()).await.expect("acme's reviewer exports");
        let keys = acme_reviewer
            .log()
            .get_public_key(GetPublicKeyRequest {})
            .await
            .expect("the public key")
            .into_inner();
        let current = keys.keys.iter().find(|k| k.key_id == keys.current_key_id).expect("the current key");
        let key: [u8; 32] = current.public_key.as_ref().try_into().expect("32 bytes");

        let verdict = check(&bytes, key).expect("a well-formed bundle");
        assert!(verdict.ok(), "the tenant export verifies offline: {verdict:?}");
        assert_eq!(verdict.tenant.map(|t| t.to_string()).as_deref(), Some(acme.id.as_str()));
        assert!(verdict.whole_entries > 0, "{verdict:?}");

        let globex_log = world.log(ListEntriesRequest { tenant_id: globex.id.clone(), ..Default::default() }).await;
        assert!(!globex_log.is_empty());
        let mut secrets: Vec<String> = vec![globex.id.clone(), globex.case.clone(), globex.opted_out_case.clone()];
        for actor in [
            &globex.customer, &globex.agent, &globex.engineer, &globex.other_engineer,
            &globex.quality, &globex.communications, &globex.sales, &globex.reviewer,
        ] {
            secrets.push(actor.subject_id.clone());
            secrets.push(actor.credential_id.clone());
        }
        secrets.extend(globex_log.iter().map(|e| e.request_id.clone()));
        for secret in &secrets {
            let text = secret.as_bytes();
            assert!(!bytes.windows(text.len()).any(|w| w == text), "{secret} is in acme's bundle");
            let raw = uuid::Uuid::parse_str(secret).expect("ids are UUIDs");
            let raw = raw.as_bytes();
            assert!(!bytes.windows(16).any(|w| w == raw), "{secret} is in acme's bundle as bytes");
        }

        let records = bundle_records(&bytes);
        let Some(Record::Header(header)) = records.first() else { panic!("no header: {records:?}") };
        assert_eq!(header.tenant_id, acme.id);
        let range = header.range.expect("a range");
        let log = world.log(ListEntriesRequest::default()).await;
        let mut whole = 0;
        for entry in log.iter().filter(|e| e.sequence >= range.from_sequence && e.sequence <= range.to_sequence) {
            let record = records
                .iter()
                .find(|r| match r {
                    Record::Entry(e) => e.sequence == entry.sequence,
                    Record::Redacted(r) => r.sequence == entry.sequence,
                    _ => false,
                })
                .unwrap_or_else(|| panic!("entry {} is not in the bundle", entry.sequence));
            match record {
                Record::Entry(e) => {
                    assert_eq!(entry.tenant_id, acme.id, "another tenant's entry whole: {e:?}");
                    assert_eq!(e, entry, "acme's entry {} is not whole", entry.sequence);
                    whole += 1;
                }
                Record::Redacted(r) => {
                    assert_ne!(entry.tenant_id, acme.id, "acme's entry {} is redacted", entry.sequence);
                    assert_eq!((&r.prev_hash, &r.entry_hash), (&entry.prev_hash, &entry.entry_hash));
                }
                _ => unreachable!(),
            }
        }
        assert_eq!(whole, verdict.whole_entries, "entries past the range are redacted too");
        let acme_case_reads = log
            .iter()
            .filter(|e| e.case_id == acme.case && e.subject_id == acme.engineer.subject_id && e.action == "case.get")
            .count();
        assert!(acme_case_reads > 0, "the engineer's reads are acme entries");

        let globex_reviewer = world.server.as_actor(&globex.reviewer).await;
        let request = ExportRequest { tenant_id: acme.id.clone(), ..Default::default() };
        let refused = export_bytes(&globex_reviewer, request).await;
        assert_status(refused, Code::PermissionDenied, "OTHER_TENANT");
        let entry = world.log(ListEntriesRequest {
            subject_id: globex.reviewer.subject_id.clone(),
            action: "log.export".into(),
            ..Default::default()
        })
        .await
        .pop()
        .expect("the refusal is logged");
        assert_eq!(entry.reason, "OTHER_TENANT");
    }
}
