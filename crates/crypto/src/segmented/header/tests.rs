use super::{StreamHeader, FIXED_LEN};
use crate::{CryptoError, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, SEGMENT_SIZE};

fn header() -> StreamHeader {
    StreamHeader {
        segment_size: 0x0001_0000,
        nonce_prefix: [0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6],
        key_version: 0x0102_0304,
        object_id: "obj".into(),
        tenant: "acme".into(),
    }
}

fn malformed(bytes: &[u8]) -> &'static str {
    match StreamHeader::parse(bytes) {
        Err(CryptoError::Malformed { what }) => what,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn encoding_follows_the_documented_layout() {
    let mut expected = b"SGST".to_vec();
    expected.push(1);
    expected.extend_from_slice(&[0x00, 0x01, 0x00, 0x00]);
    expected.extend_from_slice(&[0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6]);
    expected.extend_from_slice(&[0x01, 0x02, 0x03, 0x04]);
    expected.extend_from_slice(b"\x03obj\x04acme");
    assert_eq!(header().encode(), expected);
    assert_eq!(header().encoded_len(), expected.len());
    assert_eq!(FIXED_LEN, 22);
}

#[test]
fn parse_returns_the_header_and_its_length_and_ignores_what_follows() {
    let mut bytes = header().encode();
    let len = bytes.len();
    bytes.extend_from_slice(b"segments follow");
    assert_eq!(StreamHeader::parse(&bytes).unwrap(), (header(), len));
}

#[test]
fn new_uses_the_default_size_and_a_fresh_nonce_prefix() {
    let a = StreamHeader::new("obj", "acme", 7).unwrap();
    let b = StreamHeader::new("obj", "acme", 7).unwrap();
    assert_eq!(a.segment_size, SEGMENT_SIZE);
    assert_eq!(
        (a.key_version, a.object_id.as_str(), a.tenant.as_str()),
        (7, "obj", "acme")
    );
    assert_ne!(a.nonce_prefix, b.nonce_prefix);
    assert_eq!(StreamHeader::parse(&a.encode()).unwrap().0, a);
}

#[test]
fn ids_must_hold_1_to_255_bytes_of_utf8() {
    let longest = "é".repeat(127) + "x";
    assert_eq!(longest.len(), 255);
    let header = StreamHeader::new(&longest, &longest, 1).unwrap();
    assert_eq!(StreamHeader::parse(&header.encode()).unwrap().0, header);

    let too_long = "x".repeat(256);
    for (object_id, tenant, what) in [
        ("", "acme", "stream header (empty object id)"),
        ("obj", "", "stream header (empty tenant)"),
        (
            too_long.as_str(),
            "acme",
            "stream header (object id longer than 255 bytes)",
        ),
        (
            "obj",
            too_long.as_str(),
            "stream header (tenant longer than 255 bytes)",
        ),
    ] {
        let result = StreamHeader::new(object_id, tenant, 1);
        assert!(
            matches!(result, Err(CryptoError::Malformed { what: w }) if w == what),
            "{what}: {result:?}"
        );
    }
}

#[test]
fn segment_size_must_be_a_power_of_two_from_4_kib_to_16_mib() {
    let what = "stream header (segment size is not a power of two from 4 KiB to 16 MiB)";
    for size in [MIN_SEGMENT_SIZE, 8192, SEGMENT_SIZE, MAX_SEGMENT_SIZE] {
        let header = header().with_segment_size(size).unwrap();
        assert_eq!(StreamHeader::parse(&header.encode()).unwrap().0, header);
    }
    for size in [
        0,
        1,
        2048,
        4095,
        4097,
        3 * 4096,
        MAX_SEGMENT_SIZE * 2,
        u32::MAX,
    ] {
        let result = header().with_segment_size(size);
        assert!(
            matches!(result, Err(CryptoError::Malformed { what: w }) if w == what),
            "{size}: {result:?}"
        );
        let hand_made = StreamHeader {
            segment_size: size,
            ..header()
        };
        assert_eq!(malformed(&hand_made.encode()), what, "{size}");
    }
}

#[test]
fn a_wrong_magic_or_version_is_refused_before_anything_else() {
    let mut bytes = header().encode();
    bytes[0] = b's';
    assert_eq!(malformed(&bytes), "stream header (magic)");
    assert_eq!(malformed(b"PK\x03\x04"), "stream header (magic)");

    let mut bytes = header().encode();
    bytes[4] = 2;
    let result = StreamHeader::parse(&bytes);
    assert!(matches!(
        result,
        Err(CryptoError::UnsupportedVersion { version: 2 })
    ));
}

#[test]
fn every_truncation_names_the_field_it_cuts() {
    let bytes = header().encode();
    let expected = |cut: usize| match cut {
        0..4 => "stream header (truncated magic)",
        4 => "stream header (truncated version)",
        5..9 => "stream header (truncated segment size)",
        9..16 => "stream header (truncated nonce prefix)",
        16..20 => "stream header (truncated key version)",
        20 => "stream header (truncated object id length)",
        21..24 => "stream header (truncated object id)",
        24 => "stream header (truncated tenant length)",
        _ => "stream header (truncated tenant)",
    };
    for cut in 0..bytes.len() {
        assert_eq!(malformed(&bytes[..cut]), expected(cut), "cut at {cut}");
    }
}

#[test]
fn empty_or_non_utf8_ids_are_refused() {
    let encoded = header().encode();
    let mut empty_object = encoded[..20].to_vec();
    empty_object.extend_from_slice(b"\x00\x04acme");
    assert_eq!(malformed(&empty_object), "stream header (empty object id)");

    let mut empty_tenant = encoded[..24].to_vec();
    empty_tenant.push(0);
    assert_eq!(malformed(&empty_tenant), "stream header (empty tenant)");

    let mut bad_object = encoded.clone();
    bad_object[21] = 0xFF;
    assert_eq!(
        malformed(&bad_object),
        "stream header (object id is not UTF-8)"
    );

    let mut bad_tenant = encoded;
    bad_tenant[25] = 0xC3;
    assert_eq!(
        malformed(&bad_tenant),
        "stream header (tenant is not UTF-8)"
    );
}

#[test]
fn debug_shows_the_header_fields() {
    let printed = format!("{:?}", header());
    assert!(
        printed.contains("acme") && printed.contains("obj"),
        "{printed}"
    );
}
