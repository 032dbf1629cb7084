//! The data-use chart (DESIGN section 3) as the running server enforces it: every role
//! × every purpose (none, the eight named ones, one the gateway does not know) × data
//! class × context (assigned, unassigned, opted-out contact, another tenant's case),
//! rendered as a table and compared with `output/data-use-chart.txt` on every run, on
//! both engines. Every call, allowed or denied, must have left its own access-log entry.
//!
//! `SUPPORTGATE_UPDATE_GOLDEN=1` rewrites the table instead of comparing it: read the
//! diff cell by cell against DESIGN before committing it.

use std::collections::{BTreeSet, HashMap};

use supportgate::proto::{
    AccessLogEntry, Decision, GetCaseRequest, GetContactRequest, ListEntriesRequest, Purpose,
};
use supportgate_testkit::{backend_tests, Backend};
use tonic::{Request, Status};

use crate::harness::{reason, Actor, Clients, World};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/integration/output/data-use-chart.txt"
);
const UPDATE: &str = "SUPPORTGATE_UPDATE_GOLDEN";
/// A purpose value no version of the API defines.
const UNKNOWN_PURPOSE: i32 = 99;

const HEADER: &str = "\
# The data-use chart (DESIGN section 3) as the running gateway enforces it.
# Rendered by tests/integration/data_use_chart.rs on SQLite and PostgreSQL alike;
# SUPPORTGATE_UPDATE_GOLDEN=1 rewrites it. Never edit it by hand.
#
# caller        the caller's role; (acme) = a subject of tenant acme, (provider) = no tenant
# purpose       the purpose named in the request; UNSPECIFIED = none, 99 = a value the gateway does not know
# class         customer = CaseService/GetCase (summary and contact), contact = ContactService/GetContact
# assigned      acme's case; a support_engineer caller is assigned to it
# unassigned    acme's case; a support_engineer caller is another acme engineer, not assigned to it
# opted-out     acme's case whose contact opted out of communications (the engineer is assigned)
# other-tenant  globex's case (the engineer is the one assigned to acme's cases)
# For every caller but support_engineer, assigned and unassigned are the same call.
# A cell is `allow` or `deny <gRPC code> <ErrorInfo reason>`.
";

/// The two data classes and the RPC that reads each.
#[derive(Clone, Copy, Debug)]
enum Class {
    Customer,
    Contact,
}

impl Class {
    const ALL: [Class; 2] = [Class::Customer, Class::Contact];

    fn name(self) -> &'static str {
        match self {
            Class::Customer => "customer",
            Class::Contact => "contact",
        }
    }

    /// The action of the first access-log entry the read makes.
    fn action(self) -> &'static str {
        match self {
            Class::Customer => "case.get",
            Class::Contact => "contact.get",
        }
    }
}

/// One column: a case, what it holds, and whether the caller is the "unassigned" one.
struct Target {
    column: &'static str,
    case: String,
    summary: String,
    email: String,
    unassigned_caller: bool,
}

/// The four contexts, as the world's cases (the texts are those `World` opens them with).
fn targets(world: &World) -> Vec<Target> {
    let (acme, globex) = (&world.acme, &world.globex);
    let vpn = |t: &str| {
        (
            format!("{t}: VPN drops every hour"),
            format!("carol@{t}.example"),
        )
    };
    let fire = ("acme: printer on fire".into(), "otto@acme.example".into());
    [
        ("assigned", &acme.case, vpn("acme"), false),
        ("unassigned", &acme.case, vpn("acme"), true),
        ("opted-out", &acme.opted_out_case, fire, false),
        ("other-tenant", &globex.case, vpn("globex"), false),
    ]
    .into_iter()
    .map(
        |(column, case, (summary, email), unassigned_caller)| Target {
            column,
            case: case.clone(),
            summary,
            email,
            unassigned_caller,
        },
    )
    .collect()
}

/// Every purpose a request can carry: none, every named value, and an unknown one.
fn purposes() -> Vec<(String, i32)> {
    let named: Vec<Purpose> = (0..UNKNOWN_PURPOSE)
        .filter_map(|v| Purpose::try_from(v).ok())
        .collect();
    assert_eq!(
        named.len(),
        9,
        "UNSPECIFIED and eight named purposes: {named:?}"
    );
    let mut all: Vec<(String, i32)> = named
        .into_iter()
        .map(|p| {
            (
                p.as_str_name().trim_start_matches("PURPOSE_").into(),
                p as i32,
            )
        })
        .collect();
    all.push((UNKNOWN_PURPOSE.to_string(), UNKNOWN_PURPOSE));
    all
}

/// One row group: a role, and who plays it in the "unassigned" column.
struct Caller<'a> {
    label: String,
    usual: &'a Actor,
    unassigned: &'a Actor,
}

fn label(actor: &Actor) -> String {
    let role = actor
        .role
        .as_str_name()
        .trim_start_matches("ROLE_")
        .to_lowercase();
    let scope = if actor.tenant_id.is_some() {
        "acme"
    } else {
        "provider"
    };
    format!("{role} ({scope})")
}

/// Every role, in the order of the `Role` enum; both compliance reviewers.
fn callers(world: &World) -> Vec<Caller<'_>> {
    let acme = &world.acme;
    let alone = [
        &acme.customer,
        &acme.agent,
        &acme.quality,
        &acme.communications,
        &acme.sales,
        &acme.reviewer,
        &world.reviewer,
        &world.counsel,
        &world.agency,
        &world.admin,
    ];
    let mut pairs: Vec<(&Actor, &Actor)> = alone.into_iter().map(|a| (a, a)).collect();
    pairs.push((&acme.engineer, &acme.other_engineer));
    pairs.sort_by_key(|(actor, _)| actor.role as i32);
    let roles: BTreeSet<i32> = pairs.iter().map(|(a, _)| a.role as i32).collect();
    assert_eq!(
        roles,
        (1..=10).collect(),
        "every one of the ten roles calls"
    );
    pairs
        .into_iter()
        .map(|(usual, unassigned)| Caller {
            label: label(usual),
            usual,
            unassigned,
        })
        .collect()
}

/// A call to check in the access log afterwards.
struct Call {
    what: String,
    request_id: String,
    subject_id: String,
    action: &'static str,
    purpose: i32,
    denied_reason: Option<String>,
}

fn with_request_id<T>(message: T, request_id: &str) -> Request<T> {
    let mut request = Request::new(message);
    let value = request_id.parse().expect("a uuid is a header value");
    request.metadata_mut().insert("x-request-id", value);
    request
}

/// Reads `class` of `target`; an allowed read must return that very case's data.
async fn read(
    clients: &Clients,
    class: Class,
    target: &Target,
    purpose: i32,
    request_id: &str,
) -> Result<(), Status> {
    let case_id = target.case.clone();
    match class {
        Class::Customer => {
            let request = with_request_id(GetCaseRequest { case_id, purpose }, request_id);
            let view = clients.cases().get_case(request).await?.into_inner();
            let email = view.contact.map(|c| c.email);
            assert_eq!(
                (view.summary, email),
                (target.summary.clone(), Some(target.email.clone())),
                "GetCase released other data than {}'s",
                target.case
            );
        }
        Class::Contact => {
            let request = with_request_id(GetContactRequest { case_id, purpose }, request_id);
            let contact = clients.contacts().get_contact(request).await?.into_inner();
            let case = &target.case;
            assert_eq!(
                contact.email, target.email,
                "GetContact released another contact than {case}'s"
            );
        }
    }
    Ok(())
}

/// `PermissionDenied` -> `PERMISSION_DENIED`.
fn code_name(status: &Status) -> String {
    let mut name = String::new();
    for (i, c) in format!("{:?}", status.code()).chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

fn cell(result: &Result<(), Status>) -> String {
    match result {
        Ok(()) => "allow".into(),
        Err(status) => {
            let reason = reason(status).unwrap_or_else(|| "(no reason)".into());
            format!("deny {} {reason}", code_name(status))
        }
    }
}

/// Lays rows out in columns as wide as their widest cell.
fn render(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut text = HEADER.to_owned();
    text.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// Compares `actual` with the golden file, or rewrites it when asked to.
fn compare_with_golden(actual: &str, backend: Backend) {
    if std::env::var(UPDATE).is_ok_and(|v| v == "1") {
        let tmp = format!("{GOLDEN}.{backend:?}.tmp");
        std::fs::create_dir_all(std::path::Path::new(GOLDEN).parent().unwrap()).unwrap();
        std::fs::write(&tmp, actual).unwrap();
        std::fs::rename(&tmp, GOLDEN).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(GOLDEN)
        .unwrap_or_else(|e| panic!("{GOLDEN}: {e}; run with {UPDATE}=1 to create it"));
    let changed: Vec<String> = expected
        .lines()
        .zip(actual.lines())
        .filter(|(e, a)| e != a)
        .map(|(e, a)| format!("- {e}\n+ {a}"))
        .collect();
    assert!(
        expected == actual,
        "the data-use chart on {backend:?} differs from {GOLDEN} ({} vs {} lines):\n{}\n\
         if the change is intended, rerun with {UPDATE}=1 and review the diff",
        expected.lines().count(),
        actual.lines().count(),
        changed.join("\n"),
    );
}

/// Every call has log entries under its request id, by its caller, about its data, and
/// a denial's last entry is a denial for the reason the caller was given.
fn check_log(calls: &[Call], log: Vec<AccessLogEntry>) {
    let mut by_request: HashMap<String, Vec<AccessLogEntry>> = HashMap::new();
    for entry in log {
        by_request
            .entry(entry.request_id.clone())
            .or_default()
            .push(entry);
    }
    for call in calls {
        let what = &call.what;
        let mut entries = by_request.remove(&call.request_id).unwrap_or_default();
        entries.sort_by_key(|e| e.sequence);
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            panic!(
                "{what}: no access-log entry for request {}",
                call.request_id
            );
        };
        assert_eq!(first.action, call.action, "{what}: {entries:?}");
        let logged_purpose = Purpose::try_from(call.purpose).map_or(0, |p| p as i32);
        for entry in &entries {
            assert_eq!(entry.subject_id, call.subject_id, "{what}: {entry:?}");
            assert_eq!(entry.purpose, logged_purpose, "{what}: {entry:?}");
        }
        match &call.denied_reason {
            None => assert!(
                entries
                    .iter()
                    .all(|e| e.decision == Decision::Allowed as i32),
                "{what}: allowed, yet logged {entries:?}"
            ),
            Some(reason) => assert_eq!(
                (Decision::try_from(last.decision), &last.reason),
                (Ok(Decision::Denied), reason),
                "{what}: {entries:?}"
            ),
        }
    }
}

/// One row: `caller` reads `class` for `purpose` in every context.
async fn row(
    caller: &Caller<'_>,
    clients: (&Clients, &Clients),
    targets: &[Target],
    (purpose_name, purpose): (&str, i32),
    class: Class,
    calls: &mut Vec<Call>,
) -> Vec<String> {
    let mut row = vec![
        caller.label.clone(),
        purpose_name.into(),
        class.name().into(),
    ];
    for target in targets {
        let (actor, clients) = match target.unassigned_caller {
            false => (caller.usual, clients.0),
            true => (caller.unassigned, clients.1),
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let result = read(clients, class, target, purpose, &request_id).await;
        row.push(cell(&result));
        calls.push(Call {
            what: format!(
                "{} {purpose_name} {} {}",
                actor.name,
                class.name(),
                target.column
            ),
            request_id,
            subject_id: actor.subject_id.clone(),
            action: class.action(),
            purpose,
            denied_reason: result.err().map(|s| reason(&s).unwrap_or_default()),
        });
    }
    row
}

/// Drives the whole chart; returns its rows (a header first) and every call made.
async fn drive(world: &World) -> (Vec<Vec<String>>, Vec<Call>) {
    let targets = targets(world);
    let header = ["caller", "purpose", "class"].into_iter().map(String::from);
    let columns = targets.iter().map(|t| t.column.to_string());
    let mut rows = vec![header.chain(columns).collect()];
    let mut calls = Vec::new();
    for caller in callers(world) {
        let usual = world.server.as_actor(caller.usual).await;
        let unassigned = world.server.as_actor(caller.unassigned).await;
        for (name, purpose) in purposes() {
            for class in Class::ALL {
                let clients = (&usual, &unassigned);
                let purpose = (name.as_str(), purpose);
                rows.push(row(&caller, clients, &targets, purpose, class, &mut calls).await);
            }
        }
    }
    (rows, calls)
}

backend_tests! {
    async fn every_role_purpose_class_and_context_matches_the_golden_chart_and_is_logged(backend: Backend) {
        let world = World::build(backend).await;
        let (rows, calls) = drive(&world).await;
        compare_with_golden(&render(&rows), backend);
        check_log(&calls, world.log(ListEntriesRequest::default()).await);
    }
}
