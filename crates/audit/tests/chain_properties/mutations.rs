//! Single, targeted changes: one field of an entry, one bit of a hash or signature.

use chrono::Duration;
use proptest::prelude::*;
use proptest::sample::select;
use supportgate_audit::{Decision, StoredFields};
use supportgate_types::{CaseId, DataClass, PurposeCode, RequestId, Role, SubjectId, TenantId};
use uuid::Uuid;

/// One field of [`StoredFields`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Time,
    Subject,
    Role,
    Tenant,
    Action,
    DataClass,
    ResourceId,
    CaseId,
    Purpose,
    Decision,
    Reason,
    RequestId,
}

pub fn field() -> impl Strategy<Value = Field> {
    use Field::*;
    select(vec![
        Time, Subject, Role, Tenant, Action, DataClass, ResourceId, CaseId, Purpose, Decision,
        Reason, RequestId,
    ])
}

/// Sets `field` of `target` to `donor`'s value; where they were already equal, nudges it
/// instead, so `target` always ends up different in exactly that field.
pub fn mutate(target: &mut StoredFields, field: Field, donor: &StoredFields) {
    let before = target.clone();
    let t = &mut *target;
    match field {
        Field::Time => t.time = donor.time,
        Field::Subject => t.subject = donor.subject,
        Field::Role => t.role = donor.role,
        Field::Tenant => t.tenant = donor.tenant,
        Field::Action => t.action = donor.action.clone(),
        Field::DataClass => t.data_class = donor.data_class,
        Field::ResourceId => t.resource_id = donor.resource_id.clone(),
        Field::CaseId => t.case_id = donor.case_id,
        Field::Purpose => t.purpose = donor.purpose,
        Field::Decision => t.decision = donor.decision,
        Field::Reason => t.reason = donor.reason.clone(),
        Field::RequestId => t.request_id = donor.request_id,
    }
    if *target == before {
        nudge(target, field);
    }
}

fn nudge(t: &mut StoredFields, field: Field) {
    fn toggle<T>(value: Option<T>, some: T) -> Option<T> {
        match value {
            Some(_) => None,
            None => Some(some),
        }
    }
    let nil = Uuid::nil();
    match field {
        Field::Time => t.time += Duration::microseconds(1),
        Field::Subject => t.subject = toggle(t.subject, SubjectId::from(nil)),
        Field::Role => t.role = toggle(t.role, Role::Admin),
        Field::Tenant => t.tenant = toggle(t.tenant, TenantId::from(nil)),
        Field::Action => t.action.push('é'),
        Field::DataClass => {
            t.data_class = match t.data_class {
                DataClass::Contact => DataClass::Customer,
                DataClass::Customer => DataClass::Metadata,
                DataClass::Metadata => DataClass::Contact,
            }
        }
        Field::ResourceId => t.resource_id = toggle(t.resource_id.take(), String::new()),
        Field::CaseId => t.case_id = toggle(t.case_id, CaseId::from(nil)),
        Field::Purpose => t.purpose = toggle(t.purpose, PurposeCode::ProvideSupport),
        Field::Decision => {
            t.decision = match t.decision {
                Decision::Allowed => Decision::Denied,
                Decision::Denied => Decision::Redirected,
                Decision::Redirected => Decision::Allowed,
            }
        }
        Field::Reason => t.reason.push('\0'),
        Field::RequestId => {
            t.request_id = RequestId::from(Uuid::from_u128(t.request_id.as_uuid().as_u128() ^ 1))
        }
    }
}

/// Flips bit `bit` (counted from the first byte's high bit) of `bytes`.
pub fn flip_bit(bytes: &mut [u8], bit: usize) {
    bytes[bit / 8] ^= 0x80 >> (bit % 8);
}
