use chrono::TimeZone;
use supportgate_audit::GENESIS;
use supportgate_types::{CaseId, RequestId, SubjectId, TenantId};

use super::*;

fn entry() -> Entry {
    Entry {
        sequence: 9,
        entry: StoredFields {
            time: Utc.timestamp_micros(1_767_225_600_123_456).unwrap(),
            subject: Some(SubjectId::new()),
            role: Some(Role::ComplianceReviewer),
            tenant: Some(TenantId::new()),
            action: "log.list".into(),
            data_class: DataClass::Metadata,
            resource_id: Some("x".into()),
            case_id: Some(CaseId::new()),
            purpose: Some(PurposeCode::Marketing),
            decision: Decision::Denied,
            reason: "PURPOSE_PROHIBITED".into(),
            request_id: RequestId::new(),
        },
        prev_hash: GENESIS,
        hash: [7; 32],
    }
}

#[test]
fn an_entry_round_trips_through_the_wire() {
    let e = entry();
    assert_eq!(entry_from_proto(&entry_to_proto(e.clone())).unwrap(), e);
}

#[test]
fn non_canonical_spellings_are_refused() {
    let wire = entry_to_proto(entry());
    let upper = proto::AccessLogEntry {
        tenant_id: wire.tenant_id.to_uppercase(),
        ..wire.clone()
    };
    assert_eq!(entry_from_proto(&upper).unwrap_err().what, "tenant_id");
    let simple = proto::AccessLogEntry {
        request_id: wire.request_id.replace('-', ""),
        ..wire.clone()
    };
    assert_eq!(entry_from_proto(&simple).unwrap_err().what, "request_id");
    let mut nanos = wire.clone();
    nanos.time.as_mut().unwrap().nanos += 1;
    assert_eq!(entry_from_proto(&nanos).unwrap_err().what, "time");
    let role = proto::AccessLogEntry {
        role: 99,
        ..wire.clone()
    };
    assert_eq!(entry_from_proto(&role).unwrap_err().what, "role");
    let short = proto::AccessLogEntry {
        entry_hash: vec![1; 31].into(),
        ..wire
    };
    assert_eq!(entry_from_proto(&short).unwrap_err().what, "entry_hash");
}
