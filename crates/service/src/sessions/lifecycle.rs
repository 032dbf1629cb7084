//! Requesting, consenting, declining, revoking, reading and ending sessions.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_store::{CaseState, ConsentScope, EndReason, Page, SessionRecord, SessionState};
use supportgate_types::{CaseId, DataClass, Role, SessionId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

fn session_event(
    action: &'static str,
    s: &SessionRecord,
    decision: Decision,
    reason: &'static str,
) -> Event {
    Event {
        action,
        data_class: DataClass::Metadata,
        tenant: Some(s.tenant),
        resource_id: Some(s.id.to_string()),
        case_id: Some(s.case),
        decision,
        reason,
    }
}

fn refused(action: &'static str, caller: &Caller, resource: String) -> Event {
    Event {
        action,
        data_class: DataClass::Metadata,
        tenant: caller.principal.tenant,
        resource_id: Some(resource),
        case_id: None,
        decision: Decision::Denied,
        reason: "",
    }
}

fn precondition(reason: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::FailedPrecondition {
        reason,
        message: message.into(),
    }
}

impl Services {
    /// Requests a session on an open case: an engineer assigned to it. VIEW is implied.
    pub async fn session_request(
        &self,
        caller: &Caller,
        case: CaseId,
        scopes: Vec<ConsentScope>,
    ) -> Result<SessionRecord, ServiceError> {
        let result = self.session_request_checked(caller, case, scopes).await;
        self.audited(
            caller,
            refused("session.request", caller, case.to_string()),
            result,
        )
        .await
    }

    async fn session_request_checked(
        &self,
        caller: &Caller,
        case: CaseId,
        mut scopes: Vec<ConsentScope>,
    ) -> Result<SessionRecord, ServiceError> {
        let (meta, facts) = self
            .case_facts(caller, case)
            .await?
            .ok_or(ServiceError::NotFound { what: "case" })?;
        if !facts.assigned_to_caller {
            return Err(ServiceError::Denied {
                reason: "NOT_ASSIGNED",
                message: "only an engineer assigned to the case requests sessions on it".into(),
            });
        }
        if meta.state != CaseState::Open {
            return Err(precondition("CASE_CLOSED", "the case is closed"));
        }
        if !scopes.contains(&ConsentScope::View) {
            scopes.insert(0, ConsentScope::View);
        }
        scopes.dedup();
        let session = SessionRecord {
            id: SessionId::new(),
            tenant: meta.tenant,
            case: meta.id,
            requested_by: caller.principal.subject,
            requested_scopes: scopes,
            state: SessionState::PendingConsent,
            consent_scopes: Vec::new(),
            consent_granted_by: None,
            consent_granted_at: None,
            consent_expires_at: None,
            recording_acknowledged: false,
            revoked_at: None,
            revoked_by: None,
            requested_at: self.now(),
            started_at: None,
            ended_at: None,
            end_reason: None,
            recording: None,
        };
        self.log(
            caller,
            session_event(
                "session.request",
                &session,
                Decision::Allowed,
                "ASSIGNED_ENGINEER",
            ),
        )
        .await?;
        self.inner.main.session_insert(&session).await?;
        Ok(session)
    }

    /// The session of the caller's tenant (customers, assigned engineers, quality, the
    /// tenant's agents, the tenant's reviewers).
    async fn visible_session(
        &self,
        caller: &Caller,
        session: SessionId,
    ) -> Result<SessionRecord, ServiceError> {
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "session" })?;
        let record = self.inner.main.session_get(tenant, session).await?;
        if !self.sees_case(caller, record.case).await? {
            return Err(ServiceError::NotFound { what: "session" });
        }
        Ok(record)
    }

    /// A customer's session to decide on.
    async fn customers_session(
        &self,
        caller: &Caller,
        session: SessionId,
    ) -> Result<SessionRecord, ServiceError> {
        if caller.principal.role != Role::Customer {
            return Err(ServiceError::Denied {
                reason: "ROLE_DENIED",
                message: "only a customer of the tenant decides on consent".into(),
            });
        }
        self.visible_session(caller, session).await
    }

    /// Grants consent: scopes (a subset of those requested), an expiry, and the
    /// customer's acknowledgement that the session is recorded.
    pub async fn session_grant(
        &self,
        caller: &Caller,
        session: SessionId,
        scopes: Vec<ConsentScope>,
        expires_at: DateTime<Utc>,
        recording_acknowledged: bool,
    ) -> Result<SessionRecord, ServiceError> {
        let result = self
            .session_grant_checked(caller, session, scopes, expires_at, recording_acknowledged)
            .await;
        self.audited(
            caller,
            refused("session.consent.grant", caller, session.to_string()),
            result,
        )
        .await
    }

    async fn session_grant_checked(
        &self,
        caller: &Caller,
        session: SessionId,
        mut scopes: Vec<ConsentScope>,
        expires_at: DateTime<Utc>,
        recording_acknowledged: bool,
    ) -> Result<SessionRecord, ServiceError> {
        let record = self.customers_session(caller, session).await?;
        if !recording_acknowledged {
            return Err(precondition(
                "RECORDING_NOT_ACKNOWLEDGED",
                "the session is recorded: consent must acknowledge it",
            ));
        }
        if scopes.is_empty() || scopes.iter().any(|s| !record.requested_scopes.contains(s)) {
            return Err(ServiceError::invalid(
                "SCOPES_NOT_REQUESTED",
                "grant a non-empty subset of the requested capabilities",
            ));
        }
        if scopes.contains(&ConsentScope::Control) && !scopes.contains(&ConsentScope::View) {
            scopes.insert(0, ConsentScope::View);
        }
        let now = self.now();
        let max = self.inner.config.max_consent_ttl;
        if expires_at <= now || expires_at > now + max {
            return Err(ServiceError::invalid(
                "CONSENT_EXPIRY_OUT_OF_RANGE",
                format!(
                    "the expiry must be in the future and at most {} minutes from now",
                    max.num_minutes()
                ),
            ));
        }
        if record.state != SessionState::PendingConsent {
            return Err(precondition(
                "SESSION_NOT_PENDING",
                format!("the session is {}", record.state.as_str()),
            ));
        }
        self.log(
            caller,
            session_event(
                "session.consent.grant",
                &record,
                Decision::Allowed,
                "OWN_TENANT",
            ),
        )
        .await?;
        if !self
            .inner
            .main
            .session_grant(
                record.tenant,
                session,
                &scopes,
                caller.principal.subject,
                now,
                expires_at,
            )
            .await?
        {
            return Err(precondition(
                "SESSION_NOT_PENDING",
                "the session was decided meanwhile",
            ));
        }
        Ok(self.inner.main.session_get(record.tenant, session).await?)
    }

    /// Declines a pending session.
    pub async fn session_decline(
        &self,
        caller: &Caller,
        session: SessionId,
    ) -> Result<SessionRecord, ServiceError> {
        let result = async {
            let record = self.customers_session(caller, session).await?;
            self.log(
                caller,
                session_event(
                    "session.consent.decline",
                    &record,
                    Decision::Allowed,
                    "OWN_TENANT",
                ),
            )
            .await?;
            if !self
                .inner
                .main
                .session_decline(record.tenant, session, self.now())
                .await?
            {
                return Err(precondition(
                    "SESSION_NOT_PENDING",
                    format!("the session is {}", record.state.as_str()),
                ));
            }
            Ok(self.inner.main.session_get(record.tenant, session).await?)
        }
        .await;
        self.audited(
            caller,
            refused("session.consent.decline", caller, session.to_string()),
            result,
        )
        .await
    }

    /// Withdraws consent; the session ends (the edge ends the live relay). Idempotent on
    /// an ended session.
    pub async fn session_revoke(
        &self,
        caller: &Caller,
        session: SessionId,
    ) -> Result<SessionRecord, ServiceError> {
        let result = async {
            let record = self.customers_session(caller, session).await?;
            self.log(
                caller,
                session_event(
                    "session.consent.revoke",
                    &record,
                    Decision::Allowed,
                    "OWN_TENANT",
                ),
            )
            .await?;
            let revoked = self
                .inner
                .main
                .session_revoke(record.tenant, session, caller.principal.subject, self.now())
                .await?;
            if !revoked && record.state == SessionState::PendingConsent {
                return Err(precondition(
                    "SESSION_NOT_CONSENTED",
                    "nothing to revoke yet: decline the session instead",
                ));
            }
            Ok(self.inner.main.session_get(record.tenant, session).await?)
        }
        .await;
        self.audited(
            caller,
            refused("session.consent.revoke", caller, session.to_string()),
            result,
        )
        .await
    }

    /// A session's state (metadata).
    pub async fn session_get(
        &self,
        caller: &Caller,
        session: SessionId,
    ) -> Result<SessionRecord, ServiceError> {
        self.inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                "session.get",
                None,
                caller.request_id,
            )
            .await?;
        self.visible_session(caller, session).await
    }

    /// The sessions of a case (metadata).
    pub async fn session_list(
        &self,
        caller: &Caller,
        case: CaseId,
        state: Option<SessionState>,
        page: &Page,
    ) -> Result<Vec<SessionRecord>, ServiceError> {
        let Some(tenant) = self.case_listing(caller, case, "session.list").await? else {
            return Ok(Vec::new());
        };
        Ok(self
            .inner
            .main
            .session_list(tenant, case, state, page)
            .await?)
    }

    /// Ends a session (the relay calls this once, whatever ended it); `false` when it
    /// had already ended. Logged as the gateway's own event.
    ///
    /// ## Why the end is stored before it is logged
    /// Everywhere else a change waits for its log entry. An end must not: if the log
    /// were unavailable, a session whose relay has already stopped would stay active
    /// in the store and could be joined again once the log came back. Ending is the
    /// safe direction, so it happens first and is logged right after.
    pub async fn session_finish(
        &self,
        session: &SessionRecord,
        reason: EndReason,
    ) -> Result<bool, ServiceError> {
        let ended = self
            .inner
            .main
            .session_end(session.tenant, session.id, self.now(), reason)
            .await?;
        self.log_system(Event {
            action: "session.end",
            data_class: DataClass::Metadata,
            tenant: Some(session.tenant),
            resource_id: Some(session.id.to_string()),
            case_id: Some(session.case),
            decision: Decision::Allowed,
            reason: reason_code(reason),
        })
        .await?;
        Ok(ended)
    }
}

/// The log's reason code for an end reason.
pub(crate) fn reason_code(reason: EndReason) -> &'static str {
    match reason {
        EndReason::EngineerEnded => "ENGINEER_ENDED",
        EndReason::AgentEnded => "AGENT_ENDED",
        EndReason::ConsentRevoked => "CONSENT_REVOKED",
        EndReason::ConsentExpired => "CONSENT_EXPIRED",
        EndReason::RecordingFailed => "RECORDING_FAILED",
        EndReason::CaseClosed => "CASE_CLOSED",
        EndReason::Shutdown => "SHUTDOWN",
        EndReason::CredentialRevoked => "CREDENTIAL_REVOKED",
        EndReason::Disconnected => "DISCONNECTED",
    }
}
