//! Bad input of every kind, through the real gRPC interface: malformed and oversized
//! messages, unknown enum values, missing and prohibited purposes, ids that are not
//! UUIDs or belong to another tenant, and hostile strings in every text field. Each gets
//! a precise status and reason, is logged where it is an access decision, and leaves
//! stored data unchanged: every test re-reads the data afterwards to prove it.

use std::fmt::Debug;

use supportgate::proto::{
    AccessLogEntry, Case, CaseView, Contact, Decision, GetCaseRequest, GetContactRequest,
    ListCasesRequest, ListEntriesRequest, ListSubjectsRequest, ListTenantsRequest, Purpose,
    Subject, Tenant,
};
use tonic::{Code, Status};

use crate::harness::raw::Rpc;
use crate::harness::{reason, Actor, TestServer, World};

mod admin;
mod enums;
mod ids;
mod messages;
mod text;

/// A unary RPC by path, for raw calls.
fn unary(path: &str) -> Rpc {
    Rpc {
        path: path.into(),
        client_streaming: false,
        server_streaming: false,
    }
}

/// Everything the world stores about its cases, as the people allowed to see it see it.
#[derive(Debug, PartialEq)]
struct Stored {
    /// Every case of both tenants, read by its assigned engineer (summary and contact).
    views: Vec<CaseView>,
    /// The acme case's contact, read by its customer.
    contact: Contact,
    /// The cases each tenant's customer lists.
    acme_cases: Vec<Case>,
    globex_cases: Vec<Case>,
}

async fn read_case(server: &TestServer, actor: &Actor, case: &str) -> CaseView {
    server
        .as_actor(actor)
        .await
        .cases()
        .get_case(GetCaseRequest {
            case_id: case.into(),
            purpose: Purpose::ProvideSupport.into(),
        })
        .await
        .unwrap_or_else(|s| panic!("{} reads {case}: {s:?}", actor.name))
        .into_inner()
}

async fn read_contact(server: &TestServer, actor: &Actor, case: &str) -> Contact {
    server
        .as_actor(actor)
        .await
        .contacts()
        .get_contact(GetContactRequest {
            case_id: case.into(),
            purpose: Purpose::ProvideSupport.into(),
        })
        .await
        .unwrap_or_else(|s| panic!("{} reads the contact of {case}: {s:?}", actor.name))
        .into_inner()
}

async fn list_cases(server: &TestServer, actor: &Actor) -> Vec<Case> {
    server
        .as_actor(actor)
        .await
        .cases()
        .list_cases(ListCasesRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("list cases")
        .into_inner()
        .cases
}

async fn stored(world: &World) -> Stored {
    let s = &world.server;
    let (acme, globex) = (&world.acme, &world.globex);
    Stored {
        views: vec![
            read_case(s, &acme.engineer, &acme.case).await,
            read_case(s, &acme.engineer, &acme.opted_out_case).await,
            read_case(s, &globex.engineer, &globex.case).await,
            read_case(s, &globex.engineer, &globex.opted_out_case).await,
        ],
        contact: read_contact(s, &acme.customer, &acme.case).await,
        acme_cases: list_cases(s, &acme.customer).await,
        globex_cases: list_cases(s, &globex.customer).await,
    }
}

/// Re-reads everything and asserts it is exactly as `before`.
async fn assert_unchanged(world: &World, before: &Stored, after_what: &str) {
    let now = stored(world).await;
    assert_eq!(&now, before, "stored data changed after {after_what}");
}

async fn tenants(server: &TestServer) -> Vec<Tenant> {
    server
        .admin()
        .await
        .admin()
        .list_tenants(ListTenantsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("list tenants")
        .into_inner()
        .tenants
}

async fn subjects(server: &TestServer) -> Vec<Subject> {
    server
        .admin()
        .await
        .admin()
        .list_subjects(ListSubjectsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("list subjects")
        .into_inner()
        .subjects
}

/// Asserts `INVALID_ARGUMENT` with `reason_code`, and (if given) that the message names
/// the field, so the user knows what to fix.
#[track_caller]
fn assert_invalid<T: Debug>(what: &str, result: Result<T, Status>, reason_code: &str, field: &str) {
    let status = match result {
        Ok(value) => {
            panic!("{what}: expected INVALID_ARGUMENT/{reason_code}, it succeeded: {value:?}")
        }
        Err(status) => status,
    };
    assert_eq!(
        (status.code(), reason(&status).as_deref()),
        (Code::InvalidArgument, Some(reason_code)),
        "{what}: unexpected status {status:?}"
    );
    assert!(
        status.message().contains(field),
        "{what}: the message does not name {field:?}: {:?}",
        status.message()
    );
}

/// Asserts `code` and `reason_code` for one labelled attempt.
#[track_caller]
fn assert_refused<T: Debug>(what: &str, result: Result<T, Status>, code: Code, reason_code: &str) {
    let status = match result {
        Ok(value) => panic!("{what}: expected {code:?}/{reason_code}, it succeeded: {value:?}"),
        Err(status) => status,
    };
    assert_eq!(
        (status.code(), reason(&status).as_deref()),
        (code, Some(reason_code)),
        "{what}: unexpected status {status:?}"
    );
}

/// Every entry by `actor` with `action`, oldest first.
async fn entries_by(world: &World, actor: &Actor, action: &str) -> Vec<AccessLogEntry> {
    world
        .log(ListEntriesRequest {
            subject_id: actor.subject_id.clone(),
            action: action.into(),
            ..Default::default()
        })
        .await
}

/// The newest entry by `actor` with `action`.
async fn last_by(world: &World, actor: &Actor, action: &str) -> AccessLogEntry {
    entries_by(world, actor, action)
        .await
        .pop()
        .unwrap_or_else(|| panic!("no {action} entry by {}", actor.name))
}

/// Asserts the entry is a denial with `reason` for `purpose` (as the log records it).
#[track_caller]
fn assert_denial(what: &str, entry: &AccessLogEntry, reason: &str, purpose: Purpose) {
    assert_eq!(
        (entry.decision, entry.reason.as_str(), entry.purpose),
        (Decision::Denied as i32, reason, purpose as i32),
        "{what}: unexpected log entry {entry:?}"
    );
}
