use chrono::{TimeZone, Utc};
use supportgate_types::{CaseId, DataClass, PurposeCode, RequestId, Role, SubjectId, TenantId};

use super::*;
use crate::Decision;

fn fields() -> StoredFields {
    StoredFields {
        time: Utc.timestamp_micros(1_767_225_600_123_456).unwrap(),
        subject: Some(SubjectId::new()),
        role: Some(Role::SupportEngineer),
        tenant: Some(TenantId::new()),
        action: "case.get".into(),
        data_class: DataClass::Customer,
        resource_id: Some("r".into()),
        case_id: Some(CaseId::new()),
        purpose: Some(PurposeCode::ProvideSupport),
        decision: Decision::Allowed,
        reason: "ASSIGNED_ENGINEER".into(),
        request_id: RequestId::new(),
    }
}

#[test]
fn the_encoding_starts_with_its_format_and_sequence() {
    let bytes = encode_entry(7, &fields());
    assert_eq!(bytes[0], ENTRY_FORMAT);
    assert_eq!(&bytes[1..9], &7u64.to_be_bytes());
}

#[test]
fn every_field_changes_the_bytes() {
    let base = fields();
    let encoded = encode_entry(1, &base);
    let variants: Vec<StoredFields> = vec![
        StoredFields {
            time: base.time + chrono::Duration::microseconds(1),
            ..base.clone()
        },
        StoredFields {
            subject: None,
            ..base.clone()
        },
        StoredFields {
            role: Some(Role::Customer),
            ..base.clone()
        },
        StoredFields {
            tenant: None,
            ..base.clone()
        },
        StoredFields {
            action: "case.gets".into(),
            ..base.clone()
        },
        StoredFields {
            data_class: DataClass::Contact,
            ..base.clone()
        },
        StoredFields {
            resource_id: None,
            ..base.clone()
        },
        StoredFields {
            case_id: None,
            ..base.clone()
        },
        StoredFields {
            purpose: None,
            ..base.clone()
        },
        StoredFields {
            decision: Decision::Denied,
            ..base.clone()
        },
        StoredFields {
            reason: "X".into(),
            ..base.clone()
        },
        StoredFields {
            request_id: RequestId::new(),
            ..base.clone()
        },
    ];
    for variant in variants {
        assert_ne!(encode_entry(1, &variant), encoded, "{variant:?}");
    }
    assert_ne!(encode_entry(2, &base), encoded);
}

#[test]
fn moving_bytes_between_adjacent_strings_changes_the_encoding() {
    let a = StoredFields {
        action: "ab".into(),
        data_class: DataClass::Contact,
        ..fields()
    };
    let b = StoredFields {
        resource_id: Some(String::new()),
        ..a.clone()
    };
    assert_ne!(encode_entry(1, &a), encode_entry(1, &b));
    let c = StoredFields {
        action: "a".into(),
        reason: "bX".into(),
        ..fields()
    };
    let d = StoredFields {
        action: "ab".into(),
        reason: "X".into(),
        ..fields()
    };
    assert_ne!(encode_entry(1, &c), encode_entry(1, &d));
}
