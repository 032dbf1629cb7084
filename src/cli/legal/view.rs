//! Serde views of law-enforcement requests, in the shape of `cli/view.rs`: enums as
//! lowercase names, times as RFC 3339, absent values as `null`.
//!
//! ## Why here and not in `cli/view.rs`
//! Only the `legal` commands print a request and its compulsion, and these views
//! are as many lines as the rest of `view.rs`; the views other command groups share
//! (legal contact, notification, hold) stay there.

use serde::Serialize;

use super::super::output::{cell, enum_name, key_values, present, rfc3339};
use super::super::view::LegalContactView;
use crate::proto;

/// The name of a `LegalRequestState` wire value (`redirected`, `produced`, …).
pub fn request_state_name(raw: i32) -> Option<String> {
    let wire = proto::LegalRequestState::try_from(raw)
        .ok()
        .map(|v| v.as_str_name());
    enum_name(wire, "LEGAL_REQUEST_STATE_", raw)
}

/// The name of a `LegalItemKind` wire value (`case`, `contact`, `file`,
/// `recording`).
pub fn item_kind_name(raw: i32) -> Option<String> {
    let wire = proto::LegalItemKind::try_from(raw)
        .ok()
        .map(|v| v.as_str_name());
    enum_name(wire, "LEGAL_ITEM_KIND_", raw)
}

/// What an order compels.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeView {
    pub tenant_id: Option<String>,
    pub case_ids: Vec<String>,
    pub item_kinds: Vec<String>,
    pub item_ids: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

impl From<&proto::LegalScope> for ScopeView {
    fn from(scope: &proto::LegalScope) -> Self {
        Self {
            tenant_id: present(&scope.tenant_id),
            case_ids: scope.case_ids.clone(),
            item_kinds: scope
                .item_kinds
                .iter()
                .filter_map(|&kind| item_kind_name(kind))
                .collect(),
            item_ids: scope.item_ids.clone(),
            since: rfc3339(scope.since.as_ref()),
            until: rfc3339(scope.until.as_ref()),
        }
    }
}

impl ScopeView {
    /// The scope on one line: `cases a, b; kinds case, file; items x; since …`.
    pub fn summary(&self) -> String {
        let list = |ids: &[String], all: &str| {
            if ids.is_empty() {
                all.to_owned()
            } else {
                ids.join(", ")
            }
        };
        let mut text = format!(
            "cases {}; kinds {}; items {}",
            list(&self.case_ids, "all of the tenant"),
            list(&self.item_kinds, "none"),
            list(&self.item_ids, "all of those kinds"),
        );
        if let Some(since) = &self.since {
            text.push_str(&format!("; since {since}"));
        }
        if let Some(until) = &self.until {
            text.push_str(&format!("; until {until}"));
        }
        text
    }
}

/// The order compelling disclosure.
#[derive(Debug, Clone, Serialize)]
pub struct CompulsionView {
    pub compulsion_id: String,
    pub order_reference: String,
    pub issuing_authority: String,
    pub legal_basis: Option<String>,
    pub order_date: Option<String>,
    pub scope: Option<ScopeView>,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<String>,
    /// `null` until a second counsel approves it.
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub recipient_public_key: Option<String>,
}

impl From<&proto::Compulsion> for CompulsionView {
    fn from(compulsion: &proto::Compulsion) -> Self {
        Self {
            compulsion_id: compulsion.compulsion_id.clone(),
            order_reference: compulsion.order_reference.clone(),
            issuing_authority: compulsion.issuing_authority.clone(),
            legal_basis: present(&compulsion.legal_basis),
            order_date: rfc3339(compulsion.order_date.as_ref()),
            scope: compulsion.scope.as_ref().map(ScopeView::from),
            recorded_by: present(&compulsion.recorded_by),
            recorded_at: rfc3339(compulsion.recorded_at.as_ref()),
            approved_by: present(&compulsion.approved_by),
            approved_at: rfc3339(compulsion.approved_at.as_ref()),
            recipient_public_key: present(&compulsion.recipient_public_key),
        }
    }
}

impl CompulsionView {
    /// The key-value lines of the compulsion: what a second counsel reads before
    /// approving it.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("compulsion", self.compulsion_id.clone()),
            ("order", self.order_reference.clone()),
            ("authority", self.issuing_authority.clone()),
            ("order basis", cell(self.legal_basis.as_ref())),
            ("order date", cell(self.order_date.as_ref())),
            (
                "scope",
                self.scope.as_ref().map_or_else(
                    || super::super::output::ABSENT.to_owned(),
                    ScopeView::summary,
                ),
            ),
            ("recipient", cell(self.recipient_public_key.as_ref())),
            ("recorded by", cell(self.recorded_by.as_ref())),
            ("recorded", cell(self.recorded_at.as_ref())),
            ("approved by", cell(self.approved_by.as_ref())),
            ("approved", cell(self.approved_at.as_ref())),
        ]
    }
}

/// A non-disclosure obligation attached to an order.
#[derive(Debug, Clone, Serialize)]
pub struct NonDisclosureView {
    pub order_reference: String,
    /// `null` = until lifted.
    pub expires_at: Option<String>,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<String>,
}

impl From<&proto::NonDisclosure> for NonDisclosureView {
    fn from(obligation: &proto::NonDisclosure) -> Self {
        Self {
            order_reference: obligation.order_reference.clone(),
            expires_at: rfc3339(obligation.expires_at.as_ref()),
            recorded_by: present(&obligation.recorded_by),
            recorded_at: rfc3339(obligation.recorded_at.as_ref()),
        }
    }
}

/// The advance notice of production given to the customer.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerNoticeView {
    pub notification_id: String,
    pub noticed_at: Option<String>,
    pub production_not_before: Option<String>,
    pub recorded_by: Option<String>,
}

impl From<&proto::CustomerNotice> for CustomerNoticeView {
    fn from(notice: &proto::CustomerNotice) -> Self {
        Self {
            notification_id: notice.notification_id.clone(),
            noticed_at: rfc3339(notice.noticed_at.as_ref()),
            production_not_before: rfc3339(notice.production_not_before.as_ref()),
            recorded_by: present(&notice.recorded_by),
        }
    }
}

/// Where a request was redirected.
#[derive(Debug, Clone, Serialize)]
pub struct RedirectView {
    /// `null` when the tenant has no designated legal contact (or is unknown).
    pub designated_contact: Option<LegalContactView>,
    pub message: Option<String>,
}

impl From<&proto::Redirect> for RedirectView {
    fn from(redirect: &proto::Redirect) -> Self {
        Self {
            designated_contact: redirect
                .designated_contact
                .as_ref()
                .map(LegalContactView::from),
            message: present(&redirect.message),
        }
    }
}

impl RedirectView {
    /// The key-value lines of the redirect: the contact's fields when there is one,
    /// and the message for the agency.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self
            .designated_contact
            .as_ref()
            .map(LegalContactView::pairs)
            .unwrap_or_default();
        pairs.push(("message", cell(self.message.as_ref())));
        pairs
    }
}

/// The answer to a submitted request: always a redirect.
#[derive(Debug, Clone, Serialize)]
pub struct SubmittedView {
    /// Always `redirected`: nothing is released on submission.
    pub status: &'static str,
    pub request_id: String,
    pub reference: String,
    pub redirect: Option<RedirectView>,
}

impl From<&proto::SubmitRequestResponse> for SubmittedView {
    fn from(response: &proto::SubmitRequestResponse) -> Self {
        Self {
            status: "redirected",
            request_id: response.request_id.clone(),
            reference: response.reference.clone(),
            redirect: response.redirect.as_ref().map(RedirectView::from),
        }
    }
}

/// A law-enforcement request and its handling.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub request_id: String,
    pub reference: String,
    /// `null` if the target could not be identified.
    pub tenant_id: Option<String>,
    pub agency: String,
    pub agency_reference: Option<String>,
    pub description: Option<String>,
    pub legal_basis: Option<String>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<String>,
    pub state: Option<String>,
    pub redirect: Option<RedirectView>,
    pub compulsion: Option<CompulsionView>,
    pub non_disclosure: Option<NonDisclosureView>,
    pub customer_notice: Option<CustomerNoticeView>,
    pub produced_at: Option<String>,
}

impl From<&proto::LegalRequest> for RequestView {
    fn from(request: &proto::LegalRequest) -> Self {
        Self {
            request_id: request.request_id.clone(),
            reference: request.reference.clone(),
            tenant_id: present(&request.tenant_id),
            agency: request.agency.clone(),
            agency_reference: present(&request.agency_reference),
            description: present(&request.description),
            legal_basis: present(&request.legal_basis),
            submitted_by: present(&request.submitted_by),
            submitted_at: rfc3339(request.submitted_at.as_ref()),
            state: request_state_name(request.state),
            redirect: request.redirect.as_ref().map(RedirectView::from),
            compulsion: request.compulsion.as_ref().map(CompulsionView::from),
            non_disclosure: request.non_disclosure.as_ref().map(NonDisclosureView::from),
            customer_notice: request
                .customer_notice
                .as_ref()
                .map(CustomerNoticeView::from),
            produced_at: rfc3339(request.produced_at.as_ref()),
        }
    }
}

impl RequestView {
    /// The whole request as a key-value list, its parts only when present.
    pub fn render(&self) -> String {
        let mut pairs = vec![
            ("request", self.request_id.clone()),
            ("reference", self.reference.clone()),
            ("state", cell(self.state.as_ref())),
            ("tenant", cell(self.tenant_id.as_ref())),
            ("agency", self.agency.clone()),
            ("agency reference", cell(self.agency_reference.as_ref())),
            ("legal basis", cell(self.legal_basis.as_ref())),
            ("description", cell(self.description.as_ref())),
            ("submitted by", cell(self.submitted_by.as_ref())),
            ("submitted", cell(self.submitted_at.as_ref())),
        ];
        if let Some(redirect) = &self.redirect {
            pairs.extend(redirect.pairs());
        }
        if let Some(compulsion) = &self.compulsion {
            pairs.extend(compulsion.pairs());
        }
        if let Some(obligation) = &self.non_disclosure {
            pairs.push(("non-disclosure", obligation.order_reference.clone()));
            pairs.push((
                "non-disclosure until",
                obligation
                    .expires_at
                    .clone()
                    .unwrap_or_else(|| "lifted".to_owned()),
            ));
        }
        if let Some(notice) = &self.customer_notice {
            pairs.push(("customer notice", notice.notification_id.clone()));
            pairs.push(("noticed", cell(notice.noticed_at.as_ref())));
            pairs.push((
                "production not before",
                cell(notice.production_not_before.as_ref()),
            ));
        }
        pairs.push(("produced", cell(self.produced_at.as_ref())));
        key_values(&pairs)
    }
}
