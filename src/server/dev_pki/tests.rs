use std::fs;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::StreamExt;
use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    SanType, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::ring;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore};
use time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;

use super::super::tls::{accept_stream, crypto_provider, server_config, TlsMaterial};
use super::certs::first_certificate;
use super::*;

fn hosts(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| h.to_string()).collect()
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap()
}

fn ca_roots(pki: &DevPki) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots
        .add(first_certificate(&fs::read_to_string(&pki.ca_cert_path).unwrap()).unwrap())
        .unwrap();
    Arc::new(roots)
}

/// Verifies the server certificate on disk for `host` with a verifier trusting ca.pem.
fn server_cert_verifies_for(pki: &DevPki, host: &str) -> bool {
    let chain: Vec<_> = rustls_pemfile::certs(&mut &read(&pki.server_cert_path)[..])
        .collect::<Result<_, _>>()
        .unwrap();
    let verifier = WebPkiServerVerifier::builder_with_provider(
        ca_roots(pki),
        Arc::new(ring::default_provider()),
    )
    .build()
    .unwrap();
    let name = ServerName::try_from(host.to_owned()).unwrap();
    verifier
        .verify_server_cert(&chain[0], &chain[1..], &name, &[], UnixTime::now())
        .is_ok()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_run_creates_the_four_files_with_private_key_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let tls_dir = dir.path().join("state/tls");
    let pki = load_or_create(&tls_dir, &[]).unwrap();
    assert!(pki.created);
    for path in [
        &pki.ca_cert_path,
        &pki.ca_key_path,
        &pki.server_cert_path,
        &pki.server_key_path,
    ] {
        assert!(path.is_file(), "{} missing", path.display());
        assert_eq!(path.parent(), Some(tls_dir.as_path()));
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&tls_dir), 0o700);
        assert_eq!(mode(&pki.ca_key_path), 0o600);
        assert_eq!(mode(&pki.server_key_path), 0o600);
    }
    let leftovers: Vec<_> = fs::read_dir(&tls_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        4,
        "temporary files left behind: {leftovers:?}"
    );
    let ca = CertificateParams::from_ca_cert_pem(&fs::read_to_string(&pki.ca_cert_path).unwrap())
        .unwrap();
    assert_eq!(ca.is_ca, IsCa::Ca(BasicConstraints::Constrained(0)));
    assert!(ca.key_usages.contains(&KeyUsagePurpose::KeyCertSign));
    let lifetime = ca.not_after - ca.not_before;
    assert!(
        lifetime >= Duration::days(3650) && lifetime <= Duration::days(3651),
        "{lifetime}"
    );
}

#[test]
fn a_second_run_reuses_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = load_or_create(dir.path(), &hosts(&["gw.test"])).unwrap();
    let before: Vec<_> = [
        &first.ca_cert_path,
        &first.ca_key_path,
        &first.server_cert_path,
        &first.server_key_path,
    ]
    .map(|p| read(p))
    .to_vec();
    let second = load_or_create(dir.path(), &hosts(&["GW.test"])).unwrap();
    assert!(!second.created);
    assert_eq!(
        second,
        DevPki {
            created: false,
            ..first.clone()
        }
    );
    let after: Vec<_> = [
        &first.ca_cert_path,
        &first.ca_key_path,
        &first.server_cert_path,
        &first.server_key_path,
    ]
    .map(|p| read(p))
    .to_vec();
    assert_eq!(before, after);
}

#[test]
fn a_new_host_reissues_only_the_server_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let first = load_or_create(dir.path(), &[]).unwrap();
    let (ca_cert, ca_key, server_cert) = (
        read(&first.ca_cert_path),
        read(&first.ca_key_path),
        read(&first.server_cert_path),
    );
    assert!(!server_cert_verifies_for(&first, "gateway.internal"));

    let second = load_or_create(
        dir.path(),
        &hosts(&["gateway.internal", "10.1.2.3", "[fd00::7]"]),
    )
    .unwrap();
    assert!(second.created);
    assert_eq!(read(&second.ca_cert_path), ca_cert);
    assert_eq!(read(&second.ca_key_path), ca_key);
    assert_ne!(read(&second.server_cert_path), server_cert);
    for host in [
        "gateway.internal",
        "10.1.2.3",
        "fd00::7",
        "localhost",
        "127.0.0.1",
        "::1",
    ] {
        assert!(
            server_cert_verifies_for(&second, host),
            "{host} not covered"
        );
    }
}

#[test]
fn a_server_certificate_close_to_expiry_or_with_a_foreign_key_is_reissued() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let old = load_or_create_at(dir.path(), &[], now - Duration::days(340)).unwrap();
    let aged = read(&old.server_cert_path);
    assert!(load_or_create_at(dir.path(), &[], now).unwrap().created);
    assert_ne!(read(&old.server_cert_path), aged);

    let foreign = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    fs::write(&old.server_key_path, foreign.serialize_pem()).unwrap();
    assert!(load_or_create(dir.path(), &[]).unwrap().created);
    assert!(!load_or_create(dir.path(), &[]).unwrap().created);
}

#[test]
fn an_incomplete_or_foreign_ca_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pki = load_or_create(dir.path(), &[]).unwrap();
    let foreign = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    fs::write(&pki.ca_key_path, foreign.serialize_pem()).unwrap();
    let err = load_or_create(dir.path(), &[]).unwrap_err();
    assert!(matches!(err, DevPkiError::UnusableCa { .. }), "{err:?}");
    assert!(err.to_string().contains("ca.pem"), "{err}");

    fs::remove_file(&pki.ca_key_path).unwrap();
    let err = load_or_create(dir.path(), &[]).unwrap_err().to_string();
    assert!(
        err.contains("ca.key is missing") && err.contains("delete"),
        "{err}"
    );
}

#[test]
fn an_invalid_host_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_or_create(dir.path(), &hosts(&["not a host"])).unwrap_err();
    assert!(
        matches!(err, DevPkiError::InvalidHost { ref host } if host == "not a host"),
        "{err:?}"
    );
}

#[test]
fn an_issued_client_certificate_verifies_against_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = load_or_create(dir.path(), &[]).unwrap();
    let (cert_pem, key_pem) =
        issue_client_certificate(&pki, "agent-7", "spiffe://supportgate/agent/7").unwrap();
    assert!(key_pem.contains("PRIVATE KEY"));
    let params = CertificateParams::from_ca_cert_pem(&cert_pem).unwrap();
    assert_eq!(
        params.subject_alt_names,
        [SanType::URI(
            "spiffe://supportgate/agent/7".try_into().unwrap()
        )]
    );
    assert_eq!(
        params.extended_key_usages,
        [ExtendedKeyUsagePurpose::ClientAuth]
    );

    let leaf = first_certificate(&cert_pem).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(
        ca_roots(&pki),
        Arc::new(ring::default_provider()),
    )
    .build()
    .unwrap();
    verifier
        .verify_client_cert(&leaf, &[], UnixTime::now())
        .unwrap();

    let err = issue_client_certificate(&pki, "agent", "spiffe://é").unwrap_err();
    assert!(
        matches!(
            err,
            DevPkiError::InvalidClientIdentity {
                field: "URI SAN",
                ..
            }
        ),
        "{err:?}"
    );
}

/// Serves the dev PKI's server certificate (client CA = dev CA) on loopback and
/// reports how many certificates each client presented.
async fn serve_dev_pki(
    pki: &DevPki,
) -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<usize>,
    CancellationToken,
) {
    let material = TlsMaterial::from_files(
        &pki.server_cert_path,
        &pki.server_key_path,
        Some(&pki.ca_cert_path),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let mut incoming = accept_stream(
        listener,
        server_config(&material).unwrap(),
        shutdown.clone(),
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(mut tls)) = incoming.next().await {
            tx.send(tls.get_ref().1.peer_certificates().map_or(0, <[_]>::len))
                .unwrap();
            tokio::spawn(async move { tls.write_all(b"ok").await });
        }
    });
    (addr, rx, shutdown)
}

async fn handshake(addr: SocketAddr, pki: &DevPki, host: &str, identity: Option<(String, String)>) {
    let provider = Arc::new(crypto_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(ca_roots(pki));
    let config = match identity {
        Some((cert, key)) => {
            let certs = rustls_pemfile::certs(&mut cert.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
            let key = rustls_pemfile::private_key(&mut key.as_bytes())
                .unwrap()
                .unwrap();
            builder.with_client_auth_cert(certs, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from(host.to_owned()).unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    let mut ok = [0u8; 2];
    tls.read_exact(&mut ok).await.unwrap();
}

#[tokio::test]
async fn a_client_trusting_ca_pem_completes_a_handshake_for_localhost_and_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let pki = load_or_create(dir.path(), &[]).unwrap();
    let (addr, mut seen, _shutdown) = serve_dev_pki(&pki).await;
    for host in ["localhost", "127.0.0.1"] {
        handshake(addr, &pki, host, None).await;
        assert_eq!(seen.recv().await, Some(0));
    }
    let agent = issue_client_certificate(&pki, "agent-1", "urn:supportgate:agent:1").unwrap();
    handshake(addr, &pki, "localhost", Some(agent)).await;
    assert_eq!(seen.recv().await, Some(1));
}
