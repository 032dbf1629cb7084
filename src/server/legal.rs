//! `LegalService`: law-enforcement requests and legal holds; answers UNIMPLEMENTED until issue 6 lands, after the caller is authenticated and their role checked (both logged).

use tonic::{Request, Response, Status};

use super::gate::Edge;
use super::pending::{not_yet, ServerStream};
use crate::proto::{self, legal_service_server::LegalService};

#[tonic::async_trait]
impl LegalService for Edge {
    type ProduceStream = ServerStream<proto::ProduceResponse>;

    async fn submit_request(
        &self,
        request: Request<proto::SubmitRequestRequest>,
    ) -> Result<Response<proto::SubmitRequestResponse>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/SubmitRequest")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn list_requests(
        &self,
        request: Request<proto::ListRequestsRequest>,
    ) -> Result<Response<proto::ListRequestsResponse>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/ListRequests")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn record_compulsion(
        &self,
        request: Request<proto::RecordCompulsionRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/RecordCompulsion")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn approve_compulsion(
        &self,
        request: Request<proto::ApproveCompulsionRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/ApproveCompulsion")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn record_non_disclosure(
        &self,
        request: Request<proto::RecordNonDisclosureRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/RecordNonDisclosure")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn record_customer_notice(
        &self,
        request: Request<proto::RecordCustomerNoticeRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        self.caller(
            &request,
            "/supportgate.v1.LegalService/RecordCustomerNotice",
        )
        .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn produce(
        &self,
        request: Request<proto::ProduceRequest>,
    ) -> Result<Response<Self::ProduceStream>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/Produce")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn list_notifications(
        &self,
        request: Request<proto::ListNotificationsRequest>,
    ) -> Result<Response<proto::ListNotificationsResponse>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/ListNotifications")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn acknowledge_notification(
        &self,
        request: Request<proto::AcknowledgeNotificationRequest>,
    ) -> Result<Response<proto::Notification>, Status> {
        self.caller(
            &request,
            "/supportgate.v1.LegalService/AcknowledgeNotification",
        )
        .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn set_legal_hold(
        &self,
        request: Request<proto::SetLegalHoldRequest>,
    ) -> Result<Response<proto::LegalHold>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/SetLegalHold")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn clear_legal_hold(
        &self,
        request: Request<proto::ClearLegalHoldRequest>,
    ) -> Result<Response<proto::LegalHold>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/ClearLegalHold")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }

    async fn list_legal_holds(
        &self,
        request: Request<proto::ListLegalHoldsRequest>,
    ) -> Result<Response<proto::ListLegalHoldsResponse>, Status> {
        self.caller(&request, "/supportgate.v1.LegalService/ListLegalHolds")
            .await?;
        Err(not_yet("the law-enforcement and legal-hold workflow", 6))
    }
}
