//! Typed clients that carry one actor's bearer credential.

use supportgate::proto;
use supportgate::proto::access_log_service_client::AccessLogServiceClient;
use supportgate::proto::admin_service_client::AdminServiceClient;
use supportgate::proto::case_service_client::CaseServiceClient;
use supportgate::proto::contact_service_client::ContactServiceClient;
use supportgate::proto::legal_service_client::LegalServiceClient;
use supportgate::proto::recording_service_client::RecordingServiceClient;
use supportgate::proto::session_service_client::SessionServiceClient;
use supportgate::proto::transfer_service_client::TransferServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::Channel;
use tonic::{Request, Status};

/// Someone (or something) with an identity at the gateway.
#[derive(Clone, Debug)]
pub struct Actor {
    pub subject_id: String,
    pub tenant_id: Option<String>,
    pub role: proto::Role,
    pub name: String,
    pub credential_id: String,
    pub token: String,
}

/// Adds `authorization: Bearer …` (when there is a token) to every request.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;

/// One typed client per service, all on one channel and one credential.
#[derive(Clone)]
pub struct Clients {
    pub channel: Channel,
    bearer: Bearer,
}

impl Clients {
    /// Clients sending `token` (or nothing).
    pub fn new(channel: Channel, token: Option<&str>) -> Clients {
        let header = token.map(|t| format!("Bearer {t}").parse().expect("token fits a header"));
        Clients {
            channel,
            bearer: Bearer(header),
        }
    }

    pub fn admin(&self) -> AdminServiceClient<Authed> {
        AdminServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }
    pub fn cases(&self) -> CaseServiceClient<Authed> {
        CaseServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }
    pub fn contacts(&self) -> ContactServiceClient<Authed> {
        ContactServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }
    pub fn transfers(&self) -> TransferServiceClient<Authed> {
        TransferServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
            .max_decoding_message_size(8 * 1024 * 1024)
    }
    pub fn sessions(&self) -> SessionServiceClient<Authed> {
        SessionServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }
    pub fn recordings(&self) -> RecordingServiceClient<Authed> {
        RecordingServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
            .max_decoding_message_size(8 * 1024 * 1024)
    }
    pub fn log(&self) -> AccessLogServiceClient<Authed> {
        AccessLogServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }
    pub fn legal(&self) -> LegalServiceClient<Authed> {
        LegalServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
            .max_decoding_message_size(8 * 1024 * 1024)
    }

    /// Every access-log entry this actor may list with `filter`, page by page.
    pub async fn log_entries(
        &self,
        filter: proto::ListEntriesRequest,
    ) -> Vec<proto::AccessLogEntry> {
        let mut log = self.log();
        let mut request = proto::ListEntriesRequest {
            page_size: 500,
            ..filter
        };
        let mut entries = Vec::new();
        loop {
            let page = log
                .list_entries(request.clone())
                .await
                .expect("list the log")
                .into_inner();
            entries.extend(page.entries);
            if page.next_page_token.is_empty() {
                return entries;
            }
            request.page_token = page.next_page_token;
        }
    }

    /// The bearer header value, for raw calls.
    pub fn bearer_header(&self) -> Option<MetadataValue<Ascii>> {
        self.bearer.0.clone()
    }
}
