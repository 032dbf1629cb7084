use std::collections::HashSet;

use rcgen::{ExtendedKeyUsagePurpose, KeyPair};
use rustls::ProtocolVersion;
use tokio::io::AsyncReadExt;

use self::harness::*;
use super::*;

mod harness;

#[tokio::test]
async fn tls13_client_connects_and_negotiates_h2() {
    let (ca, addr, mut accepted, _shutdown) = start(None).await;
    let tls = connect(
        addr,
        client_config(&ca, &[&rustls::version::TLS13], CIPHER_SUITES, None),
    )
    .await
    .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let seen = accepted.recv().await.unwrap();
    assert_eq!(seen.version, Some(ProtocolVersion::TLSv1_3));
    assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(seen.client_certs, 0);
}

#[tokio::test]
async fn tls12_only_client_with_ecdhe_aes_gcm_connects() {
    let (ca, addr, mut accepted, _shutdown) = start(None).await;
    let suite = [ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    let tls = connect(
        addr,
        client_config(&ca, &[&rustls::version::TLS12], &suite, None),
    )
    .await
    .unwrap();
    assert_eq!(tls.get_ref().1.negotiated_cipher_suite(), Some(suite[0]));
    assert_eq!(
        accepted.recv().await.unwrap().version,
        Some(ProtocolVersion::TLSv1_2)
    );
}

#[tokio::test]
async fn server_offers_exactly_the_forward_secret_aead_suites_over_tls12_and_tls13() {
    let ca = TestCa::new("test server CA");
    let config = server_config(&ca.server_material(None)).unwrap();
    let offered: HashSet<String> = config
        .crypto_provider()
        .cipher_suites
        .iter()
        .map(|s| format!("{:?}", s.suite()))
        .collect();
    let expected: HashSet<String> = [
        "TLS13_AES_128_GCM_SHA256",
        "TLS13_AES_256_GCM_SHA384",
        "TLS13_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(offered, expected);
    let versions: Vec<ProtocolVersion> = PROTOCOL_VERSIONS.iter().map(|v| v.version).collect();
    assert_eq!(
        versions,
        [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]
    );
    assert_eq!(config.alpn_protocols, [b"h2".to_vec()]);
}

#[tokio::test]
async fn legacy_cbc_and_non_forward_secret_suites_are_refused_with_an_alert() {
    let (ca, addr, mut accepted, _shutdown) = start(None).await;
    // RSA key exchange (no forward secrecy) with CBC and GCM, ECDHE with CBC.
    let tls12_weak = legacy_client_hello([3, 3], &[0x002f, 0x003c, 0x009c, 0xc013, 0xc027]);
    let answer = raw_exchange(addr, &tls12_weak).await;
    assert_eq!(
        alert_description(&answer),
        Some(40),
        "handshake_failure, got {answer:?}"
    );
    // A TLS 1.1 hello, even with a suite we would otherwise accept.
    let tls11 = legacy_client_hello([3, 2], &[0xc02b, 0xc009]);
    let answer = raw_exchange(addr, &tls11).await;
    assert_eq!(
        alert_description(&answer),
        Some(70),
        "protocol_version, got {answer:?}"
    );
    // Neither ended the stream.
    connect(
        addr,
        client_config(&ca, PROTOCOL_VERSIONS, CIPHER_SUITES, None),
    )
    .await
    .unwrap();
    assert!(accepted.recv().await.is_some());
}

#[tokio::test]
async fn plaintext_http2_gets_no_http2_response_and_accepting_continues() {
    let (ca, addr, mut accepted, _shutdown) = start(None).await;
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend([0, 0, 0, 4, 0, 0, 0, 0, 0]); // empty SETTINGS frame
    let answer = raw_exchange(addr, &preface).await;
    // Nothing, or a TLS alert; an HTTP/2 server would start with a SETTINGS frame.
    assert!(
        answer.is_empty() || answer[0] == 0x15,
        "unexpected answer {answer:?}"
    );
    connect(
        addr,
        client_config(&ca, PROTOCOL_VERSIONS, CIPHER_SUITES, None),
    )
    .await
    .unwrap();
    assert!(accepted.recv().await.is_some());
}

#[tokio::test]
async fn a_silent_client_does_not_block_others_and_is_dropped_after_the_timeout() {
    let ca = TestCa::new("test server CA");
    let config = server_config(&ca.server_material(None)).unwrap();
    let (addr, mut accepted, _shutdown) = serve(config, Duration::from_millis(300)).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    connect(
        addr,
        client_config(&ca, PROTOCOL_VERSIONS, CIPHER_SUITES, None),
    )
    .await
    .unwrap();
    assert!(accepted.recv().await.is_some());
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(0))),
        "silent client not dropped: {closed:?}"
    );
}

#[tokio::test]
async fn the_stream_ends_when_shutdown_is_cancelled() {
    let ca = TestCa::new("test server CA");
    let config = server_config(&ca.server_material(None)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = CancellationToken::new();
    let mut incoming = accept_stream(listener, config, shutdown.clone());
    shutdown.cancel();
    assert!(incoming.next().await.is_none());
    assert!(
        incoming.next().await.is_none(),
        "polling after the end is harmless"
    );
}

#[tokio::test]
async fn client_certificates_are_optional_but_must_chain_to_the_client_ca() {
    let client_ca = TestCa::new("test client CA");
    let (ca, addr, mut accepted, _shutdown) = start(Some(&client_ca)).await;
    let agent = client_ca.leaf(&["agent.test"], ExtendedKeyUsagePurpose::ClientAuth);
    connect(
        addr,
        client_config(&ca, PROTOCOL_VERSIONS, CIPHER_SUITES, Some(agent)),
    )
    .await
    .unwrap();
    assert_eq!(accepted.recv().await.unwrap().client_certs, 1);

    connect(
        addr,
        client_config(&ca, PROTOCOL_VERSIONS, CIPHER_SUITES, None),
    )
    .await
    .unwrap();
    assert_eq!(accepted.recv().await.unwrap().client_certs, 0);

    let stranger = TestCa::new("another CA").leaf(&["x.test"], ExtendedKeyUsagePurpose::ClientAuth);
    let refused = connect(
        addr,
        client_config(&ca, PROTOCOL_VERSIONS, CIPHER_SUITES, Some(stranger)),
    );
    assert!(refused.await.is_err());
    connect(
        addr,
        client_config(&ca, PROTOCOL_VERSIONS, CIPHER_SUITES, None),
    )
    .await
    .unwrap();
    assert_eq!(
        accepted.recv().await.unwrap().client_certs,
        0,
        "the stranger was never yielded"
    );
}

#[test]
fn from_files_names_the_file_at_fault_and_debug_redacts_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test server CA");
    let material = ca.server_material(Some(&ca));
    let (cert, key, client_ca) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert, &material.cert_chain_pem).unwrap();
    std::fs::write(&key, &material.key_pem).unwrap();
    std::fs::write(&client_ca, material.client_ca_pem.as_deref().unwrap()).unwrap();

    let loaded = TlsMaterial::from_files(&cert, &key, Some(&client_ca)).unwrap();
    server_config(&loaded).unwrap();
    let debug = format!("{loaded:?}");
    assert!(
        debug.contains("<redacted>") && !debug.contains("PRIVATE KEY"),
        "{debug}"
    );

    let missing = dir.path().join("missing.pem");
    let err = TlsMaterial::from_files(&cert, &missing, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("private key") && err.contains("missing.pem"),
        "{err}"
    );
    let err = TlsMaterial::from_files(&cert, &cert, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("no private key found in") && err.contains("cert.pem"),
        "{err}"
    );
    let err = TlsMaterial::from_files(&key, &key, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no certificate found") && err.contains("key.pem"),
        "{err}"
    );
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_rejected() {
    let ca = TestCa::new("test server CA");
    let mut material = ca.server_material(None);
    material.key_pem = KeyPair::generate().unwrap().serialize_pem().into_bytes();
    let err = server_config(&material).unwrap_err();
    assert!(matches!(err, TlsError::CertifiedKey(_)), "{err:?}");
}
