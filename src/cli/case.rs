//! `supportgate case …`: open, show, list, assign, close.

use clap::{Args, Subcommand};

use super::args::{parse_id, PurposeArg, StateArg};
use super::connect::Clients;
use super::contact::contact_pairs;
use super::error::CliError;
use super::output::{cell, emit, key_values, note, Table};
use super::view::{CaseDetailView, CaseView};
use super::{page, resolve, OutputFormat};
use crate::proto::{
    AssignEngineerRequest, CaseState, CloseCaseRequest, ContactDetails, GetCaseRequest,
    ListCasesRequest, OpenCaseRequest, Role,
};

/// Support cases.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case in your tenant (customers); prints the case id
    Open(OpenArgs),
    /// Show a case with its summary and contact (needs a purpose)
    Show {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
        /// Why you are reading it
        #[arg(long, value_enum, ignore_case = true)]
        purpose: PurposeArg,
    },
    /// List the cases you can see (metadata only)
    List {
        /// Only cases in this state
        #[arg(long, value_enum, ignore_case = true)]
        state: Option<StateArg>,
        /// Only cases you (an engineer) are assigned to
        #[arg(long)]
        assigned_to_me: bool,
        /// Only cases of this tenant id (provider-wide compliance reviewers)
        #[arg(long, value_parser = parse_id)]
        tenant: Option<String>,
    },
    /// Assign a support engineer to a case
    Assign {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
        /// The engineer: subject id, or a name (looking names up needs the admin role)
        #[arg(long)]
        engineer: String,
    },
    /// Close an open case
    Close {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
    },
}

/// Arguments of `case open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Description of the issue
    #[arg(long)]
    summary: String,
    /// Name of the customer's representative for this case
    #[arg(long)]
    contact_name: String,
    /// E-mail address of the representative
    #[arg(long)]
    contact_email: String,
    /// Phone number of the representative
    #[arg(long)]
    contact_phone: Option<String>,
    /// Company of the representative
    #[arg(long)]
    contact_company: Option<String>,
    /// Job title of the representative
    #[arg(long)]
    contact_title: Option<String>,
}

/// Runs a `case` command.
pub async fn run(
    command: CaseCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        CaseCommand::Open(args) => open(clients, out, args).await,
        CaseCommand::Show { case, purpose } => show(clients, out, case, purpose).await,
        CaseCommand::List {
            state,
            assigned_to_me,
            tenant,
        } => {
            let request = ListCasesRequest {
                state: state
                    .map_or(CaseState::Unspecified, StateArg::to_proto)
                    .into(),
                assigned_to_me,
                tenant_id: tenant.unwrap_or_default(),
                ..ListCasesRequest::default()
            };
            list(clients, out, request).await
        }
        CaseCommand::Assign { case, engineer } => assign(clients, out, case, &engineer).await,
        CaseCommand::Close { case } => close(clients, out, case).await,
    }
}

async fn open(clients: &Clients, out: OutputFormat, args: OpenArgs) -> Result<(), CliError> {
    let request = OpenCaseRequest {
        summary: args.summary,
        contact: Some(ContactDetails {
            name: args.contact_name,
            email: args.contact_email,
            phone: args.contact_phone.unwrap_or_default(),
            company: args.contact_company.unwrap_or_default(),
            job_title: args.contact_title.unwrap_or_default(),
        }),
    };
    let case = clients.cases().open_case(request).await?.into_inner();
    let view = CaseView::from(&case);
    if out == OutputFormat::Table {
        note(&format!(
            "opened case {} in tenant {}",
            view.case_id, view.tenant_id
        ));
    }
    emit(out, &view, |view| format!("{}\n", view.case_id))
}

async fn show(
    clients: &Clients,
    out: OutputFormat,
    case_id: String,
    purpose: PurposeArg,
) -> Result<(), CliError> {
    let request = GetCaseRequest {
        case_id,
        purpose: purpose.to_proto().into(),
    };
    let response = clients.cases().get_case(request).await?.into_inner();
    let view = CaseDetailView::from(&response);
    emit(out, &view, |view| {
        let mut pairs = view.case.as_ref().map(case_pairs).unwrap_or_default();
        pairs.push(("summary", view.summary.clone()));
        if let Some(contact) = &view.contact {
            pairs.extend(contact_pairs(contact, true));
        }
        key_values(&pairs)
    })
}

/// The key-value lines of a case's metadata.
pub fn case_pairs(case: &CaseView) -> Vec<(&'static str, String)> {
    vec![
        ("case", case.case_id.clone()),
        ("tenant", case.tenant_id.clone()),
        ("state", cell(case.state.as_ref())),
        ("opened by", cell(case.opened_by.as_ref())),
        ("opened", cell(case.opened_at.as_ref())),
        ("closed", cell(case.closed_at.as_ref())),
        ("engineers", engineers(case)),
        ("purged", cell(case.purged_at.as_ref())),
    ]
}

/// The assigned engineers as one cell.
fn engineers(case: &CaseView) -> String {
    if case.assigned_engineer_ids.is_empty() {
        super::output::ABSENT.to_owned()
    } else {
        case.assigned_engineer_ids.join(", ")
    }
}

async fn list(
    clients: &Clients,
    out: OutputFormat,
    request: ListCasesRequest,
) -> Result<(), CliError> {
    let client = clients.cases();
    let cases = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListCasesRequest {
            page_token,
            page_size,
            ..request.clone()
        };
        async move {
            let response = client.list_cases(request).await?.into_inner();
            Ok((response.cases, response.next_page_token))
        }
    })
    .await?;
    let views: Vec<CaseView> = cases.iter().map(CaseView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&["case", "tenant", "state", "opened", "closed", "engineers"]);
        for view in views {
            table.push(vec![
                view.case_id.clone(),
                view.tenant_id.clone(),
                cell(view.state.as_ref()),
                cell(view.opened_at.as_ref()),
                cell(view.closed_at.as_ref()),
                engineers(view),
            ]);
        }
        table.render()
    })
}

async fn assign(
    clients: &Clients,
    out: OutputFormat,
    case_id: String,
    engineer: &str,
) -> Result<(), CliError> {
    let engineer_id =
        resolve::subject_id(clients, engineer, Role::SupportEngineer, "support engineer").await?;
    let request = AssignEngineerRequest {
        case_id,
        engineer_id: engineer_id.clone(),
    };
    let case = clients.cases().assign_engineer(request).await?.into_inner();
    let view = CaseView::from(&case);
    emit(out, &view, |view| {
        format!("assigned engineer {engineer_id} to case {}\n", view.case_id)
    })
}

async fn close(clients: &Clients, out: OutputFormat, case_id: String) -> Result<(), CliError> {
    let case = clients
        .cases()
        .close_case(CloseCaseRequest { case_id })
        .await?
        .into_inner();
    let view = CaseView::from(&case);
    emit(out, &view, |view| format!("closed case {}\n", view.case_id))
}
