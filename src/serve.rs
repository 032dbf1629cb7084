//! `supportgate serve`: from a validated [`ServeConfig`] to a running server, and a
//! clean stop on SIGINT or SIGTERM.
//!
//! Start-up order matters: keys and TLS material are loaded before any port is bound,
//! the stores are opened (and migrated) before the listener accepts, and the bootstrap
//! admin credential is written only once everything else worked.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use supportgate_crypto::{KeyWrapper, LocalMasterKey, SigningKey};
use supportgate_service::{GatewayKey, Services, ServicesConfig};
use supportgate_store::{ContactStore, LocalBlobStore, MainStore};
use supportgate_types::{Clock, SystemClock};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{MasterKeySource, ServeConfig, TlsSource};
use crate::server::tls::{server_config, TlsMaterial};
use crate::server::{dev_pki, Server, ServerSettings};

/// How long the bootstrap admin credential lives.
const BOOTSTRAP_TTL_DAYS: i64 = 30;

/// Why the gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A directory could not be created.
    #[error("cannot create directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The development PKI could not be loaded or created.
    #[error("development TLS")]
    DevPki(#[from] dev_pki::DevPkiError),
    /// The TLS material was unusable.
    #[error("TLS")]
    Tls(#[from] crate::server::tls::TlsError),
    /// A key file is missing outside `--dev`.
    #[error("{what} {} does not exist; outside --dev the gateway never creates it", path.display())]
    MissingKey { what: &'static str, path: PathBuf },
    /// A key could not be loaded.
    #[error("cannot load the {what}")]
    Key {
        what: &'static str,
        #[source]
        source: supportgate_crypto::CryptoError,
    },
    /// The content directory could not be opened.
    #[error("cannot open the content store")]
    Blobs(#[source] supportgate_store::BlobError),
    /// A store could not be opened or migrated.
    #[error("cannot open the stores")]
    Store(#[from] supportgate_store::StoreError),
    /// Recordings left in progress by an earlier stop could not be closed.
    #[error("cannot close the recordings an earlier stop left in progress")]
    Recover(#[source] supportgate_service::ServiceError),
    /// The bootstrap admin credential could not be issued.
    #[error("cannot issue the bootstrap admin credential")]
    Bootstrap(#[source] supportgate_service::ServiceError),
    /// The admin token file could not be written.
    #[error("cannot write the admin credential to {}", path.display())]
    WriteToken {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The server failed.
    #[error("the server failed")]
    Serve(#[from] crate::server::ServeError),
}

/// Runs the gateway until SIGINT or SIGTERM, then drains and stops.
pub async fn run(config: ServeConfig) -> Result<(), StartError> {
    let shutdown = CancellationToken::new();
    let running = start(&config, shutdown.clone()).await?;
    wait_for_signal().await;
    tracing::info!("shutting down: draining in-flight calls");
    running.shutdown();
    running.wait().await?;
    Ok(())
}

/// Loads everything, binds and starts serving; reports where each generated file is.
pub async fn start(
    config: &ServeConfig,
    shutdown: CancellationToken,
) -> Result<crate::server::Running, StartError> {
    if let Some(dir) = &config.data_dir {
        create_private_dir(dir).map_err(|source| StartError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        tracing::info!(dir = %dir.display(), "data directory");
    }
    let material = tls_material(config)?;
    let tls = server_config(&material)?;
    let master = master_key(&config.master_key)?;
    let key = GatewayKey::new(signing_key(
        &config.signing_key_file,
        config.create_signing_key,
    )?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let log = &config.log;
    let log_options = key.log_options(clock.clone(), log.checkpoint_every, log.checkpoint_interval);
    let main = MainStore::open_with(&config.store, log_options).await?;
    let contacts = ContactStore::open(&config.store).await?;
    tracing::info!(engine = ?main.engine(), "customer-data and contact stores open (kept apart)");
    let blobs = LocalBlobStore::open(&config.blob_dir).map_err(StartError::Blobs)?;
    tracing::info!(dir = %config.blob_dir.display(), "encrypted content store");
    let services_config = ServicesConfig {
        transfers: config.transfers.clone(),
        ..ServicesConfig::default()
    };
    let services = Services::new(
        main,
        contacts,
        clock,
        master,
        key,
        Arc::new(blobs),
        services_config,
    );
    match services.recordings_recover().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            recordings = n,
            "recordings left in progress by an earlier stop were closed (sessions: readable up to their last durable segment, marked truncated; imports: discarded)"
        ),
        Err(error) => return Err(StartError::Recover(error)),
    }
    if let Some(path) = &config.admin_token_file {
        bootstrap_admin(&services, path).await?;
    } else {
        tracing::info!("no admin token file configured: no bootstrap admin credential issued");
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    spawn_upload_sweep(services.clone(), shutdown.clone());
    spawn_retention(services.clone(), shutdown.clone());
    let metrics = match config.metrics_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })?,
        ),
        None => None,
    };
    let settings = ServerSettings {
        metrics,
        tls,
        limits: config.limits.clone(),
    };
    Ok(Server::bind(listener, services, settings, shutdown)?)
}

/// How often expired uploads are aborted and their content destroyed.
const UPLOAD_SWEEP: std::time::Duration = std::time::Duration::from_secs(600);

/// Aborts expired uploads every [`UPLOAD_SWEEP`] until shutdown.
fn spawn_upload_sweep(services: Services, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            match services.uploads_expire().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(aborted = n, "expired uploads aborted and destroyed"),
                Err(error) => tracing::warn!(
                    error = %crate::error_chain(&error),
                    "expired-upload sweep failed; retrying later"
                ),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(UPLOAD_SWEEP) => {}
            }
        }
    });
}

/// How often retention runs (purges closed cases past their period, unless held).
const RETENTION_SWEEP: std::time::Duration = std::time::Duration::from_secs(3600);

/// Runs retention at start and every [`RETENTION_SWEEP`] until shutdown, as the
/// gateway's own event in the access log.
fn spawn_retention(services: Services, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            match services.retention_run(None, None, false, None).await {
                Ok(report) if report.cases_purged + report.contacts_deleted == 0 => {}
                Ok(report) => tracing::info!(
                    cases_purged = report.cases_purged,
                    objects_purged = report.objects_purged,
                    cases_held = report.cases_held,
                    contacts_deleted = report.contacts_deleted,
                    "retention purged customer data past its period"
                ),
                Err(error) => tracing::warn!(
                    error = %crate::error_chain(&error),
                    "retention run failed; retrying later"
                ),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RETENTION_SWEEP) => {}
            }
        }
    });
}

/// Creates the data directory readable by its owner only: it holds keys and databases.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn tls_material(config: &ServeConfig) -> Result<TlsMaterial, StartError> {
    match &config.tls {
        TlsSource::Files {
            cert,
            key,
            client_ca,
        } => Ok(TlsMaterial::from_files(cert, key, client_ca.as_deref())?),
        TlsSource::Dev { dir } => {
            let host = config.listen.ip().to_string();
            let pki = dev_pki::load_or_create(dir, &[host])?;
            tracing::info!(ca = %pki.ca_cert_path.display(), "development CA: clients trust this file (--ca)");
            Ok(TlsMaterial::from_files(
                &pki.server_cert_path,
                &pki.server_key_path,
                Some(&pki.ca_cert_path),
            )?)
        }
    }
}

fn ensure_exists(what: &'static str, path: &Path, create: bool) -> Result<(), StartError> {
    if create || path.exists() {
        return Ok(());
    }
    Err(StartError::MissingKey {
        what,
        path: path.to_owned(),
    })
}

fn master_key(source: &MasterKeySource) -> Result<Arc<dyn KeyWrapper>, StartError> {
    let key_error = |source| StartError::Key {
        what: "master key",
        source,
    };
    let key = match source {
        MasterKeySource::Env(value) => LocalMasterKey::from_env_value(value).map_err(key_error)?,
        MasterKeySource::File { path, create } => {
            ensure_exists("master key file", path, *create)?;
            let (key, created) = LocalMasterKey::load_or_create_file(path).map_err(key_error)?;
            if created {
                tracing::warn!(path = %path.display(), "generated a new master key: back it up, losing it loses all data");
            } else {
                tracing::info!(path = %path.display(), "master key loaded");
            }
            key
        }
    };
    Ok(Arc::new(key))
}

fn signing_key(path: &Path, create: bool) -> Result<SigningKey, StartError> {
    ensure_exists("signing key file", path, create)?;
    let (key, created) =
        SigningKey::load_or_create_file(path).map_err(|source| StartError::Key {
            what: "signing key",
            source,
        })?;
    let action = if created { "generated" } else { "loaded" };
    tracing::info!(path = %path.display(), action, "signing key");
    Ok(key)
}

/// Makes sure `path` holds a working admin credential: reuses it while it still
/// authenticates, else issues a new one and writes it (0600, atomically).
async fn bootstrap_admin(services: &Services, path: &Path) -> Result<(), StartError> {
    let existing = std::fs::read_to_string(path).ok();
    let issued = services
        .bootstrap_admin(
            existing.as_deref().map(str::trim),
            chrono::Duration::days(BOOTSTRAP_TTL_DAYS),
        )
        .await
        .map_err(StartError::Bootstrap)?;
    match issued {
        None => tracing::info!(path = %path.display(), "admin credential still valid"),
        Some(token) => {
            write_secret(path, token.token.as_bytes()).map_err(|source| {
                StartError::WriteToken {
                    path: path.to_owned(),
                    source,
                }
            })?;
            tracing::info!(path = %path.display(), expires_at = %token.expires_at, "wrote bootstrap admin credential");
        }
    }
    Ok(())
}

/// Writes a secret file readable by its owner only, replacing any previous one atomically.
fn write_secret(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
