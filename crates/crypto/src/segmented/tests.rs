use ring::aead::{Aad, Nonce};
use ring::digest::{digest, SHA256};

use super::{SegmentCipher, StreamHeader, MAX_SEGMENTS, MIN_SEGMENT_SIZE, SEGMENT_SIZE};
use crate::{CryptoError, DataKey, KeyClass, TenantKey};

const S: u64 = SEGMENT_SIZE as u64;

fn header() -> StreamHeader {
    StreamHeader::new("object-1", "acme", 1).unwrap()
}

/// Deterministic content that is not constant.
fn content(len: u64) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
        .collect()
}

fn seal_all(cipher: &SegmentCipher, content: &[u8]) -> Vec<Vec<u8>> {
    (0..cipher.segment_count())
        .map(|i| {
            let start = cipher.plaintext_offset(i) as usize;
            let end = start + cipher.segment_plaintext_len(i) as usize;
            cipher.seal(i, &content[start..end]).unwrap()
        })
        .collect()
}

/// Opens `segments` as the whole stream `cipher` describes.
fn open_all(cipher: &SegmentCipher, segments: &[Vec<u8>]) -> Result<Vec<u8>, CryptoError> {
    if segments.len() as u64 != cipher.segment_count() {
        return Err(CryptoError::Malformed {
            what: "segment count",
        });
    }
    let mut out = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        out.extend(cipher.open(i as u64, segment)?);
    }
    Ok(out)
}

#[test]
fn every_size_class_round_trips_with_the_documented_geometry() {
    let key = DataKey::generate().unwrap();
    let header = header();
    for (size, count) in [
        (0, 1),
        (1, 1),
        (S - 1, 1),
        (S, 1),
        (S + 1, 2),
        (3 * S + 7, 4),
    ] {
        let plaintext = content(size);
        let cipher = SegmentCipher::new(&key, &header, size).unwrap();
        assert_eq!(cipher.segment_count(), count, "size {size}");
        let segments = seal_all(&cipher, &plaintext);
        assert_eq!(
            open_all(&cipher, &segments).unwrap(),
            plaintext,
            "size {size}"
        );

        let lens: Vec<u64> = segments.iter().map(|s| s.len() as u64).collect();
        let expected: Vec<u64> = (0..count).map(|i| cipher.sealed_segment_len(i)).collect();
        assert_eq!(lens, expected);
        assert_eq!(lens.iter().sum::<u64>(), cipher.sealed_len());
        assert_eq!(cipher.sealed_len(), size + 16 * count);
        assert_eq!(cipher.sealed_offset(count), cipher.sealed_len());
        assert_eq!(cipher.sealed_offset(count + 1), cipher.sealed_len());
        for i in 1..count {
            assert_eq!(cipher.sealed_offset(i), i * (S + 16));
        }
        assert_eq!(cipher.sealed_segment_len(count), 0);
    }
}

#[test]
fn segments_for_range_covers_exactly_the_segments_holding_the_bytes() {
    let key = DataKey::generate().unwrap();
    let cipher = SegmentCipher::new(&key, &header(), 3 * S + 7).unwrap();
    let cases = [
        ((0, 1), 0..1),
        ((0, S), 0..1),
        ((0, S + 1), 0..2),
        ((S - 1, 2), 0..2),
        ((S, S), 1..2),
        ((3 * S, 7), 3..4),
        ((3 * S + 6, 100), 3..4),
        ((0, u64::MAX), 0..4),
        ((u64::MAX, u64::MAX), 4..4),
        ((S + 5, 0), 1..1),
        ((3 * S + 7, 1), 3..3),
        ((10 * S, 1), 4..4),
    ];
    for ((offset, len), expected) in cases {
        assert_eq!(
            cipher.segments_for_range(offset, len),
            expected,
            "{offset}+{len}"
        );
    }
    let empty = SegmentCipher::new(&key, &header(), 0).unwrap();
    assert_eq!(empty.segments_for_range(0, 10), 0..0);
}

#[test]
fn segments_follow_the_documented_nonce_and_aad() {
    let key = DataKey::generate().unwrap();
    let header = header();
    let cipher = SegmentCipher::new(&key, &header, S + 3).unwrap();
    let segments = seal_all(&cipher, &content(S + 3));
    let aad = digest(&SHA256, &header.encode());
    let ring_key = key.cipher_key().unwrap();
    for (index, last) in [(0u32, 0u8), (1, 1)] {
        let mut nonce = header.nonce_prefix.to_vec();
        nonce.extend_from_slice(&index.to_be_bytes());
        nonce.push(last);
        let nonce = Nonce::try_assume_unique_for_key(&nonce).unwrap();
        let mut buf = segments[index as usize].clone();
        let plain = ring_key
            .open_in_place(nonce, Aad::from(aad.as_ref()), &mut buf)
            .unwrap();
        assert_eq!(
            plain,
            &content(S + 3)[index as usize * S as usize..]
                [..cipher.segment_plaintext_len(u64::from(index)) as usize]
        );
    }
}

#[test]
fn a_wrong_key_object_id_or_changed_header_fails_every_segment() {
    let key = DataKey::generate().unwrap();
    let header = header();
    let size = 2 * S + 1;
    let segments = seal_all(
        &SegmentCipher::new(&key, &header, size).unwrap(),
        &content(size),
    );

    let other_key = DataKey::generate().unwrap();
    let mut changed = vec![SegmentCipher::new(&other_key, &header, size).unwrap()];
    for header in [
        StreamHeader {
            object_id: "object-2".into(),
            ..header.clone()
        },
        StreamHeader {
            tenant: "globex".into(),
            ..header.clone()
        },
        StreamHeader {
            key_version: 2,
            ..header.clone()
        },
        StreamHeader {
            nonce_prefix: [0; 7],
            ..header.clone()
        },
    ] {
        changed.push(SegmentCipher::new(&key, &header, size).unwrap());
    }
    for cipher in &changed {
        for (i, segment) in segments.iter().enumerate() {
            let result = cipher.open(i as u64, segment);
            assert!(
                matches!(result, Err(CryptoError::Open)),
                "{cipher:?} segment {i}"
            );
        }
    }
}

#[test]
fn swapped_segments_fail_to_open() {
    let key = DataKey::generate().unwrap();
    let cipher = SegmentCipher::new(&key, &header(), 3 * S).unwrap();
    let mut segments = seal_all(&cipher, &content(3 * S));
    segments.swap(0, 1);
    assert!(matches!(
        cipher.open(0, &segments[0]),
        Err(CryptoError::Open)
    ));
    assert!(matches!(
        cipher.open(1, &segments[1]),
        Err(CryptoError::Open)
    ));
    assert!(cipher.open(2, &segments[2]).is_ok());
    segments.swap(1, 2);
    assert!(matches!(
        cipher.open(1, &segments[1]),
        Err(CryptoError::Open)
    ));
}

#[test]
fn a_stream_cut_at_a_segment_boundary_fails_because_its_new_end_lacks_the_last_flag() {
    let key = DataKey::generate().unwrap();
    let header = header();
    for size in [3 * S, 2 * S + 5] {
        let mut segments = seal_all(
            &SegmentCipher::new(&key, &header, size).unwrap(),
            &content(size),
        );
        segments.pop();
        // A reader that trusts the cut stream's length: every segment but the new last
        // opens, and that one was sealed without the last flag.
        let cut = SegmentCipher::new(&key, &header, 2 * S).unwrap();
        assert!(cut.open(0, &segments[0]).is_ok());
        assert!(
            matches!(cut.open(1, &segments[1]), Err(CryptoError::Open)),
            "{size}"
        );
    }
}

#[test]
fn an_extra_segment_or_the_last_flag_on_the_wrong_segment_fails_to_open() {
    let key = DataKey::generate().unwrap();
    let header = header();
    let two = SegmentCipher::new(&key, &header, 2 * S).unwrap();
    let three = SegmentCipher::new(&key, &header, 3 * S).unwrap();
    let short = seal_all(&two, &content(2 * S));
    let long = seal_all(&three, &content(3 * S));

    // Appending a segment: the old last one is now read as not last.
    let mut extended = short.clone();
    extended.push(long[2].clone());
    assert!(matches!(
        three.open(1, &extended[1]),
        Err(CryptoError::Open)
    ));
    assert!(matches!(
        open_all(&three, &extended),
        Err(CryptoError::Open)
    ));

    // A segment sealed as not last, read as last, and the other way round.
    assert!(matches!(two.open(1, &long[1]), Err(CryptoError::Open)));
    assert!(matches!(three.open(1, &short[1]), Err(CryptoError::Open)));
}

#[test]
fn a_wrong_plaintext_size_fails_the_last_segment() {
    let key = DataKey::generate().unwrap();
    let header = header();
    let cipher = SegmentCipher::new(&key, &header, S + 10).unwrap();
    let segments = seal_all(&cipher, &content(S + 10));
    let shorter = SegmentCipher::new(&key, &header, S + 9).unwrap();
    let result = shorter.open(1, &segments[1][..9 + 16]);
    assert!(matches!(result, Err(CryptoError::Open)), "{result:?}");
    assert!(matches!(
        shorter.open(1, &segments[1]),
        Err(CryptoError::Malformed {
            what: "sealed segment (length)"
        })
    ));
}

#[test]
fn a_data_key_moved_to_another_object_does_not_open_it() {
    let tenant = TenantKey::generate("acme", KeyClass::Customer, 1).unwrap();
    let (key_a, key_b) = (DataKey::generate().unwrap(), DataKey::generate().unwrap());
    let wrapped_a = tenant.wrap_data_key(&key_a, "object-a").unwrap();
    let header_b = StreamHeader::new("object-b", "acme", 1).unwrap();
    let sealed_b = SegmentCipher::new(&key_b, &header_b, 5)
        .unwrap()
        .seal(0, b"hello")
        .unwrap();

    // Stored as object b's key, it does not unwrap; forced through, it does not open b.
    let result = tenant.unwrap_data_key(&wrapped_a, "object-b");
    assert!(matches!(result, Err(CryptoError::Open)));
    let moved = tenant.unwrap_data_key(&wrapped_a, "object-a").unwrap();
    let result = SegmentCipher::new(&moved, &header_b, 5)
        .unwrap()
        .open(0, &sealed_b);
    assert!(matches!(result, Err(CryptoError::Open)));
}

#[test]
fn seal_and_open_refuse_wrong_lengths_and_indexes() {
    let key = DataKey::generate().unwrap();
    let cipher = SegmentCipher::new(&key, &header(), S + 3).unwrap();
    let result = cipher.seal(0, &[0; 3]);
    assert!(matches!(
        result,
        Err(CryptoError::SegmentLength { index: 0, expected, actual: 3 }) if expected == S
    ));
    let result = cipher.seal(1, &[0; 4]);
    assert!(matches!(
        result,
        Err(CryptoError::SegmentLength {
            index: 1,
            expected: 3,
            actual: 4
        })
    ));
    assert!(matches!(
        cipher.seal(2, &[]),
        Err(CryptoError::SegmentIndex { index: 2, count: 2 })
    ));
    assert!(matches!(
        cipher.open(2, &[0; 16]),
        Err(CryptoError::SegmentIndex { index: 2, count: 2 })
    ));
    for len in [0, 15, 18, 20] {
        assert!(matches!(
            cipher.open(1, &vec![0; len]),
            Err(CryptoError::Malformed {
                what: "sealed segment (length)"
            })
        ));
    }
}

#[test]
fn content_needing_more_than_2_pow_32_segments_is_refused() {
    let key = DataKey::generate().unwrap();
    let header = header().with_segment_size(MIN_SEGMENT_SIZE).unwrap();
    let largest = MAX_SEGMENTS * u64::from(MIN_SEGMENT_SIZE);
    let cipher = SegmentCipher::new(&key, &header, largest).unwrap();
    assert_eq!(cipher.segment_count(), 1 << 32);
    let last = cipher.seal(u64::from(u32::MAX), &[7; 4096]).unwrap();
    assert_eq!(cipher.open(u64::from(u32::MAX), &last).unwrap(), [7; 4096]);

    let result = SegmentCipher::new(&key, &header, largest + 1);
    assert!(
        matches!(result, Err(CryptoError::StreamTooLarge { .. })),
        "{result:?}"
    );
}

#[test]
fn a_hand_made_invalid_header_is_refused() {
    let key = DataKey::generate().unwrap();
    let header = StreamHeader {
        object_id: "x".repeat(256),
        ..header()
    };
    let result = SegmentCipher::new(&key, &header, 1);
    assert!(matches!(result, Err(CryptoError::Malformed { .. })));
}

#[test]
fn sealing_is_deterministic_per_index() {
    let key = DataKey::generate().unwrap();
    let cipher = SegmentCipher::new(&key, &header(), 10).unwrap();
    assert_eq!(
        cipher.seal(0, b"0123456789").unwrap(),
        cipher.seal(0, b"0123456789").unwrap()
    );
}

#[test]
fn debug_prints_geometry_but_no_key() {
    let key = DataKey::generate().unwrap();
    let cipher = SegmentCipher::new(&key, &header(), 10).unwrap();
    let printed = format!("{cipher:?}");
    assert!(
        printed.contains("<redacted>") && printed.contains("plaintext_size: 10"),
        "{printed}"
    );
}

#[test]
fn ciphers_and_headers_can_be_shared_between_threads() {
    fn shareable<T: Clone + Send + Sync>() {}
    shareable::<SegmentCipher>();
    shareable::<StreamHeader>();
    fn sendable<T: Send + Sync>() {}
    sendable::<DataKey>();
}
