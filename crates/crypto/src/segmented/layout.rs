//! Where segments lie: plaintext and sealed lengths and offsets, and the segments a
//! plaintext byte range needs. Pure arithmetic on the stream's geometry.

use std::ops::Range;

use super::{SegmentCipher, TAG_LEN};

impl SegmentCipher {
    /// Plaintext bytes in segment `index`: the segment size, the remainder for the last
    /// segment (0 for empty content), and 0 past the last segment.
    pub fn segment_plaintext_len(&self, index: u64) -> u64 {
        if index >= self.segment_count {
            return 0;
        }
        let start = self.plaintext_offset(index);
        (self.plaintext_size - start).min(u64::from(self.segment_size))
    }

    /// Offset of segment `index`'s first byte in the plaintext: `index · segment size`.
    pub fn plaintext_offset(&self, index: u64) -> u64 {
        index.saturating_mul(u64::from(self.segment_size))
    }

    /// Bytes of sealed segment `index`: its plaintext length plus the 16-byte tag, and 0
    /// past the last segment.
    pub fn sealed_segment_len(&self, index: u64) -> u64 {
        if index >= self.segment_count {
            return 0;
        }
        self.segment_plaintext_len(index) + TAG_LEN
    }

    /// Offset of sealed segment `index` in the sealed stream, counted from the end of the
    /// header (add [`StreamHeader::encoded_len`](crate::StreamHeader::encoded_len) for
    /// the offset in the stored object): `index · (segment size + 16)`.
    ///
    /// From `segment_count()` on it is the end of the stream,
    /// [`SegmentCipher::sealed_len`], so the sealed bytes of the segments in a range
    /// `r` are always `sealed_offset(r.start)..sealed_offset(r.end)`.
    pub fn sealed_offset(&self, index: u64) -> u64 {
        if index >= self.segment_count {
            return self.sealed_len();
        }
        index * (u64::from(self.segment_size) + TAG_LEN)
    }

    /// Bytes of all sealed segments together (the stream without its header): the
    /// plaintext size plus 16 bytes per segment.
    pub fn sealed_len(&self) -> u64 {
        self.plaintext_size + self.segment_count * TAG_LEN
    }

    /// The segments holding plaintext bytes `offset .. offset + len`, clipped to the
    /// content, for a ranged read: open each, concatenate, then drop the first
    /// `offset - plaintext_offset(range.start)` bytes and keep `len` (or up to the end).
    ///
    /// A range that is empty after clipping needs no segment and gives an empty range
    /// (starting at the segment `offset` falls in, at most `segment_count()`). To
    /// authenticate a whole object, including empty content, open
    /// `0..segment_count()` instead.
    pub fn segments_for_range(&self, offset: u64, len: u64) -> Range<u64> {
        let segment_size = u64::from(self.segment_size);
        let end = offset.saturating_add(len).min(self.plaintext_size);
        if offset >= end {
            let at = (offset / segment_size).min(self.segment_count);
            return at..at;
        }
        offset / segment_size..(end - 1) / segment_size + 1
    }
}
