//! A frame on its way to one participant, as that participant's queue holds it.
//!
//! ## Why not `proto::Frame`
//! tokio's channel allocates its slots 32 at a time, each as large as the item. A
//! `proto::Frame` is 128 bytes for the sake of its rare variants (Joined, Presence,
//! Chat), so every participant's queue would hold 4 KiB for as long as it is connected,
//! idle or not. Output and Input, nearly every frame relayed, stay inline here without
//! an allocation; the rest are boxed.

use bytes::Bytes;

use crate::proto::{self, frame::Kind};

/// One queued frame: 40 bytes instead of 128.
#[derive(Debug)]
pub enum Outbound {
    /// `Kind::Output` with this data.
    Output(Bytes),
    /// `Kind::Input` with this data.
    Input(Bytes),
    /// Any other frame.
    Other(Box<proto::Frame>),
}

impl From<proto::Frame> for Outbound {
    fn from(frame: proto::Frame) -> Self {
        match frame.kind {
            Some(Kind::Output(output)) => Outbound::Output(output.data),
            Some(Kind::Input(input)) => Outbound::Input(input.data),
            kind => Outbound::Other(Box::new(proto::Frame { kind })),
        }
    }
}

impl From<Outbound> for proto::Frame {
    fn from(outbound: Outbound) -> Self {
        let kind = match outbound {
            Outbound::Output(data) => Kind::Output(proto::Output { data }),
            Outbound::Input(data) => Kind::Input(proto::Input { data }),
            Outbound::Other(frame) => return *frame,
        };
        proto::Frame { kind: Some(kind) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_comes_out_as_it_went_in() {
        let frames = [
            Kind::Output(proto::Output {
                data: Bytes::from_static(b"out"),
            }),
            Kind::Input(proto::Input {
                data: Bytes::from_static(b"in"),
            }),
            Kind::Resize(proto::Resize { cols: 80, rows: 24 }),
            Kind::End(proto::End { reason: 1 }),
        ];
        for kind in frames {
            let frame = proto::Frame { kind: Some(kind) };
            assert_eq!(proto::Frame::from(Outbound::from(frame.clone())), frame);
        }
        let empty = proto::Frame { kind: None };
        assert_eq!(proto::Frame::from(Outbound::from(empty.clone())), empty);
        assert!(std::mem::size_of::<Outbound>() <= 40);
    }
}
