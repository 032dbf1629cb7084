//! Notifications for a tenant's customers, and the outbox a mail or webhook sender
//! drains.

use supportgate_audit::Decision;
use supportgate_store::{NotificationRecord, OutboxRecord, Page, StoreError};
use supportgate_types::{DataClass, NotificationId, OutboxId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

impl Services {
    /// The caller's tenant's notifications, newest first (customers only).
    pub async fn notifications_list(
        &self,
        caller: &Caller,
        unacknowledged_only: bool,
        page: &Page,
    ) -> Result<Vec<NotificationRecord>, ServiceError> {
        let tenant = self
            .notification_tenant(caller, "legal.notification.list", None)
            .await?;
        self.log(
            caller,
            Event {
                action: "legal.notification.list",
                data_class: DataClass::Metadata,
                tenant: Some(tenant),
                resource_id: None,
                case_id: None,
                decision: Decision::Allowed,
                reason: "OWN_TENANT",
            },
        )
        .await?;
        Ok(self
            .inner
            .main
            .notification_list(tenant, unacknowledged_only, page)
            .await?)
    }

    /// Marks a notification of the caller's tenant as read; acknowledging twice keeps
    /// the first acknowledgement.
    pub async fn notification_acknowledge(
        &self,
        caller: &Caller,
        notification: NotificationId,
    ) -> Result<NotificationRecord, ServiceError> {
        let action = "legal.notification.acknowledge";
        let tenant = self
            .notification_tenant(caller, action, Some(notification))
            .await?;
        let event = Event {
            action,
            data_class: DataClass::Metadata,
            tenant: Some(tenant),
            resource_id: Some(notification.to_string()),
            case_id: None,
            decision: Decision::Allowed,
            reason: "OWN_TENANT",
        };
        let found = self
            .inner
            .main
            .notification_get(tenant, notification)
            .await
            .map_err(ServiceError::from);
        self.audited(caller, event.clone(), found).await?;
        self.log(caller, event).await?;
        Ok(self
            .inner
            .main
            .notification_acknowledge(
                tenant,
                notification,
                caller.principal.subject,
                self.inner.clock.now(),
            )
            .await?)
    }

    async fn notification_tenant(
        &self,
        caller: &Caller,
        action: &'static str,
        notification: Option<NotificationId>,
    ) -> Result<supportgate_types::TenantId, ServiceError> {
        match caller.principal.tenant {
            Some(tenant) => Ok(tenant),
            None => {
                let refusal = Event {
                    action,
                    data_class: DataClass::Metadata,
                    tenant: None,
                    resource_id: notification.map(|n| n.to_string()),
                    case_id: None,
                    decision: Decision::Denied,
                    reason: "ROLE_DENIED",
                };
                self.log(caller, refusal).await?;
                Err(ServiceError::Denied {
                    reason: "ROLE_DENIED",
                    message: "notifications are for a tenant's customers".into(),
                })
            }
        }
    }

    /// A tenant's designated legal contact: where requests about it are redirected and
    /// its notifications delivered. `None` for an unknown tenant or one without.
    pub async fn designated_contact(
        &self,
        tenant: Option<supportgate_types::TenantId>,
    ) -> Result<Option<supportgate_store::LegalContactRecord>, ServiceError> {
        match tenant {
            Some(tenant) => Ok(self
                .inner
                .main
                .tenant_settings_get(tenant)
                .await?
                .legal_contact),
            None => Ok(None),
        }
    }

    /// Acknowledges what a sender delivered and hands it the next batch (admin only,
    /// at the gate). Logged, with the number of ids acknowledged as the resource.
    pub async fn outbox_drain(
        &self,
        caller: &Caller,
        delivered: &[OutboxId],
        max: u32,
    ) -> Result<Vec<OutboxRecord>, ServiceError> {
        if delivered.len() > 1000 {
            return Err(ServiceError::invalid(
                "INVALID_FIELD",
                "at most 1000 delivered_ids per call",
            ));
        }
        self.log(
            caller,
            Event {
                action: "legal.outbox.drain",
                data_class: DataClass::Metadata,
                tenant: None,
                resource_id: Some(format!("acknowledged:{}", delivered.len())),
                case_id: None,
                decision: Decision::Allowed,
                reason: "METADATA_READ",
            },
        )
        .await?;
        let max = if max == 0 { 100 } else { max.min(1000) };
        self.inner
            .main
            .outbox_drain(delivered, self.inner.clock.now(), max)
            .await
            .map_err(|e: StoreError| e.into())
    }
}
