//! `supportgate transfer …`: workspaces and the files in them.

use clap::Subcommand;
use serde::Serialize;

use super::args::{parse_id, PurposeArg};
use super::connect::Clients;
use super::error::CliError;
use super::output::{emit, hex, note, rfc3339, Table};
use super::{page, OutputFormat};
use crate::proto::{ListFilesRequest, ListWorkspacesRequest, OpenWorkspaceRequest, Workspace};

/// Transfer workspaces.
#[derive(Debug, Subcommand)]
pub enum TransferCommand {
    /// Open a workspace on a case (an assigned engineer); prints its id
    Open {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
    },
    /// List the workspaces of a case
    List {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
    },
    /// List the files of a workspace (names need a purpose; reviewers see metadata)
    Files {
        /// Workspace id
        #[arg(value_parser = parse_id)]
        workspace: String,
        /// Why you are reading the names
        #[arg(long, value_enum, ignore_case = true)]
        purpose: Option<PurposeArg>,
    },
}

#[derive(Debug, Serialize)]
struct WorkspaceView {
    workspace_id: String,
    case_id: String,
    opened_by: String,
    opened_at: Option<String>,
    quota_bytes: u64,
    used_bytes: u64,
    max_file_size: u64,
}

impl From<Workspace> for WorkspaceView {
    fn from(w: Workspace) -> Self {
        WorkspaceView {
            opened_at: rfc3339(w.opened_at.as_ref()),
            workspace_id: w.workspace_id,
            case_id: w.case_id,
            opened_by: w.opened_by,
            quota_bytes: w.quota_bytes,
            used_bytes: w.used_bytes,
            max_file_size: w.max_file_size,
        }
    }
}

#[derive(Debug, Serialize)]
struct FileListing {
    file_id: String,
    name: Option<String>,
    size: u64,
    sha256: Option<String>,
    uploaded_by: String,
    uploaded_at: Option<String>,
}

/// Runs a `transfer` command.
pub async fn run(
    command: TransferCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        TransferCommand::Open { case } => {
            let w = clients
                .transfers()
                .open_workspace(OpenWorkspaceRequest { case_id: case })
                .await?
                .into_inner();
            note(&format!(
                "opened workspace {} on case {} (quota {} bytes)",
                w.workspace_id, w.case_id, w.quota_bytes
            ));
            match out {
                OutputFormat::Json => emit(out, &WorkspaceView::from(w), |_| String::new()),
                OutputFormat::Table => {
                    println!("{}", w.workspace_id);
                    Ok(())
                }
            }
        }
        TransferCommand::List { case } => list(clients, out, case).await,
        TransferCommand::Files { workspace, purpose } => {
            files(clients, out, workspace, purpose).await
        }
    }
}

async fn list(clients: &Clients, out: OutputFormat, case: String) -> Result<(), CliError> {
    let client = clients.transfers();
    let all = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListWorkspacesRequest {
            case_id: case.clone(),
            page_size,
            page_token,
        };
        async move {
            let r = client.list_workspaces(request).await?.into_inner();
            Ok((r.workspaces, r.next_page_token))
        }
    })
    .await?;
    let views: Vec<WorkspaceView> = all.into_iter().map(WorkspaceView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&["workspace", "opened", "used", "quota"]);
        for w in views {
            table.push(vec![
                w.workspace_id.clone(),
                w.opened_at.clone().unwrap_or_default(),
                w.used_bytes.to_string(),
                w.quota_bytes.to_string(),
            ]);
        }
        table.render()
    })
}

async fn files(
    clients: &Clients,
    out: OutputFormat,
    workspace: String,
    purpose: Option<PurposeArg>,
) -> Result<(), CliError> {
    let client = clients.transfers();
    let purpose = purpose.map_or(0, |p| p.to_proto() as i32);
    let all = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListFilesRequest {
            workspace_id: workspace.clone(),
            purpose,
            page_size,
            page_token,
        };
        async move {
            let r = client.list_files(request).await?.into_inner();
            Ok((r.files, r.next_page_token))
        }
    })
    .await?;
    let views: Vec<FileListing> = all
        .into_iter()
        .map(|f| FileListing {
            name: (!f.name.is_empty()).then(|| f.name.clone()),
            sha256: hex(&f.sha256),
            uploaded_at: rfc3339(f.uploaded_at.as_ref()),
            file_id: f.file_id,
            size: f.size,
            uploaded_by: f.uploaded_by,
        })
        .collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&["file", "name", "size", "sha256", "uploaded"]);
        for f in views {
            table.push(vec![
                f.file_id.clone(),
                f.name.clone().unwrap_or_else(|| "-".into()),
                f.size.to_string(),
                f.sha256.clone().unwrap_or_default(),
                f.uploaded_at.clone().unwrap_or_default(),
            ]);
        }
        table.render()
    })
}
