//! What every part of the retention tests shares: closed cases stocked with a file and
//! a recording, one-line wrappers around the settings, retention and legal-hold calls,
//! the clock, and the database and blob-directory inspections that show what a purge
//! destroyed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use supportgate::proto::{
    self, AccessLogEntry, CaseView, ClearLegalHoldRequest, CloseCaseRequest, GetCaseRequest,
    GetTenantSettingsRequest, IssueCredentialRequest, LegalHold, ListCasesRequest,
    ListEntriesRequest, ListLegalHoldsRequest, Purpose, RecordingKind, RunRetentionRequest,
    RunRetentionResponse, SetLegalHoldRequest, SetTenantSettingsRequest, TenantSettings,
    VerifyRequest,
};
use supportgate_types::Clock;
use tonic::Status;

use crate::harness::world::{open_case, TenantWorld};
use crate::harness::{Actor, TestServer, World};
use crate::{recordings, transfers};

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// `n` days in seconds, as a retention period.
pub fn days(n: u64) -> u64 {
    n * DAY
}

/// The gateway's clock now.
pub fn now(world: &World) -> DateTime<Utc> {
    world.server.clock.now()
}

/// Moves the gateway's clock forward.
pub fn advance(world: &World, by: Duration) {
    world.server.clock.advance(by);
}

/// Moves the gateway's clock forward by `by` and gives every actor of the world a new
/// credential, as people logging in again would: credentials expire by the same clock
/// (a day by default, 30 days for the bootstrap admin), and retention periods are
/// longer. A new admin credential comes from the gateway's own bootstrap, the way an
/// operator recovers a lapsed admin login.
pub async fn pass_time(world: &mut World, by: Duration) {
    world.server.clock.advance(by);
    let issued = world
        .server
        .services
        .bootstrap_admin(None, Duration::days(30))
        .await
        .expect("bootstrap a new admin credential")
        .expect("a new admin credential");
    world.admin.token = issued.token;
    world.admin.credential_id = issued.credential_id.to_string();
    let mut admin = world.server.as_actor(&world.admin).await.admin();
    let World {
        acme,
        globex,
        reviewer,
        counsel,
        agency,
        ..
    } = world;
    let mut actors: Vec<&mut Actor> = vec![reviewer, counsel, agency];
    for tenant in [acme, globex] {
        let TenantWorld {
            customer,
            agent,
            engineer,
            other_engineer,
            quality,
            communications,
            sales,
            reviewer,
            ..
        } = tenant;
        actors.extend([
            customer,
            agent,
            engineer,
            other_engineer,
            quality,
            communications,
            sales,
            reviewer,
        ]);
    }
    for actor in actors {
        let request = IssueCredentialRequest {
            subject_id: actor.subject_id.clone(),
            ttl_seconds: 0,
        };
        let credential = admin
            .issue_credential(request)
            .await
            .unwrap_or_else(|s| panic!("a new credential for {}: {s:?}", actor.name))
            .into_inner();
        actor.token = credential.token;
        actor.credential_id = credential.credential_id;
    }
}

/// `t` on the wire.
pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// A fresh contact e-mail address: contacts are shared by address within a tenant, so
/// every case that must have its own contact gets its own address.
pub fn fresh_email(label: &str) -> String {
    format!(
        "{label}-{}@retention.example",
        uuid::Uuid::new_v4().simple()
    )
}

/// A case of `tenant` with one uploaded file and one imported phone call, closed.
pub struct Stocked {
    pub case: String,
    pub summary: String,
    pub workspace: String,
    pub file: String,
    pub file_data: Vec<u8>,
    pub recording: String,
    pub recording_data: Vec<u8>,
    pub closed_at: prost_types::Timestamp,
}

/// Opens a case as `tenant`'s customer (assigned to its engineer), uploads a file into
/// it, imports a recording into it, and closes it.
pub async fn stocked_case(world: &World, tenant: &TenantWorld, label: &str) -> Stocked {
    let server = &world.server;
    let summary = format!("{label}: the router reboots at midnight");
    let email = fresh_email(label);
    let case = open_case(
        server,
        &tenant.customer,
        Some(&tenant.engineer),
        &summary,
        &email,
    )
    .await;
    let workspace = transfers::open_workspace(server, &tenant.engineer, &case).await;
    let customer = server.as_actor(&tenant.customer).await;
    let file_data = transfers::random(150_000);
    let file = transfers::upload(&customer, &workspace, &format!("{label}.pcap"), &file_data)
        .await
        .file_id;
    let engineer = server.as_actor(&tenant.engineer).await;
    let recording_data = recordings::content(120_000);
    let declared = recordings::metadata(&case, RecordingKind::Phone, &recording_data);
    let recording = recordings::import(&engineer, declared, &recording_data)
        .await
        .expect("the assigned engineer imports a call")
        .recording_id;
    let closed = customer
        .cases()
        .close_case(CloseCaseRequest {
            case_id: case.clone(),
        })
        .await
        .expect("the customer closes the case")
        .into_inner();
    Stocked {
        case,
        summary,
        workspace,
        file,
        file_data,
        recording,
        recording_data,
        closed_at: closed.closed_at.expect("a closed case has closed_at"),
    }
}

/// Opens and closes a case of `tenant` with nothing stored in it; returns its id and
/// when it closed.
pub async fn closed_case(
    world: &World,
    tenant: &TenantWorld,
    label: &str,
) -> (String, prost_types::Timestamp) {
    let case = open_case(
        &world.server,
        &tenant.customer,
        Some(&tenant.engineer),
        &format!("{label}: the printer jams"),
        &fresh_email(label),
    )
    .await;
    let closed = world
        .server
        .as_actor(&tenant.customer)
        .await
        .cases()
        .close_case(CloseCaseRequest {
            case_id: case.clone(),
        })
        .await
        .expect("the customer closes the case")
        .into_inner();
    (case, closed.closed_at.expect("closed_at"))
}

/// Sets `tenant`'s retention period, as the admin.
pub async fn set_retention(
    world: &World,
    tenant: &str,
    seconds: u64,
) -> Result<TenantSettings, Status> {
    let request = SetTenantSettingsRequest {
        tenant_id: tenant.into(),
        legal_contact: None,
        customer_data_retention_seconds: Some(seconds),
    };
    set_settings(world, &world.admin, request).await
}

pub async fn set_settings(
    world: &World,
    actor: &Actor,
    request: SetTenantSettingsRequest,
) -> Result<TenantSettings, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .admin()
        .set_tenant_settings(request)
        .await
        .map(tonic::Response::into_inner)
}

pub async fn get_settings(
    world: &World,
    actor: &Actor,
    tenant: &str,
) -> Result<TenantSettings, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .admin()
        .get_tenant_settings(GetTenantSettingsRequest {
            tenant_id: tenant.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// RunRetention as `actor` over `tenant` (empty = every tenant).
pub async fn run_retention_as(
    world: &World,
    actor: &Actor,
    tenant: &str,
    dry_run: bool,
    as_of: Option<DateTime<Utc>>,
) -> Result<RunRetentionResponse, Status> {
    let request = RunRetentionRequest {
        tenant_id: tenant.into(),
        dry_run,
        as_of: as_of.map(ts),
    };
    world
        .server
        .as_actor(actor)
        .await
        .admin()
        .run_retention(request)
        .await
        .map(tonic::Response::into_inner)
}

/// RunRetention now, over every tenant, as the admin.
pub async fn run_retention(world: &World, dry_run: bool) -> RunRetentionResponse {
    run_retention_as(world, &world.admin, "", dry_run, None)
        .await
        .unwrap_or_else(|s| panic!("RunRetention (dry run: {dry_run}): {s:?}"))
}

/// The (case, held_by) pairs a retention run reported, in its order.
pub fn reported(response: &RunRetentionResponse) -> Vec<(String, String)> {
    response
        .cases
        .iter()
        .map(|c| (c.case_id.clone(), c.held_by.clone()))
        .collect()
}

pub async fn set_hold(
    world: &World,
    actor: &Actor,
    request: SetLegalHoldRequest,
) -> Result<LegalHold, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .legal()
        .set_legal_hold(request)
        .await
        .map(tonic::Response::into_inner)
}

/// Counsel places a hold on `case`.
pub async fn hold_case(world: &World, case: &str, reason: &str) -> LegalHold {
    let request = SetLegalHoldRequest {
        tenant_id: String::new(),
        case_id: case.into(),
        reason: reason.into(),
        request_id: String::new(),
    };
    set_hold(world, &world.counsel, request)
        .await
        .unwrap_or_else(|s| panic!("counsel places a hold on {case}: {s:?}"))
}

/// Counsel places a hold on every case of `tenant`.
pub async fn hold_tenant(world: &World, tenant: &str, reason: &str) -> LegalHold {
    let request = SetLegalHoldRequest {
        tenant_id: tenant.into(),
        case_id: String::new(),
        reason: reason.into(),
        request_id: String::new(),
    };
    set_hold(world, &world.counsel, request)
        .await
        .unwrap_or_else(|s| panic!("counsel places a hold on tenant {tenant}: {s:?}"))
}

pub async fn clear_hold(
    world: &World,
    actor: &Actor,
    hold: &str,
    reason: &str,
) -> Result<LegalHold, Status> {
    world
        .server
        .as_actor(actor)
        .await
        .legal()
        .clear_legal_hold(ClearLegalHoldRequest {
            hold_id: hold.into(),
            reason: reason.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Every hold matching `filter`, every page, as `actor`.
pub async fn list_holds(
    world: &World,
    actor: &Actor,
    filter: ListLegalHoldsRequest,
) -> Result<Vec<LegalHold>, Status> {
    let mut legal = world.server.as_actor(actor).await.legal();
    let mut request = filter;
    let mut holds = Vec::new();
    loop {
        let page = legal.list_legal_holds(request.clone()).await?.into_inner();
        holds.extend(page.holds);
        if page.next_page_token.is_empty() {
            return Ok(holds);
        }
        request.page_token = page.next_page_token;
    }
}

/// `actor` reads `case` for support.
pub async fn get_case(server: &TestServer, actor: &Actor, case: &str) -> Result<CaseView, Status> {
    server
        .as_actor(actor)
        .await
        .cases()
        .get_case(GetCaseRequest {
            case_id: case.into(),
            purpose: Purpose::ProvideSupport.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The metadata of `case` as `actor` lists it.
pub async fn case_meta(server: &TestServer, actor: &Actor, case: &str) -> proto::Case {
    let mut cases = server.as_actor(actor).await.cases();
    let mut request = ListCasesRequest {
        page_size: 100,
        ..Default::default()
    };
    loop {
        let page = cases
            .list_cases(request.clone())
            .await
            .expect("ListCases")
            .into_inner();
        if let Some(found) = page.cases.into_iter().find(|c| c.case_id == case) {
            return found;
        }
        assert!(
            !page.next_page_token.is_empty(),
            "{} does not list {case}",
            actor.name
        );
        request.page_token = page.next_page_token;
    }
}

/// The whole content of file `file`, downloaded by `actor` for support.
pub async fn file_content(
    server: &TestServer,
    actor: &Actor,
    file: &str,
) -> Result<Vec<u8>, Status> {
    let clients = server.as_actor(actor).await;
    transfers::download(&clients, file, Purpose::ProvideSupport, None)
        .await
        .map(|(_, data)| data)
}

/// The whole content of recording `recording`, downloaded by `actor` for support.
pub async fn recording_content(
    server: &TestServer,
    actor: &Actor,
    recording: &str,
) -> Result<Vec<u8>, Status> {
    let clients = server.as_actor(actor).await;
    recordings::download(&clients, recording, recordings::PROVIDE, None)
        .await
        .map(|(_, data)| data)
}

/// Asserts the file and the recording of `stocked` download byte-identical, and its
/// summary still reads, as the tenant's engineer.
pub async fn assert_intact(world: &World, engineer: &Actor, stocked: &Stocked, when: &str) {
    let server = &world.server;
    let file = file_content(server, engineer, &stocked.file)
        .await
        .unwrap_or_else(|s| panic!("{when}: the file of {} downloads: {s:?}", stocked.case));
    assert!(
        file == stocked.file_data,
        "{when}: the file is byte-identical"
    );
    let recording = recording_content(server, engineer, &stocked.recording)
        .await
        .unwrap_or_else(|s| panic!("{when}: the recording of {} downloads: {s:?}", stocked.case));
    assert!(
        recording == stocked.recording_data,
        "{when}: the recording is byte-identical"
    );
    let view = get_case(server, engineer, &stocked.case)
        .await
        .unwrap_or_else(|s| panic!("{when}: {} reads: {s:?}", stocked.case));
    assert_eq!(
        view.summary, stocked.summary,
        "{when}: the summary is intact"
    );
    let meta = view.case.expect("the case's metadata");
    assert_eq!(
        meta.purged_at, None,
        "{when}: {} is not purged",
        stocked.case
    );
}

/// The integer `sql` yields (0..=16), read through the harness's raw SQL door.
pub async fn sql_count(server: &TestServer, sql: &str) -> i64 {
    for n in 0..=16 {
        if transfers::sql_count_is(server, sql, n).await {
            return n;
        }
    }
    panic!("{sql} yields no count between 0 and 16");
}

/// How many `object_keys` rows (wrapped data keys) exist for `object`.
pub async fn object_keys(server: &TestServer, object: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM object_keys WHERE object_id = '{object}'");
    sql_count(server, &sql).await
}

/// A copy, taken in the database itself, of the sealed customer-data columns of a
/// stocked case: its summary, its file's name and media type, its recording's title
/// and description.
pub struct SealedSnapshot {
    table: String,
    case: String,
    file: String,
    recording: String,
}

impl SealedSnapshot {
    pub async fn take(server: &TestServer, stocked: &Stocked) -> SealedSnapshot {
        let table = format!("sealed_{}", uuid::Uuid::new_v4().simple());
        let (case, file, recording) = (&stocked.case, &stocked.file, &stocked.recording);
        let create = format!(
            "CREATE TABLE {table} AS \
             SELECT 'summary' AS what, summary_sealed AS sealed FROM cases WHERE id = '{case}' \
             UNION ALL SELECT 'name', name_sealed FROM uploads WHERE file_id = '{file}' \
             UNION ALL SELECT 'media_type', media_type_sealed FROM uploads WHERE file_id = '{file}' \
             UNION ALL SELECT 'title', title_sealed FROM recordings WHERE id = '{recording}' \
             UNION ALL SELECT 'description', description_sealed FROM recordings WHERE id = '{recording}'"
        );
        server.sql(&[&create]).await;
        let snapshot = SealedSnapshot {
            table,
            case: case.clone(),
            file: file.clone(),
            recording: recording.clone(),
        };
        let taken = format!(
            "SELECT COUNT(*) FROM {} WHERE sealed IS NOT NULL",
            snapshot.table
        );
        assert_eq!(
            sql_count(server, &taken).await,
            5,
            "the five sealed columns of {case} hold ciphertext"
        );
        snapshot
    }

    /// How many of the five sealed columns still hold exactly what they held when the
    /// snapshot was taken.
    pub async fn unchanged(&self, server: &TestServer) -> i64 {
        let (t, case, file, recording) = (&self.table, &self.case, &self.file, &self.recording);
        let sql = format!(
            "SELECT COUNT(*) FROM {t} s WHERE \
             (s.what = 'summary' AND s.sealed = (SELECT summary_sealed FROM cases WHERE id = '{case}')) \
             OR (s.what = 'name' AND s.sealed = (SELECT name_sealed FROM uploads WHERE file_id = '{file}')) \
             OR (s.what = 'media_type' AND s.sealed = (SELECT media_type_sealed FROM uploads WHERE file_id = '{file}')) \
             OR (s.what = 'title' AND s.sealed = (SELECT title_sealed FROM recordings WHERE id = '{recording}')) \
             OR (s.what = 'description' AND s.sealed = (SELECT description_sealed FROM recordings WHERE id = '{recording}'))"
        );
        sql_count(server, &sql).await
    }
}

/// Where the blob store keeps a file's content.
pub fn file_blob(blobs: &Path, tenant: &str, file: &str) -> PathBuf {
    blobs.join("files").join(tenant).join(file)
}

/// Where the blob store keeps a recording's content.
pub fn recording_blob(blobs: &Path, tenant: &str, recording: &str) -> PathBuf {
    blobs.join("recordings").join(tenant).join(recording)
}

/// Copies the directory tree `from` into `to` (created), as a backup would.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// Every access-log entry with `action` about `case`.
pub async fn entries(world: &World, action: &str, case: &str) -> Vec<AccessLogEntry> {
    world
        .log(ListEntriesRequest {
            action: action.into(),
            case_id: case.into(),
            ..Default::default()
        })
        .await
}

/// Asserts Verify over the whole log finds no problem.
pub async fn assert_log_verifies(world: &World) {
    let report = world
        .server
        .as_actor(&world.reviewer)
        .await
        .log()
        .verify(VerifyRequest { range: None })
        .await
        .expect("Verify answers")
        .into_inner();
    assert!(report.ok, "the access log verifies: {:?}", report.problems);
    assert!(report.problems.is_empty());
    assert!(report.entries_checked > 0);
}
