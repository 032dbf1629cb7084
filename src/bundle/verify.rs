//! Verifying a bundle offline: its signature over every byte, its header, and the chain
//! and checkpoints inside it, with the trusted public key alone.

use std::io::Read;

use supportgate_audit::{Link, ProblemKind, Report, SignatureCheck, Verifier};
use supportgate_service::TrustedKeys;
use supportgate_types::TenantId;

use super::read::{BundleError, BundleReader};
use super::wire::{checkpoint_from_proto, entry_from_proto, hash};
use super::BUNDLE_FORMAT;
use crate::proto::bundle_record::Record;

/// What offline verification concluded.
#[derive(Debug)]
pub struct BundleVerdict {
    /// The chain and checkpoints inside the bundle.
    pub report: Report,
    /// The closing signature over the whole file.
    pub signature: SignatureCheck,
    /// The key that signed it.
    pub key_id: String,
    /// The tenant the bundle was exported for (`None`: every tenant).
    pub tenant: Option<TenantId>,
    /// Entries present whole (the rest were redacted).
    pub whole_entries: u64,
}

impl BundleVerdict {
    /// Whether the bundle is exactly what the gateway signed and its chain is intact.
    pub fn ok(&self) -> bool {
        self.report.ok() && self.signature == SignatureCheck::Valid
    }
}

fn malformed<R: Read>(reader: &BundleReader<R>, problem: impl Into<String>) -> BundleError {
    BundleError::Malformed {
        offset: reader.offset(),
        problem: problem.into(),
    }
}

/// Verifies the bundle read from `input` against `trusted`.
pub fn verify_bundle(
    input: impl Read,
    trusted: &TrustedKeys,
) -> Result<BundleVerdict, BundleError> {
    let mut reader = BundleReader::new(input);
    let header = match reader.next_record()? {
        Some(Record::Header(header)) => header,
        Some(_) => {
            return Err(malformed(
                &reader,
                "the first record is not the bundle header",
            ))
        }
        None => return Err(malformed(&reader, "the file is empty")),
    };
    if header.format != BUNDLE_FORMAT {
        return Err(malformed(
            &reader,
            format!(
                "unknown bundle format {:?}; expected {BUNDLE_FORMAT}",
                header.format
            ),
        ));
    }
    let range = header.range.unwrap_or_default();
    let prev = hash("header prev_hash", &header.prev_hash)
        .map_err(|e| malformed(&reader, e.to_string()))?;
    let tenant = match header.tenant_id.as_str() {
        "" => None,
        id => Some(
            TenantId::parse(id)
                .map_err(|_| malformed(&reader, "the header's tenant_id is not a UUID"))?,
        ),
    };
    let mut verifier = Verifier::new(trusted, range.from_sequence.max(1), prev);
    let mut whole_entries = 0;
    let signature = loop {
        let record = reader.next_record()?.ok_or_else(|| {
            malformed(&reader, "the bundle ends without its signature (truncated)")
        })?;
        match record {
            Record::Header(_) => return Err(malformed(&reader, "a second bundle header")),
            Record::Entry(entry) => {
                let entry = entry_from_proto(&entry)
                    .map_err(|e| malformed(&reader, format!("entry {}: {e}", entry.sequence)))?;
                if tenant.is_some() && entry.entry.tenant != tenant {
                    let detail = format!(
                        "entry {} belongs to another tenant but is not redacted",
                        entry.sequence
                    );
                    verifier.report_problem(entry.sequence, ProblemKind::ChainBroken, detail);
                }
                whole_entries += 1;
                verifier.link(Link::Entry {
                    sequence: entry.sequence,
                    fields: &entry.entry,
                    prev_hash: Some(entry.prev_hash),
                    entry_hash: entry.hash,
                });
            }
            Record::Redacted(r) => {
                let prev_hash = hash("prev_hash", &r.prev_hash)
                    .map_err(|e| malformed(&reader, e.to_string()))?;
                let entry_hash = hash("entry_hash", &r.entry_hash)
                    .map_err(|e| malformed(&reader, e.to_string()))?;
                verifier.link(Link::Redacted {
                    sequence: r.sequence,
                    prev_hash,
                    entry_hash,
                });
            }
            Record::Checkpoint(c) => {
                let checkpoint =
                    checkpoint_from_proto(&c).map_err(|e| malformed(&reader, e.to_string()))?;
                verifier.checkpoint(&checkpoint);
            }
            Record::Signature(signature) => break signature,
        }
    };
    let digest = reader.digest();
    if reader.next_record()?.is_some() {
        return Err(malformed(&reader, "records after the bundle signature"));
    }
    let mut report = verifier.finish();
    let covered = report.last_valid_checkpoint.as_ref().map(|c| c.sequence);
    if let Some(last) = report.last_sequence.filter(|last| covered != Some(*last)) {
        report.problem_count += 1;
        report.problems.push(supportgate_audit::Problem {
            sequence: last,
            kind: ProblemKind::CheckpointMismatch,
            detail: format!("no valid checkpoint covers the bundle's last entry {last}"),
        });
    }
    Ok(BundleVerdict {
        signature: trusted.check_bundle(&signature.key_id, &digest, &signature.signature),
        key_id: signature.key_id,
        report,
        tenant,
        whole_entries,
    })
}
