//! Content reads with grants minted by the real policy, whose decisions land in the main
//! store's access log before anything is released.

use supportgate_audit::Decision;
use supportgate_policy::{AuthorizeError, Denial, Grant, Principal, Reason};
use supportgate_store::ContactRecord;
use supportgate_testkit::backend_tests;
use supportgate_types::{CaseId, DataClass, PurposeCode, Role, TenantId};

use crate::support::{assert_not_found, principal, provider, Stores};

/// A tenant with a customer, an assigned engineer and one case holding `summary`.
struct Scene {
    tenant: TenantId,
    engineer: Principal,
    case: CaseId,
    contact: ContactRecord,
}

async fn scene(s: &Stores, name: &str, summary: &[u8]) -> Scene {
    let tenant = s.tenant(name).await.id;
    let carol = s.subject(Some(tenant), Role::Customer, "carol").await;
    let erin = s.subject(Some(tenant), Role::SupportEngineer, "erin").await;
    let (contact, _) = s.contact(tenant, &format!("carol-{name}")).await;
    let case = s.case(tenant, carol.id, summary).await;
    s.main
        .case_assign(tenant, case.id, erin.id, s.now())
        .await
        .unwrap();
    Scene {
        tenant,
        engineer: principal(&erin),
        case: case.id,
        contact,
    }
}

fn denial<T: std::fmt::Debug>(result: Result<T, AuthorizeError>) -> Denial {
    match result {
        Err(AuthorizeError::Denied(denial)) => denial,
        other => panic!("expected a logged denial, got {other:?}"),
    }
}

backend_tests! {
    async fn an_assigned_engineer_reads_the_sealed_summary_after_the_grant_is_logged(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", b"\x00sealed VPN summary\xff").await;
        let grant = s.summary_grant(&acme.engineer, acme.tenant, Some(acme.case), true).await.unwrap();
        assert_eq!(s.main.case_summary_get(&grant).await.unwrap(), b"\x00sealed VPN summary\xff");

        let scope = grant.scope();
        let logged = s.log_entry(scope.audit_sequence()).await;
        assert_eq!(logged.decision, Decision::Allowed);
        assert_eq!(logged.reason, Reason::AssignedEngineer.as_str());
        assert_eq!(logged.subject, Some(acme.engineer.subject));
        assert_eq!(logged.role, Some(Role::SupportEngineer));
        assert_eq!(logged.tenant, Some(acme.tenant));
        assert_eq!(logged.case_id, Some(acme.case));
        assert_eq!(logged.purpose, Some(PurposeCode::ProvideSupport));
        assert_eq!(logged.data_class, DataClass::Customer);
        assert_eq!(logged.action, "case.summary.get");
        assert_eq!(logged.request_id, scope.request_id());
    }

    async fn an_unassigned_engineer_is_denied_and_the_denial_is_logged(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", b"summary").await;
        let denied = denial(s.summary_grant(&acme.engineer, acme.tenant, Some(acme.case), false).await);
        assert_eq!(denied.reason, Reason::NotAssigned);

        let logged = s.log_entry(denied.audit_sequence).await;
        assert_eq!(logged.decision, Decision::Denied);
        assert_eq!(logged.reason, "NOT_ASSIGNED");
        assert_eq!((logged.subject, logged.case_id), (Some(acme.engineer.subject), Some(acme.case)));
    }

    async fn a_grant_in_one_tenant_cannot_read_another_tenants_case_summary(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", b"acme secret").await;
        let globex = scene(&s, "globex", b"globex summary").await;
        // A globex engineer whose grant names acme's case id in globex's tenant.
        let grant = s.summary_grant(&globex.engineer, globex.tenant, Some(acme.case), true).await.unwrap();
        assert_not_found(s.main.case_summary_get(&grant).await);
        // The same engineer cannot get a grant for acme's tenant at all, and that is logged too.
        let denied = denial(s.summary_grant(&globex.engineer, acme.tenant, Some(acme.case), true).await);
        assert_eq!(denied.reason, Reason::NotFound);
        assert_eq!(s.log_entry(denied.audit_sequence).await.decision, Decision::Denied);
    }

    async fn a_tenant_wide_grant_names_no_case_and_reads_no_summary(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", b"summary").await;
        let tenant_wide = s.summary_grant(&acme.engineer, acme.tenant, None, true).await.unwrap();
        assert_not_found(s.main.case_summary_get(&tenant_wide).await);
    }

    async fn contact_get_reads_a_contact_only_with_a_grant_in_its_tenant(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", b"a").await;
        let globex = scene(&s, "globex", b"g").await;

        let grant = s.contact_grant(&acme.engineer, acme.tenant, Some(acme.case), true).await.unwrap();
        assert_eq!(s.contacts.contact_get(&grant, acme.contact.id).await.unwrap(), acme.contact);
        let logged = s.log_entry(grant.scope().audit_sequence()).await;
        assert_eq!((logged.decision, logged.data_class), (Decision::Allowed, DataClass::Contact));

        let other = s.contact_grant(&globex.engineer, globex.tenant, Some(globex.case), true).await.unwrap();
        assert_not_found(s.contacts.contact_get(&other, acme.contact.id).await);
        assert_eq!(s.contacts.contact_get(&other, globex.contact.id).await.unwrap(), globex.contact);

        let denied = denial(s.contact_grant(&acme.engineer, acme.tenant, Some(acme.case), false).await);
        let logged = s.log_entry(denied.audit_sequence).await;
        assert_eq!((logged.decision, logged.data_class), (Decision::Denied, DataClass::Contact));
    }

    async fn metadata_decisions_are_logged_allowed_or_denied(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", b"a").await;
        let globex = s.tenant("globex").await;
        let policy = &s.policy;
        let request = supportgate_types::RequestId::new();

        let own = policy.authorize_metadata(&s.main, &acme.engineer, "case.list", None, request).await;
        assert!(own.is_ok());
        let log = s.log().await;
        let allowed = log.iter().rev().find(|e| e.entry.request_id == request).unwrap();
        assert_eq!(allowed.entry.decision, Decision::Allowed);
        assert_eq!((allowed.entry.data_class, allowed.entry.tenant), (DataClass::Metadata, Some(acme.tenant)));

        let other = policy.authorize_metadata(&s.main, &acme.engineer, "case.list", Some(globex.id), request).await;
        let denied = denial(other);
        assert_eq!(denied.reason, Reason::OtherTenant);
        assert_eq!(s.log_entry(denied.audit_sequence).await.reason, "OTHER_TENANT");

        let sales = provider(Role::SalesMarketing);
        let refused = denial(policy.authorize_metadata(&s.main, &sales, "case.list", None, request).await);
        assert_eq!(s.log_entry(refused.audit_sequence).await.reason, "ROLE_DENIED");
    }

    async fn no_grant_is_minted_when_the_access_log_cannot_record_the_decision(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", b"summary").await;
        let before = s.log().await;
        s.main.close().await;
        match s.summary_grant(&acme.engineer, acme.tenant, Some(acme.case), true).await {
            Err(AuthorizeError::Audit(_)) => {}
            other => panic!("expected the policy to fail closed, got {other:?}"),
        }
        let reopened = supportgate_store::MainStore::open(&s.dbs.config).await.unwrap();
        let reviewer = s.policy.authorize_metadata(
            &reopened, &provider(Role::ComplianceReviewer), "log.list", None, supportgate_types::RequestId::new(),
        ).await.unwrap();
        let after = reopened
            .log_list(&reviewer, &Default::default(), &crate::support::page(1000, None))
            .await
            .unwrap();
        assert_eq!(after.len(), before.len() + 1, "only the reviewer's own read was added");
        assert_eq!(&after[..before.len()], &before[..]);
    }
}
