//! `TestServer`: the gateway as a user meets it, started per test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use supportgate::proto::{self, CreateSubjectRequest, CreateTenantRequest};
use supportgate::server::dev_pki::{self, DevPki};
use supportgate::server::tls::{server_config, TlsMaterial};
use supportgate::server::{Limits, Running, Server, ServerSettings};
use supportgate_crypto::{LocalMasterKey, SecretKey, SigningKey};
use supportgate_service::{GatewayKey, Services, ServicesConfig, TransferLimits};
use supportgate_store::{ContactStore, LocalBlobStore, MainStore};
use supportgate_testkit::{Backend, ManualClock, TestDatabases};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use super::clients::{Actor, Clients};

/// A running gateway with its own databases, CA and clock.
///
/// Fields drop in order: the server is told to stop before the databases go.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where it serves `/metrics` and `/ready` over plain HTTP (not after a restart).
    pub metrics_addr: Option<SocketAddr>,
    /// The clock the use cases read (credentials expire by it).
    pub clock: Arc<ManualClock>,
    /// The use cases behind the server, for the gateway's own maintenance tasks (sweeps)
    /// that no RPC triggers.
    pub services: Services,
    /// The test PKI: `ca_cert_path` is what clients trust.
    pub pki: DevPki,
    admin: Actor,
    shutdown: CancellationToken,
    running: Option<Running>,
    /// What a restart needs to come back as the same gateway.
    restart: Restart,
    /// The databases; removed when the server is dropped.
    _dbs: TestDatabases,
}

/// The settings and keys a restarted gateway starts with again.
struct Restart {
    limits: Limits,
    transfers: TransferLimits,
    keys: Keys,
}

/// The gateway's signing seed and master key, kept so a restart opens the same data
/// and honours the same credentials.
struct Keys {
    signing_seed: SecretKey,
    master: SecretKey,
}

impl Keys {
    fn generate() -> Keys {
        Keys {
            signing_seed: SecretKey::generate().expect("seed"),
            master: SecretKey::generate().expect("key"),
        }
    }

    fn copy(key: &SecretKey) -> SecretKey {
        SecretKey::from_bytes(key.expose()).expect("a copy of a valid key")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestServer {
    /// Starts a gateway with the default limits.
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, Limits::default()).await
    }

    /// Starts a gateway with the given transport limits.
    pub async fn start_with(backend: Backend, limits: Limits) -> TestServer {
        Self::start_configured(backend, limits, TransferLimits::default()).await
    }

    /// Starts a gateway with the given transport and transfer limits.
    pub async fn start_configured(
        backend: Backend,
        limits: Limits,
        transfers: TransferLimits,
    ) -> TestServer {
        let dbs = TestDatabases::create(backend).await;
        let pki = dev_pki::load_or_create(&dbs.path().join("tls"), &[]).expect("test PKI");
        let material = TlsMaterial::from_files(
            &pki.server_cert_path,
            &pki.server_key_path,
            Some(&pki.ca_cert_path),
        )
        .expect("TLS material");
        let tls = server_config(&material).expect("TLS config");
        let clock = Arc::new(ManualClock::new());
        let keys = Keys::generate();
        let services = open_services(&dbs, clock.clone(), transfers.clone(), &keys).await;
        let issued = services
            .bootstrap_admin(None, chrono::Duration::days(30))
            .await
            .expect("bootstrap admin")
            .expect("a new admin credential");
        let whoami = services
            .authenticate(&issued.token)
            .await
            .expect("admin authenticates");
        let admin = Actor {
            subject_id: whoami.subject.to_string(),
            tenant_id: None,
            role: proto::Role::Admin,
            name: "admin".into(),
            credential_id: issued.credential_id.to_string(),
            token: issued.token,
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let shutdown = CancellationToken::new();
        let running = Server::bind(
            listener,
            services.clone(),
            ServerSettings {
                tls,
                limits: limits.clone(),
                metrics: Some(
                    TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind a loopback port for metrics"),
                ),
            },
            shutdown.clone(),
        )
        .expect("server starts");
        TestServer {
            addr: running.addr,
            metrics_addr: running.metrics_addr,
            clock,
            services,
            pki,
            admin,
            shutdown,
            running: Some(running),
            restart: Restart {
                limits,
                transfers,
                keys,
            },
            _dbs: dbs,
        }
    }

    /// Stops the gateway and starts a new one on the same databases, blob directory,
    /// keys and clock, as after a crash: nothing the old one held in memory survives.
    /// It listens on a new port; clients made afterwards connect to it.
    pub async fn restart(&mut self) {
        self.stop_serving().await;
        self.shutdown.cancel();
        let material = TlsMaterial::from_files(
            &self.pki.server_cert_path,
            &self.pki.server_key_path,
            Some(&self.pki.ca_cert_path),
        )
        .expect("TLS material");
        let tls = server_config(&material).expect("TLS config");
        let restart = &self.restart;
        let services = open_services(
            &self._dbs,
            self.clock.clone(),
            restart.transfers.clone(),
            &restart.keys,
        )
        .await;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let shutdown = CancellationToken::new();
        let settings = ServerSettings {
            tls,
            limits: restart.limits.clone(),
            metrics: None,
        };
        let running = Server::bind(listener, services.clone(), settings, shutdown.clone())
            .expect("server starts again");
        self.addr = running.addr;
        self.metrics_addr = running.metrics_addr;
        self.services = services;
        self.shutdown = shutdown;
        self.running = Some(running);
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown();
            running.wait().await.expect("server stops cleanly");
        }
    }

    /// Stops the server gracefully and waits for it, keeping its databases for
    /// inspection with [`TestServer::sql`].
    pub async fn stop_serving(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown();
            running.wait().await.expect("server stops cleanly");
        }
    }

    /// Runs SQL on the customer-data database as the gateway's own database user, the
    /// way an intruder with the database's credentials could (PostgreSQL: in the
    /// gateway's schema).
    pub async fn sql(&self, statements: &[&str]) {
        use sqlx::{Connection, Executor};
        sqlx::any::install_default_drivers();
        let config = &self._dbs.config;
        let mut conn = sqlx::AnyConnection::connect(&config.main_url)
            .await
            .expect("connect to the database");
        if config.main_url.starts_with("postgres") {
            conn.execute(format!("SET search_path TO {}", config.main_schema).as_str())
                .await
                .expect("search path");
        }
        for sql in statements {
            conn.execute(*sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        conn.close().await.expect("close");
    }

    /// The directory holding the encrypted upload content.
    pub fn blob_dir(&self) -> PathBuf {
        self._dbs.path().join("blobs")
    }

    /// Whether this server stores on PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self._dbs.config.main_url.starts_with("postgres")
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The CA certificate clients trust.
    pub fn ca_path(&self) -> PathBuf {
        self.pki.ca_cert_path.clone()
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::from_shared(self.url()).expect("endpoint")
    }

    fn tls(&self) -> ClientTlsConfig {
        let ca = std::fs::read(&self.pki.ca_cert_path).expect("read CA");
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .domain_name("127.0.0.1")
    }

    /// A TLS channel with no credential at all.
    pub async fn channel(&self) -> Channel {
        self.endpoint()
            .tls_config(self.tls())
            .expect("tls")
            .connect()
            .await
            .expect("connect")
    }

    /// A TLS channel presenting a client certificate.
    pub async fn channel_with_certificate(&self, cert_pem: &str, key_pem: &str) -> Channel {
        let tls = self.tls().identity(Identity::from_pem(cert_pem, key_pem));
        self.endpoint()
            .tls_config(tls)
            .expect("tls")
            .connect()
            .await
            .expect("connect")
    }

    /// Clients that authenticate as `actor`.
    pub async fn as_actor(&self, actor: &Actor) -> Clients {
        Clients::new(self.channel().await, Some(&actor.token))
    }

    /// The bootstrap admin.
    pub fn admin_actor(&self) -> &Actor {
        &self.admin
    }

    /// Clients that authenticate as the bootstrap admin.
    pub async fn admin(&self) -> Clients {
        self.as_actor(&self.admin).await
    }

    /// Creates a tenant and returns its id.
    pub async fn create_tenant(&self, name: &str) -> String {
        let request = CreateTenantRequest { name: name.into() };
        self.admin()
            .await
            .admin()
            .create_tenant(request)
            .await
            .expect("create tenant")
            .into_inner()
            .tenant_id
    }

    /// Creates a subject (with its first credential).
    pub async fn create_subject(
        &self,
        tenant: Option<&str>,
        role: proto::Role,
        name: &str,
    ) -> Actor {
        let request = CreateSubjectRequest {
            tenant_id: tenant.unwrap_or_default().into(),
            role: role.into(),
            name: name.into(),
            credential_ttl_seconds: 0,
        };
        let created = self
            .admin()
            .await
            .admin()
            .create_subject(request)
            .await
            .expect("create subject")
            .into_inner();
        let subject = created.subject.expect("subject");
        let credential = created.credential.expect("credential");
        Actor {
            subject_id: subject.subject_id,
            tenant_id: tenant.map(str::to_owned),
            role,
            name: name.into(),
            credential_id: credential.credential_id,
            token: credential.token,
        }
    }
}

async fn open_services(
    dbs: &TestDatabases,
    clock: Arc<ManualClock>,
    limits: TransferLimits,
    keys: &Keys,
) -> Services {
    let key = GatewayKey::new(SigningKey::from_seed(&keys.signing_seed).expect("signing key"));
    let options = key.log_options(clock.clone(), 1024, std::time::Duration::from_secs(10));
    let main = MainStore::open_with(&dbs.config, options)
        .await
        .expect("open main store");
    let contacts = ContactStore::open(&dbs.config)
        .await
        .expect("open contact store");
    let master = LocalMasterKey::new("test-master".into(), Keys::copy(&keys.master));
    Services::new(
        main,
        contacts,
        clock,
        Arc::new(master),
        key,
        Arc::new(LocalBlobStore::open(&dbs.path().join("blobs")).expect("blob store")),
        ServicesConfig {
            transfers: limits,
            ..ServicesConfig::default()
        },
    )
}
