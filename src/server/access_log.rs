//! `AccessLogService`: reviewers list the log now; streaming, verification, export and
//! the public key arrive with the tamper-evident log (issue 3) and answer UNIMPLEMENTED
//! until then, after the caller is authenticated and their role checked (both logged).

use supportgate_audit::{Decision, Entry};
use supportgate_service::EntryFilter;
use supportgate_types::{CaseId, DataClass, SubjectId, TenantId};
use tonic::{Code, Request, Response, Status};

use super::convert::{
    id_opt, next_token, page, purpose_filter, purpose_to_proto, role_to_proto, timestamp,
    timestamp_in,
};
use super::gate::Edge;
use super::pending::{not_yet, ServerStream};
use super::status::{to_status, with_reason};
use crate::proto::{self, access_log_service_server::AccessLogService};

/// The longest action name a filter may carry (actions are short dotted names).
const MAX_ACTION_LEN: usize = 200;

fn decision_filter(value: i32) -> Result<Option<Decision>, Status> {
    match proto::Decision::try_from(value) {
        Ok(proto::Decision::Unspecified) => Ok(None),
        Ok(proto::Decision::Allowed) => Ok(Some(Decision::Allowed)),
        Ok(proto::Decision::Denied) => Ok(Some(Decision::Denied)),
        Ok(proto::Decision::Redirected) => Ok(Some(Decision::Redirected)),
        Err(_) => Err(with_reason(
            Code::InvalidArgument,
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
        return Err(with_reason(
            Code::InvalidArgument,
            "INVALID_FIELD",
            format!(
                "action must be at most {MAX_ACTION_LEN} printable ASCII characters, e.g. case.get"
            ),
        ));
    }
    Ok(Some(action.to_owned()))
}

fn filter(r: &proto::ListEntriesRequest) -> Result<EntryFilter, Status> {
    Ok(EntryFilter {
        tenant: id_opt("tenant_id", &r.tenant_id, TenantId::parse)?,
        case: id_opt("case_id", &r.case_id, CaseId::parse)?,
        subject: id_opt("subject_id", &r.subject_id, SubjectId::parse)?,
        action: action_filter(&r.action)?,
        purpose: purpose_filter(r.purpose)?,
        decision: decision_filter(r.decision)?,
        since: timestamp_in("since", r.since)?,
        until: timestamp_in("until", r.until)?,
    })
}

fn data_class(c: DataClass) -> proto::DataClass {
    match c {
        DataClass::Contact => proto::DataClass::Contact,
        DataClass::Customer => proto::DataClass::Customer,
        DataClass::Metadata => proto::DataClass::Metadata,
    }
}

fn decision(d: Decision) -> proto::Decision {
    match d {
        Decision::Allowed => proto::Decision::Allowed,
        Decision::Denied => proto::Decision::Denied,
        Decision::Redirected => proto::Decision::Redirected,
    }
}

/// An entry for the wire. The hash fields stay empty until the chain lands (issue 3).
fn entry(e: Entry) -> proto::AccessLogEntry {
    let f = e.entry;
    proto::AccessLogEntry {
        sequence: e.sequence,
        time: Some(timestamp(f.time)),
        subject_id: f.subject.map(|s| s.to_string()).unwrap_or_default(),
        role: f.role.map_or(0, role_to_proto),
        tenant_id: f.tenant.map(|t| t.to_string()).unwrap_or_default(),
        action: f.action,
        data_class: data_class(f.data_class) as i32,
        resource_id: f.resource_id.unwrap_or_default(),
        case_id: f.case_id.map(|c| c.to_string()).unwrap_or_default(),
        purpose: f.purpose.map_or(0, |p| purpose_to_proto(p) as i32),
        decision: decision(f.decision) as i32,
        reason: f.reason,
        request_id: f.request_id.to_string(),
        prev_hash: Default::default(),
        entry_hash: Default::default(),
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
        let filter = filter(r)?;
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
            entries: entries.into_iter().map(entry).collect(),
            next_page_token: next,
        }))
    }

    async fn stream_entries(
        &self,
        request: Request<proto::StreamEntriesRequest>,
    ) -> Result<Response<Self::StreamEntriesStream>, Status> {
        self.caller(&request, "/supportgate.v1.AccessLogService/StreamEntries")
            .await?;
        Err(not_yet(
            "the tamper-evident log tools (stream, verify, export, public key)",
            3,
        ))
    }

    async fn verify(
        &self,
        request: Request<proto::VerifyRequest>,
    ) -> Result<Response<proto::VerifyResponse>, Status> {
        self.caller(&request, "/supportgate.v1.AccessLogService/Verify")
            .await?;
        Err(not_yet(
            "the tamper-evident log tools (stream, verify, export, public key)",
            3,
        ))
    }

    async fn export(
        &self,
        request: Request<proto::ExportRequest>,
    ) -> Result<Response<Self::ExportStream>, Status> {
        self.caller(&request, "/supportgate.v1.AccessLogService/Export")
            .await?;
        Err(not_yet(
            "the tamper-evident log tools (stream, verify, export, public key)",
            3,
        ))
    }

    async fn get_public_key(
        &self,
        request: Request<proto::GetPublicKeyRequest>,
    ) -> Result<Response<proto::GetPublicKeyResponse>, Status> {
        self.caller(&request, "/supportgate.v1.AccessLogService/GetPublicKey")
            .await?;
        Err(not_yet(
            "the tamper-evident log tools (stream, verify, export, public key)",
            3,
        ))
    }
}
