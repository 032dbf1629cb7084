//! The role gate covers every RPC: each RPC of the descriptor set has exactly one rule
//! in `RPC_RULES` (and no rule names an RPC that does not exist); every role outside an
//! RPC's rule is refused with `PERMISSION_DENIED`/`ROLE_DENIED` and the refusal is in
//! the access log; every role inside it gets past the gate; a call without a credential
//! is `UNAUTHENTICATED`/`CREDENTIAL_REQUIRED` on every RPC.
//!
//! Driven by the descriptor set, so a new RPC is tested (and must have a rule) the day
//! it is added.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use bytes::Bytes;
use supportgate::proto::{AccessLogEntry, Decision, ListEntriesRequest, Role as ProtoRole};
use supportgate::server::authz::{rule, RpcRule, RPC_RULES};
use supportgate_testkit::{backend_tests, Backend};
use supportgate_types::Role;
use tonic::{Code, Status};

use crate::harness::raw::{all_rpcs, call, Rpc};
use crate::harness::{reason, Actor, Clients, TestServer, World};

/// Long enough for any refusal; a call that hangs is a failure, not a stuck test.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The policy's role for a wire role, by name (not through the server's own mapping).
fn role_of(role: ProtoRole) -> Role {
    let name = role
        .as_str_name()
        .trim_start_matches("ROLE_")
        .to_lowercase();
    Role::parse(&name).unwrap_or_else(|e| panic!("{e}"))
}

/// Calls `rpc` with an empty message; a hang becomes `DEADLINE_EXCEEDED`.
async fn call_empty(clients: &Clients, rpc: &Rpc) -> Result<Option<Bytes>, Status> {
    tokio::time::timeout(CALL_TIMEOUT, call(clients, rpc, Bytes::new()))
        .await
        .unwrap_or_else(|_| Err(Status::deadline_exceeded("the test gave up waiting")))
}

fn rule_for(rpc: &Rpc) -> &'static RpcRule {
    rule(&rpc.path).unwrap_or_else(|| panic!("{} has no rule in RPC_RULES", rpc.path))
}

/// Access-log entries grouped by (subject, action), denials for `reason` only.
fn denials(
    log: Vec<AccessLogEntry>,
    reason: &str,
) -> HashMap<(String, String), Vec<AccessLogEntry>> {
    let mut grouped: HashMap<(String, String), Vec<AccessLogEntry>> = HashMap::new();
    for entry in log.into_iter().filter(|e| e.reason == reason) {
        grouped
            .entry((entry.subject_id.clone(), entry.action.clone()))
            .or_default()
            .push(entry);
    }
    grouped
}

/// Every entry of the access log, page by page, read as `reviewer`.
async fn whole_log(reviewer: &Clients) -> Vec<AccessLogEntry> {
    let mut log = reviewer.log();
    let mut request = ListEntriesRequest::default();
    let mut entries = Vec::new();
    loop {
        let page = log
            .list_entries(request.clone())
            .await
            .unwrap()
            .into_inner();
        entries.extend(page.entries);
        if page.next_page_token.is_empty() {
            return entries;
        }
        request.page_token = page.next_page_token;
    }
}

/// What no role allowed past the gate should see from an empty message.
fn gate_or_server_fault(status: &Status) -> bool {
    let faults = [
        Code::Unauthenticated,
        Code::DeadlineExceeded,
        Code::Internal,
        Code::Unknown,
    ];
    reason(status).as_deref() == Some("ROLE_DENIED") || faults.contains(&status.code())
}

#[test]
fn every_rpc_in_the_descriptor_set_has_exactly_one_rule_and_every_rule_names_a_real_rpc() {
    let rpcs: BTreeSet<String> = all_rpcs().into_iter().map(|r| r.path).collect();
    let rules: Vec<&str> = RPC_RULES.iter().map(|r| r.path).collect();
    let ruled: BTreeSet<&str> = rules.iter().copied().collect();
    let missing: Vec<&String> = rpcs
        .iter()
        .filter(|p| !ruled.contains(p.as_str()))
        .collect();
    let stale: Vec<&&str> = ruled.iter().filter(|p| !rpcs.contains(**p)).collect();
    assert!(
        missing.is_empty(),
        "RPCs with no rule in RPC_RULES: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "RPC_RULES names RPCs that do not exist: {stale:?}"
    );
    assert_eq!(rules.len(), ruled.len(), "an RPC has two rules: {rules:?}");
    let actions: BTreeSet<&str> = RPC_RULES.iter().map(|r| r.action).collect();
    assert_eq!(
        actions.len(),
        RPC_RULES.len(),
        "two RPCs share an action name"
    );
    assert!(
        rpcs.len() > 40,
        "the descriptor set lost its RPCs: {rpcs:?}"
    );
}

/// A refusal by role, to find in the access log.
struct Refusal<'a> {
    actor: &'a Actor,
    rule: &'static RpcRule,
    /// The `x-request-id` the refusal carried.
    request_id: String,
}

/// Calls every RPC as `actor`: roles outside the rule must be refused by role (collected
/// in `refused`), roles inside it must get past the gate.
async fn call_every_rpc_as<'a>(
    world: &World,
    actor: &'a Actor,
    refused: &mut Vec<Refusal<'a>>,
    failures: &mut Vec<String>,
) {
    let clients = world.server.as_actor(actor).await;
    let role = role_of(actor.role);
    for rpc in all_rpcs() {
        let rule = rule_for(&rpc);
        let result = call_empty(&clients, &rpc).await;
        let got = result.as_ref().err().map(|s| (s.code(), reason(s)));
        let who = format!("{} as {} ({role})", rpc.path, actor.name);
        if rule.roles.contains(&role) {
            if result.as_ref().is_err_and(gate_or_server_fault) {
                failures.push(format!("{who}: allowed by the rule, got {got:?}"));
            }
            continue;
        }
        let status = match result {
            Err(status) if got == Some((Code::PermissionDenied, Some("ROLE_DENIED".into()))) => {
                status
            }
            _ => {
                failures.push(format!(
                    "{who}: expected PermissionDenied ROLE_DENIED, got {got:?}"
                ));
                continue;
            }
        };
        match status.metadata().get("x-request-id").map(|v| v.to_str()) {
            Some(Ok(id)) => refused.push(Refusal {
                actor,
                rule,
                request_id: id.to_owned(),
            }),
            _ => failures.push(format!("{who}: the refusal carries no x-request-id")),
        }
    }
}

/// Each refusal has exactly one `ROLE_DENIED` entry for its caller and action, with the
/// caller's role and tenant and the refusal's request id; no other call has one.
fn check_refusals_logged(
    refused: &[Refusal<'_>],
    log: Vec<AccessLogEntry>,
    failures: &mut Vec<String>,
) {
    let mut logged = denials(log, "ROLE_DENIED");
    for Refusal {
        actor,
        rule,
        request_id,
    } in refused
    {
        let key = (actor.subject_id.clone(), rule.action.to_owned());
        let entries = logged.remove(&key).unwrap_or_default();
        let what = format!("{} refused {}", rule.path, actor.name);
        let [entry] = entries.as_slice() else {
            failures.push(format!(
                "{what}: {} log entries: {entries:?}",
                entries.len()
            ));
            continue;
        };
        let tenant = actor.tenant_id.clone().unwrap_or_default();
        let expected = (Ok(Decision::Denied), actor.role as i32, &tenant, request_id);
        let actual = (
            Decision::try_from(entry.decision),
            entry.role,
            &entry.tenant_id,
            &entry.request_id,
        );
        if actual != expected {
            failures.push(format!("{what}: log entry {entry:?}"));
        }
    }
    let unexpected = logged.values().flatten();
    failures.extend(unexpected.map(|e| format!("ROLE_DENIED logged for no refusal seen: {e:?}")));
}

async fn every_role_on_every_rpc(backend: Backend) {
    let world = World::build(backend).await;
    let acme = &world.acme;
    let actors: [&Actor; 11] = [
        &acme.customer,
        &acme.agent,
        &acme.engineer,
        &acme.quality,
        &acme.communications,
        &acme.sales,
        &acme.reviewer,
        &world.reviewer,
        &world.counsel,
        &world.agency,
        &world.admin,
    ];
    let roles: BTreeSet<Role> = actors.iter().map(|a| role_of(a.role)).collect();
    assert_eq!(roles.len(), Role::ALL.len(), "every role calls");
    let mut failures = Vec::new();
    let mut refused = Vec::new();
    for actor in actors {
        call_every_rpc_as(&world, actor, &mut refused, &mut failures).await;
    }
    let log = world.log(ListEntriesRequest::default()).await;
    check_refusals_logged(&refused, log, &mut failures);
    let count = failures.len();
    assert!(
        failures.is_empty(),
        "{count} failures:\n{}",
        failures.join("\n")
    );
}

async fn every_rpc_without_a_credential(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anonymous = Clients::new(server.channel().await, None);
    let expected = (
        Code::Unauthenticated,
        Some("CREDENTIAL_REQUIRED".to_owned()),
    );
    let mut failures = Vec::new();
    for rpc in all_rpcs() {
        let result = call_empty(&anonymous, &rpc).await;
        let got = result.err().map(|s| (s.code(), reason(&s)));
        if got.as_ref() != Some(&expected) {
            failures.push(format!("{}: expected {expected:?}, got {got:?}", rpc.path));
        }
    }
    let reviewer = server
        .create_subject(None, ProtoRole::ComplianceReviewer, "rex")
        .await;
    let log = whole_log(&server.as_actor(&reviewer).await).await;
    let logged = denials(log, "CREDENTIAL_REQUIRED");
    for rpc in all_rpcs() {
        let action = rule_for(&rpc).action;
        let key = (String::new(), action.to_owned());
        let found = logged.get(&key).map_or(0, Vec::len);
        if found != 1 {
            failures.push(format!(
                "{}: {found} anonymous refusals of {action} logged",
                rpc.path
            ));
        }
    }
    let count = failures.len();
    assert!(
        failures.is_empty(),
        "{count} failures:\n{}",
        failures.join("\n")
    );
}

backend_tests! {
    async fn every_role_outside_an_rpcs_rule_is_refused_by_role_and_the_refusal_is_logged(backend: Backend) {
        every_role_on_every_rpc(backend).await
    }

    async fn a_call_without_a_credential_is_unauthenticated_on_every_rpc_and_logged(backend: Backend) {
        every_rpc_without_a_credential(backend).await
    }
}
