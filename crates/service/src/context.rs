//! The services' shared state and the caller every use case acts for.

use std::sync::Arc;

use supportgate_audit::{AuditSink, Decision, NewEntry, Receipt};
use supportgate_crypto::KeyWrapper;
use supportgate_policy::{Policy, Principal};
use supportgate_store::{BlobStore, ContactStore, MainStore};
use supportgate_types::{CaseId, Clock, DataClass, PurposeCode, RequestId, TenantId};

use crate::keyring::KeyRing;
use crate::GatewayKey;
use crate::ServiceError;

/// Tunables of the use cases.
#[derive(Clone, Debug)]
pub struct ServicesConfig {
    /// Lifetime of a credential when the request does not say.
    pub default_credential_ttl: chrono::Duration,
    /// The longest lifetime a credential may be given.
    pub max_credential_ttl: chrono::Duration,
    /// Limits on diagnostic transfers.
    pub transfers: crate::TransferLimits,
    /// The longest a customer's consent to a session may last.
    pub max_consent_ttl: chrono::Duration,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        Self {
            default_credential_ttl: chrono::Duration::hours(24),
            max_credential_ttl: chrono::Duration::days(90),
            transfers: crate::TransferLimits::default(),
            max_consent_ttl: chrono::Duration::hours(8),
        }
    }
}

/// Who is calling, established by the edge's authentication.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The authenticated principal.
    pub principal: Principal,
    /// The request being served.
    pub request_id: RequestId,
}

/// Every use case, over the two stores, the policy and the keys. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub main: MainStore,
    pub contacts: ContactStore,
    pub policy: Policy,
    pub clock: Arc<dyn Clock>,
    pub keys: KeyRing,
    pub key: Arc<GatewayKey>,
    pub config: ServicesConfig,
    pub blobs: Arc<dyn BlobStore>,
    pub sessions: Arc<crate::UploadSessions>,
}

/// What the edge knows about a request it refused by role, for the log.
#[derive(Clone, Debug)]
pub struct Refusal {
    /// The RPC that was refused.
    pub action: &'static str,
    /// The case the request named, if any.
    pub case: Option<CaseId>,
    /// The purpose the request named, if any.
    pub purpose: Option<PurposeCode>,
    /// The class of data the RPC touches.
    pub data_class: DataClass,
}

/// What a logged event is about.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub action: &'static str,
    pub data_class: DataClass,
    pub tenant: Option<TenantId>,
    pub resource_id: Option<String>,
    pub case_id: Option<CaseId>,
    pub decision: Decision,
    pub reason: &'static str,
}

impl Services {
    /// Assembles the services.
    pub fn new(
        main: MainStore,
        contacts: ContactStore,
        clock: Arc<dyn Clock>,
        master_key: Arc<dyn KeyWrapper>,
        key: Arc<GatewayKey>,
        blobs: Arc<dyn BlobStore>,
        config: ServicesConfig,
    ) -> Services {
        let inner = Inner {
            main,
            contacts,
            policy: Policy::new(clock.clone()),
            keys: KeyRing::new(master_key, clock.clone()),
            clock,
            key,
            config,
            blobs,
            sessions: Arc::default(),
        };
        Services {
            inner: Arc::new(inner),
        }
    }

    /// The transfer limits in force.
    pub fn transfer_limits(&self) -> &crate::TransferLimits {
        &self.inner.config.transfers
    }

    /// The current time, from the injected clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// The customer-data store's log, for the edge's own audited decisions.
    pub fn audit_sink(&self) -> &dyn AuditSink {
        &self.inner.main
    }

    /// Checks both databases answer (readiness).
    pub async fn ping(&self) -> Result<(), ServiceError> {
        self.inner.main.ping().await?;
        self.inner.contacts.ping().await?;
        self.inner
            .blobs
            .ping()
            .await
            .map_err(ServiceError::internal)?;
        Ok(())
    }

    /// What the access log's writer has committed since start (for metrics).
    pub fn log_stats(&self) -> supportgate_store::LogStatsSnapshot {
        self.inner.main.log_stats()
    }

    /// Shutdown: writes what the access log has queued, signs a last checkpoint, and
    /// closes both pools.
    pub async fn close(&self) {
        self.inner.main.close().await;
        self.inner.contacts.close().await;
    }

    /// Logs a refusal made before any use case ran (the edge's role gate).
    ///
    /// The case the request named is recorded as the resource; it is filed as the
    /// entry's case only when it is a case of the caller's tenant, so a probe of another
    /// tenant's id never shows up under that tenant's case in the caller's log.
    pub async fn log_role_denied(
        &self,
        caller: &Caller,
        refusal: Refusal,
    ) -> Result<(), ServiceError> {
        let case_id = match (refusal.case, caller.principal.tenant) {
            (Some(case), Some(tenant)) => match self.inner.main.case_meta_get(tenant, case).await {
                Ok(_) => Some(case),
                Err(supportgate_store::StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            },
            _ => None,
        };
        let entry = NewEntry {
            time: self.inner.clock.now(),
            subject: Some(caller.principal.subject),
            role: Some(caller.principal.role),
            tenant: caller.principal.tenant,
            action: refusal.action,
            data_class: refusal.data_class,
            resource_id: refusal.case.map(|c| c.to_string()),
            case_id,
            purpose: refusal.purpose,
            decision: Decision::Denied,
            reason: "ROLE_DENIED",
            request_id: caller.request_id,
        };
        self.inner.main.append(entry).await?;
        Ok(())
    }

    /// Logs a request refused because its credential did not authenticate; nobody is
    /// named, since an unauthenticated claim proves nothing.
    pub async fn log_unauthenticated(
        &self,
        action: &'static str,
        reason: &'static str,
        request_id: RequestId,
    ) -> Result<(), ServiceError> {
        let entry = NewEntry {
            time: self.inner.clock.now(),
            subject: None,
            role: None,
            tenant: None,
            action,
            data_class: DataClass::Metadata,
            resource_id: None,
            case_id: None,
            purpose: None,
            decision: Decision::Denied,
            reason,
            request_id,
        };
        self.inner.main.append(entry).await?;
        Ok(())
    }

    /// Passes `result` through; when it is an error the caller can act on (invalid,
    /// not found, conflict, precondition), first logs `event` as denied with the error's
    /// reason, so the log never shows an operation as done that did not happen. A
    /// `NotFound` entry names the id only as its resource, never as its case.
    /// Refusals (`Denied`) were logged where they were decided and are not repeated.
    pub(crate) async fn audited<T>(
        &self,
        caller: &Caller,
        mut event: Event,
        result: Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let error = match result {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let client_error = matches!(
            error,
            ServiceError::Invalid { .. }
                | ServiceError::NotFound { .. }
                | ServiceError::Missing { .. }
                | ServiceError::Conflict { .. }
                | ServiceError::FailedPrecondition { .. }
                | ServiceError::Exhausted { .. }
                | ServiceError::OutOfRange { .. }
                | ServiceError::OffsetMismatch { .. }
        );
        if client_error {
            if matches!(
                error,
                ServiceError::NotFound { .. } | ServiceError::Missing { .. }
            ) {
                // Not in the caller's scope: never file the entry under that case.
                event.case_id = None;
            }
            event.decision = Decision::Denied;
            event.reason = error.reason();
            self.log(caller, event).await?;
        }
        Err(error)
    }

    /// Appends the gateway's own event (no caller: a sweep, a session's end).
    pub(crate) async fn log_system(&self, event: Event) -> Result<Receipt, ServiceError> {
        let entry = NewEntry {
            time: self.inner.clock.now(),
            subject: None,
            role: None,
            tenant: event.tenant,
            action: event.action,
            data_class: event.data_class,
            resource_id: event.resource_id,
            case_id: event.case_id,
            purpose: None,
            decision: event.decision,
            reason: event.reason,
            request_id: RequestId::new(),
        };
        Ok(self.inner.main.append(entry).await?)
    }

    /// Appends an event for `caller` and returns once it is durable.
    pub(crate) async fn log(&self, caller: &Caller, event: Event) -> Result<Receipt, ServiceError> {
        self.log_for(caller, event, None).await
    }

    /// Appends an event for `caller` that was decided for `purpose` (a reviewer must
    /// see why a customer-data stream was opened, not only that it was).
    pub(crate) async fn log_for(
        &self,
        caller: &Caller,
        event: Event,
        purpose: Option<PurposeCode>,
    ) -> Result<Receipt, ServiceError> {
        let entry = NewEntry {
            time: self.inner.clock.now(),
            subject: Some(caller.principal.subject),
            role: Some(caller.principal.role),
            tenant: event.tenant,
            action: event.action,
            data_class: event.data_class,
            resource_id: event.resource_id,
            case_id: event.case_id,
            purpose,
            decision: event.decision,
            reason: event.reason,
            request_id: caller.request_id,
        };
        Ok(self.inner.main.append(entry).await?)
    }
}
