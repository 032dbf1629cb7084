//! Unambiguous encoding of several byte strings into one, for AAD and MAC input.

/// Appends `part` as a big-endian u64 length followed by its bytes.
///
/// ## Why length prefixes
///
/// Plain concatenation is ambiguous: ("ab", "c") and ("a", "bc") would give the same
/// bytes, letting a value sealed for one context open in another.
pub(crate) fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u64).to_be_bytes());
    out.extend_from_slice(part);
}

/// Encodes `parts` with [`push_part`], in order.
pub(crate) fn parts(parts: &[&[u8]]) -> Vec<u8> {
    let capacity = parts.iter().map(|p| 8 + p.len()).sum();
    let mut out = Vec::with_capacity(capacity);
    for part in parts {
        push_part(&mut out, part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn shifting_bytes_between_parts_changes_the_encoding() {
        assert_ne!(parts(&[b"ab", b"c"]), parts(&[b"a", b"bc"]));
        assert_ne!(parts(&[b"", b"x"]), parts(&[b"x", b""]));
    }
}
