//! `supportgate admin …` (tenants, subjects, credentials) and `supportgate whoami`.

use clap::{Args, Subcommand};

use super::args::{parse_id, RoleArg};
use super::connect::Clients;
use super::error::CliError;
use super::output::{self, cell, emit, note, Table};
use super::view::{CreatedSubjectView, CredentialView, SubjectView, TenantView, WhoAmIView};
use super::{resolve, OutputFormat};
use crate::proto::{
    CreateSubjectRequest, CreateTenantRequest, IssueCredentialRequest, RevokeCredentialRequest,
    Role, WhoAmIRequest,
};

/// Operator commands (admin role).
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Tenants (customer organisations)
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Subjects: people and machine identities, each with one role
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Bearer credentials of subjects
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Tenant keys
    #[command(subcommand)]
    Keys(super::keys::KeysCommand),
    /// How long a tenant's customer data is kept after a case closes
    #[command(subcommand)]
    Retention(super::retention::RetentionCommand),
    /// Where law-enforcement requests about a tenant are redirected
    #[command(subcommand)]
    LegalContact(super::retention::LegalContactCommand),
    /// Purge customer data past retention now (--dry-run: list what would go)
    Purge(super::retention::PurgeArgs),
}

/// `admin tenant …`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant; prints its id
    Create {
        /// Display name, unique across tenants
        name: String,
    },
    /// List every tenant
    List,
}

/// `admin subject …`
#[derive(Debug, Subcommand)]
pub enum SubjectCommand {
    /// Create a subject and its first credential; prints the token (shown only once)
    Create(CreateSubjectArgs),
    /// List subjects
    List {
        /// Only subjects of this tenant (name or id)
        #[arg(long)]
        tenant: Option<String>,
        /// Only subjects with this role
        #[arg(long, value_enum, ignore_case = true)]
        role: Option<RoleArg>,
        /// Only subjects with exactly this name
        #[arg(long)]
        name: Option<String>,
    },
}

/// Arguments of `admin subject create`.
#[derive(Debug, Args)]
pub struct CreateSubjectArgs {
    /// Tenant (name or id); leave out for provider-level roles (admin,
    /// compliance_reviewer, legal_counsel, law_enforcement)
    #[arg(long)]
    tenant: Option<String>,
    /// Role of the subject
    #[arg(long, value_enum, ignore_case = true)]
    role: RoleArg,
    /// Identifier of the person or machine, e.g. "j.doe" or "agent-host-42"
    #[arg(long)]
    name: String,
    /// Lifetime of the credential in seconds (default: the server's)
    #[arg(long, value_name = "SECONDS")]
    ttl: Option<u32>,
}

/// `admin credential …`
#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Issue another credential for a subject; prints the token (shown only once)
    Issue {
        /// The subject (id, or a name that only one subject has)
        subject: String,
        /// Lifetime of the credential in seconds (default: the server's)
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u32>,
    },
    /// Revoke a credential at once
    Revoke {
        /// Credential id (as printed by create/issue and in the access log)
        #[arg(value_parser = parse_id)]
        credential_id: String,
    },
}

/// Runs an `admin` command.
pub async fn run(
    command: AdminCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        AdminCommand::Keys(cmd) => super::keys::run(cmd, clients, out).await,
        AdminCommand::Retention(cmd) => super::retention::run(cmd, clients, out).await,
        AdminCommand::LegalContact(cmd) => {
            super::retention::run_legal_contact(cmd, clients, out).await
        }
        AdminCommand::Purge(args) => super::retention::purge(clients, out, args).await,
        AdminCommand::Tenant(TenantCommand::Create { name }) => {
            create_tenant(clients, out, name).await
        }
        AdminCommand::Tenant(TenantCommand::List) => list_tenants(clients, out).await,
        AdminCommand::Subject(SubjectCommand::Create(args)) => {
            create_subject(clients, out, args).await
        }
        AdminCommand::Subject(SubjectCommand::List { tenant, role, name }) => {
            list_subjects(clients, out, tenant, role, name).await
        }
        AdminCommand::Credential(CredentialCommand::Issue { subject, ttl }) => {
            issue_credential(clients, out, &subject, ttl).await
        }
        AdminCommand::Credential(CredentialCommand::Revoke { credential_id }) => {
            revoke_credential(clients, out, credential_id).await
        }
    }
}

async fn create_tenant(clients: &Clients, out: OutputFormat, name: String) -> Result<(), CliError> {
    let tenant = clients
        .admin()
        .create_tenant(CreateTenantRequest { name })
        .await?
        .into_inner();
    let view = TenantView::from(&tenant);
    if out == OutputFormat::Table {
        note(&format!(
            "created tenant '{}' ({})",
            view.name, view.tenant_id
        ));
    }
    emit(out, &view, |view| format!("{}\n", view.tenant_id))
}

async fn list_tenants(clients: &Clients, out: OutputFormat) -> Result<(), CliError> {
    let tenants = resolve::all_tenants(clients).await?;
    let views: Vec<TenantView> = tenants.iter().map(TenantView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&["tenant", "name", "created"]);
        for view in views {
            table.push(vec![
                view.tenant_id.clone(),
                view.name.clone(),
                cell(view.created_at.as_ref()),
            ]);
        }
        table.render()
    })
}

async fn create_subject(
    clients: &Clients,
    out: OutputFormat,
    args: CreateSubjectArgs,
) -> Result<(), CliError> {
    let tenant_id = match &args.tenant {
        Some(tenant) => resolve::tenant_id(clients, tenant).await?,
        None => String::new(),
    };
    let request = CreateSubjectRequest {
        tenant_id,
        role: args.role.to_proto().into(),
        name: args.name,
        credential_ttl_seconds: args.ttl.unwrap_or(0),
    };
    let response = clients.admin().create_subject(request).await?.into_inner();
    let view = CreatedSubjectView {
        subject: response.subject.as_ref().map(SubjectView::from),
        credential: response.credential.as_ref().map(CredentialView::from),
    };
    let credential = view.credential.as_ref().ok_or_else(|| {
        CliError::failed("the gateway created the subject but returned no credential")
    })?;
    if out == OutputFormat::Table {
        if let Some(subject) = &view.subject {
            note(&format!(
                "created {} '{}' ({}) in {}",
                cell(subject.role.as_ref()),
                subject.name,
                subject.subject_id,
                subject.tenant_id.as_deref().unwrap_or("no tenant"),
            ));
        }
        note_credential(credential);
    }
    let token = format!("{}\n", credential.token);
    emit(out, &view, |_| token)
}

async fn list_subjects(
    clients: &Clients,
    out: OutputFormat,
    tenant: Option<String>,
    role: Option<RoleArg>,
    name: Option<String>,
) -> Result<(), CliError> {
    let tenant_id = match &tenant {
        Some(tenant) => resolve::tenant_id(clients, tenant).await?,
        None => String::new(),
    };
    let role = role.map_or(Role::Unspecified, RoleArg::to_proto);
    let subjects = resolve::subjects(clients, tenant_id, role, name.unwrap_or_default()).await?;
    let views: Vec<SubjectView> = subjects.iter().map(SubjectView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&["subject", "name", "role", "tenant", "created"]);
        for view in views {
            table.push(vec![
                view.subject_id.clone(),
                view.name.clone(),
                cell(view.role.as_ref()),
                cell(view.tenant_id.as_ref()),
                cell(view.created_at.as_ref()),
            ]);
        }
        table.render()
    })
}

async fn issue_credential(
    clients: &Clients,
    out: OutputFormat,
    subject: &str,
    ttl: Option<u32>,
) -> Result<(), CliError> {
    let subject_id = resolve::subject_id(clients, subject, Role::Unspecified, "subject").await?;
    let request = IssueCredentialRequest {
        subject_id: subject_id.clone(),
        ttl_seconds: ttl.unwrap_or(0),
    };
    let credential = clients
        .admin()
        .issue_credential(request)
        .await?
        .into_inner();
    let view = CredentialView::from(&credential);
    if out == OutputFormat::Table {
        note(&format!("issued for subject {subject_id}"));
        note_credential(&view);
    }
    emit(out, &view, |view| format!("{}\n", view.token))
}

/// The stderr summary of a new credential (never the token itself).
fn note_credential(credential: &CredentialView) {
    note(&format!(
        "credential {} expires {}; the token is shown only once, store it now",
        credential.credential_id,
        cell(credential.expires_at.as_ref()),
    ));
}

async fn revoke_credential(
    clients: &Clients,
    out: OutputFormat,
    credential_id: String,
) -> Result<(), CliError> {
    let request = RevokeCredentialRequest {
        credential_id: credential_id.clone(),
    };
    clients.admin().revoke_credential(request).await?;
    let view = serde_json::json!({ "credential_id": credential_id, "revoked": true });
    emit(out, &view, |_| {
        format!("revoked credential {credential_id}\n")
    })
}

/// `supportgate whoami`: the caller's subject and credential.
pub async fn whoami(clients: &Clients, out: OutputFormat) -> Result<(), CliError> {
    let response = clients
        .admin()
        .who_am_i(WhoAmIRequest {})
        .await?
        .into_inner();
    let view = WhoAmIView::from(&response);
    emit(out, &view, |view| {
        let subject = view.subject.as_ref();
        output::key_values(&[
            ("subject", cell(subject.map(|s| &s.subject_id))),
            ("name", cell(subject.map(|s| &s.name))),
            ("role", cell(subject.and_then(|s| s.role.as_ref()))),
            ("tenant", cell(subject.and_then(|s| s.tenant_id.as_ref()))),
            ("credential", cell(view.credential_id.as_ref())),
            ("expires", cell(view.expires_at.as_ref())),
        ])
    })
}
