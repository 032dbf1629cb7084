//! Imports caught half-way: while the content streams in, the recording is neither
//! listed nor readable ("verified before it becomes visible"); a client that goes away
//! leaves nothing behind.

use supportgate::proto::{ImportRecordingRequest, Recording, RecordingKind};
use supportgate_testkit::backend_tests;
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::{
    content, download, eventually, get, listed_ids, messages, metadata, recording_blobs, sha256,
    CHUNK, PROVIDE,
};
use crate::harness::World;

/// An import of 3 MiB into acme's case with its first half sent and partly stored.
struct Partial {
    call: JoinHandle<Result<tonic::Response<Recording>, Status>>,
    sender: Sender<ImportRecordingRequest>,
    rest: Vec<ImportRecordingRequest>,
    data: Vec<u8>,
    /// The id the gateway gave it (the name of its blob).
    id: String,
}

impl Partial {
    async fn start(world: &World) -> Partial {
        let acme = &world.acme;
        let engineer = world.server.as_actor(&acme.engineer).await;
        // Large enough that the gateway writes a first batch while the call is open.
        let data = content(3 << 20);
        let (sender, receiver) = tokio::sync::mpsc::channel::<ImportRecordingRequest>(64);
        let call = tokio::spawn(async move {
            engineer
                .recordings()
                .import_recording(ReceiverStream::new(receiver))
                .await
        });
        let mut all = messages(metadata(&acme.case, RecordingKind::Phone, &data), &data);
        let rest = all.split_off(1 + (3 << 19) / CHUNK);
        for message in all {
            sender
                .send(message)
                .await
                .expect("the gateway reads the import");
        }
        let server = &world.server;
        eventually("the gateway has stored part of the import", || async {
            recording_blobs(server)
                .iter()
                .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 1 << 20))
        })
        .await;
        let blobs = recording_blobs(server);
        assert_eq!(blobs.len(), 1, "one import in progress: {blobs:?}");
        let id = blobs[0].file_name().unwrap().to_str().unwrap().to_owned();
        Partial {
            call,
            sender,
            rest,
            data,
            id,
        }
    }
}

backend_tests! {
    async fn an_import_in_progress_is_neither_listed_nor_readable_until_verified(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let partial = Partial::start(&world).await;
        let id = partial.id.clone();
        for actor in [&acme.customer, &acme.engineer, &acme.quality] {
            let clients = world.server.as_actor(actor).await;
            let listed = listed_ids(&clients, &acme.case).await;
            assert!(!listed.contains(&id), "{}: an unverified import is listed", actor.name);
        }
        let customer = world.server.as_actor(&acme.customer).await;
        assert!(get(&customer, &id, PROVIDE).await.is_err(), "an unverified import is described");
        assert!(download(&customer, &id, PROVIDE, None).await.is_err(), "an unverified import downloads");

        // Completed, it is verified and appears.
        for message in partial.rest {
            partial.sender.send(message).await.expect("the gateway reads the rest");
        }
        drop(partial.sender);
        let done = partial.call.await.unwrap().expect("the import completes").into_inner();
        assert_eq!((done.recording_id.as_str(), done.size), (id.as_str(), partial.data.len() as u64));
        assert_eq!(done.sha256.to_vec(), sha256(&partial.data));
        assert_eq!(listed_ids(&customer, &acme.case).await, [id.as_str()]);
        let (_, got) = download(&customer, &id, PROVIDE, None).await.unwrap();
        assert!(got == partial.data);
    }

    async fn a_client_that_goes_away_mid_import_leaves_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let partial = Partial::start(&world).await;
        // Cut off mid-stream: the call is cancelled while the client still holds the
        // stream open, so the gateway never sees a clean end of the content.
        partial.call.abort();
        assert!(partial.call.await.is_err(), "the call was cut off");

        let reviewer = world.server.as_actor(&acme.reviewer).await;
        let server = &world.server;
        eventually("the broken import is gone: not listed, no blob", || async {
            listed_ids(&reviewer, &acme.case).await.is_empty() && recording_blobs(server).is_empty()
        })
        .await;
        let customer = world.server.as_actor(&acme.customer).await;
        assert!(get(&customer, &partial.id, PROVIDE).await.is_err(), "the broken import cannot be read");
        drop(partial.sender);
    }
}
