//! Legal, retention and settings values to and from the wire.

use supportgate_service::{redirect_message, ItemKind, LegalScope, RequestView, RetentionReport};
use supportgate_store::{
    HoldRecord, LegalContactRecord, LegalRequestState, NotificationKind, NotificationRecord,
    TenantSettingsRecord,
};
use supportgate_types::{CaseId, TenantId};
use tonic::{Code, Status};

use crate::proto;
use crate::server::convert::{id, id_opt, timestamp, timestamp_in};
use crate::server::status::with_reason;

/// A legal contact from the wire (checked by the service).
pub fn legal_contact_in(c: proto::LegalContact) -> LegalContactRecord {
    LegalContactRecord {
        name: c.name,
        email: c.email,
        phone: c.phone,
        postal_address: c.postal_address,
        organisation: c.organisation,
    }
}

/// A legal contact for the wire.
pub fn legal_contact(c: LegalContactRecord) -> proto::LegalContact {
    proto::LegalContact {
        name: c.name,
        email: c.email,
        phone: c.phone,
        postal_address: c.postal_address,
        organisation: c.organisation,
    }
}

/// A tenant's settings for the wire; 0 seconds means the server default.
pub fn tenant_settings(tenant: TenantId, s: TenantSettingsRecord) -> proto::TenantSettings {
    proto::TenantSettings {
        tenant_id: tenant.to_string(),
        legal_contact: s.legal_contact.map(legal_contact),
        customer_data_retention_seconds: s.retention_seconds,
        updated_at: s.updated_at.map(timestamp),
    }
}

/// A retention report for the wire.
pub fn retention_report(r: RetentionReport) -> proto::RunRetentionResponse {
    proto::RunRetentionResponse {
        cases_purged: r.cases_purged,
        objects_purged: r.objects_purged,
        cases_held: r.cases_held,
        cases: r
            .cases
            .into_iter()
            .map(|c| proto::RetentionCase {
                case_id: c.case.to_string(),
                tenant_id: c.tenant.to_string(),
                closed_at: Some(timestamp(c.closed_at)),
                objects: c.objects,
                held_by: c.held_by.map(|h| h.to_string()).unwrap_or_default(),
            })
            .collect(),
        contacts_deleted: r.contacts_deleted,
    }
}

/// A request state filter (unspecified = any).
pub fn state_filter(value: i32) -> Result<Option<LegalRequestState>, Status> {
    use proto::LegalRequestState as P;
    match P::try_from(value) {
        Ok(P::Unspecified) => Ok(None),
        Ok(P::Redirected) => Ok(Some(LegalRequestState::Redirected)),
        Ok(P::CompulsionPendingApproval) => Ok(Some(LegalRequestState::PendingApproval)),
        Ok(P::CompulsionApproved) => Ok(Some(LegalRequestState::Approved)),
        Ok(P::Produced) => Ok(Some(LegalRequestState::Produced)),
        Ok(P::Closed) | Err(_) => Err(with_reason(
            Code::InvalidArgument,
            "INVALID_FIELD",
            "state is not a request state this server records",
        )),
    }
}

fn state(s: LegalRequestState) -> proto::LegalRequestState {
    match s {
        LegalRequestState::Redirected => proto::LegalRequestState::Redirected,
        LegalRequestState::PendingApproval => proto::LegalRequestState::CompulsionPendingApproval,
        LegalRequestState::Approved => proto::LegalRequestState::CompulsionApproved,
        LegalRequestState::Produced => proto::LegalRequestState::Produced,
    }
}

/// An item kind for the wire.
pub fn item_kind(k: ItemKind) -> proto::LegalItemKind {
    match k {
        ItemKind::Case => proto::LegalItemKind::Case,
        ItemKind::Contact => proto::LegalItemKind::Contact,
        ItemKind::File => proto::LegalItemKind::File,
        ItemKind::Recording => proto::LegalItemKind::Recording,
    }
}

fn item_id(value: &str) -> Result<String, Status> {
    let parsed = id("scope.item_ids", value, supportgate_types::FileId::parse)?;
    Ok(parsed.to_string())
}

/// A scope from the wire (absent stays absent: the service refuses it, logged).
pub fn scope_in(s: Option<proto::LegalScope>) -> Result<Option<LegalScope>, Status> {
    let Some(s) = s else {
        return Ok(None);
    };
    if s.case_ids.len() > 1000 || s.item_ids.len() > 10_000 {
        return Err(with_reason(
            Code::InvalidArgument,
            "INVALID_FIELD",
            "a scope names at most 1000 cases and 10000 items",
        ));
    }
    let kinds = s
        .item_kinds
        .iter()
        .map(|k| match proto::LegalItemKind::try_from(*k) {
            Ok(proto::LegalItemKind::Case) => Ok(ItemKind::Case),
            Ok(proto::LegalItemKind::Contact) => Ok(ItemKind::Contact),
            Ok(proto::LegalItemKind::File) => Ok(ItemKind::File),
            Ok(proto::LegalItemKind::Recording) => Ok(ItemKind::Recording),
            Ok(proto::LegalItemKind::Unspecified) | Err(_) => Err(with_reason(
                Code::InvalidArgument,
                "INVALID_FIELD",
                "scope.item_kinds holds a value that is not an item kind",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(LegalScope {
        tenant: id_opt("scope.tenant_id", &s.tenant_id, TenantId::parse)?,
        cases: s
            .case_ids
            .iter()
            .map(|c| id("scope.case_ids", c, CaseId::parse))
            .collect::<Result<_, _>>()?,
        kinds,
        items: s
            .item_ids
            .iter()
            .map(|i| item_id(i))
            .collect::<Result<_, _>>()?,
        since: timestamp_in("scope.since", s.since)?,
        until: timestamp_in("scope.until", s.until)?,
    }))
}

/// A scope for the wire.
pub fn scope(s: LegalScope) -> proto::LegalScope {
    proto::LegalScope {
        tenant_id: s.tenant.map(|t| t.to_string()).unwrap_or_default(),
        case_ids: s.cases.iter().map(|c| c.to_string()).collect(),
        item_kinds: s.kinds.into_iter().map(|k| item_kind(k) as i32).collect(),
        item_ids: s.items,
        since: s.since.map(timestamp),
        until: s.until.map(timestamp),
    }
}

/// A request for the wire.
pub fn request(v: RequestView) -> proto::LegalRequest {
    let r = v.record;
    let compulsion = r.compulsion.map(|c| proto::Compulsion {
        compulsion_id: c.id.to_string(),
        order_reference: c.order_reference,
        issuing_authority: c.issuing_authority,
        legal_basis: c.legal_basis,
        order_date: c.order_date.map(timestamp),
        scope: v.scope.map(scope),
        recorded_by: c.recorded_by.to_string(),
        recorded_at: Some(timestamp(c.recorded_at)),
        approved_by: c.approved_by.map(|s| s.to_string()).unwrap_or_default(),
        approved_at: c.approved_at.map(timestamp),
        recipient_public_key: c.recipient_key,
    });
    proto::LegalRequest {
        request_id: r.id.to_string(),
        reference: r.reference,
        tenant_id: r.tenant.map(|t| t.to_string()).unwrap_or_default(),
        agency: r.agency,
        agency_reference: r.agency_reference,
        submitted_by: r.submitted_by.to_string(),
        submitted_at: Some(timestamp(r.submitted_at)),
        state: state(r.state) as i32,
        redirect: Some(proto::Redirect {
            message: redirect_message(v.designated_contact.is_some()).to_owned(),
            designated_contact: v.designated_contact.map(legal_contact),
        }),
        compulsion,
        non_disclosure: r.non_disclosure.map(|nd| proto::NonDisclosure {
            order_reference: nd.order_reference,
            expires_at: nd.expires_at.map(timestamp),
            recorded_by: nd.recorded_by.to_string(),
            recorded_at: Some(timestamp(nd.recorded_at)),
        }),
        customer_notice: r.notice.map(|n| proto::CustomerNotice {
            notification_id: n.notification.to_string(),
            noticed_at: Some(timestamp(n.noticed_at)),
            production_not_before: Some(timestamp(n.production_not_before)),
            recorded_by: n.recorded_by.to_string(),
        }),
        produced_at: r.produced_at.map(timestamp),
        description: r.description,
        legal_basis: r.legal_basis,
    }
}

/// A notification for the wire.
pub fn notification(n: NotificationRecord) -> proto::Notification {
    let kind = match n.kind {
        NotificationKind::RequestReceived => proto::NotificationKind::RequestReceived,
        NotificationKind::ProductionPlanned => proto::NotificationKind::ProductionPlanned,
        NotificationKind::ProductionCompleted => proto::NotificationKind::ProductionCompleted,
    };
    proto::Notification {
        notification_id: n.id.to_string(),
        tenant_id: n.tenant.to_string(),
        kind: kind as i32,
        request_id: n.request.to_string(),
        request_reference: n.request_reference,
        agency: n.agency,
        message: n.message,
        created_at: Some(timestamp(n.created_at)),
        acknowledged_at: n.acknowledged_at.map(timestamp),
        acknowledged_by: n.acknowledged_by.map(|s| s.to_string()).unwrap_or_default(),
    }
}

/// A legal hold for the wire.
pub fn hold(h: HoldRecord) -> proto::LegalHold {
    proto::LegalHold {
        hold_id: h.id.to_string(),
        tenant_id: h.tenant.to_string(),
        case_id: h.case.map(|c| c.to_string()).unwrap_or_default(),
        reason: h.reason,
        request_id: h.request.map(|r| r.to_string()).unwrap_or_default(),
        set_by: h.set_by.to_string(),
        set_at: Some(timestamp(h.set_at)),
        cleared_by: h.cleared_by.map(|s| s.to_string()).unwrap_or_default(),
        cleared_at: h.cleared_at.map(timestamp),
        clear_reason: h.clear_reason.unwrap_or_default(),
    }
}
