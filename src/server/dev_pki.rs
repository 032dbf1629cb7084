//! The development PKI that `supportgate serve --dev` makes so that nothing needs
//! installing (DESIGN §10): a local CA, a server certificate for this machine, and
//! client certificates for agents and services on request.
//!
//! Invariants:
//! - an existing CA is never replaced: clients may already trust it, so a CA that
//!   cannot be used is an error that says what to delete, never a silent re-creation;
//! - the server certificate is derived state: it is re-issued from the CA whenever it
//!   does not verify for every requested host, is near expiry, or does not match its key;
//! - keys are written 0600 in a 0700 directory (unix), every file atomically, key
//!   before certificate, so a crash never leaves a certificate without its key.
//!
//! Here: the public API and the load-or-create decisions; `certs` builds and checks
//! certificates; `files` does the careful file system work.

use std::io;
use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, IsCa, KeyPair};
use time::OffsetDateTime;

use self::certs::{key_matches, Ca};
use self::files::{read_if_exists, write_atomically, CERT_MODE, KEY_MODE};

mod certs;
mod files;
#[cfg(test)]
mod tests;

/// Why the development PKI could not be loaded or created. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum DevPkiError {
    /// A file could not be read or written, or the directory could not be created.
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A PEM certificate or key file could not be parsed.
    #[error("{} is not a usable PEM {what}", path.display())]
    Parse {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: rcgen::Error,
    },
    /// The CA cannot sign (key missing or foreign, not a CA, expired). Clients may
    /// trust it, so replacing it is the user's decision: an error, never a silent redo.
    #[error("{} cannot be used as the development CA: {reason}; delete it and {} to create a new CA, which clients must then trust", path.display(), key_path.display())]
    UnusableCa {
        path: PathBuf,
        key_path: PathBuf,
        reason: &'static str,
    },
    /// A requested host is neither an IP address nor a valid DNS name.
    #[error("{host:?} is neither an IP address nor a valid DNS name")]
    InvalidHost { host: String },
    /// A client certificate field is empty or cannot be encoded (a non-ASCII URI).
    #[error("invalid client certificate {field}: {value:?}")]
    InvalidClientIdentity { field: &'static str, value: String },
    /// Key generation or signing failed.
    #[error("cannot generate a development certificate")]
    Generate(#[source] rcgen::Error),
    /// The system clock is outside the range certificates can express.
    #[error("the system clock is outside the range a certificate validity can express")]
    ClockOutOfRange,
}

/// Where the development PKI's files are, and whether this run wrote any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevPki {
    /// The CA certificate: what clients trust.
    pub ca_cert_path: PathBuf,
    /// The CA private key (0600): needed to issue server and client certificates.
    pub ca_key_path: PathBuf,
    /// The server certificate, signed by the CA, for the listener.
    pub server_cert_path: PathBuf,
    /// The server private key (0600).
    pub server_key_path: PathBuf,
    /// `true` when this call wrote a file (a new CA, or a re-issued server
    /// certificate), so the caller can tell the user where the CA is.
    pub created: bool,
}

impl DevPki {
    /// The file locations of a development PKI in `tls_dir`, whether or not it exists yet.
    pub fn in_dir(tls_dir: &Path) -> Self {
        Self {
            ca_cert_path: tls_dir.join("ca.pem"),
            ca_key_path: tls_dir.join("ca.key"),
            server_cert_path: tls_dir.join("server.pem"),
            server_key_path: tls_dir.join("server.key"),
            created: false,
        }
    }
}

/// Loads the development PKI from `tls_dir` (created 0700 if missing), creating what
/// is missing.
///
/// Reuses an existing CA. (Re-)issues the server certificate (1 year, server-auth)
/// when it is missing, does not match its key, expires within 30 days, or does not
/// verify against the CA for `localhost`, `127.0.0.1`, `::1` and every entry of
/// `hosts` (IP addresses become IP SANs, names DNS SANs).
///
/// ## Why the wall clock
/// Peers judge validity against their own wall clocks, so issuing reads the wall
/// clock too rather than the service's injected `Clock`.
pub fn load_or_create(tls_dir: &Path, hosts: &[String]) -> Result<DevPki, DevPkiError> {
    load_or_create_at(tls_dir, hosts, OffsetDateTime::now_utc())
}

/// [`load_or_create`] at a given time, so tests can age certificates.
fn load_or_create_at(
    tls_dir: &Path,
    hosts: &[String],
    now: OffsetDateTime,
) -> Result<DevPki, DevPkiError> {
    let mut pki = DevPki::in_dir(tls_dir);
    let hosts = certs::requested_hosts(hosts)?;
    files::create_private_dir(tls_dir)?;
    let ca = match load_ca(&pki, now)? {
        Some(ca) => ca,
        None => {
            let ca = Ca::create(now)?;
            let key_pem = ca.key.serialize_pem();
            write_atomically(&pki.ca_key_path, key_pem.as_bytes(), KEY_MODE)?;
            write_atomically(&pki.ca_cert_path, ca.cert.pem().as_bytes(), CERT_MODE)?;
            tracing::info!(path = %pki.ca_cert_path.display(), "created development ca");
            pki.created = true;
            ca
        }
    };
    let problem = match pki.created {
        true => Some("new ca"),
        false => server_cert_problem(&pki, &ca, &hosts, now),
    };
    if let Some(reason) = problem {
        let (cert, key) = ca.issue_server(&hosts, now)?;
        write_atomically(&pki.server_key_path, key.as_bytes(), KEY_MODE)?;
        write_atomically(&pki.server_cert_path, cert.as_bytes(), CERT_MODE)?;
        let path = pki.server_cert_path.display();
        tracing::info!(%path, reason, "issued development server certificate");
        pki.created = true;
    }
    Ok(pki)
}

/// Issues a client certificate (client-auth EKU, CN `common_name`, `uri_san` as URI
/// SAN, 1 year) signed by the development CA, for an agent or service to authenticate
/// with. Returns `(certificate PEM, private key PEM)`; nothing is written to disk, so
/// the caller decides where the key goes.
pub fn issue_client_certificate(
    pki: &DevPki,
    common_name: &str,
    uri_san: &str,
) -> Result<(String, String), DevPkiError> {
    let invalid = |field, value: &str| DevPkiError::InvalidClientIdentity {
        field,
        value: value.to_owned(),
    };
    if common_name.trim().is_empty() {
        return Err(invalid("common name", common_name));
    }
    let uri = match uri_san.try_into() {
        Ok(uri) if !uri_san.is_empty() => uri,
        _ => return Err(invalid("URI SAN", uri_san)),
    };
    let now = OffsetDateTime::now_utc();
    let not_found = || files::io_error("read", &pki.ca_cert_path)(io::ErrorKind::NotFound.into());
    let ca = load_ca(pki, now)?.ok_or_else(not_found)?;
    ca.issue_client(common_name, uri, now)
}

/// Loads the CA if both files exist; `None` if there is no CA certificate yet.
fn load_ca(pki: &DevPki, now: OffsetDateTime) -> Result<Option<Ca>, DevPkiError> {
    let cert_pem = read_if_exists(&pki.ca_cert_path)?;
    let key_pem = read_if_exists(&pki.ca_key_path)?;
    let (cert_pem, key_pem) = match (cert_pem, key_pem) {
        (Some(cert), Some(key)) => (cert, key),
        // A key without a certificate was never trusted by anyone: start afresh.
        (None, _) => return Ok(None),
        (Some(_), None) => return Err(unusable_ca(pki, "ca.key is missing")),
    };
    let key = KeyPair::from_pem(&key_pem).map_err(parse_error("private key", &pki.ca_key_path))?;
    let params = CertificateParams::from_ca_cert_pem(&cert_pem)
        .map_err(parse_error("certificate", &pki.ca_cert_path))?;
    let der = certs::first_certificate(&cert_pem).ok_or_else(|| {
        parse_error("certificate", &pki.ca_cert_path)(rcgen::Error::CouldNotParseCertificate)
    })?;
    if !matches!(params.is_ca, IsCa::Ca(_)) {
        return Err(unusable_ca(pki, "it is not a CA certificate"));
    }
    if params.not_after <= now {
        return Err(unusable_ca(pki, "it has expired"));
    }
    if !key_matches(&der, &key) {
        return Err(unusable_ca(pki, "ca.key does not belong to it"));
    }
    // rcgen signs with an issuer `Certificate`: rebuild one with the CA's name, key
    // identifier and key. Only those go into the leaves; its own signature is unused.
    let cert = params.self_signed(&key).map_err(DevPkiError::Generate)?;
    Ok(Some(Ca { cert, key, der }))
}

/// Why the server certificate must be re-issued, or `None` if it is fine. Failing to
/// read or parse it is such a reason: the certificate is derived state.
fn server_cert_problem(
    pki: &DevPki,
    ca: &Ca,
    hosts: &[certs::Host],
    now: OffsetDateTime,
) -> Option<&'static str> {
    let (Ok(Some(cert_pem)), Ok(Some(key_pem))) = (
        read_if_exists(&pki.server_cert_path),
        read_if_exists(&pki.server_key_path),
    ) else {
        return Some("missing or unreadable");
    };
    let chain = rustls_pemfile::certs(&mut cert_pem.as_bytes()).collect::<Result<Vec<_>, _>>();
    let (Ok(chain), Ok(key)) = (chain, KeyPair::from_pem(&key_pem)) else {
        return Some("unparsable certificate or key");
    };
    match chain.first() {
        Some(leaf) if key_matches(leaf, &key) => ca.server_chain_problem(&chain, hosts, now),
        _ => Some("key does not match the certificate"),
    }
}

fn unusable_ca(pki: &DevPki, reason: &'static str) -> DevPkiError {
    DevPkiError::UnusableCa {
        path: pki.ca_cert_path.clone(),
        key_path: pki.ca_key_path.clone(),
        reason,
    }
}

fn parse_error(what: &'static str, path: &Path) -> impl FnOnce(rcgen::Error) -> DevPkiError {
    let path = path.to_owned();
    move |source| DevPkiError::Parse { what, path, source }
}
