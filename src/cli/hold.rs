//! `supportgate hold …`: legal holds, which keep a case (or every case of a tenant)
//! from retention purges and contact deletions until cleared (legal counsel).

use clap::{ArgGroup, Args, Subcommand};

use super::args::parse_id;
use super::connect::Clients;
use super::error::CliError;
use super::output::{cell, emit, note, Table};
use super::view::LegalHoldView;
use super::{page, resolve, OutputFormat};
use crate::proto::{ClearLegalHoldRequest, LegalHold, ListLegalHoldsRequest, SetLegalHoldRequest};

/// Legal holds.
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Place a hold on a case or a whole tenant (legal counsel); prints the hold id
    Set(SetArgs),
    /// Clear a hold by id, or every active hold on a case (legal counsel)
    Clear(ClearArgs),
    /// List holds, active and cleared (legal counsel; admins)
    List {
        /// Only holds of this tenant (id, or a name: looking names up needs the admin role)
        #[arg(long)]
        tenant: Option<String>,
        /// Only holds on this case
        #[arg(long, value_parser = parse_id)]
        case: Option<String>,
        /// Only holds not yet cleared
        #[arg(long)]
        active: bool,
    },
}

/// Arguments of `hold set`: exactly one of `--case` and `--tenant`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["case", "tenant"])))]
pub struct SetArgs {
    /// The case to hold
    #[arg(long, value_parser = parse_id)]
    pub case: Option<String>,
    /// The tenant whose every case to hold (id, or a name: looking names up needs the
    /// admin role)
    #[arg(long)]
    pub tenant: Option<String>,
    /// Why, e.g. the order or litigation reference
    #[arg(long)]
    pub reason: String,
    /// The legal request that prompted it
    #[arg(long, value_parser = parse_id)]
    pub request: Option<String>,
}

/// Arguments of `hold clear`: exactly one of `--hold` and `--case`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["hold", "case"])))]
pub struct ClearArgs {
    /// The hold to clear
    #[arg(long, value_parser = parse_id)]
    pub hold: Option<String>,
    /// Clear every active hold placed on this case (not tenant-wide ones)
    #[arg(long, value_parser = parse_id)]
    pub case: Option<String>,
    /// Why the hold is no longer needed
    #[arg(long)]
    pub reason: String,
}

/// Runs a `hold` command.
pub async fn run(
    command: HoldCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        HoldCommand::Set(args) => set(clients, out, args).await,
        HoldCommand::Clear(args) => clear(clients, out, args).await,
        HoldCommand::List {
            tenant,
            case,
            active,
        } => {
            let tenant_id = match &tenant {
                Some(tenant) => resolve::tenant_id(clients, tenant).await?,
                None => String::new(),
            };
            let holds = list_holds(clients, tenant_id, case.unwrap_or_default(), active).await?;
            let views: Vec<LegalHoldView> = holds.iter().map(LegalHoldView::from).collect();
            emit(out, &views, |views| hold_table(views, false))
        }
    }
}

async fn set(clients: &Clients, out: OutputFormat, args: SetArgs) -> Result<(), CliError> {
    let tenant_id = match &args.tenant {
        Some(tenant) => resolve::tenant_id(clients, tenant).await?,
        None => String::new(),
    };
    let request = SetLegalHoldRequest {
        tenant_id,
        case_id: args.case.unwrap_or_default(),
        reason: args.reason,
        request_id: args.request.unwrap_or_default(),
    };
    let hold = clients.legal().set_legal_hold(request).await?.into_inner();
    let view = LegalHoldView::from(&hold);
    if out == OutputFormat::Table {
        let target = match &view.case_id {
            Some(case) => format!("case {case}"),
            None => format!("every case of tenant {}", view.tenant_id),
        };
        note(&format!("placed hold {} on {target}", view.hold_id));
    }
    emit(out, &view, |view| format!("{}\n", view.hold_id))
}

/// Clears one hold, or each active hold on a case; prints the cleared holds.
///
/// ## Why only the case's own holds
/// A tenant-wide hold also covers the case, but clearing it would release every
/// other case of the tenant too; it is named in the message instead, to be cleared
/// by id deliberately.
async fn clear(clients: &Clients, out: OutputFormat, args: ClearArgs) -> Result<(), CliError> {
    let hold_ids = match (args.hold, args.case) {
        (Some(hold), _) => vec![hold],
        (None, Some(case)) => case_hold_ids(clients, &case).await?,
        (None, None) => return Err(CliError::usage("pass --hold ID or --case C")),
    };
    let mut legal = clients.legal();
    let mut cleared = Vec::with_capacity(hold_ids.len());
    for hold_id in hold_ids {
        let request = ClearLegalHoldRequest {
            hold_id,
            reason: args.reason.clone(),
        };
        match legal.clear_legal_hold(request).await {
            Ok(hold) => cleared.push(LegalHoldView::from(hold.get_ref())),
            Err(status) => {
                if !cleared.is_empty() {
                    note(&format!(
                        "cleared {} before the error",
                        ids(&cleared).join(", ")
                    ));
                }
                return Err(status.into());
            }
        }
    }
    emit(out, &cleared, |views| hold_table(views, true))
}

/// The ids of the active holds placed on `case` itself; none is an error (exit 1).
async fn case_hold_ids(clients: &Clients, case: &str) -> Result<Vec<String>, CliError> {
    let holds = list_holds(clients, String::new(), case.to_owned(), true).await?;
    let (own, tenant_wide): (Vec<LegalHold>, Vec<LegalHold>) =
        holds.into_iter().partition(|hold| hold.case_id == case);
    if own.is_empty() {
        let mut message = format!("case {case} has no active legal hold of its own");
        if !tenant_wide.is_empty() {
            let names: Vec<String> = tenant_wide.into_iter().map(|h| h.hold_id).collect();
            message.push_str(&format!(
                "; tenant-wide holds cover it: {} (clear one with --hold ID)",
                names.join(", ")
            ));
        }
        return Err(CliError::failed(message));
    }
    Ok(own.into_iter().map(|hold| hold.hold_id).collect())
}

/// Every hold matching the filters, paging through `ListLegalHolds`.
async fn list_holds(
    clients: &Clients,
    tenant_id: String,
    case_id: String,
    active_only: bool,
) -> Result<Vec<LegalHold>, CliError> {
    let client = clients.legal();
    page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListLegalHoldsRequest {
            tenant_id: tenant_id.clone(),
            case_id: case_id.clone(),
            active_only,
            page_size,
            page_token,
        };
        async move {
            let response = client.list_legal_holds(request).await?.into_inner();
            Ok((response.holds, response.next_page_token))
        }
    })
    .await
}

fn ids(views: &[LegalHoldView]) -> Vec<String> {
    views.iter().map(|view| view.hold_id.clone()).collect()
}

/// Holds as a table; `clearing` shows why each was cleared instead of why it was set.
fn hold_table(views: &[LegalHoldView], clearing: bool) -> String {
    let reason = if clearing { "clear reason" } else { "reason" };
    let mut table = Table::new(&[
        "hold", "tenant", "case", reason, "request", "set", "cleared",
    ]);
    for view in views {
        let why = if clearing {
            cell(view.clear_reason.as_ref())
        } else {
            view.reason.clone()
        };
        table.push(vec![
            view.hold_id.clone(),
            view.tenant_id.clone(),
            view.case_id
                .clone()
                .unwrap_or_else(|| "(whole tenant)".to_owned()),
            why,
            cell(view.request_id.as_ref()),
            cell(view.set_at.as_ref()),
            cell(view.cleared_at.as_ref()),
        ]);
    }
    table.render()
}
