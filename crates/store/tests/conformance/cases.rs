//! Case metadata: tenant isolation, assignment, closing, listing with a metadata token.

use supportgate_policy::MetadataAccess;
use supportgate_store::{CaseFilter, CaseMeta, CaseState, NewCase};
use supportgate_testkit::backend_tests;
use supportgate_types::{CaseId, Role, SubjectId, TenantId};

use crate::support::{
    all_pages, assert_conflict, assert_not_found, page, principal, sorted, Stores,
};

/// A tenant with a customer and two engineers.
struct Desk {
    tenant: TenantId,
    customer: SubjectId,
    erin: SubjectId,
    frank: SubjectId,
}

async fn desk(s: &Stores, name: &str) -> Desk {
    let tenant = s.tenant(name).await.id;
    Desk {
        tenant,
        customer: s.subject(Some(tenant), Role::Customer, "carol").await.id,
        erin: s
            .subject(Some(tenant), Role::SupportEngineer, "erin")
            .await
            .id,
        frank: s
            .subject(Some(tenant), Role::SupportEngineer, "frank")
            .await
            .id,
    }
}

fn open_meta(case: &NewCase) -> CaseMeta {
    CaseMeta {
        id: case.id,
        tenant: case.tenant,
        state: CaseState::Open,
        contact: case.contact,
        opened_by: case.opened_by,
        opened_at: case.opened_at,
        closed_at: None,
        purged_at: None,
        engineers: Vec::new(),
    }
}

async fn ids(s: &Stores, access: &MetadataAccess, filter: CaseFilter) -> Vec<CaseId> {
    let cases = s
        .main
        .case_list(access, &filter, &page(1000, None))
        .await
        .unwrap();
    cases.iter().map(|c| c.id).collect()
}

backend_tests! {
    async fn a_new_case_is_open_and_its_metadata_reads_back_within_its_tenant(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let case = s.case(acme.tenant, acme.customer, b"sealed summary").await;
        assert_eq!(s.main.case_meta_get(acme.tenant, case.id).await.unwrap(), open_meta(&case));
        assert_not_found(s.main.case_meta_get(acme.tenant, CaseId::new()).await);
    }

    async fn a_case_id_cannot_be_inserted_twice(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let case = s.case(acme.tenant, acme.customer, b"first").await;
        let again = NewCase { summary_sealed: b"second".to_vec(), opened_at: s.tick(), ..case.clone() };
        assert_conflict(s.main.case_insert(&again).await);
        assert_eq!(s.main.case_meta_get(acme.tenant, case.id).await.unwrap(), open_meta(&case));
    }

    async fn another_tenants_case_cannot_be_read_assigned_or_closed(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let globex = desk(&s, "globex").await;
        let case = s.case(acme.tenant, acme.customer, b"acme's").await;

        assert_not_found(s.main.case_meta_get(globex.tenant, case.id).await);
        assert_not_found(s.main.case_assign(globex.tenant, case.id, globex.erin, s.now()).await);
        assert_not_found(s.main.case_close(globex.tenant, case.id, s.now()).await);
        assert_eq!(
            s.main.case_meta_get(acme.tenant, case.id).await.unwrap(),
            open_meta(&case),
            "the case is still open and unassigned"
        );
    }

    async fn assigning_an_engineer_twice_lists_them_once_in_assignment_order(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let case = s.case(acme.tenant, acme.customer, b"vpn drops").await;
        s.main.case_assign(acme.tenant, case.id, acme.erin, s.tick()).await.unwrap();
        s.main.case_assign(acme.tenant, case.id, acme.frank, s.tick()).await.unwrap();
        // A later re-assignment must not move erin behind frank (the first time is kept).
        s.main.case_assign(acme.tenant, case.id, acme.erin, s.tick()).await.unwrap();

        let meta = s.main.case_meta_get(acme.tenant, case.id).await.unwrap();
        assert_eq!(meta.engineers, [acme.erin, acme.frank]);
        assert_eq!(meta, CaseMeta { engineers: vec![acme.erin, acme.frank], ..open_meta(&case) });
    }

    async fn closing_a_case_twice_keeps_the_first_closing_time(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let case = s.case(acme.tenant, acme.customer, b"vpn drops").await;
        let other = s.case(acme.tenant, acme.customer, b"printer").await;
        let first = s.tick();
        s.main.case_close(acme.tenant, case.id, first).await.unwrap();
        s.main.case_close(acme.tenant, case.id, s.tick()).await.unwrap();

        let meta = s.main.case_meta_get(acme.tenant, case.id).await.unwrap();
        assert_eq!(meta, CaseMeta { state: CaseState::Closed, closed_at: Some(first), ..open_meta(&case) });
        assert_eq!(s.main.case_meta_get(acme.tenant, other.id).await.unwrap(), open_meta(&other));
        assert_not_found(s.main.case_close(acme.tenant, CaseId::new(), s.now()).await);
    }

    async fn a_tenant_token_lists_only_its_own_tenants_cases(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let globex = desk(&s, "globex").await;
        let mut acme_cases = Vec::new();
        let mut all_cases = Vec::new();
        for i in 0..3 {
            let a = s.case(acme.tenant, acme.customer, format!("a{i}").as_bytes()).await;
            let g = s.case(globex.tenant, globex.customer, format!("g{i}").as_bytes()).await;
            s.main.case_assign(globex.tenant, g.id, globex.erin, s.now()).await.unwrap();
            acme_cases.push(a.id);
            all_cases.extend([a.id, g.id]);
        }
        let carol = s.main.subject_get(acme.customer).await.unwrap();
        let token = s.metadata(&principal(&carol), None).await;

        let listed = s.main.case_list(&token, &CaseFilter::default(), &page(1000, None)).await.unwrap();
        assert!(listed.iter().all(|c| c.tenant == acme.tenant), "{listed:?}");
        assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), sorted(&acme_cases));
        let by_globex_engineer = CaseFilter { assigned_to: Some(globex.erin), ..Default::default() };
        assert_eq!(ids(&s, &token, by_globex_engineer).await, Vec::<CaseId>::new());

        let reviewer = s.reviewer().await;
        assert_eq!(ids(&s, &reviewer, CaseFilter::default()).await, sorted(&all_cases));
    }

    async fn case_list_filters_by_state_and_assigned_engineer(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let open_erin = s.case(acme.tenant, acme.customer, b"1").await.id;
        let open_both = s.case(acme.tenant, acme.customer, b"2").await.id;
        let closed_erin = s.case(acme.tenant, acme.customer, b"3").await.id;
        let open_nobody = s.case(acme.tenant, acme.customer, b"4").await.id;
        for (case, engineer) in [(open_erin, acme.erin), (open_both, acme.erin), (open_both, acme.frank), (closed_erin, acme.erin)] {
            s.main.case_assign(acme.tenant, case, engineer, s.tick()).await.unwrap();
        }
        s.main.case_close(acme.tenant, closed_erin, s.tick()).await.unwrap();
        let token = s.reviewer().await;

        let state = |state| CaseFilter { state: Some(state), assigned_to: None };
        let engineer = |e| CaseFilter { state: None, assigned_to: Some(e) };
        assert_eq!(ids(&s, &token, state(CaseState::Open)).await, sorted(&[open_erin, open_both, open_nobody]));
        assert_eq!(ids(&s, &token, state(CaseState::Closed)).await, [closed_erin]);
        assert_eq!(ids(&s, &token, engineer(acme.erin)).await, sorted(&[open_erin, open_both, closed_erin]));
        assert_eq!(ids(&s, &token, engineer(acme.frank)).await, [open_both]);
        let both = CaseFilter { state: Some(CaseState::Open), assigned_to: Some(acme.erin) };
        assert_eq!(ids(&s, &token, both).await, sorted(&[open_erin, open_both]));
        assert_eq!(ids(&s, &token, engineer(acme.customer)).await, Vec::<CaseId>::new());

        let listed = s.main.case_list(&token, &engineer(acme.frank), &page(10, None)).await.unwrap();
        assert_eq!(listed[0].engineers, [acme.erin, acme.frank], "listed cases carry all their engineers");
    }

    async fn case_pages_visit_every_case_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = desk(&s, "acme").await;
        let mut cases = Vec::new();
        for i in 0..7 {
            cases.push(s.case(acme.tenant, acme.customer, &[i]).await.id);
        }
        let token = &s.reviewer().await;
        let main = &s.main;
        let pages = all_pages(
            3,
            |page| async move { main.case_list(token, &CaseFilter::default(), &page).await.unwrap() },
            |c: &CaseMeta| c.id.to_string(),
        )
        .await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(pages.concat().iter().map(|c| c.id).collect::<Vec<_>>(), sorted(&cases));
    }
}
