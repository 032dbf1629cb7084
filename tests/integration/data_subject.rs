//! Data-subject rights (issue 6, docs/LEGAL.md "Data-subject rights", contact.proto)
//! through the real interface, on both engines: a customer exports, corrects, opts out
//! and deletes the contact of their case; a deleted contact reads as NOT_FOUND; a legal
//! hold on the tenant or on any case of the contact makes a deletion wait for the first
//! retention run after the hold is cleared; another tenant's customer finds nothing;
//! every step is in the access log with the customer as subject.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use supportgate::proto::{
    AccessLogEntry, Contact, ContactDeletionState, CorrectContactRequest, DataClass, Decision,
    ExportContactRequest, GetContactRequest, ListCommunicationRecipientsRequest,
    ListEntriesRequest, Purpose, RequestContactDeletionRequest, RequestContactDeletionResponse,
    SetCommunicationsOptOutRequest,
};
use supportgate_testkit::backend_tests;
use tonic::{Code, Status};

use crate::harness::world::open_case;
use crate::harness::{assert_status, Actor, World};
use crate::retention::{
    advance, case_meta, clear_hold, fresh_email, hold_case, hold_tenant, now, run_retention, ts,
};

/// `actor` exports the contact of `case`, parsed.
async fn export(world: &World, actor: &Actor, case: &str) -> Result<serde_json::Value, Status> {
    let json = world
        .server
        .as_actor(actor)
        .await
        .contacts()
        .export_contact(ExportContactRequest {
            case_id: case.into(),
        })
        .await?
        .into_inner()
        .json;
    Ok(serde_json::from_str(&json).unwrap_or_else(|e| panic!("the export is JSON ({e}): {json}")))
}

/// `actor` asks for the contact of `case` to be deleted.
async fn delete(
    world: &World,
    actor: &Actor,
    case: &str,
) -> Result<RequestContactDeletionResponse, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .contacts()
        .request_contact_deletion(RequestContactDeletionRequest {
            case_id: case.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// `actor` reads the contact of `case` for `purpose`.
async fn contact_of(
    world: &World,
    actor: &Actor,
    case: &str,
    purpose: Purpose,
) -> Result<Contact, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .contacts()
        .get_contact(GetContactRequest {
            case_id: case.into(),
            purpose: purpose.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The assigned engineer reads the contact of `case` for support.
async fn engineer_reads(world: &World, case: &str) -> Result<Contact, Status> {
    contact_of(world, &world.acme.engineer, case, Purpose::ProvideSupport).await
}

async fn correct(
    world: &World,
    actor: &Actor,
    request: CorrectContactRequest,
) -> Result<Contact, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .contacts()
        .correct_contact(request)
        .await
        .map(tonic::Response::into_inner)
}

async fn opt_out(world: &World, actor: &Actor, case: &str, out: bool) -> Result<Contact, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .contacts()
        .set_communications_opt_out(SetCommunicationsOptOutRequest {
            case_id: case.into(),
            opt_out: out,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The contact ids acme's communications role may write to, every page.
async fn recipients(world: &World) -> BTreeSet<String> {
    let mut contacts = world
        .server
        .as_actor(&world.acme.communications)
        .await
        .contacts();
    let mut request = ListCommunicationRecipientsRequest {
        purpose: Purpose::Communications.into(),
        page_size: 100,
        page_token: String::new(),
    };
    let mut ids = BTreeSet::new();
    loop {
        let page = contacts
            .list_communication_recipients(request.clone())
            .await
            .expect("ListCommunicationRecipients")
            .into_inner();
        ids.extend(page.contacts.into_iter().map(|c| c.contact_id));
        if page.next_page_token.is_empty() {
            return ids;
        }
        request.page_token = page.next_page_token;
    }
}

/// The entries `actor` made, optionally about `case`.
async fn made_by(world: &World, actor: &Actor, case: &str) -> Vec<AccessLogEntry> {
    world
        .log(ListEntriesRequest {
            subject_id: actor.subject_id.clone(),
            case_id: case.into(),
            ..Default::default()
        })
        .await
}

/// Asserts `entries` hold an allowed `action` with the contact data class.
#[track_caller]
fn logged_allowed(entries: &[AccessLogEntry], action: &str) {
    let found: Vec<&AccessLogEntry> = entries.iter().filter(|e| e.action == action).collect();
    assert!(!found.is_empty(), "{action} is logged: {entries:?}");
    assert!(
        found
            .iter()
            .any(|e| e.decision() == Decision::Allowed && e.data_class() == DataClass::Contact),
        "{action} is logged allowed, as contact data: {found:?}"
    );
}

/// A JSON field as a string (or the JSON it holds, for a non-string).
fn field(json: &serde_json::Value, name: &str) -> String {
    match &json[name] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Asserts the export's `exported_at` is RFC 3339 and is the gateway's `now`.
#[track_caller]
fn exported_at(json: &serde_json::Value, now: DateTime<Utc>) {
    let at = json["exported_at"]
        .as_str()
        .unwrap_or_else(|| panic!("exported_at is a string: {json}"));
    let parsed = DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("exported_at {at} is RFC 3339: {e}"));
    assert_eq!(
        parsed.with_timezone(&Utc),
        now,
        "exported_at is the gateway's time"
    );
}

/// Asserts `result` is NOT_FOUND: the contact reads as not there.
#[track_caller]
fn gone<T: std::fmt::Debug>(what: &str, result: Result<T, Status>) {
    match result {
        Ok(value) => panic!("{what}: the deleted contact still reads: {value:?}"),
        Err(status) => assert_eq!(
            (status.code(), crate::harness::reason(&status).as_deref()),
            (Code::NotFound, Some("NOT_FOUND")),
            "{what}: {status:?}"
        ),
    }
}

backend_tests! {
    async fn a_customer_exports_corrects_and_opts_out_the_contact_of_their_case(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let case = &acme.case;
        let contact_id = case_meta(&world.server, &acme.customer, case).await.contact_id;

        let json = export(&world, &acme.customer, case).await.expect("the customer exports");
        for (name, value) in [
            ("name", "Carol Smith"),
            ("email", "carol@acme.example"),
            ("phone", "+1 555 0100"),
            ("company", "Acme Corp"),
            ("job_title", "IT lead"),
        ] {
            assert_eq!(field(&json, name), value, "{name} in {json}");
        }
        assert_eq!(json["communications_opt_out"], serde_json::Value::Bool(false), "{json}");
        exported_at(&json, now(&world));

        // Rectification: the export shows the correction.
        advance(&world, Duration::hours(1));
        let correction = CorrectContactRequest {
            case_id: case.clone(),
            name: Some("Carol Smith-Jones".into()),
            job_title: Some("Head of IT".into()),
            ..Default::default()
        };
        let corrected = correct(&world, &acme.customer, correction).await.expect("the customer corrects");
        assert_eq!((corrected.name.as_str(), corrected.job_title.as_str(), corrected.email.as_str()), ("Carol Smith-Jones", "Head of IT", "carol@acme.example"));
        let json = export(&world, &acme.customer, case).await.unwrap();
        for (name, value) in [("name", "Carol Smith-Jones"), ("job_title", "Head of IT"), ("email", "carol@acme.example"), ("company", "Acme Corp")] {
            assert_eq!(field(&json, name), value, "{name} after the correction: {json}");
        }
        exported_at(&json, now(&world));

        // Opting out takes the contact off the communications list.
        let before = recipients(&world).await;
        assert!(before.contains(&contact_id), "the contact receives communications: {before:?}");
        let otto = case_meta(&world.server, &acme.customer, &acme.opted_out_case).await.contact_id;
        assert!(!before.contains(&otto), "an opted-out contact is left out");
        let out = opt_out(&world, &acme.customer, case, true).await.expect("the customer opts out");
        assert!(out.communications_opt_out);
        let after = recipients(&world).await;
        assert!(!after.contains(&contact_id), "the opted-out contact is no longer listed: {after:?}");
        let comms = contact_of(&world, &acme.communications, case, Purpose::Communications).await;
        assert_status(comms, Code::PermissionDenied, "CONTACT_OPTED_OUT");
        let json = export(&world, &acme.customer, case).await.unwrap();
        assert_eq!(json["communications_opt_out"], serde_json::Value::Bool(true), "{json}");
        opt_out(&world, &acme.customer, case, false).await.expect("the customer opts back in");
        assert!(recipients(&world).await.contains(&contact_id), "opted back in, listed again");

        // These are the customer's rights, no one else's.
        for actor in [&acme.engineer, &acme.quality, &acme.communications, &acme.agent, &world.admin] {
            assert_status(export(&world, actor, case).await, Code::PermissionDenied, "ROLE_DENIED");
            assert_status(delete(&world, actor, case).await, Code::PermissionDenied, "ROLE_DENIED");
        }
        assert!(engineer_reads(&world, case).await.is_ok(), "refused deletions delete nothing");

        let made = made_by(&world, &acme.customer, case).await;
        for action in ["contact.export", "contact.correct", "contact.opt_out"] {
            logged_allowed(&made, action);
        }
        assert!(made.iter().filter(|e| e.action == "contact.export").count() >= 3, "every export is logged: {made:?}");
        assert!(made.iter().filter(|e| e.action.starts_with("contact.")).all(|e| e.tenant_id == acme.id), "entries of acme: {made:?}");
    }

    async fn a_deleted_contact_reads_as_not_found_and_a_second_request_returns_the_first(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let case = open_case(&world.server, &acme.customer, Some(&acme.engineer), "wants to be forgotten", &fresh_email("dora")).await;
        let contact = engineer_reads(&world, &case).await.expect("the engineer reads the contact");
        assert!(recipients(&world).await.contains(&contact.contact_id));

        let deleted = delete(&world, &acme.customer, &case).await.expect("the customer asks for deletion");
        assert_eq!(deleted.state(), ContactDeletionState::Deleted, "{deleted:?}");
        assert_eq!(deleted.contact_id, contact.contact_id);
        assert!(uuid::Uuid::parse_str(&deleted.deletion_request_id).is_ok(), "{deleted:?}");
        assert_eq!((deleted.requested_at, deleted.deleted_at), (Some(ts(now(&world))), Some(ts(now(&world)))), "{deleted:?}");

        gone("GetContact by the engineer", engineer_reads(&world, &case).await);
        gone("GetContact by the customer", contact_of(&world, &acme.customer, &case, Purpose::ProvideSupport).await);
        gone("ExportContact", export(&world, &acme.customer, &case).await);
        // The export that found nothing is a denial in the log, never an "allowed" read.
        let last = made_by(&world, &acme.customer, &case).await.pop().expect("the export is logged");
        assert_eq!(
            (last.action.as_str(), last.decision(), last.reason.as_str()),
            ("contact.export", Decision::Denied, "CONTACT_DELETED"),
            "{last:?}"
        );
        assert!(!recipients(&world).await.contains(&contact.contact_id), "a deleted contact receives nothing");

        advance(&world, Duration::minutes(10));
        let again = delete(&world, &acme.customer, &case).await.expect("a second request");
        assert_eq!(again, deleted, "a second request returns the first");

        // Only that contact went.
        assert!(engineer_reads(&world, &acme.case).await.is_ok(), "another contact of the tenant stays");
        assert!(export(&world, &acme.customer, &acme.case).await.is_ok());

        let made = made_by(&world, &acme.customer, &case).await;
        logged_allowed(&made, "contact.delete");
        // Each request is logged (under `contact.delete` or a `contact.delete.…` action).
        let requests = made.iter().filter(|e| e.action.starts_with("contact.delete") && e.decision() == Decision::Allowed).count();
        assert!(requests >= 2, "both requests are logged: {made:?}");
    }

    async fn a_legal_hold_makes_a_deletion_wait_for_the_first_retention_run_after_it_is_cleared(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let case = open_case(&world.server, &acme.customer, Some(&acme.engineer), "under hold", &fresh_email("hank")).await;
        let hold = hold_case(&world, &case, "Litigation hold").await;

        let blocked = delete(&world, &acme.customer, &case).await.expect("the request is recorded");
        assert_eq!(blocked.state(), ContactDeletionState::BlockedByLegalHold, "{blocked:?}");
        assert_eq!(blocked.deleted_at, None);
        let contact = engineer_reads(&world, &case).await.expect("a held contact is still readable");
        assert_eq!(contact.contact_id, blocked.contact_id);
        let json = export(&world, &acme.customer, &case).await.expect("and exportable");
        assert_eq!(field(&json, "name"), "Carol Smith");
        let again = delete(&world, &acme.customer, &case).await.unwrap();
        assert_eq!(again, blocked, "a second request returns the first, still blocked");

        let held = run_retention(&world, false).await;
        assert_eq!(held.contacts_deleted, 0, "the hold still applies: {held:?}");
        assert!(engineer_reads(&world, &case).await.is_ok());

        clear_hold(&world, &world.counsel, &hold.hold_id, "Matter closed").await.expect("counsel clears the hold");
        assert!(engineer_reads(&world, &case).await.is_ok(), "clearing alone deletes nothing; the next run does");
        advance(&world, Duration::minutes(3));
        let run = run_retention(&world, false).await;
        assert_eq!(run.contacts_deleted, 1, "the waiting deletion is carried out: {run:?}");
        gone("GetContact after the run", engineer_reads(&world, &case).await);
        gone("ExportContact after the run", export(&world, &acme.customer, &case).await);
        let done = delete(&world, &acme.customer, &case).await.expect("the request, once more");
        assert_eq!(done.deletion_request_id, blocked.deletion_request_id);
        assert_eq!(done.state(), ContactDeletionState::Deleted);
        assert_eq!(done.deleted_at, Some(ts(now(&world))), "deleted by the run: {done:?}");
        assert_eq!(run_retention(&world, false).await.contacts_deleted, 0, "done once");
    }

    async fn a_hold_on_the_tenant_or_on_another_case_of_the_contact_blocks_its_deletion(backend: Backend) {
        let world = World::build(backend).await;
        let (server, acme, globex) = (&world.server, &world.acme, &world.globex);
        // One contact on two cases (the same address is the same contact).
        let shared = fresh_email("sam");
        let first = open_case(server, &acme.customer, Some(&acme.engineer), "first", &shared).await;
        let second = open_case(server, &acme.customer, Some(&acme.engineer), "second", &shared).await;
        let (a, b) = (case_meta(server, &acme.customer, &first).await, case_meta(server, &acme.customer, &second).await);
        assert_eq!(a.contact_id, b.contact_id, "both cases have the same contact");
        let own = open_case(server, &acme.customer, Some(&acme.engineer), "third", &fresh_email("tess")).await;
        let theirs = open_case(server, &globex.customer, Some(&globex.engineer), "globex", &fresh_email("gus")).await;

        let case_hold = hold_case(&world, &second, "Hold on the second case").await;
        let r = delete(&world, &acme.customer, &first).await.unwrap();
        assert_eq!(r.state(), ContactDeletionState::BlockedByLegalHold, "a hold on another case of the contact: {r:?}");
        let tenant_hold = hold_tenant(&world, &acme.id, "Hold on all of acme").await;
        let r = delete(&world, &acme.customer, &own).await.unwrap();
        assert_eq!(r.state(), ContactDeletionState::BlockedByLegalHold, "a hold on the tenant: {r:?}");
        let r = delete(&world, &globex.customer, &theirs).await.unwrap();
        assert_eq!(r.state(), ContactDeletionState::Deleted, "acme's hold is not globex's: {r:?}");

        clear_hold(&world, &world.counsel, &case_hold.hold_id, "done").await.unwrap();
        let run = run_retention(&world, false).await;
        assert_eq!(run.contacts_deleted, 0, "the tenant hold still covers both: {run:?}");
        for case in [&first, &second, &own] {
            assert!(engineer_reads(&world, case).await.is_ok(), "{case}'s contact is kept");
        }
        clear_hold(&world, &world.counsel, &tenant_hold.hold_id, "done").await.unwrap();
        let run = run_retention(&world, false).await;
        assert_eq!(run.contacts_deleted, 2, "{run:?}");
        for case in [&first, &second, &own] {
            gone(&format!("the contact of {case}"), engineer_reads(&world, case).await);
        }
        assert!(engineer_reads(&world, &acme.case).await.is_ok(), "contacts nobody asked to delete stay");
    }

    async fn another_tenants_customer_finds_no_contact_to_export_correct_or_delete(backend: Backend) {
        let world = World::build(backend).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let case = &acme.case;
        let mallory = &globex.customer;
        let unknown = uuid::Uuid::new_v4().to_string();
        for target in [case, &unknown] {
            assert_status(export(&world, mallory, target).await, Code::NotFound, "NOT_FOUND");
            assert_status(delete(&world, mallory, target).await, Code::NotFound, "NOT_FOUND");
            let rename = CorrectContactRequest { case_id: target.clone(), name: Some("Mallory".into()), ..Default::default() };
            assert_status(correct(&world, mallory, rename).await, Code::NotFound, "NOT_FOUND");
            assert_status(opt_out(&world, mallory, target, true).await, Code::NotFound, "NOT_FOUND");
        }
        let json = export(&world, &acme.customer, case).await.expect("acme's contact is untouched");
        assert_eq!((field(&json, "name"), json["communications_opt_out"].clone()), ("Carol Smith".to_owned(), serde_json::Value::Bool(false)));
        let contact = engineer_reads(&world, case).await.expect("and still readable");
        assert_eq!(contact.name, "Carol Smith");

        let tried = made_by(&world, mallory, "").await;
        for action in ["contact.export", "contact.delete", "contact.correct", "contact.opt_out"] {
            assert!(
                tried.iter().any(|e| e.action.starts_with(action) && e.decision() == Decision::Denied && e.data_class() == DataClass::Contact),
                "the refused {action} is logged with globex's customer as subject: {tried:?}"
            );
        }
    }
}
