//! `supportgate log …`: the access log for compliance reviewers (list, stream, verify,
//! export, public key) and for customers (who accessed their cases).

mod export;
mod stream;
mod verify;

use clap::{Args, Subcommand};

use super::args::{parse_id, parse_time, DecisionArg, PurposeArg};
use super::connect::Clients;
use super::error::CliError;
use super::output::{cell, emit, Table};
use super::view::EntryView;
use super::{page, OutputFormat};
use crate::proto::{Decision, ListEntriesRequest, Purpose};

/// The access log.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// List entries matching every given filter, oldest first (customers: who accessed
    /// their cases)
    List(ListArgs),
    /// Stream matching entries and the checkpoints that cover them; --follow keeps
    /// streaming new entries (JSON Lines with --output json)
    Stream(stream::StreamArgs),
    /// Verify the hash chain and every checkpoint signature: on the gateway, or offline
    /// from an export bundle with --bundle and --public-key (no server needed)
    Verify(verify::VerifyArgs),
    /// Export a signed bundle of entries and checkpoints that verifies offline
    Export(export::ExportArgs),
    /// Print the gateway's public key (PEM), or save it with --out
    PublicKey {
        /// Write the key to this file instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
}

impl LogCommand {
    /// Whether the command runs without contacting the gateway.
    pub fn is_offline(&self) -> bool {
        matches!(self, LogCommand::Verify(args) if args.is_offline())
    }
}

/// Runs a command that needs no gateway.
pub fn run_offline(command: LogCommand, out: OutputFormat) -> Result<(), CliError> {
    match command {
        LogCommand::Verify(args) => verify::offline(&args, out),
        _ => Err(CliError::usage("this command needs the gateway")),
    }
}

/// Filters of `log list`; all optional, combined with AND.
///
/// Tenants, cases and subjects are given by id: reviewers cannot list tenants or
/// subjects, so names could not be looked up for them.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries about this tenant id
    #[arg(long, value_parser = parse_id)]
    tenant: Option<String>,
    /// Only entries about this case id
    #[arg(long, value_parser = parse_id)]
    case: Option<String>,
    /// Only entries made by this subject id
    #[arg(long, value_parser = parse_id)]
    subject: Option<String>,
    /// Only this action, e.g. case.get
    #[arg(long)]
    action: Option<String>,
    /// Only entries naming this purpose
    #[arg(long, value_enum, ignore_case = true)]
    purpose: Option<PurposeArg>,
    /// Only entries with this decision
    #[arg(long, value_enum, ignore_case = true)]
    decision: Option<DecisionArg>,
    /// Only entries at or after this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    since: Option<prost_types::Timestamp>,
    /// Only entries before this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    until: Option<prost_types::Timestamp>,
    /// Stop after this many entries
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    limit: Option<u32>,
}

impl ListArgs {
    /// The request for the first page.
    fn request(&self) -> ListEntriesRequest {
        ListEntriesRequest {
            tenant_id: self.tenant.clone().unwrap_or_default(),
            case_id: self.case.clone().unwrap_or_default(),
            subject_id: self.subject.clone().unwrap_or_default(),
            action: self.action.clone().unwrap_or_default(),
            purpose: self
                .purpose
                .map_or(Purpose::Unspecified, PurposeArg::to_proto)
                .into(),
            decision: self
                .decision
                .map_or(Decision::Unspecified, DecisionArg::to_proto)
                .into(),
            since: self.since,
            until: self.until,
            page_size: 0,
            page_token: String::new(),
        }
    }
}

/// Runs a `log` command.
pub async fn run(
    command: LogCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        LogCommand::List(args) => list(clients, out, &args).await,
        LogCommand::Stream(args) => stream::run(clients, out, &args).await,
        LogCommand::Verify(args) => verify::online(clients, out, &args).await,
        LogCommand::Export(args) => export::run(clients, &args).await,
        LogCommand::PublicKey { out: file } => export::public_key(clients, file.as_deref()).await,
    }
}

async fn list(clients: &Clients, out: OutputFormat, args: &ListArgs) -> Result<(), CliError> {
    let client = clients.access_log();
    let first = args.request();
    let limit = args.limit.and_then(|limit| usize::try_from(limit).ok());
    let entries = page::collect(limit, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListEntriesRequest {
            page_token,
            page_size,
            ..first.clone()
        };
        async move {
            let response = client.list_entries(request).await?.into_inner();
            Ok((response.entries, response.next_page_token))
        }
    })
    .await?;
    let views: Vec<EntryView> = entries.iter().map(EntryView::from).collect();
    emit(out, &views, |views| entry_table(views).render())
}

/// The access-log table: one row per entry.
pub fn entry_table(entries: &[EntryView]) -> Table {
    let mut table = Table::new(&[
        "seq", "time", "subject", "role", "tenant", "action", "class", "case", "purpose",
        "decision", "reason",
    ]);
    for entry in entries {
        table.push(vec![
            entry.sequence.to_string(),
            cell(entry.time.as_ref()),
            cell(entry.subject_id.as_ref()),
            cell(entry.role.as_ref()),
            cell(entry.tenant_id.as_ref()),
            entry.action.clone(),
            cell(entry.data_class.as_ref()),
            cell(entry.case_id.as_ref()),
            cell(entry.purpose.as_ref()),
            cell(entry.decision.as_ref()),
            cell(entry.reason.as_ref()),
        ]);
    }
    table
}
