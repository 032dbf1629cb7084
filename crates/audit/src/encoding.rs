//! The canonical, versioned byte encoding of an entry: what its hash commits to.
//!
//! Format 1, all integers big-endian:
//!
//! ```text
//! format u8 (= 1) | sequence u64 | time i64 (µs since the Unix epoch)
//! | subject opt-uuid | role opt-str | tenant opt-uuid | action str | data_class str
//! | resource_id opt-str | case_id opt-uuid | purpose opt-str | decision str | reason str
//! | request_id uuid
//! str      = length u32 | UTF-8 bytes
//! uuid     = 16 bytes
//! opt-x    = 0x00 (absent) | 0x01 x
//! ```
//!
//! ## Why not protobuf or JSON
//! Neither has one canonical byte form for a value; a hash needs exactly one. This
//! encoding is injective (every field is typed and length-prefixed), so two different
//! entries never encode to the same bytes.

use crate::StoredFields;

/// The encoding every entry written today uses.
pub const ENTRY_FORMAT: u8 = 1;

/// Encodes entry `sequence` in the current format.
pub fn encode_entry(sequence: u64, fields: &StoredFields) -> Vec<u8> {
    let mut out = Vec::with_capacity(160 + fields.action.len() + fields.reason.len());
    out.push(ENTRY_FORMAT);
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&fields.time.timestamp_micros().to_be_bytes());
    opt_uuid(&mut out, fields.subject.map(|s| s.as_uuid()));
    opt_str(&mut out, fields.role.map(|r| r.as_str()));
    opt_uuid(&mut out, fields.tenant.map(|t| t.as_uuid()));
    str(&mut out, &fields.action);
    str(&mut out, fields.data_class.as_str());
    opt_str(&mut out, fields.resource_id.as_deref());
    opt_uuid(&mut out, fields.case_id.map(|c| c.as_uuid()));
    opt_str(&mut out, fields.purpose.map(|p| p.as_str()));
    str(&mut out, fields.decision.as_str());
    str(&mut out, &fields.reason);
    out.extend_from_slice(fields.request_id.as_uuid().as_bytes());
    out
}

fn str(out: &mut Vec<u8>, s: &str) {
    // Entry fields are bounded far below 4 GiB by the edge; saturating keeps the
    // function total without a panic path.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            str(out, s);
        }
    }
}

fn opt_uuid(out: &mut Vec<u8>, u: Option<uuid::Uuid>) {
    match u {
        None => out.push(0),
        Some(u) => {
            out.push(1);
            out.extend_from_slice(u.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests;
