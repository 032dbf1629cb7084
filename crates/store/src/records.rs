//! Row types: what the stores hand back, with ids already parsed.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_types::{CaseId, ContactId, CredentialId, PurposeCode, Role, SubjectId, TenantId};

/// A tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRecord {
    /// Its id.
    pub id: TenantId,
    /// Its unique short name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A subject (person or machine identity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectRecord {
    /// Its id.
    pub id: SubjectId,
    /// Its tenant; `None` for provider-level identities.
    pub tenant: Option<TenantId>,
    /// Its role.
    pub role: Role,
    /// Its name, unique within the tenant.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// An issued credential; only a hash of the token is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRecord {
    /// Its id (carried inside the token).
    pub id: CredentialId,
    /// Whose it is.
    pub subject: SubjectId,
    /// SHA-256 of the whole token, compared in constant time.
    pub token_hash: Vec<u8>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A case's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseState {
    /// Being worked on.
    Open,
    /// Resolved; retention starts counting.
    Closed,
}

impl CaseState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Open => "open",
            CaseState::Closed => "closed",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<CaseState> {
        match s {
            "open" => Some(CaseState::Open),
            "closed" => Some(CaseState::Closed),
            _ => None,
        }
    }
}

/// A case's metadata: everything but its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseMeta {
    /// Its id.
    pub id: CaseId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Open or closed.
    pub state: CaseState,
    /// The opaque reference into the contact store.
    pub contact: ContactId,
    /// The customer who opened it.
    pub opened_by: SubjectId,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When retention purged its customer data.
    pub purged_at: Option<DateTime<Utc>>,
    /// Engineers assigned to it.
    pub engineers: Vec<SubjectId>,
}

/// A case about to be stored, its summary already sealed.
#[derive(Clone, Debug)]
pub struct NewCase {
    /// Its id (chosen before sealing, since the id is bound into the ciphertext).
    pub id: CaseId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its contact.
    pub contact: ContactId,
    /// Who opened it.
    pub opened_by: SubjectId,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// The sealed summary.
    pub summary_sealed: Vec<u8>,
}

/// A tenant key as stored: wrapped by the master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedKey {
    /// Key version, counting from 1.
    pub version: u32,
    /// The wrapped key.
    pub wrapped: Vec<u8>,
    /// Which master key wrapped it.
    pub master_key: String,
}

/// A contact's fields, each sealed on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactSealed {
    /// Sealed name.
    pub name: Vec<u8>,
    /// Sealed e-mail.
    pub email: Vec<u8>,
    /// Sealed phone.
    pub phone: Vec<u8>,
    /// Sealed company.
    pub company: Vec<u8>,
    /// Sealed job title.
    pub job_title: Vec<u8>,
}

/// A stored contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRecord {
    /// Its id.
    pub id: ContactId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its sealed fields.
    pub sealed: ContactSealed,
    /// Whether it opted out of communications.
    pub opted_out: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Keyset pagination: at most `limit` rows after the `after` cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Maximum rows (clamped to 1..=1000).
    pub limit: u32,
    /// The last key of the previous page.
    pub after: Option<String>,
}

impl Page {
    pub(crate) fn limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, 1000))
    }
}

/// Filters for listing cases.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    /// Only cases in this state.
    pub state: Option<CaseState>,
    /// Only cases this engineer is assigned to.
    pub assigned_to: Option<SubjectId>,
}

/// Filters for listing subjects.
#[derive(Clone, Debug, Default)]
pub struct SubjectFilter {
    /// Only this tenant.
    pub tenant: Option<TenantId>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only this exact name.
    pub name: Option<String>,
}

/// Filters for listing access-log entries (the tenant comes from the metadata token).
#[derive(Clone, Debug, Default)]
pub struct EntryFilter {
    /// Only this tenant (within what the token allows).
    pub tenant: Option<TenantId>,
    /// Only this case.
    pub case: Option<CaseId>,
    /// Only this subject.
    pub subject: Option<SubjectId>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this purpose.
    pub purpose: Option<PurposeCode>,
    /// Only this decision.
    pub decision: Option<Decision>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only entries about a case (what a customer may see of their tenant's log).
    pub about_cases_only: bool,
}
