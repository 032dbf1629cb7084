//! Certificate building and checking for the development PKI: ECDSA P-256 keys, the
//! CA, server and client leaves, and the checks that decide whether a file is reusable.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, Ia5String, IsCa, KeyPair, KeyUsagePurpose, SanType,
    PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::ring;
use rustls::pki_types::{
    CertificateDer, DnsName, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime,
};
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;
use time::{Duration, OffsetDateTime};

use super::DevPkiError;

/// Names every development server certificate covers, so local clients always work.
const DEFAULT_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const CA_VALIDITY: Duration = Duration::days(3650);
const LEAF_VALIDITY: Duration = Duration::days(365);
/// Certificates start this far in the past so that a peer whose clock is slightly
/// behind does not reject a certificate issued a moment ago.
const BACKDATE: Duration = Duration::hours(1);
/// A server certificate that expires within this margin is re-issued at startup.
const RENEW_BEFORE: Duration = Duration::days(30);

/// The CA as an issuer: a `Certificate` carrying its name and key identifier, its
/// key, and the DER of the certificate clients trust.
pub(super) struct Ca {
    pub(super) cert: Certificate,
    pub(super) key: KeyPair,
    pub(super) der: CertificateDer<'static>,
}

impl Ca {
    /// A new CA: "supportgate development CA", path length 0 (it signs leaves only),
    /// key cert sign, 10 years.
    pub(super) fn create(now: OffsetDateTime) -> Result<Self, DevPkiError> {
        let key = new_key()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        let name = &mut params.distinguished_name;
        name.push(DnType::CommonName, "supportgate development CA");
        name.push(DnType::OrganizationName, "supportgate");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        (params.not_before, params.not_after) = validity(now, CA_VALIDITY)?;
        let cert = params.self_signed(&key).map_err(DevPkiError::Generate)?;
        let der = cert.der().clone();
        Ok(Self { cert, key, der })
    }

    /// A server-auth leaf covering `hosts`: `(certificate PEM, key PEM)`.
    pub(super) fn issue_server(
        &self,
        hosts: &[Host],
        now: OffsetDateTime,
    ) -> Result<(String, String), DevPkiError> {
        let server = ExtendedKeyUsagePurpose::ServerAuth;
        let mut params = leaf_params("supportgate development server", server, now)?;
        params.subject_alt_names = hosts
            .iter()
            .map(|host| match host {
                Host::Ip(ip) => Ok(SanType::IpAddress(*ip)),
                Host::Dns(name) => name.as_ref().try_into().map(SanType::DnsName),
            })
            .collect::<Result<_, _>>()
            .map_err(DevPkiError::Generate)?;
        self.sign(params)
    }

    /// A client-auth leaf for `common_name` with `uri` as URI SAN.
    pub(super) fn issue_client(
        &self,
        common_name: &str,
        uri: Ia5String,
        now: OffsetDateTime,
    ) -> Result<(String, String), DevPkiError> {
        let client = ExtendedKeyUsagePurpose::ClientAuth;
        let mut params = leaf_params(common_name, client, now)?;
        params.subject_alt_names = vec![SanType::URI(uri)];
        self.sign(params)
    }

    fn sign(&self, params: CertificateParams) -> Result<(String, String), DevPkiError> {
        let key = new_key()?;
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(DevPkiError::Generate)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Why `chain` is not a server chain this CA vouches for, for every host, until
    /// 30 days from `now`; `None` if it is.
    pub(super) fn server_chain_problem(
        &self,
        chain: &[CertificateDer<'static>],
        hosts: &[Host],
        now: OffsetDateTime,
    ) -> Option<&'static str> {
        let mut roots = RootCertStore::empty();
        if roots.add(self.der.clone()).is_err() {
            return Some("the ca is not a usable trust anchor");
        }
        let provider = Arc::new(ring::default_provider());
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider);
        let Ok(verifier) = verifier.build() else {
            return Some("the ca is not a usable trust anchor");
        };
        let Some(renew_at) = now.checked_add(RENEW_BEFORE).and_then(to_unix_time) else {
            return Some("the clock is out of range");
        };
        let (leaf, intermediates) = chain.split_first()?;
        let covers = |host: &Host| {
            let name = host.server_name();
            verifier
                .verify_server_cert(leaf, intermediates, &name, &[], renew_at)
                .is_ok()
        };
        match hosts.iter().all(covers) {
            true => None,
            false => Some("it does not cover every host, is not from the ca, or expires soon"),
        }
    }
}

fn new_key() -> Result<KeyPair, DevPkiError> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(DevPkiError::Generate)
}

fn leaf_params(
    common_name: &str,
    usage: ExtendedKeyUsagePurpose,
    now: OffsetDateTime,
) -> Result<CertificateParams, DevPkiError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    (params.not_before, params.not_after) = validity(now, LEAF_VALIDITY)?;
    Ok(params)
}

fn validity(
    now: OffsetDateTime,
    lifetime: Duration,
) -> Result<(OffsetDateTime, OffsetDateTime), DevPkiError> {
    let not_before = now.checked_sub(BACKDATE);
    let not_after = now.checked_add(lifetime);
    not_before
        .zip(not_after)
        .ok_or(DevPkiError::ClockOutOfRange)
}

/// Whether `key` is the private key of `cert`, checked the way rustls checks it when
/// loading a certificate.
pub(super) fn key_matches(cert: &CertificateDer<'static>, key: &KeyPair) -> bool {
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    CertifiedKey::from_der(vec![cert.clone()], der, &ring::default_provider()).is_ok()
}

/// The first certificate of a PEM text, if any.
pub(super) fn first_certificate(pem: &str) -> Option<CertificateDer<'static>> {
    rustls_pemfile::certs(&mut pem.as_bytes()).next()?.ok()
}

fn to_unix_time(at: OffsetDateTime) -> Option<UnixTime> {
    let secs = u64::try_from(at.unix_timestamp()).ok()?;
    Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        secs,
    )))
}

/// A name the server certificate must cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Host {
    Ip(IpAddr),
    Dns(DnsName<'static>),
}

impl Host {
    fn server_name(&self) -> ServerName<'static> {
        match self {
            Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
            Host::Dns(name) => ServerName::DnsName(name.clone()),
        }
    }

    /// An IP address (`[::1]` brackets allowed) or a DNS name (lowercased).
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let unbracketed = raw.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        if let Ok(ip) = unbracketed.unwrap_or(raw).parse::<IpAddr>() {
            return Some(Host::Ip(ip));
        }
        DnsName::try_from(raw.to_ascii_lowercase())
            .ok()
            .map(Host::Dns)
    }
}

/// The default names plus `hosts`, parsed, without duplicates.
pub(super) fn requested_hosts(hosts: &[String]) -> Result<Vec<Host>, DevPkiError> {
    let mut parsed: Vec<Host> = Vec::new();
    let all = DEFAULT_HOSTS
        .iter()
        .copied()
        .chain(hosts.iter().map(String::as_str));
    for raw in all {
        let invalid = || DevPkiError::InvalidHost {
            host: raw.to_owned(),
        };
        let host = Host::parse(raw).ok_or_else(invalid)?;
        if !parsed.contains(&host) {
            parsed.push(host);
        }
    }
    Ok(parsed)
}
