//! One access-log entry.

use chrono::{DateTime, Utc};
use supportgate_types::{CaseId, DataClass, PurposeCode, RequestId, Role, SubjectId, TenantId};

/// The outcome recorded for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The access went ahead.
    Allowed,
    /// The access was refused.
    Denied,
    /// The request was answered with a redirect (law-enforcement requests).
    Redirected,
}

impl Decision {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
            Decision::Redirected => "redirected",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Decision> {
        [Decision::Allowed, Decision::Denied, Decision::Redirected]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// An entry about to be appended: everything but its place in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    /// When the decision was made (from the injected clock).
    pub time: DateTime<Utc>,
    /// Who asked; `None` for the gateway's own events (bootstrap, retention) and for
    /// requests whose credential did not authenticate (an unproven claim names no one).
    pub subject: Option<SubjectId>,
    /// The role the subject acted in.
    pub role: Option<Role>,
    /// The tenant whose data or settings were touched; `None` for provider-wide events.
    pub tenant: Option<TenantId>,
    /// A stable action name such as `case.get` or `admin.tenant.create`.
    pub action: &'static str,
    /// The class of data the action reads or changes.
    pub data_class: DataClass,
    /// The id of the object acted on, if any.
    pub resource_id: Option<String>,
    /// The case the object belongs to, so reviewers and customers can filter by case.
    pub case_id: Option<CaseId>,
    /// The purpose the caller named; `None` when none applies or none was given.
    pub purpose: Option<PurposeCode>,
    /// The outcome.
    pub decision: Decision,
    /// A stable reason code, e.g. `ASSIGNED_ENGINEER` or `PURPOSE_PROHIBITED`.
    pub reason: &'static str,
    /// The request that caused it.
    pub request_id: RequestId,
}

/// An entry as stored: its place in the log and in the hash chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, starting at 1, without gaps.
    pub sequence: u64,
    /// The entry's fields.
    pub entry: StoredFields,
    /// The previous entry's hash ([`crate::GENESIS`] for entry 1).
    pub prev_hash: crate::Hash,
    /// This entry's hash: [`crate::entry_hash`] of `prev_hash` and its encoding.
    pub hash: crate::Hash,
}

/// The stored form of an entry's fields (owned strings, as read back from storage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFields {
    /// See [`NewEntry::time`].
    pub time: DateTime<Utc>,
    /// See [`NewEntry::subject`].
    pub subject: Option<SubjectId>,
    /// See [`NewEntry::role`].
    pub role: Option<Role>,
    /// See [`NewEntry::tenant`].
    pub tenant: Option<TenantId>,
    /// See [`NewEntry::action`].
    pub action: String,
    /// See [`NewEntry::data_class`].
    pub data_class: DataClass,
    /// See [`NewEntry::resource_id`].
    pub resource_id: Option<String>,
    /// See [`NewEntry::case_id`].
    pub case_id: Option<CaseId>,
    /// See [`NewEntry::purpose`].
    pub purpose: Option<PurposeCode>,
    /// See [`NewEntry::decision`].
    pub decision: Decision,
    /// See [`NewEntry::reason`].
    pub reason: String,
    /// See [`NewEntry::request_id`].
    pub request_id: RequestId,
}

impl StoredFields {
    /// The stored form of a new entry; time is kept to the microsecond, as stored.
    pub fn from_new(entry: &NewEntry) -> StoredFields {
        let micros = entry.time.timestamp_micros();
        StoredFields {
            time: DateTime::from_timestamp_micros(micros).unwrap_or(entry.time),
            subject: entry.subject,
            role: entry.role,
            tenant: entry.tenant,
            action: entry.action.to_owned(),
            data_class: entry.data_class,
            // An empty id is no id: the wire cannot tell the two apart.
            resource_id: entry.resource_id.clone().filter(|r| !r.is_empty()),
            case_id: entry.case_id,
            purpose: entry.purpose,
            decision: entry.decision,
            reason: entry.reason.to_owned(),
            request_id: entry.request_id,
        }
    }
}
