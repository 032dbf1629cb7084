//! The transport a client meets before any rule: TLS only, standard health checking and
//! reflection, a request id on every answer, and a clean shutdown.

use supportgate::proto::{GetCaseRequest, Purpose, WhoAmIRequest};
use supportgate_testkit::backend_tests;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

use crate::harness::{assert_status, TestServer, World};

backend_tests! {
    async fn health_checking_reports_every_service_serving(backend: Backend) {
        let server = TestServer::start(backend).await;
        let mut health = HealthClient::new(server.channel().await);
        for service in ["", "supportgate.v1.CaseService", "supportgate.v1.AccessLogService"] {
            let answer = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
            assert_eq!(answer.status(), ServingStatus::Serving, "{service:?}");
        }
        let unknown = health.check(HealthCheckRequest { service: "no.such.Service".into() }).await;
        assert_eq!(unknown.unwrap_err().code(), Code::NotFound);
    }

    async fn reflection_lists_every_supportgate_service(backend: Backend) {
        let server = TestServer::start(backend).await;
        let mut reflection = ServerReflectionClient::new(server.channel().await);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = reflection.server_reflection_info(futures::stream::iter([request])).await.unwrap().into_inner();
        let Some(MessageResponse::ListServicesResponse(list)) = answers.message().await.unwrap().unwrap().message_response
        else {
            panic!("expected a list of services");
        };
        let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        for service in ["Admin", "Case", "Contact", "Transfer", "Session", "Recording", "AccessLog", "Legal"] {
            let name = format!("supportgate.v1.{service}Service");
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        assert!(names.contains(&"grpc.health.v1.Health".to_owned()), "{names:?}");
    }

    async fn every_answer_carries_the_request_id_that_the_log_records(backend: Backend) {
        let world = World::build(backend).await;
        let mut cases = world.server.as_actor(&world.acme.sales).await.cases();
        let id = "6f2c1b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f";
        let mut request = tonic::Request::new(GetCaseRequest { case_id: world.acme.case.clone(), purpose: Purpose::ProvideSupport.into() });
        request.metadata_mut().insert("x-request-id", id.parse().unwrap());
        let status = assert_status(cases.get_case(request).await, Code::PermissionDenied, "ROLE_DENIED");
        assert_eq!(status.metadata().get("x-request-id").unwrap(), id, "the client's request id is echoed");
        let entry = world.last_entry(&world.acme.sales, &world.acme.case).await;
        assert_eq!(entry.request_id, id, "and recorded in the access log");

        let mut admin = world.server.admin().await.admin();
        let mut hostile = tonic::Request::new(WhoAmIRequest {});
        hostile.metadata_mut().insert("x-request-id", "forged\\nentry".parse().unwrap());
        let answer = admin.who_am_i(hostile).await.unwrap();
        let echoed = answer.metadata().get("x-request-id").unwrap().to_str().unwrap();
        assert!(uuid::Uuid::parse_str(echoed).is_ok(), "a request id that is not a UUID is replaced: {echoed}");
    }

    async fn plain_text_http2_is_never_served(backend: Backend) {
        let server = TestServer::start(backend).await;
        let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(15), tcp.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server closes a connection that does not speak TLS");
        assert!(!answer.windows(4).any(|w| w == b"HTTP"), "no HTTP answer in clear text");
    }

    async fn a_stopped_server_finishes_cleanly_and_refuses_new_connections(backend: Backend) {
        let server = TestServer::start(backend).await;
        let addr = server.addr;
        let admin = server.admin().await;
        admin.admin().who_am_i(WhoAmIRequest {}).await.unwrap();
        server.stop().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed after shutdown");
    }
}
