//! `StreamEntries`: matching entries from a sequence on, with the checkpoints that cover
//! them, and with `follow`, new entries as they are committed, until the client leaves
//! or the gateway shuts down.

use std::time::Duration;

use supportgate_policy::MetadataAccess;
use supportgate_service::{EntryFilter, Services};
use supportgate_types::RequestId;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::super::pending::ServerStream;
use super::super::status::to_status;
use crate::bundle::wire::{checkpoint_to_proto, entry_to_proto};
use crate::proto::{stream_entries_response::Item, StreamEntriesResponse};

/// Entries read per query.
const PAGE: u32 = 500;
/// Messages buffered towards a slow client; past this the reader waits, so memory is
/// bounded however far behind the client is.
const BUFFER: usize = 256;

/// One stream's state.
pub(super) struct Follow {
    pub services: Services,
    pub access: MetadataAccess,
    pub filter: EntryFilter,
    /// The last sequence already sent (or skipped).
    pub after: u64,
    pub follow: bool,
    /// Wakes the stream when this process commits entries.
    pub head: watch::Receiver<u64>,
    pub shutdown: CancellationToken,
    pub request_id: RequestId,
    /// How often to look for entries other replicas committed.
    pub poll: Duration,
}

type Sender = mpsc::Sender<Result<StreamEntriesResponse, Status>>;

impl Follow {
    pub(super) fn start(self) -> ServerStream<StreamEntriesResponse> {
        let (sender, receiver) = mpsc::channel(BUFFER);
        tokio::spawn(async move {
            let request_id = self.request_id;
            if let Err(status) = self.run(&sender).await {
                let _ = sender.send(Err(status)).await;
            }
            tracing::debug!(%request_id, "log stream ended");
        });
        Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))
    }

    async fn send(sender: &Sender, item: Item) -> bool {
        sender
            .send(Ok(StreamEntriesResponse { item: Some(item) }))
            .await
            .is_ok()
    }

    async fn run(mut self, sender: &Sender) -> Result<(), Status> {
        let mut checkpoints_after = self.after;
        loop {
            let page = self
                .services
                .log_stream_page(&self.access, &self.filter, self.after, PAGE)
                .await
                .map_err(|e| to_status(e, self.request_id))?;
            let full = page.len() == PAGE as usize;
            for entry in page {
                self.after = entry.sequence;
                if !Self::send(sender, Item::Entry(entry_to_proto(entry))).await {
                    return Ok(());
                }
            }
            if self.after > checkpoints_after {
                let covering = self
                    .services
                    .log_checkpoints(checkpoints_after + 1, self.after)
                    .await
                    .map_err(|e| to_status(e, self.request_id))?;
                for checkpoint in covering {
                    if !Self::send(sender, Item::Checkpoint(checkpoint_to_proto(checkpoint))).await
                    {
                        return Ok(());
                    }
                }
                checkpoints_after = self.after;
            }
            if full {
                continue;
            }
            if !self.follow {
                return Ok(());
            }
            tokio::select! {
                () = self.shutdown.cancelled() => return Ok(()),
                () = sender.closed() => return Ok(()),
                _ = self.head.changed() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }
}
