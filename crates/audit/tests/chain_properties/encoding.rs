//! Property 9: everything above rests on the entry encoding being stable (equal fields,
//! equal bytes) and injective (different fields, different bytes). Injectivity is proved
//! by a left inverse: a decoder written from the format documented in `encoding.rs`
//! recovers every random entry exactly, so no two entries can share an encoding.

use chrono::DateTime;
use proptest::prelude::*;
use supportgate_audit::{encode_entry, Decision, StoredFields, ENTRY_FORMAT};
use supportgate_types::{DataClass, PurposeCode, Role};
use uuid::Uuid;

use crate::fixtures::*;
use crate::mutations::{field, mutate};

/// Reads format 1; `None` on anything malformed, unknown or left over.
fn decode_entry(bytes: &[u8]) -> Option<(u64, StoredFields)> {
    let mut r = Reader(bytes);
    if r.take(1)? != [ENTRY_FORMAT] {
        return None;
    }
    let sequence = u64::from_be_bytes(r.array()?);
    let fields = StoredFields {
        time: DateTime::from_timestamp_micros(i64::from_be_bytes(r.array()?))?,
        subject: r.opt(Reader::uuid)?.map(Into::into),
        role: known(r.opt(Reader::string)?, |s| Role::parse(s).ok())?,
        tenant: r.opt(Reader::uuid)?.map(Into::into),
        action: r.string()?,
        data_class: DataClass::parse(&r.string()?)?,
        resource_id: r.opt(Reader::string)?,
        case_id: r.opt(Reader::uuid)?.map(Into::into),
        purpose: known(r.opt(Reader::string)?, exact_purpose)?,
        decision: Decision::parse(&r.string()?)?,
        reason: r.string()?,
        request_id: r.uuid()?.into(),
    };
    r.0.is_empty().then_some((sequence, fields))
}

/// An optional name parsed: `None` when present but unknown.
fn known<T>(raw: Option<String>, parse: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    match raw {
        None => Some(None),
        Some(name) => parse(&name).map(Some),
    }
}

/// `PurposeCode::parse` also accepts kebab-case and spaces; the encoding holds only the
/// canonical name.
fn exact_purpose(s: &str) -> Option<PurposeCode> {
    PurposeCode::parse(s).filter(|p| p.as_str() == s)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn uuid(&mut self) -> Option<Uuid> {
        Some(Uuid::from_bytes(self.array()?))
    }

    fn string(&mut self) -> Option<String> {
        let len = u32::from_be_bytes(self.array()?) as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }

    /// `None` when malformed, `Some(None)` when absent.
    fn opt<T>(&mut self, read: fn(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.take(1)? {
            [0] => Some(None),
            [1] => read(self).map(Some),
            _ => None,
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn encoding_the_same_fields_twice_gives_the_same_bytes(
        sequence in any::<u64>(), f in fields(),
    ) {
        let bytes = encode_entry(sequence, &f);
        prop_assert_eq!(&encode_entry(sequence, &f), &bytes);
        prop_assert_eq!(&encode_entry(sequence, &f.clone()), &bytes);
    }

    #[test]
    fn decoding_an_encoding_by_its_documented_format_gives_back_the_entry(
        sequence in any::<u64>(), f in prop_oneof![fields(), near_fields()],
    ) {
        let bytes = encode_entry(sequence, &f);
        prop_assert_eq!(decode_entry(&bytes), Some((sequence, f)));
    }

    #[test]
    fn entries_that_differ_anywhere_never_share_an_encoding(
        a in (0u64..3, near_fields()), b in (0u64..3, near_fields()),
    ) {
        let same_bytes = encode_entry(a.0, &a.1) == encode_entry(b.0, &b.1);
        prop_assert_eq!(same_bytes, a == b, "{:?} vs {:?}", a, b);
    }

    #[test]
    fn changing_any_one_field_changes_the_encoding(
        sequence in any::<u64>(), f in prop_oneof![fields(), near_fields()], field in field(),
        donor in prop_oneof![fields(), near_fields()],
    ) {
        let mut changed = f.clone();
        mutate(&mut changed, field, &donor);
        prop_assert_ne!(encode_entry(sequence, &changed), encode_entry(sequence, &f));
    }
}
