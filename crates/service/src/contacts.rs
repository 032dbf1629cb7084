//! Contacts: reading as the policy allows, the customer's corrections and opt-out, and
//! the communications recipients list that never includes opted-out contacts.

use supportgate_audit::Decision;
use supportgate_crypto::KeyClass;
use supportgate_policy::{AccessRequest, ContactData, Grant, RequestedPurpose, ResourceFacts};
use supportgate_store::{ContactPatch, ContactRecord, DeletionRecord, DeletionState, Page};
use supportgate_types::{CaseId, ContactId, DataClass, DeletionId, Role};

use crate::case_reads::Unready;
use crate::context::Event;
use crate::sealing::{open, seal};
use crate::{Caller, ContactPatchInput, ContactView, ServiceError, Services};

impl Services {
    /// Opens a stored contact with a contact-data grant.
    pub(crate) async fn contact_open(
        &self,
        grant: &impl Grant<ContactData>,
        contact: ContactId,
    ) -> Result<ContactView, ServiceError> {
        let record = self.inner.contacts.contact_get(grant, contact).await?;
        self.contact_decrypt(record).await
    }

    async fn contact_decrypt(&self, record: ContactRecord) -> Result<ContactView, ServiceError> {
        let id = record.id.to_string();
        let field = |name: &'static str, sealed: Vec<u8>| {
            let id = id.clone();
            async move {
                open(
                    &self.inner.keys,
                    &self.inner.contacts,
                    record.tenant,
                    KeyClass::Contact,
                    &id,
                    name,
                    &sealed,
                )
                .await
            }
        };
        let s = record.sealed;
        Ok(ContactView {
            id: record.id,
            tenant: record.tenant,
            name: field("name", s.name).await?,
            email: field("email", s.email).await?,
            phone: field("phone", s.phone).await?,
            company: field("company", s.company).await?,
            job_title: field("job_title", s.job_title).await?,
            opted_out: record.opted_out,
            updated_at: record.updated_at,
        })
    }

    /// Reads the contact of a case for a purpose; the decision is logged first.
    pub async fn contact_get(
        &self,
        caller: &Caller,
        case: CaseId,
        purpose: RequestedPurpose,
    ) -> Result<ContactView, ServiceError> {
        self.contact_read(caller, case, purpose, "contact.get")
            .await
    }

    /// The customer's copy of the contact of a case, as JSON (their right of access and
    /// portability), logged as `contact.export`.
    pub async fn contact_export(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<String, ServiceError> {
        let purpose = RequestedPurpose::Named(supportgate_types::PurposeCode::ProvideSupport);
        let contact = self
            .contact_read(caller, case, purpose, "contact.export")
            .await?;
        let mut exported = contact.to_json();
        exported["exported_at"] = self.inner.clock.now().to_rfc3339().into();
        serde_json::to_string_pretty(&exported).map_err(ServiceError::internal)
    }

    /// The customer's request to delete the contact of a case: carried out at once
    /// unless a legal hold covers the tenant or a case of the contact, in which case it
    /// waits for the first retention run after the hold is cleared. A second request
    /// returns the first.
    pub async fn contact_delete_request(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<DeletionRecord, ServiceError> {
        let (tenant, contact) = self
            .contact_for_change(caller, case, "contact.delete.request")
            .await?;
        let main = &self.inner.main;
        if let Some(existing) = main.deletion_for_contact(tenant, contact).await? {
            return Ok(existing);
        }
        let now = self.inner.clock.now();
        let held = main.hold_covering_contact(tenant, contact).await?;
        let event = Event {
            action: "contact.delete",
            data_class: DataClass::Contact,
            tenant: Some(tenant),
            resource_id: Some(contact.to_string()),
            case_id: Some(case),
            decision: if held.is_some() {
                Decision::Denied
            } else {
                Decision::Allowed
            },
            reason: if held.is_some() {
                "LEGAL_HOLD"
            } else {
                "DATA_SUBJECT_REQUEST"
            },
        };
        self.log(caller, event).await?;
        if held.is_none() {
            self.inner.contacts.contact_delete(tenant, contact).await?;
        }
        let deletion = DeletionRecord {
            id: DeletionId::new(),
            tenant,
            contact,
            case,
            requested_by: caller.principal.subject,
            requested_at: now,
            state: if held.is_some() {
                DeletionState::BlockedByLegalHold
            } else {
                DeletionState::Deleted
            },
            deleted_at: held.is_none().then_some(now),
        };
        Ok(main.deletion_request(&deletion).await?)
    }

    async fn contact_read(
        &self,
        caller: &Caller,
        case: CaseId,
        purpose: RequestedPurpose,
        action: &'static str,
    ) -> Result<ContactView, ServiceError> {
        let found = self.case_facts(caller, case).await?;
        if let Some((meta, facts)) = &found {
            // A deleted contact reads as opted out (`case_facts`), so only then can it
            // be gone.
            let gone = facts.contact_opted_out
                && matches!(
                    self.inner
                        .contacts
                        .contact_opted_out(meta.tenant, meta.contact)
                        .await,
                    Err(supportgate_store::StoreError::NotFound { .. })
                );
            let unready = Unready {
                class: DataClass::Contact,
                action,
                purpose,
                resource_id: case.to_string(),
                reason: "CONTACT_DELETED",
            };
            if gone && self.refused_though_admitted(caller, facts, unready).await? {
                return Err(ServiceError::NotFound { what: "contact" });
            }
        }
        let request = AccessRequest {
            principal: &caller.principal,
            action,
            purpose,
            resource: found.as_ref().map(|(_, facts)| facts.clone()),
            resource_id: Some(case.to_string()),
            request_id: caller.request_id,
        };
        let grant = self
            .inner
            .policy
            .authorize_contact_data(self.audit_sink(), request)
            .await?;
        let meta = found
            .map(|(meta, _)| meta)
            .ok_or(ServiceError::NotFound { what: "case" })?;
        self.contact_open(&grant, meta.contact).await
    }

    /// The customer's own contact on one of their tenant's cases, for a change.
    async fn contact_for_change(
        &self,
        caller: &Caller,
        case: CaseId,
        action: &'static str,
    ) -> Result<(supportgate_types::TenantId, ContactId), ServiceError> {
        let found = self.case_facts(caller, case).await?;
        let allowed = caller.principal.role == Role::Customer && found.is_some();
        let (tenant, contact) = match &found {
            Some((meta, _)) => (Some(meta.tenant), Some(meta.contact)),
            None => (caller.principal.tenant, None),
        };
        let event = Event {
            action,
            data_class: DataClass::Contact,
            tenant,
            resource_id: contact.map(|c| c.to_string()),
            case_id: found.as_ref().map(|(meta, _)| meta.id),
            decision: if allowed {
                Decision::Allowed
            } else {
                Decision::Denied
            },
            reason: if allowed { "OWN_CONTACT" } else { "NOT_FOUND" },
        };
        self.log(caller, event).await?;
        match (tenant, contact) {
            (Some(tenant), Some(contact)) if allowed => Ok((tenant, contact)),
            _ => Err(ServiceError::NotFound { what: "case" }),
        }
    }

    /// Reads back a contact after the customer changed it (logged as their own read).
    async fn contact_after_change(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<ContactView, ServiceError> {
        self.contact_get(
            caller,
            case,
            RequestedPurpose::Named(supportgate_types::PurposeCode::ProvideSupport),
        )
        .await
    }

    /// Applies the customer's correction of their contact data.
    pub async fn contact_correct(
        &self,
        caller: &Caller,
        case: CaseId,
        patch: ContactPatchInput,
    ) -> Result<ContactView, ServiceError> {
        if patch.is_empty() {
            return Err(ServiceError::invalid(
                "NOTHING_TO_CORRECT",
                "give at least one field to correct",
            ));
        }
        let (tenant, contact) = self
            .contact_for_change(caller, case, "contact.correct")
            .await?;
        let key = self
            .inner
            .keys
            .current(&self.inner.contacts, tenant, KeyClass::Contact)
            .await?;
        let record = contact.to_string();
        let sealed = |field: &str, value: Option<&str>| {
            value.map(|v| seal(&key, &record, field, v)).transpose()
        };
        let email = match &patch.email {
            Some(e) => Some((
                seal(&key, &record, "email", e.as_str())?,
                key.lookup_hasher().hash_email(e.as_str()).to_vec(),
            )),
            None => None,
        };
        let store_patch = ContactPatch {
            name: sealed("name", patch.name.as_ref().map(|v| v.as_str()))?,
            email,
            phone: sealed("phone", patch.phone.as_ref().map(|v| v.as_str()))?,
            company: sealed("company", patch.company.as_ref().map(|v| v.as_str()))?,
            job_title: sealed("job_title", patch.job_title.as_ref().map(|v| v.as_str()))?,
        };
        let updated = self
            .inner
            .contacts
            .contact_update(tenant, contact, store_patch, self.inner.clock.now())
            .await
            .map_err(ServiceError::from);
        let failed = Event {
            action: "contact.correct",
            data_class: DataClass::Contact,
            tenant: Some(tenant),
            resource_id: Some(contact.to_string()),
            case_id: Some(case),
            decision: Decision::Denied,
            reason: "",
        };
        self.audited(caller, failed, updated).await?;
        self.contact_after_change(caller, case).await
    }

    /// Sets or clears the customer's opt-out from communications.
    pub async fn contact_set_opt_out(
        &self,
        caller: &Caller,
        case: CaseId,
        opt_out: bool,
    ) -> Result<ContactView, ServiceError> {
        let (tenant, contact) = self
            .contact_for_change(caller, case, "contact.opt_out")
            .await?;
        self.inner
            .contacts
            .contact_set_opt_out(tenant, contact, opt_out, self.inner.clock.now())
            .await?;
        self.contact_after_change(caller, case).await
    }

    /// Contacts in the caller's tenant that may receive communications.
    pub async fn communication_recipients(
        &self,
        caller: &Caller,
        purpose: RequestedPurpose,
        page: &Page,
    ) -> Result<Vec<ContactView>, ServiceError> {
        let resource = caller.principal.tenant.map(|tenant| ResourceFacts {
            tenant,
            case: None,
            assigned_to_caller: false,
            contact_opted_out: false,
        });
        let request = AccessRequest {
            principal: &caller.principal,
            action: "contact.recipients",
            purpose,
            resource,
            resource_id: None,
            request_id: caller.request_id,
        };
        let access = self
            .inner
            .policy
            .authorize_communications_recipients(self.audit_sink(), request)
            .await?;
        let records = self
            .inner
            .contacts
            .contact_list_recipients(&access, page)
            .await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            views.push(self.contact_decrypt(record).await?);
        }
        Ok(views)
    }
}
