//! What the legal, retention and data-subject tables hold, as plain values.

use chrono::{DateTime, Utc};
use supportgate_types::{
    CaseId, CompulsionId, ContactId, DeletionId, HoldId, LegalRequestId, NotificationId, OutboxId,
    SubjectId, TenantId,
};

use crate::session_records::stored_enum;

stored_enum!(
    /// Where a law-enforcement request is in its handling.
    LegalRequestState {
        /// Redirected to the customer; nothing released.
        Redirected = "redirected",
        /// A compulsion waits for a second counsel.
        PendingApproval = "pending_approval",
        /// The compulsion is approved.
        Approved = "approved",
        /// Production has run.
        Produced = "produced",
    }
);

stored_enum!(
    /// What a notification tells a tenant's customers.
    NotificationKind {
        /// A request about the tenant was received and redirected.
        RequestReceived = "request_received",
        /// Production under a compulsion is planned.
        ProductionPlanned = "production_planned",
        /// Production took place.
        ProductionCompleted = "production_completed",
    }
);

stored_enum!(
    /// Progress of a contact deletion request.
    DeletionState {
        /// Waiting for a legal hold to be cleared.
        BlockedByLegalHold = "blocked_by_legal_hold",
        /// The contact is gone.
        Deleted = "deleted",
    }
);

/// The tenant's designated contact for legal matters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegalContactRecord {
    /// Person or function.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Phone number.
    pub phone: String,
    /// Postal address for service of legal process.
    pub postal_address: String,
    /// The organisation's legal name.
    pub organisation: String,
}

/// A tenant's settings as stored; absent rows read as the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantSettingsRecord {
    /// Whose settings.
    pub tenant: Option<TenantId>,
    /// Where law-enforcement requests are redirected.
    pub legal_contact: Option<LegalContactRecord>,
    /// Customer data is kept this long after a case closes; 0 = the server default.
    pub retention_seconds: u64,
    /// When they last changed; `None` when never set.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A recorded compulsion: the order, its scope (as JSON the service owns) and its
/// approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompulsionRecord {
    /// Its id.
    pub id: CompulsionId,
    /// The order's reference.
    pub order_reference: String,
    /// Who issued the order.
    pub issuing_authority: String,
    /// The basis cited.
    pub legal_basis: String,
    /// When the order was made.
    pub order_date: Option<DateTime<Utc>>,
    /// The scope, as the service serialised it.
    pub scope_json: String,
    /// The age recipient produced items are encrypted to.
    pub recipient_key: String,
    /// The counsel who recorded it.
    pub recorded_by: SubjectId,
    /// When.
    pub recorded_at: DateTime<Utc>,
    /// The second counsel who approved it.
    pub approved_by: Option<SubjectId>,
    /// When.
    pub approved_at: Option<DateTime<Utc>>,
}

/// A non-disclosure obligation attached to an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonDisclosureRecord {
    /// The order that imposes it.
    pub order_reference: String,
    /// When it lapses; `None` = until lifted.
    pub expires_at: Option<DateTime<Utc>>,
    /// Who recorded it.
    pub recorded_by: SubjectId,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

impl NonDisclosureRecord {
    /// Whether the obligation still binds at `now`.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|expires| now < expires)
    }
}

/// The advance notice of production given to the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRecord {
    /// The notification that carried it.
    pub notification: NotificationId,
    /// When it was given.
    pub noticed_at: DateTime<Utc>,
    /// Production may not start before this.
    pub production_not_before: DateTime<Utc>,
    /// The counsel who recorded it.
    pub recorded_by: SubjectId,
}

/// A law-enforcement request and its handling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalRequestRecord {
    /// Its id.
    pub id: LegalRequestId,
    /// The reference quoted to the agency and the customer.
    pub reference: String,
    /// The tenant it concerns; `None` when it could not be identified.
    pub tenant: Option<TenantId>,
    /// The agency, as it identified itself.
    pub agency: String,
    /// The agency's own reference.
    pub agency_reference: String,
    /// What was asked for, as submitted.
    pub description: String,
    /// The basis the agency cited.
    pub legal_basis: String,
    /// Who submitted it.
    pub submitted_by: SubjectId,
    /// When.
    pub submitted_at: DateTime<Utc>,
    /// Where it is.
    pub state: LegalRequestState,
    /// The compulsion, once recorded.
    pub compulsion: Option<CompulsionRecord>,
    /// The non-disclosure obligation, once recorded.
    pub non_disclosure: Option<NonDisclosureRecord>,
    /// The advance notice, once given.
    pub notice: Option<NoticeRecord>,
    /// When production last ran.
    pub produced_at: Option<DateTime<Utc>>,
}

impl LegalRequestRecord {
    /// Whether a non-disclosure obligation binds this request at `now`.
    pub fn non_disclosed_at(&self, now: DateTime<Utc>) -> bool {
        self.non_disclosure
            .as_ref()
            .is_some_and(|nd| nd.in_force(now))
    }
}

/// A legal notice for a tenant's customers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRecord {
    /// Its id.
    pub id: NotificationId,
    /// Whose customers it is for.
    pub tenant: TenantId,
    /// What it says happened.
    pub kind: NotificationKind,
    /// The request it is about.
    pub request: LegalRequestId,
    /// That request's reference.
    pub request_reference: String,
    /// The agency that made it.
    pub agency: String,
    /// The notice text.
    pub message: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When a customer acknowledged it.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who.
    pub acknowledged_by: Option<SubjectId>,
}

/// One outbox message with its notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Its id.
    pub id: OutboxId,
    /// What to deliver.
    pub notification: NotificationRecord,
    /// When it was queued.
    pub enqueued_at: DateTime<Utc>,
}

/// A legal hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRecord {
    /// Its id.
    pub id: HoldId,
    /// The tenant.
    pub tenant: TenantId,
    /// The case; `None` = every case of the tenant.
    pub case: Option<CaseId>,
    /// Why.
    pub reason: String,
    /// The legal request that prompted it.
    pub request: Option<LegalRequestId>,
    /// Who set it.
    pub set_by: SubjectId,
    /// When.
    pub set_at: DateTime<Utc>,
    /// Who cleared it.
    pub cleared_by: Option<SubjectId>,
    /// When.
    pub cleared_at: Option<DateTime<Utc>>,
    /// Why it was cleared.
    pub clear_reason: Option<String>,
}

/// A contact deletion request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionRecord {
    /// Its id.
    pub id: DeletionId,
    /// The tenant.
    pub tenant: TenantId,
    /// The contact to delete.
    pub contact: ContactId,
    /// The case it was asked through.
    pub case: CaseId,
    /// The customer who asked.
    pub requested_by: SubjectId,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// Where it is.
    pub state: DeletionState,
    /// When the contact was deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A closed case past its retention period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueCase {
    /// The case.
    pub case: CaseId,
    /// Its tenant.
    pub tenant: TenantId,
    /// When it closed.
    pub closed_at: DateTime<Utc>,
}

/// A stored object of a case, as retention destroys it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseObject {
    /// An upload (finished or not): its file id names the data key and the file blob,
    /// its upload id the blob of the unfinished stream.
    Upload {
        /// The upload.
        upload: String,
        /// The file it becomes.
        file: String,
    },
    /// A recording.
    Recording {
        /// The recording.
        recording: String,
    },
}

impl CaseObject {
    /// The id its data key is stored under.
    pub fn object_id(&self) -> &str {
        match self {
            CaseObject::Upload { file, .. } => file,
            CaseObject::Recording { recording } => recording,
        }
    }
}
