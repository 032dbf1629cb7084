//! `LegalService`: law-enforcement requests, production, notifications and legal holds.
//! Thin: gate, convert, `Services`, convert back (`legal/wire.rs`).

pub mod wire;

use supportgate_service::{CompulsionInput, LegalTarget, ProductionPart, SubmitInput};
use supportgate_store::HoldFilter;
use supportgate_types::{
    CaseId, CompulsionId, HoldId, LegalRequestId, NotificationId, OutboxId, TenantId,
};
use tokio::sync::mpsc;
use tonic::{Code, Request, Response, Status};

use super::convert::{id, id_opt, next_token, page, purpose, timestamp, timestamp_in};
use super::gate::Edge;
use super::pending::ServerStream;
use super::status::{to_status, with_reason};
use crate::bundle::wire::data_class_to_proto;
use crate::proto::{self, legal_service_server::LegalService};

/// Production messages queued towards a slow client (each at most one age chunk).
const PRODUCTION_QUEUE: usize = 4;

fn request_id(value: &str) -> Result<LegalRequestId, Status> {
    id("request_id", value, LegalRequestId::parse)
}

#[tonic::async_trait]
impl LegalService for Edge {
    type ProduceStream = ServerStream<proto::ProduceResponse>;

    async fn submit_request(
        &self,
        request: Request<proto::SubmitRequestRequest>,
    ) -> Result<Response<proto::SubmitRequestResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/SubmitRequest")
            .await?;
        let r = request.into_inner();
        let target =
            match r.target.and_then(|t| t.target) {
                Some(proto::legal_target::Target::TenantId(tenant)) => Some(LegalTarget::Tenant(
                    id("target.tenant_id", &tenant, TenantId::parse)?,
                )),
                Some(proto::legal_target::Target::OrganisationName(name)) => {
                    Some(LegalTarget::Organisation(name))
                }
                None => None,
            };
        let input = SubmitInput {
            target,
            agency: r.agency,
            agency_reference: r.agency_reference,
            description: r.description,
            legal_basis: r.legal_basis,
        };
        let outcome = self
            .services
            .legal_submit(&caller, input)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(proto::SubmitRequestResponse {
            request_id: outcome.request.id.to_string(),
            reference: outcome.request.reference,
            redirect: Some(proto::Redirect {
                designated_contact: outcome.designated_contact.map(wire::legal_contact),
                message: outcome.message,
            }),
        }))
    }

    async fn list_requests(
        &self,
        request: Request<proto::ListRequestsRequest>,
    ) -> Result<Response<proto::ListRequestsResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/ListRequests")
            .await?;
        let r = request.get_ref();
        let tenant = id_opt("tenant_id", &r.tenant_id, TenantId::parse)?;
        let state = wire::state_filter(r.state)?;
        let page = page(r.page_size, &r.page_token)?;
        let views = self
            .services
            .legal_list(&caller, tenant, state, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(
            &page,
            views.len(),
            views.last().map(|v| {
                supportgate_store::newest_first_after(
                    v.record.submitted_at,
                    &v.record.id.to_string(),
                )
            }),
        );
        Ok(Response::new(proto::ListRequestsResponse {
            requests: views.into_iter().map(wire::request).collect(),
            next_page_token: next,
        }))
    }

    async fn get_request(
        &self,
        request: Request<proto::GetRequestRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/GetRequest")
            .await?;
        let id = request_id(&request.get_ref().request_id)?;
        let view = self
            .services
            .legal_get(&caller, id)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::request(view)))
    }

    async fn record_compulsion(
        &self,
        request: Request<proto::RecordCompulsionRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/RecordCompulsion")
            .await?;
        let r = request.into_inner();
        let id = request_id(&r.request_id)?;
        let input = CompulsionInput {
            order_reference: r.order_reference,
            issuing_authority: r.issuing_authority,
            legal_basis: r.legal_basis,
            order_date: timestamp_in("order_date", r.order_date)?,
            scope: wire::scope_in(r.scope)?,
            recipient_key: r.recipient_public_key,
        };
        let view = self
            .services
            .legal_compel(&caller, id, input)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::request(view)))
    }

    async fn approve_compulsion(
        &self,
        request: Request<proto::ApproveCompulsionRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/ApproveCompulsion")
            .await?;
        let r = request.get_ref();
        let id = request_id(&r.request_id)?;
        let compulsion =
            super::convert::id("compulsion_id", &r.compulsion_id, CompulsionId::parse)?;
        let view = self
            .services
            .legal_approve(&caller, id, compulsion)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::request(view)))
    }

    async fn record_non_disclosure(
        &self,
        request: Request<proto::RecordNonDisclosureRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/RecordNonDisclosure")
            .await?;
        let r = request.get_ref();
        let id = request_id(&r.request_id)?;
        let expires_at = timestamp_in("expires_at", r.expires_at)?;
        let view = self
            .services
            .legal_non_disclosure(&caller, id, &r.order_reference, expires_at)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::request(view)))
    }

    async fn record_customer_notice(
        &self,
        request: Request<proto::RecordCustomerNoticeRequest>,
    ) -> Result<Response<proto::LegalRequest>, Status> {
        let caller = self
            .caller(
                &request,
                "/supportgate.v1.LegalService/RecordCustomerNotice",
            )
            .await?;
        let r = request.get_ref();
        let id = request_id(&r.request_id)?;
        let not_before = timestamp_in("production_not_before", r.production_not_before)?;
        let view = self
            .services
            .legal_notice(&caller, id, &r.message, not_before)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::request(view)))
    }

    async fn produce(
        &self,
        request: Request<proto::ProduceRequest>,
    ) -> Result<Response<Self::ProduceStream>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/Produce")
            .await?;
        let r = request.get_ref();
        let id = request_id(&r.request_id)?;
        let request_id = caller.request_id;
        let mut production = self
            .services
            .legal_produce(&caller, id, purpose(r.purpose))
            .await
            .map_err(|e| to_status(e, request_id))?;
        let manifest = proto::ProductionManifest {
            request_id: production.manifest.request.to_string(),
            compulsion_id: production.manifest.compulsion.to_string(),
            scope: Some(wire::scope(production.manifest.scope.clone())),
            item_count: production.manifest.item_count,
            recipient_public_key: production.manifest.recipient_key.clone(),
        };
        let shutdown = self.shutdown.clone();
        let (sender, receiver) = mpsc::channel(PRODUCTION_QUEUE);
        tokio::spawn(async move {
            let first = proto::ProduceResponse {
                part: Some(proto::produce_response::Part::Manifest(manifest)),
            };
            if sender.send(Ok(first)).await.is_err() {
                return;
            }
            let mut offset = 0u64;
            loop {
                let next = tokio::select! {
                    next = production.next() => next.map_err(|e| to_status(e, request_id)),
                    () = shutdown.cancelled() => Err(with_reason(
                        Code::Unavailable,
                        "SHUTTING_DOWN",
                        "the gateway is shutting down; run the production again",
                    )),
                };
                let part = match next {
                    Ok(Some(ProductionPart::Item(item))) => {
                        offset = 0;
                        proto::produce_response::Part::Item(proto::ProducedItem {
                            kind: wire::item_kind(item.kind) as i32,
                            item_id: item.id,
                            case_id: item.case.to_string(),
                            data_class: data_class_to_proto(item.data_class) as i32,
                            media_type: item.media_type,
                            size: item.size,
                            sha256: item.sha256.into(),
                            encryption: "age".to_owned(),
                        })
                    }
                    Ok(Some(ProductionPart::Chunk(data))) => {
                        let chunk = proto::ContentChunk { offset, data };
                        offset += chunk.data.len() as u64;
                        proto::produce_response::Part::Chunk(chunk)
                    }
                    Ok(Some(ProductionPart::Summary(summary))) => {
                        proto::produce_response::Part::Summary(proto::ProductionSummary {
                            items_produced: summary.items_produced,
                            missing_item_ids: summary.missing,
                            completed_at: Some(timestamp(summary.completed_at)),
                        })
                    }
                    Ok(None) => return,
                    Err(status) => {
                        let _ = sender.send(Err(status)).await;
                        return;
                    }
                };
                let message = proto::ProduceResponse { part: Some(part) };
                if sender.send(Ok(message)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }

    async fn list_notifications(
        &self,
        request: Request<proto::ListNotificationsRequest>,
    ) -> Result<Response<proto::ListNotificationsResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/ListNotifications")
            .await?;
        let r = request.get_ref();
        let page = page(r.page_size, &r.page_token)?;
        let notifications = self
            .services
            .notifications_list(&caller, r.unacknowledged_only, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(
            &page,
            notifications.len(),
            notifications
                .last()
                .map(|n| supportgate_store::newest_first_after(n.created_at, &n.id.to_string())),
        );
        Ok(Response::new(proto::ListNotificationsResponse {
            notifications: notifications.into_iter().map(wire::notification).collect(),
            next_page_token: next,
        }))
    }

    async fn acknowledge_notification(
        &self,
        request: Request<proto::AcknowledgeNotificationRequest>,
    ) -> Result<Response<proto::Notification>, Status> {
        let caller = self
            .caller(
                &request,
                "/supportgate.v1.LegalService/AcknowledgeNotification",
            )
            .await?;
        let notification = id(
            "notification_id",
            &request.get_ref().notification_id,
            NotificationId::parse,
        )?;
        let acknowledged = self
            .services
            .notification_acknowledge(&caller, notification)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::notification(acknowledged)))
    }

    async fn set_legal_hold(
        &self,
        request: Request<proto::SetLegalHoldRequest>,
    ) -> Result<Response<proto::LegalHold>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/SetLegalHold")
            .await?;
        let r = request.get_ref();
        let tenant = id_opt("tenant_id", &r.tenant_id, TenantId::parse)?;
        let case = id_opt("case_id", &r.case_id, CaseId::parse)?;
        let legal_request = id_opt("request_id", &r.request_id, LegalRequestId::parse)?;
        let hold = self
            .services
            .hold_set(&caller, tenant, case, &r.reason, legal_request)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::hold(hold)))
    }

    async fn clear_legal_hold(
        &self,
        request: Request<proto::ClearLegalHoldRequest>,
    ) -> Result<Response<proto::LegalHold>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/ClearLegalHold")
            .await?;
        let r = request.get_ref();
        let hold = id("hold_id", &r.hold_id, HoldId::parse)?;
        let cleared = self
            .services
            .hold_clear(&caller, hold, &r.reason)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::hold(cleared)))
    }

    async fn list_legal_holds(
        &self,
        request: Request<proto::ListLegalHoldsRequest>,
    ) -> Result<Response<proto::ListLegalHoldsResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/ListLegalHolds")
            .await?;
        let r = request.get_ref();
        let filter = HoldFilter {
            tenant: id_opt("tenant_id", &r.tenant_id, TenantId::parse)?,
            case: id_opt("case_id", &r.case_id, CaseId::parse)?,
            active_only: r.active_only,
        };
        let page = page(r.page_size, &r.page_token)?;
        let holds = self
            .services
            .hold_list(&caller, &filter, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(&page, holds.len(), holds.last().map(|h| h.id.to_string()));
        Ok(Response::new(proto::ListLegalHoldsResponse {
            holds: holds.into_iter().map(wire::hold).collect(),
            next_page_token: next,
        }))
    }

    async fn drain_outbox(
        &self,
        request: Request<proto::DrainOutboxRequest>,
    ) -> Result<Response<proto::DrainOutboxResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.LegalService/DrainOutbox")
            .await?;
        let r = request.get_ref();
        let delivered = r
            .delivered_ids
            .iter()
            .map(|d| id("delivered_ids", d, OutboxId::parse))
            .collect::<Result<Vec<_>, _>>()?;
        let messages = self
            .services
            .outbox_drain(&caller, &delivered, r.max_messages)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let mut out = Vec::with_capacity(messages.len());
        for message in messages {
            let recipient = self
                .services
                .designated_contact(Some(message.notification.tenant))
                .await
                .map_err(|e| to_status(e, caller.request_id))?;
            out.push(proto::OutboxMessage {
                outbox_id: message.id.to_string(),
                notification: Some(wire::notification(message.notification)),
                recipient: recipient.map(wire::legal_contact),
                enqueued_at: Some(timestamp(message.enqueued_at)),
            });
        }
        Ok(Response::new(proto::DrainOutboxResponse { messages: out }))
    }
}
