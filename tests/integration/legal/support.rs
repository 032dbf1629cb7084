//! What every part of the legal tests shares: a world with a second legal counsel and
//! the order's age identity, the messages of each step, one-line wrappers around each
//! LegalService call, a reader of production streams that decrypts what they carry,
//! and the access-log checks every refusal needs.

use std::io::Read;

use age::x25519::Identity;
use chrono::Datelike;
use supportgate::proto::{
    legal_target::Target, produce_response::Part, AccessLogEntry, AcknowledgeNotificationRequest,
    ApproveCompulsionRequest, DataClass, Decision, GetRequestRequest, LegalContact, LegalItemKind,
    LegalRequest, LegalScope, LegalTarget, ListEntriesRequest, ListNotificationsRequest,
    ListRequestsRequest, Notification, NotificationKind, ProduceRequest, ProducedItem,
    ProductionManifest, ProductionSummary, Purpose, RecordCompulsionRequest,
    RecordCustomerNoticeRequest, RecordNonDisclosureRequest, Role, SetTenantSettingsRequest,
    SubmitRequestRequest, SubmitRequestResponse,
};
use supportgate_testkit::Backend;
use supportgate_types::Clock;
use tonic::{IntoRequest, Status};

use crate::harness::{Actor, Clients, World};

/// The action names the legal flow logs under (docs/LEGAL.md).
pub const SUBMIT: &str = "legal.request.submit";
pub const COMPEL: &str = "legal.compulsion.record";
pub const APPROVE: &str = "legal.compulsion.approve";
pub const NON_DISCLOSURE: &str = "legal.non_disclosure.record";
pub const NOTICE: &str = "legal.notice.record";
pub const PRODUCE: &str = "legal.produce";
pub const PRODUCE_ITEM: &str = "legal.produce.item";

/// The purposes as wire values.
pub const COMPELLED: i32 = Purpose::LegalCompelled as i32;

/// A populated gateway with a second legal counsel (so that a compulsion can be
/// approved) and the identity whose recipient every order names.
pub struct Legal {
    pub world: World,
    /// A second, different legal counsel: the approver.
    pub counsel2: Actor,
    /// The private key "the agency" holds; the gateway only ever sees its recipient.
    pub identity: Identity,
}

impl Legal {
    pub async fn build(backend: Backend) -> Legal {
        let world = World::build(backend).await;
        let counsel2 = world
            .server
            .create_subject(None, Role::LegalCounsel, "lars")
            .await;
        Legal {
            world,
            counsel2,
            identity: Identity::generate(),
        }
    }

    /// The order's age X25519 recipient, `age1…`.
    pub fn recipient(&self) -> String {
        recipient_of(&self.identity)
    }

    pub async fn as_actor(&self, actor: &Actor) -> Clients {
        self.world.server.as_actor(actor).await
    }

    /// The gateway's clock as a timestamp, `seconds` later.
    pub fn at(&self, seconds: i64) -> prost_types::Timestamp {
        let now = self.world.server.clock.now();
        prost_types::Timestamp {
            seconds: now.timestamp() + seconds,
            nanos: 0,
        }
    }

    /// The current year of the gateway's clock.
    pub fn year(&self) -> i32 {
        self.world.server.clock.now().year()
    }

    /// The agency submits a request about `tenant`.
    pub async fn submit(&self, tenant: &str) -> SubmitRequestResponse {
        let agency = self.as_actor(&self.world.agency).await;
        submit_request(&agency, submit_message(tenant))
            .await
            .expect("law enforcement submits a request")
    }

    /// The first counsel records a compulsion of `scope` on `request`.
    pub async fn compel(&self, request: &str, scope: LegalScope) -> LegalRequest {
        let counsel = self.as_actor(&self.world.counsel).await;
        let message = compulsion(request, scope, &self.recipient());
        record_compulsion(&counsel, message)
            .await
            .expect("counsel records the compulsion")
    }

    /// The second counsel approves the compulsion pending on `request`.
    pub async fn approve(&self, request: &LegalRequest) -> LegalRequest {
        let counsel2 = self.as_actor(&self.counsel2).await;
        approve_compulsion(&counsel2, approval(request))
            .await
            .expect("the second counsel approves")
    }

    /// The first counsel records a notice with production allowed at once.
    pub async fn notify(&self, request: &str) -> LegalRequest {
        let counsel = self.as_actor(&self.world.counsel).await;
        record_customer_notice(&counsel, notice(request, None))
            .await
            .expect("counsel records the customer notice")
    }

    /// Submit about `tenant`, compel `scope`, approve with the second counsel: the
    /// approved request.
    pub async fn approved(&self, tenant: &str, scope: LegalScope) -> LegalRequest {
        let submitted = self.submit(tenant).await;
        let compelled = self.compel(&submitted.request_id, scope).await;
        self.approve(&compelled).await
    }

    /// An approved request whose customer was told, ready to produce.
    pub async fn ready(&self, tenant: &str, scope: LegalScope) -> LegalRequest {
        let approved = self.approved(tenant, scope).await;
        self.notify(&approved.request_id).await
    }

    /// The first counsel produces `request` under PURPOSE_LEGAL_COMPELLED.
    pub async fn produce(&self, request: &str) -> Production {
        let counsel = self.as_actor(&self.world.counsel).await;
        produce(&counsel, produce_message(request, COMPELLED))
            .await
            .expect("counsel produces")
    }

    /// The request as the first counsel (who sees everything) reads it.
    pub async fn request(&self, request: &str) -> LegalRequest {
        let counsel = self.as_actor(&self.world.counsel).await;
        get_request(&counsel, request)
            .await
            .expect("counsel reads the request")
    }
}

/// The recipient string of `identity`.
pub fn recipient_of(identity: &Identity) -> String {
    identity.to_public().to_string()
}

/// A designated legal contact for `tenant`.
pub fn legal_contact(tenant: &str) -> LegalContact {
    LegalContact {
        name: "Legal Department".into(),
        email: format!("legal@{tenant}.example"),
        phone: "+1 555 0199".into(),
        postal_address: format!("1 Court Street, {tenant} City"),
        organisation: format!("{tenant} Corporation"),
    }
}

/// The admin sets `tenant`'s designated legal contact.
pub async fn set_legal_contact(world: &World, tenant: &str, contact: LegalContact) {
    let request = SetTenantSettingsRequest {
        tenant_id: tenant.into(),
        legal_contact: Some(contact),
        customer_data_retention_seconds: None,
    };
    world
        .server
        .admin()
        .await
        .admin()
        .set_tenant_settings(request)
        .await
        .expect("the admin sets the legal contact");
}

/// A complete request about `tenant`.
pub fn submit_message(tenant: &str) -> SubmitRequestRequest {
    SubmitRequestRequest {
        target: Some(LegalTarget {
            target: Some(Target::TenantId(tenant.into())),
        }),
        agency: "Metropolitan Police, Cyber Unit".into(),
        agency_reference: "MPD-2026-4711".into(),
        description: "Records of the customer's VPN support case.".into(),
        legal_basis: "Search warrant under section 12 of the Example Act".into(),
    }
}

/// Items of `case` of `kinds`, limited to `items` when any are named.
pub fn scope(case: &str, kinds: &[LegalItemKind], items: &[&str]) -> LegalScope {
    LegalScope {
        tenant_id: String::new(),
        case_ids: vec![case.into()],
        item_kinds: kinds.iter().map(|k| *k as i32).collect(),
        item_ids: items.iter().map(|i| (*i).to_owned()).collect(),
        since: None,
        until: None,
    }
}

/// The case's metadata and summary only.
pub fn case_scope(case: &str) -> LegalScope {
    scope(case, &[LegalItemKind::Case], &[])
}

/// A complete compulsion of `scope` on `request`, encrypted to `recipient`.
pub fn compulsion(request: &str, scope: LegalScope, recipient: &str) -> RecordCompulsionRequest {
    RecordCompulsionRequest {
        request_id: request.into(),
        order_reference: "Order 26-CR-0815".into(),
        issuing_authority: "District Court of Example County".into(),
        legal_basis: "Section 12 of the Example Act".into(),
        order_date: Some(prost_types::Timestamp {
            seconds: 1_767_139_200,
            nanos: 0,
        }),
        scope: Some(scope),
        recipient_public_key: recipient.into(),
    }
}

/// Approval of the compulsion `request` carries.
pub fn approval(request: &LegalRequest) -> ApproveCompulsionRequest {
    let compulsion = request.compulsion.as_ref().expect("a recorded compulsion");
    ApproveCompulsionRequest {
        request_id: request.request_id.clone(),
        compulsion_id: compulsion.compulsion_id.clone(),
    }
}

pub fn notice(
    request: &str,
    not_before: Option<prost_types::Timestamp>,
) -> RecordCustomerNoticeRequest {
    RecordCustomerNoticeRequest {
        request_id: request.into(),
        message: "Under order 26-CR-0815 we will produce the files of case VPN drops.".into(),
        production_not_before: not_before,
    }
}

pub fn non_disclosure(
    request: &str,
    expires: Option<prost_types::Timestamp>,
) -> RecordNonDisclosureRequest {
    RecordNonDisclosureRequest {
        request_id: request.into(),
        order_reference: "Order 26-CR-0815, paragraph 4".into(),
        expires_at: expires,
    }
}

pub fn produce_message(request: &str, purpose: i32) -> ProduceRequest {
    ProduceRequest {
        request_id: request.into(),
        purpose,
    }
}

pub async fn submit_request(
    clients: &Clients,
    request: impl IntoRequest<SubmitRequestRequest>,
) -> Result<SubmitRequestResponse, Status> {
    let response = clients.legal().submit_request(request).await?;
    Ok(response.into_inner())
}

pub async fn get_request(clients: &Clients, request: &str) -> Result<LegalRequest, Status> {
    let message = GetRequestRequest {
        request_id: request.into(),
    };
    let response = clients.legal().get_request(message).await?;
    Ok(response.into_inner())
}

/// Every request `clients`' actor may list, newest first, every page.
pub async fn list_requests(clients: &Clients) -> Result<Vec<LegalRequest>, Status> {
    list_requests_with(clients, ListRequestsRequest::default()).await
}

/// Every request matching `filter`, every page.
pub async fn list_requests_with(
    clients: &Clients,
    filter: ListRequestsRequest,
) -> Result<Vec<LegalRequest>, Status> {
    let mut request = ListRequestsRequest {
        page_size: 2,
        ..filter
    };
    let mut all = Vec::new();
    loop {
        let page = clients
            .legal()
            .list_requests(request.clone())
            .await?
            .into_inner();
        all.extend(page.requests);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        assert!(all.len() < 1_000, "the listing ends");
        request.page_token = page.next_page_token;
    }
}

/// The ids of every request `clients`' actor may list, in the listed order.
pub async fn listed_ids(clients: &Clients) -> Vec<String> {
    list_requests(clients)
        .await
        .expect("ListRequests")
        .into_iter()
        .map(|r| r.request_id)
        .collect()
}

pub async fn record_compulsion(
    clients: &Clients,
    request: impl IntoRequest<RecordCompulsionRequest>,
) -> Result<LegalRequest, Status> {
    let response = clients.legal().record_compulsion(request).await?;
    Ok(response.into_inner())
}

pub async fn approve_compulsion(
    clients: &Clients,
    request: impl IntoRequest<ApproveCompulsionRequest>,
) -> Result<LegalRequest, Status> {
    let response = clients.legal().approve_compulsion(request).await?;
    Ok(response.into_inner())
}

pub async fn record_non_disclosure(
    clients: &Clients,
    request: impl IntoRequest<RecordNonDisclosureRequest>,
) -> Result<LegalRequest, Status> {
    let response = clients.legal().record_non_disclosure(request).await?;
    Ok(response.into_inner())
}

pub async fn record_customer_notice(
    clients: &Clients,
    request: impl IntoRequest<RecordCustomerNoticeRequest>,
) -> Result<LegalRequest, Status> {
    let response = clients.legal().record_customer_notice(request).await?;
    Ok(response.into_inner())
}

/// Every notification of the caller's tenant (`unacknowledged_only` as given).
pub async fn notifications(
    clients: &Clients,
    unacknowledged_only: bool,
) -> Result<Vec<Notification>, Status> {
    let mut request = ListNotificationsRequest {
        unacknowledged_only,
        page_size: 2,
        page_token: String::new(),
    };
    let mut all = Vec::new();
    loop {
        let page = clients
            .legal()
            .list_notifications(request.clone())
            .await?
            .into_inner();
        all.extend(page.notifications);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        assert!(all.len() < 1_000, "the listing ends");
        request.page_token = page.next_page_token;
    }
}

/// The kinds of the notifications about `request` that `clients`' actor lists.
pub async fn notified(clients: &Clients, request: &str) -> Vec<NotificationKind> {
    let mut kinds: Vec<NotificationKind> = notifications(clients, false)
        .await
        .expect("ListNotifications")
        .into_iter()
        .filter(|n| n.request_id == request)
        .map(|n| n.kind())
        .collect();
    kinds.sort_unstable();
    kinds
}

pub async fn acknowledge(clients: &Clients, notification: &str) -> Result<Notification, Status> {
    let request = AcknowledgeNotificationRequest {
        notification_id: notification.into(),
    };
    let response = clients.legal().acknowledge_notification(request).await?;
    Ok(response.into_inner())
}

/// One produced item: its header and the age file its chunks carried.
#[derive(Debug)]
pub struct Produced {
    pub header: ProducedItem,
    pub encrypted: Vec<u8>,
}

/// A whole production stream, checked for shape: the manifest first, each item's
/// chunks after its header and in order, the summary last.
#[derive(Debug)]
pub struct Production {
    pub manifest: ProductionManifest,
    pub items: Vec<Produced>,
    pub summary: ProductionSummary,
}

impl Production {
    /// The produced item with `id`.
    pub fn item(&self, id: &str) -> &Produced {
        self.items
            .iter()
            .find(|i| i.header.item_id == id)
            .unwrap_or_else(|| panic!("{id} was not produced: {:?}", self.ids()))
    }

    /// The produced item of `kind` (there must be exactly one).
    pub fn of_kind(&self, kind: LegalItemKind) -> &Produced {
        let found: Vec<&Produced> = self
            .items
            .iter()
            .filter(|i| i.header.kind() == kind)
            .collect();
        assert_eq!(found.len(), 1, "one {kind:?} item: {:?}", self.ids());
        found[0]
    }

    /// The produced item ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .items
            .iter()
            .map(|i| i.header.item_id.clone())
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// Runs a production and reads the whole stream; a refusal (on the call or in the
/// stream) is the error.
pub async fn produce(
    clients: &Clients,
    request: impl IntoRequest<ProduceRequest>,
) -> Result<Production, Status> {
    let mut stream = clients.legal().produce(request).await?.into_inner();
    let manifest = match stream.message().await?.and_then(|m| m.part) {
        Some(Part::Manifest(manifest)) => manifest,
        other => panic!("a production starts with its manifest, not {other:?}"),
    };
    let mut items: Vec<Produced> = Vec::new();
    loop {
        match stream.message().await?.and_then(|m| m.part) {
            Some(Part::Item(header)) => items.push(Produced {
                header,
                encrypted: Vec::new(),
            }),
            Some(Part::Chunk(chunk)) => {
                let item = items.last_mut().expect("chunks follow an item header");
                assert_eq!(
                    chunk.offset,
                    item.encrypted.len() as u64,
                    "chunks arrive in order, without gaps"
                );
                item.encrypted.extend_from_slice(&chunk.data);
            }
            Some(Part::Summary(summary)) => {
                let after = stream.message().await?;
                assert!(after.is_none(), "nothing follows the summary: {after:?}");
                return Ok(Production {
                    manifest,
                    items,
                    summary,
                });
            }
            Some(Part::Manifest(m)) => panic!("a second manifest: {m:?}"),
            None => panic!("the production ended without a summary"),
        }
    }
}

/// Decrypts an age file with `identity`.
pub fn decrypt(identity: &Identity, encrypted: &[u8]) -> Result<Vec<u8>, String> {
    let decryptor = age::Decryptor::new(encrypted).map_err(|e| e.to_string())?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| e.to_string())?;
    let mut plaintext = Vec::new();
    reader
        .read_to_end(&mut plaintext)
        .map_err(|e| e.to_string())?;
    Ok(plaintext)
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// Asserts `item` is an age file to `identity` holding exactly `plaintext`, announced
/// by its header; returns the plaintext.
#[track_caller]
pub fn assert_item_holds(
    identity: &Identity,
    item: &Produced,
    plaintext: Option<&[u8]>,
) -> Vec<u8> {
    let header = &item.header;
    assert_eq!(header.encryption, "age", "{header:?}");
    assert!(
        item.encrypted.starts_with(b"age-encryption.org/v1\n"),
        "{} is an age v1 file",
        header.item_id
    );
    let got = decrypt(identity, &item.encrypted)
        .unwrap_or_else(|e| panic!("{} decrypts with the order's identity: {e}", header.item_id));
    if let Some(expected) = plaintext {
        assert!(
            got == expected,
            "{} decrypts to the original bytes",
            header.item_id
        );
    }
    assert_eq!(
        header.sha256.to_vec(),
        sha256(&got),
        "{}: the header's SHA-256 is the plaintext's",
        header.item_id
    );
    assert_eq!(
        header.size,
        got.len() as u64,
        "{}: the header's size is the plaintext's",
        header.item_id
    );
    assert!(
        decrypt(&Identity::generate(), &item.encrypted).is_err(),
        "{} decrypts only with the order's identity",
        header.item_id
    );
    got
}

/// Whether any string anywhere in `value` equals `wanted`.
pub fn json_has_string(value: &serde_json::Value, wanted: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s == wanted,
        serde_json::Value::Array(values) => values.iter().any(|v| json_has_string(v, wanted)),
        serde_json::Value::Object(map) => map.values().any(|v| json_has_string(v, wanted)),
        _ => false,
    }
}

/// Every access-log entry of `action`, as the provider's reviewer lists it.
pub async fn entries(world: &World, action: &str) -> Vec<AccessLogEntry> {
    world
        .log(ListEntriesRequest {
            action: action.into(),
            ..Default::default()
        })
        .await
}

/// Asserts the call tagged `request_id` left a `denied` entry of `action` (with
/// `reason`, when given) in the log.
pub async fn assert_denied(world: &World, action: &str, request_id: &str, reason: Option<&str>) {
    if let Some(problem) = denial_problem(world, action, request_id, reason).await {
        panic!("{problem}");
    }
}

/// What is wrong with the log's record of the refused call tagged `request_id`: no
/// `denied` entry of `action` (with `reason`, when given), or an `allowed` one.
pub async fn denial_problem(
    world: &World,
    action: &str,
    request_id: &str,
    reason: Option<&str>,
) -> Option<String> {
    let made: Vec<AccessLogEntry> = entries(world, action)
        .await
        .into_iter()
        .filter(|e| e.request_id == request_id)
        .collect();
    let denied = made
        .iter()
        .any(|e| e.decision() == Decision::Denied && reason.is_none_or(|r| e.reason == r));
    if !denied {
        let wanted = reason.map(|r| format!(" ({r})")).unwrap_or_default();
        let found: Vec<(Decision, &str)> = made
            .iter()
            .map(|e| (e.decision(), e.reason.as_str()))
            .collect();
        return Some(format!(
            "no denied {action} entry{wanted} in the log, found {found:?}"
        ));
    }
    if made.iter().any(|e| e.decision() == Decision::Allowed) {
        return Some(format!(
            "a refused {action} was logged as allowed: {made:?}"
        ));
    }
    None
}

/// What is wrong with a refusal: `result` is not `code` with `reason`.
pub fn status_problem<T: std::fmt::Debug>(
    result: &Result<T, Status>,
    code: tonic::Code,
    reason: Option<&str>,
) -> Option<String> {
    match result {
        Ok(value) => Some(format!(
            "expected {code:?}/{reason:?}, the call succeeded: {value:?}"
        )),
        Err(status) => {
            let got = crate::harness::reason(status);
            let reason_ok = reason.is_none_or(|r| got.as_deref() == Some(r));
            (status.code() != code || !reason_ok).then(|| {
                format!(
                    "expected {code:?}/{reason:?}, got {:?}/{got:?}: {}",
                    status.code(),
                    status.message()
                )
            })
        }
    }
}

/// Asserts nothing has left the gateway through the legal flow: no produced item in
/// the log, no allowed production, and `request` (if given) not produced.
pub async fn assert_nothing_produced(legal: &Legal, request: Option<&str>) {
    let items = entries(&legal.world, PRODUCE_ITEM).await;
    assert!(items.is_empty(), "nothing was produced: {items:?}");
    let productions: Vec<AccessLogEntry> = entries(&legal.world, PRODUCE)
        .await
        .into_iter()
        .filter(|e| e.decision() == Decision::Allowed)
        .collect();
    assert!(
        productions.is_empty(),
        "no production went ahead: {productions:?}"
    );
    if let Some(request) = request {
        let stored = legal.request(request).await;
        assert_ne!(
            stored.state(),
            supportgate::proto::LegalRequestState::Produced
        );
        assert!(stored.produced_at.is_none(), "{stored:?}");
    }
}

/// Asserts no customer or contact data was released by any entry after `sequence`.
pub async fn assert_nothing_released_after(world: &World, sequence: u64) {
    let released: Vec<AccessLogEntry> = world
        .log(ListEntriesRequest::default())
        .await
        .into_iter()
        .filter(|e| e.sequence > sequence && e.decision() == Decision::Allowed)
        .filter(|e| matches!(e.data_class(), DataClass::Customer | DataClass::Contact))
        .collect();
    assert!(released.is_empty(), "nothing was released: {released:?}");
}

/// `LR-YYYY-XXXXXXXX` (eight upper-case hex digits), of `year`.
#[track_caller]
pub fn assert_reference(reference: &str, year: i32) {
    let parts: Vec<&str> = reference.split('-').collect();
    assert!(
        parts.len() == 3
            && parts[0] == "LR"
            && parts[1] == year.to_string()
            && parts[2].len() == 8
            && parts[2]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "a reference LR-{year}-XXXXXXXX: {reference}"
    );
}
