//! `supportgate legal compel`: record a compulsion (and, with `--non-disclosure`,
//! its non-disclosure obligation right after).

use std::path::PathBuf;

use clap::Args;

use super::scope::{build_scope, parse_scope_entry, read_recipient, ItemKindArg, ScopeEntry};
use super::view::RequestView;
use crate::cli::args::{parse_id, parse_time};
use crate::cli::connect::Clients;
use crate::cli::error::CliError;
use crate::cli::output::{emit, note};
use crate::cli::OutputFormat;
use crate::proto::{RecordCompulsionRequest, RecordNonDisclosureRequest};

/// Arguments of `legal compel`.
#[derive(Debug, Args)]
pub struct CompelArgs {
    /// Request id
    #[arg(value_parser = parse_id)]
    pub request: String,
    /// The order's reference number, as cited
    #[arg(long, value_name = "REF")]
    pub order: String,
    /// The court or authority that issued the order
    #[arg(long)]
    pub authority: String,
    /// The legal basis the order cites
    #[arg(long)]
    pub basis: Option<String>,
    /// When the order was issued (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub order_date: Option<prost_types::Timestamp>,
    /// What the order names, comma-separated KIND:ID entries: case:C (the case, its
    /// files and recordings), file:F and recording:R (exactly those items),
    /// contact:C (the contact of case C)
    #[arg(
        long,
        required = true,
        value_delimiter = ',',
        value_parser = parse_scope_entry,
        value_name = "KIND:ID"
    )]
    pub scope: Vec<ScopeEntry>,
    /// Item kinds, comma-separated, replacing those --scope implies
    #[arg(long, value_enum, value_delimiter = ',', ignore_case = true)]
    pub kinds: Option<Vec<ItemKindArg>>,
    /// Only items created at or after this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub since: Option<prost_types::Timestamp>,
    /// Only items created before this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub until: Option<prost_types::Timestamp>,
    /// File holding the age recipient ("age1…") every produced item is encrypted to
    #[arg(long, value_name = "FILE")]
    pub recipient_key: PathBuf,
    /// Also record the order's non-disclosure obligation (the reference imposing it)
    #[arg(long, value_name = "REF")]
    pub non_disclosure: Option<String>,
    /// When that obligation lapses (RFC 3339; default: until lifted)
    #[arg(
        long,
        value_parser = parse_time,
        value_name = "RFC3339",
        requires = "non_disclosure"
    )]
    pub non_disclosure_expires: Option<prost_types::Timestamp>,
}

/// The `RecordCompulsion` call `args` describe, with the recipient read from its
/// file: everything is checked before anything is sent.
pub fn compulsion_request(args: &CompelArgs) -> Result<RecordCompulsionRequest, CliError> {
    let recipient_public_key = read_recipient(&args.recipient_key)?;
    let mut scope = build_scope(&args.scope, args.kinds.as_deref());
    scope.since = args.since;
    scope.until = args.until;
    Ok(RecordCompulsionRequest {
        request_id: args.request.clone(),
        order_reference: args.order.clone(),
        issuing_authority: args.authority.clone(),
        legal_basis: args.basis.clone().unwrap_or_default(),
        order_date: args.order_date,
        scope: Some(scope),
        recipient_public_key,
    })
}

/// Records the compulsion, then the non-disclosure obligation if one is given;
/// prints the compulsion id (table mode) or the request (JSON).
///
/// ## Why both in one command
/// The obligation must be on record before the second counsel approves, so that
/// the approval covers it; recording it in the same command leaves no window.
pub async fn run(clients: &Clients, out: OutputFormat, args: CompelArgs) -> Result<(), CliError> {
    let request = compulsion_request(&args)?;
    let mut legal = clients.legal();
    let mut answer = legal.record_compulsion(request).await?.into_inner();
    let compulsion_id = answer
        .compulsion
        .as_ref()
        .map(|compulsion| compulsion.compulsion_id.clone())
        .unwrap_or_default();
    if let Some(order) = &args.non_disclosure {
        let obligation = RecordNonDisclosureRequest {
            request_id: args.request.clone(),
            order_reference: order.clone(),
            expires_at: args.non_disclosure_expires,
        };
        match legal.record_non_disclosure(obligation).await {
            Ok(response) => answer = response.into_inner(),
            Err(status) => {
                note(&format!(
                    "compulsion {compulsion_id} is recorded but its non-disclosure obligation \
                     is not; before the approval, run: supportgate legal non-disclosure {} \
                     --order '{order}'",
                    args.request
                ));
                return Err(status.into());
            }
        }
    }
    let view = RequestView::from(&answer);
    if out == OutputFormat::Table {
        let gag = if args.non_disclosure.is_some() {
            " with its non-disclosure obligation"
        } else {
            ""
        };
        note(&format!(
            "recorded compulsion {compulsion_id} (order {}){gag} on request {}; it needs a \
             second counsel's approval: supportgate legal approve {}",
            args.order, view.reference, view.request_id
        ));
    }
    emit(out, &view, |_| format!("{compulsion_id}\n"))
}
