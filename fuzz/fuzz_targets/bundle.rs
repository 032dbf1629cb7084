//! Any bytes given to the offline bundle verifier: an error or a verdict, never a panic,
//! and never `ok` (no input can carry a valid signature by a key it does not hold).
#![no_main]

use libfuzzer_sys::fuzz_target;
use supportgate_service::TrustedKeys;

fuzz_target!(|data: &[u8]| {
    let trusted = TrustedKeys::default().with([7u8; 32]);
    if let Ok(verdict) = supportgate::bundle::verify_bundle(data, &trusted) {
        assert!(!verdict.ok());
    }
});
