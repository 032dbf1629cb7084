//! A legal production of the same file the transfers move: the request, compulsion,
//! second counsel's approval and notice are set up untimed; the timed part is `Produce`
//! (the gateway decides and logs the item, reads and opens its segments, and encrypts
//! it with age to the order's recipient) with the client writing, hashing and syncing
//! what arrives, like a download.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use bytes::Bytes;
use ring::digest::{Context, SHA256};
use supportgate::proto::legal_service_client::LegalServiceClient;
use supportgate::proto::produce_response::Part;
use supportgate::proto::{
    legal_target, ApproveCompulsionRequest, LegalItemKind, LegalScope, LegalTarget, ProduceRequest,
    Purpose, RecordCompulsionRequest, RecordCustomerNoticeRequest, SubmitRequestRequest,
};
use tonic::transport::Channel;

use super::{authed, digest, Parties, READ_AHEAD};

/// An agency's request about the bench tenant, compelled for `file_id` alone by one
/// counsel, approved by the other, with the customer told: ready to produce.
pub async fn compel_file(
    channel: Channel,
    parties: &Parties,
    file_id: &str,
    recipient: &str,
) -> String {
    let mut legal = LegalServiceClient::new(channel);
    let submit = SubmitRequestRequest {
        target: Some(LegalTarget {
            target: Some(legal_target::Target::TenantId(parties.tenant.clone())),
        }),
        agency: "Bench Agency".into(),
        legal_basis: "a benchmark".into(),
        ..Default::default()
    };
    let request_id = legal
        .submit_request(authed(submit, &parties.agency))
        .await
        .unwrap()
        .into_inner()
        .request_id;
    let compel = RecordCompulsionRequest {
        request_id: request_id.clone(),
        order_reference: "ORDER-1".into(),
        issuing_authority: "Bench Court".into(),
        scope: Some(LegalScope {
            item_kinds: vec![LegalItemKind::File.into()],
            item_ids: vec![file_id.to_owned()],
            ..Default::default()
        }),
        recipient_public_key: recipient.to_owned(),
        ..Default::default()
    };
    let compulsion_id = legal
        .record_compulsion(authed(compel, &parties.counsel))
        .await
        .unwrap()
        .into_inner()
        .compulsion
        .unwrap()
        .compulsion_id;
    let approve = ApproveCompulsionRequest {
        request_id: request_id.clone(),
        compulsion_id,
    };
    legal
        .approve_compulsion(authed(approve, &parties.second_counsel))
        .await
        .unwrap();
    let notice = RecordCustomerNoticeRequest {
        request_id: request_id.clone(),
        message: "Your file will be produced under ORDER-1.".into(),
        production_not_before: None,
    };
    legal
        .record_customer_notice(authed(notice, &parties.counsel))
        .await
        .unwrap();
    request_id
}

/// Produces the request's one item into `out` (written, hashed, synced as it arrives);
/// returns the plaintext SHA-256 the item header announced and the bytes written.
pub async fn produce(
    channel: Channel,
    parties: &Parties,
    request_id: &str,
    out: &Path,
) -> ([u8; 32], u64) {
    let request = ProduceRequest {
        request_id: request_id.to_owned(),
        purpose: Purpose::LegalCompelled.into(),
    };
    let mut stream = LegalServiceClient::new(channel)
        .max_decoding_message_size(8 * 1024 * 1024)
        .produce(authed(request, &parties.counsel))
        .await
        .unwrap()
        .into_inner();
    let Some(Part::Manifest(manifest)) = stream.message().await.unwrap().and_then(|m| m.part)
    else {
        panic!("a production starts with its manifest");
    };
    assert_eq!(manifest.item_count, 1, "the order names one file");
    let Some(Part::Item(item)) = stream.message().await.unwrap().and_then(|m| m.part) else {
        panic!("then the item's header");
    };
    assert_eq!(item.encryption, "age");
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Bytes>(READ_AHEAD);
    let writing = {
        let out = out.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut file = File::create(out).unwrap();
            let mut hash = Context::new(&SHA256);
            let mut written = 0u64;
            while let Some(data) = receiver.blocking_recv() {
                hash.update(&data);
                file.write_all(&data).unwrap();
                written += data.len() as u64;
            }
            file.sync_all().unwrap();
            (digest(hash), written)
        })
    };
    let mut summary = None;
    while let Some(message) = stream.message().await.unwrap() {
        match message.part {
            Some(Part::Chunk(chunk)) => sender.send(chunk.data).await.unwrap(),
            Some(Part::Summary(s)) => summary = Some(s),
            _ => panic!("only chunks and the summary follow the item"),
        }
    }
    drop(sender);
    let (_, written) = writing.await.unwrap();
    assert_eq!(summary.unwrap().items_produced, 1, "the summary closes it");
    (item.sha256.as_ref().try_into().unwrap(), written)
}

/// Decrypts a produced file with the recipient's identity and hashes the plaintext
/// (untimed: the agency's side).
pub fn decrypted_sha256(path: &Path, identity: &age::x25519::Identity) -> [u8; 32] {
    let file = std::io::BufReader::new(File::open(path).unwrap());
    let decryptor = age::Decryptor::new(file).unwrap();
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .unwrap();
    let mut hash = Context::new(&SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            return digest(hash);
        }
        hash.update(&buf[..n]);
    }
}
