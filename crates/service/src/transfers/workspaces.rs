//! Workspaces and the files in them: opened by an assigned engineer, listed as metadata,
//! files listed with their names only for a purpose the chart allows.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_policy::RequestedPurpose;
use supportgate_store::{Page, UploadRecord, WorkspaceRecord};
use supportgate_types::{CaseId, DataClass, FileId, Role, SubjectId, TenantId, WorkspaceId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

/// A file as a reader sees it; `name` and `media_type` are `None` for metadata readers.
#[derive(Clone, PartialEq, Eq)]
pub struct FileView {
    /// The file.
    pub id: FileId,
    /// Its workspace.
    pub workspace: WorkspaceId,
    /// Its case.
    pub case: CaseId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its name (customer data).
    pub name: Option<String>,
    /// Its media type (customer data).
    pub media_type: Option<String>,
    /// Its size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: Vec<u8>,
    /// Who uploaded it.
    pub uploaded_by: SubjectId,
    /// When it became available.
    pub uploaded_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for FileView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileView")
            .field("id", &self.id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

fn metadata_view(r: UploadRecord) -> FileView {
    FileView {
        id: r.file,
        workspace: r.workspace,
        case: r.case,
        tenant: r.tenant,
        name: None,
        media_type: None,
        size: r.size,
        sha256: r.sha256,
        uploaded_by: r.uploader,
        uploaded_at: r.completed_at,
    }
}

impl Services {
    /// Opens a workspace on an open case: an engineer assigned to it.
    pub async fn workspace_open(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<WorkspaceRecord, ServiceError> {
        let found = self.case_facts(caller, case).await?;
        let assigned = found
            .as_ref()
            .is_some_and(|(_, facts)| facts.assigned_to_caller);
        let (tenant, case_id) = match &found {
            Some((meta, _)) => (Some(meta.tenant), Some(meta.id)),
            None => (caller.principal.tenant, None),
        };
        let workspace = WorkspaceId::new();
        let resource = if found.is_some() {
            workspace.to_string()
        } else {
            case.to_string()
        };
        let event = |decision, reason| Event {
            action: "transfer.workspace.open",
            data_class: DataClass::Metadata,
            tenant,
            resource_id: Some(resource.clone()),
            case_id,
            decision,
            reason,
        };
        let Some((meta, _)) = found.filter(|_| assigned) else {
            let reason = if case_id.is_some() {
                "NOT_ASSIGNED"
            } else {
                "NOT_FOUND"
            };
            self.log(caller, event(Decision::Denied, reason)).await?;
            return Err(match case_id {
                Some(_) => ServiceError::Denied {
                    reason,
                    message: "only an engineer assigned to the case opens workspaces on it".into(),
                },
                None => ServiceError::NotFound { what: "case" },
            });
        };
        if meta.state != supportgate_store::CaseState::Open {
            self.log(caller, event(Decision::Denied, "CASE_CLOSED"))
                .await?;
            return Err(ServiceError::FailedPrecondition {
                reason: "CASE_CLOSED",
                message: "the case is closed".into(),
            });
        }
        self.log(caller, event(Decision::Allowed, "ASSIGNED_ENGINEER"))
            .await?;
        let record = WorkspaceRecord {
            id: workspace,
            tenant: meta.tenant,
            case: meta.id,
            opened_by: caller.principal.subject,
            opened_at: self.now(),
            quota_bytes: self.inner.config.transfers.workspace_quota,
            used_bytes: 0,
        };
        self.inner.main.workspace_insert(&record).await?;
        Ok(record)
    }

    /// The workspaces of a case (metadata), for anyone who may see the case's metadata.
    pub async fn workspace_list(
        &self,
        caller: &Caller,
        case: CaseId,
        page: &Page,
    ) -> Result<Vec<WorkspaceRecord>, ServiceError> {
        self.inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                "transfer.workspace.list",
                None,
                caller.request_id,
            )
            .await?;
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "case" })?;
        Ok(self.inner.main.workspace_list(tenant, case, page).await?)
    }

    /// The available files of a workspace: with names for a permitted purpose, as
    /// metadata (no names) for compliance reviewers.
    pub async fn file_list(
        &self,
        caller: &Caller,
        workspace: WorkspaceId,
        purpose: RequestedPurpose,
        page: &Page,
    ) -> Result<Vec<FileView>, ServiceError> {
        if caller.principal.role == Role::ComplianceReviewer {
            return self.file_list_metadata(caller, workspace, page).await;
        }
        let tenant = caller.principal.tenant;
        let found = match tenant {
            Some(tenant) => self.inner.main.workspace_get(tenant, workspace).await.ok(),
            None => None,
        };
        let case = found.as_ref().map(|w| w.case);
        let grant = self
            .authorize_case_read(
                caller,
                case,
                "transfer.file.list",
                purpose,
                workspace.to_string(),
                Ok(()),
            )
            .await?;
        let records = self.inner.main.file_list(&grant, workspace, page).await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            let object = record.file.to_string();
            let name = self
                .open_field(record.tenant, &object, "name", &record.name_sealed)
                .await?;
            let media = self
                .open_field(
                    record.tenant,
                    &object,
                    "media_type",
                    &record.media_type_sealed,
                )
                .await?;
            let mut view = metadata_view(record);
            view.name = Some(name);
            view.media_type = Some(media);
            views.push(view);
        }
        Ok(views)
    }

    async fn file_list_metadata(
        &self,
        caller: &Caller,
        workspace: WorkspaceId,
        page: &Page,
    ) -> Result<Vec<FileView>, ServiceError> {
        let access = self
            .inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                "transfer.file.list",
                None,
                caller.request_id,
            )
            .await?;
        let tenant = match (caller.principal.tenant, access.scope()) {
            (Some(own), _) => own,
            (None, _) => self.inner.main.workspace_tenant(workspace).await?,
        };
        let records = self
            .inner
            .main
            .file_list_metadata(&access, tenant, workspace, page)
            .await?;
        Ok(records.into_iter().map(metadata_view).collect())
    }
}
