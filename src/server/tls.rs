//! TLS for every listener (DESIGN §8): TLS 1.3, and TLS 1.2 with forward-secret AEAD
//! suites only, on the *ring* provider, with optional client certificates.
//!
//! Invariants:
//! - every listener's rustls configuration comes from [`server_config`], so versions,
//!   suites, ALPN and client-certificate rules are decided here and nowhere else;
//! - [`accept_stream`] yields only completed handshakes and never ends because of one
//!   bad client or a transient accept error: only shutdown ends it;
//! - no key material is ever formatted: [`TlsMaterial`]'s `Debug` redacts the key and
//!   [`TlsError`] carries paths and causes, never PEM text.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{VerifierBuilderError, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

#[cfg(test)]
mod tests;

/// How long a client may take to complete its handshake before the connection is
/// dropped, so that idle or slow sockets cannot pin server resources.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after a failed `accept` (typically EMFILE) so that a persistent error does
/// not turn the accept loop into a busy loop while descriptors are exhausted.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Handshakes in flight at once; past this, accepting pauses (connections wait in the
/// kernel backlog) so a flood of silent sockets cannot grow memory without bound.
const MAX_PENDING_HANDSHAKES: usize = 1024;

/// The protocol versions we speak, newest first. rustls implements nothing older than
/// TLS 1.2, so nothing older can ever be negotiated.
pub static PROTOCOL_VERSIONS: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The cipher suites we offer: TLS 1.3's three AEAD suites, and for TLS 1.2 only ECDHE
/// (forward secret) with AES-GCM or ChaCha20-Poly1305 (AEAD).
///
/// ## Why list them
/// Spelling the set out, instead of taking the provider's default, means a rustls
/// upgrade that adds a suite cannot widen what we accept without a code change, and a
/// test pins the list.
pub static CIPHER_SUITES: &[SupportedCipherSuite] = &[
    ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The only application protocol we serve: gRPC runs over HTTP/2.
const ALPN_H2: &[u8] = b"h2";

const CERT_CHAIN: &str = "server certificate chain";
const CLIENT_CA: &str = "client CA bundle";

/// Why TLS could not be set up. Messages name the file or part at fault and never
/// include PEM contents: `what` names the part (server certificate chain, private
/// key, client CA bundle), `path` the file it came from, when it came from one.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read (missing, permissions, ...).
    #[error("cannot read the {what} from {}", path.display())]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The PEM text is malformed (bad base64, unterminated section, ...).
    #[error("the {what}{} is not valid PEM", in_file(.path))]
    MalformedPem {
        what: &'static str,
        path: Option<PathBuf>,
        #[source]
        source: io::Error,
    },
    /// The PEM text holds no `CERTIFICATE` block.
    #[error("no certificate found in the {what}{}; expected `-----BEGIN CERTIFICATE-----` blocks", in_file(.path))]
    NoCertificate {
        what: &'static str,
        path: Option<PathBuf>,
    },
    /// The PEM text holds no private key rustls can use.
    #[error("no private key found{}; expected an unencrypted PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM key", in_file(.path))]
    NoPrivateKey { path: Option<PathBuf> },
    /// A certificate of the client CA bundle cannot serve as a trust anchor.
    #[error("certificate #{index} of the {what}{} is not a usable trust anchor", in_file(.path))]
    BadCertificate {
        what: &'static str,
        path: Option<PathBuf>,
        index: usize,
        #[source]
        source: rustls::Error,
    },
    /// The client-certificate verifier could not be built from the client CA bundle.
    #[error("cannot build the client certificate verifier from the client CA bundle")]
    ClientVerifier(#[source] VerifierBuilderError),
    /// rustls rejected the certificate chain or key (unsupported key type, key that
    /// does not belong to the certificate, undecodable certificate).
    #[error("the server certificate chain and private key were rejected; check that the key belongs to the first certificate")]
    CertifiedKey(#[source] rustls::Error),
    /// rustls rejected the protocol settings (a programming error, kept as an error so
    /// that the server reports it instead of aborting).
    #[error("the TLS protocol settings were rejected")]
    Protocol(#[source] rustls::Error),
}

/// Formats ` in <path>` for error messages about material that came from a file.
fn in_file(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" in {}", p.display()))
        .unwrap_or_default()
}

/// The PEM inputs of a listener's TLS configuration.
///
/// Kept as PEM bytes so that material can come from files, from the development PKI or
/// from tests alike; [`server_config`] parses it. `Debug` shows sizes only and redacts
/// the key, so the struct can sit inside logged configuration.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The server certificate followed by any intermediates, PEM.
    pub cert_chain_pem: Vec<u8>,
    /// The server's private key, PEM (PKCS#8, PKCS#1 or SEC1, unencrypted).
    pub key_pem: Vec<u8>,
    /// CA certificates, PEM, that client certificates must chain to; `None` disables
    /// client-certificate authentication.
    pub client_ca_pem: Option<Vec<u8>>,
}

impl TlsMaterial {
    /// Reads the material from PEM files and checks that each holds what it should,
    /// so that a wrong path is reported with the path at startup rather than as an
    /// anonymous parse error later.
    pub fn from_files(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Self, TlsError> {
        let cert_chain_pem = read_file(CERT_CHAIN, cert)?;
        parse_certs(&cert_chain_pem, CERT_CHAIN, Some(cert))?;
        let key_pem = read_file("private key", key)?;
        parse_key(&key_pem, Some(key))?;
        let client_ca_pem = match client_ca {
            Some(path) => {
                let pem = read_file(CLIENT_CA, path)?;
                parse_trust_anchors(&pem, Some(path))?;
                Some(pem)
            }
            None => None,
        };
        Ok(Self {
            cert_chain_pem,
            key_pem,
            client_ca_pem,
        })
    }
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field(
                "cert_chain_pem",
                &format_args!("<{} bytes>", self.cert_chain_pem.len()),
            )
            .field("key_pem", &format_args!("<redacted>"))
            .field(
                "client_ca_pem",
                &self
                    .client_ca_pem
                    .as_ref()
                    .map(|pem| format!("<{} bytes>", pem.len())),
            )
            .finish()
    }
}

/// The *ring* crypto provider restricted to [`CIPHER_SUITES`].
///
/// Public so that our clients (CLI, agents, tests) negotiate with exactly the same
/// primitives as the server.
pub fn crypto_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: CIPHER_SUITES.to_vec(),
        ..ring::default_provider()
    }
}

/// Builds the rustls configuration every listener uses: [`PROTOCOL_VERSIONS`],
/// [`CIPHER_SUITES`], ALPN `h2` only, and, when `client_ca_pem` is set, optional
/// client certificates chained to that CA.
///
/// ## Why client certificates are optional
/// Agents and services authenticate with certificates while people use bearer tokens
/// on the same listener, so a client without a certificate is let through to the token
/// check; a client that presents a certificate must present a valid one.
pub fn server_config(material: &TlsMaterial) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(crypto_provider());
    let certs = parse_certs(&material.cert_chain_pem, CERT_CHAIN, None)?;
    let key = parse_key(&material.key_pem, None)?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .map_err(TlsError::Protocol)?;
    let builder = match &material.client_ca_pem {
        Some(pem) => {
            let roots = parse_trust_anchors(pem, None)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(TlsError::ClientVerifier)?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(TlsError::CertifiedKey)?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(config))
}

fn read_file(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::ReadFile {
        what,
        path: path.to_owned(),
        source,
    })
}

fn parse_certs(
    pem: &[u8],
    what: &'static str,
    path: Option<&Path>,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::MalformedPem {
            what,
            path: path.map(Path::to_owned),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            what,
            path: path.map(Path::to_owned),
        });
    }
    Ok(certs)
}

fn parse_key(pem: &[u8], path: Option<&Path>) -> Result<PrivateKeyDer<'static>, TlsError> {
    let path = || path.map(Path::to_owned);
    rustls_pemfile::private_key(&mut &pem[..])
        .map_err(|source| TlsError::MalformedPem {
            what: "private key",
            path: path(),
            source,
        })?
        .ok_or_else(|| TlsError::NoPrivateKey { path: path() })
}

fn parse_trust_anchors(pem: &[u8], path: Option<&Path>) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for (index, cert) in parse_certs(pem, CLIENT_CA, path)?.into_iter().enumerate() {
        roots.add(cert).map_err(|source| TlsError::BadCertificate {
            what: CLIENT_CA,
            path: path.map(Path::to_owned),
            index,
            source,
        })?;
    }
    Ok(roots)
}

/// Turns a bound listener into a stream of TLS connections for tonic's
/// `Server::serve_with_incoming_shutdown`.
///
/// Handshakes run concurrently on their own tasks, each bounded by
/// [`HANDSHAKE_TIMEOUT`], so one slow client cannot delay others. Failed handshakes
/// are logged at debug and skipped; accept errors are logged at warn and retried after
/// a short pause. The stream never yields an error and ends only when `shutdown` is
/// cancelled; handshakes still in flight are then abandoned.
pub fn accept_stream(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<TlsStream<TcpStream>, io::Error>> + Send + Unpin + 'static {
    accept_stream_with_timeout(listener, config, shutdown, HANDSHAKE_TIMEOUT)
}

/// [`accept_stream`] with a chosen handshake timeout, so tests need not wait 10 s.
fn accept_stream_with_timeout(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    shutdown: CancellationToken,
    handshake_timeout: Duration,
) -> impl Stream<Item = Result<TlsStream<TcpStream>, io::Error>> + Send + Unpin + 'static {
    let acceptor = Acceptor {
        listener,
        tls: TlsAcceptor::from(config),
        shutdown,
        handshake_timeout,
        pending: JoinSet::new(),
        backoff_until: None,
    };
    // `fuse` so that polling after the end returns `None` instead of panicking.
    Box::pin(
        futures::stream::unfold(acceptor, |mut acceptor| async move {
            let tls = acceptor.next_connection().await?;
            Some((Ok(tls), acceptor))
        })
        .fuse(),
    )
}

/// The accept loop's state: the listener and the handshakes in flight.
struct Acceptor {
    listener: TcpListener,
    tls: TlsAcceptor,
    shutdown: CancellationToken,
    handshake_timeout: Duration,
    /// Each task yields the connection, or `None` after logging why the handshake failed.
    pending: JoinSet<Option<TlsStream<TcpStream>>>,
    /// Set after an accept error: no accepting until then.
    backoff_until: Option<Instant>,
}

impl Acceptor {
    /// Waits for the next completed handshake; `None` once shutdown is cancelled.
    async fn next_connection(&mut self) -> Option<TlsStream<TcpStream>> {
        loop {
            let may_accept =
                self.backoff_until.is_none() && self.pending.len() < MAX_PENDING_HANDSHAKES;
            let backoff_until = self.backoff_until.unwrap_or_else(Instant::now);
            tokio::select! {
                biased;
                () = self.shutdown.cancelled() => return None,
                Some(done) = self.pending.join_next() => match done {
                    Ok(Some(tls)) => return Some(tls),
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "tls handshake task failed"),
                },
                () = tokio::time::sleep_until(backoff_until), if self.backoff_until.is_some() => {
                    self.backoff_until = None;
                }
                accepted = self.listener.accept(), if may_accept => match accepted {
                    Ok((tcp, peer)) => self.start_handshake(tcp, peer),
                    Err(error) => {
                        tracing::warn!(%error, "accepting a tcp connection failed; retrying");
                        self.backoff_until = Some(Instant::now() + ACCEPT_BACKOFF);
                    }
                },
            }
        }
    }

    fn start_handshake(&mut self, tcp: TcpStream, peer: SocketAddr) {
        // gRPC sends many small frames; Nagle's algorithm would delay them.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%peer, %error, "cannot set tcp_nodelay");
        }
        let accept = self.tls.accept(tcp);
        let timeout = self.handshake_timeout;
        self.pending.spawn(async move {
            let result = match tokio::time::timeout(timeout, accept).await {
                Ok(result) => result,
                Err(_elapsed) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("handshake not completed within {timeout:?}"),
                )),
            };
            match result {
                Ok(tls) => Some(tls),
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "tls handshake failed");
                    None
                }
            }
        });
    }
}
