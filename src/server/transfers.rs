//! `TransferService`: diagnostic file transfers; answers UNIMPLEMENTED until issue 4 lands, after the caller is authenticated and their role checked (both logged).

use tonic::{Request, Response, Status};

use super::gate::Edge;
use super::pending::{not_yet, ServerStream};
use crate::proto::{self, transfer_service_server::TransferService};

#[tonic::async_trait]
impl TransferService for Edge {
    type DownloadFileStream = ServerStream<proto::DownloadFileResponse>;

    async fn open_workspace(
        &self,
        request: Request<proto::OpenWorkspaceRequest>,
    ) -> Result<Response<proto::Workspace>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/OpenWorkspace")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn list_workspaces(
        &self,
        request: Request<proto::ListWorkspacesRequest>,
    ) -> Result<Response<proto::ListWorkspacesResponse>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/ListWorkspaces")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn begin_upload(
        &self,
        request: Request<proto::BeginUploadRequest>,
    ) -> Result<Response<proto::BeginUploadResponse>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/BeginUpload")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn upload_chunks(
        &self,
        request: Request<tonic::Streaming<proto::Chunk>>,
    ) -> Result<Response<proto::UploadChunksResponse>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/UploadChunks")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn get_upload_status(
        &self,
        request: Request<proto::GetUploadStatusRequest>,
    ) -> Result<Response<proto::UploadStatus>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/GetUploadStatus")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn complete_upload(
        &self,
        request: Request<proto::CompleteUploadRequest>,
    ) -> Result<Response<proto::UploadStatus>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/CompleteUpload")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn abort_upload(
        &self,
        request: Request<proto::AbortUploadRequest>,
    ) -> Result<Response<proto::UploadStatus>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/AbortUpload")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn list_files(
        &self,
        request: Request<proto::ListFilesRequest>,
    ) -> Result<Response<proto::ListFilesResponse>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/ListFiles")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }

    async fn download_file(
        &self,
        request: Request<proto::DownloadFileRequest>,
    ) -> Result<Response<Self::DownloadFileStream>, Status> {
        self.caller(&request, "/supportgate.v1.TransferService/DownloadFile")
            .await?;
        Err(not_yet("diagnostic file transfers", 4))
    }
}
