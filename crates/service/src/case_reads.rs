//! What hangs off a case (sessions, recordings, files) is read through the case: the
//! policy decides on the case's facts, and listings show an engineer only the cases
//! assigned to them. One place for both, so every resource kind decides alike.

use supportgate_audit::Decision;
use supportgate_policy::{
    evaluate, AccessRequest, CustomerDataAccess, RequestedPurpose, ResourceFacts, Verdict,
};
use supportgate_types::{CaseId, DataClass, Role, TenantId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

/// A read that cannot happen now, as [`Services::refused_though_admitted`] logs it.
#[derive(Debug)]
pub(crate) struct Unready {
    /// The class the read is of.
    pub class: DataClass,
    /// The action to log.
    pub action: &'static str,
    /// The purpose the caller named.
    pub purpose: RequestedPurpose,
    /// What was to be read.
    pub resource_id: String,
    /// Why it cannot be read now.
    pub reason: &'static str,
}

impl Services {
    /// Decides (and logs as `action`) a customer-data read of `resource_id`, a resource
    /// of `case` (`None`: no such resource in the caller's tenant), for `purpose`.
    ///
    /// ## `ready`: can the resource be read now
    /// A session that is not joinable, a recording still being recorded: the policy
    /// would allow the read, but it cannot happen. For a caller the policy admits, such
    /// a refusal is the decision, logged as denied with its own reason, so the log
    /// never says "allowed" for a read that did not take place. For anyone else the
    /// policy decides (and logs) as usual, so nobody it refuses learns the state.
    pub(crate) async fn authorize_case_read(
        &self,
        caller: &Caller,
        case: Option<CaseId>,
        action: &'static str,
        purpose: RequestedPurpose,
        resource_id: String,
        ready: Result<(), ServiceError>,
    ) -> Result<CustomerDataAccess, ServiceError> {
        let facts = match case {
            Some(case) => self.case_facts(caller, case).await?.map(|(_, f)| f),
            None => None,
        };
        if let (Err(refusal), Some(f)) = (ready, &facts) {
            let unready = Unready {
                class: DataClass::Customer,
                action,
                purpose,
                resource_id: resource_id.clone(),
                reason: refusal.reason(),
            };
            if self.refused_though_admitted(caller, f, unready).await? {
                return Err(refusal);
            }
        }
        let request = AccessRequest {
            principal: &caller.principal,
            action,
            purpose,
            resource: facts,
            resource_id: Some(resource_id),
            request_id: caller.request_id,
        };
        Ok(self
            .inner
            .policy
            .authorize_customer_data(self.audit_sink(), request)
            .await?)
    }

    /// A read the policy would admit that cannot happen now (a session not joinable, a
    /// recording still being written, a contact its data subject deleted): when the
    /// policy admits the caller, the refusal is the decision, logged as denied with
    /// `unready.reason`, and `true` is returned, so the log never says "allowed" for a
    /// read that did not take place. For anyone else nothing is logged and `false` is
    /// returned: the policy then decides (and logs) as usual, so nobody it refuses
    /// learns the state.
    pub(crate) async fn refused_though_admitted(
        &self,
        caller: &Caller,
        facts: &ResourceFacts,
        unready: Unready,
    ) -> Result<bool, ServiceError> {
        let verdict = evaluate(
            &caller.principal,
            unready.purpose,
            unready.class,
            Some(facts),
        );
        if !matches!(verdict, Verdict::Allow(..)) {
            return Ok(false);
        }
        let event = Event {
            action: unready.action,
            data_class: unready.class,
            tenant: Some(facts.tenant),
            resource_id: Some(unready.resource_id),
            case_id: facts.case,
            decision: Decision::Denied,
            reason: unready.reason,
        };
        self.log_for(caller, event, unready.purpose.code()).await?;
        Ok(true)
    }

    /// Whether the caller sees what hangs off `case`: every role the gate admitted
    /// does, except a support engineer not assigned to it.
    pub(crate) async fn sees_case(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<bool, ServiceError> {
        if caller.principal.role != Role::SupportEngineer {
            return Ok(true);
        }
        Ok(self
            .case_facts(caller, case)
            .await?
            .is_some_and(|(_, f)| f.assigned_to_caller))
    }

    /// The tenant to list `case`'s resources in, after the logged metadata decision for
    /// `action`; `None` when the caller does not see the case (an empty listing).
    pub(crate) async fn case_listing(
        &self,
        caller: &Caller,
        case: CaseId,
        action: &'static str,
    ) -> Result<Option<TenantId>, ServiceError> {
        self.inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                action,
                None,
                caller.request_id,
            )
            .await?;
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "case" })?;
        Ok(self.sees_case(caller, case).await?.then_some(tenant))
    }
}
