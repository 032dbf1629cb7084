use std::sync::Mutex;

use supportgate_audit::Receipt;
use supportgate_types::{PurposeCode, SubjectId, SystemClock};

use super::*;
use crate::Grant;

/// An in-memory log that can be told to fail, to prove the write-ahead rule.
#[derive(Default)]
struct MemorySink {
    entries: Mutex<Vec<NewEntry>>,
    broken: bool,
}

#[async_trait::async_trait]
impl AuditSink for MemorySink {
    async fn append(&self, entry: NewEntry) -> Result<Receipt, AuditError> {
        if self.broken {
            return Err(AuditError {
                source: "disk full".into(),
            });
        }
        let mut entries = self.entries.lock().unwrap();
        entries.push(entry);
        Ok(Receipt {
            sequence: entries.len() as u64,
        })
    }
}

fn engineer(tenant: TenantId) -> Principal {
    Principal {
        subject: SubjectId::new(),
        role: Role::SupportEngineer,
        tenant: Some(tenant),
        credential: None,
    }
}

fn request(principal: &Principal, purpose: PurposeCode, assigned: bool) -> AccessRequest<'_> {
    AccessRequest {
        principal,
        action: "case.get",
        purpose: RequestedPurpose::Named(purpose),
        resource: Some(ResourceFacts {
            tenant: principal.tenant.unwrap(),
            case: Some(CaseId::new()),
            assigned_to_caller: assigned,
            contact_opted_out: false,
        }),
        resource_id: None,
        request_id: RequestId::new(),
    }
}

#[tokio::test]
async fn an_allowed_read_is_logged_before_the_token_exists() {
    let sink = MemorySink::default();
    let policy = Policy::new(Arc::new(SystemClock));
    let p = engineer(TenantId::new());
    let token = policy
        .authorize_customer_data(&sink, request(&p, PurposeCode::ProvideSupport, true))
        .await
        .unwrap();
    let entries = sink.entries.lock().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].decision, Decision::Allowed);
    assert_eq!(entries[0].reason, "ASSIGNED_ENGINEER");
    assert_eq!(token.scope().audit_sequence(), 1);
    assert!(matches!(token, CustomerDataAccess::ProvideSupport(_)));
}

#[tokio::test]
async fn a_denial_is_logged_with_its_reason() {
    let sink = MemorySink::default();
    let policy = Policy::new(Arc::new(SystemClock));
    let p = engineer(TenantId::new());
    let err = policy
        .authorize_customer_data(&sink, request(&p, PurposeCode::Marketing, true))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        AuthorizeError::Denied(Denial {
            reason: Reason::PurposeProhibited,
            audit_sequence: 1
        })
    ));
    let entries = sink.entries.lock().unwrap();
    assert_eq!(entries[0].decision, Decision::Denied);
    assert_eq!(entries[0].purpose, Some(PurposeCode::Marketing));
}

#[tokio::test]
async fn nothing_is_released_when_the_log_cannot_be_written() {
    let sink = MemorySink {
        broken: true,
        ..MemorySink::default()
    };
    let policy = Policy::new(Arc::new(SystemClock));
    let p = engineer(TenantId::new());
    let err = policy
        .authorize_contact_data(&sink, request(&p, PurposeCode::ProvideSupport, true))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthorizeError::Audit(_)));
}

#[tokio::test]
async fn tenant_bound_reviewers_cannot_ask_about_other_tenants() {
    let sink = MemorySink::default();
    let policy = Policy::new(Arc::new(SystemClock));
    let own = TenantId::new();
    let reviewer = Principal {
        subject: SubjectId::new(),
        role: Role::ComplianceReviewer,
        tenant: Some(own),
        credential: None,
    };
    let err = policy
        .authorize_metadata(
            &sink,
            &reviewer,
            "log.list",
            Some(TenantId::new()),
            RequestId::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        AuthorizeError::Denied(Denial {
            reason: Reason::OtherTenant,
            ..
        })
    ));
    let ok = policy
        .authorize_metadata(&sink, &reviewer, "log.list", None, RequestId::new())
        .await
        .unwrap();
    assert_eq!(ok.scope(), MetadataScope::Tenant(own));
}
