//! Tenants, subjects and credentials: the operator's use cases, and the bootstrap admin.

use supportgate_audit::{Decision, NewEntry};
use supportgate_store::{CredentialRecord, Page, SubjectFilter, SubjectRecord, TenantRecord};
use supportgate_types::{
    CredentialId, DataClass, RequestId, Role, SubjectId, SubjectName, TenantId, TenantName,
};

use crate::context::Event;
use crate::{Caller, IssuedToken, ServiceError, Services};

/// The bootstrap operator's name.
const BOOTSTRAP_ADMIN: &str = "admin";

/// An allowed operator event; an empty `resource` means no one object is concerned.
fn admin_event(action: &'static str, tenant: Option<TenantId>, resource: String) -> Event {
    Event {
        action,
        data_class: DataClass::Metadata,
        tenant,
        resource_id: (!resource.is_empty()).then_some(resource),
        case_id: None,
        decision: Decision::Allowed,
        reason: "ADMIN",
    }
}

/// A tenant-bound operator may only act within their tenant.
fn check_admin_scope(caller: &Caller, tenant: Option<TenantId>) -> Result<(), ServiceError> {
    match caller.principal.tenant {
        Some(own) if tenant != Some(own) => Err(ServiceError::Denied {
            reason: "OTHER_TENANT",
            message: "you may only manage your own tenant".into(),
        }),
        _ => Ok(()),
    }
}

impl Services {
    /// Creates a tenant.
    pub async fn tenant_create(
        &self,
        caller: &Caller,
        name: TenantName,
    ) -> Result<TenantRecord, ServiceError> {
        let result = self.tenant_create_checked(caller, name).await;
        self.audited(
            caller,
            admin_event("admin.tenant.create", None, String::new()),
            result,
        )
        .await
    }

    async fn tenant_create_checked(
        &self,
        caller: &Caller,
        name: TenantName,
    ) -> Result<TenantRecord, ServiceError> {
        check_admin_scope(caller, None)?;
        let tenant = TenantRecord {
            id: TenantId::new(),
            name: name.into_string(),
            created_at: self.inner.clock.now(),
        };
        self.log(
            caller,
            admin_event(
                "admin.tenant.create",
                Some(tenant.id),
                tenant.id.to_string(),
            ),
        )
        .await?;
        self.inner.main.tenant_create(&tenant).await?;
        Ok(tenant)
    }

    /// Lists tenants (a tenant-bound operator sees only theirs).
    pub async fn tenant_list(
        &self,
        caller: &Caller,
        page: &Page,
    ) -> Result<Vec<TenantRecord>, ServiceError> {
        let event = admin_event("admin.tenant.list", caller.principal.tenant, String::new());
        self.log(caller, event).await?;
        if let Some(own) = caller.principal.tenant {
            let tenant = self.inner.main.tenant_get(own).await?;
            let first_page = page.after.is_none();
            return Ok(if first_page { vec![tenant] } else { Vec::new() });
        }
        Ok(self.inner.main.tenant_list(page).await?)
    }

    /// Creates a subject and issues its first credential.
    pub async fn subject_create(
        &self,
        caller: &Caller,
        tenant: Option<TenantId>,
        role: Role,
        name: SubjectName,
        ttl: Option<chrono::Duration>,
    ) -> Result<(SubjectRecord, IssuedToken), ServiceError> {
        let result = self
            .subject_create_checked(caller, tenant, role, name, ttl)
            .await;
        self.audited(
            caller,
            admin_event("admin.subject.create", tenant, String::new()),
            result,
        )
        .await
    }

    async fn subject_create_checked(
        &self,
        caller: &Caller,
        tenant: Option<TenantId>,
        role: Role,
        name: SubjectName,
        ttl: Option<chrono::Duration>,
    ) -> Result<(SubjectRecord, IssuedToken), ServiceError> {
        check_admin_scope(caller, tenant)?;
        self.credential_ttl(ttl)?;
        if role.requires_tenant() && tenant.is_none() {
            return Err(ServiceError::invalid(
                "TENANT_REQUIRED",
                format!("a {role} belongs to a tenant: pass tenant_id"),
            ));
        }
        if let Some(t) = tenant {
            self.inner.main.tenant_get(t).await?;
        }
        let subject = SubjectRecord {
            id: SubjectId::new(),
            tenant,
            role,
            name: name.into_string(),
            created_at: self.inner.clock.now(),
        };
        self.log(
            caller,
            admin_event("admin.subject.create", tenant, subject.id.to_string()),
        )
        .await?;
        self.inner.main.subject_create(&subject).await?;
        let token = self.issue_credential(&subject, ttl).await?;
        Ok((subject, token))
    }

    /// Issues another credential for an existing subject.
    pub async fn credential_issue(
        &self,
        caller: &Caller,
        subject: SubjectId,
        ttl: Option<chrono::Duration>,
    ) -> Result<IssuedToken, ServiceError> {
        let result = self.credential_issue_checked(caller, subject, ttl).await;
        self.audited(
            caller,
            admin_event(
                "admin.credential.issue",
                caller.principal.tenant,
                subject.to_string(),
            ),
            result,
        )
        .await
    }

    async fn credential_issue_checked(
        &self,
        caller: &Caller,
        subject: SubjectId,
        ttl: Option<chrono::Duration>,
    ) -> Result<IssuedToken, ServiceError> {
        self.credential_ttl(ttl)?;
        let record = self.inner.main.subject_get(subject).await?;
        check_admin_scope(caller, record.tenant)
            .map_err(|_| ServiceError::NotFound { what: "subject" })?;
        self.log(
            caller,
            admin_event("admin.credential.issue", record.tenant, subject.to_string()),
        )
        .await?;
        self.issue_credential(&record, ttl).await
    }

    /// Revokes a credential at once.
    pub async fn credential_revoke(
        &self,
        caller: &Caller,
        credential: CredentialId,
    ) -> Result<(), ServiceError> {
        let result = self.credential_revoke_checked(caller, credential).await;
        self.audited(
            caller,
            admin_event(
                "admin.credential.revoke",
                caller.principal.tenant,
                credential.to_string(),
            ),
            result,
        )
        .await
    }

    async fn credential_revoke_checked(
        &self,
        caller: &Caller,
        credential: CredentialId,
    ) -> Result<(), ServiceError> {
        let record = self.inner.main.credential_get(credential).await?;
        let subject = self.inner.main.subject_get(record.subject).await?;
        check_admin_scope(caller, subject.tenant)
            .map_err(|_| ServiceError::NotFound { what: "credential" })?;
        self.log(
            caller,
            admin_event(
                "admin.credential.revoke",
                subject.tenant,
                credential.to_string(),
            ),
        )
        .await?;
        self.inner
            .main
            .credential_revoke(credential, self.inner.clock.now())
            .await?;
        Ok(())
    }

    /// Lists subjects (a tenant-bound operator sees only their tenant's).
    pub async fn subject_list(
        &self,
        caller: &Caller,
        mut filter: SubjectFilter,
        page: &Page,
    ) -> Result<Vec<SubjectRecord>, ServiceError> {
        if let Some(own) = caller.principal.tenant {
            check_admin_scope(caller, filter.tenant.or(Some(own)))?;
            filter.tenant = Some(own);
        }
        let event = admin_event("admin.subject.list", filter.tenant, String::new());
        self.log(caller, event).await?;
        Ok(self.inner.main.subject_list(&filter, page).await?)
    }

    /// The caller's own subject and credential.
    pub async fn whoami(
        &self,
        caller: &Caller,
    ) -> Result<(SubjectRecord, Option<CredentialRecord>), ServiceError> {
        let me = caller.principal.subject.to_string();
        self.log(
            caller,
            admin_event("admin.whoami", caller.principal.tenant, me),
        )
        .await?;
        let subject = self
            .inner
            .main
            .subject_get(caller.principal.subject)
            .await?;
        let credential = match caller.principal.credential {
            Some(id) => Some(self.inner.main.credential_get(id).await?),
            None => None,
        };
        Ok((subject, credential))
    }

    /// Makes sure an operator can log in on a fresh installation: reuses `existing` if it
    /// still authenticates as the bootstrap admin, else creates the admin subject (once)
    /// and issues a new credential. Returns the token to hand to the operator, if new.
    pub async fn bootstrap_admin(
        &self,
        existing: Option<&str>,
        ttl: chrono::Duration,
    ) -> Result<Option<IssuedToken>, ServiceError> {
        if let Some(token) = existing {
            if let Ok(principal) = self.authenticate(token).await {
                if principal.role == Role::Admin && principal.tenant.is_none() {
                    return Ok(None);
                }
            }
        }
        let filter = SubjectFilter {
            tenant: None,
            role: Some(Role::Admin),
            name: Some(BOOTSTRAP_ADMIN.into()),
        };
        let found = self
            .inner
            .main
            .subject_list(
                &filter,
                &Page {
                    limit: 10,
                    after: None,
                },
            )
            .await?;
        let admin = match found.into_iter().find(|s| s.tenant.is_none()) {
            Some(admin) => admin,
            None => {
                let admin = SubjectRecord {
                    id: SubjectId::new(),
                    tenant: None,
                    role: Role::Admin,
                    name: BOOTSTRAP_ADMIN.into(),
                    created_at: self.inner.clock.now(),
                };
                self.inner.main.subject_create(&admin).await?;
                admin
            }
        };
        let entry = NewEntry {
            time: self.inner.clock.now(),
            subject: None,
            role: None,
            tenant: None,
            action: "admin.bootstrap",
            data_class: DataClass::Metadata,
            resource_id: Some(admin.id.to_string()),
            case_id: None,
            purpose: None,
            decision: Decision::Allowed,
            reason: "BOOTSTRAP",
            request_id: RequestId::new(),
        };
        self.audit_sink().append(entry).await?;
        Ok(Some(self.issue_credential(&admin, Some(ttl)).await?))
    }
}
