//! The gate every RPC passes first: request id, authentication, role check.
//!
//! ## Why not a tower layer
//! Authentication needs the store (revocation) and a refusal must be written to the
//! access log before the answer goes out; doing it at the top of each handler keeps that
//! async, audited and typed (the handler gets a `Caller`, not a header).

use supportgate_policy::Principal;
use supportgate_service::{Caller, Refusal, ServiceError, Services};
use supportgate_types::RequestId;
use tonic::{Request, Status};

use super::authz::rule;
use super::hints::{purpose_code, AuditHints};
use super::layers::REQUEST_ID_HEADER;
use super::peer::subject_of;
use super::sessions::hub::SessionHub;
use super::status::to_status;
use super::Limits;

/// Shared state of every gRPC service.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The use cases.
    pub services: Services,
    /// Cancelled when the server shuts down: long-lived streams end on it.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The sessions live on this gateway.
    pub sessions: std::sync::Arc<SessionHub>,
    /// The limits the server runs with.
    pub limits: Limits,
    /// What the server counts, for `/metrics`.
    pub metrics: std::sync::Arc<super::metrics::Metrics>,
}

/// The request id the request-id layer put on the request.
fn request_id<T>(request: &Request<T>) -> RequestId {
    request
        .metadata()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| RequestId::parse(v).ok())
        .unwrap_or_default()
}

/// How the caller proves who they are.
enum Presented<'a> {
    Token(&'a str),
    Certificate(rustls::pki_types::CertificateDer<'static>),
}

fn unauthenticated(reason: &'static str, message: &'static str) -> ServiceError {
    ServiceError::Unauthenticated { reason, message }
}

/// A bearer token if the request has an `authorization` header, else a verified client
/// certificate; a malformed header is an error even when a certificate is present.
fn presented<T>(request: &Request<T>) -> Result<Presented<'_>, ServiceError> {
    if let Some(value) = request.metadata().get("authorization") {
        let value = value.to_str().map_err(|_| {
            unauthenticated(
                "CREDENTIAL_MALFORMED",
                "the authorization header is not text",
            )
        })?;
        // The scheme is case-insensitive (RFC 7235).
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or(unauthenticated(
                "CREDENTIAL_MALFORMED",
                "expected authorization: Bearer <token>",
            ))?;
        return Ok(Presented::Token(token));
    }
    match request
        .peer_certs()
        .as_deref()
        .and_then(|certs| certs.first())
    {
        Some(leaf) => Ok(Presented::Certificate(leaf.clone())),
        None => Err(unauthenticated(
            "CREDENTIAL_REQUIRED",
            "send authorization: Bearer <token>, or connect with a client certificate",
        )),
    }
}

impl Edge {
    /// The edge over `services`; streams and live sessions end when `shutdown` is
    /// cancelled.
    pub fn new(
        services: Services,
        shutdown: tokio_util::sync::CancellationToken,
        limits: Limits,
    ) -> Self {
        let sessions = std::sync::Arc::new(SessionHub::new(
            services.clone(),
            limits.sessions.clone(),
            shutdown.clone(),
        ));
        sessions.spawn_watch();
        let metrics = std::sync::Arc::new(super::metrics::Metrics::new(
            services.clone(),
            sessions.clone(),
        ));
        Self {
            services,
            shutdown,
            sessions,
            limits,
            metrics,
        }
    }

    async fn authenticate<T>(&self, request: &Request<T>) -> Result<Principal, ServiceError> {
        match presented(request)? {
            Presented::Token(token) => self.services.authenticate(token).await,
            Presented::Certificate(leaf) => {
                let subject = subject_of(&leaf).map_err(|_| {
                    unauthenticated(
                        "CERTIFICATE_NO_SUBJECT",
                        "the client certificate names no subject (URI SAN urn:supportgate:subject:<id>)",
                    )
                })?;
                self.services.authenticate_certificate(subject).await
            }
        }
    }

    /// Authenticates the request and checks the caller's role may use `path`. Both
    /// refusals are logged before they are returned.
    pub async fn caller<T: AuditHints>(
        &self,
        request: &Request<T>,
        path: &'static str,
    ) -> Result<Caller, Status> {
        let request_id = request_id(request);
        let rule = rule(path);
        let action = rule.map_or(path, |r| r.action);
        let span = tracing::Span::current();
        span.record("request_id", tracing::field::display(request_id));
        let principal = match self.authenticate(request).await {
            Ok(principal) => principal,
            Err(error) => {
                let reason = error.reason();
                self.services
                    .log_unauthenticated(action, reason, request_id)
                    .await
                    .map_err(|e| to_status(e, request_id))?;
                tracing::info!(%reason, "unauthenticated request refused");
                return Err(to_status(error, request_id));
            }
        };
        let caller = Caller {
            principal,
            request_id,
        };
        span.record("subject", tracing::field::display(caller.principal.subject));
        span.record("role", caller.principal.role.as_str());
        if let Some(tenant) = caller.principal.tenant {
            span.record("tenant", tracing::field::display(tenant));
        }
        let allowed = rule.is_some_and(|r| r.roles.contains(&caller.principal.role));
        if !allowed {
            let message = request.get_ref();
            let refusal = Refusal {
                action,
                case: message.case_hint(),
                purpose: purpose_code(message),
                data_class: message.data_class(),
            };
            self.services
                .log_role_denied(&caller, refusal)
                .await
                .map_err(|e| to_status(e, request_id))?;
            return Err(to_status(
                ServiceError::Denied {
                    reason: "ROLE_DENIED",
                    message: format!("the {} role may not call {path}", caller.principal.role),
                },
                request_id,
            ));
        }
        Ok(caller)
    }
}
