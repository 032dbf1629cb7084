//! `RecordingService`: listing, reading, exporting and importing recordings.

mod export;

use supportgate_service::{ContentRead, ImportInput, RecordingDetails};
use supportgate_store::{
    ParticipantRecord, RecordingKind, RecordingRecord, RecordingSource, RecordingState,
};
use supportgate_types::{CaseId, MediaType, RecordingId};
use tonic::{Code, Request, Response, Status, Streaming};

use super::content::{self, Mapped};
use super::convert::{id, next_token, page, purpose, text_error, timestamp, timestamp_in};
use super::gate::Edge;
use super::pending::ServerStream;
use super::sessions::role;
use super::status::{stream_error, to_status, with_reason};
use crate::proto::{self, recording_service_server::RecordingService};

/// The reasons an import stream is refused for, as the log records them.
const REFUSALS: [&str; 6] = [
    "SHUTTING_DOWN",
    "IMPORT_IDLE",
    "CHUNK_OFFSET_MISMATCH",
    "METADATA_REPEATED",
    "UPLOAD_EXCEEDS_DECLARED_SIZE",
    "MESSAGE_TOO_LARGE",
];

/// How long an import stream may stay silent before it is abandoned.
const IMPORT_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

fn kind(k: RecordingKind) -> proto::RecordingKind {
    match k {
        RecordingKind::Terminal => proto::RecordingKind::Terminal,
        RecordingKind::Screen => proto::RecordingKind::Screen,
        RecordingKind::Phone => proto::RecordingKind::Phone,
        RecordingKind::Chat => proto::RecordingKind::Chat,
    }
}

fn kind_filter(value: i32) -> Result<Option<RecordingKind>, Status> {
    match proto::RecordingKind::try_from(value) {
        Ok(proto::RecordingKind::Unspecified) => Ok(None),
        Ok(proto::RecordingKind::Terminal) => Ok(Some(RecordingKind::Terminal)),
        Ok(proto::RecordingKind::Screen) => Ok(Some(RecordingKind::Screen)),
        Ok(proto::RecordingKind::Phone) => Ok(Some(RecordingKind::Phone)),
        Ok(proto::RecordingKind::Chat) => Ok(Some(RecordingKind::Chat)),
        Err(_) => Err(with_reason(
            Code::InvalidArgument,
            "UNKNOWN_KIND",
            format!("{value} is not a recording kind"),
        )),
    }
}

/// A recording's metadata as the wire shows it.
fn recording(r: RecordingRecord) -> proto::Recording {
    let available = r.state == RecordingState::Available;
    proto::Recording {
        recording_id: r.id.to_string(),
        tenant_id: r.tenant.to_string(),
        case_id: r.case.to_string(),
        session_id: r.session.map(|s| s.to_string()).unwrap_or_default(),
        kind: kind(r.kind) as i32,
        source: match r.source {
            RecordingSource::Session => proto::RecordingSource::Session,
            RecordingSource::Imported => proto::RecordingSource::Imported,
        } as i32,
        state: match r.state {
            RecordingState::Recording => proto::RecordingState::Recording,
            RecordingState::Available => proto::RecordingState::Available,
            RecordingState::Truncated => proto::RecordingState::Truncated,
            RecordingState::Purged => proto::RecordingState::Purged,
        } as i32,
        media_type: r.media_type,
        size: if available || r.state == RecordingState::Truncated {
            r.size
        } else {
            0
        },
        sha256: if available {
            r.sha256.unwrap_or_default().into()
        } else {
            Default::default()
        },
        frame_count: r.frame_count,
        started_at: r.started_at.map(timestamp),
        ended_at: r.ended_at.map(timestamp),
        created_by: r.created_by.to_string(),
        created_at: Some(timestamp(r.created_at)),
    }
}

fn participant(p: ParticipantRecord) -> proto::RecordingParticipant {
    let kind = match p.role.as_str() {
        "agent" => supportgate_service::ParticipantKind::Agent,
        "engineer" => supportgate_service::ParticipantKind::Engineer,
        _ => supportgate_service::ParticipantKind::Observer,
    };
    proto::RecordingParticipant {
        subject_id: p.subject.to_string(),
        role: role(kind) as i32,
        joined_at: Some(timestamp(p.joined_at)),
        left_at: p.left_at.map(timestamp),
    }
}

fn view(d: RecordingDetails) -> proto::RecordingView {
    let (cols, rows) = d.record.initial_size.unwrap_or((0, 0));
    proto::RecordingView {
        recording: Some(recording(d.record)),
        title: d.title.unwrap_or_default(),
        description: d.description.unwrap_or_default(),
        initial_cols: cols,
        initial_rows: rows,
        participants: d.participants.into_iter().map(participant).collect(),
    }
}

fn import_input(m: proto::ImportRecordingMetadata) -> Result<ImportInput, Status> {
    let case = id("case_id", &m.case_id, CaseId::parse)?;
    let kind = match proto::RecordingKind::try_from(m.kind) {
        Ok(proto::RecordingKind::Phone) => RecordingKind::Phone,
        Ok(proto::RecordingKind::Chat) => RecordingKind::Chat,
        Ok(proto::RecordingKind::Screen) => RecordingKind::Screen,
        Ok(proto::RecordingKind::Terminal) => {
            return Err(with_reason(
                Code::InvalidArgument,
                "TERMINAL_NOT_IMPORTABLE",
                "terminal recordings come only from sessions: import PHONE, CHAT or SCREEN",
            ))
        }
        _ => {
            return Err(with_reason(
                Code::InvalidArgument,
                "UNKNOWN_KIND",
                "kind must be PHONE, CHAT or SCREEN",
            ))
        }
    };
    let sha256: [u8; 32] = m.sha256.as_ref().try_into().map_err(|_| {
        with_reason(
            Code::InvalidArgument,
            "INVALID_SHA256",
            format!("sha256 must be 32 bytes; got {}", m.sha256.len()),
        )
    })?;
    let text = |field: &'static str, value: String, max: usize| {
        if value.len() > max
            || value
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            Err(with_reason(
                Code::InvalidArgument,
                "INVALID_FIELD",
                format!("{field} must be at most {max} bytes of text without control characters"),
            ))
        } else {
            Ok(value)
        }
    };
    let external_id = text("external_id", m.external_id, 256)?;
    Ok(ImportInput {
        case,
        kind,
        media_type: MediaType::parse(&m.media_type).map_err(text_error)?,
        title: text("title", m.title, 512)?,
        description: text("description", m.description, 16 * 1024)?,
        size: m.size,
        sha256,
        started_at: timestamp_in("started_at", m.started_at)?,
        ended_at: timestamp_in("ended_at", m.ended_at)?,
        external_id: (!external_id.is_empty()).then_some(external_id),
    })
}

impl Edge {
    /// Reads an import stream into the service: metadata first, then chunks in order.
    async fn import(
        &self,
        request: Request<Streaming<proto::ImportRecordingRequest>>,
    ) -> Result<proto::Recording, Status> {
        use proto::import_recording_request::Part;
        let caller = self
            .caller(&request, "/supportgate.v1.RecordingService/ImportRecording")
            .await?;
        let request_id = caller.request_id;
        let mut stream = request.into_inner();
        let metadata = match stream
            .message()
            .await
            .map_err(stream_error)?
            .and_then(|m| m.part)
        {
            Some(Part::Metadata(metadata)) => metadata,
            _ => {
                return Err(with_reason(
                    Code::InvalidArgument,
                    "METADATA_REQUIRED",
                    "the first message of an import must carry its metadata",
                ))
            }
        };
        let input = import_input(metadata)?;
        let mut writer = self
            .services
            .recording_import(&caller, input)
            .await
            .map_err(|e| to_status(e, request_id))?;
        let mut received: u64 = 0;
        let outcome: Result<(), Status> = async {
            loop {
                let message = tokio::select! {
                    message = tokio::time::timeout(IMPORT_IDLE, stream.message()) => message.map_err(|_| with_reason(
                        Code::DeadlineExceeded,
                        "IMPORT_IDLE",
                        format!("no content for {} s; the import was abandoned", IMPORT_IDLE.as_secs()),
                    ))?.map_err(stream_error)?,
                    () = self.shutdown.cancelled() => return Err(with_reason(
                        Code::Unavailable,
                        "SHUTTING_DOWN",
                        "the gateway is shutting down; import again",
                    )),
                };
                let chunk = match message.and_then(|m| m.part) {
                    None => return Ok(()),
                    Some(Part::Chunk(chunk)) => chunk,
                    Some(Part::Metadata(_)) => {
                        return Err(with_reason(
                            Code::InvalidArgument,
                            "METADATA_REPEATED",
                            "only the first message carries metadata",
                        ))
                    }
                };
                if chunk.offset != received {
                    return Err(with_reason(
                        Code::InvalidArgument,
                        "CHUNK_OFFSET_MISMATCH",
                        format!("chunk at offset {} but {received} bytes were received", chunk.offset),
                    ));
                }
                received += chunk.data.len() as u64;
                writer.write(&chunk.data).await.map_err(|e| to_status(e, request_id))?;
            }
        }
        .await;
        if let Err(status) = outcome {
            let reason = super::status::reason_code(&status, &REFUSALS).unwrap_or("IMPORT_REFUSED");
            if let Err(error) = writer.discard(reason).await {
                tracing::error!(error = %crate::error_chain(&error), "could not discard a failed import");
            }
            return Err(status);
        }
        let done = writer
            .finish()
            .await
            .map_err(|e| to_status(e, request_id))?;
        Ok(recording(done))
    }
}

#[tonic::async_trait]
impl RecordingService for Edge {
    type DownloadRecordingStream = ServerStream<proto::DownloadRecordingResponse>;

    type ExportRecordingStream = ServerStream<proto::ExportRecordingResponse>;

    async fn list_recordings(
        &self,
        request: Request<proto::ListRecordingsRequest>,
    ) -> Result<Response<proto::ListRecordingsResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.RecordingService/ListRecordings")
            .await?;
        let r = request.get_ref();
        let case = id("case_id", &r.case_id, CaseId::parse)?;
        let filter = kind_filter(r.kind)?;
        let page = page(r.page_size, &r.page_token)?;
        let list = self
            .services
            .recording_list(&caller, case, filter, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(&page, list.len(), list.last().map(|r| r.id.to_string()));
        Ok(Response::new(proto::ListRecordingsResponse {
            recordings: list.into_iter().map(recording).collect(),
            next_page_token: next,
        }))
    }

    async fn get_recording(
        &self,
        request: Request<proto::GetRecordingRequest>,
    ) -> Result<Response<proto::RecordingView>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.RecordingService/GetRecording")
            .await?;
        let r = request.get_ref();
        let recording_id = id("recording_id", &r.recording_id, RecordingId::parse)?;
        let details = self
            .services
            .recording_details(&caller, recording_id, purpose(r.purpose))
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(view(details)))
    }

    async fn download_recording(
        &self,
        request: Request<proto::DownloadRecordingRequest>,
    ) -> Result<Response<Self::DownloadRecordingStream>, Status> {
        use proto::download_recording_response::Part;
        let caller = self
            .caller(
                &request,
                "/supportgate.v1.RecordingService/DownloadRecording",
            )
            .await?;
        let request_id = caller.request_id;
        let r = request.get_ref();
        let recording_id = id("recording_id", &r.recording_id, RecordingId::parse)?;
        let range = r.range.unwrap_or_default();
        let content = self
            .services
            .recording_open(
                &caller,
                recording_id,
                purpose(r.purpose),
                ContentRead::Download,
                range.offset,
                range.length,
            )
            .await
            .map_err(|e| to_status(e, request_id))?;
        let complete = content.record.state == RecordingState::Available;
        let header = proto::ContentHeader {
            object_id: recording_id.to_string(),
            total_size: content.readable,
            sha256: if complete {
                content.record.sha256.clone().unwrap_or_default().into()
            } else {
                Default::default()
            },
            offset: content.offset,
            length: content.length,
            media_type: content.record.media_type.clone(),
        };
        Ok(Response::new(content::stream(
            header,
            Mapped::new(content, request_id),
            self.shutdown.clone(),
            |h| proto::DownloadRecordingResponse {
                part: Some(Part::Header(h)),
            },
            |c| proto::DownloadRecordingResponse {
                part: Some(Part::Chunk(c)),
            },
        )))
    }

    async fn export_recording(
        &self,
        request: Request<proto::ExportRecordingRequest>,
    ) -> Result<Response<Self::ExportRecordingStream>, Status> {
        use proto::export_recording_response::Part;
        let caller = self
            .caller(&request, "/supportgate.v1.RecordingService/ExportRecording")
            .await?;
        let request_id = caller.request_id;
        let r = request.get_ref();
        let recording_id = id("recording_id", &r.recording_id, RecordingId::parse)?;
        if r.format != proto::RecordingExportFormat::AsciicastV2 as i32 {
            return Err(with_reason(
                Code::InvalidArgument,
                "UNKNOWN_FORMAT",
                "format is required: ASCIICAST_V2 is the one export format",
            ));
        }
        let content = self
            .services
            .recording_open(
                &caller,
                recording_id,
                purpose(r.purpose),
                ContentRead::Export,
                0,
                0,
            )
            .await
            .map_err(|e| to_status(e, request_id))?;
        let header = proto::ContentHeader {
            object_id: recording_id.to_string(),
            total_size: 0,
            sha256: Default::default(),
            offset: 0,
            length: 0,
            media_type: export::ASCIICAST_MEDIA_TYPE.into(),
        };
        let source = export::AsciicastSource::new(content, r.include_input, request_id)?;
        Ok(Response::new(content::stream(
            header,
            source,
            self.shutdown.clone(),
            |h| proto::ExportRecordingResponse {
                part: Some(Part::Header(h)),
            },
            |c| proto::ExportRecordingResponse {
                part: Some(Part::Chunk(c)),
            },
        )))
    }

    async fn import_recording(
        &self,
        request: Request<Streaming<proto::ImportRecordingRequest>>,
    ) -> Result<Response<proto::Recording>, Status> {
        // Its own task: when the client goes away the handler is dropped, and the
        // failed import must still be destroyed.
        let edge = self.clone();
        tokio::spawn(async move { edge.import(request).await })
            .await
            .map_err(|_| with_reason(Code::Internal, "INTERNAL", "the import ended abnormally"))?
            .map(Response::new)
    }
}
