//! The run-time chart: a pure function from a request to a verdict.
//!
//! The checks run in a fixed order, so a request gets the most fundamental reason:
//! role, purpose validity, prohibited purpose, legal flow, chart cell, role and purpose,
//! tenant, assignment, opt-out.

use supportgate_types::{DataClass, PurposeCode, Role};

use crate::{Principal, Reason, RequestedPurpose, ResourceFacts};

/// The outcome of evaluating a request against the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, for this purpose, with this reason.
    Allow(PurposeCode, Reason),
    /// Denied (or invalid), with this reason.
    Deny(Reason),
}

/// The chart cell of DESIGN section 3, as a value (the types in `markers` mirror it).
fn chart_allows(purpose: PurposeCode, class: DataClass) -> bool {
    matches!(
        (purpose, class),
        (
            PurposeCode::ProvideSupport | PurposeCode::ImproveSupport,
            DataClass::Contact | DataClass::Customer
        ) | (PurposeCode::Communications, DataClass::Contact)
    )
}

/// Which role may read for which purpose, and on what grounds.
enum Grounds {
    OwnTenant,
    Assigned,
    Quality,
    Communications,
}

fn role_grounds(role: Role, purpose: PurposeCode) -> Option<Grounds> {
    match (role, purpose) {
        (Role::Customer, PurposeCode::ProvideSupport) => Some(Grounds::OwnTenant),
        // Engineers work cases (DESIGN section 1); improving the process is support
        // quality's purpose, so an engineer gets only what providing support needs.
        (Role::SupportEngineer, PurposeCode::ProvideSupport) => Some(Grounds::Assigned),
        (Role::SupportQuality, PurposeCode::ImproveSupport) => Some(Grounds::Quality),
        (Role::Communications, PurposeCode::Communications) => Some(Grounds::Communications),
        _ => None,
    }
}

/// Evaluates a read of `class` by `principal` for `purpose` on `resource`
/// (`None` when it does not exist in the caller's tenant).
pub fn evaluate(
    principal: &Principal,
    purpose: RequestedPurpose,
    class: DataClass,
    resource: Option<&ResourceFacts>,
) -> Verdict {
    if principal.role == Role::SalesMarketing {
        return Verdict::Deny(Reason::RoleDenied);
    }
    let purpose = match purpose {
        RequestedPurpose::Missing => return Verdict::Deny(Reason::PurposeRequired),
        RequestedPurpose::Unknown(_) => return Verdict::Deny(Reason::PurposeUnknown),
        RequestedPurpose::Named(p) => p,
    };
    if purpose.is_prohibited() {
        return Verdict::Deny(Reason::PurposeProhibited);
    }
    if purpose == PurposeCode::LegalCompelled {
        return Verdict::Deny(Reason::LegalFlowOnly);
    }
    if !chart_allows(purpose, class) {
        return Verdict::Deny(Reason::PurposeNotPermittedForClass);
    }
    let Some(grounds) = role_grounds(principal.role, purpose) else {
        return Verdict::Deny(Reason::PurposeNotPermittedForRole);
    };
    let Some(resource) = resource.filter(|r| Some(r.tenant) == principal.tenant) else {
        return Verdict::Deny(Reason::NotFound);
    };
    let reason = match grounds {
        Grounds::OwnTenant => Reason::OwnTenant,
        Grounds::Quality => Reason::QualityReview,
        Grounds::Assigned if resource.assigned_to_caller => Reason::AssignedEngineer,
        Grounds::Assigned => return Verdict::Deny(Reason::NotAssigned),
        Grounds::Communications if resource.contact_opted_out => {
            return Verdict::Deny(Reason::ContactOptedOut)
        }
        Grounds::Communications => Reason::CommunicationsContact,
    };
    Verdict::Allow(purpose, reason)
}

#[cfg(test)]
mod tests;
