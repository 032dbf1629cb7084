//! Log entries and checkpoints to and from protobuf. From the wire, only the one
//! canonical spelling of each value is accepted (lower-case hyphenated UUIDs, whole
//! microseconds, known enum values), so a changed byte can never leave an entry's hash
//! unchanged.

use chrono::{DateTime, Utc};
use supportgate_audit::{Checkpoint, Decision, Entry, Hash, StoredFields};
use supportgate_types::{DataClass, PurposeCode, Role};

use crate::proto;
use crate::server::convert::{purpose_to_proto, role_to_proto, timestamp};

/// Why a wire value is not a canonical entry or checkpoint.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} {problem}")]
pub struct WireError {
    /// Which field.
    pub what: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

fn bad(what: &'static str, problem: &'static str) -> WireError {
    WireError { what, problem }
}

/// A data class for the wire.
pub fn data_class_to_proto(c: DataClass) -> proto::DataClass {
    match c {
        DataClass::Contact => proto::DataClass::Contact,
        DataClass::Customer => proto::DataClass::Customer,
        DataClass::Metadata => proto::DataClass::Metadata,
    }
}

/// A decision for the wire.
pub fn decision_to_proto(d: Decision) -> proto::Decision {
    match d {
        Decision::Allowed => proto::Decision::Allowed,
        Decision::Denied => proto::Decision::Denied,
        Decision::Redirected => proto::Decision::Redirected,
    }
}

/// An entry for the wire.
pub fn entry_to_proto(e: Entry) -> proto::AccessLogEntry {
    let f = e.entry;
    proto::AccessLogEntry {
        sequence: e.sequence,
        time: Some(timestamp(f.time)),
        subject_id: f.subject.map(|s| s.to_string()).unwrap_or_default(),
        role: f.role.map_or(0, role_to_proto),
        tenant_id: f.tenant.map(|t| t.to_string()).unwrap_or_default(),
        action: f.action,
        data_class: data_class_to_proto(f.data_class) as i32,
        resource_id: f.resource_id.unwrap_or_default(),
        case_id: f.case_id.map(|c| c.to_string()).unwrap_or_default(),
        purpose: f.purpose.map_or(0, |p| purpose_to_proto(p) as i32),
        decision: decision_to_proto(f.decision) as i32,
        reason: f.reason,
        request_id: f.request_id.to_string(),
        prev_hash: e.prev_hash.to_vec().into(),
        entry_hash: e.hash.to_vec().into(),
    }
}

/// A checkpoint for the wire.
pub fn checkpoint_to_proto(c: Checkpoint) -> proto::Checkpoint {
    proto::Checkpoint {
        sequence: c.sequence,
        head_hash: c.head_hash.to_vec().into(),
        time: Some(timestamp(c.time)),
        key_id: c.key_id,
        signature: c.signature.into(),
    }
}

/// A 32-byte hash field.
pub fn hash(what: &'static str, bytes: &[u8]) -> Result<Hash, WireError> {
    bytes.try_into().map_err(|_| bad(what, "must be 32 bytes"))
}

fn time(what: &'static str, t: Option<prost_types::Timestamp>) -> Result<DateTime<Utc>, WireError> {
    let t = t.ok_or(bad(what, "is missing"))?;
    if t.nanos < 0 || t.nanos % 1000 != 0 {
        return Err(bad(what, "must be whole microseconds"));
    }
    let micros = t
        .seconds
        .checked_mul(1_000_000)
        .and_then(|s| s.checked_add(i64::from(t.nanos / 1000)));
    micros
        .and_then(DateTime::from_timestamp_micros)
        .ok_or(bad(what, "is out of range"))
}

/// An id in its one canonical spelling; empty is absent.
fn id_opt<T: std::str::FromStr + std::fmt::Display>(
    what: &'static str,
    s: &str,
) -> Result<Option<T>, WireError> {
    if s.is_empty() {
        return Ok(None);
    }
    let id: T = s.parse().map_err(|_| bad(what, "is not a UUID"))?;
    if id.to_string() != s {
        return Err(bad(what, "is not a lower-case hyphenated UUID"));
    }
    Ok(Some(id))
}

fn text_opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn role(value: i32) -> Result<Option<Role>, WireError> {
    if value == 0 {
        return Ok(None);
    }
    Role::ALL
        .into_iter()
        .find(|r| role_to_proto(*r) == value)
        .map(Some)
        .ok_or(bad("role", "is unknown"))
}

fn purpose(value: i32) -> Result<Option<PurposeCode>, WireError> {
    if value == 0 {
        return Ok(None);
    }
    PurposeCode::ALL
        .into_iter()
        .find(|p| purpose_to_proto(*p) as i32 == value)
        .map(Some)
        .ok_or(bad("purpose", "is unknown"))
}

fn class(value: i32) -> Result<DataClass, WireError> {
    [DataClass::Contact, DataClass::Customer, DataClass::Metadata]
        .into_iter()
        .find(|c| data_class_to_proto(*c) as i32 == value)
        .ok_or(bad("data_class", "is unknown"))
}

fn decision(value: i32) -> Result<Decision, WireError> {
    [Decision::Allowed, Decision::Denied, Decision::Redirected]
        .into_iter()
        .find(|d| decision_to_proto(*d) as i32 == value)
        .ok_or(bad("decision", "is unknown"))
}

/// An entry from the wire, refusing every non-canonical value.
pub fn entry_from_proto(e: &proto::AccessLogEntry) -> Result<Entry, WireError> {
    let request_id = id_opt("request_id", &e.request_id)?.ok_or(bad("request_id", "is missing"))?;
    Ok(Entry {
        sequence: e.sequence,
        entry: StoredFields {
            time: time("time", e.time)?,
            subject: id_opt("subject_id", &e.subject_id)?,
            role: role(e.role)?,
            tenant: id_opt("tenant_id", &e.tenant_id)?,
            action: e.action.clone(),
            data_class: class(e.data_class)?,
            resource_id: text_opt(&e.resource_id),
            case_id: id_opt("case_id", &e.case_id)?,
            purpose: purpose(e.purpose)?,
            decision: decision(e.decision)?,
            reason: e.reason.clone(),
            request_id,
        },
        prev_hash: hash("prev_hash", &e.prev_hash)?,
        hash: hash("entry_hash", &e.entry_hash)?,
    })
}

/// A checkpoint from the wire.
pub fn checkpoint_from_proto(c: &proto::Checkpoint) -> Result<Checkpoint, WireError> {
    Ok(Checkpoint {
        sequence: c.sequence,
        head_hash: hash("head_hash", &c.head_hash)?,
        time: time("checkpoint time", c.time)?,
        key_id: c.key_id.clone(),
        signature: c.signature.to_vec(),
    })
}

#[cfg(test)]
mod tests;
