//! Compelled disclosure: the one door through which `legal_compelled` reads data.
//!
//! ## Why here
//! The legal workflow's checks (two different counsel, the customer told first or a
//! non-disclosure obligation on record) are repeated at the point a token is minted, so
//! no code path that skips a step of the workflow can hold a token. The decision is a
//! provider entry in the log (no tenant): a customer's reviewer must not learn of a
//! production from the log before the customer is told, or at all under a
//! non-disclosure obligation.

use supportgate_audit::{AuditSink, Decision, NewEntry};
use supportgate_types::{CaseId, PurposeCode, RequestId, Role, SubjectId, TenantId};

use crate::access::{Access, Scope};
use crate::authorize::{AuthorizeError, Denial, Policy};
use crate::markers::{Class, LegalCompelled, Permits};
use crate::{Principal, Reason, RequestedPurpose};

/// One item of a production, with the facts of the compulsion it is produced under.
#[derive(Clone, Debug)]
pub struct CompelledRead<'a> {
    /// Who produces.
    pub principal: &'a Principal,
    /// The purpose the request named.
    pub purpose: RequestedPurpose,
    /// The counsel who recorded the compulsion.
    pub recorded_by: SubjectId,
    /// The counsel who approved it, if any.
    pub approved_by: Option<SubjectId>,
    /// Whether the customer notice was given and its period has passed, or a
    /// non-disclosure obligation is in force.
    pub notice_satisfied: bool,
    /// The tenant of the item.
    pub tenant: TenantId,
    /// The case of the item.
    pub case: CaseId,
    /// The action to log, e.g. `legal.produce.item`.
    pub action: &'static str,
    /// The item's id.
    pub resource_id: String,
    /// The request.
    pub request_id: RequestId,
}

impl Policy {
    /// Decides one compelled read and logs it before minting.
    pub async fn authorize_compelled<C: Class>(
        &self,
        sink: &dyn AuditSink,
        read: CompelledRead<'_>,
    ) -> Result<Access<LegalCompelled, C>, AuthorizeError>
    where
        LegalCompelled: Permits<C>,
    {
        let principal = read.principal;
        let verdict = if principal.role != Role::LegalCounsel {
            Err(Reason::RoleDenied)
        } else if read.purpose == RequestedPurpose::Missing {
            Err(Reason::PurposeRequired)
        } else if read.purpose != RequestedPurpose::Named(PurposeCode::LegalCompelled) {
            Err(Reason::LegalCompelledRequired)
        } else if read
            .approved_by
            .is_none_or(|approver| approver == read.recorded_by)
        {
            Err(Reason::CompulsionNotApproved)
        } else if !read.notice_satisfied {
            Err(Reason::CustomerNoticeRequired)
        } else {
            Ok(())
        };
        let (decision, reason) = match verdict {
            Ok(()) => (Decision::Allowed, Reason::CompelledDisclosure),
            Err(reason) => (Decision::Denied, reason),
        };
        let entry = NewEntry {
            time: self.clock.now(),
            subject: Some(principal.subject),
            role: Some(principal.role),
            tenant: None,
            action: read.action,
            data_class: C::CLASS,
            resource_id: Some(read.resource_id),
            case_id: Some(read.case),
            purpose: read.purpose.code(),
            decision,
            reason: reason.as_str(),
            request_id: read.request_id,
        };
        let receipt = sink.append(entry).await?;
        if verdict.is_err() {
            return Err(AuthorizeError::Denied(Denial {
                reason,
                audit_sequence: receipt.sequence,
            }));
        }
        Ok(Access::mint(Scope::new(
            read.tenant,
            Some(read.case),
            principal.subject,
            principal.role,
            PurposeCode::LegalCompelled,
            receipt.sequence,
            read.request_id,
        )))
    }
}
