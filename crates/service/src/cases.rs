//! Cases: opening (customer), reading (as the policy allows), listing, assigning, closing.

use supportgate_audit::Decision;
use supportgate_crypto::KeyClass;
use supportgate_policy::{AccessRequest, Grant, RequestedPurpose, ResourceFacts};
use supportgate_store::{
    CaseFilter, CaseMeta, ContactRecord, ContactSealed, NewCase, Page, StoreError,
};
use supportgate_types::{CaseId, ContactId, DataClass, Role, SubjectId};

use crate::context::Event;
use crate::sealing::{open, seal};
use crate::views::ContactInput;
use crate::{Caller, CaseListQuery, CaseView, NewCaseInput, ServiceError, Services};

/// The summary's field name in its AAD.
const SUMMARY: &str = "summary";

impl Services {
    /// The case as seen from the caller's tenant, with the facts the policy needs;
    /// `None` when it does not exist there (or the caller has no tenant).
    pub(crate) async fn case_facts(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<Option<(CaseMeta, ResourceFacts)>, ServiceError> {
        let Some(tenant) = caller.principal.tenant else {
            return Ok(None);
        };
        let meta = match self.inner.main.case_meta_get(tenant, case).await {
            Ok(meta) => meta,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        // A deleted contact (the data subject's erasure) receives nothing.
        let opted_out = match self
            .inner
            .contacts
            .contact_opted_out(meta.tenant, meta.contact)
            .await
        {
            Ok(opted_out) => opted_out,
            Err(StoreError::NotFound { .. }) => true,
            Err(e) => return Err(e.into()),
        };
        let facts = ResourceFacts {
            tenant: meta.tenant,
            case: Some(meta.id),
            assigned_to_caller: meta.engineers.contains(&caller.principal.subject),
            contact_opted_out: opted_out,
        };
        Ok(Some((meta, facts)))
    }

    /// Opens a case for the calling customer; reuses the tenant's contact with the same e-mail.
    pub async fn case_open(
        &self,
        caller: &Caller,
        input: NewCaseInput,
    ) -> Result<CaseMeta, ServiceError> {
        let (Role::Customer, Some(tenant)) = (caller.principal.role, caller.principal.tenant)
        else {
            return Err(ServiceError::Denied {
                reason: "ROLE_DENIED",
                message: "only customers open cases".into(),
            });
        };
        let case = CaseId::new();
        self.log(
            caller,
            Event {
                action: "case.open",
                data_class: DataClass::Customer,
                tenant: Some(tenant),
                resource_id: Some(case.to_string()),
                case_id: Some(case),
                decision: Decision::Allowed,
                reason: "OWN_TENANT",
            },
        )
        .await?;
        let contact = self.contact_find_or_create(tenant, &input.contact).await?;
        let key = self
            .inner
            .keys
            .current(&self.inner.main, tenant, KeyClass::Customer)
            .await?;
        let new = NewCase {
            id: case,
            tenant,
            contact,
            opened_by: caller.principal.subject,
            opened_at: self.inner.clock.now(),
            summary_sealed: seal(&key, &case.to_string(), SUMMARY, input.summary.as_str())?,
        };
        self.inner.main.case_insert(&new).await?;
        Ok(self.inner.main.case_meta_get(tenant, case).await?)
    }

    async fn contact_find_or_create(
        &self,
        tenant: supportgate_types::TenantId,
        input: &ContactInput,
    ) -> Result<ContactId, ServiceError> {
        let store = &self.inner.contacts;
        let key = self
            .inner
            .keys
            .current(store, tenant, KeyClass::Contact)
            .await?;
        let email_hash = key.lookup_hasher().hash_email(input.email.as_str());
        if let Some(existing) = self
            .contact_by_email(tenant, key.key_version(), &email_hash, input)
            .await?
        {
            return Ok(existing);
        }
        let id = ContactId::new();
        let record = id.to_string();
        let now = self.inner.clock.now();
        let contact = ContactRecord {
            id,
            tenant,
            sealed: ContactSealed {
                name: seal(&key, &record, "name", input.name.as_str())?,
                email: seal(&key, &record, "email", input.email.as_str())?,
                phone: seal(&key, &record, "phone", input.phone.as_str())?,
                company: seal(&key, &record, "company", input.company.as_str())?,
                job_title: seal(&key, &record, "job_title", input.job_title.as_str())?,
            },
            opted_out: false,
            created_at: now,
            updated_at: now,
        };
        match store.contact_insert(&contact, &email_hash).await {
            Ok(()) => Ok(id),
            // Another request created the same contact first: use it.
            Err(StoreError::Conflict { .. }) => store
                .contact_find_by_email_hash(tenant, &email_hash)
                .await?
                .ok_or(ServiceError::Conflict { what: "contact" }),
            Err(e) => Err(e.into()),
        }
    }

    /// The tenant's contact with this e-mail address, whichever contact-key version its
    /// lookup hash was made under (`current_hash` is under `current`).
    ///
    /// ## Why every version
    /// The lookup hash is keyed by the tenant's contact key, and rotation leaves stored
    /// hashes under the version they were made with. Looking only under the newest
    /// version would miss every contact created before a rotation and open a duplicate
    /// of it. Versions are few (one per rotation), newest first.
    async fn contact_by_email(
        &self,
        tenant: supportgate_types::TenantId,
        current: u32,
        current_hash: &[u8],
        input: &ContactInput,
    ) -> Result<Option<ContactId>, ServiceError> {
        let store = &self.inner.contacts;
        if let Some(found) = store
            .contact_find_by_email_hash(tenant, current_hash)
            .await?
        {
            return Ok(Some(found));
        }
        for version in (1..current).rev() {
            let older = self
                .inner
                .keys
                .version(store, tenant, KeyClass::Contact, version)
                .await?;
            let hash = older.lookup_hasher().hash_email(input.email.as_str());
            if let Some(found) = store.contact_find_by_email_hash(tenant, &hash).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Reads a case with its summary and contact: two decisions, both logged.
    pub async fn case_get(
        &self,
        caller: &Caller,
        case: CaseId,
        purpose: RequestedPurpose,
    ) -> Result<CaseView, ServiceError> {
        let found = self.case_facts(caller, case).await?;
        let request = |action| AccessRequest {
            principal: &caller.principal,
            action,
            purpose,
            resource: found.as_ref().map(|(_, facts)| facts.clone()),
            resource_id: Some(case.to_string()),
            request_id: caller.request_id,
        };
        let sink = self.audit_sink();
        // A purged case keeps its metadata (ListCases) but has no summary to read.
        let ready = match &found {
            Some((meta, _)) if meta.purged_at.is_some() => Err(ServiceError::FailedPrecondition {
                reason: "CASE_PURGED",
                message: "retention purged this case's customer data; its metadata is still listed"
                    .into(),
            }),
            _ => Ok(()),
        };
        let customer = self
            .authorize_case_read(
                caller,
                found.as_ref().map(|_| case),
                "case.get",
                purpose,
                case.to_string(),
                ready,
            )
            .await?;
        let contact = self
            .inner
            .policy
            .authorize_contact_data(sink, request("case.get.contact"))
            .await?;
        let meta = found
            .map(|(meta, _)| meta)
            .ok_or(ServiceError::NotFound { what: "case" })?;
        let sealed = self.inner.main.case_summary_get(&customer).await?;
        let scope = customer.scope();
        let summary = open(
            &self.inner.keys,
            &self.inner.main,
            scope.tenant(),
            KeyClass::Customer,
            &case.to_string(),
            SUMMARY,
            &sealed,
        )
        .await?;
        let contact = self.contact_open(&contact, meta.contact).await?;
        Ok(CaseView {
            meta,
            summary,
            contact,
        })
    }

    /// Lists case metadata within the caller's scope: their own tenant for tenant roles,
    /// any (or the named) tenant for provider-level reviewers and operators.
    /// `assigned_to_me` narrows an engineer's list to the cases they are assigned to.
    pub async fn case_list(
        &self,
        caller: &Caller,
        query: CaseListQuery,
        page: &Page,
    ) -> Result<Vec<CaseMeta>, ServiceError> {
        if query.assigned_to_me && caller.principal.role != Role::SupportEngineer {
            return Err(ServiceError::invalid(
                "ASSIGNED_TO_ME_ENGINEERS_ONLY",
                "assigned_to_me is only for support engineers",
            ));
        }
        let access = self
            .inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                "case.list",
                query.tenant,
                caller.request_id,
            )
            .await?;
        let assigned_to = query.assigned_to_me.then_some(caller.principal.subject);
        let filter = CaseFilter {
            state: query.state,
            assigned_to,
        };
        Ok(self.inner.main.case_list(&access, &filter, page).await?)
    }

    /// Assigns a support engineer of the case's tenant to the case.
    pub async fn case_assign(
        &self,
        caller: &Caller,
        case: CaseId,
        engineer: SubjectId,
    ) -> Result<CaseMeta, ServiceError> {
        let result = self.case_assign_checked(caller, case, engineer).await;
        self.audited(
            caller,
            failed_case_event("case.assign", caller, case, engineer.to_string()),
            result,
        )
        .await
    }

    /// The lookup is logged as `case.lookup` (a metadata read); the assignment itself
    /// as `case.assign`, allowed before it happens or denied with why it did not.
    async fn case_assign_checked(
        &self,
        caller: &Caller,
        case: CaseId,
        engineer: SubjectId,
    ) -> Result<CaseMeta, ServiceError> {
        let access = self
            .inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                "case.lookup",
                None,
                caller.request_id,
            )
            .await?;
        let meta = self.inner.main.case_meta_find(&access, case).await?;
        let subject = match self.inner.main.subject_get(engineer).await {
            Ok(subject) => subject,
            Err(StoreError::NotFound { .. }) => {
                return Err(ServiceError::invalid(
                    "ENGINEER_UNKNOWN",
                    "no such engineer",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        if subject.role != Role::SupportEngineer || subject.tenant != Some(meta.tenant) {
            return Err(ServiceError::FailedPrecondition {
                reason: "NOT_AN_ENGINEER_OF_TENANT",
                message: "only a support_engineer of the case's tenant can be assigned".into(),
            });
        }
        self.log(
            caller,
            case_event("case.assign", &meta, engineer.to_string()),
        )
        .await?;
        self.inner
            .main
            .case_assign(meta.tenant, case, engineer, self.inner.clock.now())
            .await?;
        Ok(self.inner.main.case_meta_get(meta.tenant, case).await?)
    }

    /// Closes a case: its customer, an assigned engineer, or an operator.
    pub async fn case_close(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<CaseMeta, ServiceError> {
        let result = self.case_close_checked(caller, case).await;
        self.audited(
            caller,
            failed_case_event("case.close", caller, case, case.to_string()),
            result,
        )
        .await
    }

    async fn case_close_checked(
        &self,
        caller: &Caller,
        case: CaseId,
    ) -> Result<CaseMeta, ServiceError> {
        let access = self
            .inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                "case.lookup",
                None,
                caller.request_id,
            )
            .await?;
        let meta = self.inner.main.case_meta_find(&access, case).await?;
        let principal = &caller.principal;
        let may_close = match principal.role {
            Role::Customer | Role::Admin => true,
            Role::SupportEngineer => meta.engineers.contains(&principal.subject),
            _ => false,
        };
        if !may_close {
            let mut denied = case_event("case.close", &meta, case.to_string());
            denied.decision = Decision::Denied;
            denied.reason = "NOT_ASSIGNED";
            self.log(caller, denied).await?;
            return Err(ServiceError::Denied {
                reason: "NOT_ASSIGNED",
                message:
                    "only the case's customer, an assigned engineer or an operator can close it"
                        .into(),
            });
        }
        self.log(caller, case_event("case.close", &meta, case.to_string()))
            .await?;
        self.inner
            .main
            .case_close(meta.tenant, case, self.inner.clock.now())
            .await?;
        Ok(self.inner.main.case_meta_get(meta.tenant, case).await?)
    }
}

fn case_event(action: &'static str, meta: &CaseMeta, resource: String) -> Event {
    Event {
        action,
        data_class: DataClass::Metadata,
        tenant: Some(meta.tenant),
        resource_id: Some(resource),
        case_id: Some(meta.id),
        decision: Decision::Allowed,
        reason: "METADATA_WRITE",
    }
}

/// A case operation that failed before it happened, filed under the caller's tenant
/// (`audited` drops the case when it was not found in the caller's scope).
fn failed_case_event(
    action: &'static str,
    caller: &Caller,
    case: CaseId,
    resource: String,
) -> Event {
    Event {
        action,
        data_class: DataClass::Metadata,
        tenant: caller.principal.tenant,
        resource_id: Some(resource),
        case_id: Some(case),
        decision: Decision::Denied,
        reason: "NOT_FOUND",
    }
}
