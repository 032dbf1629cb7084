//! Write-ahead, fail-closed: with the log unwritable (a trigger refuses every insert, as
//! a full disk would), reads and writes fail with `UNAVAILABLE`/`AUDIT_UNAVAILABLE` and
//! release nothing; once it is writable again everything works, nothing the refused
//! requests did remains, and the chain still verifies.

use supportgate::proto::{ListCasesRequest, OpenCaseRequest};
use supportgate_testkit::backend_tests;
use tonic::{Code, Status};

use super::{assert_gap_free, read_case, read_contact, verify, whole_log, with_request_id};
use crate::harness::world::contact;
use crate::harness::{assert_status, Actor, TestServer, World};

/// Makes every insert into the log fail.
async fn make_log_unwritable(server: &TestServer) {
    if server.on_postgres() {
        server
            .sql(&[
                "CREATE FUNCTION fail_log() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'disk full'; END; $$",
                "CREATE TRIGGER fail_log BEFORE INSERT ON access_log \
                 FOR EACH ROW EXECUTE FUNCTION fail_log()",
            ])
            .await;
    } else {
        server
            .sql(&["CREATE TRIGGER fail_log BEFORE INSERT ON access_log \
                    BEGIN SELECT RAISE(ABORT, 'disk full'); END"])
            .await;
    }
}

async fn make_log_writable(server: &TestServer) {
    if server.on_postgres() {
        server
            .sql(&[
                "DROP TRIGGER fail_log ON access_log",
                "DROP FUNCTION fail_log()",
            ])
            .await;
    } else {
        server.sql(&["DROP TRIGGER fail_log"]).await;
    }
}

/// Asserts a refusal carries none of `secrets`: not in the message, the details or the
/// metadata.
#[track_caller]
fn assert_releases_nothing(status: &Status, secrets: &[&str]) {
    let details = String::from_utf8_lossy(status.details()).into_owned();
    let metadata = format!("{:?}", status.metadata());
    for secret in secrets {
        for (what, text) in [
            ("message", status.message()),
            ("details", &details),
            ("metadata", &metadata),
        ] {
            assert!(
                !text.contains(secret),
                "the refusal's {what} releases {secret:?}: {status:?}"
            );
        }
    }
}

/// The ids of the cases `customer` lists.
async fn case_ids(server: &TestServer, customer: &Actor) -> Vec<String> {
    let request = ListCasesRequest {
        page_size: 500,
        ..Default::default()
    };
    let cases = server
        .as_actor(customer)
        .await
        .cases()
        .list_cases(request)
        .await
        .expect("the customer lists their cases")
        .into_inner();
    assert!(cases.next_page_token.is_empty(), "one page holds them all");
    let mut ids: Vec<String> = cases.cases.into_iter().map(|c| c.case_id).collect();
    ids.sort();
    ids
}

backend_tests! {
    async fn with_the_log_unwritable_reads_and_writes_fail_closed_and_leave_no_trace(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let acme = &world.acme;
        let (view, _) = read_case(server, &acme.engineer, &acme.case).await;
        assert_eq!(view.expect("reads while the log works").summary, "acme: VPN drops every hour");
        let cases_before = case_ids(server, &acme.customer).await;
        let log_before = whole_log(&world).await;
        let secrets = ["VPN drops every hour", "carol@acme.example", "Carol Smith", "+1 555 0100"];

        make_log_unwritable(server).await;
        let (answer, case_request) = read_case(server, &acme.engineer, &acme.case).await;
        let status = assert_status(answer, Code::Unavailable, "AUDIT_UNAVAILABLE");
        assert_releases_nothing(&status, &secrets);
        let (answer, contact_request) = read_contact(server, &acme.engineer, &acme.case).await;
        let status = assert_status(answer, Code::Unavailable, "AUDIT_UNAVAILABLE");
        assert_releases_nothing(&status, &secrets);
        let (open, open_request) = with_request_id(OpenCaseRequest {
            summary: "fail-closed canary".into(),
            contact: Some(contact("Casper Canary", "canary@acme.example")),
        });
        let answer = server.as_actor(&acme.customer).await.cases().open_case(open).await;
        let status = assert_status(answer, Code::Unavailable, "AUDIT_UNAVAILABLE");
        assert_releases_nothing(&status, &["fail-closed canary", "canary@acme.example"]);
        make_log_writable(server).await;

        let (view, _) = read_case(server, &acme.engineer, &acme.case).await;
        assert_eq!(view.expect("reads work again").summary, "acme: VPN drops every hour");
        let (contact, _) = read_contact(server, &acme.engineer, &acme.case).await;
        assert_eq!(contact.expect("contact reads work again").email, "carol@acme.example");
        assert_eq!(case_ids(server, &acme.customer).await, cases_before, "OpenCase created a case");

        let log = whole_log(&world).await;
        assert_eq!(log[..log_before.len()], log_before[..], "the log before the failure changed");
        assert_gap_free(&log);
        for refused in [&case_request, &contact_request, &open_request] {
            let traces: Vec<_> = log.iter().filter(|e| &e.request_id == refused).collect();
            assert!(traces.is_empty(), "request {refused} left entries behind: {traces:?}");
        }
        let report = verify(&world, None).await;
        assert!(report.ok, "the failed batch broke the chain: {:?}", report.problems);
        assert_eq!(report.entries_checked, log.len() as u64 + 1);
    }
}
