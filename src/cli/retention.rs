//! `supportgate admin retention …`, `admin legal-contact set` and `admin purge`:
//! a tenant's settings (how long customer data is kept after a case closes, where
//! law-enforcement requests are redirected) and running retention now.

use clap::{ArgGroup, Args, Subcommand};

use super::args::parse_time;
use super::connect::Clients;
use super::error::CliError;
use super::output::{cell, emit, key_values, Table};
use super::view::{RetentionRunView, TenantSettingsView};
use super::{resolve, OutputFormat};
use crate::proto::{
    GetTenantSettingsRequest, LegalContact, RunRetentionRequest, SetTenantSettingsRequest,
};

/// Seconds in a day: retention is set in days and stored in seconds.
const DAY: u64 = 86_400;

/// `admin retention …`
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Set how long a tenant's customer data is kept after a case closes
    Set {
        /// The tenant (name or id)
        #[arg(long)]
        tenant: String,
        /// Days to keep customer data after a case closes (0 = the server's default)
        #[arg(long, value_name = "N")]
        customer_data_days: u64,
    },
    /// Show a tenant's settings: retention and designated legal contact
    Show {
        /// The tenant (name or id)
        #[arg(long)]
        tenant: String,
    },
}

/// `admin legal-contact …`
#[derive(Debug, Subcommand)]
pub enum LegalContactCommand {
    /// Set where law-enforcement requests about a tenant are redirected
    Set(LegalContactArgs),
}

/// Arguments of `admin legal-contact set`: a name and a way to reach them (e-mail or
/// postal address, as the gateway requires).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("reach").required(true).multiple(true).args(["email", "address"])))]
pub struct LegalContactArgs {
    /// The tenant (name or id)
    #[arg(long)]
    pub tenant: String,
    /// Person or function, e.g. "Legal Department"
    #[arg(long)]
    pub name: String,
    /// E-mail address
    #[arg(long)]
    pub email: Option<String>,
    /// Phone number
    #[arg(long)]
    pub phone: Option<String>,
    /// Postal address for service of legal process
    #[arg(long, value_name = "TEXT")]
    pub address: Option<String>,
    /// The customer organisation's legal name
    #[arg(long)]
    pub organisation: Option<String>,
}

/// Arguments of `admin purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// List what would be purged (and what a hold keeps) without purging anything
    #[arg(long)]
    pub dry_run: bool,
    /// Purge as if it were this time (RFC 3339; a future time only with --dry-run)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub as_of: Option<prost_types::Timestamp>,
    /// Only this tenant (name or id; default: every tenant)
    #[arg(long)]
    pub tenant: Option<String>,
}

/// Runs an `admin retention` command.
pub async fn run(
    command: RetentionCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        RetentionCommand::Set {
            tenant,
            customer_data_days,
        } => {
            let seconds = retention_seconds(customer_data_days)?;
            let request = SetTenantSettingsRequest {
                tenant_id: resolve::tenant_id(clients, &tenant).await?,
                legal_contact: None,
                customer_data_retention_seconds: Some(seconds),
            };
            set(clients, out, request).await
        }
        RetentionCommand::Show { tenant } => {
            let request = GetTenantSettingsRequest {
                tenant_id: resolve::tenant_id(clients, &tenant).await?,
            };
            let settings = clients
                .admin()
                .get_tenant_settings(request)
                .await?
                .into_inner();
            emit(out, &TenantSettingsView::from(&settings), render_settings)
        }
    }
}

/// Runs an `admin legal-contact` command.
pub async fn run_legal_contact(
    command: LegalContactCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    let LegalContactCommand::Set(args) = command;
    let request = SetTenantSettingsRequest {
        tenant_id: resolve::tenant_id(clients, &args.tenant).await?,
        legal_contact: Some(LegalContact {
            name: args.name,
            email: args.email.unwrap_or_default(),
            phone: args.phone.unwrap_or_default(),
            postal_address: args.address.unwrap_or_default(),
            organisation: args.organisation.unwrap_or_default(),
        }),
        customer_data_retention_seconds: None,
    };
    set(clients, out, request).await
}

/// `days` as seconds; a count too large to store is a usage error.
pub fn retention_seconds(days: u64) -> Result<u64, CliError> {
    days.checked_mul(DAY)
        .ok_or_else(|| CliError::usage(format!("{days} days is too long a retention period")))
}

/// Sends the settings change and prints the tenant's settings as they now are.
async fn set(
    clients: &Clients,
    out: OutputFormat,
    request: SetTenantSettingsRequest,
) -> Result<(), CliError> {
    let settings = clients
        .admin()
        .set_tenant_settings(request)
        .await?
        .into_inner();
    emit(out, &TenantSettingsView::from(&settings), render_settings)
}

/// The retention period as people read it: `30 days`, `server default`, or seconds
/// when not a whole number of days.
pub fn retention_text(seconds: u64) -> String {
    match seconds {
        0 => "server default".to_owned(),
        s if s % DAY == 0 => format!("{} days", s / DAY),
        s => format!("{s} seconds"),
    }
}

fn render_settings(view: &TenantSettingsView) -> String {
    let mut pairs = vec![
        ("tenant", view.tenant_id.clone()),
        (
            "customer data retention",
            retention_text(view.customer_data_retention_seconds),
        ),
    ];
    match &view.legal_contact {
        Some(contact) => pairs.extend(contact.pairs()),
        None => pairs.push(("legal contact", super::output::ABSENT.to_owned())),
    }
    pairs.push(("updated", cell(view.updated_at.as_ref())));
    key_values(&pairs)
}

/// Runs `admin purge`: counts, then each case with what happened to it.
pub async fn purge(clients: &Clients, out: OutputFormat, args: PurgeArgs) -> Result<(), CliError> {
    let tenant_id = match &args.tenant {
        Some(tenant) => resolve::tenant_id(clients, tenant).await?,
        None => String::new(),
    };
    let request = RunRetentionRequest {
        tenant_id,
        dry_run: args.dry_run,
        as_of: args.as_of,
    };
    let response = clients.admin().run_retention(request).await?.into_inner();
    let view = RetentionRunView::new(&response, args.dry_run);
    emit(out, &view, render_run)
}

fn render_run(view: &RetentionRunView) -> String {
    let (purged_label, objects_label, contacts_label, outcome) = if view.dry_run {
        (
            "cases to purge",
            "objects to destroy",
            "contacts to delete",
            "would purge",
        )
    } else {
        (
            "cases purged",
            "objects destroyed",
            "contacts deleted",
            "purged",
        )
    };
    let mut text = key_values(&[
        (purged_label, view.cases_purged.to_string()),
        (objects_label, view.objects_purged.to_string()),
        ("cases held", view.cases_held.to_string()),
        (contacts_label, view.contacts_deleted.to_string()),
    ]);
    if view.cases.is_empty() {
        return text;
    }
    let mut table = Table::new(&["case", "tenant", "closed", "objects", "outcome"]);
    for case in &view.cases {
        table.push(vec![
            case.case_id.clone(),
            case.tenant_id.clone(),
            cell(case.closed_at.as_ref()),
            case.objects.to_string(),
            case.held_by
                .as_ref()
                .map_or_else(|| outcome.to_owned(), |hold| format!("held by {hold}")),
        ]);
    }
    text.push('\n');
    text.push_str(&table.render());
    text
}
