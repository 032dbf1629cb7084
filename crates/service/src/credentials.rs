//! Bearer credentials: signed by the gateway, bound to one subject, role and tenant,
//! expiring, and revocable because each one is also recorded (as a hash) in the store.
//!
//! Format: `sg1.<base64url(payload JSON)>.<base64url(Ed25519 signature)>`.
//!
//! ## Why both a signature and a stored hash
//! The signature rejects forgeries without touching the database; the stored record
//! makes revocation immediate and lets an operator see every credential a subject holds.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use supportgate_crypto::{constant_time_eq, verify_signature, SignatureDomain, SigningKey};
use supportgate_policy::Principal;
use supportgate_store::{CredentialRecord, StoreError, SubjectRecord};
use supportgate_types::{CredentialId, Role, SubjectId, TenantId};

use crate::{ServiceError, Services};

/// Every token starts with this, so a leaked one is easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "sg1.";

/// Tokens longer than this are rejected before any parsing.
const MAX_TOKEN_LEN: usize = 2048;

#[derive(Serialize, Deserialize)]
struct Claims {
    cid: String,
    sub: String,
    role: String,
    ten: Option<String>,
    iat: i64,
    exp: i64,
}

/// A freshly issued credential; the token is shown once and never stored.
#[derive(Clone)]
pub struct IssuedToken {
    /// The credential's id (for revocation).
    pub credential_id: CredentialId,
    /// The token to present as `authorization: Bearer <token>`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("credential_id", &self.credential_id)
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

fn token_hash(token: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

fn unauthenticated(reason: &'static str, message: &'static str) -> ServiceError {
    ServiceError::Unauthenticated { reason, message }
}

pub(crate) fn sign_token(signer: &SigningKey, claims_json: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(claims_json);
    let signature = signer.sign(SignatureDomain::Credential, payload.as_bytes());
    format!(
        "{TOKEN_PREFIX}{payload}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )
}

fn parse_claims(signer: &SigningKey, token: &str) -> Result<Claims, ServiceError> {
    let malformed = || {
        unauthenticated(
            "CREDENTIAL_MALFORMED",
            "the credential is not a supportgate token",
        )
    };
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed());
    }
    let rest = token.strip_prefix(TOKEN_PREFIX).ok_or_else(malformed)?;
    let (payload, signature) = rest.split_once('.').ok_or_else(malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?;
    if !verify_signature(
        signer.public_key(),
        SignatureDomain::Credential,
        payload.as_bytes(),
        &signature,
    ) {
        return Err(unauthenticated(
            "CREDENTIAL_INVALID",
            "the credential's signature is not valid",
        ));
    }
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed())?;
    serde_json::from_slice(&json).map_err(|_| malformed())
}

impl Services {
    /// The lifetime a new credential gets: the default when none is asked for, and an
    /// error (before anything is stored) when the request is out of range.
    pub(crate) fn credential_ttl(
        &self,
        ttl: Option<chrono::Duration>,
    ) -> Result<chrono::Duration, ServiceError> {
        let config = &self.inner.config;
        let ttl = ttl.unwrap_or(config.default_credential_ttl);
        if ttl <= chrono::Duration::zero() || ttl > config.max_credential_ttl {
            return Err(ServiceError::invalid(
                "CREDENTIAL_TTL_OUT_OF_RANGE",
                format!(
                    "credential lifetime must be between 1 second and {} seconds",
                    config.max_credential_ttl.num_seconds()
                ),
            ));
        }
        Ok(ttl)
    }

    /// Issues a credential for `subject`, valid for `ttl` (clamped to the configured maximum).
    pub(crate) async fn issue_credential(
        &self,
        subject: &SubjectRecord,
        ttl: Option<chrono::Duration>,
    ) -> Result<IssuedToken, ServiceError> {
        let ttl = self.credential_ttl(ttl)?;
        let id = CredentialId::new();
        let issued_at = self.inner.clock.now();
        let expires_at = issued_at + ttl;
        let claims = Claims {
            cid: id.to_string(),
            sub: subject.id.to_string(),
            role: subject.role.as_str().to_owned(),
            ten: subject.tenant.map(|t| t.to_string()),
            iat: issued_at.timestamp(),
            exp: expires_at.timestamp(),
        };
        let json = serde_json::to_vec(&claims).map_err(ServiceError::internal)?;
        let token = sign_token(self.inner.key.signing_key(), &json);
        let record = CredentialRecord {
            id,
            subject: subject.id,
            token_hash: token_hash(&token),
            issued_at,
            expires_at,
            revoked_at: None,
        };
        self.inner.main.credential_insert(&record).await?;
        Ok(IssuedToken {
            credential_id: id,
            token,
            expires_at,
        })
    }

    /// Establishes who presents `token`: signature, expiry, revocation, and that the
    /// subject still exists with the role and tenant the token claims. Fails closed.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ServiceError> {
        let claims = parse_claims(self.inner.key.signing_key(), token.trim())?;
        let malformed = || {
            unauthenticated(
                "CREDENTIAL_MALFORMED",
                "the credential is not a supportgate token",
            )
        };
        let id = CredentialId::parse(&claims.cid).map_err(|_| malformed())?;
        let subject_id = SubjectId::parse(&claims.sub).map_err(|_| malformed())?;
        if claims.exp <= self.inner.clock.now().timestamp() {
            return Err(unauthenticated(
                "CREDENTIAL_EXPIRED",
                "the credential has expired; ask for a new one",
            ));
        }
        let revoked = || unauthenticated("CREDENTIAL_REVOKED", "the credential has been revoked");
        let record = match self.inner.main.credential_get(id).await {
            Ok(record) => record,
            Err(StoreError::NotFound { .. }) => return Err(revoked()),
            Err(e) => return Err(e.into()),
        };
        if record.revoked_at.is_some() || record.subject != subject_id {
            return Err(revoked());
        }
        if !constant_time_eq(&record.token_hash, &token_hash(token.trim())) {
            return Err(unauthenticated(
                "CREDENTIAL_INVALID",
                "the credential does not match its record",
            ));
        }
        let subject = self
            .inner
            .main
            .subject_get(subject_id)
            .await
            .map_err(|_| revoked())?;
        let claimed_tenant = claims
            .ten
            .as_deref()
            .map(TenantId::parse)
            .transpose()
            .map_err(|_| malformed())?;
        let claimed_role = Role::parse(&claims.role).map_err(|_| malformed())?;
        if subject.role != claimed_role || subject.tenant != claimed_tenant {
            return Err(revoked());
        }
        Ok(Principal {
            subject: subject.id,
            role: subject.role,
            tenant: subject.tenant,
            credential: Some(id),
        })
    }

    /// Establishes who presents a client certificate the TLS layer verified: the subject
    /// it names must exist; role and tenant come from its record, never the certificate.
    pub async fn authenticate_certificate(
        &self,
        subject: SubjectId,
    ) -> Result<Principal, ServiceError> {
        match self.inner.main.subject_get(subject).await {
            Ok(record) => Ok(Principal {
                subject: record.id,
                role: record.role,
                tenant: record.tenant,
                credential: None,
            }),
            Err(StoreError::NotFound { .. }) => Err(unauthenticated(
                "CERTIFICATE_UNKNOWN_SUBJECT",
                "the client certificate names a subject this gateway does not know",
            )),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
