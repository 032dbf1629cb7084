//! What hangs off a case (sessions, recordings, files) is read through the case: the
//! policy decides on the case's facts, and listings show an engineer only the cases
//! assigned to them. One place for both, so every resource kind decides alike.

use supportgate_audit::Decision;
use supportgate_policy::{evaluate, AccessRequest, CustomerDataAccess, RequestedPurpose, Verdict};
use supportgate_types::{CaseId, DataClass, Role, TenantId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

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
            let verdict = evaluate(&caller.principal, purpose, DataClass::Customer, Some(f));
            if matches!(verdict, Verdict::Allow(..)) {
                let event = Event {
                    action,
                    data_class: DataClass::Customer,
                    tenant: Some(f.tenant),
                    resource_id: Some(resource_id),
                    case_id: f.case,
                    decision: Decision::Denied,
                    reason: refusal.reason(),
                };
                self.log_for(caller, event, purpose.code()).await?;
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
