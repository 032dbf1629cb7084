//! What use cases take in (already parsed) and hand back (plain data, no wire types).

use chrono::{DateTime, Utc};
use supportgate_store::CaseMeta;
use supportgate_types::{
    CaseSummary, Company, ContactId, Email, JobTitle, PersonName, Phone, TenantId,
};

/// Contact details as a customer gives them when opening a case.
#[derive(Clone, Debug)]
pub struct ContactInput {
    /// Full name.
    pub name: PersonName,
    /// Business e-mail (the lookup key).
    pub email: Email,
    /// Business phone.
    pub phone: Phone,
    /// Company.
    pub company: Company,
    /// Job title.
    pub job_title: JobTitle,
}

/// A new case.
#[derive(Clone, Debug)]
pub struct NewCaseInput {
    /// The description of the issue (customer data).
    pub summary: CaseSummary,
    /// The customer's representative (contact data).
    pub contact: ContactInput,
}

/// Which cases to list (each filter optional).
#[derive(Clone, Debug, Default)]
pub struct CaseListQuery {
    /// Only cases in this state.
    pub state: Option<supportgate_store::CaseState>,
    /// Only cases the calling engineer is assigned to.
    pub assigned_to_me: bool,
    /// Only this tenant (provider-level callers; others may only name their own).
    pub tenant: Option<TenantId>,
}

/// A correction: only the given fields change.
#[derive(Clone, Debug, Default)]
pub struct ContactPatchInput {
    /// New name.
    pub name: Option<PersonName>,
    /// New e-mail.
    pub email: Option<Email>,
    /// New phone.
    pub phone: Option<Phone>,
    /// New company.
    pub company: Option<Company>,
    /// New job title.
    pub job_title: Option<JobTitle>,
}

impl ContactPatchInput {
    /// Whether the correction changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.phone.is_none()
            && self.company.is_none()
            && self.job_title.is_none()
    }
}

/// A contact, opened.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactView {
    /// Its id.
    pub id: ContactId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Full name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Company.
    pub company: String,
    /// Job title.
    pub job_title: String,
    /// Whether it opted out of communications.
    pub opted_out: bool,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl ContactView {
    /// The contact's fields as JSON, with the names of the API's `Contact` message: what
    /// a data subject exports and what a compelled production releases.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "contact_id": self.id.to_string(),
            "tenant_id": self.tenant.to_string(),
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "company": self.company,
            "job_title": self.job_title,
            "communications_opt_out": self.opted_out,
            "updated_at": self.updated_at.to_rfc3339(),
        })
    }
}

impl std::fmt::Debug for ContactView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactView")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A case with its content, as a permitted reader sees it.
#[derive(Clone)]
pub struct CaseView {
    /// Metadata.
    pub meta: CaseMeta,
    /// The summary (customer data).
    pub summary: String,
    /// The contact (contact data).
    pub contact: ContactView,
}

impl std::fmt::Debug for CaseView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseView")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}
