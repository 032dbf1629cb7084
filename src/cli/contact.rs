//! `supportgate contact …`: show, correct, opt-out, recipients, and the customer's
//! rights of access and erasure: export, delete.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, Subcommand};

use super::args::{parse_id, PurposeArg};
use super::connect::Clients;
use super::error::CliError;
use super::output::{self, cell, emit, key_values, note, Table};
use super::view::{ContactDeletionView, ContactView};
use super::{page, OutputFormat};
use crate::proto::{
    ContactDeletionState, CorrectContactRequest, ExportContactRequest, GetContactRequest,
    ListCommunicationRecipientsRequest, RequestContactDeletionRequest,
    SetCommunicationsOptOutRequest,
};

/// Contact data of a case.
#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Show the contact of a case (needs a purpose)
    Show {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
        /// Why you are reading it
        #[arg(long, value_enum, ignore_case = true)]
        purpose: PurposeArg,
    },
    /// Correct the contact of a case (customers); only the given fields change
    Correct(CorrectArgs),
    /// Opt the contact of a case out of communications (customers)
    OptOut {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
        /// Opt back in instead
        #[arg(long)]
        undo: bool,
    },
    /// List the contacts that may receive communications (communications role)
    Recipients {
        /// Why you are reading them; the gateway accepts only communications
        #[arg(long, value_enum, ignore_case = true)]
        purpose: PurposeArg,
    },
    /// Export the contact of a case as JSON (customers: your right of access)
    Export {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
        /// Write it to this file (created readable by you only; refused if it exists)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Delete the contact of a case (customers: your right to erasure); waits while
    /// a legal hold covers it
    Delete {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
    },
}

/// Arguments of `contact correct`: at least one field.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("fields").required(true).multiple(true)))]
pub struct CorrectArgs {
    /// Case id
    #[arg(value_parser = parse_id)]
    case: String,
    /// New name
    #[arg(long, group = "fields")]
    name: Option<String>,
    /// New e-mail address
    #[arg(long, group = "fields")]
    email: Option<String>,
    /// New phone number ("" clears it)
    #[arg(long, group = "fields")]
    phone: Option<String>,
    /// New company ("" clears it)
    #[arg(long, group = "fields")]
    company: Option<String>,
    /// New job title ("" clears it)
    #[arg(long, group = "fields")]
    title: Option<String>,
}

/// Runs a `contact` command.
pub async fn run(
    command: ContactCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        ContactCommand::Show { case, purpose } => {
            let request = GetContactRequest {
                case_id: case,
                purpose: purpose.to_proto().into(),
            };
            let contact = clients.contacts().get_contact(request).await?.into_inner();
            show(out, &ContactView::from(&contact))
        }
        ContactCommand::Correct(args) => {
            let request = CorrectContactRequest {
                case_id: args.case,
                name: args.name,
                email: args.email,
                phone: args.phone,
                company: args.company,
                job_title: args.title,
            };
            let contact = clients
                .contacts()
                .correct_contact(request)
                .await?
                .into_inner();
            show(out, &ContactView::from(&contact))
        }
        ContactCommand::OptOut { case, undo } => {
            let request = SetCommunicationsOptOutRequest {
                case_id: case,
                opt_out: !undo,
            };
            let response = clients
                .contacts()
                .set_communications_opt_out(request)
                .await?;
            show(out, &ContactView::from(response.get_ref()))
        }
        ContactCommand::Recipients { purpose } => recipients(clients, out, purpose).await,
        ContactCommand::Export { case, out: path } => export(clients, case, path.as_deref()).await,
        ContactCommand::Delete { case } => delete(clients, out, case).await,
    }
}

/// Prints one contact as a key-value list (or JSON object).
fn show(out: OutputFormat, view: &ContactView) -> Result<(), CliError> {
    emit(out, view, |view| key_values(&contact_pairs(view, false)))
}

/// The key-value lines of a contact; `in_case` prefixes the labels with "contact"
/// for use inside a case's listing.
pub fn contact_pairs(contact: &ContactView, in_case: bool) -> Vec<(&'static str, String)> {
    const PLAIN: [&str; 8] = [
        "contact",
        "name",
        "email",
        "phone",
        "company",
        "job title",
        "opted out",
        "updated",
    ];
    const IN_CASE: [&str; 8] = [
        "contact",
        "contact name",
        "contact email",
        "contact phone",
        "contact company",
        "contact job title",
        "contact opted out",
        "contact updated",
    ];
    let labels = if in_case { IN_CASE } else { PLAIN };
    let opted_out = if contact.communications_opt_out {
        "yes"
    } else {
        "no"
    };
    let values = [
        contact.contact_id.clone(),
        contact.name.clone(),
        contact.email.clone(),
        cell(contact.phone.as_ref()),
        cell(contact.company.as_ref()),
        cell(contact.job_title.as_ref()),
        opted_out.to_owned(),
        cell(contact.updated_at.as_ref()),
    ];
    labels.into_iter().zip(values).collect()
}

async fn recipients(
    clients: &Clients,
    out: OutputFormat,
    purpose: PurposeArg,
) -> Result<(), CliError> {
    let client = clients.contacts();
    let purpose = purpose.to_proto();
    let contacts = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListCommunicationRecipientsRequest {
            purpose: purpose.into(),
            page_size,
            page_token,
        };
        async move {
            let response = client.list_communication_recipients(request).await?;
            let response = response.into_inner();
            Ok((response.contacts, response.next_page_token))
        }
    })
    .await?;
    let views: Vec<ContactView> = contacts.iter().map(ContactView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&["contact", "name", "email", "phone", "company", "job title"]);
        for view in views {
            table.push(vec![
                view.contact_id.clone(),
                view.name.clone(),
                view.email.clone(),
                cell(view.phone.as_ref()),
                cell(view.company.as_ref()),
                cell(view.job_title.as_ref()),
            ]);
        }
        table.render()
    })
}

/// Prints the export (one JSON object, whatever `--output` says) or writes it to
/// `path`, created new with mode 0600: it is personal data.
async fn export(clients: &Clients, case: String, path: Option<&Path>) -> Result<(), CliError> {
    let request = ExportContactRequest {
        case_id: case.clone(),
    };
    let export = clients
        .contacts()
        .export_contact(request)
        .await?
        .into_inner();
    let value: serde_json::Value = serde_json::from_str(&export.json)
        .map_err(|err| CliError::failed(format!("the gateway's export is not JSON: {err}")))?;
    let text = output::json(&value)?;
    let Some(path) = path else {
        return output::stdout(&text);
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|err| {
        CliError::failed(format!(
            "cannot create {}: {err} (it must not exist yet)",
            path.display()
        ))
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|err| CliError::failed(format!("cannot write {}: {err}", path.display())))?;
    note(&format!(
        "wrote the contact of case {case} to {}",
        path.display()
    ));
    Ok(())
}

/// Asks for the deletion and prints where it stands.
async fn delete(clients: &Clients, out: OutputFormat, case: String) -> Result<(), CliError> {
    let request = RequestContactDeletionRequest { case_id: case };
    let response = clients
        .contacts()
        .request_contact_deletion(request)
        .await?
        .into_inner();
    if out == OutputFormat::Table
        && response.state == ContactDeletionState::BlockedByLegalHold as i32
    {
        note("a legal hold covers this contact: it is deleted once the hold is cleared");
    }
    let view = ContactDeletionView::from(&response);
    emit(out, &view, |view| {
        key_values(&[
            ("contact", view.contact_id.clone()),
            ("state", cell(view.state.as_ref())),
            ("deletion request", view.deletion_request_id.clone()),
            ("requested", cell(view.requested_at.as_ref())),
            ("deleted", cell(view.deleted_at.as_ref())),
        ])
    })
}
