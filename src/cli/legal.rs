//! `supportgate legal …`: law-enforcement requests, from submission to production
//! (docs/LEGAL.md).
//!
//! * `submit --tenant T --agency A --basis B`: an agency's request (or one counsel
//!   received by letter); the answer is always a redirect to the customer.
//! * `list`, `show REQ`: the requests the caller may see.
//! * `compel REQ --order … --authority … --scope … --recipient-key FILE`: counsel
//!   records that disclosure is legally required (`--non-disclosure` records the
//!   order's gag at once, before any approval can happen).
//! * `non-disclosure REQ --order REF`: the same obligation on its own.
//! * `approve REQ`: a second counsel, shown the order and its scope first.
//! * `notify REQ --message TEXT`: the advance notice to the customer.
//! * `produce REQ --out DIR`: one age file per item and a manifest.
//!
//! There is no command that discloses anything without an approved compulsion: the
//! gateway has no such RPC.

mod approve;
mod compel;
mod produce;
mod scope;
mod view;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use self::compel::CompelArgs;
use self::view::{RequestView, SubmittedView};
use super::args::{looks_like_id, parse_id, parse_time};
use super::connect::Clients;
use super::error::CliError;
use super::output::{cell, emit, key_values, Table};
use super::{page, OutputFormat};
use crate::proto::{
    legal_target, GetRequestRequest, LegalRequestState, LegalTarget, ListRequestsRequest,
    RecordCustomerNoticeRequest, RecordNonDisclosureRequest, SubmitRequestRequest,
};

/// Law-enforcement requests.
#[derive(Debug, Subcommand)]
pub enum LegalCommand {
    /// Submit a request from a government entity; the answer is always a redirect to
    /// the customer (law enforcement, or legal counsel recording a letter)
    Submit(SubmitArgs),
    /// List requests, newest first
    List {
        /// Only requests about this tenant id
        #[arg(long, value_parser = parse_id)]
        tenant: Option<String>,
        /// Only requests in this state
        #[arg(long, value_enum, ignore_case = true)]
        state: Option<RequestStateArg>,
    },
    /// Show a request: its redirect, compulsion, non-disclosure obligation and notice
    Show {
        /// Request id
        #[arg(value_parser = parse_id)]
        request: String,
    },
    /// Record that disclosure is legally required, citing the order and its scope
    /// (legal counsel); prints the compulsion id
    Compel(CompelArgs),
    /// Record the order's non-disclosure obligation, before approval (legal counsel)
    NonDisclosure {
        /// Request id
        #[arg(value_parser = parse_id)]
        request: String,
        /// The order (or part of it) that imposes the obligation
        #[arg(long, value_name = "REF")]
        order: String,
        /// When the obligation lapses (RFC 3339; default: until lifted)
        #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
        expires: Option<prost_types::Timestamp>,
    },
    /// Approve the pending compulsion as a second legal counsel (shows it first)
    Approve {
        /// Request id
        #[arg(value_parser = parse_id)]
        request: String,
        /// The compulsion to approve (default: the request's current one)
        #[arg(long, value_parser = parse_id)]
        compulsion: Option<String>,
    },
    /// Record the advance notice of production given to the customer (legal counsel)
    Notify {
        /// Request id
        #[arg(value_parser = parse_id)]
        request: String,
        /// The notice shown to the customer: what is produced, under which order, when
        #[arg(long)]
        message: String,
        /// Production may not start before this time (RFC 3339; default: now)
        #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
        not_before: Option<prost_types::Timestamp>,
    },
    /// Produce the approved scope into DIR: one age file per item and manifest.json
    /// (legal counsel)
    Produce {
        /// Request id
        #[arg(value_parser = parse_id)]
        request: String,
        /// Directory to write into (created; refused if it exists and is not empty)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// Arguments of `legal submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The customer organisation: a tenant id, or its name exactly as registered
    #[arg(long, value_parser = parse_target)]
    pub tenant: legal_target::Target,
    /// The requesting agency
    #[arg(long)]
    pub agency: String,
    /// The legal basis cited (statute, warrant, subpoena…)
    #[arg(long)]
    pub basis: String,
    /// The agency's own reference for the request
    #[arg(long, value_name = "R")]
    pub agency_reference: Option<String>,
    /// What is asked for, free text (kept with the request, never read as a scope)
    #[arg(long, value_name = "TEXT")]
    pub scope: Option<String>,
}

/// Reads `--tenant` of `legal submit`: a UUID is a tenant id, anything else the
/// organisation's name.
///
/// ## Why not resolve names here
/// The submitter is an agency, which cannot list tenants; the gateway matches the
/// name itself, and an unknown one is still redirected (to the customer directly).
pub fn parse_target(value: &str) -> Result<legal_target::Target, String> {
    if looks_like_id(value) {
        return parse_id(value).map(legal_target::Target::TenantId);
    }
    let name = value.trim();
    if name.is_empty() {
        return Err("the tenant must be an id or an organisation name".to_owned());
    }
    Ok(legal_target::Target::OrganisationName(name.to_owned()))
}

/// A request state, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequestStateArg {
    /// Recorded and redirected; nothing released
    Redirected,
    /// A compulsion awaits a second counsel's approval
    #[value(alias = "pending", alias = "compulsion_pending_approval")]
    CompulsionPendingApproval,
    /// The compulsion is approved
    #[value(alias = "approved", alias = "compulsion_approved")]
    CompulsionApproved,
    /// Production has run
    Produced,
    /// Closed without production
    Closed,
}

impl RequestStateArg {
    /// The wire value.
    pub fn to_proto(self) -> LegalRequestState {
        match self {
            Self::Redirected => LegalRequestState::Redirected,
            Self::CompulsionPendingApproval => LegalRequestState::CompulsionPendingApproval,
            Self::CompulsionApproved => LegalRequestState::CompulsionApproved,
            Self::Produced => LegalRequestState::Produced,
            Self::Closed => LegalRequestState::Closed,
        }
    }
}

/// Runs a `legal` command.
pub async fn run(
    command: LegalCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        LegalCommand::Submit(args) => submit(clients, out, args).await,
        LegalCommand::List { tenant, state } => list(clients, out, tenant, state).await,
        LegalCommand::Show { request } => {
            let request = clients
                .legal()
                .get_request(GetRequestRequest {
                    request_id: request,
                })
                .await?
                .into_inner();
            emit(out, &RequestView::from(&request), RequestView::render)
        }
        LegalCommand::Compel(args) => compel::run(clients, out, args).await,
        LegalCommand::NonDisclosure {
            request,
            order,
            expires,
        } => non_disclosure(clients, out, request, order, expires).await,
        LegalCommand::Approve {
            request,
            compulsion,
        } => approve::run(clients, out, request, compulsion).await,
        LegalCommand::Notify {
            request,
            message,
            not_before,
        } => notify(clients, out, request, message, not_before).await,
        LegalCommand::Produce { request, out: dir } => {
            produce::run(clients, out, request, &dir).await
        }
    }
}

async fn submit(clients: &Clients, out: OutputFormat, args: SubmitArgs) -> Result<(), CliError> {
    let request = SubmitRequestRequest {
        target: Some(LegalTarget {
            target: Some(args.tenant),
        }),
        agency: args.agency,
        agency_reference: args.agency_reference.unwrap_or_default(),
        description: args.scope.unwrap_or_default(),
        legal_basis: args.basis,
    };
    let response = clients.legal().submit_request(request).await?.into_inner();
    let view = SubmittedView::from(&response);
    emit(out, &view, |view| {
        let mut pairs = vec![
            ("status", view.status.to_owned()),
            ("reference", view.reference.clone()),
            ("request", view.request_id.clone()),
        ];
        if let Some(redirect) = &view.redirect {
            pairs.extend(redirect.pairs());
        }
        key_values(&pairs)
    })
}

async fn list(
    clients: &Clients,
    out: OutputFormat,
    tenant: Option<String>,
    state: Option<RequestStateArg>,
) -> Result<(), CliError> {
    let client = clients.legal();
    let tenant_id = tenant.unwrap_or_default();
    let state = state.map_or(LegalRequestState::Unspecified, RequestStateArg::to_proto);
    let requests = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListRequestsRequest {
            tenant_id: tenant_id.clone(),
            state: state.into(),
            page_size,
            page_token,
        };
        async move {
            let response = client.list_requests(request).await?.into_inner();
            Ok((response.requests, response.next_page_token))
        }
    })
    .await?;
    let views: Vec<RequestView> = requests.iter().map(RequestView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&[
            "request",
            "reference",
            "state",
            "tenant",
            "agency",
            "submitted",
        ]);
        for view in views {
            table.push(vec![
                view.request_id.clone(),
                view.reference.clone(),
                cell(view.state.as_ref()),
                cell(view.tenant_id.as_ref()),
                view.agency.clone(),
                cell(view.submitted_at.as_ref()),
            ]);
        }
        table.render()
    })
}

async fn non_disclosure(
    clients: &Clients,
    out: OutputFormat,
    request_id: String,
    order: String,
    expires: Option<prost_types::Timestamp>,
) -> Result<(), CliError> {
    let request = RecordNonDisclosureRequest {
        request_id,
        order_reference: order,
        expires_at: expires,
    };
    let answer = clients
        .legal()
        .record_non_disclosure(request)
        .await?
        .into_inner();
    let view = RequestView::from(&answer);
    emit(out, &view, |view| {
        let until = view
            .non_disclosure
            .as_ref()
            .and_then(|obligation| obligation.expires_at.clone())
            .unwrap_or_else(|| "lifted".to_owned());
        let order = view
            .non_disclosure
            .as_ref()
            .map(|obligation| obligation.order_reference.clone());
        format!(
            "recorded the non-disclosure obligation of order {} on request {} until {until}\n",
            cell(order.as_ref()),
            view.reference
        )
    })
}

async fn notify(
    clients: &Clients,
    out: OutputFormat,
    request_id: String,
    message: String,
    not_before: Option<prost_types::Timestamp>,
) -> Result<(), CliError> {
    let request = RecordCustomerNoticeRequest {
        request_id,
        message,
        production_not_before: not_before,
    };
    let answer = clients
        .legal()
        .record_customer_notice(request)
        .await?
        .into_inner();
    let view = RequestView::from(&answer);
    emit(out, &view, |view| {
        let notice = view.customer_notice.as_ref();
        key_values(&[
            ("request", view.reference.clone()),
            ("notification", cell(notice.map(|n| &n.notification_id))),
            ("noticed", cell(notice.and_then(|n| n.noticed_at.as_ref()))),
            (
                "production not before",
                cell(notice.and_then(|n| n.production_not_before.as_ref())),
            ),
        ])
    })
}
