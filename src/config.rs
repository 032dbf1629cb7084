//! `supportgate serve` configuration: command-line flags, `SUPPORTGATE_*` environment
//! variables and an optional TOML file, validated into one [`ServeConfig`].
//!
//! Precedence, highest first: flag, environment variable, file, `--dev` preset. Every
//! setting is listed in `docs/CONFIGURATION.md`.
//!
//! ## Why a validated struct
//! Everything that can be wrong with the configuration is found here, before a port is
//! bound or a database touched, and reported with the setting's name.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use supportgate_store::StoreConfig;

use crate::server::Limits;

/// The gateway's address when nothing else is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7443";
/// The data directory of `--dev` when none is given.
pub const DEFAULT_DEV_DATA_DIR: &str = "sg-data";

/// Flags of `supportgate serve`; each also reads its `SUPPORTGATE_*` variable.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// Development preset: embedded SQLite, a generated CA and server certificate,
    /// generated master and signing keys and a bootstrap admin credential, all under
    /// --data-dir (default ./sg-data). Nothing to install.
    #[arg(long, env = "SUPPORTGATE_DEV")]
    pub dev: bool,
    /// TOML configuration file (keys as in docs/CONFIGURATION.md)
    #[arg(long, env = "SUPPORTGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for SQLite files, keys and (in --dev) the development PKI
    #[arg(long, env = "SUPPORTGATE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:7443
    #[arg(long, env = "SUPPORTGATE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Plain-HTTP address for /metrics (Prometheus) and /ready, e.g. 127.0.0.1:9464
    /// (default: not served)
    #[arg(long, env = "SUPPORTGATE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Customer-data database: sqlite://… or postgres://… (default: SQLite in --data-dir)
    #[arg(
        long,
        env = "SUPPORTGATE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Contact database, connected as its own role (default: SQLite in --data-dir)
    #[arg(
        long,
        env = "SUPPORTGATE_CONTACT_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub contact_database_url: Option<String>,
    /// Server certificate chain (PEM); required unless --dev
    #[arg(long, env = "SUPPORTGATE_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM); required unless --dev
    #[arg(long, env = "SUPPORTGATE_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// CA bundle (PEM) whose client certificates identify agents and services
    /// (--dev: the development CA)
    #[arg(long, env = "SUPPORTGATE_CLIENT_CA", value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// Master key file (base64 of 32 bytes); alternatively set SUPPORTGATE_MASTER_KEY
    /// to the key itself
    #[arg(long, env = "SUPPORTGATE_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Directory for encrypted upload content (default: DATA_DIR/blobs)
    #[arg(long, env = "SUPPORTGATE_BLOB_DIR", value_name = "DIR")]
    pub blob_dir: Option<PathBuf>,
    /// The gateway's Ed25519 signing key seed (credentials, log checkpoints)
    #[arg(long, env = "SUPPORTGATE_SIGNING_KEY_FILE", value_name = "FILE")]
    pub signing_key_file: Option<PathBuf>,
    /// Where to write the bootstrap admin credential (0600); without it, none is issued
    /// outside --dev
    #[arg(long, env = "SUPPORTGATE_ADMIN_TOKEN_FILE", value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Log format on stderr
    #[arg(long, env = "SUPPORTGATE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// How the server writes its own log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The TOML file: the same settings as the flags, plus the transport limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    dev: Option<bool>,
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    metrics_listen: Option<String>,
    database_url: Option<String>,
    contact_database_url: Option<String>,
    database_max_connections: Option<u32>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    client_ca: Option<PathBuf>,
    master_key_file: Option<PathBuf>,
    signing_key_file: Option<PathBuf>,
    admin_token_file: Option<PathBuf>,
    log_format: Option<LogFormat>,
    max_message_bytes: Option<usize>,
    max_stream_message_bytes: Option<usize>,
    max_concurrent_streams: Option<u32>,
    max_in_flight_requests: Option<usize>,
    log_checkpoint_every: Option<u64>,
    log_checkpoint_interval_seconds: Option<u64>,
    blob_dir: Option<PathBuf>,
    max_file_size: Option<u64>,
    workspace_quota_bytes: Option<u64>,
    max_chunk_size: Option<u32>,
    max_concurrent_uploads_per_tenant: Option<usize>,
    upload_ttl_hours: Option<u64>,
}

/// Where the listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// The development PKI in this directory (created on first start).
    Dev { dir: PathBuf },
    /// Files the operator provides.
    Files {
        cert: PathBuf,
        key: PathBuf,
        client_ca: Option<PathBuf>,
    },
}

/// Where the master key comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// A key file; created when missing only in `--dev`.
    File { path: PathBuf, create: bool },
    /// The value of `SUPPORTGATE_MASTER_KEY`.
    Env(String),
}

impl std::fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MasterKeySource::File { path, create } => f
                .debug_struct("File")
                .field("path", path)
                .field("create", create)
                .finish(),
            MasterKeySource::Env(_) => f.write_str("Env(<redacted>)"),
        }
    }
}

/// A configuration that has passed every check.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Whether the development preset is on.
    pub dev: bool,
    /// The data directory (SQLite files, keys, development PKI), created 0700 at start.
    pub data_dir: Option<PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Where to serve metrics and readiness over plain HTTP, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// The two stores.
    pub store: StoreConfig,
    /// The listener's certificate.
    pub tls: TlsSource,
    /// The master key.
    pub master_key: MasterKeySource,
    /// The signing key file and whether it may be created.
    pub signing_key_file: PathBuf,
    /// Whether a missing signing key file may be created (only in `--dev`).
    pub create_signing_key: bool,
    /// Where the bootstrap admin credential goes, if anywhere.
    pub admin_token_file: Option<PathBuf>,
    /// Log format.
    pub log_format: LogFormat,
    /// Transport limits.
    pub limits: Limits,
    /// How often the access log signs checkpoints.
    pub log: LogSettings,
    /// Where encrypted upload content is kept.
    pub blob_dir: PathBuf,
    /// Transfer limits.
    pub transfers: supportgate_service::TransferLimits,
}

/// Access-log settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// A checkpoint at least every this many entries.
    pub checkpoint_every: u64,
    /// And at least this often while entries arrive.
    pub checkpoint_interval: std::time::Duration,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            checkpoint_every: 1024,
            checkpoint_interval: std::time::Duration::from_secs(10),
        }
    }
}

/// A configuration problem, naming the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read the configuration file {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML or has unknown keys.
    #[error("the configuration file {} is invalid: {message}", path.display())]
    ParseFile { path: PathBuf, message: String },
    /// A setting is missing.
    #[error("{setting} is required{hint}")]
    Missing {
        setting: &'static str,
        hint: &'static str,
    },
    /// A setting has a value that cannot work.
    #[error("{setting} {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

/// Merges a flag (already merged with its environment variable by clap) with the file.
fn pick<T>(flag: Option<T>, file: Option<T>) -> Option<T> {
    flag.or(file)
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::ParseFile {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })
}

fn listen_addr(value: &str) -> Result<SocketAddr, ConfigError> {
    socket_addr("--listen", value)
}

fn socket_addr(setting: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| ConfigError::Invalid {
        setting,
        message: format!("must be an IP address and port such as {DEFAULT_LISTEN}, got {value:?}"),
    })
}

/// A database URL, checked for a supported scheme.
fn database_url(setting: &'static str, value: String) -> Result<String, ConfigError> {
    match supportgate_store::Engine::from_url(&value) {
        Some(_) => Ok(value),
        None => Err(ConfigError::Invalid {
            setting,
            message: "must start with sqlite: or postgres:// (the value is not shown: it may hold a password)"
                .into(),
        }),
    }
}

impl ServeArgs {
    /// Reads the file (if any), merges, applies the `--dev` preset and validates.
    ///
    /// `master_key_env` is the value of `SUPPORTGATE_MASTER_KEY`, read by the caller so
    /// that this function stays free of process-global state.
    pub fn resolve(self, master_key_env: Option<String>) -> Result<ServeConfig, ConfigError> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let dev = self.dev || file.dev.unwrap_or(false);
        let data_dir = pick(self.data_dir, file.data_dir)
            .or_else(|| dev.then(|| PathBuf::from(DEFAULT_DEV_DATA_DIR)));
        let listen =
            listen_addr(&pick(self.listen, file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into()))?;
        let metrics_listen = pick(self.metrics_listen, file.metrics_listen)
            .map(|addr| socket_addr("--metrics-listen", &addr))
            .transpose()?;
        let needs_dir = |setting: &'static str| ConfigError::Missing {
            setting,
            hint: " (or --data-dir for the embedded SQLite default)",
        };
        let mut store = match &data_dir {
            Some(dir) => StoreConfig::sqlite_in(dir),
            None => StoreConfig::sqlite_in(Path::new(".")),
        };
        match (pick(self.database_url, file.database_url), &data_dir) {
            (Some(url), _) => store.main_url = database_url("--database-url", url)?,
            (None, None) => return Err(needs_dir("--database-url")),
            (None, Some(_)) => {}
        }
        match (
            pick(self.contact_database_url, file.contact_database_url),
            &data_dir,
        ) {
            (Some(url), _) => store.contact_url = database_url("--contact-database-url", url)?,
            (None, None) => return Err(needs_dir("--contact-database-url")),
            (None, Some(_)) => {}
        }
        if store.main_url == store.contact_url {
            return Err(ConfigError::Invalid {
                setting: "--contact-database-url",
                message: "must differ from --database-url: contact data is stored apart".into(),
            });
        }
        if let Some(n) = file.database_max_connections {
            store.max_connections = positive("database_max_connections", Some(n), n)?;
        }
        let tls = tls_source(
            dev,
            data_dir.as_deref(),
            pick(self.tls_cert, file.tls_cert),
            pick(self.tls_key, file.tls_key),
            pick(self.client_ca, file.client_ca),
        )?;
        let key_file = |name: &str| data_dir.as_ref().map(|d| d.join(name));
        let master_key = match (pick(self.master_key_file, file.master_key_file), master_key_env) {
            (Some(path), _) => MasterKeySource::File { path, create: dev },
            (None, Some(value)) if !value.trim().is_empty() => MasterKeySource::Env(value),
            (None, _) if dev => MasterKeySource::File { path: key_file("master.key").unwrap_or_default(), create: true },
            (None, _) => {
                return Err(ConfigError::Missing {
                    setting: "--master-key-file",
                    hint: " (or SUPPORTGATE_MASTER_KEY): outside --dev the gateway never invents a master key",
                })
            }
        };
        let signing_key_file = match pick(self.signing_key_file, file.signing_key_file) {
            Some(path) => path,
            None if dev => key_file("signing.key").unwrap_or_default(),
            None => {
                return Err(ConfigError::Missing {
                    setting: "--signing-key-file",
                    hint: ": outside --dev the gateway never invents its signing key",
                })
            }
        };
        let admin_token_file = pick(self.admin_token_file, file.admin_token_file).or_else(|| {
            if dev {
                key_file("admin.token")
            } else {
                None
            }
        });
        let blob_dir = match (pick(self.blob_dir, file.blob_dir), &data_dir) {
            (Some(dir), _) => dir,
            (None, Some(data)) => data.join("blobs"),
            (None, None) => {
                return Err(ConfigError::Missing {
                    setting: "--blob-dir",
                    hint: " (or --data-dir)",
                })
            }
        };
        let transfer_defaults = supportgate_service::TransferLimits::default();
        let transfers = supportgate_service::TransferLimits {
            max_file_size: positive(
                "max_file_size",
                file.max_file_size,
                transfer_defaults.max_file_size,
            )?,
            workspace_quota: positive(
                "workspace_quota_bytes",
                file.workspace_quota_bytes,
                transfer_defaults.workspace_quota,
            )?,
            max_chunk_size: positive(
                "max_chunk_size",
                file.max_chunk_size,
                transfer_defaults.max_chunk_size,
            )?,
            max_concurrent_uploads_per_tenant: positive(
                "max_concurrent_uploads_per_tenant",
                file.max_concurrent_uploads_per_tenant,
                transfer_defaults.max_concurrent_uploads_per_tenant,
            )?,
            upload_ttl: file
                .upload_ttl_hours
                .map(upload_ttl)
                .transpose()?
                .unwrap_or(transfer_defaults.upload_ttl),
        };
        let defaults = Limits::default();
        let limits = Limits {
            max_message_bytes: positive(
                "max_message_bytes",
                file.max_message_bytes,
                defaults.max_message_bytes,
            )?,
            max_stream_message_bytes: positive(
                "max_stream_message_bytes",
                file.max_stream_message_bytes,
                defaults.max_stream_message_bytes,
            )?,
            max_concurrent_streams: positive(
                "max_concurrent_streams",
                file.max_concurrent_streams,
                defaults.max_concurrent_streams,
            )?,
            max_in_flight_requests: positive(
                "max_in_flight_requests",
                file.max_in_flight_requests,
                defaults.max_in_flight_requests,
            )?,
            ..defaults
        };
        // A chunk plus its framing must fit in one stream message.
        if u64::from(transfers.max_chunk_size) + 1024 > limits.max_stream_message_bytes as u64 {
            return Err(ConfigError::Invalid {
                setting: "max_chunk_size",
                message: format!(
                    "must be at least 1 KiB below max_stream_message_bytes ({})",
                    limits.max_stream_message_bytes
                ),
            });
        }
        Ok(ServeConfig {
            dev,
            data_dir,
            listen,
            metrics_listen,
            store,
            tls,
            master_key,
            signing_key_file,
            create_signing_key: dev,
            admin_token_file,
            log_format: pick(self.log_format, file.log_format).unwrap_or(LogFormat::Text),
            limits,
            blob_dir,
            transfers,
            log: LogSettings {
                checkpoint_every: positive(
                    "log_checkpoint_every",
                    file.log_checkpoint_every,
                    LogSettings::default().checkpoint_every,
                )?,
                checkpoint_interval: std::time::Duration::from_secs(positive(
                    "log_checkpoint_interval_seconds",
                    file.log_checkpoint_interval_seconds,
                    LogSettings::default().checkpoint_interval.as_secs(),
                )?),
            },
        })
    }
}

fn positive<T: PartialOrd + Default + Copy>(
    setting: &'static str,
    value: Option<T>,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        Some(v) if v <= T::default() => Err(ConfigError::Invalid {
            setting,
            message: "must be greater than zero".into(),
        }),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

/// The longest `upload_ttl_hours` accepted: one year.
///
/// ## Why a bound
/// The TTL is added to the current time for every upload's expiry; an unbounded value
/// overflows (hours to seconds, then the timestamp) instead of meaning "never". An
/// upload that stays resumable for longer than a year holds its quota reservation and
/// its content for no good reason.
const MAX_UPLOAD_TTL_HOURS: u64 = 8760;

fn upload_ttl(hours: u64) -> Result<std::time::Duration, ConfigError> {
    let hours = positive("upload_ttl_hours", Some(hours), hours)?;
    if hours > MAX_UPLOAD_TTL_HOURS {
        return Err(ConfigError::Invalid {
            setting: "upload_ttl_hours",
            message: format!("must be at most {MAX_UPLOAD_TTL_HOURS} (one year)"),
        });
    }
    Ok(std::time::Duration::from_secs(hours * 3600))
}

fn tls_source(
    dev: bool,
    data_dir: Option<&Path>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    client_ca: Option<PathBuf>,
) -> Result<TlsSource, ConfigError> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(TlsSource::Files { cert, key, client_ca }),
        (Some(_), None) => Err(ConfigError::Missing { setting: "--tls-key", hint: " with --tls-cert" }),
        (None, Some(_)) => Err(ConfigError::Missing { setting: "--tls-cert", hint: " with --tls-key" }),
        (None, None) if dev => Ok(TlsSource::Dev { dir: data_dir.unwrap_or(Path::new(DEFAULT_DEV_DATA_DIR)).join("tls") }),
        (None, None) => Err(ConfigError::Missing {
            setting: "--tls-cert",
            hint: " and --tls-key (the gateway only speaks TLS; --dev generates a development certificate)",
        }),
    }
}

#[cfg(test)]
mod tests;
