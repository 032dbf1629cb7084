//! The shortest path through the house: a customer opens a case, its engineer reads it.

use supportgate::proto::{GetCaseRequest, Purpose};
use supportgate_testkit::backend_tests;
use tonic::Code;

use crate::harness::{assert_status, World};

backend_tests! {
    async fn an_assigned_engineer_reads_the_case_and_sales_is_refused(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let eve = world.server.as_actor(&acme.engineer).await;
        let view = eve
            .cases()
            .get_case(GetCaseRequest { case_id: acme.case.clone(), purpose: Purpose::ProvideSupport.into() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(view.summary, "acme: VPN drops every hour");
        assert_eq!(view.contact.unwrap().email, "carol@acme.example");

        let sam = world.server.as_actor(&acme.sales).await;
        let denied = sam
            .cases()
            .get_case(GetCaseRequest { case_id: acme.case.clone(), purpose: Purpose::ProvideSupport.into() })
            .await;
        assert_status(denied, Code::PermissionDenied, "ROLE_DENIED");
        let entry = world.last_entry(&acme.sales, &acme.case).await;
        assert_eq!((entry.action.as_str(), entry.reason.as_str()), ("case.get", "ROLE_DENIED"));
    }
}
