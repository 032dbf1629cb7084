use supportgate_types::{CaseId, SubjectId, TenantId};

use super::*;

fn principal(role: Role, tenant: TenantId) -> Principal {
    Principal {
        subject: SubjectId::new(),
        role,
        tenant: Some(tenant),
        credential: None,
    }
}

fn facts(tenant: TenantId, assigned: bool, opted_out: bool) -> ResourceFacts {
    ResourceFacts {
        tenant,
        case: Some(CaseId::new()),
        assigned_to_caller: assigned,
        contact_opted_out: opted_out,
    }
}

fn named(p: PurposeCode) -> RequestedPurpose {
    RequestedPurpose::Named(p)
}

#[test]
fn the_value_chart_matches_the_type_chart() {
    use crate::markers::{Class, Permits};
    fn allowed<P: Permits<C>, C: Class>() -> (PurposeCode, DataClass) {
        (P::CODE, C::CLASS)
    }
    let typed = [
        allowed::<crate::ProvideSupport, crate::ContactData>(),
        allowed::<crate::ProvideSupport, crate::CustomerData>(),
        allowed::<crate::ImproveSupport, crate::ContactData>(),
        allowed::<crate::ImproveSupport, crate::CustomerData>(),
        allowed::<crate::Communications, crate::ContactData>(),
    ];
    for purpose in PurposeCode::ALL {
        for class in [DataClass::Contact, DataClass::Customer, DataClass::Metadata] {
            assert_eq!(
                chart_allows(purpose, class),
                typed.contains(&(purpose, class)),
                "{purpose} {class}"
            );
        }
    }
}

#[test]
fn sales_marketing_is_refused_before_the_purpose_is_looked_at() {
    let t = TenantId::new();
    let p = principal(Role::SalesMarketing, t);
    assert_eq!(
        evaluate(&p, RequestedPurpose::Missing, DataClass::Customer, None),
        Verdict::Deny(Reason::RoleDenied)
    );
}

#[test]
fn missing_unknown_and_prohibited_purposes_are_denied_in_that_order() {
    let t = TenantId::new();
    let p = principal(Role::SupportEngineer, t);
    let f = facts(t, true, false);
    assert_eq!(
        evaluate(&p, RequestedPurpose::Missing, DataClass::Customer, Some(&f)),
        Verdict::Deny(Reason::PurposeRequired)
    );
    assert_eq!(
        evaluate(
            &p,
            RequestedPurpose::Unknown(99),
            DataClass::Customer,
            Some(&f)
        ),
        Verdict::Deny(Reason::PurposeUnknown)
    );
    for purpose in PurposeCode::ALL.into_iter().filter(|p| p.is_prohibited()) {
        for class in [DataClass::Contact, DataClass::Customer] {
            assert_eq!(
                evaluate(&p, named(purpose), class, Some(&f)),
                Verdict::Deny(Reason::PurposeProhibited)
            );
        }
    }
    assert_eq!(
        evaluate(
            &p,
            named(PurposeCode::LegalCompelled),
            DataClass::Customer,
            Some(&f)
        ),
        Verdict::Deny(Reason::LegalFlowOnly)
    );
}

#[test]
fn engineers_need_an_assignment_and_their_own_tenant() {
    let t = TenantId::new();
    let p = principal(Role::SupportEngineer, t);
    let allowed = Verdict::Allow(PurposeCode::ProvideSupport, Reason::AssignedEngineer);
    assert_eq!(
        evaluate(
            &p,
            named(PurposeCode::ProvideSupport),
            DataClass::Customer,
            Some(&facts(t, true, false))
        ),
        allowed
    );
    assert_eq!(
        evaluate(
            &p,
            named(PurposeCode::ProvideSupport),
            DataClass::Customer,
            Some(&facts(t, false, false))
        ),
        Verdict::Deny(Reason::NotAssigned)
    );
    let other = facts(TenantId::new(), true, false);
    assert_eq!(
        evaluate(
            &p,
            named(PurposeCode::ProvideSupport),
            DataClass::Customer,
            Some(&other)
        ),
        Verdict::Deny(Reason::NotFound)
    );
}

#[test]
fn communications_reads_contact_data_only_and_never_opted_out_contacts() {
    let t = TenantId::new();
    let p = principal(Role::Communications, t);
    let purpose = named(PurposeCode::Communications);
    assert_eq!(
        evaluate(
            &p,
            purpose,
            DataClass::Customer,
            Some(&facts(t, false, false))
        ),
        Verdict::Deny(Reason::PurposeNotPermittedForClass)
    );
    assert_eq!(
        evaluate(
            &p,
            purpose,
            DataClass::Contact,
            Some(&facts(t, false, true))
        ),
        Verdict::Deny(Reason::ContactOptedOut)
    );
    assert_eq!(
        evaluate(
            &p,
            purpose,
            DataClass::Contact,
            Some(&facts(t, false, false))
        ),
        Verdict::Allow(PurposeCode::Communications, Reason::CommunicationsContact)
    );
    assert_eq!(
        evaluate(
            &p,
            named(PurposeCode::ProvideSupport),
            DataClass::Contact,
            Some(&facts(t, false, false))
        ),
        Verdict::Deny(Reason::PurposeNotPermittedForRole)
    );
}

#[test]
fn roles_without_content_access_are_denied_every_content_read() {
    let t = TenantId::new();
    for role in [
        Role::CustomerAgent,
        Role::ComplianceReviewer,
        Role::LegalCounsel,
        Role::LawEnforcement,
        Role::Admin,
    ] {
        let p = principal(role, t);
        for purpose in [PurposeCode::ProvideSupport, PurposeCode::ImproveSupport] {
            for class in [DataClass::Contact, DataClass::Customer] {
                assert_eq!(
                    evaluate(&p, named(purpose), class, Some(&facts(t, true, false))),
                    Verdict::Deny(Reason::PurposeNotPermittedForRole),
                    "{role}"
                );
            }
        }
    }
}

#[test]
fn an_assigned_engineer_reads_only_to_provide_support() {
    let t = TenantId::new();
    let engineer = principal(Role::SupportEngineer, t);
    for class in [DataClass::Contact, DataClass::Customer] {
        let assigned = facts(t, true, false);
        assert!(matches!(
            evaluate(
                &engineer,
                named(PurposeCode::ProvideSupport),
                class,
                Some(&assigned)
            ),
            Verdict::Allow(..)
        ));
        assert_eq!(
            evaluate(
                &engineer,
                named(PurposeCode::ImproveSupport),
                class,
                Some(&assigned)
            ),
            Verdict::Deny(Reason::PurposeNotPermittedForRole),
            "improving support is support quality's purpose"
        );
    }
}
