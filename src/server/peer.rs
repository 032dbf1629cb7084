//! Client-certificate identities: an agent or service that presents a certificate
//! signed by the configured client CA is the subject named in its URI SAN.
//!
//! ## Why a URI SAN
//! The common name is free text for people; the URI SAN
//! `urn:supportgate:subject:<uuid>` is exact and cannot collide with a DNS name. The
//! TLS layer has already verified the chain against the client CA; this module only
//! reads which subject the certificate names. Role and tenant always come from the
//! subject's stored record, never from the certificate.

use rustls::pki_types::CertificateDer;
use supportgate_types::SubjectId;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The URI SAN prefix that names a subject.
pub const SUBJECT_URI_PREFIX: &str = "urn:supportgate:subject:";

/// The URI SAN for `subject`, to put into its client certificate.
pub fn subject_uri(subject: SubjectId) -> String {
    format!("{SUBJECT_URI_PREFIX}{subject}")
}

/// Why a verified certificate does not identify a subject.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeerIdentityError {
    /// The certificate could not be parsed (the TLS layer accepted it, so this is rare).
    #[error("the client certificate cannot be parsed")]
    Unparsable,
    /// No `urn:supportgate:subject:` URI SAN, or more than one.
    #[error("the client certificate must name exactly one subject as a URI SAN {SUBJECT_URI_PREFIX}<id>")]
    NoSubject,
}

/// The subject the leaf certificate names.
pub fn subject_of(leaf: &CertificateDer<'_>) -> Result<SubjectId, PeerIdentityError> {
    let (_, cert) =
        X509Certificate::from_der(leaf.as_ref()).map_err(|_| PeerIdentityError::Unparsable)?;
    let san = cert
        .subject_alternative_name()
        .map_err(|_| PeerIdentityError::Unparsable)?;
    let mut subjects = san
        .iter()
        .flat_map(|ext| ext.value.general_names.iter())
        .filter_map(|name| match name {
            GeneralName::URI(uri) => uri.strip_prefix(SUBJECT_URI_PREFIX),
            _ => None,
        })
        .map(SubjectId::parse);
    match (subjects.next(), subjects.next()) {
        (Some(Ok(subject)), None) => Ok(subject),
        _ => Err(PeerIdentityError::NoSubject),
    }
}
