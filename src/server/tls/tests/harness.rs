//! Test helpers: an rcgen CA, a loopback server around the accept stream, clients
//! with chosen versions and suites, and raw legacy ClientHellos.

use std::net::SocketAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_rustls::client::TlsStream as ClientTlsStream;
use tokio_rustls::TlsConnector;

use super::super::*;

/// A CA and its key, to sign server and client leaves in tests.
pub(super) struct TestCa {
    pub(super) cert: rcgen::Certificate,
    key: KeyPair,
}

impl TestCa {
    pub(super) fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    /// Returns (certificate PEM, key PEM) of a leaf for `sans` with `eku`.
    pub(super) fn leaf(&self, sans: &[&str], eku: ExtendedKeyUsagePurpose) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        params.extended_key_usages = vec![eku];
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    pub(super) fn server_material(&self, client_ca: Option<&TestCa>) -> TlsMaterial {
        let (cert, key) = self.leaf(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        TlsMaterial {
            cert_chain_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
            client_ca_pem: client_ca.map(|ca| ca.cert.pem().into_bytes()),
        }
    }
}

/// What the server saw of an accepted connection.
#[derive(Debug)]
pub(super) struct Accepted {
    pub(super) version: Option<ProtocolVersion>,
    pub(super) alpn: Option<Vec<u8>>,
    pub(super) client_certs: usize,
}

/// Serves `config` on a loopback listener: each accepted connection is reported and
/// answered with `ok`. Returns the address, the reports and the shutdown token.
pub(super) async fn serve(
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
) -> (
    SocketAddr,
    mpsc::UnboundedReceiver<Accepted>,
    CancellationToken,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let mut incoming =
        accept_stream_with_timeout(listener, config, shutdown.clone(), handshake_timeout);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(tls) = incoming.next().await {
            let mut tls = tls.unwrap();
            let (_, conn) = tls.get_ref();
            let accepted = Accepted {
                version: conn.protocol_version(),
                alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
                client_certs: conn.peer_certificates().map_or(0, <[_]>::len),
            };
            tx.send(accepted).unwrap();
            tokio::spawn(async move {
                let _ = tls.write_all(b"ok").await;
                let _ = tls.flush().await;
            });
        }
    });
    (addr, rx, shutdown)
}

pub(super) fn client_config(
    ca: &TestCa,
    versions: &[&'static SupportedProtocolVersion],
    suites: &[SupportedCipherSuite],
    identity: Option<(String, String)>,
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let provider = CryptoProvider {
        cipher_suites: suites.to_vec(),
        ..ring::default_provider()
    };
    let builder = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert, key)) => {
            let certs = parse_certs(cert.as_bytes(), "test", None).unwrap();
            builder
                .with_client_auth_cert(certs, parse_key(key.as_bytes(), None).unwrap())
                .unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// Connects, completes the handshake and reads the server's `ok`.
pub(super) async fn connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> io::Result<ClientTlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = TlsConnector::from(config).connect(name, tcp).await?;
    let mut ok = [0u8; 2];
    tls.read_exact(&mut ok).await?;
    assert_eq!(&ok, b"ok");
    Ok(tls)
}

pub(super) async fn start(
    client_ca: Option<&TestCa>,
) -> (
    TestCa,
    SocketAddr,
    mpsc::UnboundedReceiver<Accepted>,
    CancellationToken,
) {
    let ca = TestCa::new("test server CA");
    let config = server_config(&ca.server_material(client_ca)).unwrap();
    let (addr, rx, shutdown) = serve(config, HANDSHAKE_TIMEOUT).await;
    (ca, addr, rx, shutdown)
}

/// A raw ClientHello record offering `version` and `suites` (no supported_versions
/// extension, so it is a TLS 1.2-or-older hello as legacy clients send it).
pub(super) fn legacy_client_hello(version: [u8; 2], suites: &[u16]) -> Vec<u8> {
    let mut body = version.to_vec();
    body.extend([7u8; 32]); // random
    body.push(0); // empty session id
    body.extend(((suites.len() * 2) as u16).to_be_bytes());
    suites.iter().for_each(|s| body.extend(s.to_be_bytes()));
    body.extend([1, 0]); // null compression only
    let extensions: &[u8] = &[
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, // groups x25519, p256
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec point formats: uncompressed
        0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, // ecdsa p256, rsa-pss
    ];
    body.extend((extensions.len() as u16).to_be_bytes());
    body.extend(extensions);
    let mut handshake = vec![1, 0];
    handshake.extend((body.len() as u16).to_be_bytes());
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

/// Sends raw bytes and returns everything the server answers before closing.
pub(super) async fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server neither answered nor closed the connection"
    );
    answer
}

/// A fatal TLS alert record: content type 21, level 2, then the description.
pub(super) fn alert_description(answer: &[u8]) -> Option<u8> {
    match answer {
        [0x15, _, _, _, _, 2, description, ..] => Some(*description),
        _ => None,
    }
}
