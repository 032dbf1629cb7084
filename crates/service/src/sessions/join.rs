//! Who may join a live session, and as what. Every join is a decision in the log: the
//! engineer and observers read customer data, so the policy decides for them; the
//! agent is the customer's own host, bound to the tenant.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_policy::{AccessRequest, RequestedPurpose};
use supportgate_store::{ConsentScope, SessionRecord, SessionState};
use supportgate_types::{DataClass, PurposeCode, Role, SessionId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

/// How a participant takes part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParticipantKind {
    /// The customer's host: produces output, consumes input.
    Agent,
    /// The engineer: sees output, sends input with CONTROL consent.
    Engineer,
    /// A supervisor: sees output and chat, read-only.
    Observer,
}

/// An accepted join.
#[derive(Clone, Debug)]
pub struct JoinGrant {
    /// The session as it stands.
    pub session: SessionRecord,
    /// Whether the engineer's input may pass.
    pub control: bool,
    /// When the consent ends the session.
    pub expires_at: DateTime<Utc>,
    /// The joining subject's display name (for presence).
    pub subject_name: String,
}

impl Services {
    /// Decides (and logs) a join of `session` as `kind` for `purpose`.
    pub async fn session_join(
        &self,
        caller: &Caller,
        session: SessionId,
        kind: ParticipantKind,
        purpose: RequestedPurpose,
    ) -> Result<JoinGrant, ServiceError> {
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "session" })?;
        let record = match self.inner.main.session_get(tenant, session).await {
            Ok(record) => Some(record),
            Err(supportgate_store::StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        match kind {
            ParticipantKind::Agent => self.agent_join(caller, session, record, purpose).await?,
            ParticipantKind::Engineer | ParticipantKind::Observer => {
                self.viewer_join(caller, session, record.as_ref(), kind, purpose)
                    .await?
            }
        }
        let record = self.inner.main.session_get(tenant, session).await?;
        let expires_at = record.consent_expires_at.unwrap_or_else(|| self.now());
        let joinable = matches!(record.state, SessionState::Ready | SessionState::Active)
            && expires_at > self.now();
        if !joinable {
            return Err(ServiceError::FailedPrecondition {
                reason: "SESSION_NOT_JOINABLE",
                message: format!(
                    "the session is {} and cannot be joined",
                    record.state.as_str()
                ),
            });
        }
        let subject_name = self
            .inner
            .main
            .subject_get(caller.principal.subject)
            .await
            .map(|s| s.name)
            .unwrap_or_default();
        Ok(JoinGrant {
            control: record.consent_scopes.contains(&ConsentScope::Control),
            expires_at,
            subject_name,
            session: record,
        })
    }

    async fn agent_join(
        &self,
        caller: &Caller,
        session: SessionId,
        record: Option<SessionRecord>,
        purpose: RequestedPurpose,
    ) -> Result<(), ServiceError> {
        let (decision, reason) = match (caller.principal.role, purpose, &record) {
            (
                Role::CustomerAgent,
                RequestedPurpose::Named(PurposeCode::ProvideSupport),
                Some(_),
            ) => (Decision::Allowed, "OWN_TENANT"),
            (Role::CustomerAgent, RequestedPurpose::Missing, _) => {
                (Decision::Denied, "PURPOSE_REQUIRED")
            }
            (Role::CustomerAgent, _, Some(_)) => {
                (Decision::Denied, "PURPOSE_NOT_PERMITTED_FOR_ROLE")
            }
            (Role::CustomerAgent, _, None) => (Decision::Denied, "NOT_FOUND"),
            _ => (Decision::Denied, "ROLE_DENIED"),
        };
        let event = Event {
            action: "session.join.agent",
            data_class: DataClass::Customer,
            tenant: caller.principal.tenant,
            resource_id: Some(session.to_string()),
            case_id: record.as_ref().map(|r| r.case),
            decision,
            reason,
        };
        self.log(caller, event).await?;
        match reason {
            "OWN_TENANT" => Ok(()),
            "NOT_FOUND" => Err(ServiceError::NotFound { what: "session" }),
            "PURPOSE_REQUIRED" => Err(ServiceError::invalid(
                reason,
                "a purpose is required: the agent joins to provide support",
            )),
            _ => Err(ServiceError::Denied {
                reason,
                message: "the agent joins a session of its tenant to provide support".into(),
            }),
        }
    }

    async fn viewer_join(
        &self,
        caller: &Caller,
        session: SessionId,
        record: Option<&SessionRecord>,
        kind: ParticipantKind,
        purpose: RequestedPurpose,
    ) -> Result<(), ServiceError> {
        let facts = match record {
            Some(r) => self
                .case_facts(caller, r.case)
                .await?
                .map(|(_, facts)| facts),
            None => None,
        };
        let action = if kind == ParticipantKind::Engineer {
            "session.join.engineer"
        } else {
            "session.join.observer"
        };
        if kind == ParticipantKind::Engineer && caller.principal.role != Role::SupportEngineer {
            let event = Event {
                action,
                data_class: DataClass::Customer,
                tenant: caller.principal.tenant,
                resource_id: Some(session.to_string()),
                case_id: record.map(|r| r.case),
                decision: Decision::Denied,
                reason: "ROLE_DENIED",
            };
            self.log(caller, event).await?;
            return Err(ServiceError::Denied {
                reason: "ROLE_DENIED",
                message: "only a support engineer joins as the engineer".into(),
            });
        }
        let request = AccessRequest {
            principal: &caller.principal,
            action,
            purpose,
            resource: facts,
            resource_id: Some(session.to_string()),
            request_id: caller.request_id,
        };
        self.inner
            .policy
            .authorize_customer_data(self.audit_sink(), request)
            .await?;
        Ok(())
    }
}
