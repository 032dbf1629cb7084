//! Building recordings for the tests of this module.

use bytes::Bytes;
use chrono::DateTime;

use super::{FrameEncoder, FrameOrigin};
use crate::proto::{self, frame::Kind, FrameDirection};

pub(crate) const AGENT: FrameDirection = FrameDirection::AgentToViewers;
pub(crate) const ENGINEER: FrameDirection = FrameDirection::EngineerToAgent;
pub(crate) const GATEWAY: FrameDirection = FrameDirection::Broadcast;

pub(crate) fn frame(kind: Kind) -> proto::Frame {
    proto::Frame { kind: Some(kind) }
}

pub(crate) fn output(data: &[u8]) -> proto::Frame {
    frame(Kind::Output(proto::Output {
        data: Bytes::copy_from_slice(data),
    }))
}

pub(crate) fn input(data: &[u8]) -> proto::Frame {
    frame(Kind::Input(proto::Input {
        data: Bytes::copy_from_slice(data),
    }))
}

pub(crate) fn resize(cols: u32, rows: u32) -> proto::Frame {
    frame(Kind::Resize(proto::Resize { cols, rows }))
}

/// A recording written through the real encoder, frame by frame.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) encoder: FrameEncoder,
    pub(crate) bytes: Vec<u8>,
    /// Where each frame starts in `bytes`.
    pub(crate) starts: Vec<usize>,
}

impl Recorder {
    pub(crate) fn record(&mut self, micros: u64, direction: FrameDirection, frame: proto::Frame) {
        let participant_id = match direction {
            FrameDirection::AgentToViewers => "p-agent",
            FrameDirection::EngineerToAgent => "p-engineer",
            _ => "",
        };
        let origin = FrameOrigin {
            elapsed_micros: micros,
            time: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            direction,
            participant_id,
        };
        self.starts.push(self.bytes.len());
        self.encoder
            .encode(origin, &frame, &mut self.bytes)
            .unwrap();
    }

    /// Every frame of the recording, decoded in one go.
    pub(crate) fn frames(&self) -> Vec<proto::RecordedFrame> {
        super::FrameReader::new(&self.bytes[..])
            .collect::<Result<_, _>>()
            .unwrap()
    }
}
