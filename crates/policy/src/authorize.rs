//! The audited decision: evaluate, log durably, then (and only then) mint a token.

use std::sync::Arc;

use supportgate_audit::{AuditError, AuditSink, Decision, NewEntry};
use supportgate_types::{CaseId, Clock, DataClass, RequestId, Role, TenantId};

use crate::access::{
    Access, ContactDataAccess, CustomerDataAccess, MetadataAccess, MetadataScope, Scope,
};
use crate::chart::{evaluate, Verdict};
use crate::{Communications, ContactData, Principal, Reason, RequestedPurpose};

/// What the service knows about the resource, looked up within the caller's tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceFacts {
    /// The tenant that owns it.
    pub tenant: TenantId,
    /// The case it belongs to; `None` for tenant-wide reads (communications recipients).
    pub case: Option<CaseId>,
    /// Whether the caller is an engineer assigned to the case.
    pub assigned_to_caller: bool,
    /// Whether the case's contact has opted out of communications.
    pub contact_opted_out: bool,
}

/// One read to decide.
#[derive(Clone, Debug)]
pub struct AccessRequest<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// A stable action name, e.g. `case.get`.
    pub action: &'static str,
    /// The purpose as it arrived.
    pub purpose: RequestedPurpose,
    /// The resource, or `None` when it does not exist in the caller's tenant.
    pub resource: Option<ResourceFacts>,
    /// The id of the object read, for the log.
    pub resource_id: Option<String>,
    /// The request.
    pub request_id: RequestId,
}

/// A refusal, already durable in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Why.
    pub reason: Reason,
    /// The log entry that recorded it.
    pub audit_sequence: u64,
}

/// Why no token was minted.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// The policy refused; the refusal is logged.
    #[error("access denied: {}", .0.reason)]
    Denied(Denial),
    /// The decision could not be logged, so nothing may be released (fail closed).
    #[error("the access log is unavailable")]
    Audit(#[from] AuditError),
}

/// The policy engine: the only minter of access tokens.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) clock: Arc<dyn Clock>,
}

impl Policy {
    /// A policy that timestamps decisions with `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
    /// Decides a read of customer data and logs the decision before minting.
    pub async fn authorize_customer_data(
        &self,
        sink: &dyn AuditSink,
        request: AccessRequest<'_>,
    ) -> Result<CustomerDataAccess, AuthorizeError> {
        self.decide(sink, request, DataClass::Customer, CustomerDataAccess::mint)
            .await
    }

    /// Decides a read of contact data and logs the decision before minting.
    pub async fn authorize_contact_data(
        &self,
        sink: &dyn AuditSink,
        request: AccessRequest<'_>,
    ) -> Result<ContactDataAccess, AuthorizeError> {
        self.decide(sink, request, DataClass::Contact, ContactDataAccess::mint)
            .await
    }

    /// Decides a tenant-wide read of communication recipients: only a communications
    /// token will do, whatever else the chart would allow for the caller.
    pub async fn authorize_communications_recipients(
        &self,
        sink: &dyn AuditSink,
        request: AccessRequest<'_>,
    ) -> Result<Access<Communications, ContactData>, AuthorizeError> {
        let only_communications = |scope: Scope| match ContactDataAccess::mint(scope) {
            Some(ContactDataAccess::Communications(access)) => Some(access),
            _ => None,
        };
        self.decide(sink, request, DataClass::Contact, only_communications)
            .await
    }

    async fn decide<T>(
        &self,
        sink: &dyn AuditSink,
        request: AccessRequest<'_>,
        class: DataClass,
        mint: impl Fn(Scope) -> Option<T>,
    ) -> Result<T, AuthorizeError> {
        let principal = request.principal;
        let verdict = evaluate(principal, request.purpose, class, request.resource.as_ref());
        // Work out the token before logging "allowed", so the log never claims an
        // access that then fails to happen.
        let allowed = match (verdict, &request.resource) {
            (Verdict::Allow(purpose, reason), Some(resource)) => {
                let probe = Scope::new(
                    resource.tenant,
                    resource.case,
                    principal.subject,
                    principal.role,
                    purpose,
                    0,
                    request.request_id,
                );
                mint(probe).map(|_| (purpose, reason, resource.clone()))
            }
            _ => None,
        };
        let (decision, reason) = match (&allowed, verdict) {
            (Some((_, reason, _)), _) => (Decision::Allowed, *reason),
            (None, Verdict::Deny(reason)) => (Decision::Denied, reason),
            (None, Verdict::Allow(..)) => (Decision::Denied, Reason::PurposeNotPermittedForRole),
        };
        let tenant = request
            .resource
            .as_ref()
            .map(|r| r.tenant)
            .or(principal.tenant);
        let entry = NewEntry {
            time: self.clock.now(),
            subject: Some(principal.subject),
            role: Some(principal.role),
            tenant,
            action: request.action,
            data_class: class,
            resource_id: request.resource_id.clone(),
            case_id: request.resource.as_ref().and_then(|r| r.case),
            purpose: request.purpose.code(),
            decision,
            reason: reason.as_str(),
            request_id: request.request_id,
        };
        let receipt = sink.append(entry).await?;
        let Some((purpose, _, resource)) = allowed else {
            return Err(AuthorizeError::Denied(Denial {
                reason,
                audit_sequence: receipt.sequence,
            }));
        };
        let scope = Scope::new(
            resource.tenant,
            resource.case,
            principal.subject,
            principal.role,
            purpose,
            receipt.sequence,
            request.request_id,
        );
        mint(scope).ok_or(AuthorizeError::Denied(Denial {
            reason: Reason::PurposeNotPermittedForRole,
            audit_sequence: receipt.sequence,
        }))
    }

    /// Decides a metadata read (listing cases, reading the access log) and logs it.
    ///
    /// Tenant-bound callers see only their tenant; provider-level callers may name one
    /// tenant or see all. `sales_marketing` and `law_enforcement` are refused.
    pub async fn authorize_metadata(
        &self,
        sink: &dyn AuditSink,
        principal: &Principal,
        action: &'static str,
        requested_tenant: Option<TenantId>,
        request_id: RequestId,
    ) -> Result<MetadataAccess, AuthorizeError> {
        let outcome = match (principal.role, principal.tenant, requested_tenant) {
            (Role::SalesMarketing | Role::LawEnforcement, _, _) => Err(Reason::RoleDenied),
            (_, Some(own), Some(asked)) if own != asked => Err(Reason::OtherTenant),
            (_, Some(own), _) => Ok(MetadataScope::Tenant(own)),
            (_, None, Some(asked)) => Ok(MetadataScope::Tenant(asked)),
            (_, None, None) => Ok(MetadataScope::AllTenants),
        };
        let (decision, reason) = match outcome {
            Ok(_) => (Decision::Allowed, Reason::MetadataRead),
            Err(reason) => (Decision::Denied, reason),
        };
        let entry = NewEntry {
            time: self.clock.now(),
            subject: Some(principal.subject),
            role: Some(principal.role),
            // A refusal to look at another tenant is filed under the caller's own
            // tenant: the other tenant's log never names who probed it.
            tenant: match outcome {
                Err(Reason::OtherTenant) => principal.tenant,
                _ => requested_tenant.or(principal.tenant),
            },
            action,
            data_class: DataClass::Metadata,
            resource_id: None,
            case_id: None,
            purpose: None,
            decision,
            reason: reason.as_str(),
            request_id,
        };
        let receipt = sink.append(entry).await?;
        match outcome {
            Ok(scope) => Ok(MetadataAccess::mint(
                scope,
                principal.subject,
                principal.role,
            )),
            Err(reason) => Err(AuthorizeError::Denied(Denial {
                reason,
                audit_sequence: receipt.sequence,
            })),
        }
    }
}

#[cfg(test)]
mod tests;
