//! Law-enforcement requests, notifications and their outbox, and tenant settings.
//!
//! Every step of a request is a conditional update on its state (and, for approval, on
//! the compulsion's id and a different counsel), so two counsel racing cannot both win
//! and a replayed call changes nothing.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use supportgate_types::{
    CompulsionId, LegalRequestId, NotificationId, OutboxId, SubjectId, TenantId,
};

use super::MainStore;
use crate::legal_records::{
    CompulsionRecord, LegalContactRecord, LegalRequestRecord, LegalRequestState,
    NonDisclosureRecord, NoticeRecord, NotificationKind, NotificationRecord, OutboxRecord,
    TenantSettingsRecord,
};
use crate::rows::{id, id_opt, int, int_opt, text, text_opt};
use crate::time::{from_micros, from_micros_opt, to_micros};
use crate::{Page, StoreError};

const REQUEST_COLUMNS: &str = "id, reference, tenant_id, agency, agency_reference, description, legal_basis, \
    submitted_by, submitted_at, state, compulsion_id, order_reference, issuing_authority, order_basis, order_date, \
    scope_json, recipient_key, compelled_by, compelled_at, approved_by, approved_at, nd_reference, nd_expires_at, \
    nd_recorded_by, nd_recorded_at, notice_id, noticed_at, production_not_before, notice_recorded_by, produced_at";

/// Read from `legal_notifications n JOIN legal_requests r`.
const NOTIFICATION_COLUMNS: &str =
    "n.id, n.tenant_id, n.kind, n.request_id, r.reference AS request_reference, \
    r.agency, n.message, n.created_at, n.acknowledged_at, n.acknowledged_by";
const NOTIFICATIONS: &str = "legal_notifications n JOIN legal_requests r ON r.id = n.request_id";

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what }
}

fn request_row(row: &AnyRow) -> Result<LegalRequestRecord, StoreError> {
    let compulsion = match id_opt::<CompulsionId>(row, "compulsion_id")? {
        None => None,
        Some(compulsion) => Some(CompulsionRecord {
            id: compulsion,
            order_reference: text_opt(row, "order_reference")?.unwrap_or_default(),
            issuing_authority: text_opt(row, "issuing_authority")?.unwrap_or_default(),
            legal_basis: text_opt(row, "order_basis")?.unwrap_or_default(),
            order_date: from_micros_opt(int_opt(row, "order_date")?)?,
            scope_json: text_opt(row, "scope_json")?.ok_or(corrupt("compulsion scope"))?,
            recipient_key: text_opt(row, "recipient_key")?.ok_or(corrupt("recipient key"))?,
            recorded_by: id_opt(row, "compelled_by")?.ok_or(corrupt("compelled_by"))?,
            recorded_at: from_micros_opt(int_opt(row, "compelled_at")?)?
                .ok_or(corrupt("compelled_at"))?,
            approved_by: id_opt(row, "approved_by")?,
            approved_at: from_micros_opt(int_opt(row, "approved_at")?)?,
        }),
    };
    let non_disclosure = match text_opt(row, "nd_reference")? {
        None => None,
        Some(order_reference) => Some(NonDisclosureRecord {
            order_reference,
            expires_at: from_micros_opt(int_opt(row, "nd_expires_at")?)?,
            recorded_by: id_opt(row, "nd_recorded_by")?.ok_or(corrupt("nd_recorded_by"))?,
            recorded_at: from_micros_opt(int_opt(row, "nd_recorded_at")?)?
                .ok_or(corrupt("nd_recorded_at"))?,
        }),
    };
    let notice = match id_opt::<NotificationId>(row, "notice_id")? {
        None => None,
        Some(notification) => Some(NoticeRecord {
            notification,
            noticed_at: from_micros_opt(int_opt(row, "noticed_at")?)?
                .ok_or(corrupt("noticed_at"))?,
            production_not_before: from_micros_opt(int_opt(row, "production_not_before")?)?
                .ok_or(corrupt("production_not_before"))?,
            recorded_by: id_opt(row, "notice_recorded_by")?.ok_or(corrupt("notice_recorded_by"))?,
        }),
    };
    Ok(LegalRequestRecord {
        id: id(row, "id")?,
        reference: text(row, "reference")?,
        tenant: id_opt(row, "tenant_id")?,
        agency: text(row, "agency")?,
        agency_reference: text(row, "agency_reference")?,
        description: text(row, "description")?,
        legal_basis: text(row, "legal_basis")?,
        submitted_by: id(row, "submitted_by")?,
        submitted_at: from_micros(int(row, "submitted_at")?)?,
        state: LegalRequestState::parse(&text(row, "state")?)
            .ok_or(corrupt("legal request state"))?,
        compulsion,
        non_disclosure,
        notice,
        produced_at: from_micros_opt(int_opt(row, "produced_at")?)?,
    })
}

fn notification_row(row: &AnyRow) -> Result<NotificationRecord, StoreError> {
    Ok(NotificationRecord {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        kind: NotificationKind::parse(&text(row, "kind")?).ok_or(corrupt("notification kind"))?,
        request: id(row, "request_id")?,
        request_reference: text(row, "request_reference")?,
        agency: text(row, "agency")?,
        message: text(row, "message")?,
        created_at: from_micros(int(row, "created_at")?)?,
        acknowledged_at: from_micros_opt(int_opt(row, "acknowledged_at")?)?,
        acknowledged_by: id_opt(row, "acknowledged_by")?,
    })
}

/// A newest-first page position: the last row's time (microseconds) and id, as
/// `MICROS-ID` (the page token's alphabet is letters, digits and `-`).
fn newest_first_cursor(page: &Page) -> Result<(i64, String), StoreError> {
    match &page.after {
        None => Ok((i64::MAX, "~".to_owned())),
        Some(after) => {
            let (micros, id) = after.split_once('-').ok_or(StoreError::InvalidCursor)?;
            Ok((
                micros.parse().map_err(|_| StoreError::InvalidCursor)?,
                id.to_owned(),
            ))
        }
    }
}

/// The cursor that continues a newest-first listing after this row.
pub fn newest_first_after(at: DateTime<Utc>, id: &str) -> String {
    format!("{}-{id}", to_micros(at))
}

/// What a listing of requests may show.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    /// Only this tenant's requests.
    pub tenant: Option<TenantId>,
    /// Only requests in this state.
    pub state: Option<LegalRequestState>,
    /// Only requests this subject submitted.
    pub submitted_by: Option<SubjectId>,
    /// Hide requests under a non-disclosure obligation in force at this time.
    pub hide_non_disclosed_at: Option<DateTime<Utc>>,
}

impl MainStore {
    /// A tenant's settings; defaults when none were ever set.
    pub async fn tenant_settings_get(
        &self,
        tenant: TenantId,
    ) -> Result<TenantSettingsRecord, StoreError> {
        let row = sqlx::query(
            "SELECT legal_contact_name, legal_contact_email, legal_contact_phone, legal_contact_address, \
             legal_contact_organisation, retention_seconds, updated_at FROM tenant_settings WHERE tenant_id = $1",
        )
        .bind(tenant.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        let Some(row) = row else {
            return Ok(TenantSettingsRecord {
                tenant: Some(tenant),
                ..TenantSettingsRecord::default()
            });
        };
        let legal_contact = match text_opt(&row, "legal_contact_name")? {
            None => None,
            Some(name) => Some(LegalContactRecord {
                name,
                email: text_opt(&row, "legal_contact_email")?.unwrap_or_default(),
                phone: text_opt(&row, "legal_contact_phone")?.unwrap_or_default(),
                postal_address: text_opt(&row, "legal_contact_address")?.unwrap_or_default(),
                organisation: text_opt(&row, "legal_contact_organisation")?.unwrap_or_default(),
            }),
        };
        Ok(TenantSettingsRecord {
            tenant: Some(tenant),
            legal_contact,
            retention_seconds: u64::try_from(int(&row, "retention_seconds")?)
                .map_err(|_| corrupt("retention_seconds"))?,
            updated_at: from_micros_opt(int_opt(&row, "updated_at")?)?,
        })
    }

    /// Stores a tenant's whole settings row.
    pub async fn tenant_settings_put(
        &self,
        tenant: TenantId,
        settings: &TenantSettingsRecord,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let contact = settings.legal_contact.as_ref();
        let field = |f: fn(&LegalContactRecord) -> &String| contact.map(|c| f(c).clone());
        sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, legal_contact_name, legal_contact_email, legal_contact_phone, \
             legal_contact_address, legal_contact_organisation, retention_seconds, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id) DO UPDATE SET legal_contact_name = $2, legal_contact_email = $3, \
             legal_contact_phone = $4, legal_contact_address = $5, legal_contact_organisation = $6, \
             retention_seconds = $7, updated_at = $8",
        )
        .bind(tenant.to_string())
        .bind(field(|c| &c.name))
        .bind(field(|c| &c.email))
        .bind(field(|c| &c.phone))
        .bind(field(|c| &c.postal_address))
        .bind(field(|c| &c.organisation))
        .bind(i64::try_from(settings.retention_seconds).map_err(|_| corrupt("retention_seconds"))?)
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("tenant settings", e))?;
        Ok(())
    }

    /// Stores a new (redirected) request and, when its tenant is known, the notification
    /// that tells the tenant's customers, with its outbox message: all or nothing.
    pub async fn legal_request_submit(
        &self,
        request: &LegalRequestRecord,
        notification: Option<(&NotificationRecord, OutboxId)>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::Database)?;
        sqlx::query(
            "INSERT INTO legal_requests (id, reference, tenant_id, agency, agency_reference, description, \
             legal_basis, submitted_by, submitted_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(request.id.to_string())
        .bind(request.reference.clone())
        .bind(request.tenant.map(|t| t.to_string()))
        .bind(request.agency.clone())
        .bind(request.agency_reference.clone())
        .bind(request.description.clone())
        .bind(request.legal_basis.clone())
        .bind(request.submitted_by.to_string())
        .bind(to_micros(request.submitted_at))
        .bind(request.state.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx("legal request", e))?;
        if let Some((notification, outbox)) = notification {
            insert_notification(&mut tx, notification, outbox).await?;
        }
        tx.commit().await.map_err(StoreError::Database)?;
        Ok(())
    }

    /// One request.
    pub async fn legal_request_get(
        &self,
        request: LegalRequestId,
    ) -> Result<LegalRequestRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM legal_requests WHERE id = $1"
        ))
        .bind(request.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound {
            what: "legal request",
        })?;
        request_row(&row)
    }

    /// Requests matching `filter`, newest first.
    pub async fn legal_request_list(
        &self,
        filter: &RequestFilter,
        page: &Page,
    ) -> Result<Vec<LegalRequestRecord>, StoreError> {
        let (before_micros, before_id) = newest_first_cursor(page)?;
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM legal_requests WHERE ($1 IS NULL OR tenant_id = $1) \
             AND ($2 IS NULL OR state = $2) AND ($3 IS NULL OR submitted_by = $3) \
             AND ($4 = 0 OR nd_reference IS NULL OR (nd_expires_at IS NOT NULL AND nd_expires_at <= $5)) \
             AND (submitted_at < $6 OR (submitted_at = $6 AND id < $7)) \
             ORDER BY submitted_at DESC, id DESC LIMIT $8"
        ))
        .bind(filter.tenant.map(|t| t.to_string()))
        .bind(filter.state.map(|s| s.as_str().to_owned()))
        .bind(filter.submitted_by.map(|s| s.to_string()))
        .bind(i64::from(filter.hide_non_disclosed_at.is_some()))
        .bind(filter.hide_non_disclosed_at.map(to_micros).unwrap_or_default())
        .bind(before_micros)
        .bind(before_id)
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(request_row).collect()
    }

    /// Records (or replaces a pending) compulsion; a replaced compulsion's
    /// non-disclosure obligation goes with it. `false` if the request is past approval.
    pub async fn legal_compulsion_record(
        &self,
        request: LegalRequestId,
        compulsion: &CompulsionRecord,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE legal_requests SET state = 'pending_approval', compulsion_id = $2, order_reference = $3, \
             issuing_authority = $4, order_basis = $5, order_date = $6, scope_json = $7, recipient_key = $8, \
             compelled_by = $9, compelled_at = $10, approved_by = NULL, approved_at = NULL, nd_reference = NULL, \
             nd_expires_at = NULL, nd_recorded_by = NULL, nd_recorded_at = NULL \
             WHERE id = $1 AND state IN ('redirected', 'pending_approval')",
        )
        .bind(request.to_string())
        .bind(compulsion.id.to_string())
        .bind(compulsion.order_reference.clone())
        .bind(compulsion.issuing_authority.clone())
        .bind(compulsion.legal_basis.clone())
        .bind(compulsion.order_date.map(to_micros))
        .bind(compulsion.scope_json.clone())
        .bind(compulsion.recipient_key.clone())
        .bind(compulsion.recorded_by.to_string())
        .bind(to_micros(compulsion.recorded_at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Attaches a non-disclosure obligation to the pending compulsion; `false` if the
    /// request is not pending approval.
    pub async fn legal_non_disclosure_record(
        &self,
        request: LegalRequestId,
        obligation: &NonDisclosureRecord,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE legal_requests SET nd_reference = $2, nd_expires_at = $3, nd_recorded_by = $4, nd_recorded_at = $5 \
             WHERE id = $1 AND state = 'pending_approval'",
        )
        .bind(request.to_string())
        .bind(obligation.order_reference.clone())
        .bind(obligation.expires_at.map(to_micros))
        .bind(obligation.recorded_by.to_string())
        .bind(to_micros(obligation.recorded_at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Approves the pending compulsion `compulsion` by a counsel other than the one who
    /// recorded it; `false` if any of that does not hold any more.
    pub async fn legal_compulsion_approve(
        &self,
        request: LegalRequestId,
        compulsion: CompulsionId,
        by: SubjectId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE legal_requests SET state = 'approved', approved_by = $3, approved_at = $4 \
             WHERE id = $1 AND state = 'pending_approval' AND compulsion_id = $2 AND compelled_by <> $3",
        )
        .bind(request.to_string())
        .bind(compulsion.to_string())
        .bind(by.to_string())
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the advance notice together with the notification that carries it;
    /// `false` (and nothing stored) if the request is not approved or a non-disclosure
    /// obligation is in force at `notice.noticed_at`.
    pub async fn legal_notice_record(
        &self,
        request: LegalRequestId,
        notice: &NoticeRecord,
        notification: &NotificationRecord,
        outbox: OutboxId,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::Database)?;
        let done = sqlx::query(
            "UPDATE legal_requests SET notice_id = $2, noticed_at = $3, production_not_before = $4, \
             notice_recorded_by = $5 WHERE id = $1 AND state = 'approved' \
             AND (nd_reference IS NULL OR (nd_expires_at IS NOT NULL AND nd_expires_at <= $3))",
        )
        .bind(request.to_string())
        .bind(notice.notification.to_string())
        .bind(to_micros(notice.noticed_at))
        .bind(to_micros(notice.production_not_before))
        .bind(notice.recorded_by.to_string())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_notification(&mut tx, notification, outbox).await?;
        tx.commit().await.map_err(StoreError::Database)?;
        Ok(true)
    }

    /// Marks a production as done, with the notification that tells the customer (none
    /// under a non-disclosure obligation); `false` if the compulsion is not approved.
    pub async fn legal_produced(
        &self,
        request: LegalRequestId,
        at: DateTime<Utc>,
        notification: Option<(&NotificationRecord, OutboxId)>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::Database)?;
        let done = sqlx::query(
            "UPDATE legal_requests SET state = 'produced', produced_at = $2 \
             WHERE id = $1 AND state IN ('approved', 'produced')",
        )
        .bind(request.to_string())
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some((notification, outbox)) = notification {
            insert_notification(&mut tx, notification, outbox).await?;
        }
        tx.commit().await.map_err(StoreError::Database)?;
        Ok(true)
    }

    /// Requests produced under a non-disclosure obligation that has lapsed by `now` and
    /// whose customers were not yet told of the production.
    pub async fn legal_lapsed_untold(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<LegalRequestRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM legal_requests WHERE state = 'produced' AND tenant_id IS NOT NULL \
             AND nd_expires_at IS NOT NULL AND nd_expires_at <= $1 AND NOT EXISTS \
             (SELECT 1 FROM legal_notifications n WHERE n.request_id = legal_requests.id \
              AND n.kind = 'production_completed') ORDER BY submitted_at, id LIMIT 1000"
        ))
        .bind(to_micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(request_row).collect()
    }

    /// Stores a notification with its outbox message.
    pub async fn notification_insert(
        &self,
        notification: &NotificationRecord,
        outbox: OutboxId,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::Database)?;
        insert_notification(&mut tx, notification, outbox).await?;
        tx.commit().await.map_err(StoreError::Database)
    }

    /// A tenant's notification.
    pub async fn notification_get(
        &self,
        tenant: TenantId,
        notification: NotificationId,
    ) -> Result<NotificationRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM {NOTIFICATIONS} WHERE n.tenant_id = $1 AND n.id = $2"
        ))
        .bind(tenant.to_string())
        .bind(notification.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "notification" })?;
        notification_row(&row)
    }

    /// A tenant's notifications, newest first.
    pub async fn notification_list(
        &self,
        tenant: TenantId,
        unacknowledged_only: bool,
        page: &Page,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let (before_micros, before_id) = newest_first_cursor(page)?;
        let rows = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM {NOTIFICATIONS} WHERE n.tenant_id = $1 \
             AND ($2 = 0 OR n.acknowledged_at IS NULL) \
             AND (n.created_at < $3 OR (n.created_at = $3 AND n.id < $4)) \
             ORDER BY n.created_at DESC, n.id DESC LIMIT $5"
        ))
        .bind(tenant.to_string())
        .bind(i64::from(unacknowledged_only))
        .bind(before_micros)
        .bind(before_id)
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(notification_row).collect()
    }

    /// Marks a notification read; the first acknowledgement stands.
    pub async fn notification_acknowledge(
        &self,
        tenant: TenantId,
        notification: NotificationId,
        by: SubjectId,
        at: DateTime<Utc>,
    ) -> Result<NotificationRecord, StoreError> {
        sqlx::query(
            "UPDATE legal_notifications SET acknowledged_at = $3, acknowledged_by = $4 \
             WHERE tenant_id = $1 AND id = $2 AND acknowledged_at IS NULL",
        )
        .bind(tenant.to_string())
        .bind(notification.to_string())
        .bind(to_micros(at))
        .bind(by.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        self.notification_get(tenant, notification).await
    }

    /// Acknowledges `delivered` and returns up to `max` undelivered messages, oldest
    /// first.
    pub async fn outbox_drain(
        &self,
        delivered: &[OutboxId],
        at: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        for outbox in delivered {
            sqlx::query(
                "UPDATE legal_outbox SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL",
            )
            .bind(outbox.to_string())
            .bind(to_micros(at))
            .execute(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        }
        let rows = sqlx::query(&format!(
            "SELECT o.id AS outbox_id, o.enqueued_at, {NOTIFICATION_COLUMNS} FROM legal_outbox o \
             JOIN legal_notifications n ON n.id = o.notification_id JOIN legal_requests r ON r.id = n.request_id \
             WHERE o.delivered_at IS NULL ORDER BY o.enqueued_at, o.id LIMIT $1"
        ))
        .bind(i64::from(max.clamp(1, 1000)))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter()
            .map(|row| {
                Ok(OutboxRecord {
                    id: id(row, "outbox_id")?,
                    notification: notification_row(row)?,
                    enqueued_at: from_micros(int(row, "enqueued_at")?)?,
                })
            })
            .collect()
    }
}

async fn insert_notification(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    notification: &NotificationRecord,
    outbox: OutboxId,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO legal_notifications (id, tenant_id, kind, request_id, message, created_at, \
         acknowledged_at, acknowledged_by) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)",
    )
    .bind(notification.id.to_string())
    .bind(notification.tenant.to_string())
    .bind(notification.kind.as_str())
    .bind(notification.request.to_string())
    .bind(notification.message.clone())
    .bind(to_micros(notification.created_at))
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from_sqlx("notification", e))?;
    sqlx::query("INSERT INTO legal_outbox (id, notification_id, enqueued_at, delivered_at) VALUES ($1, $2, $3, NULL)")
        .bind(outbox.to_string())
        .bind(notification.id.to_string())
        .bind(to_micros(notification.created_at))
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_sqlx("outbox", e))?;
    Ok(())
}
