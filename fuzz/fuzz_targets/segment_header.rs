//! Any bytes given to the segmented-stream header parser: an error or a header, never a
//! panic, and a header that re-encodes to exactly the bytes it was parsed from.
//! The same inputs run as randomized tests on stable in
//! crates/crypto/tests/segmented_properties.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supportgate_crypto::StreamHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, len)) = StreamHeader::parse(data) {
        assert_eq!(len, header.encoded_len());
        assert_eq!(header.encode(), data[..len]);
        assert!(header.validate().is_ok());
    }
});
