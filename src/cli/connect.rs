//! Connecting to the gateway: TLS only, a pinned CA, a bearer credential on every call.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

use super::error::{chain, CliError};
use super::ClientOptions;
use crate::proto::access_log_service_client::AccessLogServiceClient;
use crate::proto::admin_service_client::AdminServiceClient;
use crate::proto::case_service_client::CaseServiceClient;
use crate::proto::contact_service_client::ContactServiceClient;
use crate::proto::legal_service_client::LegalServiceClient;
use crate::proto::recording_service_client::RecordingServiceClient;
use crate::proto::session_service_client::SessionServiceClient;
use crate::proto::transfer_service_client::TransferServiceClient;

/// How long to wait for the TCP and TLS handshakes before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A channel wrapped so that every request carries the bearer credential.
pub type AuthChannel = InterceptedService<Channel, BearerAuth>;

/// Adds `authorization: Bearer <token>` to every request (nothing when the caller
/// authenticates with a client certificate instead).
#[derive(Clone)]
pub struct BearerAuth {
    header: Option<MetadataValue<Ascii>>,
}

impl BearerAuth {
    /// Builds the header once; a token that cannot travel in an HTTP header (spaces,
    /// non-ASCII) is a usage error rather than a confusing failure per call.
    pub fn new(token: &str) -> Result<Self, CliError> {
        let mut header = MetadataValue::try_from(format!("Bearer {token}")).map_err(|_| {
            CliError::usage("the token contains characters that cannot be sent in a header")
        })?;
        header.set_sensitive(true);
        Ok(Self {
            header: Some(header),
        })
    }

    /// No bearer header: the client certificate is the credential.
    pub fn none() -> Self {
        Self { header: None }
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerAuth(<redacted>)")
    }
}

impl Interceptor for BearerAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", header.clone());
        }
        Ok(request)
    }
}

/// An authenticated connection, handing out one typed client per service.
#[derive(Debug, Clone)]
pub struct Clients {
    channel: Channel,
    auth: BearerAuth,
}

impl Clients {
    /// Validates the options, then connects (eagerly, so an unreachable gateway or a
    /// bad certificate is reported before any command logic runs).
    pub async fn connect(options: &ClientOptions) -> Result<Self, CliError> {
        let server = options.server.as_deref().ok_or_else(|| {
            CliError::usage("no gateway address: pass --server or set SUPPORTGATE_SERVER")
        })?;
        let identity = client_identity(options)?;
        let auth =
            match (options.token.as_deref(), &identity) {
                (Some(token), _) => BearerAuth::new(&read_token(token)?)?,
                (None, Some(_)) => BearerAuth::none(),
                (None, None) => return Err(CliError::usage(
                    "no credential: pass --token (or set SUPPORTGATE_TOKEN), or --cert and --key",
                )),
            };
        let endpoint = endpoint(server, options.ca.as_deref(), identity)?;
        let channel = endpoint.connect().await.map_err(|err| {
            CliError::failed(format!("cannot connect to {server}: {}", chain(&err)))
        })?;
        Ok(Self { channel, auth })
    }

    /// `AdminService` (tenants, subjects, credentials, whoami).
    pub fn admin(&self) -> AdminServiceClient<AuthChannel> {
        AdminServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
    }

    /// `CaseService`.
    pub fn cases(&self) -> CaseServiceClient<AuthChannel> {
        CaseServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
    }

    /// `ContactService`.
    pub fn contacts(&self) -> ContactServiceClient<AuthChannel> {
        ContactServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
    }

    /// `TransferService`.
    pub fn transfers(&self) -> TransferServiceClient<AuthChannel> {
        TransferServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
            .max_decoding_message_size(8 * 1024 * 1024)
    }

    /// `SessionService` (remote sessions: consent and the live stream).
    pub fn sessions(&self) -> SessionServiceClient<AuthChannel> {
        SessionServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
            .max_decoding_message_size(8 * 1024 * 1024)
    }

    /// `RecordingService`.
    pub fn recordings(&self) -> RecordingServiceClient<AuthChannel> {
        RecordingServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
            .max_decoding_message_size(8 * 1024 * 1024)
    }

    /// `LegalService` (law-enforcement requests, notifications, legal holds). A
    /// production streams encrypted content in chunks like a download.
    pub fn legal(&self) -> LegalServiceClient<AuthChannel> {
        LegalServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
            .max_decoding_message_size(8 * 1024 * 1024)
    }

    /// `AccessLogService`.
    pub fn access_log(&self) -> AccessLogServiceClient<AuthChannel> {
        AccessLogServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
    }
}

/// The credential named by `--token`: when the value is the path of an existing file,
/// that file's contents (trimmed, so a trailing newline does no harm); otherwise the
/// value itself.
///
/// ## Why a file
/// A token on the command line ends up in shell history and `ps`; a file (or the
/// environment) keeps it out of both.
pub fn read_token(value: &str) -> Result<String, CliError> {
    let path = Path::new(value);
    let token = if path.is_file() {
        std::fs::read_to_string(path)
            .map_err(|err| {
                CliError::usage(format!("cannot read token file {}: {err}", path.display()))
            })?
            .trim()
            .to_owned()
    } else {
        value.trim().to_owned()
    };
    if token.is_empty() {
        return Err(CliError::usage("the token is empty"));
    }
    Ok(token)
}

/// Builds the TLS endpoint for `server`, trusting only the CA in `ca`.
///
/// Plain `http://` is refused: tokens and contact data never travel in clear. This
/// build has no system trust roots (tonic's `tls-native-roots` / `tls-webpki-roots`
/// features are off), so `--ca` is required.
pub fn endpoint(
    server: &str,
    ca: Option<&Path>,
    identity: Option<Identity>,
) -> Result<Endpoint, CliError> {
    let host = https_host(server)?;
    let ca = ca.ok_or_else(|| {
        CliError::usage(
            "no CA certificate: pass --ca or set SUPPORTGATE_CA \
             (this build does not trust the system roots)",
        )
    })?;
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(read_ca(ca)?)
        .domain_name(host);
    if let Some(identity) = identity {
        tls = tls.identity(identity);
    }
    Endpoint::from_shared(server.to_owned())
        .map_err(|err| CliError::usage(format!("invalid gateway address {server}: {err}")))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tls_config(tls)
        .map_err(|err| CliError::usage(format!("invalid TLS settings: {}", chain(&err))))
}

/// Checks that `server` is an `https://` URL and returns the host to verify the
/// certificate against (without the brackets of an IPv6 literal).
pub fn https_host(server: &str) -> Result<String, CliError> {
    let uri: http::Uri = server
        .parse()
        .map_err(|err| CliError::usage(format!("invalid gateway address {server}: {err}")))?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") => {
            return Err(CliError::usage(format!(
                "refusing plain-text {server}: the gateway only speaks TLS, use https://"
            )))
        }
        _ => {
            return Err(CliError::usage(format!(
                "invalid gateway address {server}: expected https://HOST:PORT"
            )))
        }
    }
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| CliError::usage(format!("invalid gateway address {server}: no host")))?;
    Ok(host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned())
}

/// Reads a PEM CA certificate, checking it at least looks like one so a wrong file
/// is reported as such rather than as a handshake failure.
fn read_ca(path: &Path) -> Result<Certificate, CliError> {
    let pem = std::fs::read(path).map_err(|err| {
        CliError::usage(format!(
            "cannot read CA certificate {}: {err}",
            path.display()
        ))
    })?;
    let marker: &[u8] = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(marker.len()).any(|window| window == marker) {
        return Err(CliError::usage(format!(
            "{} is not a PEM certificate (no BEGIN CERTIFICATE block)",
            path.display()
        )));
    }
    Ok(Certificate::from_pem(pem))
}

/// The client certificate and key given with `--cert` and `--key`, if any.
fn client_identity(options: &ClientOptions) -> Result<Option<Identity>, CliError> {
    let read = |what: &str, path: &Path| {
        std::fs::read(path)
            .map_err(|err| CliError::usage(format!("cannot read {what} {}: {err}", path.display())))
    };
    match (&options.cert, &options.key) {
        (Some(cert), Some(key)) => Ok(Some(Identity::from_pem(
            read("client certificate", cert)?,
            read("client key", key)?,
        ))),
        (None, None) => Ok(None),
        _ => Err(CliError::usage("--cert and --key go together")),
    }
}
