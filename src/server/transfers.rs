//! `TransferService`: workspaces, resumable uploads, verified completion, ranged downloads.

use supportgate_service::{
    BeginUploadInput, ChunkInput, FileView, UploadRecord, UploadState, WorkspaceRecord,
};
use supportgate_types::{CaseId, FileId, FileName, MediaType, UploadId, WorkspaceId};
use tonic::{Code, Request, Response, Status, Streaming};

use super::content;
use super::convert::{id, next_token, page, purpose, text_error, timestamp};
use super::gate::Edge;
use super::pending::ServerStream;
use super::status::{stream_error, to_status, with_reason};
use crate::proto::{self, download_file_response::Part, transfer_service_server::TransferService};

/// How long an upload stream may stay silent before it is closed.
const UPLOAD_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

fn workspace(w: WorkspaceRecord, max_file_size: u64) -> proto::Workspace {
    proto::Workspace {
        workspace_id: w.id.to_string(),
        tenant_id: w.tenant.to_string(),
        case_id: w.case.to_string(),
        opened_by: w.opened_by.to_string(),
        opened_at: Some(timestamp(w.opened_at)),
        quota_bytes: w.quota_bytes,
        used_bytes: w.used_bytes,
        max_file_size,
    }
}

fn state(s: UploadState) -> proto::UploadState {
    match s {
        UploadState::InProgress => proto::UploadState::InProgress,
        UploadState::Available => proto::UploadState::Available,
        UploadState::Failed => proto::UploadState::Failed,
        UploadState::Aborted => proto::UploadState::Aborted,
        UploadState::Purged => proto::UploadState::Purged,
    }
}

fn status(u: UploadRecord) -> proto::UploadStatus {
    proto::UploadStatus {
        upload_id: u.id.to_string(),
        file_id: u.file.to_string(),
        workspace_id: u.workspace.to_string(),
        state: state(u.state) as i32,
        size: u.size,
        sha256: u.sha256.into(),
        committed_offset: u.committed_offset,
        created_at: Some(timestamp(u.created_at)),
        expires_at: Some(timestamp(u.expires_at)),
        completed_at: u.completed_at.map(timestamp),
        failure_reason: u.failure_reason.unwrap_or_default(),
    }
}

fn file(f: FileView) -> proto::FileInfo {
    proto::FileInfo {
        file_id: f.id.to_string(),
        workspace_id: f.workspace.to_string(),
        case_id: f.case.to_string(),
        tenant_id: f.tenant.to_string(),
        name: f.name.unwrap_or_default(),
        media_type: f.media_type.unwrap_or_default(),
        size: f.size,
        sha256: f.sha256.into(),
        uploaded_by: f.uploaded_by.to_string(),
        uploaded_at: f.uploaded_at.map(timestamp),
    }
}

fn begin_input(r: &proto::BeginUploadRequest) -> Result<BeginUploadInput, Status> {
    let sha256: [u8; 32] = r.sha256.as_ref().try_into().map_err(|_| {
        with_reason(
            Code::InvalidArgument,
            "INVALID_SHA256",
            format!("sha256 must be 32 bytes; got {}", r.sha256.len()),
        )
    })?;
    Ok(BeginUploadInput {
        workspace: id("workspace_id", &r.workspace_id, WorkspaceId::parse)?,
        name: FileName::parse(&r.name).map_err(text_error)?,
        size: r.size,
        sha256,
        media_type: MediaType::parse(&r.media_type).map_err(text_error)?,
    })
}

impl Edge {
    async fn upload_stream(
        &self,
        request: Request<Streaming<proto::Chunk>>,
    ) -> Result<proto::UploadChunksResponse, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/UploadChunks")
            .await?;
        let request_id = caller.request_id;
        let mut stream = request.into_inner();
        let Some(first) = stream.message().await.map_err(stream_error)? else {
            return Err(with_reason(
                Code::InvalidArgument,
                "FIELD_REQUIRED",
                "send at least one chunk naming the upload",
            ));
        };
        let upload = id("upload_id", &first.upload_id, UploadId::parse)?;
        let mut writer = self
            .services
            .upload_open(&caller, upload)
            .await
            .map_err(|e| to_status(e, request_id))?;
        let mut next = Some(first);
        while let Some(chunk) = next {
            if UploadId::parse(&chunk.upload_id).ok() != Some(upload) {
                return Err(with_reason(
                    Code::InvalidArgument,
                    "UPLOAD_ID_CHANGED",
                    "every chunk of a stream must name the same upload",
                ));
            }
            let bytes = chunk.data.len() as u64;
            let input = ChunkInput {
                offset: chunk.offset,
                data: chunk.data,
                crc32c: chunk.crc32c,
            };
            writer
                .write(input)
                .await
                .map_err(|e| to_status(e, request_id))?;
            self.metrics.upload_committed(bytes);
            next = tokio::select! {
                message = tokio::time::timeout(UPLOAD_IDLE, stream.message()) => match message {
                    Ok(message) => message.map_err(stream_error)?,
                    Err(_) => {
                        // A silent client must not hold the upload (and a tenant slot) forever.
                        return Err(with_reason(
                            Code::DeadlineExceeded,
                            "UPLOAD_IDLE",
                            format!("no chunk for {} s; resume from the committed offset", UPLOAD_IDLE.as_secs()),
                        ));
                    }
                },
                () = self.shutdown.cancelled() => None,
            };
        }
        let committed = writer
            .finish()
            .await
            .map_err(|e| to_status(e, request_id))?;
        Ok(proto::UploadChunksResponse {
            upload_id: upload.to_string(),
            committed_offset: committed,
        })
    }
}

#[tonic::async_trait]
impl TransferService for Edge {
    type DownloadFileStream = ServerStream<proto::DownloadFileResponse>;

    async fn open_workspace(
        &self,
        request: Request<proto::OpenWorkspaceRequest>,
    ) -> Result<Response<proto::Workspace>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/OpenWorkspace")
            .await?;
        let case = id("case_id", &request.get_ref().case_id, CaseId::parse)?;
        let opened = self
            .services
            .workspace_open(&caller, case)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(workspace(
            opened,
            self.services.transfer_limits().max_file_size,
        )))
    }

    async fn list_workspaces(
        &self,
        request: Request<proto::ListWorkspacesRequest>,
    ) -> Result<Response<proto::ListWorkspacesResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/ListWorkspaces")
            .await?;
        let r = request.get_ref();
        let case = id("case_id", &r.case_id, CaseId::parse)?;
        let page = page(r.page_size, &r.page_token)?;
        let list = self
            .services
            .workspace_list(&caller, case, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(&page, list.len(), list.last().map(|w| w.id.to_string()));
        let max = self.services.transfer_limits().max_file_size;
        Ok(Response::new(proto::ListWorkspacesResponse {
            workspaces: list.into_iter().map(|w| workspace(w, max)).collect(),
            next_page_token: next,
        }))
    }

    async fn begin_upload(
        &self,
        request: Request<proto::BeginUploadRequest>,
    ) -> Result<Response<proto::BeginUploadResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/BeginUpload")
            .await?;
        let input = begin_input(request.get_ref())?;
        let (upload, max_chunk) = self
            .services
            .upload_begin(&caller, input)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(proto::BeginUploadResponse {
            upload_id: upload.id.to_string(),
            file_id: upload.file.to_string(),
            max_chunk_size: max_chunk,
            expires_at: Some(timestamp(upload.expires_at)),
        }))
    }

    async fn upload_chunks(
        &self,
        request: Request<Streaming<proto::Chunk>>,
    ) -> Result<Response<proto::UploadChunksResponse>, Status> {
        self.upload_stream(request).await.map(Response::new)
    }

    async fn get_upload_status(
        &self,
        request: Request<proto::GetUploadStatusRequest>,
    ) -> Result<Response<proto::UploadStatus>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/GetUploadStatus")
            .await?;
        let upload = id("upload_id", &request.get_ref().upload_id, UploadId::parse)?;
        let record = self
            .services
            .upload_status(&caller, upload)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(status(record)))
    }

    async fn complete_upload(
        &self,
        request: Request<proto::CompleteUploadRequest>,
    ) -> Result<Response<proto::UploadStatus>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/CompleteUpload")
            .await?;
        let upload = id("upload_id", &request.get_ref().upload_id, UploadId::parse)?;
        let record = self
            .services
            .upload_complete(&caller, upload)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        if record.state == UploadState::Available {
            self.metrics.upload_completed();
        }
        Ok(Response::new(status(record)))
    }

    async fn abort_upload(
        &self,
        request: Request<proto::AbortUploadRequest>,
    ) -> Result<Response<proto::UploadStatus>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/AbortUpload")
            .await?;
        let upload = id("upload_id", &request.get_ref().upload_id, UploadId::parse)?;
        let record = self
            .services
            .upload_abort(&caller, upload)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(status(record)))
    }

    async fn list_files(
        &self,
        request: Request<proto::ListFilesRequest>,
    ) -> Result<Response<proto::ListFilesResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/ListFiles")
            .await?;
        let r = request.get_ref();
        let workspace = id("workspace_id", &r.workspace_id, WorkspaceId::parse)?;
        let page = page(r.page_size, &r.page_token)?;
        let files = self
            .services
            .file_list(&caller, workspace, purpose(r.purpose), &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(&page, files.len(), files.last().map(|f| f.id.to_string()));
        Ok(Response::new(proto::ListFilesResponse {
            files: files.into_iter().map(file).collect(),
            next_page_token: next,
        }))
    }

    async fn download_file(
        &self,
        request: Request<proto::DownloadFileRequest>,
    ) -> Result<Response<Self::DownloadFileStream>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.TransferService/DownloadFile")
            .await?;
        let request_id = caller.request_id;
        let r = request.get_ref();
        let file_id = id("file_id", &r.file_id, FileId::parse)?;
        let range = r.range.unwrap_or_default();
        let download = self
            .services
            .download_open(
                &caller,
                file_id,
                purpose(r.purpose),
                range.offset,
                range.length,
            )
            .await
            .map_err(|e| to_status(e, request_id))?;
        let header = proto::ContentHeader {
            object_id: file_id.to_string(),
            total_size: download.total_size,
            sha256: download.sha256.clone().into(),
            offset: download.offset,
            length: download.length,
            media_type: download.media_type.clone(),
        };
        Ok(Response::new(content::stream(
            header,
            content::Mapped::new(download, request_id),
            self.shutdown.clone(),
            |h| proto::DownloadFileResponse {
                part: Some(Part::Header(h)),
            },
            |c| proto::DownloadFileResponse {
                part: Some(Part::Chunk(c)),
            },
        )))
    }
}
