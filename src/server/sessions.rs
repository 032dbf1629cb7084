//! `SessionService`: requesting, consenting to and running remote-access sessions.
//!
//! The unary RPCs are thin over `supportgate_service`; `ConnectSession` is the live
//! relay: [`hub`] keeps the sessions live on this gateway, [`live`] relays and ends
//! one, [`recorder`] writes its recording, [`connect`] runs one participant's stream.

mod connect;
mod end;
pub mod hub;
mod live;
mod outbound;
mod recorder;

use std::time::Duration;

use supportgate_store::{ConsentScope, EndReason, SessionRecord, SessionState};
use supportgate_types::{CaseId, SessionId};
use tonic::{Code, Request, Response, Status};

use super::convert::{id, next_token, page, timestamp, timestamp_in};
use super::gate::Edge;
use super::pending::ServerStream;
use super::status::{to_status, with_reason};
use crate::proto::{self, session_service_server::SessionService};

pub use live::{end_reason, role};

/// Largest `ConnectSession` message: output and input frames carry at most
/// [`connect::MAX_FRAME_DATA`] bytes; anything far larger is refused by the transport.
pub const MAX_FRAME_MESSAGE: usize = 128 * 1024;

/// How the relay treats its participants; explicit like every other limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelaySettings {
    /// How long a frame may wait for the agent or engineer to read it before the
    /// session ends (`DISCONNECTED`): a peer that stops reading cannot make the
    /// gateway buffer without limit.
    pub peer_timeout: Duration,
    /// How often the recording of a busy session is made durable: a crash loses at
    /// most this much of it.
    pub flush_interval: Duration,
    /// How often the relay asks the store what ended its live sessions: consent
    /// revoked or a case closed on another gateway instance, credentials revoked.
    /// Decisions taken through this instance end its sessions at once.
    pub check_interval: Duration,
    /// How long a new stream may take to send its Join.
    pub join_timeout: Duration,
    /// Relay without recording: exists only with the `bench-unrecorded` feature, for
    /// the benchmark that measures what recording costs.
    #[cfg(feature = "bench-unrecorded")]
    pub unrecorded: bool,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            peer_timeout: Duration::from_secs(10),
            flush_interval: Duration::from_millis(250),
            check_interval: Duration::from_secs(2),
            join_timeout: Duration::from_secs(10),
            #[cfg(feature = "bench-unrecorded")]
            unrecorded: false,
        }
    }
}

fn scope_in(value: i32) -> Result<ConsentScope, Status> {
    match proto::ConsentScope::try_from(value) {
        Ok(proto::ConsentScope::View) => Ok(ConsentScope::View),
        Ok(proto::ConsentScope::Control) => Ok(ConsentScope::Control),
        Ok(proto::ConsentScope::FileTransfer) => Ok(ConsentScope::FileTransfer),
        _ => Err(with_reason(
            Code::InvalidArgument,
            "UNKNOWN_SCOPE",
            format!("{value} is not a consent scope: use VIEW, CONTROL or FILE_TRANSFER"),
        )),
    }
}

fn scopes_in(values: &[i32], field: &str) -> Result<Vec<ConsentScope>, Status> {
    if values.is_empty() {
        return Err(with_reason(
            Code::InvalidArgument,
            "FIELD_REQUIRED",
            format!("{field} must name at least one scope"),
        ));
    }
    values.iter().map(|v| scope_in(*v)).collect()
}

/// Consent scopes as the wire carries them.
pub fn scopes(scopes: &[ConsentScope]) -> Vec<i32> {
    scopes
        .iter()
        .map(|s| match s {
            ConsentScope::View => proto::ConsentScope::View,
            ConsentScope::Control => proto::ConsentScope::Control,
            ConsentScope::FileTransfer => proto::ConsentScope::FileTransfer,
        } as i32)
        .collect()
}

fn state(s: SessionState) -> proto::SessionState {
    match s {
        SessionState::PendingConsent => proto::SessionState::PendingConsent,
        SessionState::Ready => proto::SessionState::Ready,
        SessionState::Active => proto::SessionState::Active,
        SessionState::Ended => proto::SessionState::Ended,
        SessionState::Declined => proto::SessionState::Declined,
    }
}

fn state_filter(value: i32) -> Result<Option<SessionState>, Status> {
    match proto::SessionState::try_from(value) {
        Ok(proto::SessionState::Unspecified) => Ok(None),
        Ok(proto::SessionState::PendingConsent) => Ok(Some(SessionState::PendingConsent)),
        Ok(proto::SessionState::Ready) => Ok(Some(SessionState::Ready)),
        Ok(proto::SessionState::Active) => Ok(Some(SessionState::Active)),
        Ok(proto::SessionState::Ended) => Ok(Some(SessionState::Ended)),
        Ok(proto::SessionState::Declined) => Ok(Some(SessionState::Declined)),
        Err(_) => Err(with_reason(
            Code::InvalidArgument,
            "UNKNOWN_STATE",
            format!("{value} is not a session state"),
        )),
    }
}

/// A session as the wire shows it (metadata only).
fn session(s: SessionRecord) -> proto::Session {
    let consent = s.consent_granted_at.map(|granted_at| proto::Consent {
        scopes: scopes(&s.consent_scopes),
        granted_by: s
            .consent_granted_by
            .map(|g| g.to_string())
            .unwrap_or_default(),
        granted_at: Some(timestamp(granted_at)),
        expires_at: s.consent_expires_at.map(timestamp),
        recording_acknowledged: s.recording_acknowledged,
        revoked_at: s.revoked_at.map(timestamp),
        revoked_by: s.revoked_by.map(|r| r.to_string()).unwrap_or_default(),
    });
    proto::Session {
        session_id: s.id.to_string(),
        tenant_id: s.tenant.to_string(),
        case_id: s.case.to_string(),
        requested_by: s.requested_by.to_string(),
        requested_scopes: scopes(&s.requested_scopes),
        state: state(s.state) as i32,
        consent,
        requested_at: Some(timestamp(s.requested_at)),
        started_at: s.started_at.map(timestamp),
        ended_at: s.ended_at.map(timestamp),
        end_reason: s.end_reason.map_or(0, |r| end_reason(r) as i32),
        recording_id: s.recording.map(|r| r.to_string()).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl SessionService for Edge {
    type ConnectSessionStream = ServerStream<proto::Frame>;

    async fn request_session(
        &self,
        request: Request<proto::RequestSessionRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.SessionService/RequestSession")
            .await?;
        let r = request.get_ref();
        let case = id("case_id", &r.case_id, CaseId::parse)?;
        let wanted = scopes_in(&r.capabilities, "capabilities")?;
        let requested = self
            .services
            .session_request(&caller, case, wanted)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(session(requested)))
    }

    async fn grant_consent(
        &self,
        request: Request<proto::GrantConsentRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.SessionService/GrantConsent")
            .await?;
        let r = request.get_ref();
        let session_id = id("session_id", &r.session_id, SessionId::parse)?;
        let granted = scopes_in(&r.scopes, "scopes")?;
        let expires_at = timestamp_in("expires_at", r.expires_at)?.ok_or_else(|| {
            with_reason(
                Code::InvalidArgument,
                "FIELD_REQUIRED",
                "expires_at is required: consent always ends",
            )
        })?;
        let record = self
            .services
            .session_grant(
                &caller,
                session_id,
                granted,
                expires_at,
                r.recording_acknowledged,
            )
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(session(record)))
    }

    async fn decline_consent(
        &self,
        request: Request<proto::DeclineConsentRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.SessionService/DeclineConsent")
            .await?;
        let session_id = id(
            "session_id",
            &request.get_ref().session_id,
            SessionId::parse,
        )?;
        let record = self
            .services
            .session_decline(&caller, session_id)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(session(record)))
    }

    async fn revoke_consent(
        &self,
        request: Request<proto::RevokeConsentRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.SessionService/RevokeConsent")
            .await?;
        let session_id = id(
            "session_id",
            &request.get_ref().session_id,
            SessionId::parse,
        )?;
        let record = self
            .services
            .session_revoke(&caller, session_id)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        self.sessions.end(session_id, EndReason::ConsentRevoked);
        Ok(Response::new(session(record)))
    }

    async fn get_session(
        &self,
        request: Request<proto::GetSessionRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.SessionService/GetSession")
            .await?;
        let session_id = id(
            "session_id",
            &request.get_ref().session_id,
            SessionId::parse,
        )?;
        let record = self
            .services
            .session_get(&caller, session_id)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(session(record)))
    }

    async fn list_sessions(
        &self,
        request: Request<proto::ListSessionsRequest>,
    ) -> Result<Response<proto::ListSessionsResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.SessionService/ListSessions")
            .await?;
        let r = request.get_ref();
        let case = id("case_id", &r.case_id, CaseId::parse)?;
        let filter = state_filter(r.state)?;
        let page = page(r.page_size, &r.page_token)?;
        let list = self
            .services
            .session_list(&caller, case, filter, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(&page, list.len(), list.last().map(|s| s.id.to_string()));
        Ok(Response::new(proto::ListSessionsResponse {
            sessions: list.into_iter().map(session).collect(),
            next_page_token: next,
        }))
    }

    async fn connect_session(
        &self,
        request: Request<tonic::Streaming<proto::Frame>>,
    ) -> Result<Response<Self::ConnectSessionStream>, Status> {
        connect::connect(self, request).await.map(Response::new)
    }
}
