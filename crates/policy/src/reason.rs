//! Stable reason codes for every decision; clients and reviewers match on these.

use std::fmt;

/// Why a decision came out the way it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Allowed: a customer reading their own tenant's data.
    OwnTenant,
    /// Allowed: an engineer assigned to the case.
    AssignedEngineer,
    /// Allowed: support quality review within the tenant.
    QualityReview,
    /// Allowed: communications reading a contact that has not opted out.
    CommunicationsContact,
    /// Denied: the role may not use case management at all (`sales_marketing`).
    RoleDenied,
    /// Invalid: no purpose was named.
    PurposeRequired,
    /// Invalid: the purpose value is unknown.
    PurposeUnknown,
    /// Denied: the purpose is prohibited for all data.
    PurposeProhibited,
    /// Denied: `legal_compelled` is only usable inside the legal flow.
    LegalFlowOnly,
    /// Denied: the chart does not allow this purpose for this data class.
    PurposeNotPermittedForClass,
    /// Denied: this role may not read this class for this purpose.
    PurposeNotPermittedForRole,
    /// Denied: the engineer is not assigned to the case.
    NotAssigned,
    /// Denied: the contact opted out of communications.
    ContactOptedOut,
    /// Denied: the resource does not exist in the caller's tenant.
    NotFound,
    /// Allowed: a read of operational metadata only.
    MetadataRead,
    /// Denied: a tenant-scoped caller asked about another tenant.
    OtherTenant,
    /// Allowed: production under an approved compulsion, after the customer notice (or
    /// under a recorded non-disclosure obligation).
    CompelledDisclosure,
    /// Denied: production names a purpose other than `legal_compelled`.
    LegalCompelledRequired,
    /// Denied: the compulsion is not approved by a second counsel.
    CompulsionNotApproved,
    /// Denied: the customer has not been notified (and no non-disclosure obligation is
    /// in force), or the notice period is still running.
    CustomerNoticeRequired,
}

impl Reason {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::OwnTenant => "OWN_TENANT",
            Reason::AssignedEngineer => "ASSIGNED_ENGINEER",
            Reason::QualityReview => "QUALITY_REVIEW",
            Reason::CommunicationsContact => "COMMUNICATIONS_CONTACT",
            Reason::RoleDenied => "ROLE_DENIED",
            Reason::PurposeRequired => "PURPOSE_REQUIRED",
            Reason::PurposeUnknown => "PURPOSE_UNKNOWN",
            Reason::PurposeProhibited => "PURPOSE_PROHIBITED",
            Reason::LegalFlowOnly => "LEGAL_FLOW_ONLY",
            Reason::PurposeNotPermittedForClass => "PURPOSE_NOT_PERMITTED_FOR_CLASS",
            Reason::PurposeNotPermittedForRole => "PURPOSE_NOT_PERMITTED_FOR_ROLE",
            Reason::NotAssigned => "NOT_ASSIGNED",
            Reason::ContactOptedOut => "CONTACT_OPTED_OUT",
            Reason::NotFound => "NOT_FOUND",
            Reason::MetadataRead => "METADATA_READ",
            Reason::OtherTenant => "OTHER_TENANT",
            Reason::CompelledDisclosure => "COMPELLED_DISCLOSURE",
            Reason::LegalCompelledRequired => "LEGAL_COMPELLED_REQUIRED",
            Reason::CompulsionNotApproved => "COMPULSION_NOT_APPROVED",
            Reason::CustomerNoticeRequired => "CUSTOMER_NOTICE_REQUIRED",
        }
    }

    /// A sentence a user can act on.
    pub fn message(self) -> &'static str {
        match self {
            Reason::OwnTenant
            | Reason::AssignedEngineer
            | Reason::QualityReview
            | Reason::CommunicationsContact
            | Reason::MetadataRead
            | Reason::CompelledDisclosure => "allowed",
            Reason::RoleDenied => "this role has no access to case management",
            Reason::PurposeRequired => "a purpose is required for every read of data",
            Reason::PurposeUnknown => "the purpose is not one the gateway knows",
            Reason::PurposeProhibited => {
                "this purpose is prohibited for all data (marketing, advertising, third-party advertising transfer, voluntary law-enforcement disclosure)"
            }
            Reason::LegalFlowOnly => "legal_compelled is only usable through the legal-request workflow",
            Reason::PurposeNotPermittedForClass => {
                "the data-use chart does not allow this purpose for this class of data"
            }
            Reason::PurposeNotPermittedForRole => "this role may not read this data for this purpose",
            Reason::NotAssigned => "the engineer is not assigned to this case",
            Reason::ContactOptedOut => "the contact has opted out of communications",
            Reason::NotFound => "no such resource in your tenant",
            Reason::OtherTenant => "you may only see your own tenant",
            Reason::LegalCompelledRequired => "production is only possible with the purpose legal_compelled",
            Reason::CompulsionNotApproved => {
                "the compulsion must be recorded by one legal counsel and approved by another first"
            }
            Reason::CustomerNoticeRequired => {
                "the customer must be notified first (and the notice period must have passed), unless a non-disclosure obligation is recorded"
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
