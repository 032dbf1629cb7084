//! `RecordingService`: session and call recordings; answers UNIMPLEMENTED until issue 5 lands, after the caller is authenticated and their role checked (both logged).

use tonic::{Request, Response, Status};

use super::gate::Edge;
use super::pending::{not_yet, ServerStream};
use crate::proto::{self, recording_service_server::RecordingService};

#[tonic::async_trait]
impl RecordingService for Edge {
    type DownloadRecordingStream = ServerStream<proto::DownloadRecordingResponse>;

    type ExportRecordingStream = ServerStream<proto::ExportRecordingResponse>;

    async fn list_recordings(
        &self,
        request: Request<proto::ListRecordingsRequest>,
    ) -> Result<Response<proto::ListRecordingsResponse>, Status> {
        self.caller(&request, "/supportgate.v1.RecordingService/ListRecordings")
            .await?;
        Err(not_yet("recordings", 5))
    }

    async fn get_recording(
        &self,
        request: Request<proto::GetRecordingRequest>,
    ) -> Result<Response<proto::RecordingView>, Status> {
        self.caller(&request, "/supportgate.v1.RecordingService/GetRecording")
            .await?;
        Err(not_yet("recordings", 5))
    }

    async fn download_recording(
        &self,
        request: Request<proto::DownloadRecordingRequest>,
    ) -> Result<Response<Self::DownloadRecordingStream>, Status> {
        self.caller(
            &request,
            "/supportgate.v1.RecordingService/DownloadRecording",
        )
        .await?;
        Err(not_yet("recordings", 5))
    }

    async fn export_recording(
        &self,
        request: Request<proto::ExportRecordingRequest>,
    ) -> Result<Response<Self::ExportRecordingStream>, Status> {
        self.caller(&request, "/supportgate.v1.RecordingService/ExportRecording")
            .await?;
        Err(not_yet("recordings", 5))
    }

    async fn import_recording(
        &self,
        request: Request<tonic::Streaming<proto::ImportRecordingRequest>>,
    ) -> Result<Response<proto::Recording>, Status> {
        self.caller(&request, "/supportgate.v1.RecordingService/ImportRecording")
            .await?;
        Err(not_yet("recordings", 5))
    }
}
