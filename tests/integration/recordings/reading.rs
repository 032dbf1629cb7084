//! Who may read an imported recording, for which purpose (DESIGN section 3): Get and
//! Download (and Export, which opens the content too) answer the same precise status;
//! listing is metadata only; an imported recording does not export.

use supportgate::proto::{ListRecordingsRequest, Purpose, RecordingKind};
use supportgate_testkit::backend_tests;
use tonic::{Code, Status};

use super::{
    content, download, export, get, import, list, listed_ids, metadata, Imported, ASCIICAST,
    IMPROVE, PROVIDE,
};
use crate::harness::{assert_status, reason, Actor, Clients};

/// Asserts `result` is `code`/`reason_code` and gives nothing of `secret` away.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    what: &str,
    result: Result<T, Status>,
    code: Code,
    reason_code: &str,
    secret: &str,
) {
    match result {
        Ok(value) => panic!("{what}: expected {code:?}/{reason_code}, got {value:?}"),
        Err(status) => {
            assert_eq!(
                (status.code(), reason(&status).as_deref()),
                (code, Some(reason_code)),
                "{what}: {status:?}"
            );
            assert!(
                !status.message().contains(secret),
                "{what}: the refusal gives the title away"
            );
        }
    }
}

/// A listing `actor` must not see anything in: empty, or refused as not found or denied.
async fn sees_nothing(what: &str, clients: &Clients, case: &str) {
    match list(clients, case, RecordingKind::Unspecified).await {
        Ok(recordings) => assert!(recordings.is_empty(), "{what} lists {recordings:?}"),
        Err(status) => assert!(
            matches!(status.code(), Code::NotFound | Code::PermissionDenied),
            "{what}: {status:?}"
        ),
    }
}

backend_tests! {
    async fn the_tenants_customer_the_assigned_engineer_and_quality_read_and_no_one_else(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let id = imported.id();
        let title = metadata(&acme.case, RecordingKind::Phone, &imported.data).title;

        for (who, actor, purpose) in [
            ("the tenant's customer", &acme.customer, PROVIDE),
            ("the assigned engineer", &acme.engineer, PROVIDE),
            ("support quality", &acme.quality, IMPROVE),
        ] {
            let clients = world.server.as_actor(actor).await;
            let view = get(&clients, id, purpose).await.unwrap_or_else(|s| panic!("{who} gets it: {s:?}"));
            assert_eq!(view.title, title, "{who} sees the title");
            let (_, got) = download(&clients, id, purpose, None).await.unwrap_or_else(|s| panic!("{who} downloads it: {s:?}"));
            assert!(got == imported.data, "{who} downloads it byte-identical");
            let (_, part) = download(&clients, id, purpose, Some((250_000, 100))).await.unwrap();
            assert!(part == imported.data[250_000..250_100], "{who} reads a range");
        }

        let p = |purpose: Purpose| purpose as i32;
        let refusals: [(&str, &Actor, i32, Code, &str); 22] = [
            ("the unassigned engineer", &acme.other_engineer, PROVIDE, Code::PermissionDenied, "NOT_ASSIGNED"),
            ("sales", &acme.sales, PROVIDE, Code::PermissionDenied, "ROLE_DENIED"),
            ("sales for marketing", &acme.sales, p(Purpose::Marketing), Code::PermissionDenied, "ROLE_DENIED"),
            ("communications", &acme.communications, p(Purpose::Communications), Code::PermissionDenied, "ROLE_DENIED"),
            ("communications for support", &acme.communications, PROVIDE, Code::PermissionDenied, "ROLE_DENIED"),
            ("the tenant's compliance reviewer", &acme.reviewer, PROVIDE, Code::PermissionDenied, "ROLE_DENIED"),
            ("the customer agent", &acme.agent, PROVIDE, Code::PermissionDenied, "ROLE_DENIED"),
            ("the other tenant's customer", &globex.customer, PROVIDE, Code::NotFound, "NOT_FOUND"),
            ("the other tenant's engineer", &globex.engineer, PROVIDE, Code::NotFound, "NOT_FOUND"),
            ("the other tenant's quality", &globex.quality, IMPROVE, Code::NotFound, "NOT_FOUND"),
            ("no purpose", &acme.customer, 0, Code::InvalidArgument, "PURPOSE_REQUIRED"),
            ("no purpose, the engineer", &acme.engineer, 0, Code::InvalidArgument, "PURPOSE_REQUIRED"),
            ("marketing", &acme.customer, p(Purpose::Marketing), Code::PermissionDenied, "PURPOSE_PROHIBITED"),
            ("marketing, the engineer", &acme.engineer, p(Purpose::Marketing), Code::PermissionDenied, "PURPOSE_PROHIBITED"),
            ("voluntary disclosure", &acme.quality, p(Purpose::VoluntaryLawEnforcementDisclosure), Code::PermissionDenied, "PURPOSE_PROHIBITED"),
            ("an unknown purpose", &acme.customer, 99, Code::InvalidArgument, "PURPOSE_UNKNOWN"),
            ("an unused purpose number", &acme.engineer, 5, Code::InvalidArgument, "PURPOSE_UNKNOWN"),
            ("a negative purpose", &acme.quality, -1, Code::InvalidArgument, "PURPOSE_UNKNOWN"),
            ("the communications purpose", &acme.customer, p(Purpose::Communications), Code::PermissionDenied, "PURPOSE_NOT_PERMITTED_FOR_CLASS"),
            ("the legal purpose outside the legal flow", &acme.engineer, p(Purpose::LegalCompelled), Code::PermissionDenied, "LEGAL_FLOW_ONLY"),
            ("an engineer improving support", &acme.engineer, IMPROVE, Code::PermissionDenied, "PURPOSE_NOT_PERMITTED_FOR_ROLE"),
            ("quality providing support", &acme.quality, PROVIDE, Code::PermissionDenied, "PURPOSE_NOT_PERMITTED_FOR_ROLE"),
        ];
        for (who, actor, purpose, code, reason_code) in refusals {
            let clients = world.server.as_actor(actor).await;
            refused(&format!("{who}: get"), get(&clients, id, purpose).await, code, reason_code, &title);
            refused(&format!("{who}: download"), download(&clients, id, purpose, None).await, code, reason_code, &title);
            refused(&format!("{who}: a range"), download(&clients, id, purpose, Some((0, 10))).await, code, reason_code, &title);
            refused(&format!("{who}: export"), export(&clients, id, purpose, ASCIICAST).await, code, reason_code, &title);
        }

        // A recording that does not exist answers like one in another tenant.
        let customer = world.server.as_actor(&acme.customer).await;
        let nowhere = uuid::Uuid::new_v4().to_string();
        assert_status(get(&customer, &nowhere, PROVIDE).await, Code::NotFound, "NOT_FOUND");
        assert_status(download(&customer, &nowhere, PROVIDE, None).await, Code::NotFound, "NOT_FOUND");
        assert_status(get(&customer, "../recording", PROVIDE).await, Code::InvalidArgument, "INVALID_ID");
        assert_status(download(&customer, "not-a-recording", PROVIDE, None).await, Code::InvalidArgument, "INVALID_ID");
        assert_status(get(&customer, "", PROVIDE).await, Code::InvalidArgument, "FIELD_REQUIRED");
    }

    async fn listing_is_metadata_only_for_those_who_may_see_the_case(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let engineer = world.server.as_actor(&acme.engineer).await;
        let declared = metadata(&acme.case, RecordingKind::Phone, &imported.data);
        let small = content(5_000);
        let chat = import(&engineer, metadata(&acme.case, RecordingKind::Chat, &small), &small).await.unwrap();
        let screen = import(&engineer, metadata(&acme.case, RecordingKind::Screen, &small), &small).await.unwrap();
        let mut all = vec![imported.id().to_owned(), chat.recording_id.clone(), screen.recording_id.clone()];
        all.sort_unstable();

        for (who, actor) in [
            ("the tenant's customer", &acme.customer),
            ("the assigned engineer", &acme.engineer),
            ("support quality", &acme.quality),
            ("the tenant's compliance reviewer", &acme.reviewer),
        ] {
            let clients = world.server.as_actor(actor).await;
            let request = ListRecordingsRequest { case_id: acme.case.clone(), ..Default::default() };
            let response = clients.recordings().list_recordings(request).await
                .unwrap_or_else(|s| panic!("{who} lists: {s:?}"))
                .into_inner();
            let mut ids: Vec<String> = response.recordings.iter().map(|r| r.recording_id.clone()).collect();
            ids.sort_unstable();
            assert_eq!(ids, all, "{who} lists the case's recordings");
            let text = format!("{response:?}");
            assert!(!text.contains(&declared.title), "{who}: the listing carries the title");
            assert!(!text.contains(&declared.description), "{who}: the listing carries the description");
        }

        // Page by page, every recording once.
        let customer = world.server.as_actor(&acme.customer).await;
        let first = ListRecordingsRequest { case_id: acme.case.clone(), page_size: 2, ..Default::default() };
        let page = customer.recordings().list_recordings(first.clone()).await.unwrap().into_inner();
        assert_eq!(page.recordings.len(), 2);
        assert!(!page.next_page_token.is_empty(), "a second page follows");
        let rest = ListRecordingsRequest { page_token: page.next_page_token.clone(), ..first };
        let last = customer.recordings().list_recordings(rest).await.unwrap().into_inner();
        let mut ids: Vec<String> = page.recordings.iter().chain(&last.recordings).map(|r| r.recording_id.clone()).collect();
        ids.sort_unstable();
        assert_eq!(ids, all);

        for (who, actor) in [
            ("the unassigned engineer", &acme.other_engineer),
            ("the other tenant's customer", &globex.customer),
            ("the other tenant's engineer", &globex.engineer),
            ("the other tenant's quality", &globex.quality),
            ("the other tenant's reviewer", &globex.reviewer),
        ] {
            let clients = world.server.as_actor(actor).await;
            sees_nothing(who, &clients, &acme.case).await;
        }
        for (who, actor) in [("sales", &acme.sales), ("communications", &acme.communications), ("the customer agent", &acme.agent)] {
            let clients = world.server.as_actor(actor).await;
            let result = list(&clients, &acme.case, RecordingKind::Unspecified).await;
            refused(who, result, Code::PermissionDenied, "ROLE_DENIED", &declared.title);
        }
        let unknown_kind = ListRecordingsRequest { case_id: acme.case.clone(), kind: 99, ..Default::default() };
        assert_status(customer.recordings().list_recordings(unknown_kind).await, Code::InvalidArgument, "UNKNOWN_KIND");
        assert_status(list(&customer, "", RecordingKind::Unspecified).await, Code::InvalidArgument, "FIELD_REQUIRED");
        assert_status(list(&customer, "not-a-case", RecordingKind::Unspecified).await, Code::InvalidArgument, "INVALID_ID");
        assert_eq!(listed_ids(&customer, &globex.case).await, Vec::<String>::new(), "another tenant's case lists nothing");
    }

    async fn an_imported_recording_does_not_export_and_a_format_is_required(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let id = imported.id();
        let engineer = world.server.as_actor(&acme.engineer).await;
        for (who, actor, purpose) in [
            ("the assigned engineer", &acme.engineer, PROVIDE),
            ("the tenant's customer", &acme.customer, PROVIDE),
            ("support quality", &acme.quality, IMPROVE),
        ] {
            let clients = world.server.as_actor(actor).await;
            let result = export(&clients, id, purpose, ASCIICAST).await;
            let status = assert_status(result, Code::FailedPrecondition, "RECORDING_NOT_EXPORTABLE");
            assert!(!status.message().is_empty(), "{who}: a message a user can act on");
        }
        let small = content(5_000);
        let chat = import(&engineer, metadata(&acme.case, RecordingKind::Chat, &small), &small).await.unwrap();
        let result = export(&engineer, &chat.recording_id, PROVIDE, ASCIICAST).await;
        assert_status(result, Code::FailedPrecondition, "RECORDING_NOT_EXPORTABLE");

        for format in [0, 2, 99, -1] {
            let result = export(&engineer, id, PROVIDE, format).await;
            assert_status(result, Code::InvalidArgument, "UNKNOWN_FORMAT");
        }
        // Whether a recording exports is not told to those who may not read it.
        let globex_customer = world.server.as_actor(&globex.customer).await;
        assert_status(export(&globex_customer, id, PROVIDE, ASCIICAST).await, Code::NotFound, "NOT_FOUND");
        let other = world.server.as_actor(&acme.other_engineer).await;
        assert_status(export(&other, id, PROVIDE, ASCIICAST).await, Code::PermissionDenied, "NOT_ASSIGNED");
        assert_status(export(&engineer, id, 0, ASCIICAST).await, Code::InvalidArgument, "PURPOSE_REQUIRED");

        // A refused export is a denied decision in the log, never an "allowed" one.
        let filter = supportgate::proto::ListEntriesRequest { case_id: acme.case.clone(), action: "recording.export".into(), ..Default::default() };
        let exports = world.log(filter).await;
        assert!(exports.iter().all(|e| e.decision() != supportgate::proto::Decision::Allowed), "no export happened: {exports:?}");
        let unexportable = exports.iter().filter(|e| e.reason == "RECORDING_NOT_EXPORTABLE").count();
        assert_eq!(unexportable, 4, "each refused export of an import is logged with why: {exports:?}");
    }
}
