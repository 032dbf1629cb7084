//! Retention (DESIGN section 9): tenant settings, legal holds, and the purge that
//! destroys a closed case's customer data once its period has passed, unless a hold
//! covers it. Also carries out contact deletions a hold delayed.
//!
//! A purge of a case: log what goes, destroy the data keys (crypto-shredding), delete
//! the blobs, then wipe the sealed columns and mark the rows. Every step is idempotent,
//! so an interrupted purge is finished by the next run.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_store::{
    BlobKey, CaseObject, DueCase, HoldFilter, HoldRecord, LegalContactRecord, Page,
    TenantSettingsRecord,
};
use supportgate_types::{CaseId, DataClass, HoldId, LegalRequestId, TenantId};

use crate::context::Event;
use crate::legal::checked_text;
use crate::{Caller, ServiceError, Services};

/// How long customer data is kept after a case closes when the tenant sets nothing.
pub const DEFAULT_RETENTION_SECONDS: u64 = 365 * 24 * 3600;
/// The longest retention period a tenant may set (100 years).
pub const MAX_RETENTION_SECONDS: u64 = 100 * 365 * 24 * 3600 + 25 * 24 * 3600;
/// At most this many cases are listed in a report (the counts stay exact).
const REPORT_LIMIT: usize = 1000;

/// Changes to a tenant's settings; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct SettingsPatch {
    /// The designated legal contact.
    pub legal_contact: Option<LegalContactRecord>,
    /// The retention period in seconds (0 = the server default).
    pub retention_seconds: Option<u64>,
}

/// One case a retention run purged, would purge, or kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionCase {
    /// The case.
    pub case: CaseId,
    /// Its tenant.
    pub tenant: TenantId,
    /// When it closed.
    pub closed_at: DateTime<Utc>,
    /// Files and recordings whose keys were (or would be) destroyed.
    pub objects: u64,
    /// The hold that kept it.
    pub held_by: Option<HoldId>,
}

/// What a retention run did (or, dry, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Cases purged.
    pub cases_purged: u64,
    /// Objects whose keys were destroyed.
    pub objects_purged: u64,
    /// Cases past retention kept by a hold.
    pub cases_held: u64,
    /// Delayed contact deletions carried out.
    pub contacts_deleted: u64,
    /// The cases, oldest closing first (at most 1000).
    pub cases: Vec<RetentionCase>,
}

fn checked_contact(contact: LegalContactRecord) -> Result<LegalContactRecord, ServiceError> {
    let checked = LegalContactRecord {
        name: checked_text("legal_contact.name", &contact.name, 200, true, false)?,
        email: checked_text("legal_contact.email", &contact.email, 254, false, false)?,
        phone: checked_text("legal_contact.phone", &contact.phone, 50, false, false)?,
        postal_address: checked_text(
            "legal_contact.postal_address",
            &contact.postal_address,
            1000,
            false,
            true,
        )?,
        organisation: checked_text(
            "legal_contact.organisation",
            &contact.organisation,
            200,
            false,
            false,
        )?,
    };
    if checked.email.is_empty() && checked.postal_address.is_empty() {
        return Err(ServiceError::invalid(
            "FIELD_REQUIRED",
            "a legal contact needs an e-mail address or a postal address",
        ));
    }
    if !checked.email.is_empty() && supportgate_types::Email::parse(&checked.email).is_err() {
        return Err(ServiceError::invalid(
            "INVALID_FIELD",
            "legal_contact.email is not an e-mail address",
        ));
    }
    Ok(checked)
}

fn admin_event(action: &'static str, tenant: TenantId) -> Event {
    Event {
        action,
        data_class: DataClass::Metadata,
        tenant: Some(tenant),
        resource_id: Some(tenant.to_string()),
        case_id: None,
        decision: Decision::Allowed,
        reason: "ADMIN",
    }
}

impl Services {
    /// A tenant's settings (admin and legal counsel, at the gate).
    pub async fn tenant_settings_get(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<TenantSettingsRecord, ServiceError> {
        let event = admin_event("admin.tenant_settings.get", tenant);
        let found = self
            .inner
            .main
            .tenant_get(tenant)
            .await
            .map_err(ServiceError::from);
        self.audited(caller, event.clone(), found).await?;
        self.log(caller, event).await?;
        Ok(self.inner.main.tenant_settings_get(tenant).await?)
    }

    /// Changes a tenant's settings (admin, at the gate).
    pub async fn tenant_settings_set(
        &self,
        caller: &Caller,
        tenant: TenantId,
        patch: SettingsPatch,
    ) -> Result<TenantSettingsRecord, ServiceError> {
        let event = admin_event("admin.tenant_settings.set", tenant);
        let checked = async {
            self.inner.main.tenant_get(tenant).await?;
            let legal_contact = patch.legal_contact.map(checked_contact).transpose()?;
            if patch
                .retention_seconds
                .is_some_and(|s| s > MAX_RETENTION_SECONDS)
            {
                return Err(ServiceError::invalid(
                    "INVALID_FIELD",
                    "customer_data_retention_seconds may be at most 100 years",
                ));
            }
            Ok(legal_contact)
        }
        .await;
        let legal_contact = self.audited(caller, event.clone(), checked).await?;
        self.log(caller, event).await?;
        let mut settings = self.inner.main.tenant_settings_get(tenant).await?;
        if let Some(contact) = legal_contact {
            settings.legal_contact = Some(contact);
        }
        if let Some(seconds) = patch.retention_seconds {
            settings.retention_seconds = seconds;
        }
        let now = self.inner.clock.now();
        self.inner
            .main
            .tenant_settings_put(tenant, &settings, now)
            .await?;
        Ok(self.inner.main.tenant_settings_get(tenant).await?)
    }

    /// Places a legal hold on a case, or on every case of a tenant (legal counsel).
    pub async fn hold_set(
        &self,
        caller: &Caller,
        tenant: Option<TenantId>,
        case: Option<CaseId>,
        reason: &str,
        request: Option<LegalRequestId>,
    ) -> Result<HoldRecord, ServiceError> {
        let mut event = Event {
            action: "legal.hold.set",
            data_class: DataClass::Metadata,
            tenant: None,
            resource_id: case
                .map(|c| c.to_string())
                .or(tenant.map(|t| t.to_string())),
            case_id: None,
            decision: Decision::Allowed,
            reason: "HOLD_SET",
        };
        let main = &self.inner.main;
        let checked = async {
            let reason = checked_text("reason", reason, 1000, true, true)?;
            let tenant = match (tenant, case) {
                (_, Some(case)) => {
                    let owner = main
                        .case_owner(case)
                        .await?
                        .ok_or(ServiceError::NotFound { what: "case" })?;
                    if tenant.is_some_and(|t| t != owner) {
                        return Err(ServiceError::invalid(
                            "TENANT_MISMATCH",
                            "the case is not a case of the given tenant",
                        ));
                    }
                    owner
                }
                (Some(tenant), None) => main.tenant_get(tenant).await?.id,
                (None, None) => {
                    return Err(ServiceError::invalid(
                        "FIELD_REQUIRED",
                        "name the case (or the tenant) the hold covers",
                    ))
                }
            };
            if let Some(request) = request {
                main.legal_request_get(request).await?;
            }
            Ok((tenant, reason))
        }
        .await;
        let (tenant, reason) = self.audited(caller, event.clone(), checked).await?;
        event.case_id = case;
        let hold = HoldRecord {
            id: HoldId::new(),
            tenant,
            case,
            reason,
            request,
            set_by: caller.principal.subject,
            set_at: self.inner.clock.now(),
            cleared_by: None,
            cleared_at: None,
            clear_reason: None,
        };
        event.resource_id = Some(hold.id.to_string());
        self.log(caller, event).await?;
        main.hold_insert(&hold).await?;
        Ok(hold)
    }

    /// Clears a legal hold (legal counsel); the purges it blocked happen at the next run.
    pub async fn hold_clear(
        &self,
        caller: &Caller,
        hold: HoldId,
        reason: &str,
    ) -> Result<HoldRecord, ServiceError> {
        let mut event = Event {
            action: "legal.hold.clear",
            data_class: DataClass::Metadata,
            tenant: None,
            resource_id: Some(hold.to_string()),
            case_id: None,
            decision: Decision::Allowed,
            reason: "HOLD_CLEARED",
        };
        let main = &self.inner.main;
        let checked = async {
            let reason = checked_text("reason", reason, 1000, true, true)?;
            let record = main.hold_get(hold).await?;
            if record.cleared_at.is_some() {
                return Err(ServiceError::FailedPrecondition {
                    reason: "HOLD_ALREADY_CLEARED",
                    message: "the hold was already cleared".into(),
                });
            }
            Ok((record, reason))
        }
        .await;
        let (record, reason) = self.audited(caller, event.clone(), checked).await?;
        event.case_id = record.case;
        self.log(caller, event).await?;
        let now = self.inner.clock.now();
        if !main
            .hold_clear(hold, caller.principal.subject, now, &reason)
            .await?
        {
            return Err(ServiceError::FailedPrecondition {
                reason: "HOLD_ALREADY_CLEARED",
                message: "the hold was cleared meanwhile".into(),
            });
        }
        Ok(main.hold_get(hold).await?)
    }

    /// Lists holds (legal counsel, admin).
    pub async fn hold_list(
        &self,
        caller: &Caller,
        filter: &HoldFilter,
        page: &Page,
    ) -> Result<Vec<HoldRecord>, ServiceError> {
        self.log(
            caller,
            Event {
                action: "legal.hold.list",
                data_class: DataClass::Metadata,
                tenant: None,
                resource_id: None,
                case_id: None,
                decision: Decision::Allowed,
                reason: "METADATA_READ",
            },
        )
        .await?;
        Ok(self.inner.main.hold_list(filter, page).await?)
    }

    /// Runs retention for `caller` (an admin), or for the gateway's own schedule when
    /// `caller` is `None`. `as_of` defaults to now; a future `as_of` only for a dry run.
    pub async fn retention_run(
        &self,
        caller: Option<&Caller>,
        tenant: Option<TenantId>,
        dry_run: bool,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<RetentionReport, ServiceError> {
        let now = self.inner.clock.now();
        let as_of = as_of.unwrap_or(now);
        let run = Event {
            action: "retention.run",
            data_class: DataClass::Metadata,
            tenant,
            resource_id: None,
            case_id: None,
            decision: Decision::Allowed,
            reason: if dry_run { "DRY_RUN" } else { "RETENTION" },
        };
        let checked = if as_of > now && !dry_run {
            Err(ServiceError::invalid(
                "AS_OF_IN_FUTURE",
                "a purge as of a future time would purge early; use it with dry_run only",
            ))
        } else if let Some(tenant) = tenant {
            self.inner
                .main
                .tenant_get(tenant)
                .await
                .map(|_| ())
                .map_err(ServiceError::from)
        } else {
            Ok(())
        };
        match caller {
            Some(caller) => {
                self.audited(caller, run.clone(), checked).await?;
                self.log(caller, run).await?;
            }
            None => {
                checked?;
                self.log_system(run).await?;
            }
        }
        let mut report = RetentionReport::default();
        let mut after: Option<DueCase> = None;
        loop {
            let due = self
                .inner
                .main
                .cases_due_for_purge(
                    tenant,
                    DEFAULT_RETENTION_SECONDS,
                    as_of,
                    after.as_ref(),
                    500,
                )
                .await?;
            let full = due.len() == 500;
            for case in &due {
                let entry = self.retention_case(caller, case, dry_run).await?;
                match entry.held_by {
                    Some(_) => report.cases_held += 1,
                    None => {
                        report.cases_purged += 1;
                        report.objects_purged += entry.objects;
                    }
                }
                if report.cases.len() < REPORT_LIMIT {
                    report.cases.push(entry);
                }
            }
            after = due.last().cloned();
            if !full {
                break;
            }
        }
        report.contacts_deleted = self.deletions_catch_up(tenant, dry_run).await?;
        if !dry_run {
            self.legal_notify_lapsed().await?;
        }
        Ok(report)
    }

    /// One due case: kept by a hold, counted (dry run), or purged.
    async fn retention_case(
        &self,
        caller: Option<&Caller>,
        due: &DueCase,
        dry_run: bool,
    ) -> Result<RetentionCase, ServiceError> {
        let main = &self.inner.main;
        let held_by = main.hold_covering_case(due.tenant, due.case).await?;
        let objects = main.case_objects(due.tenant, due.case).await?;
        let entry = RetentionCase {
            case: due.case,
            tenant: due.tenant,
            closed_at: due.closed_at,
            objects: objects.len() as u64,
            held_by,
        };
        if held_by.is_some() || dry_run {
            return Ok(entry);
        }
        let event = |action, resource_id: String| Event {
            action,
            data_class: DataClass::Customer,
            tenant: Some(due.tenant),
            resource_id: Some(resource_id),
            case_id: Some(due.case),
            decision: Decision::Allowed,
            reason: "RETENTION_EXPIRED",
        };
        let mut events = vec![event("retention.purge", due.case.to_string())];
        for object in &objects {
            events.push(event(
                "retention.purge.object",
                object.object_id().to_owned(),
            ));
        }
        for event in events {
            match caller {
                Some(caller) => self.log(caller, event).await?,
                None => self.log_system(event).await?,
            };
        }
        for object in &objects {
            main.object_key_delete(due.tenant, object.object_id())
                .await?;
        }
        for object in &objects {
            let blobs = match object {
                CaseObject::Upload { upload, file } => vec![
                    BlobKey::upload(due.tenant, upload),
                    BlobKey::file(due.tenant, file),
                ],
                CaseObject::Recording { recording } => {
                    vec![BlobKey::recording(due.tenant, recording)]
                }
            };
            for blob in blobs {
                let blob = blob.map_err(ServiceError::internal)?;
                self.inner
                    .blobs
                    .delete(&blob)
                    .await
                    .map_err(ServiceError::internal)?;
            }
        }
        main.case_purge_finish(due.tenant, due.case, self.inner.clock.now())
            .await?;
        Ok(entry)
    }

    /// Carries out contact deletions whose hold is gone; counts them in a dry run.
    async fn deletions_catch_up(
        &self,
        tenant: Option<TenantId>,
        dry_run: bool,
    ) -> Result<u64, ServiceError> {
        let main = &self.inner.main;
        let mut done = 0;
        for deletion in main.deletions_blocked(10_000).await? {
            if tenant.is_some_and(|t| t != deletion.tenant) {
                continue;
            }
            if main
                .hold_covering_contact(deletion.tenant, deletion.contact)
                .await?
                .is_some()
            {
                continue;
            }
            done += 1;
            if dry_run {
                continue;
            }
            self.log_system(Event {
                action: "contact.delete",
                data_class: DataClass::Contact,
                tenant: Some(deletion.tenant),
                resource_id: Some(deletion.contact.to_string()),
                case_id: Some(deletion.case),
                decision: Decision::Allowed,
                reason: "DATA_SUBJECT_REQUEST",
            })
            .await?;
            self.inner
                .contacts
                .contact_delete(deletion.tenant, deletion.contact)
                .await?;
            main.deletion_done(deletion.id, self.inner.clock.now())
                .await?;
        }
        Ok(done)
    }
}
