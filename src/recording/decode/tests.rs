//! The stored form round trip, padding, chunking, truncation and refusals.

use bytes::Bytes;
use chrono::DateTime;
use proptest::prelude::*;
use prost::Message;

use super::*;
use crate::proto::{self, frame::Kind};
use crate::recording::test_support::*;
use crate::recording::{FrameEncoder, FrameOrigin};

/// Feeds `bytes` to a decoder in pieces cut at `cuts` and collects every frame.
fn decode_in_chunks(
    bytes: &[u8],
    cuts: &[usize],
) -> Result<Vec<RecordedFrame>, RecordingFormatError> {
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    let mut start = 0;
    for cut in cuts.iter().copied().chain([bytes.len()]) {
        let cut = cut.clamp(start, bytes.len());
        decoder.push(&bytes[start..cut]);
        start = cut;
        while let Some(frame) = decoder.next()? {
            frames.push(frame);
        }
    }
    decoder.finish()?;
    Ok(frames)
}

fn sample() -> Recorder {
    let mut rec = Recorder::default();
    rec.record(0, AGENT, resize(120, 40));
    rec.record(1_000, AGENT, output(b"$ "));
    rec.record(2_500_000, ENGINEER, input(b"echo hello-$((6*7))\r"));
    rec.record(2_600_000, AGENT, output(b"hello-42\r\n"));
    rec
}

#[test]
fn frames_are_numbered_from_one_and_decode_as_written() {
    let rec = sample();
    let frames = rec.frames();
    assert_eq!(
        frames.iter().map(|f| f.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(frames[3].frame, Some(output(b"hello-42\r\n")));
    assert_eq!(frames[3].elapsed_micros, 2_600_000);
    assert_eq!(frames[3].direction, AGENT as i32);
    assert_eq!(frames[3].participant_id, "p-agent");
    assert_eq!(frames[3].time.unwrap().seconds, 1_700_000_000);
    assert_eq!(rec.encoder.frames_encoded(), 4);
}

#[test]
fn each_frame_is_prost_length_delimited_encoding() {
    let rec = sample();
    let first = &rec.bytes[..rec.starts[1]];
    let decoded = proto::RecordedFrame::decode_length_delimited(first).unwrap();
    assert_eq!(decoded.encode_length_delimited_to_vec(), first);
}

#[test]
fn zero_padding_between_and_after_frames_is_skipped() {
    let rec = sample();
    let mut padded = vec![0; 7];
    for (i, start) in rec.starts.iter().enumerate() {
        let end = rec.starts.get(i + 1).copied().unwrap_or(rec.bytes.len());
        padded.extend_from_slice(&rec.bytes[*start..end]);
        padded.extend(std::iter::repeat_n(0, i * 100));
    }
    assert_eq!(decode_in_chunks(&padded, &[]).unwrap(), rec.frames());
}

#[test]
fn a_cut_inside_a_frame_is_reported_by_finish_and_a_cut_between_frames_is_not() {
    let rec = sample();
    for cut in 0..=rec.bytes.len() {
        let result = decode_in_chunks(&rec.bytes[..cut], &[]);
        if cut == rec.bytes.len() || rec.starts.contains(&cut) {
            assert!(result.is_ok(), "cut at {cut}: {result:?}");
            continue;
        }
        let start = *rec.starts.iter().rev().find(|s| **s < cut).unwrap() as u64;
        match result {
            Err(RecordingFormatError::Truncated { offset, have, .. }) => {
                assert_eq!((offset, have), (start, cut as u64 - start));
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn a_cut_inside_a_length_prefix_is_reported_by_finish() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&[0, 0, 0x80]);
    assert_eq!(decoder.next(), Ok(None));
    assert_eq!(
        decoder.finish(),
        Err(RecordingFormatError::TruncatedLength { offset: 2 })
    );
}

#[test]
fn an_oversize_frame_is_refused_from_its_length_alone() {
    let mut decoder = FrameDecoder::new();
    let mut prefix = vec![0, 0];
    prost::encoding::encode_varint(MAX_FRAME_LEN as u64 + 1, &mut prefix);
    decoder.push(&prefix);
    assert_eq!(
        decoder.next(),
        Err(RecordingFormatError::FrameTooLarge {
            offset: 2,
            len: MAX_FRAME_LEN as u64 + 1,
            max: MAX_FRAME_LEN,
        })
    );
    decoder.push(&[1; 1024]);
    assert!(
        decoder.buf.is_empty(),
        "nothing is buffered after the refusal"
    );
    assert!(matches!(
        decoder.finish(),
        Err(RecordingFormatError::FrameTooLarge { .. })
    ));
}

#[test]
fn a_frame_at_the_maximum_is_accepted_and_one_byte_more_is_refused() {
    let rec = sample();
    let len = rec.starts[1] - 1; // first frame: one prefix byte
    assert!(decode_in_chunks_with_max(&rec.bytes[..rec.starts[1]], len).is_ok());
    assert!(matches!(
        decode_in_chunks_with_max(&rec.bytes[..rec.starts[1]], len - 1),
        Err(RecordingFormatError::FrameTooLarge { offset: 0, .. })
    ));
}

fn decode_in_chunks_with_max(bytes: &[u8], max: usize) -> Result<u64, RecordingFormatError> {
    let mut decoder = FrameDecoder::with_max_frame_len(max);
    decoder.push(bytes);
    while decoder.next()?.is_some() {}
    decoder.finish()
}

#[test]
fn the_encoder_refuses_an_oversize_frame_without_using_a_sequence() {
    let mut encoder = FrameEncoder::new();
    let mut out = vec![9];
    let origin = FrameOrigin {
        elapsed_micros: 0,
        time: DateTime::from_timestamp(0, 0).unwrap(),
        direction: AGENT,
        participant_id: "p",
    };
    let huge = output(&vec![b'x'; MAX_FRAME_LEN]);
    assert!(matches!(
        encoder.encode(origin, &huge, &mut out),
        Err(RecordingFormatError::TooLargeToRecord {
            sequence: 1,
            max: MAX_FRAME_LEN,
            ..
        })
    ));
    assert_eq!(out, [9]);
    assert_eq!(encoder.encode(origin, &output(b"ok"), &mut out), Ok(1));
}

#[test]
fn a_missing_frame_is_a_sequence_gap() {
    let rec = sample();
    let mut bytes = rec.bytes[..rec.starts[1]].to_vec();
    bytes.extend_from_slice(&rec.bytes[rec.starts[2]..]);
    assert_eq!(
        decode_in_chunks(&bytes, &[]),
        Err(RecordingFormatError::SequenceGap {
            offset: rec.starts[1] as u64,
            expected: 2,
            found: 3,
        })
    );
}

#[test]
fn a_non_empty_frame_numbered_zero_is_refused() {
    let zero = proto::RecordedFrame {
        elapsed_micros: 5,
        ..Default::default()
    };
    let result = decode_in_chunks(&zero.encode_length_delimited_to_vec(), &[]);
    assert!(matches!(
        result,
        Err(RecordingFormatError::SequenceGap {
            expected: 1,
            found: 0,
            ..
        })
    ));
}

#[test]
fn bytes_that_are_not_a_recorded_frame_are_malformed_and_the_decoder_stays_failed() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&[0, 3, 0xff, 0xff, 0xff]);
    let error = decoder.next().unwrap_err();
    assert!(matches!(
        error,
        RecordingFormatError::Malformed { offset: 1, .. }
    ));
    assert_eq!(decoder.next(), Err(error.clone()));
    assert_eq!(decoder.finish(), Err(error));
}

#[test]
fn a_length_prefix_past_ten_bytes_is_refused() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&[0xff; 11]);
    assert_eq!(
        decoder.next(),
        Err(RecordingFormatError::BadLength { offset: 0 })
    );
}

#[test]
fn finish_with_a_frame_left_unread_names_it() {
    let rec = sample();
    let mut decoder = FrameDecoder::new();
    decoder.push(&rec.bytes);
    assert_eq!(
        decoder.finish(),
        Err(RecordingFormatError::UnreadFrame { sequence: 1 })
    );
}

#[test]
fn the_reader_yields_every_whole_frame_then_the_truncation() {
    let rec = sample();
    let cut = rec.starts[3] + 2;
    let items: Vec<_> = FrameReader::new(&rec.bytes[..cut]).collect();
    assert_eq!(items.len(), 4);
    assert!(items[..3].iter().all(Result::is_ok));
    assert!(items[3].as_ref().unwrap_err().is_truncation());
}

fn any_frame() -> impl Strategy<Value = (u64, proto::FrameDirection, proto::Frame)> {
    let data = proptest::collection::vec(any::<u8>(), 0..600).prop_map(Bytes::from);
    let kind = prop_oneof![
        data.clone()
            .prop_map(|data| Kind::Output(proto::Output { data })),
        data.prop_map(|data| Kind::Input(proto::Input { data })),
        (any::<u32>(), any::<u32>())
            .prop_map(|(cols, rows)| Kind::Resize(proto::Resize { cols, rows })),
        ("\\PC{0,40}", any::<i32>()).prop_map(|(text, from_role)| Kind::Chat(proto::Chat {
            text,
            from_role,
            from_subject_id: "s-1".into(),
            ..Default::default()
        })),
        any::<i32>().prop_map(|reason| Kind::End(proto::End { reason })),
    ];
    (
        any::<u64>(),
        prop_oneof![Just(AGENT), Just(ENGINEER), Just(GATEWAY)],
        kind.prop_map(frame),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_frames_round_trip_through_padding_and_any_chunking(
        frames in proptest::collection::vec(any_frame(), 0..24),
        padding in proptest::collection::vec(0usize..40, 25),
        mut cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
    ) {
        let mut rec = Recorder::default();
        let mut padded = vec![0; padding[0]];
        for ((micros, direction, frame), pad) in frames.iter().cloned().zip(&padding[1..]) {
            let start = rec.bytes.len();
            rec.record(micros, direction, frame);
            padded.extend_from_slice(&rec.bytes[start..]);
            padded.extend(std::iter::repeat_n(0, *pad));
        }
        let mut cuts: Vec<usize> = cuts.drain(..).map(|i| i.index(padded.len() + 1)).collect();
        cuts.sort_unstable();
        let decoded = decode_in_chunks(&padded, &cuts).unwrap();
        prop_assert_eq!(decoded.len(), frames.len());
        for (i, (got, (micros, direction, frame))) in decoded.iter().zip(&frames).enumerate() {
            prop_assert_eq!(got.sequence, i as u64 + 1);
            prop_assert_eq!(got.elapsed_micros, *micros);
            prop_assert_eq!(got.direction, *direction as i32);
            prop_assert_eq!(got.frame.as_ref(), Some(frame));
        }
    }

    #[test]
    fn random_bytes_never_panic_the_decoder(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        cut in any::<prop::sample::Index>(),
    ) {
        let _ = decode_in_chunks(&bytes, &[cut.index(bytes.len() + 1)]);
    }
}
