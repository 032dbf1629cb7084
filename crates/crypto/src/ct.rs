//! Constant-time comparison.

use subtle::ConstantTimeEq;

/// Compares two byte strings in time independent of their contents.
///
/// Use it for anything secret-derived (tokens, MACs, lookup hashes). The lengths are not
/// secret: slices of different lengths return `false` at once.
///
/// ## Why `subtle`
///
/// `ring::constant_time` is deprecated in ring 0.17; `subtle` is the maintained choice.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn equal_slices_compare_equal_and_others_do_not() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
