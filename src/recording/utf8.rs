//! Lossy UTF-8 decoding of a byte stream that arrives in pieces.

/// Decodes a byte stream split at arbitrary points into text: a character cut at the
/// end of one piece is held back until the next, and bytes that can never be UTF-8
/// become U+FFFD, exactly as [`String::from_utf8_lossy`] would do on the whole stream.
#[derive(Debug, Default)]
pub(crate) struct Utf8Stream {
    /// The start of a character cut at the end of the last piece (at most 3 bytes).
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// Appends the text of the next `piece` to `text`.
    pub(crate) fn decode(&mut self, piece: &[u8], text: &mut String) {
        let joined;
        let bytes = if self.pending.is_empty() {
            piece
        } else {
            self.pending.extend_from_slice(piece);
            joined = std::mem::take(&mut self.pending);
            &joined[..]
        };
        let mut chunks = bytes.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            text.push_str(chunk.valid());
            let invalid = chunk.invalid();
            if invalid.is_empty() {
                continue;
            }
            let cut_at_end = chunks.peek().is_none()
                && std::str::from_utf8(invalid).is_err_and(|e| e.error_len().is_none());
            if cut_at_end {
                self.pending.extend_from_slice(invalid);
            } else {
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }

    /// Ends the stream: a character still cut becomes U+FFFD.
    pub(crate) fn finish(&mut self, text: &mut String) {
        if !std::mem::take(&mut self.pending).is_empty() {
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decode_in_pieces(bytes: &[u8], cuts: &[usize]) -> String {
        let mut stream = Utf8Stream::default();
        let mut text = String::new();
        let mut start = 0;
        for cut in cuts.iter().map(|c| c % (bytes.len() + 1)) {
            let cut = cut.max(start);
            stream.decode(&bytes[start..cut], &mut text);
            start = cut;
        }
        stream.decode(&bytes[start..], &mut text);
        stream.finish(&mut text);
        text
    }

    #[test]
    fn a_character_cut_in_two_is_decoded_whole() {
        let crab = "🦀".as_bytes();
        for cut in 1..crab.len() {
            assert_eq!(decode_in_pieces(crab, &[cut]), "🦀");
        }
    }

    #[test]
    fn a_character_cut_at_the_end_of_the_stream_is_one_replacement() {
        assert_eq!(decode_in_pieces(&"a🦀".as_bytes()[..3], &[]), "a\u{FFFD}");
    }

    #[test]
    fn bytes_that_are_never_utf8_are_replaced_at_once() {
        let mut stream = Utf8Stream::default();
        let mut text = String::new();
        stream.decode(b"a\xffb\xc3", &mut text);
        assert_eq!(text, "a\u{FFFD}b");
        stream.decode(b"(", &mut text);
        assert_eq!(text, "a\u{FFFD}b\u{FFFD}(");
    }

    proptest! {
        #[test]
        fn pieces_decode_like_the_whole_stream(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(0xe2), Just(0x82), Just(0xf0), Just(0x9f)],
                0..64,
            ),
            mut cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let len = bytes.len() + 1;
            cuts.sort_by_key(|c| c % len);
            prop_assert_eq!(decode_in_pieces(&bytes, &cuts), String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn valid_text_survives_any_cut(text in "\\PC{0,24}", cut in any::<usize>()) {
            prop_assert_eq!(decode_in_pieces(text.as_bytes(), &[cut]), text);
        }
    }
}
