//! What every property starts from: random entry fields, a chain built from them with
//! checkpoints signed by the gateway key, and the runner that hands links and checkpoints
//! to the verifier in sequence order, as a store read or a bundle would.

use chrono::{DateTime, Duration};
use proptest::prelude::*;
use proptest::sample::select;
use supportgate_audit::{
    encode_entry, entry_hash, Checkpoint, Decision, Hash, Link, ProblemKind, Report, StoredFields,
    Verifier, GENESIS,
};
use supportgate_types::{CaseId, DataClass, PurposeCode, RequestId, Role, SubjectId, TenantId};
use uuid::Uuid;

use crate::keys::{TestSigner, TrustedKeys};

/// Cases per property: enough to hit every field, position and bit class many times,
/// few enough that the file runs in seconds on an unoptimised build
/// (`PROPTEST_CASES=5000` for a deeper run). Failures print their minimal input; no
/// regression files are written next to the sources.
pub fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    let deeper = std::env::var_os("PROPTEST_CASES").is_some();
    ProptestConfig {
        cases: if deeper { default.cases } else { 48 },
        failure_persistence: None,
        ..default
    }
}

// ---- random fields -------------------------------------------------------------------

/// Strings as the log may hold them: empty, ASCII names, and any Unicode scalar values
/// (NUL, control characters, non-ASCII, astral).
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z._]{0,15}",
        prop::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter),
    ]
    .boxed()
}

/// Times to the microsecond, about 1,100 years either side of 1970.
pub fn micros() -> BoxedStrategy<i64> {
    (-(1i64 << 55)..(1i64 << 55)).boxed()
}

/// Any entry fields.
pub fn fields() -> BoxedStrategy<StoredFields> {
    fields_from(text(), any::<u128>().boxed(), micros())
}

/// Entry fields drawn from tiny alphabets, so that two draws are often equal or differ
/// in one small way (strings of `a`, `b`, `é`; two ids; two times).
pub fn near_fields() -> BoxedStrategy<StoredFields> {
    fields_from("[abé]{0,2}".boxed(), (0u128..2).boxed(), (0i64..2).boxed())
}

fn fields_from(
    text: BoxedStrategy<String>,
    id: BoxedStrategy<u128>,
    micros: BoxedStrategy<i64>,
) -> BoxedStrategy<StoredFields> {
    let uuid = id.prop_map(Uuid::from_u128);
    (
        micros.prop_map(|m| DateTime::from_timestamp_micros(m).unwrap()),
        prop::option::of(uuid.clone().prop_map(SubjectId::from)),
        prop::option::of(select(Role::ALL.to_vec())),
        prop::option::of(uuid.clone().prop_map(TenantId::from)),
        text.clone(),
        select(vec![
            DataClass::Contact,
            DataClass::Customer,
            DataClass::Metadata,
        ]),
        prop::option::of(text.clone()),
        prop::option::of(uuid.clone().prop_map(CaseId::from)),
        prop::option::of(select(PurposeCode::ALL.to_vec())),
        select(vec![
            Decision::Allowed,
            Decision::Denied,
            Decision::Redirected,
        ]),
        text,
        uuid.prop_map(RequestId::from),
    )
        .prop_map(
            |(
                time,
                subject,
                role,
                tenant,
                action,
                data_class,
                resource_id,
                case_id,
                purpose,
                decision,
                reason,
                request_id,
            )| {
                StoredFields {
                    time,
                    subject,
                    role,
                    tenant,
                    action,
                    data_class,
                    resource_id,
                    case_id,
                    purpose,
                    decision,
                    reason,
                    request_id,
                }
            },
        )
        .boxed()
}

// ---- chains and scenarios ------------------------------------------------------------

/// One stored entry: what a row or a bundle record holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub sequence: u64,
    pub fields: StoredFields,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// A valid chain of entries 1..=n.
pub fn build_chain(all: Vec<StoredFields>) -> Vec<Stored> {
    let mut chain = Vec::with_capacity(all.len());
    let mut prev = GENESIS;
    for (i, fields) in all.into_iter().enumerate() {
        let sequence = i as u64 + 1;
        let hash = entry_hash(&prev, &encode_entry(sequence, &fields));
        chain.push(Stored {
            sequence,
            fields,
            prev_hash: prev,
            hash,
        });
        prev = hash;
    }
    chain
}

/// Recomputes `prev_hash` and `hash` of `chain[from..]` from what comes before, as a
/// forger who rewrote an entry would.
pub fn rehash_from(chain: &mut [Stored], from: usize) {
    let mut prev = if from == 0 {
        GENESIS
    } else {
        chain[from - 1].hash
    };
    for stored in &mut chain[from..] {
        stored.prev_hash = prev;
        stored.hash = entry_hash(&prev, &encode_entry(stored.sequence, &stored.fields));
        prev = stored.hash;
    }
}

/// A valid chain with signed checkpoints at random entries and always at the last one.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub chain: Vec<Stored>,
    /// Sorted by sequence, one per checkpointed entry.
    pub checkpoints: Vec<Checkpoint>,
}

impl Scenario {
    pub fn has_checkpoint_at(&self, sequence: u64) -> bool {
        self.checkpoints.iter().any(|cp| cp.sequence == sequence)
    }
}

/// Chains of 1..60 entries.
pub fn scenario() -> BoxedStrategy<Scenario> {
    scenario_of(1..60)
}

/// Chains whose length is in `entries`.
pub fn scenario_of(entries: std::ops::Range<usize>) -> BoxedStrategy<Scenario> {
    let max = entries.end;
    (
        prop::collection::vec(fields(), entries),
        prop::collection::vec(prop::bool::weighted(0.15), max),
        prop::collection::vec(0i64..86_400_000_000, max),
    )
        .prop_map(|(all, marks, delays)| {
            let chain = build_chain(all);
            let signer = TestSigner::gateway();
            let last = chain.len() - 1;
            let checkpoints = chain
                .iter()
                .enumerate()
                .filter(|(i, _)| marks[*i] || *i == last)
                .map(|(i, s)| {
                    let time = s.fields.time + Duration::microseconds(delays[i]);
                    signer.checkpoint(s.sequence, s.hash, time)
                })
                .collect();
            Scenario { chain, checkpoints }
        })
        .boxed()
}

// ---- running the verifier ------------------------------------------------------------

/// How a caller reads the chain and meets its checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An export bundle: each entry carries its `prev_hash`; each checkpoint record was
    /// written right after its entry, so it is met there even when entries around it have
    /// gone or moved.
    Bundle,
    /// The store's `log_verify`: each row carries its `prev_hash`; after each row, every
    /// checkpoint up to that row's sequence is checked.
    Store,
    /// As `Store`, but links without `prev_hash`: the verifier takes the previous link's
    /// hash (what `Link::Entry`'s docs describe for the store).
    StoreWithoutPrevHash,
}

pub const SOURCES: [Source; 3] = [Source::Bundle, Source::Store, Source::StoreWithoutPrevHash];

impl Source {
    /// Whether links carry the previous hash they claim.
    pub fn carries_prev_hash(self) -> bool {
        self != Source::StoreWithoutPrevHash
    }

    /// What an entry that no longer follows its predecessor is reported as: its claimed
    /// previous hash is wrong, or, when it claims none, its own hash no longer matches.
    pub fn broken(self) -> ProblemKind {
        if self.carries_prev_hash() {
            ProblemKind::ChainBroken
        } else {
            ProblemKind::EntryHashMismatch
        }
    }

    /// Verifies every entry of `chain`, whole, in the order given.
    pub fn verify(self, chain: &[Stored], checkpoints: &[Checkpoint]) -> Report {
        let links = chain.iter().map(|stored| self.entry_link(stored)).collect();
        self.run(links, checkpoints)
    }

    /// Verifies a tenant export of `chain`: entries marked in `hidden` appear only as
    /// redacted links (sequence and hashes).
    pub fn verify_export(
        self,
        chain: &[Stored],
        hidden: &[bool],
        checkpoints: &[Checkpoint],
    ) -> Report {
        let links = chain
            .iter()
            .zip(hidden)
            .map(|(stored, hide)| {
                if *hide {
                    redacted_link(stored)
                } else {
                    self.entry_link(stored)
                }
            })
            .collect();
        self.run(links, checkpoints)
    }

    fn entry_link(self, stored: &Stored) -> Link<'_> {
        Link::Entry {
            sequence: stored.sequence,
            fields: &stored.fields,
            prev_hash: self.carries_prev_hash().then_some(stored.prev_hash),
            entry_hash: stored.hash,
        }
    }

    /// Feeds `links` in the order given (tampering may have reordered them) and the
    /// checkpoints, sorted by sequence, where this source meets them.
    fn run(self, links: Vec<Link<'_>>, checkpoints: &[Checkpoint]) -> Report {
        let keys = TrustedKeys::gateway();
        let mut pending: Vec<&Checkpoint> = checkpoints.iter().collect();
        pending.sort_by_key(|cp| cp.sequence);
        let mut pending = pending.into_iter().peekable();
        let mut verifier = Verifier::from_genesis(&keys);
        for link in links {
            let sequence = sequence_of(&link);
            if self == Source::Bundle {
                // Written before this link: every checkpoint of an earlier sequence.
                while let Some(cp) = pending.next_if(|cp| cp.sequence < sequence) {
                    verifier.checkpoint(cp);
                }
                verifier.link(link);
            } else {
                verifier.link(link);
                while let Some(cp) = pending.next_if(|cp| cp.sequence <= sequence) {
                    verifier.checkpoint(cp);
                }
            }
        }
        for cp in pending {
            verifier.checkpoint(cp);
        }
        verifier.finish()
    }
}

fn redacted_link(stored: &Stored) -> Link<'_> {
    Link::Redacted {
        sequence: stored.sequence,
        prev_hash: stored.prev_hash,
        entry_hash: stored.hash,
    }
}

fn sequence_of(link: &Link<'_>) -> u64 {
    match link {
        Link::Entry { sequence, .. } | Link::Redacted { sequence, .. } => *sequence,
    }
}

/// `(sequence, kind)` of every problem, in the order found.
pub fn problems(report: &Report) -> Vec<(u64, ProblemKind)> {
    report
        .problems
        .iter()
        .map(|p| (p.sequence, p.kind))
        .collect()
}

pub fn first(report: &Report) -> Option<(u64, ProblemKind)> {
    report.first_problem().map(|p| (p.sequence, p.kind))
}
