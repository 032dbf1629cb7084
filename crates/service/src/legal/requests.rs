//! The steps of a request before production: submit (always a redirect), list and get
//! with the visibility each role has, compulsion, non-disclosure, approval by a second
//! counsel, and the customer notice. Each step is logged before it is stored; each
//! refusal is logged as denied.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_store::{
    CompulsionRecord, LegalContactRecord, LegalRequestRecord, LegalRequestState,
    NonDisclosureRecord, NoticeRecord, NotificationKind, NotificationRecord, Page, RequestFilter,
    StoreError,
};
use supportgate_types::{
    CompulsionId, DataClass, LegalRequestId, NotificationId, OutboxId, Role, TenantId,
};

use super::checked_text;
use super::scope::LegalScope;
use crate::context::Event;
use crate::{Caller, ServiceError, Services};

/// Who a request is about, as the agency named them.
#[derive(Clone, Debug)]
pub enum LegalTarget {
    /// A tenant by id.
    Tenant(TenantId),
    /// A tenant by its exact name.
    Organisation(String),
}

/// A request as submitted.
#[derive(Clone, Debug)]
pub struct SubmitInput {
    /// Who it is about; `None` is refused (and logged) as a missing field.
    pub target: Option<LegalTarget>,
    /// The requesting agency.
    pub agency: String,
    /// The agency's reference.
    pub agency_reference: String,
    /// What is asked for, as submitted.
    pub description: String,
    /// The legal basis cited.
    pub legal_basis: String,
}

/// The answer to a submission: the stored request and where it is redirected.
#[derive(Clone, Debug)]
pub struct SubmitOutcome {
    /// The request, as stored.
    pub request: LegalRequestRecord,
    /// The tenant's designated legal contact, if it has one.
    pub designated_contact: Option<LegalContactRecord>,
    /// What the agency is told.
    pub message: String,
}

/// A compulsion as counsel records it.
#[derive(Clone, Debug)]
pub struct CompulsionInput {
    /// The order's reference.
    pub order_reference: String,
    /// Who issued the order.
    pub issuing_authority: String,
    /// The basis cited.
    pub legal_basis: String,
    /// When the order was made.
    pub order_date: Option<DateTime<Utc>>,
    /// What it compels; `None` is refused (and logged) as a missing field.
    pub scope: Option<LegalScope>,
    /// The age recipient produced items are encrypted to.
    pub recipient_key: String,
}

/// A request as a caller may see it.
#[derive(Clone, Debug)]
pub struct RequestView {
    /// The request.
    pub record: LegalRequestRecord,
    /// Its compulsion's scope, if one was recorded.
    pub scope: Option<LegalScope>,
    /// Where it is redirected: the tenant's designated legal contact, if any.
    pub designated_contact: Option<LegalContactRecord>,
}

const REDIRECT_MESSAGE: &str = "The provider does not disclose customer data voluntarily. \
    Address this request to the customer organisation, which decides how to respond; \
    the customer has been told that a request was received.";
const REDIRECT_MESSAGE_NO_CONTACT: &str = "The provider does not disclose customer data \
    voluntarily. Address this request to the customer organisation directly, which decides \
    how to respond.";

/// What the agency is told with the redirect, with or without a designated contact.
pub fn redirect_message(has_designated_contact: bool) -> &'static str {
    if has_designated_contact {
        REDIRECT_MESSAGE
    } else {
        REDIRECT_MESSAGE_NO_CONTACT
    }
}

pub(super) fn provider_event(
    action: &'static str,
    request: LegalRequestId,
    reason: &'static str,
) -> Event {
    Event {
        action,
        data_class: DataClass::Metadata,
        tenant: None,
        resource_id: Some(request.to_string()),
        case_id: None,
        decision: Decision::Allowed,
        reason,
    }
}

pub(super) fn precondition(reason: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::FailedPrecondition {
        reason,
        message: message.into(),
    }
}

/// The reference quoted to the agency and the customer: the year and the first eight
/// hex digits of the id, upper case (unique with the id's randomness; the column is
/// unique, so a clash is refused, never shared).
fn reference(id: LegalRequestId, at: DateTime<Utc>) -> String {
    let hex: String = id
        .to_string()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(8)
        .collect();
    format!("LR-{}-{}", at.format("%Y"), hex.to_ascii_uppercase())
}

impl Services {
    /// Records a request and answers with the redirect; releases nothing. The tenant's
    /// customers are notified when the tenant is known.
    pub async fn legal_submit(
        &self,
        caller: &Caller,
        input: SubmitInput,
    ) -> Result<SubmitOutcome, ServiceError> {
        let now = self.inner.clock.now();
        let id = LegalRequestId::new();
        let event = Event {
            action: "legal.request.submit",
            data_class: DataClass::Metadata,
            tenant: None,
            resource_id: Some(id.to_string()),
            case_id: None,
            decision: Decision::Redirected,
            reason: "REDIRECTED_TO_CUSTOMER",
        };
        let checked = async {
            let agency = checked_text("agency", &input.agency, 200, true, false)?;
            let agency_reference = checked_text(
                "agency_reference",
                &input.agency_reference,
                200,
                false,
                false,
            )?;
            let description = checked_text("description", &input.description, 4000, false, true)?;
            let legal_basis = checked_text("legal_basis", &input.legal_basis, 2000, true, true)?;
            let target = input.target.as_ref().ok_or_else(|| {
                ServiceError::invalid(
                    "FIELD_REQUIRED",
                    "target is required: the tenant id or the organisation's name",
                )
            })?;
            let tenant = match target {
                LegalTarget::Tenant(tenant) => self.inner.main.tenant_get(*tenant).await,
                LegalTarget::Organisation(name) => {
                    let name = checked_text("target.organisation_name", name, 200, true, false)?;
                    self.inner.main.tenant_by_name(&name).await
                }
            };
            let tenant = match tenant {
                Ok(tenant) => Some(tenant.id),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            Ok((agency, agency_reference, description, legal_basis, tenant))
        }
        .await;
        let (agency, agency_reference, description, legal_basis, tenant) =
            self.audited(caller, event.clone(), checked).await?;
        let request = LegalRequestRecord {
            id,
            reference: reference(id, now),
            tenant,
            agency,
            agency_reference,
            description,
            legal_basis,
            submitted_by: caller.principal.subject,
            submitted_at: now,
            state: LegalRequestState::Redirected,
            compulsion: None,
            non_disclosure: None,
            notice: None,
            produced_at: None,
        };
        let designated_contact = self.designated_contact(tenant).await?;
        // The tenant's customers are told of the request: it is filed under the tenant.
        self.log(caller, Event { tenant, ..event }).await?;
        let notification = tenant.map(|tenant| NotificationRecord {
            id: NotificationId::new(),
            tenant,
            kind: NotificationKind::RequestReceived,
            request: id,
            request_reference: request.reference.clone(),
            agency: request.agency.clone(),
            message: format!(
                "A law-enforcement request ({}) from {} about your organisation was received and \
                 redirected to you. Nothing was disclosed.",
                request.reference, request.agency
            ),
            created_at: now,
            acknowledged_at: None,
            acknowledged_by: None,
        });
        self.inner
            .main
            .legal_request_submit(
                &request,
                notification.as_ref().map(|n| (n, OutboxId::new())),
            )
            .await?;
        let message = redirect_message(designated_contact.is_some()).to_owned();
        Ok(SubmitOutcome {
            request,
            designated_contact,
            message,
        })
    }

    /// Whether `caller` may see `request` at `now`: counsel and the provider's
    /// reviewers all; an agency its own; a tenant's customers and reviewers their
    /// tenant's, unless a non-disclosure obligation is in force.
    fn legal_visible(caller: &Caller, request: &LegalRequestRecord, now: DateTime<Utc>) -> bool {
        let principal = &caller.principal;
        match (principal.role, principal.tenant) {
            (Role::LegalCounsel, _) | (Role::ComplianceReviewer, None) => true,
            (Role::LawEnforcement, _) => request.submitted_by == principal.subject,
            (Role::Customer | Role::ComplianceReviewer, Some(own)) => {
                request.tenant == Some(own) && !request.non_disclosed_at(now)
            }
            _ => false,
        }
    }

    async fn legal_view(&self, record: LegalRequestRecord) -> Result<RequestView, ServiceError> {
        let scope = record
            .compulsion
            .as_ref()
            .map(LegalScope::stored)
            .transpose()?;
        let designated_contact = self.designated_contact(record.tenant).await?;
        Ok(RequestView {
            record,
            scope,
            designated_contact,
        })
    }

    /// Lists the requests the caller may see, newest first.
    pub async fn legal_list(
        &self,
        caller: &Caller,
        tenant: Option<TenantId>,
        state: Option<LegalRequestState>,
        page: &Page,
    ) -> Result<Vec<RequestView>, ServiceError> {
        let principal = &caller.principal;
        let now = self.inner.clock.now();
        let mut filter = RequestFilter {
            tenant,
            state,
            ..RequestFilter::default()
        };
        let mut event = Event {
            action: "legal.request.list",
            data_class: DataClass::Metadata,
            tenant: principal.tenant,
            resource_id: None,
            case_id: None,
            decision: Decision::Allowed,
            reason: "METADATA_READ",
        };
        match (principal.role, principal.tenant) {
            (Role::LegalCounsel, _) | (Role::ComplianceReviewer, None) => {}
            (Role::LawEnforcement, _) => filter.submitted_by = Some(principal.subject),
            (Role::Customer | Role::ComplianceReviewer, Some(own)) => {
                if tenant.is_some_and(|asked| asked != own) {
                    event.decision = Decision::Denied;
                    event.reason = "OTHER_TENANT";
                    self.log(caller, event).await?;
                    return Err(ServiceError::Denied {
                        reason: "OTHER_TENANT",
                        message: "you may only see your own tenant's requests".into(),
                    });
                }
                filter.tenant = Some(own);
                filter.hide_non_disclosed_at = Some(now);
            }
            _ => {
                event.decision = Decision::Denied;
                event.reason = "ROLE_DENIED";
                self.log(caller, event).await?;
                return Err(ServiceError::Denied {
                    reason: "ROLE_DENIED",
                    message: "this role may not list legal requests".into(),
                });
            }
        }
        self.log(caller, event).await?;
        let records = self.inner.main.legal_request_list(&filter, page).await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            views.push(self.legal_view(record).await?);
        }
        Ok(views)
    }

    /// One request, if the caller may see it (`NOT_FOUND` otherwise).
    pub async fn legal_get(
        &self,
        caller: &Caller,
        request: LegalRequestId,
    ) -> Result<RequestView, ServiceError> {
        let now = self.inner.clock.now();
        let found = match self.inner.main.legal_request_get(request).await {
            Ok(record) if Self::legal_visible(caller, &record, now) => Ok(record),
            Ok(_) | Err(StoreError::NotFound { .. }) => Err(ServiceError::NotFound {
                what: "legal request",
            }),
            Err(e) => Err(e.into()),
        };
        let event = Event {
            tenant: caller.principal.tenant,
            ..provider_event("legal.request.get", request, "METADATA_READ")
        };
        let record = self.audited(caller, event.clone(), found).await?;
        self.log(caller, event).await?;
        self.legal_view(record).await
    }

    /// The request as it is after a step's conditional update; `stored` false means
    /// another call changed it first, refused as `reason`.
    async fn legal_after(
        &self,
        request: LegalRequestId,
        stored: bool,
        reason: &'static str,
        message: &str,
    ) -> Result<RequestView, ServiceError> {
        if !stored {
            return Err(precondition(reason, message));
        }
        self.legal_view(self.inner.main.legal_request_get(request).await?)
            .await
    }

    /// A request for a step of counsel's, refused as logged `NOT_FOUND` when absent.
    async fn legal_request_for(
        &self,
        caller: &Caller,
        request: LegalRequestId,
        event: &Event,
    ) -> Result<LegalRequestRecord, ServiceError> {
        let found = self
            .inner
            .main
            .legal_request_get(request)
            .await
            .map_err(ServiceError::from);
        self.audited(caller, event.clone(), found).await
    }

    /// Records that disclosure is legally required: the order, its scope and the
    /// recipient. Replaces a compulsion still pending approval.
    pub async fn legal_compel(
        &self,
        caller: &Caller,
        request: LegalRequestId,
        input: CompulsionInput,
    ) -> Result<RequestView, ServiceError> {
        let event = provider_event("legal.compulsion.record", request, "COMPULSION_RECORDED");
        let record = self.legal_request_for(caller, request, &event).await?;
        let checked = async {
            let order_reference =
                checked_text("order_reference", &input.order_reference, 200, true, false)?;
            let issuing_authority = checked_text(
                "issuing_authority",
                &input.issuing_authority,
                200,
                true,
                false,
            )?;
            let legal_basis = checked_text("legal_basis", &input.legal_basis, 2000, false, true)?;
            let recipient_key = super::seal::checked_recipient(&input.recipient_key)?;
            let Some(tenant) = record.tenant else {
                return Err(precondition(
                    "REQUEST_HAS_NO_TENANT",
                    "the request names no known tenant, so nothing can be compelled under it",
                ));
            };
            if !matches!(
                record.state,
                LegalRequestState::Redirected | LegalRequestState::PendingApproval
            ) {
                return Err(precondition(
                    "REQUEST_STATE",
                    "the request already has an approved compulsion",
                ));
            }
            let scope = input.scope.ok_or_else(|| {
                ServiceError::invalid(
                    "FIELD_REQUIRED",
                    "scope is required: an order must name what it compels",
                )
            })?;
            let scope = self.legal_scope_check(tenant, scope).await?;
            let scope_json = serde_json::to_string(&scope).map_err(ServiceError::internal)?;
            Ok(CompulsionRecord {
                id: CompulsionId::new(),
                order_reference,
                issuing_authority,
                legal_basis,
                order_date: input.order_date,
                scope_json,
                recipient_key,
                recorded_by: caller.principal.subject,
                recorded_at: self.inner.clock.now(),
                approved_by: None,
                approved_at: None,
            })
        }
        .await;
        let compulsion = self.audited(caller, event.clone(), checked).await?;
        self.log(caller, event.clone()).await?;
        let stored = self
            .inner
            .main
            .legal_compulsion_record(request, &compulsion)
            .await?;
        self.legal_after(
            request,
            stored,
            "REQUEST_STATE",
            "the request was approved meanwhile; its compulsion can no longer be replaced",
        )
        .await
    }

    /// Attaches a non-disclosure obligation to the compulsion pending approval.
    pub async fn legal_non_disclosure(
        &self,
        caller: &Caller,
        request: LegalRequestId,
        order_reference: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<RequestView, ServiceError> {
        let event = provider_event(
            "legal.non_disclosure.record",
            request,
            "NON_DISCLOSURE_RECORDED",
        );
        let record = self.legal_request_for(caller, request, &event).await?;
        let now = self.inner.clock.now();
        let checked = async {
            let order_reference =
                checked_text("order_reference", order_reference, 200, true, false)?;
            if expires_at.is_some_and(|at| at <= now) {
                return Err(ServiceError::invalid(
                    "INVALID_FIELD",
                    "expires_at must be in the future",
                ));
            }
            if record.state != LegalRequestState::PendingApproval {
                return Err(precondition(
                    "REQUEST_STATE",
                    "a non-disclosure obligation is recorded with a compulsion, before it is approved",
                ));
            }
            Ok(NonDisclosureRecord {
                order_reference,
                expires_at,
                recorded_by: caller.principal.subject,
                recorded_at: now,
            })
        }
        .await;
        let obligation = self.audited(caller, event.clone(), checked).await?;
        self.log(caller, event).await?;
        let stored = self
            .inner
            .main
            .legal_non_disclosure_record(request, &obligation)
            .await?;
        self.legal_after(
            request,
            stored,
            "REQUEST_STATE",
            "the compulsion was approved meanwhile; record the obligation with a new compulsion",
        )
        .await
    }

    /// Approves the pending compulsion `compulsion`: only a counsel other than the one
    /// who recorded it.
    pub async fn legal_approve(
        &self,
        caller: &Caller,
        request: LegalRequestId,
        compulsion: CompulsionId,
    ) -> Result<RequestView, ServiceError> {
        let event = provider_event(
            "legal.compulsion.approve",
            request,
            "SECOND_COUNSEL_APPROVED",
        );
        let record = self.legal_request_for(caller, request, &event).await?;
        let pending = record
            .compulsion
            .as_ref()
            .filter(|_| record.state == LegalRequestState::PendingApproval);
        let checked = match pending {
            None => Err(precondition(
                "NO_PENDING_COMPULSION",
                "no compulsion of this request is waiting for approval",
            )),
            Some(pending) if pending.id != compulsion => Err(precondition(
                "COMPULSION_CHANGED",
                "the compulsion was replaced since you read it; read the request again",
            )),
            Some(pending) => Ok(pending.recorded_by),
        };
        let recorded_by = self.audited(caller, event.clone(), checked).await?;
        if recorded_by == caller.principal.subject {
            let refusal = Event {
                decision: Decision::Denied,
                reason: "SECOND_COUNSEL_REQUIRED",
                ..event
            };
            self.log(caller, refusal).await?;
            return Err(ServiceError::Denied {
                reason: "SECOND_COUNSEL_REQUIRED",
                message: "a compulsion must be approved by a different legal counsel than the one who recorded it".into(),
            });
        }
        self.log(caller, event).await?;
        let approved = self
            .inner
            .main
            .legal_compulsion_approve(
                request,
                compulsion,
                caller.principal.subject,
                self.inner.clock.now(),
            )
            .await?;
        self.legal_after(
            request,
            approved,
            "NO_PENDING_COMPULSION",
            "the compulsion was approved or replaced meanwhile",
        )
        .await
    }

    /// Records the advance notice of production and notifies the tenant's customers.
    pub async fn legal_notice(
        &self,
        caller: &Caller,
        request: LegalRequestId,
        message: &str,
        production_not_before: Option<DateTime<Utc>>,
    ) -> Result<RequestView, ServiceError> {
        let event = provider_event("legal.notice.record", request, "CUSTOMER_NOTIFIED");
        let record = self.legal_request_for(caller, request, &event).await?;
        let now = self.inner.clock.now();
        let checked = async {
            let message = checked_text("message", message, 4000, true, true)?;
            if record.non_disclosed_at(now) {
                return Err(precondition(
                    "NON_DISCLOSURE_IN_FORCE",
                    "a non-disclosure obligation forbids notifying the customer",
                ));
            }
            if record.state != LegalRequestState::Approved {
                return Err(precondition(
                    "REQUEST_STATE",
                    "the customer is notified of a production once its compulsion is approved",
                ));
            }
            let tenant = record.tenant.ok_or_else(|| {
                precondition("REQUEST_HAS_NO_TENANT", "the request names no known tenant")
            })?;
            Ok((message, tenant))
        }
        .await;
        let (message, tenant) = self.audited(caller, event.clone(), checked).await?;
        self.log(caller, event).await?;
        let notification = NotificationRecord {
            id: NotificationId::new(),
            tenant,
            kind: NotificationKind::ProductionPlanned,
            request,
            request_reference: record.reference.clone(),
            agency: record.agency.clone(),
            message,
            created_at: now,
            acknowledged_at: None,
            acknowledged_by: None,
        };
        let notice = NoticeRecord {
            notification: notification.id,
            noticed_at: now,
            production_not_before: production_not_before.unwrap_or(now).max(now),
            recorded_by: caller.principal.subject,
        };
        let stored = self
            .inner
            .main
            .legal_notice_record(request, &notice, &notification, OutboxId::new())
            .await?;
        self.legal_after(
            request,
            stored,
            "REQUEST_STATE",
            "the request changed meanwhile; read it again",
        )
        .await
    }
}
