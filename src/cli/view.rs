//! What the client prints: serde views of the API messages.
//!
//! Protobuf types do not implement `Serialize`, and their raw form (enums as
//! numbers, timestamps as seconds and nanos, empty strings for "absent") is not what
//! a script wants. These views fix the JSON shape once: enums as lowercase snake
//! names, times as RFC 3339, ids as strings, absent values as `null`.

use serde::Serialize;

use super::output::{enum_name, hex, present, rfc3339};
use crate::proto;

/// The name of a `Purpose` wire value (`provide_support`), `None` if unspecified.
pub fn purpose_name(raw: i32) -> Option<String> {
    let wire = proto::Purpose::try_from(raw).ok().map(|v| v.as_str_name());
    enum_name(wire, "PURPOSE_", raw)
}

/// The name of a `Role` wire value (`support_engineer`), `None` if unspecified.
pub fn role_name(raw: i32) -> Option<String> {
    let wire = proto::Role::try_from(raw).ok().map(|v| v.as_str_name());
    enum_name(wire, "ROLE_", raw)
}

/// The name of a `Decision` wire value (`allowed`), `None` if unspecified.
pub fn decision_name(raw: i32) -> Option<String> {
    let wire = proto::Decision::try_from(raw).ok().map(|v| v.as_str_name());
    enum_name(wire, "DECISION_", raw)
}

/// The name of a `DataClass` wire value (`contact`, `customer`, `metadata`).
pub fn data_class_name(raw: i32) -> Option<String> {
    let wire = proto::DataClass::try_from(raw)
        .ok()
        .map(|v| v.as_str_name());
    enum_name(wire, "DATA_CLASS_", raw)
}

/// The name of a `CaseState` wire value (`open`, `closed`).
pub fn case_state_name(raw: i32) -> Option<String> {
    let wire = proto::CaseState::try_from(raw)
        .ok()
        .map(|v| v.as_str_name());
    enum_name(wire, "CASE_STATE_", raw)
}

/// A tenant.
#[derive(Debug, Clone, Serialize)]
pub struct TenantView {
    pub tenant_id: String,
    pub name: String,
    pub created_at: Option<String>,
}

impl From<&proto::Tenant> for TenantView {
    fn from(tenant: &proto::Tenant) -> Self {
        Self {
            tenant_id: tenant.tenant_id.clone(),
            name: tenant.name.clone(),
            created_at: rfc3339(tenant.created_at.as_ref()),
        }
    }
}

/// A subject (identity with one role).
#[derive(Debug, Clone, Serialize)]
pub struct SubjectView {
    pub subject_id: String,
    /// `null` for provider-level subjects.
    pub tenant_id: Option<String>,
    pub role: Option<String>,
    pub name: String,
    pub created_at: Option<String>,
}

impl From<&proto::Subject> for SubjectView {
    fn from(subject: &proto::Subject) -> Self {
        Self {
            subject_id: subject.subject_id.clone(),
            tenant_id: present(&subject.tenant_id),
            role: role_name(subject.role),
            name: subject.name.clone(),
            created_at: rfc3339(subject.created_at.as_ref()),
        }
    }
}

/// A freshly issued credential, token included (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct CredentialView {
    pub credential_id: String,
    pub token: String,
    pub expires_at: Option<String>,
}

impl From<&proto::IssuedCredential> for CredentialView {
    fn from(credential: &proto::IssuedCredential) -> Self {
        Self {
            credential_id: credential.credential_id.clone(),
            token: credential.token.clone(),
            expires_at: rfc3339(credential.expires_at.as_ref()),
        }
    }
}

/// A subject just created, with its first credential.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedSubjectView {
    pub subject: Option<SubjectView>,
    pub credential: Option<CredentialView>,
}

/// The caller, as the gateway sees them.
#[derive(Debug, Clone, Serialize)]
pub struct WhoAmIView {
    pub subject: Option<SubjectView>,
    /// `null` when the caller authenticated with a client certificate.
    pub credential_id: Option<String>,
    pub expires_at: Option<String>,
}

impl From<&proto::WhoAmIResponse> for WhoAmIView {
    fn from(response: &proto::WhoAmIResponse) -> Self {
        Self {
            subject: response.subject.as_ref().map(SubjectView::from),
            credential_id: present(&response.credential_id),
            expires_at: rfc3339(response.expires_at.as_ref()),
        }
    }
}

/// A case's metadata.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub case_id: String,
    pub tenant_id: String,
    pub state: Option<String>,
    pub contact_id: Option<String>,
    pub opened_by: Option<String>,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub assigned_engineer_ids: Vec<String>,
    pub purged_at: Option<String>,
}

impl From<&proto::Case> for CaseView {
    fn from(case: &proto::Case) -> Self {
        Self {
            case_id: case.case_id.clone(),
            tenant_id: case.tenant_id.clone(),
            state: case_state_name(case.state),
            contact_id: present(&case.contact_id),
            opened_by: present(&case.opened_by),
            opened_at: rfc3339(case.opened_at.as_ref()),
            closed_at: rfc3339(case.closed_at.as_ref()),
            assigned_engineer_ids: case.assigned_engineer_ids.clone(),
            purged_at: rfc3339(case.purged_at.as_ref()),
        }
    }
}

/// A contact as released for one purpose.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    pub contact_id: String,
    pub tenant_id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub communications_opt_out: bool,
    pub updated_at: Option<String>,
}

impl From<&proto::Contact> for ContactView {
    fn from(contact: &proto::Contact) -> Self {
        Self {
            contact_id: contact.contact_id.clone(),
            tenant_id: contact.tenant_id.clone(),
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: present(&contact.phone),
            company: present(&contact.company),
            job_title: present(&contact.job_title),
            communications_opt_out: contact.communications_opt_out,
            updated_at: rfc3339(contact.updated_at.as_ref()),
        }
    }
}

/// A case with its summary and contact, as released for one purpose.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetailView {
    pub case: Option<CaseView>,
    pub summary: String,
    pub contact: Option<ContactView>,
}

impl From<&proto::CaseView> for CaseDetailView {
    fn from(view: &proto::CaseView) -> Self {
        Self {
            case: view.case.as_ref().map(CaseView::from),
            summary: view.summary.clone(),
            contact: view.contact.as_ref().map(ContactView::from),
        }
    }
}

/// One access-log entry. `sequence` stays a number: it is a position, not an id.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub sequence: u64,
    pub time: Option<String>,
    pub subject_id: Option<String>,
    pub role: Option<String>,
    pub tenant_id: Option<String>,
    pub action: String,
    pub data_class: Option<String>,
    pub resource_id: Option<String>,
    pub case_id: Option<String>,
    pub purpose: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    /// Lowercase hex.
    pub prev_hash: Option<String>,
    /// Lowercase hex.
    pub entry_hash: Option<String>,
}

impl From<&proto::AccessLogEntry> for EntryView {
    fn from(entry: &proto::AccessLogEntry) -> Self {
        Self {
            sequence: entry.sequence,
            time: rfc3339(entry.time.as_ref()),
            subject_id: present(&entry.subject_id),
            role: role_name(entry.role),
            tenant_id: present(&entry.tenant_id),
            action: entry.action.clone(),
            data_class: data_class_name(entry.data_class),
            resource_id: present(&entry.resource_id),
            case_id: present(&entry.case_id),
            purpose: purpose_name(entry.purpose),
            decision: decision_name(entry.decision),
            reason: present(&entry.reason),
            request_id: present(&entry.request_id),
            prev_hash: hex(&entry.prev_hash),
            entry_hash: hex(&entry.entry_hash),
        }
    }
}

/// The name of a `NotificationKind` wire value (`request_received`, …).
pub fn notification_kind_name(raw: i32) -> Option<String> {
    let wire = proto::NotificationKind::try_from(raw)
        .ok()
        .map(|v| v.as_str_name());
    enum_name(wire, "NOTIFICATION_KIND_", raw)
}

/// The name of a `ContactDeletionState` wire value (`deleted`,
/// `blocked_by_legal_hold`, `pending`).
pub fn deletion_state_name(raw: i32) -> Option<String> {
    let wire = proto::ContactDeletionState::try_from(raw)
        .ok()
        .map(|v| v.as_str_name());
    enum_name(wire, "CONTACT_DELETION_STATE_", raw)
}

/// A tenant's designated legal contact, where law-enforcement requests are sent.
#[derive(Debug, Clone, Serialize)]
pub struct LegalContactView {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postal_address: Option<String>,
    pub organisation: Option<String>,
}

impl From<&proto::LegalContact> for LegalContactView {
    fn from(contact: &proto::LegalContact) -> Self {
        Self {
            name: contact.name.clone(),
            email: present(&contact.email),
            phone: present(&contact.phone),
            postal_address: present(&contact.postal_address),
            organisation: present(&contact.organisation),
        }
    }
}

impl LegalContactView {
    /// The key-value lines of the contact, labelled "legal contact …" so they read
    /// well inside a larger listing (a redirect, a tenant's settings).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        use super::output::cell;
        vec![
            ("legal contact", self.name.clone()),
            ("legal contact email", cell(self.email.as_ref())),
            ("legal contact phone", cell(self.phone.as_ref())),
            ("legal contact address", cell(self.postal_address.as_ref())),
            (
                "legal contact organisation",
                cell(self.organisation.as_ref()),
            ),
        ]
    }
}

/// A tenant's settings: legal contact and retention.
#[derive(Debug, Clone, Serialize)]
pub struct TenantSettingsView {
    pub tenant_id: String,
    /// `null` until an admin sets one.
    pub legal_contact: Option<LegalContactView>,
    /// 0 = the server's default retention period.
    pub customer_data_retention_seconds: u64,
    pub updated_at: Option<String>,
}

impl From<&proto::TenantSettings> for TenantSettingsView {
    fn from(settings: &proto::TenantSettings) -> Self {
        Self {
            tenant_id: settings.tenant_id.clone(),
            legal_contact: settings.legal_contact.as_ref().map(LegalContactView::from),
            customer_data_retention_seconds: settings.customer_data_retention_seconds,
            updated_at: rfc3339(settings.updated_at.as_ref()),
        }
    }
}

/// A legal notification for a tenant's customers.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    pub notification_id: String,
    pub tenant_id: String,
    pub kind: Option<String>,
    pub request_id: Option<String>,
    pub request_reference: Option<String>,
    pub agency: Option<String>,
    pub message: String,
    pub created_at: Option<String>,
    /// `null` until acknowledged.
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
}

impl From<&proto::Notification> for NotificationView {
    fn from(notification: &proto::Notification) -> Self {
        Self {
            notification_id: notification.notification_id.clone(),
            tenant_id: notification.tenant_id.clone(),
            kind: notification_kind_name(notification.kind),
            request_id: present(&notification.request_id),
            request_reference: present(&notification.request_reference),
            agency: present(&notification.agency),
            message: notification.message.clone(),
            created_at: rfc3339(notification.created_at.as_ref()),
            acknowledged_at: rfc3339(notification.acknowledged_at.as_ref()),
            acknowledged_by: present(&notification.acknowledged_by),
        }
    }
}

/// A legal hold on a case or a whole tenant.
#[derive(Debug, Clone, Serialize)]
pub struct LegalHoldView {
    pub hold_id: String,
    pub tenant_id: String,
    /// `null` for a hold on the whole tenant.
    pub case_id: Option<String>,
    pub reason: String,
    pub request_id: Option<String>,
    pub set_by: Option<String>,
    pub set_at: Option<String>,
    /// `null` while the hold is active.
    pub cleared_by: Option<String>,
    pub cleared_at: Option<String>,
    pub clear_reason: Option<String>,
}

impl From<&proto::LegalHold> for LegalHoldView {
    fn from(hold: &proto::LegalHold) -> Self {
        Self {
            hold_id: hold.hold_id.clone(),
            tenant_id: hold.tenant_id.clone(),
            case_id: present(&hold.case_id),
            reason: hold.reason.clone(),
            request_id: present(&hold.request_id),
            set_by: present(&hold.set_by),
            set_at: rfc3339(hold.set_at.as_ref()),
            cleared_by: present(&hold.cleared_by),
            cleared_at: rfc3339(hold.cleared_at.as_ref()),
            clear_reason: present(&hold.clear_reason),
        }
    }
}

/// One case a retention run purged, would purge, or kept under a hold.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionCaseView {
    pub case_id: String,
    pub tenant_id: String,
    pub closed_at: Option<String>,
    pub objects: u64,
    /// The active hold that kept the case; `null` when it was (or would be) purged.
    pub held_by: Option<String>,
}

impl From<&proto::RetentionCase> for RetentionCaseView {
    fn from(case: &proto::RetentionCase) -> Self {
        Self {
            case_id: case.case_id.clone(),
            tenant_id: case.tenant_id.clone(),
            closed_at: rfc3339(case.closed_at.as_ref()),
            objects: case.objects,
            held_by: present(&case.held_by),
        }
    }
}

/// The outcome of a retention run (or, with `dry_run`, what it would do).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionRunView {
    pub dry_run: bool,
    pub cases_purged: u64,
    pub objects_purged: u64,
    pub cases_held: u64,
    pub contacts_deleted: u64,
    pub cases: Vec<RetentionCaseView>,
}

impl RetentionRunView {
    /// The view of `response`; `dry_run` says whether its counts are what would go.
    pub fn new(response: &proto::RunRetentionResponse, dry_run: bool) -> Self {
        Self {
            dry_run,
            cases_purged: response.cases_purged,
            objects_purged: response.objects_purged,
            cases_held: response.cases_held,
            contacts_deleted: response.contacts_deleted,
            cases: response.cases.iter().map(RetentionCaseView::from).collect(),
        }
    }
}

/// The state of a contact deletion request.
#[derive(Debug, Clone, Serialize)]
pub struct ContactDeletionView {
    pub deletion_request_id: String,
    pub contact_id: String,
    pub state: Option<String>,
    pub requested_at: Option<String>,
    /// `null` until the state is `deleted`.
    pub deleted_at: Option<String>,
}

impl From<&proto::RequestContactDeletionResponse> for ContactDeletionView {
    fn from(response: &proto::RequestContactDeletionResponse) -> Self {
        Self {
            deletion_request_id: response.deletion_request_id.clone(),
            contact_id: response.contact_id.clone(),
            state: deletion_state_name(response.state),
            requested_at: rfc3339(response.requested_at.as_ref()),
            deleted_at: rfc3339(response.deleted_at.as_ref()),
        }
    }
}
