//! `AccessLogService`: list, stream, verify and export the log, and its public key.

use std::time::Duration;

use supportgate_audit::{Decision, ProblemKind, Report};
use supportgate_service::{EntryFilter, LogRange};
use supportgate_store::{ExportItem, SequenceRange};
use supportgate_types::{CaseId, SubjectId, TenantId};
use tonic::{Code, Request, Response, Status};

use super::convert::{id_opt, next_token, page, purpose_filter, timestamp, timestamp_in};
use super::gate::Edge;
use super::pending::ServerStream;
use super::status::{to_status, with_reason};
use crate::bundle::wire::{checkpoint_to_proto, entry_to_proto};
use crate::bundle::{BundleWriter, BUNDLE_FORMAT};
use crate::proto::{self, access_log_service_server::AccessLogService, bundle_record::Record};

mod stream;

/// The longest action name a filter may carry (actions are short dotted names).
const MAX_ACTION_LEN: usize = 200;
/// Export chunks are about this large.
const EXPORT_CHUNK: usize = 64 * 1024;

fn invalid(reason: &str, message: impl Into<String>) -> Status {
    with_reason(Code::InvalidArgument, reason, message)
}

fn decision_filter(value: i32) -> Result<Option<Decision>, Status> {
    match proto::Decision::try_from(value) {
        Ok(proto::Decision::Unspecified) => Ok(None),
        Ok(proto::Decision::Allowed) => Ok(Some(Decision::Allowed)),
        Ok(proto::Decision::Denied) => Ok(Some(Decision::Denied)),
        Ok(proto::Decision::Redirected) => Ok(Some(Decision::Redirected)),
        Err(_) => Err(invalid(
            "INVALID_FIELD",
            format!("decision {value} is not a known decision"),
        )),
    }
}

fn action_filter(action: &str) -> Result<Option<String>, Status> {
    if action.is_empty() {
        return Ok(None);
    }
    let printable = action.chars().all(|c| c.is_ascii_graphic());
    if action.len() > MAX_ACTION_LEN || !printable {
        return Err(invalid(
            "INVALID_FIELD",
            format!(
                "action must be at most {MAX_ACTION_LEN} printable ASCII characters, e.g. case.get"
            ),
        ));
    }
    Ok(Some(action.to_owned()))
}

/// The filter fields ListEntries and StreamEntries share.
struct FilterFields<'a> {
    tenant_id: &'a str,
    case_id: &'a str,
    subject_id: &'a str,
    action: &'a str,
    purpose: i32,
    decision: i32,
    since: Option<prost_types::Timestamp>,
    until: Option<prost_types::Timestamp>,
}

fn filter(f: FilterFields<'_>) -> Result<EntryFilter, Status> {
    let since = timestamp_in("since", f.since)?;
    let until = timestamp_in("until", f.until)?;
    time_order(since, until)?;
    Ok(EntryFilter {
        tenant: id_opt("tenant_id", f.tenant_id, TenantId::parse)?,
        case: id_opt("case_id", f.case_id, CaseId::parse)?,
        subject: id_opt("subject_id", f.subject_id, SubjectId::parse)?,
        action: action_filter(f.action)?,
        purpose: purpose_filter(f.purpose)?,
        decision: decision_filter(f.decision)?,
        since,
        until,
        about_cases_only: false,
    })
}

fn time_order(
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), Status> {
    match (since, until) {
        (Some(since), Some(until)) if since >= until => {
            Err(invalid("INVERTED_TIME_RANGE", "since must be before until"))
        }
        _ => Ok(()),
    }
}

fn sequence_range(range: Option<proto::SequenceRange>) -> Result<SequenceRange, Status> {
    let range = range.unwrap_or_default();
    let to = (range.to_sequence != 0).then_some(range.to_sequence);
    if to.is_some_and(|to| to < range.from_sequence) {
        return Err(invalid(
            "INVERTED_SEQUENCE_RANGE",
            "from_sequence must not be after to_sequence",
        ));
    }
    Ok(SequenceRange {
        from: range.from_sequence.max(1),
        to,
    })
}

fn problem_kind(kind: ProblemKind) -> proto::VerifyProblemKind {
    use proto::VerifyProblemKind as K;
    match kind {
        ProblemKind::EntryHashMismatch => K::EntryHashMismatch,
        ProblemKind::ChainBroken => K::ChainBroken,
        ProblemKind::SequenceGap => K::SequenceGap,
        ProblemKind::CheckpointMismatch => K::CheckpointMismatch,
        ProblemKind::BadSignature => K::BadSignature,
        ProblemKind::UnknownKey => K::UnknownKey,
    }
}

/// A verification report for the wire.
pub fn verify_response(report: Report) -> proto::VerifyResponse {
    proto::VerifyResponse {
        ok: report.ok(),
        range: Some(proto::SequenceRange {
            from_sequence: report.first_sequence.unwrap_or_default(),
            to_sequence: report.last_sequence.unwrap_or_default(),
        }),
        entries_checked: report.entries_checked,
        checkpoints_checked: report.checkpoints_checked,
        problems: report
            .problems
            .into_iter()
            .map(|p| proto::VerifyProblem {
                sequence: p.sequence,
                kind: problem_kind(p.kind) as i32,
                detail: p.detail,
            })
            .collect(),
        last_checkpoint: report.last_valid_checkpoint.map(checkpoint_to_proto),
    }
}

fn public_key(key_id: String, key: Vec<u8>) -> proto::PublicKey {
    proto::PublicKey {
        key_id,
        algorithm: "ed25519".into(),
        public_key: key.into(),
        created_at: None,
        retired_at: None,
    }
}

#[tonic::async_trait]
impl AccessLogService for Edge {
    type StreamEntriesStream = ServerStream<proto::StreamEntriesResponse>;
    type ExportStream = ServerStream<proto::ExportResponse>;

    async fn list_entries(
        &self,
        request: Request<proto::ListEntriesRequest>,
    ) -> Result<Response<proto::ListEntriesResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AccessLogService/ListEntries")
            .await?;
        let r = request.get_ref();
        let filter = filter(FilterFields {
            tenant_id: &r.tenant_id,
            case_id: &r.case_id,
            subject_id: &r.subject_id,
            action: &r.action,
            purpose: r.purpose,
            decision: r.decision,
            since: r.since,
            until: r.until,
        })?;
        let page = page(r.page_size, &r.page_token)?;
        let entries = self
            .services
            .log_list(&caller, filter, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(
            &page,
            entries.len(),
            entries.last().map(|e| e.sequence.to_string()),
        );
        Ok(Response::new(proto::ListEntriesResponse {
            entries: entries.into_iter().map(entry_to_proto).collect(),
            next_page_token: next,
        }))
    }

    async fn stream_entries(
        &self,
        request: Request<proto::StreamEntriesRequest>,
    ) -> Result<Response<Self::StreamEntriesStream>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AccessLogService/StreamEntries")
            .await?;
        let r = request.into_inner();
        let filter = filter(FilterFields {
            tenant_id: &r.tenant_id,
            case_id: &r.case_id,
            subject_id: &r.subject_id,
            action: &r.action,
            purpose: r.purpose,
            decision: r.decision,
            since: r.since,
            until: r.until,
        })?;
        let (access, head) = self
            .services
            .log_follow(&caller, filter.tenant)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let follow = stream::Follow {
            services: self.services.clone(),
            access,
            filter,
            after: r.from_sequence.saturating_sub(1),
            follow: r.follow,
            head,
            shutdown: self.shutdown.clone(),
            request_id: caller.request_id,
            poll: Duration::from_secs(1),
        };
        Ok(Response::new(follow.start()))
    }

    async fn verify(
        &self,
        request: Request<proto::VerifyRequest>,
    ) -> Result<Response<proto::VerifyResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AccessLogService/Verify")
            .await?;
        let range = sequence_range(request.get_ref().range)?;
        let report = self
            .services
            .log_verify(&caller, range)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(verify_response(report)))
    }

    async fn export(
        &self,
        request: Request<proto::ExportRequest>,
    ) -> Result<Response<Self::ExportStream>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AccessLogService/Export")
            .await?;
        let r = request.get_ref();
        let since = timestamp_in("since", r.since)?;
        let until = timestamp_in("until", r.until)?;
        time_order(since, until)?;
        let range = LogRange {
            sequences: sequence_range(r.range)?,
            since,
            until,
        };
        let tenant = id_opt("tenant_id", &r.tenant_id, TenantId::parse)?;
        let services = self.services.clone();
        let request_id = caller.request_id;
        let mut export = services
            .log_export(&caller, range, tenant)
            .await
            .map_err(|e| to_status(e, request_id))?;
        let (key_id, key) = services.log_public_key();
        let mut writer = BundleWriter::default();
        writer.push(Record::Header(proto::BundleHeader {
            format: BUNDLE_FORMAT.into(),
            created_at: Some(timestamp(
                chrono::DateTime::from_timestamp_micros(services.now().timestamp_micros())
                    .unwrap_or_default(),
            )),
            range: Some(proto::SequenceRange {
                from_sequence: export.from,
                to_sequence: export.to,
            }),
            tenant_id: export.tenant.map(|t| t.to_string()).unwrap_or_default(),
            public_keys: vec![public_key(key_id, key)],
            prev_hash: export.prev_hash.to_vec().into(),
        }));
        let (sender, receiver) =
            tokio::sync::mpsc::channel::<Result<proto::ExportResponse, Status>>(4);
        tokio::spawn(async move {
            let mut checkpoints = std::mem::take(&mut export.checkpoints)
                .into_iter()
                .peekable();
            loop {
                let items = match services.log_export_next(&mut export).await {
                    Ok(items) if items.is_empty() => break,
                    Ok(items) => items,
                    Err(e) => {
                        let _ = sender.send(Err(to_status(e, request_id))).await;
                        return;
                    }
                };
                for item in items {
                    let sequence = match &item {
                        ExportItem::Entry(e) => e.sequence,
                        ExportItem::Redacted { sequence, .. } => *sequence,
                    };
                    writer.push(match item {
                        ExportItem::Entry(e) => Record::Entry(entry_to_proto(e)),
                        ExportItem::Redacted {
                            sequence,
                            prev_hash,
                            hash,
                        } => Record::Redacted(proto::RedactedEntry {
                            sequence,
                            prev_hash: prev_hash.to_vec().into(),
                            entry_hash: hash.to_vec().into(),
                        }),
                    });
                    while let Some(c) = checkpoints.next_if(|c| c.sequence <= sequence) {
                        writer.push(Record::Checkpoint(checkpoint_to_proto(c)));
                    }
                    if writer.buffered() >= EXPORT_CHUNK
                        && sender
                            .send(Ok(proto::ExportResponse {
                                chunk: writer.take(),
                            }))
                            .await
                            .is_err()
                    {
                        return;
                    }
                }
            }
            let (key_id, signature) = services.log_sign_bundle(&writer.digest());
            let last = writer.finish(key_id, signature);
            let _ = sender.send(Ok(proto::ExportResponse { chunk: last })).await;
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }

    async fn get_public_key(
        &self,
        request: Request<proto::GetPublicKeyRequest>,
    ) -> Result<Response<proto::GetPublicKeyResponse>, Status> {
        self.caller(&request, "/supportgate.v1.AccessLogService/GetPublicKey")
            .await?;
        let (key_id, key) = self.services.log_public_key();
        Ok(Response::new(proto::GetPublicKeyResponse {
            current_key_id: key_id.clone(),
            keys: vec![public_key(key_id, key)],
        }))
    }
}
