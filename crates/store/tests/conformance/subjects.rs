//! Subjects: names unique within a tenant (and among provider-level subjects), filters, paging.

use supportgate_store::{SubjectFilter, SubjectRecord};
use supportgate_testkit::backend_tests;
use supportgate_types::{Role, SubjectId};

use crate::support::{all_pages, assert_conflict, assert_not_found, page, sorted, Stores};

fn named_like(subject: &SubjectRecord) -> SubjectRecord {
    SubjectRecord {
        id: SubjectId::new(),
        ..subject.clone()
    }
}

async fn list(s: &Stores, filter: SubjectFilter) -> Vec<SubjectId> {
    let rows = s
        .main
        .subject_list(&filter, &page(1000, None))
        .await
        .unwrap();
    rows.iter().map(|r| r.id).collect()
}

backend_tests! {
    async fn subjects_with_and_without_a_tenant_read_back_with_every_field(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol@acme.example").await;
        let admin = s.subject(None, Role::Admin, "root").await;
        assert_eq!(s.main.subject_get(carol.id).await.unwrap(), carol);
        assert_eq!(s.main.subject_get(admin.id).await.unwrap(), admin);
        assert_eq!(admin.tenant, None);
    }

    async fn an_unknown_subject_id_is_not_found(backend: Backend) {
        let s = Stores::open(backend).await;
        s.subject(None, Role::Admin, "root").await;
        assert_not_found(s.main.subject_get(SubjectId::new()).await);
    }

    async fn a_taken_subject_name_within_a_tenant_is_a_conflict(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol").await;
        let twin = SubjectRecord { role: Role::SupportEngineer, ..named_like(&carol) };
        assert_conflict(s.main.subject_create(&twin).await);
        assert_not_found(s.main.subject_get(twin.id).await);
        assert_eq!(s.main.subject_get(carol.id).await.unwrap(), carol);
    }

    async fn two_provider_level_subjects_with_the_same_name_are_a_conflict(backend: Backend) {
        let s = Stores::open(backend).await;
        let root = s.subject(None, Role::Admin, "root").await;
        let twin = SubjectRecord { role: Role::ComplianceReviewer, ..named_like(&root) };
        assert_conflict(s.main.subject_create(&twin).await);
        assert_not_found(s.main.subject_get(twin.id).await);
    }

    async fn the_same_subject_name_in_two_tenants_and_at_provider_level_is_allowed(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await;
        let globex = s.tenant("globex").await;
        let in_acme = s.subject(Some(acme.id), Role::Customer, "carol").await;
        let in_globex = s.subject(Some(globex.id), Role::Customer, "carol").await;
        let provider = s.subject(None, Role::LegalCounsel, "carol").await;
        for subject in [in_acme, in_globex, provider] {
            assert_eq!(s.main.subject_get(subject.id).await.unwrap(), subject);
        }
    }

    async fn a_subject_id_cannot_be_created_twice(backend: Backend) {
        let s = Stores::open(backend).await;
        let root = s.subject(None, Role::Admin, "root").await;
        let again = SubjectRecord { name: "other".into(), ..root.clone() };
        assert_conflict(s.main.subject_create(&again).await);
        assert_eq!(s.main.subject_get(root.id).await.unwrap(), root);
    }

    async fn subject_list_applies_every_given_filter(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await;
        let globex = s.tenant("globex").await;
        let carol = s.subject(Some(acme.id), Role::Customer, "carol").await;
        let erin = s.subject(Some(acme.id), Role::SupportEngineer, "erin").await;
        let frank = s.subject(Some(acme.id), Role::SupportEngineer, "frank").await;
        let carol_g = s.subject(Some(globex.id), Role::Customer, "carol").await;
        let erin_g = s.subject(Some(globex.id), Role::SupportEngineer, "erin").await;
        let root = s.subject(None, Role::Admin, "root").await;
        let all = [carol.id, erin.id, frank.id, carol_g.id, erin_g.id, root.id];

        assert_eq!(list(&s, SubjectFilter::default()).await, sorted(&all));
        assert_eq!(
            list(&s, SubjectFilter { tenant: Some(acme.id), ..Default::default() }).await,
            sorted(&[carol.id, erin.id, frank.id])
        );
        assert_eq!(
            list(&s, SubjectFilter { role: Some(Role::SupportEngineer), ..Default::default() }).await,
            sorted(&[erin.id, frank.id, erin_g.id])
        );
        assert_eq!(
            list(&s, SubjectFilter { name: Some("carol".into()), ..Default::default() }).await,
            sorted(&[carol.id, carol_g.id])
        );
        let engineers_in_globex =
            SubjectFilter { tenant: Some(globex.id), role: Some(Role::SupportEngineer), name: None };
        assert_eq!(list(&s, engineers_in_globex).await, [erin_g.id]);
        let erin_in_acme =
            SubjectFilter { tenant: Some(acme.id), role: Some(Role::SupportEngineer), name: Some("erin".into()) };
        assert_eq!(list(&s, erin_in_acme).await, [erin.id]);
        let nobody = SubjectFilter { tenant: Some(globex.id), role: Some(Role::Customer), name: Some("erin".into()) };
        assert_eq!(list(&s, nobody).await, Vec::<SubjectId>::new());
        let prefix = SubjectFilter { name: Some("car".into()), ..Default::default() };
        assert_eq!(list(&s, prefix).await, Vec::<SubjectId>::new(), "the name filter is exact");
    }

    async fn subject_pages_visit_every_matching_subject_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await;
        let globex = s.tenant("globex").await;
        let mut in_acme = Vec::new();
        for i in 0..5 {
            in_acme.push(s.subject(Some(acme.id), Role::Customer, &format!("c{i}")).await.id);
            s.subject(Some(globex.id), Role::Customer, &format!("c{i}")).await;
        }
        let main = &s.main;
        let filter = &SubjectFilter { tenant: Some(acme.id), ..Default::default() };
        let pages = all_pages(
            2,
            |page| async move { main.subject_list(filter, &page).await.unwrap() },
            |r: &SubjectRecord| r.id.to_string(),
        )
        .await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
        let listed: Vec<SubjectId> = pages.concat().iter().map(|r| r.id).collect();
        assert_eq!(listed, sorted(&in_acme));
    }
}
