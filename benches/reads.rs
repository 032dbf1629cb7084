//! What an authorized read costs, compared in one run with the transport alone.
//!
//! A real gateway (`Server::bind`, TLS, the same layers) on loopback, fresh databases,
//! and three calls over the same kind of channel:
//! - `health`: gRPC health check: TLS + HTTP/2 + tonic, no authentication, no storage;
//! - `whoami`: plus bearer authentication (signature, credential and subject lookups);
//! - `get_case`: plus the policy, two durable access-log appends (customer data and
//!   contact data decisions), the case and contact reads and field decryption.
//!
//! Run: `cargo bench --bench reads` (set `SUPPORTGATE_TEST_POSTGRES_URL` to add the
//! PostgreSQL rows; `SUPPORTGATE_BENCH_SECONDS` changes the time per measurement).
//! Results and the machine they came from go into docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use supportgate::proto::admin_service_client::AdminServiceClient;
use supportgate::proto::case_service_client::CaseServiceClient;
use supportgate::proto::{
    AssignEngineerRequest, ContactDetails, CreateSubjectRequest, CreateTenantRequest,
    GetCaseRequest, OpenCaseRequest, Purpose, Role, WhoAmIRequest,
};
use supportgate::server::tls::{server_config, TlsMaterial};
use supportgate::server::{dev_pki, Limits, Server, ServerSettings};
use supportgate_crypto::{LocalMasterKey, SecretKey, SigningKey};
use supportgate_service::{GatewayKey, Services, ServicesConfig};
use supportgate_store::{ContactStore, MainStore};
use supportgate_testkit::{Backend, TestDatabases};
use supportgate_types::SystemClock;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

struct Gateway {
    channel_url: String,
    ca: Vec<u8>,
    admin_token: String,
    shutdown: CancellationToken,
    _dbs: TestDatabases,
}

async fn start(backend: Backend) -> Gateway {
    let dbs = TestDatabases::create(backend).await;
    let pki = dev_pki::load_or_create(&dbs.path().join("tls"), &[]).unwrap();
    let material =
        TlsMaterial::from_files(&pki.server_cert_path, &pki.server_key_path, None).unwrap();
    let clock: Arc<dyn supportgate_types::Clock> = Arc::new(SystemClock);
    let key = GatewayKey::new(SigningKey::from_seed(&SecretKey::generate().unwrap()).unwrap());
    let options = key.log_options(clock.clone(), 1024, Duration::from_secs(10));
    let main = MainStore::open_with(&dbs.config, options).await.unwrap();
    let contacts = ContactStore::open(&dbs.config).await.unwrap();
    let master = LocalMasterKey::new("bench".into(), SecretKey::generate().unwrap());
    let services = Services::new(
        main,
        contacts,
        clock,
        Arc::new(master),
        key,
        Arc::new(supportgate_store::LocalBlobStore::open(&dbs.path().join("blobs")).unwrap()),
        ServicesConfig::default(),
    );
    let admin = services
        .bootstrap_admin(None, chrono::Duration::days(1))
        .await
        .unwrap()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = CancellationToken::new();
    let settings = ServerSettings {
        tls: server_config(&material).unwrap(),
        limits: Limits::default(),
        metrics: None,
    };
    let running = Server::bind(listener, services, settings, shutdown.clone()).unwrap();
    Gateway {
        channel_url: format!("https://{}", running.addr),
        ca: std::fs::read(&pki.ca_cert_path).unwrap(),
        admin_token: admin.token,
        shutdown,
        _dbs: dbs,
    }
}

impl Gateway {
    async fn channel(&self) -> Channel {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca))
            .domain_name("127.0.0.1");
        Endpoint::from_shared(self.channel_url.clone())
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
}

fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value: MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    request.metadata_mut().insert("authorization", value);
    request
}

/// Creates a tenant, a customer with a case and an assigned engineer; returns the
/// engineer's token and the case id.
async fn fixture(gateway: &Gateway) -> (String, String) {
    let mut admin = AdminServiceClient::new(gateway.channel().await);
    let token = &gateway.admin_token;
    let tenant = admin
        .create_tenant(authed(
            CreateTenantRequest {
                name: "bench".into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .tenant_id;
    let subject = |role: Role, name: &str| CreateSubjectRequest {
        tenant_id: tenant.clone(),
        role: role.into(),
        name: name.into(),
        credential_ttl_seconds: 0,
    };
    let customer = admin
        .create_subject(authed(subject(Role::Customer, "c"), token))
        .await
        .unwrap()
        .into_inner();
    let engineer = admin
        .create_subject(authed(subject(Role::SupportEngineer, "e"), token))
        .await
        .unwrap()
        .into_inner();
    let mut cases = CaseServiceClient::new(gateway.channel().await);
    let contact = ContactDetails {
        name: "Carol Smith".into(),
        email: "carol@bench.example".into(),
        phone: "+1 555 0100".into(),
        company: "Bench Corp".into(),
        job_title: "IT lead".into(),
    };
    let open = OpenCaseRequest {
        summary: "VPN drops every hour".into(),
        contact: Some(contact),
    };
    let customer_token = customer.credential.unwrap().token;
    let case = cases
        .open_case(authed(open, &customer_token))
        .await
        .unwrap()
        .into_inner()
        .case_id;
    let engineer_id = engineer.subject.unwrap().subject_id;
    let assign = AssignEngineerRequest {
        case_id: case.clone(),
        engineer_id,
    };
    cases.assign_engineer(authed(assign, token)).await.unwrap();
    (engineer.credential.unwrap().token, case)
}

#[derive(Clone, Copy)]
enum Call {
    Health,
    WhoAmI,
    GetCase,
}

/// Calls per second with `concurrency` callers, each on its own connection.
async fn measure(
    gateway: &Gateway,
    call: Call,
    concurrency: usize,
    token: &str,
    case: &str,
    time: Duration,
) -> f64 {
    let mut tasks = Vec::new();
    let deadline = Instant::now() + time;
    for _ in 0..concurrency {
        let channel = gateway.channel().await;
        let (token, case) = (token.to_owned(), case.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut health = HealthClient::new(channel.clone());
            let mut admin = AdminServiceClient::new(channel.clone());
            let mut cases = CaseServiceClient::new(channel);
            let mut done = 0u64;
            while Instant::now() < deadline {
                match call {
                    Call::Health => {
                        health
                            .check(HealthCheckRequest {
                                service: String::new(),
                            })
                            .await
                            .unwrap();
                    }
                    Call::WhoAmI => {
                        admin
                            .who_am_i(authed(WhoAmIRequest {}, &token))
                            .await
                            .unwrap();
                    }
                    Call::GetCase => {
                        let request = GetCaseRequest {
                            case_id: case.clone(),
                            purpose: Purpose::ProvideSupport.into(),
                        };
                        cases.get_case(authed(request, &token)).await.unwrap();
                    }
                }
                done += 1;
            }
            done
        }));
    }
    let started = Instant::now();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64().max(time.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let seconds = std::env::var("SUPPORTGATE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let time = Duration::from_secs(seconds);
    let mut backends = vec![Backend::Sqlite];
    if std::env::var(supportgate_testkit::POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty()) {
        backends.push(Backend::Postgres);
    } else {
        eprintln!(
            "PostgreSQL rows skipped: set {} to include them",
            supportgate_testkit::POSTGRES_URL_VAR
        );
    }
    println!("| backend | callers | health calls/s | whoami calls/s | get_case calls/s | get_case / health |");
    println!("|---|---|---|---|---|---|");
    for backend in backends {
        let gateway = start(backend).await;
        let (token, case) = fixture(&gateway).await;
        for concurrency in [1, 16] {
            let health = measure(&gateway, Call::Health, concurrency, &token, &case, time).await;
            let whoami = measure(&gateway, Call::WhoAmI, concurrency, &token, &case, time).await;
            let get_case = measure(&gateway, Call::GetCase, concurrency, &token, &case, time).await;
            println!(
                "| {} | {concurrency} | {health:.0} | {whoami:.0} | {get_case:.0} | {:.2} |",
                backend.name(),
                get_case / health
            );
        }
        gateway.shutdown.cancel();
    }
}
