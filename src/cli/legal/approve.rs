//! `supportgate legal approve REQ [--compulsion ID]`: a second counsel approves the
//! pending compulsion after being shown what it compels.

use std::io::Write;

use super::view::RequestView;
use crate::cli::connect::Clients;
use crate::cli::error::CliError;
use crate::cli::output::{cell, emit, key_values, note};
use crate::cli::OutputFormat;
use crate::proto::{ApproveCompulsionRequest, GetRequestRequest};

/// Shows the compulsion about to be approved (on stderr, so that stdout carries only
/// the result), then approves it by id.
///
/// ## Why the id travels
/// Approving "whatever is pending" could approve a compulsion recorded after the
/// approver read this one; the gateway refuses an id that is no longer the
/// pending one (`COMPULSION_CHANGED`).
pub async fn run(
    clients: &Clients,
    out: OutputFormat,
    request_id: String,
    compulsion: Option<String>,
) -> Result<(), CliError> {
    let mut legal = clients.legal();
    let current = legal
        .get_request(GetRequestRequest {
            request_id: request_id.clone(),
        })
        .await?
        .into_inner();
    let current = RequestView::from(&current);
    let shown = current.compulsion.as_ref();
    let compulsion_id = match (compulsion, shown) {
        (Some(id), _) => id,
        (None, Some(shown)) => shown.compulsion_id.clone(),
        (None, None) => {
            return Err(CliError::failed(format!(
                "request {} has no compulsion to approve",
                current.reference
            )))
        }
    };
    let mut pairs = vec![
        ("request", current.reference.clone()),
        ("tenant", cell(current.tenant_id.as_ref())),
        ("agency", current.agency.clone()),
    ];
    if let Some(shown) = shown {
        pairs.extend(shown.pairs());
        if shown.compulsion_id != compulsion_id {
            note(&format!(
                "warning: compulsion {compulsion_id} is not the request's current compulsion {}",
                shown.compulsion_id
            ));
        }
    }
    if let Some(obligation) = &current.non_disclosure {
        pairs.push(("non-disclosure", obligation.order_reference.clone()));
    }
    to_stderr(&key_values(&pairs));
    let request = ApproveCompulsionRequest {
        request_id,
        compulsion_id: compulsion_id.clone(),
    };
    let approved = legal.approve_compulsion(request).await?.into_inner();
    let view = RequestView::from(&approved);
    emit(out, &view, |view| {
        format!(
            "approved compulsion {compulsion_id} on request {}; state {}\n",
            view.reference,
            cell(view.state.as_ref())
        )
    })
}

/// Writes a block of text to stderr; failure is ignored like [`note`]'s, since
/// stdout carries the result.
fn to_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}
