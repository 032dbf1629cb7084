//! Every import, read and refusal of a recording is in the access log under the request
//! that caused it (DESIGN section 6); the customer listing the log of their case sees
//! who read its recordings, and the log still verifies.

use supportgate::proto::{
    AccessLogEntry, CloseCaseRequest, DataClass, Decision, ImportRecordingMetadata,
    ListEntriesRequest, Purpose, RecordingKind, Role, VerifyRequest,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{
    chunk_message, content, download_request, messages, metadata, sha256, tagged, Imported, CHUNK,
    IMPROVE, PROVIDE,
};
use crate::harness::world::open_case;
use crate::harness::{Clients, World};

/// `(action, decision, reason)` of every entry made under `request_id`.
fn made_by(log: &[AccessLogEntry], request_id: &str) -> Vec<(String, Decision, String)> {
    log.iter()
        .filter(|e| e.request_id == request_id)
        .map(|e| (e.action.clone(), e.decision(), e.reason.clone()))
        .collect()
}

/// Downloads (draining the stream if there is one) under a fresh request id.
async fn tagged_download(clients: &Clients, recording: &str, purpose: i32) -> String {
    let (request, id) = tagged(download_request(recording, purpose, None));
    if let Ok(response) = clients.recordings().download_recording(request).await {
        let mut stream = response.into_inner();
        while let Ok(Some(_)) = stream.message().await {}
    }
    id
}

/// Gets a recording's details under a fresh request id.
async fn tagged_get(clients: &Clients, recording: &str, purpose: i32) -> String {
    let (request, id) = tagged(supportgate::proto::GetRecordingRequest {
        recording_id: recording.into(),
        purpose,
    });
    let _ = clients.recordings().get_recording(request).await;
    id
}

/// Imports under a fresh request id; returns the outcome's code and the request id.
async fn tagged_import(
    clients: &Clients,
    sent: Vec<supportgate::proto::ImportRecordingRequest>,
) -> (Code, String) {
    let (request, id) = tagged(futures::stream::iter(sent));
    let code = match clients.recordings().import_recording(request).await {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    };
    (code, id)
}

async fn assert_log_verifies(world: &World) {
    let report = world
        .server
        .as_actor(&world.reviewer)
        .await
        .log()
        .verify(VerifyRequest { range: None })
        .await
        .unwrap()
        .into_inner();
    assert!(report.ok, "the log verifies: {:?}", report.problems);
}

backend_tests! {
    async fn the_customer_sees_who_read_their_recording_and_every_denial_is_logged(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let id = imported.id();
        let engineer = world.server.as_actor(&acme.engineer).await;
        let customer = world.server.as_actor(&acme.customer).await;

        let download_id = tagged_download(&engineer, id, PROVIDE).await;
        let quality_id = tagged_get(&world.server.as_actor(&acme.quality).await, id, IMPROVE).await;
        let unassigned_id = tagged_download(&world.server.as_actor(&acme.other_engineer).await, id, PROVIDE).await;
        let marketing_id = tagged_download(&engineer, id, Purpose::Marketing as i32).await;
        let missing_id = tagged_get(&customer, id, 0).await;
        let unknown_id = tagged_download(&customer, id, 99).await;
        let sales_id = tagged_download(&world.server.as_actor(&acme.sales).await, id, PROVIDE).await;
        let comms_id = tagged_get(&world.server.as_actor(&acme.communications).await, id, Purpose::Communications as i32).await;
        let globex_id = tagged_download(&world.server.as_actor(&globex.customer).await, id, PROVIDE).await;

        // The customer, listing the log of their case, sees the engineer's download.
        let seen = customer.log_entries(ListEntriesRequest { case_id: acme.case.clone(), ..Default::default() }).await;
        let read = seen
            .iter()
            .find(|e| e.request_id == download_id && e.action == "recording.download")
            .unwrap_or_else(|| panic!("the customer does not see the engineer's download: {seen:?}"));
        assert_eq!(
            (read.subject_id.as_str(), read.resource_id.as_str(), read.case_id.as_str(), read.tenant_id.as_str()),
            (acme.engineer.subject_id.as_str(), id, acme.case.as_str(), acme.id.as_str())
        );
        assert_eq!((read.decision(), read.reason.as_str()), (Decision::Allowed, "ASSIGNED_ENGINEER"));
        assert_eq!((read.role(), read.purpose(), read.data_class()), (Role::SupportEngineer, Purpose::ProvideSupport, DataClass::Customer));
        // …and the import that created it, by the same engineer.
        let import = seen
            .iter()
            .find(|e| e.action == "recording.import" && e.resource_id == id)
            .unwrap_or_else(|| panic!("the customer does not see the import: {seen:?}"));
        assert_eq!((import.subject_id.as_str(), import.decision()), (acme.engineer.subject_id.as_str(), Decision::Allowed));

        let in_customer_view = |request_id: &str, action: &str, decision: Decision, reason: &str, purpose: Purpose| {
            let entry = seen
                .iter()
                .find(|e| e.request_id == request_id && e.action == action)
                .unwrap_or_else(|| panic!("{action} {reason} is not in the customer's view of the log: {seen:?}"));
            assert_eq!((entry.decision(), entry.reason.as_str(), entry.purpose()), (decision, reason, purpose), "{entry:?}");
            assert_eq!((entry.resource_id.as_str(), entry.case_id.as_str()), (id, acme.case.as_str()), "{entry:?}");
            entry.subject_id.clone()
        };
        in_customer_view(&quality_id, "recording.get", Decision::Allowed, "QUALITY_REVIEW", Purpose::ImproveSupport);
        let who = in_customer_view(&unassigned_id, "recording.download", Decision::Denied, "NOT_ASSIGNED", Purpose::ProvideSupport);
        assert_eq!(who, acme.other_engineer.subject_id);
        in_customer_view(&marketing_id, "recording.download", Decision::Denied, "PURPOSE_PROHIBITED", Purpose::Marketing);
        in_customer_view(&missing_id, "recording.get", Decision::Denied, "PURPOSE_REQUIRED", Purpose::Unspecified);
        assert!(made_by(&seen, &unknown_id).contains(&("recording.download".into(), Decision::Denied, "PURPOSE_UNKNOWN".into())), "{seen:?}");
        for entry in &seen {
            assert_eq!(entry.tenant_id, acme.id, "another tenant's entry in acme's log: {entry:?}");
        }
        assert!(!format!("{seen:?}").contains(&globex.customer.subject_id), "globex's probe shows in acme's log");

        // Refusals at the gate and probes from another tenant are in the log as well.
        let log = world.log(ListEntriesRequest::default()).await;
        for (request_id, reason, subject) in [
            (&sales_id, "ROLE_DENIED", &acme.sales.subject_id),
            (&comms_id, "ROLE_DENIED", &acme.communications.subject_id),
            (&globex_id, "NOT_FOUND", &globex.customer.subject_id),
        ] {
            let entry = log
                .iter()
                .find(|e| &e.request_id == request_id && e.action.starts_with("recording."))
                .unwrap_or_else(|| panic!("the {reason} refusal of {subject} is not logged"));
            assert_eq!((entry.decision(), entry.reason.as_str(), &entry.subject_id), (Decision::Denied, reason, subject));
            assert!(!made_by(&log, request_id).iter().any(|(_, d, _)| *d == Decision::Allowed), "a refusal logged as allowed");
        }
        let probe = log.iter().find(|e| e.request_id == globex_id).unwrap();
        assert_eq!(probe.tenant_id, globex.id, "a probe is filed under the prober's tenant");
        assert_log_verifies(world).await;
    }

    async fn imports_and_refused_imports_are_logged_as_such(backend: Backend) {
        let world = World::build(backend).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let engineer = world.server.as_actor(&acme.engineer).await;
        let data = content(150_000);
        let declared = |case: &str| ImportRecordingMetadata { external_id: "pbx-1".into(), ..metadata(case, RecordingKind::Phone, &data) };
        let plain = |case: &str| metadata(case, RecordingKind::Phone, &data);

        let (code, ok_id) = tagged_import(&engineer, messages(declared(&acme.case), &data)).await;
        assert_eq!(code, Code::Ok);
        let (_, sha_id) = tagged_import(&engineer, messages(ImportRecordingMetadata { sha256: sha256(b"x").into(), ..plain(&acme.case) }, &data)).await;
        let (_, short_id) = tagged_import(&engineer, messages(plain(&acme.case), &data[..100_000])).await;
        let mut gap = messages(plain(&acme.case), &data);
        gap[2] = chunk_message(CHUNK as u64 + 7, &data[CHUNK..2 * CHUNK]);
        let (_, offset_id) = tagged_import(&engineer, gap).await;
        let (_, duplicate_id) = tagged_import(&engineer, messages(declared(&acme.case), &data)).await;
        let other = world.server.as_actor(&acme.other_engineer).await;
        let (_, unassigned_id) = tagged_import(&other, messages(plain(&acme.case), &data)).await;
        let (_, foreign_id) = tagged_import(&engineer, messages(plain(&globex.case), &data)).await;
        let closed = open_case(&world.server, &acme.customer, Some(&acme.engineer), "resolved", "carol@acme.example").await;
        let customer = world.server.as_actor(&acme.customer).await;
        customer.cases().close_case(CloseCaseRequest { case_id: closed.clone() }).await.unwrap();
        let (_, closed_id) = tagged_import(&engineer, messages(plain(&closed), &data)).await;
        let (_, role_id) = tagged_import(&customer, messages(plain(&acme.case), &data)).await;

        let log = world.log(ListEntriesRequest::default()).await;
        let ok = made_by(&log, &ok_id);
        assert!(ok.contains(&("recording.import".into(), Decision::Allowed, "ASSIGNED_ENGINEER".into())), "{ok:?}");
        let entry = log.iter().find(|e| e.request_id == ok_id && e.action == "recording.import").unwrap();
        assert_eq!((entry.case_id.as_str(), entry.subject_id.as_str()), (acme.case.as_str(), acme.engineer.subject_id.as_str()));

        let mut missing = Vec::new();
        // Content that fails verification: the import began (allowed) and was then refused.
        for (request_id, reasons) in [
            (&sha_id, &["SHA256_MISMATCH"][..]),
            (&short_id, &["SIZE_MISMATCH"][..]),
            (&offset_id, &["CHUNK_OFFSET_MISMATCH", "IMPORT_REFUSED"][..]),
        ] {
            let made = made_by(&log, request_id);
            let denied = made.iter().any(|(a, d, r)| a == "recording.import" && *d == Decision::Denied && reasons.contains(&r.as_str()));
            if !denied {
                missing.push(format!("recording.import denied {reasons:?}: logged {made:?}"));
            }
        }
        // Refused before any content: a denial, and never an "allowed".
        for (request_id, reason) in [
            (&duplicate_id, "ALREADY_EXISTS"),
            (&unassigned_id, "NOT_ASSIGNED"),
            (&foreign_id, "NOT_FOUND"),
            (&closed_id, "CASE_CLOSED"),
            (&role_id, "ROLE_DENIED"),
        ] {
            let made = made_by(&log, request_id);
            if !made.contains(&("recording.import".into(), Decision::Denied, reason.into())) {
                missing.push(format!("recording.import denied {reason}: logged {made:?}"));
            }
            if made.iter().any(|(_, d, _)| *d == Decision::Allowed) {
                missing.push(format!("recording.import refused with {reason} is logged as allowed: {made:?}"));
            }
        }
        assert!(missing.is_empty(), "refused imports missing from the access log:\n{}", missing.join("\n"));
        assert_log_verifies(&world).await;
    }
}
