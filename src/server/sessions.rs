//! `SessionService`: remote-access sessions; answers UNIMPLEMENTED until issue 5 lands, after the caller is authenticated and their role checked (both logged).

use tonic::{Request, Response, Status};

use super::gate::Edge;
use super::pending::{not_yet, ServerStream};
use crate::proto::{self, session_service_server::SessionService};

#[tonic::async_trait]
impl SessionService for Edge {
    type ConnectSessionStream = ServerStream<proto::Frame>;

    async fn request_session(
        &self,
        request: Request<proto::RequestSessionRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        self.caller(&request, "/supportgate.v1.SessionService/RequestSession")
            .await?;
        Err(not_yet("remote-access sessions", 5))
    }

    async fn grant_consent(
        &self,
        request: Request<proto::GrantConsentRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        self.caller(&request, "/supportgate.v1.SessionService/GrantConsent")
            .await?;
        Err(not_yet("remote-access sessions", 5))
    }

    async fn decline_consent(
        &self,
        request: Request<proto::DeclineConsentRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        self.caller(&request, "/supportgate.v1.SessionService/DeclineConsent")
            .await?;
        Err(not_yet("remote-access sessions", 5))
    }

    async fn revoke_consent(
        &self,
        request: Request<proto::RevokeConsentRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        self.caller(&request, "/supportgate.v1.SessionService/RevokeConsent")
            .await?;
        Err(not_yet("remote-access sessions", 5))
    }

    async fn get_session(
        &self,
        request: Request<proto::GetSessionRequest>,
    ) -> Result<Response<proto::Session>, Status> {
        self.caller(&request, "/supportgate.v1.SessionService/GetSession")
            .await?;
        Err(not_yet("remote-access sessions", 5))
    }

    async fn list_sessions(
        &self,
        request: Request<proto::ListSessionsRequest>,
    ) -> Result<Response<proto::ListSessionsResponse>, Status> {
        self.caller(&request, "/supportgate.v1.SessionService/ListSessions")
            .await?;
        Err(not_yet("remote-access sessions", 5))
    }

    async fn connect_session(
        &self,
        request: Request<tonic::Streaming<proto::Frame>>,
    ) -> Result<Response<Self::ConnectSessionStream>, Status> {
        self.caller(&request, "/supportgate.v1.SessionService/ConnectSession")
            .await?;
        Err(not_yet("remote-access sessions", 5))
    }
}
