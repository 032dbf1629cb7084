//! Ending an upload: completion (verify what was committed against the declaration,
//! give the content its final name, make the file available), failure, abort, and the
//! expiry sweep.
//!
//! ## Restartable at every step
//! Completion runs verify → log `VERIFIED` → rename `uploads/…` to `files/…` → mark the
//! row available. The gateway may die between any two steps, and the SHA-256 it kept in
//! memory dies with it; a retried `CompleteUpload` (after a restart, or on another
//! replica) finds where the first one stopped from what is stored:
//! - the content still under `uploads/`: verified from there, then renamed;
//! - the content already under `files/` but the row still in progress: verified from
//!   `files/` and not renamed again;
//! - the row available: returned as it is.
//!
//! Destroying an upload (failed, aborted, expired) marks the row first, then destroys the
//! data key and the blob under either name. A retried complete or abort of an ended
//! upload repeats that destruction (it is idempotent), so a crash between the row and
//! the key leaves nothing behind once the client retries.

use supportgate_audit::Decision;
use supportgate_store::{BlobKey, UploadRecord, UploadState};
use supportgate_types::{DataClass, UploadId};

use super::content::ContentError;
use super::upload::{precondition, refused_upload, upload_event};
use crate::{Caller, ServiceError, Services};

/// Where the content of an upload in progress lies.
struct Stored {
    blob: BlobKey,
    /// Already under its final name: an earlier completion renamed it, then stopped.
    promoted: bool,
}

/// The two names an upload's content has: `uploads/…` while in progress, `files/…` once
/// completed.
fn blob_keys(record: &UploadRecord) -> Result<(BlobKey, BlobKey), ServiceError> {
    let upload =
        BlobKey::upload(record.tenant, &record.id.to_string()).map_err(ServiceError::internal)?;
    let file =
        BlobKey::file(record.tenant, &record.file.to_string()).map_err(ServiceError::internal)?;
    Ok((upload, file))
}

fn not_in_progress(state: UploadState) -> ServiceError {
    precondition(
        "UPLOAD_NOT_IN_PROGRESS",
        format!("the upload is {}", state.as_str()),
    )
}

impl Services {
    /// Verifies size and SHA-256 and makes the file visible, or fails it and destroys
    /// its content. Idempotent once available, and restartable at every step (see the
    /// module docs).
    pub async fn upload_complete(
        &self,
        caller: &Caller,
        upload: UploadId,
    ) -> Result<UploadRecord, ServiceError> {
        let result = self.upload_complete_checked(caller, upload).await;
        // Verification failures log themselves; a refusal before it is logged here.
        if matches!(&result, Err(e) if e.reason() == "SHA256_MISMATCH") {
            return result;
        }
        self.audited(
            caller,
            refused_upload("transfer.upload.complete", caller, upload),
            result,
        )
        .await
    }

    async fn upload_complete_checked(
        &self,
        caller: &Caller,
        upload: UploadId,
    ) -> Result<UploadRecord, ServiceError> {
        let mut record = self.own_upload(caller, upload).await?;
        if record.state == UploadState::InProgress
            && record.size == 0
            && record.committed_offset == 0
        {
            // An empty file has no chunk to carry it: its one empty segment is sealed
            // here, logged first as the stream that would have carried it.
            let slot = self.upload_admit(&record)?;
            let event = upload_event(
                "transfer.upload.chunks",
                &record,
                Decision::Allowed,
                "OWN_TENANT",
            );
            self.log(caller, event).await?;
            self.upload_writer(caller, &record, slot)
                .await?
                .finish()
                .await?;
            record = self.own_upload(caller, upload).await?;
        }
        match record.state {
            UploadState::Available => return Ok(record),
            UploadState::InProgress => {}
            ended => {
                // Its destruction was logged when it was decided; finish it in case a
                // crash cut it short.
                self.destroy_content(&record).await?;
                return Err(not_in_progress(ended));
            }
        }
        if record.expires_at <= self.now() {
            return Err(precondition(
                "UPLOAD_EXPIRED",
                "the upload expired before it was completed; begin it again",
            ));
        }
        if record.committed_offset != record.size {
            return Err(precondition(
                "UPLOAD_INCOMPLETE",
                format!(
                    "{} of {} bytes are committed; resume the upload from {}",
                    record.committed_offset, record.size, record.committed_offset
                ),
            ));
        }
        let stored = self.upload_stored(&record).await?;
        let digest = self.upload_digest(&record, &stored.blob).await?;
        if digest.as_slice() != record.sha256.as_slice() {
            return self.upload_fail(caller, record, "SHA256_MISMATCH").await;
        }
        let event = upload_event(
            "transfer.upload.complete",
            &record,
            Decision::Allowed,
            "VERIFIED",
        );
        self.log(caller, event).await?;
        if !stored.promoted {
            let (from, to) = blob_keys(&record)?;
            self.inner
                .blobs
                .promote(&from, &to)
                .await
                .map_err(ServiceError::internal)?;
        }
        let main = &self.inner.main;
        let finished = main
            .upload_finish(
                record.tenant,
                record.id,
                UploadState::Available,
                None,
                self.now(),
            )
            .await?;
        self.inner.sessions.forget(record.id);
        let now = main.upload_get(record.tenant, record.id).await?;
        if !finished && now.state != UploadState::Available {
            // Aborted or expired while this completion ran: the renamed content goes
            // the way of the rest.
            self.destroy_content(&now).await?;
            return Err(not_in_progress(now.state));
        }
        Ok(now)
    }

    /// Where the content of an upload in progress lies: under `uploads/` until a
    /// completion renames it; under `files/` when a completion renamed it and stopped
    /// before the row changed.
    async fn upload_stored(&self, record: &UploadRecord) -> Result<Stored, ServiceError> {
        let (upload, file) = blob_keys(record)?;
        let blobs = &self.inner.blobs;
        if blobs
            .len(&upload)
            .await
            .map_err(ServiceError::internal)?
            .is_some()
        {
            return Ok(Stored {
                blob: upload,
                promoted: false,
            });
        }
        if blobs
            .len(&file)
            .await
            .map_err(ServiceError::internal)?
            .is_some()
        {
            return Ok(Stored {
                blob: file,
                promoted: true,
            });
        }
        Err(ContentError::Missing { blob: upload }.into())
    }

    /// The SHA-256 of the whole upload: remembered by the stream that committed its last
    /// byte, or (after a restart, or on another replica) rebuilt from `blob`.
    async fn upload_digest(
        &self,
        record: &UploadRecord,
        blob: &BlobKey,
    ) -> Result<Vec<u8>, ServiceError> {
        if let Some(context) = self.inner.sessions.prefix(record.id, record.size) {
            return Ok(context.finish().as_ref().to_vec());
        }
        let sealed = self
            .sealed_content(record.tenant, &record.file.to_string(), blob, record.size)
            .await?;
        let context = self
            .rehash_prefix(blob, &sealed, sealed.cipher.segment_count())
            .await?;
        Ok(context.finish().as_ref().to_vec())
    }

    /// Fails an upload: logged, its data key destroyed, its blob deleted.
    async fn upload_fail(
        &self,
        caller: &Caller,
        record: UploadRecord,
        reason: &'static str,
    ) -> Result<UploadRecord, ServiceError> {
        self.log(
            caller,
            upload_event("transfer.upload.verify", &record, Decision::Denied, reason),
        )
        .await?;
        self.destroy_upload(&record, UploadState::Failed, Some(reason))
            .await?;
        Err(precondition(
            reason,
            "the uploaded bytes do not match the declared SHA-256; nothing was kept, upload the file again",
        ))
    }

    /// Ends an upload in progress as `state` and destroys its content. `false`, with
    /// nothing destroyed, when it became available meanwhile (a completion won the race).
    async fn destroy_upload(
        &self,
        record: &UploadRecord,
        state: UploadState,
        reason: Option<&str>,
    ) -> Result<bool, ServiceError> {
        let main = &self.inner.main;
        let ended = main
            .upload_finish(record.tenant, record.id, state, reason, self.now())
            .await?;
        if !ended
            && main.upload_get(record.tenant, record.id).await?.state == UploadState::Available
        {
            return Ok(false);
        }
        self.destroy_content(record).await?;
        Ok(true)
    }

    /// Destroys the content of an upload that ended without becoming available: its data
    /// key (crypto-shredding) and its blob under either name. Idempotent.
    async fn destroy_content(&self, record: &UploadRecord) -> Result<(), ServiceError> {
        self.inner
            .main
            .object_key_delete(record.tenant, &record.file.to_string())
            .await?;
        let (upload, file) = blob_keys(record)?;
        for blob in [upload, file] {
            self.inner
                .blobs
                .delete(&blob)
                .await
                .map_err(ServiceError::internal)?;
        }
        self.inner.sessions.forget(record.id);
        Ok(())
    }

    /// Abandons an upload and destroys what was committed.
    pub async fn upload_abort(
        &self,
        caller: &Caller,
        upload: UploadId,
    ) -> Result<UploadRecord, ServiceError> {
        let result = self.upload_abort_checked(caller, upload).await;
        self.audited(
            caller,
            refused_upload("transfer.upload.abort", caller, upload),
            result,
        )
        .await
    }

    async fn upload_abort_checked(
        &self,
        caller: &Caller,
        upload: UploadId,
    ) -> Result<UploadRecord, ServiceError> {
        let record = self.own_upload(caller, upload).await?;
        match record.state {
            UploadState::InProgress => {}
            UploadState::Available => return Err(not_in_progress(record.state)),
            ended => {
                // Finish a destruction a crash cut short (it was logged when decided).
                self.destroy_content(&record).await?;
                return Err(not_in_progress(ended));
            }
        }
        self.log(
            caller,
            upload_event(
                "transfer.upload.abort",
                &record,
                Decision::Allowed,
                "OWN_TENANT",
            ),
        )
        .await?;
        if !self
            .destroy_upload(&record, UploadState::Aborted, None)
            .await?
        {
            return Err(not_in_progress(UploadState::Available));
        }
        Ok(self.inner.main.upload_get(record.tenant, record.id).await?)
    }

    /// Aborts every upload past its expiry and destroys what it committed (the gateway's
    /// own sweep; each is logged as a system event). Returns how many were aborted.
    pub async fn uploads_expire(&self) -> Result<usize, ServiceError> {
        let mut aborted = 0;
        loop {
            let expired = self.inner.main.uploads_expired(self.now(), 100).await?;
            if expired.is_empty() {
                return Ok(aborted);
            }
            for record in expired {
                let entry = supportgate_audit::NewEntry {
                    time: self.now(),
                    subject: None,
                    role: None,
                    tenant: Some(record.tenant),
                    action: "transfer.upload.expire",
                    data_class: DataClass::Customer,
                    resource_id: Some(record.id.to_string()),
                    case_id: Some(record.case),
                    purpose: None,
                    decision: Decision::Allowed,
                    reason: "EXPIRED",
                    request_id: supportgate_types::RequestId::new(),
                };
                self.audit_sink().append(entry).await?;
                if self
                    .destroy_upload(&record, UploadState::Aborted, Some("EXPIRED"))
                    .await?
                {
                    aborted += 1;
                }
            }
        }
    }
}
