//! Property tests of the segmented stream (DESIGN §8; CONVENTIONS, Tests 6 and 7). For
//! random content (empty, around segment boundaries, or of any length up to five
//! segments) sealed in random small segment sizes (4, 8 or 16 KiB, to stay fast):
//!
//! 1. any plaintext byte range read through `segments_for_range`, `sealed_offset` and a
//!    trim gives back exactly those bytes;
//! 2. any single bit flipped in the header or in any sealed segment is detected, and a
//!    flipped segment fails on its own with `CryptoError::Open`;
//! 3. a stream rebuilt from any sequence of its segments (reordered, dropped, duplicated,
//!    appended) opens only if that sequence is the original one, whether the reader
//!    trusts the stored plaintext size or the size the rebuilt stream's length implies;
//! 4. the header parser, fed what the `segment_header` fuzz target is fed (random bytes,
//!    random bytes behind a valid magic and version, mutated valid headers), never
//!    panics, and whatever it accepts re-encodes to the bytes it read; valid headers
//!    round-trip.
//!
//! `PROPTEST_CASES=2000 cargo test -p supportgate-crypto --test segmented_properties`
//! runs deeper than the default.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use proptest::sample::Index;
use supportgate_crypto::{CryptoError, DataKey, SegmentCipher, StreamHeader};

/// Bytes GCM adds to each segment.
const TAG_LEN: u64 = 16;

/// `cases` cases, or `PROPTEST_CASES` when set; no regression files.
fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    let deeper = std::env::var_os("PROPTEST_CASES").is_some();
    ProptestConfig {
        cases: if deeper { default.cases } else { cases },
        failure_persistence: None,
        ..default
    }
}

/// A sealed object: the key, the plaintext and the stored bytes (header, segments).
struct Sealed {
    key: DataKey,
    content: Vec<u8>,
    blob: Vec<u8>,
    header_len: usize,
    cipher: SegmentCipher,
}

/// Content of `len` bytes from a cheap deterministic generator seeded by `seed`.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn seal(content: Vec<u8>, segment_size: u32) -> Sealed {
    let key = DataKey::generate().unwrap();
    let header = StreamHeader::new("object-1", "acme", 1)
        .unwrap()
        .with_segment_size(segment_size)
        .unwrap();
    let cipher = SegmentCipher::new(&key, &header, content.len() as u64).unwrap();
    let mut blob = header.encode();
    for i in 0..cipher.segment_count() {
        let start = cipher.plaintext_offset(i) as usize;
        let end = start + cipher.segment_plaintext_len(i) as usize;
        blob.extend(cipher.seal(i, &content[start..end]).unwrap());
    }
    assert_eq!(
        blob.len(),
        header.encoded_len() + cipher.sealed_len() as usize
    );
    Sealed {
        key,
        content,
        header_len: header.encoded_len(),
        blob,
        cipher,
    }
}

/// Sealed segment `index` of `body` (the stream after its header).
fn segment_bytes<'a>(cipher: &SegmentCipher, body: &'a [u8], index: u64) -> &'a [u8] {
    &body[cipher.sealed_offset(index) as usize..cipher.sealed_offset(index + 1) as usize]
}

/// The sealed segments of `sealed`, one `Vec` each.
fn segments(sealed: &Sealed) -> Vec<Vec<u8>> {
    let body = &sealed.blob[sealed.header_len..];
    (0..sealed.cipher.segment_count())
        .map(|i| segment_bytes(&sealed.cipher, body, i).to_vec())
        .collect()
}

/// Plaintext bytes `offset .. offset + len` (clipped to the content) of a stored
/// object, decrypting only the segments that hold them, as a ranged download does.
fn read_range(
    key: &DataKey,
    blob: &[u8],
    size: u64,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, CryptoError> {
    let (header, header_len) = StreamHeader::parse(blob)?;
    let cipher = SegmentCipher::new(key, &header, size)?;
    let body = &blob[header_len..];
    if body.len() as u64 != cipher.sealed_len() {
        return Err(CryptoError::Malformed {
            what: "stream length",
        });
    }
    let segments = cipher.segments_for_range(offset, len);
    let mut plain = Vec::new();
    for i in segments.clone() {
        plain.extend(cipher.open(i, segment_bytes(&cipher, body, i))?);
    }
    let skip = offset.saturating_sub(cipher.plaintext_offset(segments.start)) as usize;
    Ok(plain.into_iter().skip(skip).take(len as usize).collect())
}

/// The whole plaintext of a stored object, every segment authenticated.
fn open_stream(key: &DataKey, blob: &[u8], size: u64) -> Result<Vec<u8>, CryptoError> {
    let (header, header_len) = StreamHeader::parse(blob)?;
    let cipher = SegmentCipher::new(key, &header, size)?;
    let body = &blob[header_len..];
    if body.len() as u64 != cipher.sealed_len() {
        return Err(CryptoError::Malformed {
            what: "stream length",
        });
    }
    let mut plain = Vec::new();
    for i in 0..cipher.segment_count() {
        plain.extend(cipher.open(i, segment_bytes(&cipher, body, i))?);
    }
    Ok(plain)
}

/// The plaintext size a reader that trusts the stored length would assume.
fn implied_size(sealed_len: u64, segment_size: u32) -> u64 {
    let count = sealed_len.div_ceil(u64::from(segment_size) + TAG_LEN);
    sealed_len.saturating_sub(count * TAG_LEN)
}

/// A segment size and content: empty, one byte either side of a segment boundary, or
/// any length up to five segments.
fn sealed() -> impl Strategy<Value = Sealed> {
    let segment_size = prop_oneof![Just(4096u32), Just(8192), Just(16384)];
    (segment_size, any::<u64>())
        .prop_flat_map(|(size, seed)| {
            let s = size as usize;
            let len = prop_oneof![
                Just(0usize),
                (1usize..=5, 0usize..=2).prop_map(move |(k, d)| k * s + d - 1),
                0..=5 * s,
            ];
            (Just(size), len, Just(seed))
        })
        .prop_map(|(size, len, seed)| seal(content(len, seed), size))
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} ({} bytes)", self.cipher, self.content.len())
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_byte_range_reads_back_exactly(
        sealed in sealed(),
        a in any::<Index>(),
        b in any::<Index>(),
        past_end in 0u64..3,
    ) {
        let size = sealed.content.len();
        let offset = a.index(size + 1);
        let len = b.index(size - offset + 1) as u64 + past_end * 5000;
        let got = read_range(&sealed.key, &sealed.blob, size as u64, offset as u64, len).unwrap();
        let end = (offset + len as usize).min(size);
        prop_assert_eq!(got, &sealed.content[offset..end]);
    }

    #[test]
    fn the_whole_stream_opens_to_the_content(sealed in sealed()) {
        let got = open_stream(&sealed.key, &sealed.blob, sealed.content.len() as u64).unwrap();
        prop_assert_eq!(got, sealed.content);
    }

    #[test]
    fn any_single_bit_flip_is_detected(
        sealed in sealed(),
        position in any::<Index>(),
        bit in 0u8..8,
    ) {
        let i = position.index(sealed.blob.len());
        let mut blob = sealed.blob.clone();
        blob[i] ^= 1 << bit;
        let size = sealed.content.len() as u64;
        let result = open_stream(&sealed.key, &blob, size);
        prop_assert!(result.is_err(), "bit {} of byte {} flipped and it opened", bit, i);
        if i >= sealed.header_len {
            // The segment holding the flipped bit fails on its own.
            let body = (i - sealed.header_len) as u64;
            let segment = (0..sealed.cipher.segment_count())
                .find(|&s| body < sealed.cipher.sealed_offset(s + 1))
                .unwrap();
            let body = &blob[sealed.header_len..];
            let result = sealed.cipher.open(segment, segment_bytes(&sealed.cipher, body, segment));
            prop_assert!(matches!(result, Err(CryptoError::Open)), "{:?}", result);
        }
    }

    #[test]
    fn a_stream_rebuilt_from_its_segments_opens_only_in_the_original_order(
        sealed in sealed(),
        picks in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let segments = segments(&sealed);
        let order: Vec<usize> = picks.iter().map(|p| p.index(segments.len())).collect();
        prop_assume!(order != (0..segments.len()).collect::<Vec<_>>());

        let mut blob = sealed.blob[..sealed.header_len].to_vec();
        for &i in &order {
            blob.extend_from_slice(&segments[i]);
        }
        let sealed_len = (blob.len() - sealed.header_len) as u64;
        let segment_size = sealed.cipher.segment_size();
        for size in [sealed.content.len() as u64, implied_size(sealed_len, segment_size)] {
            let result = open_stream(&sealed.key, &blob, size);
            prop_assert!(result.is_err(), "order {:?} opened under size {}", order, size);
        }
    }
}

/// Inputs for the header parser: what the fuzz target sees, and more of what gets deep.
fn parser_input() -> impl Strategy<Value = Vec<u8>> {
    let random = prop::collection::vec(any::<u8>(), 0..600);
    let behind_magic = prop::collection::vec(any::<u8>(), 0..600).prop_map(|tail| {
        let mut bytes = b"SGST\x01".to_vec();
        bytes.extend(tail);
        bytes
    });
    let mutated = (
        valid_header(),
        prop::collection::vec((any::<Index>(), any::<u8>()), 0..4),
        any::<Index>(),
    )
        .prop_map(|(header, edits, cut)| {
            let mut bytes = header.encode();
            bytes.extend_from_slice(b"trailing segment bytes");
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            bytes
        });
    prop_oneof![random, behind_magic, mutated]
}

fn valid_header() -> impl Strategy<Value = StreamHeader> {
    (
        12u32..=24,
        any::<[u8; 7]>(),
        any::<u32>(),
        "\\PC{1,60}",
        "[a-z0-9-]{1,255}",
    )
        .prop_map(
            |(log2, nonce_prefix, key_version, object_id, tenant)| StreamHeader {
                segment_size: 1 << log2,
                nonce_prefix,
                key_version,
                object_id,
                tenant,
            },
        )
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn the_header_parser_never_panics_and_what_it_accepts_reencodes_to_the_same_bytes(
        bytes in parser_input(),
    ) {
        if let Ok((header, len)) = StreamHeader::parse(&bytes) {
            prop_assert!(len <= bytes.len());
            prop_assert_eq!(len, header.encoded_len());
            prop_assert_eq!(header.encode(), &bytes[..len]);
            prop_assert!(header.validate().is_ok());
        }
    }

    #[test]
    fn valid_headers_round_trip(
        header in valid_header(),
        trailing in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = header.encode();
        let len = bytes.len();
        bytes.extend(trailing);
        prop_assert_eq!(StreamHeader::parse(&bytes).unwrap(), (header, len));
    }
}
