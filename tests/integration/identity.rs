//! Who is calling, through the real gRPC interface: bearer credentials that are missing,
//! malformed, forged, from another gateway, expired, revoked or oversized are refused
//! with UNAUTHENTICATED and their reason, and logged without a subject; client
//! certificates identify the subject they name (role and tenant from the store); and no
//! tenant ever sees another tenant's cases or access-log entries.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use supportgate::proto::admin_service_client::AdminServiceClient;
use supportgate::proto::case_service_client::CaseServiceClient;
use supportgate::proto::{
    AccessLogEntry, CaseView, CreateSubjectRequest, DataClass, Decision, GetCaseRequest,
    GetContactRequest, IssueCredentialRequest, ListCasesRequest, ListEntriesRequest, Purpose,
    RevokeCredentialRequest, Role, WhoAmIRequest, WhoAmIResponse,
};
use supportgate::server::dev_pki::issue_client_certificate;
use supportgate::server::peer::subject_uri;
use supportgate_testkit::backend_tests;
use supportgate_types::SubjectId;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Request, Status};

use crate::harness::{assert_status, Actor, Clients, TestServer, World};

/// The summary the acme customer gave the world's first acme case.
const ACME_SUMMARY: &str = "acme: VPN drops every hour";

/// An `authorization` header value, exactly as given.
fn header(value: &str) -> MetadataValue<Ascii> {
    value.parse().expect("a valid header value")
}

/// `authorization: Bearer <token>`.
fn bearer(token: &str) -> Option<MetadataValue<Ascii>> {
    Some(header(&format!("Bearer {token}")))
}

/// A fresh request id the gateway will keep (it is a UUID) and log.
fn with_request_id<T>(message: T) -> (Request<T>, String) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("x-request-id", header(&request_id));
    (request, request_id)
}

/// GetCase for `case` with purpose provide_support, sending exactly `authorization`
/// (or no such header) over a plain TLS channel; returns the result and the request id.
async fn get_case_with(
    server: &TestServer,
    case: &str,
    authorization: Option<MetadataValue<Ascii>>,
) -> (Result<CaseView, Status>, String) {
    let (mut request, request_id) = with_request_id(GetCaseRequest {
        case_id: case.into(),
        purpose: Purpose::ProvideSupport.into(),
    });
    if let Some(value) = authorization {
        request.metadata_mut().insert("authorization", value);
    }
    let result = CaseServiceClient::new(server.channel().await)
        .get_case(request)
        .await
        .map(|r| r.into_inner());
    (result, request_id)
}

/// WhoAmI over `channel` (which may carry a client certificate) with no bearer token.
async fn who_am_i_on(channel: Channel) -> (Result<WhoAmIResponse, Status>, String) {
    let (request, request_id) = with_request_id(WhoAmIRequest {});
    let result = AdminServiceClient::new(channel)
        .who_am_i(request)
        .await
        .map(|r| r.into_inner());
    (result, request_id)
}

/// The access-log entries of one request, read by `reviewer` (provider-wide).
async fn entries_of_request(
    server: &TestServer,
    reviewer: &Actor,
    action: &str,
    request_id: &str,
) -> Vec<AccessLogEntry> {
    let mut log = server.as_actor(reviewer).await.log();
    let mut request = ListEntriesRequest {
        action: action.into(),
        page_size: 500,
        ..Default::default()
    };
    let mut found = Vec::new();
    loop {
        let page = log
            .list_entries(request.clone())
            .await
            .expect("list the log")
            .into_inner();
        found.extend(
            page.entries
                .into_iter()
                .filter(|e| e.request_id == request_id),
        );
        if page.next_page_token.is_empty() {
            return found;
        }
        request.page_token = page.next_page_token;
    }
}

/// Asserts the request was logged exactly once as an unauthenticated refusal: denied,
/// with `reason`, and naming nobody (an unauthenticated claim proves nothing).
async fn assert_logged_unauthenticated(
    server: &TestServer,
    reviewer: &Actor,
    action: &str,
    request_id: &str,
    reason: &str,
) {
    let entries = entries_of_request(server, reviewer, action, request_id).await;
    assert_eq!(
        entries.len(),
        1,
        "expected one {action} entry for request {request_id} ({reason}): {entries:?}"
    );
    let e = &entries[0];
    assert_eq!(
        (
            e.decision,
            e.reason.as_str(),
            e.subject_id.as_str(),
            e.role,
            e.tenant_id.as_str(),
        ),
        (
            Decision::Denied as i32,
            reason,
            "",
            Role::Unspecified as i32,
            "",
        ),
        "unexpected log entry: {e:?}"
    );
}

/// Asserts a GetCase was refused as unauthenticated with `reason`, released nothing,
/// and was logged as such.
async fn assert_refused_and_logged(
    world: &World,
    what: &str,
    (result, request_id): (Result<CaseView, Status>, String),
    reason: &str,
) {
    let status = match result {
        Ok(view) => {
            panic!("{what}: expected UNAUTHENTICATED/{reason}, the case was read: {view:?}")
        }
        Err(status) => status,
    };
    assert_eq!(
        (status.code(), crate::harness::reason(&status).as_deref()),
        (Code::Unauthenticated, Some(reason)),
        "{what}: unexpected status {status:?}"
    );
    assert!(
        !status.message().contains(ACME_SUMMARY),
        "{what}: the refusal leaks the case: {status:?}"
    );
    assert_logged_unauthenticated(
        &world.server,
        &world.reviewer,
        "case.get",
        &request_id,
        reason,
    )
    .await;
}

/// Reads the acme case as `actor` and returns its summary.
async fn summary_as(server: &TestServer, actor: &Actor, case: &str) -> String {
    server
        .as_actor(actor)
        .await
        .cases()
        .get_case(GetCaseRequest {
            case_id: case.into(),
            purpose: Purpose::ProvideSupport.into(),
        })
        .await
        .expect("an allowed actor reads the case")
        .into_inner()
        .summary
}

/// A token with its signature (or payload) replaced.
struct TokenParts {
    payload: String,
    signature: String,
}

fn split(token: &str) -> TokenParts {
    let rest = token.strip_prefix("sg1.").expect("an sg1. token");
    let (payload, signature) = rest.split_once('.').expect("payload.signature");
    TokenParts {
        payload: payload.into(),
        signature: signature.into(),
    }
}

fn join(parts: &TokenParts) -> String {
    format!("sg1.{}.{}", parts.payload, parts.signature)
}

/// A client TLS configuration trusting `server`'s CA and presenting `cert`/`key`.
fn tls_with_identity(server: &TestServer, cert: &str, key: &str) -> ClientTlsConfig {
    let ca = std::fs::read(server.ca_path()).expect("read CA");
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("127.0.0.1")
        .identity(Identity::from_pem(cert, key))
}

backend_tests! {
    async fn a_request_without_any_credential_is_refused_and_logged_without_a_subject(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;

        let attempt = get_case_with(&world.server, &acme.case, None).await;
        assert_refused_and_logged(&world, "no credential", attempt, "CREDENTIAL_REQUIRED").await;

        let (result, request_id) = who_am_i_on(world.server.channel().await).await;
        assert_status(result, Code::Unauthenticated, "CREDENTIAL_REQUIRED");
        assert_logged_unauthenticated(
            &world.server,
            &world.reviewer,
            "admin.whoami",
            &request_id,
            "CREDENTIAL_REQUIRED",
        )
        .await;

        // The genuine credential still reads the case: the refusals were about the request.
        assert_eq!(
            summary_as(&world.server, &acme.customer, &acme.case).await,
            ACME_SUMMARY
        );
    }

    async fn malformed_authorization_headers_are_refused_as_malformed_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let token = &acme.customer.token;
        let non_text = MetadataValue::<Ascii>::try_from(&b"Bearer sg1.\xff\xfe"[..])
            .expect("obs-text is a legal header value");
        let cases: Vec<(&str, MetadataValue<Ascii>)> = vec![
            ("basic scheme", header("Basic Y2Fyb2w6c2VjcmV0")),
            ("scheme without a token", header("Bearer")),
            ("token without a scheme", header(token)),
            ("not an sg1 token", header("Bearer not-a-token")),
            (
                "a JWT",
                header("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."),
            ),
            (
                "sg1 without a signature part",
                header("Bearer sg1.only-one-part"),
            ),
            (
                "signature not base64url",
                header("Bearer sg1.e30.!!!not-base64!!!"),
            ),
            ("header that is not text", non_text),
            (
                "a 10 KB token",
                header(&format!("Bearer sg1.{}", "A".repeat(10 * 1024))),
            ),
            (
                "the genuine token padded to 10 KB",
                header(&format!("Bearer {token}{}", "A".repeat(10 * 1024))),
            ),
        ];
        for (what, value) in cases {
            let attempt = get_case_with(&world.server, &acme.case, Some(value)).await;
            assert_refused_and_logged(&world, what, attempt, "CREDENTIAL_MALFORMED").await;
        }

        assert_eq!(
            summary_as(&world.server, &acme.customer, &acme.case).await,
            ACME_SUMMARY
        );
    }

    async fn a_forged_credential_is_refused_as_invalid_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let genuine = split(&acme.customer.token);

        // One bit of the signature flipped.
        let mut signature = URL_SAFE_NO_PAD
            .decode(&genuine.signature)
            .expect("base64url");
        signature[7] ^= 0x01;
        let flipped = TokenParts {
            payload: genuine.payload.clone(),
            signature: URL_SAFE_NO_PAD.encode(&signature),
        };

        // The payload rewritten to claim the admin role, signature kept.
        let claims = URL_SAFE_NO_PAD.decode(&genuine.payload).expect("base64url");
        let mut claims: serde_json::Value = serde_json::from_slice(&claims).expect("JSON claims");
        claims["role"] = "admin".into();
        claims["ten"] = serde_json::Value::Null;
        claims["exp"] = (claims["exp"].as_i64().expect("exp") + 365 * 86_400).into();
        let escalated = TokenParts {
            payload: URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("JSON")),
            signature: genuine.signature.clone(),
        };

        // The customer's claims with the engineer's (valid, but not for them) signature.
        let swapped = TokenParts {
            payload: genuine.payload.clone(),
            signature: split(&acme.engineer.token).signature,
        };

        // No signature at all.
        let unsigned = TokenParts {
            payload: genuine.payload.clone(),
            signature: String::new(),
        };

        for (what, forged) in [
            ("flipped signature bit", flipped),
            ("escalated claims", escalated),
            ("another credential's signature", swapped),
            ("empty signature", unsigned),
        ] {
            let attempt = get_case_with(&world.server, &acme.case, bearer(&join(&forged))).await;
            assert_refused_and_logged(&world, what, attempt, "CREDENTIAL_INVALID").await;
        }

        assert_eq!(
            summary_as(&world.server, &acme.customer, &acme.case).await,
            ACME_SUMMARY
        );
    }

    async fn a_credential_signed_by_another_gateway_is_refused_as_invalid_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let other = TestServer::start(backend).await;
        let other_tenant = other.create_tenant("acme").await;
        let other_customer = other
            .create_subject(Some(&other_tenant), Role::Customer, "acme-customer")
            .await;

        for (what, token) in [
            ("the other gateway's admin", &other.admin_actor().token),
            ("the other gateway's customer", &other_customer.token),
        ] {
            // It works where it was issued...
            let mut who = other.as_actor(other.admin_actor()).await.admin();
            who.who_am_i(WhoAmIRequest {})
                .await
                .expect("valid at its own gateway");
            // ...and nowhere else.
            let attempt = get_case_with(&world.server, &acme.case, bearer(token)).await;
            assert_refused_and_logged(&world, what, attempt, "CREDENTIAL_INVALID").await;
        }

        assert_eq!(
            summary_as(&world.server, &acme.customer, &acme.case).await,
            ACME_SUMMARY
        );
    }

    async fn an_expired_credential_is_refused_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let acme = &world.acme;
        assert_eq!(
            summary_as(server, &acme.customer, &acme.case).await,
            ACME_SUMMARY
        );

        // The default lifetime is 24 hours.
        server
            .clock
            .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
        let attempt = get_case_with(server, &acme.case, bearer(&acme.customer.token)).await;
        let (result, request_id) = attempt;
        assert_status(result, Code::Unauthenticated, "CREDENTIAL_EXPIRED");

        // The world's reviewer expired too: a new one reads the log.
        let reviewer = server
            .create_subject(None, Role::ComplianceReviewer, "rex-the-second")
            .await;
        assert_logged_unauthenticated(
            server,
            &reviewer,
            "case.get",
            &request_id,
            "CREDENTIAL_EXPIRED",
        )
        .await;

        // The case is intact for a customer with a fresh credential.
        let fresh = server
            .admin()
            .await
            .admin()
            .issue_credential(IssueCredentialRequest {
                subject_id: acme.customer.subject_id.clone(),
                ttl_seconds: 0,
            })
            .await
            .expect("issue a fresh credential")
            .into_inner();
        let renewed = Actor {
            token: fresh.token,
            ..acme.customer.clone()
        };
        assert_eq!(summary_as(server, &renewed, &acme.case).await, ACME_SUMMARY);
    }

    async fn a_credential_stops_working_at_the_exact_second_it_expires(backend: Backend) {
        let server = TestServer::start(backend).await;
        let tenant = server.create_tenant("acme").await;
        let created = server
            .admin()
            .await
            .admin()
            .create_subject(CreateSubjectRequest {
                tenant_id: tenant.clone(),
                role: Role::Customer.into(),
                name: "carol".into(),
                credential_ttl_seconds: 60,
            })
            .await
            .expect("create a subject with a one-minute credential")
            .into_inner();
        let token = created.credential.expect("credential").token;
        let mut who = Clients::new(server.channel().await, Some(&token)).admin();

        server.clock.advance(chrono::Duration::seconds(59));
        let me = who
            .who_am_i(WhoAmIRequest {})
            .await
            .expect("valid one second before expiry");
        assert_eq!(me.into_inner().subject.expect("subject").name, "carol");

        server.clock.advance(chrono::Duration::seconds(1));
        assert_status(
            who.who_am_i(WhoAmIRequest {}).await,
            Code::Unauthenticated,
            "CREDENTIAL_EXPIRED",
        );
    }

    async fn a_revoked_credential_is_refused_at_once_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let acme = &world.acme;
        assert_eq!(
            summary_as(server, &acme.customer, &acme.case).await,
            ACME_SUMMARY
        );

        server
            .admin()
            .await
            .admin()
            .revoke_credential(RevokeCredentialRequest {
                credential_id: acme.customer.credential_id.clone(),
            })
            .await
            .expect("revoke");

        let attempt = get_case_with(server, &acme.case, bearer(&acme.customer.token)).await;
        assert_refused_and_logged(&world, "revoked credential", attempt, "CREDENTIAL_REVOKED")
            .await;
        let mut who = server.as_actor(&acme.customer).await.admin();
        assert_status(
            who.who_am_i(WhoAmIRequest {}).await,
            Code::Unauthenticated,
            "CREDENTIAL_REVOKED",
        );

        // Only that credential: the engineer still works, and so does a new one for the customer.
        assert_eq!(
            summary_as(server, &acme.engineer, &acme.case).await,
            ACME_SUMMARY
        );
        let fresh = server
            .admin()
            .await
            .admin()
            .issue_credential(IssueCredentialRequest {
                subject_id: acme.customer.subject_id.clone(),
                ttl_seconds: 0,
            })
            .await
            .expect("issue a fresh credential")
            .into_inner();
        let renewed = Actor {
            token: fresh.token,
            ..acme.customer.clone()
        };
        assert_eq!(summary_as(server, &renewed, &acme.case).await, ACME_SUMMARY);
    }

    async fn a_client_certificate_identifies_its_subject_with_role_and_tenant_from_the_store(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let acme = &world.acme;
        let agent = SubjectId::parse(&acme.agent.subject_id).expect("subject id");
        let (cert, key) = issue_client_certificate(&server.pki, "agent", &subject_uri(agent))
            .expect("issue a client certificate");
        let channel = server.channel_with_certificate(&cert, &key).await;

        let (me, _) = who_am_i_on(channel.clone()).await;
        let me = me.expect("the certificate authenticates the agent");
        let subject = me.subject.expect("subject");
        assert_eq!(
            (
                subject.subject_id.as_str(),
                subject.role,
                subject.tenant_id.as_str(),
                subject.name.as_str(),
            ),
            (
                acme.agent.subject_id.as_str(),
                Role::CustomerAgent as i32,
                acme.id.as_str(),
                "acme-agent",
            )
        );
        assert_eq!((me.credential_id.as_str(), me.expires_at), ("", None));

        // The store's role is what is enforced: an agent may not read cases.
        let agent_clients = Clients::new(channel.clone(), None);
        let denied = agent_clients
            .cases()
            .get_case(GetCaseRequest {
                case_id: acme.case.clone(),
                purpose: Purpose::ProvideSupport.into(),
            })
            .await;
        assert_status(denied, Code::PermissionDenied, "ROLE_DENIED");
        let entry = world.last_entry(&acme.agent, &acme.case).await;
        assert_eq!(
            (
                entry.action.as_str(),
                entry.reason.as_str(),
                entry.decision,
                entry.role,
                entry.tenant_id.as_str(),
            ),
            (
                "case.get",
                "ROLE_DENIED",
                Decision::Denied as i32,
                Role::CustomerAgent as i32,
                acme.id.as_str(),
            )
        );

        // A bearer token on the same connection takes precedence over the certificate...
        let mut as_customer = Clients::new(channel.clone(), Some(&acme.customer.token)).admin();
        let me = as_customer
            .who_am_i(WhoAmIRequest {})
            .await
            .expect("the token authenticates");
        assert_eq!(
            me.into_inner().subject.expect("subject").subject_id,
            acme.customer.subject_id
        );
        // ...and a malformed one is refused even though the certificate is valid.
        let mut malformed = Clients::new(channel, Some("not-a-token")).admin();
        assert_status(
            malformed.who_am_i(WhoAmIRequest {}).await,
            Code::Unauthenticated,
            "CREDENTIAL_MALFORMED",
        );
    }

    async fn a_client_certificate_naming_no_known_subject_is_refused_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let unknown = subject_uri(SubjectId::new());
        let cases = [
            (
                "an unknown subject",
                unknown.as_str(),
                "CERTIFICATE_UNKNOWN_SUBJECT",
            ),
            (
                "no subject URI",
                "urn:example:someone-else",
                "CERTIFICATE_NO_SUBJECT",
            ),
            (
                "a subject URI without a UUID",
                "urn:supportgate:subject:carol",
                "CERTIFICATE_NO_SUBJECT",
            ),
        ];
        for (what, uri, reason) in cases {
            let (cert, key) = issue_client_certificate(&server.pki, "agent", uri)
                .expect("issue a client certificate");
            let channel = server.channel_with_certificate(&cert, &key).await;
            let (result, request_id) = who_am_i_on(channel).await;
            let status = match result {
                Ok(me) => panic!("{what}: expected UNAUTHENTICATED/{reason}, got {me:?}"),
                Err(status) => status,
            };
            assert_eq!(
                (status.code(), crate::harness::reason(&status).as_deref()),
                (Code::Unauthenticated, Some(reason)),
                "{what}: unexpected status {status:?}"
            );
            assert_logged_unauthenticated(
                server,
                &world.reviewer,
                "admin.whoami",
                &request_id,
                reason,
            )
            .await;
        }
    }

    async fn a_client_certificate_from_another_ca_is_refused_at_the_tls_layer(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let acme = &world.acme;
        let other = TestServer::start(backend).await;
        // It names a real subject of this gateway, but another CA signed it.
        let agent = SubjectId::parse(&acme.agent.subject_id).expect("subject id");
        let (cert, key) = issue_client_certificate(&other.pki, "agent", &subject_uri(agent))
            .expect("issue a client certificate from the other CA");

        let endpoint = Endpoint::from_shared(server.url())
            .expect("endpoint")
            .tls_config(tls_with_identity(server, &cert, &key))
            .expect("tls");
        match endpoint.connect().await {
            // The handshake was refused: nothing reached the gateway.
            Err(_) => {}
            // TLS 1.3 clients finish before the server judges their certificate: the first
            // call must fail instead.
            Ok(channel) => {
                let (result, _) = who_am_i_on(channel).await;
                assert!(
                    result.is_err(),
                    "a certificate from another CA authenticated: {result:?}"
                );
            }
        }

        // The listener is unharmed: the agent's genuine certificate still works.
        let (cert, key) = issue_client_certificate(&server.pki, "agent", &subject_uri(agent))
            .expect("issue a client certificate");
        let (me, _) = who_am_i_on(server.channel_with_certificate(&cert, &key).await).await;
        assert_eq!(
            me.expect("genuine certificate")
                .subject
                .expect("subject")
                .subject_id,
            acme.agent.subject_id
        );
    }

    async fn another_tenants_case_is_not_found_for_its_customer_and_engineer_and_the_attempt_is_logged(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let (acme, globex) = (&world.acme, &world.globex);
        let never_existed = uuid::Uuid::new_v4().to_string();

        for intruder in [&globex.customer, &globex.engineer] {
            let clients = server.as_actor(intruder).await;
            let foreign = clients
                .cases()
                .get_case(GetCaseRequest {
                    case_id: acme.case.clone(),
                    purpose: Purpose::ProvideSupport.into(),
                })
                .await;
            let foreign = assert_status(foreign, Code::NotFound, "NOT_FOUND");
            assert!(!foreign.message().contains("acme"), "{foreign:?}");

            // Indistinguishable from a case that never existed: no existence oracle.
            let missing = clients
                .cases()
                .get_case(GetCaseRequest {
                    case_id: never_existed.clone(),
                    purpose: Purpose::ProvideSupport.into(),
                })
                .await;
            let missing = assert_status(missing, Code::NotFound, "NOT_FOUND");
            assert_eq!(foreign.message(), missing.message());

            let contact = clients
                .contacts()
                .get_contact(GetContactRequest {
                    case_id: acme.case.clone(),
                    purpose: Purpose::ProvideSupport.into(),
                })
                .await;
            assert_status(contact, Code::NotFound, "NOT_FOUND");

            let listed = clients
                .cases()
                .list_cases(ListCasesRequest {
                    page_size: 500,
                    ..Default::default()
                })
                .await
                .expect("list own cases")
                .into_inner()
                .cases;
            assert!(
                listed.iter().all(|c| c.tenant_id == globex.id),
                "{listed:?}"
            );
            assert!(!listed
                .iter()
                .any(|c| c.case_id == acme.case || c.case_id == acme.opted_out_case));

            let attempts = world
                .log(ListEntriesRequest {
                    subject_id: intruder.subject_id.clone(),
                    action: "case.get".into(),
                    ..Default::default()
                })
                .await;
            let attempt = attempts
                .iter()
                .find(|e| e.resource_id == acme.case)
                .unwrap_or_else(|| {
                    panic!(
                        "no log entry of {} reading acme's case: {attempts:?}",
                        intruder.name
                    )
                });
            assert_eq!(
                (
                    attempt.decision,
                    attempt.reason.as_str(),
                    attempt.tenant_id.as_str(),
                    attempt.data_class,
                    attempt.purpose,
                ),
                (
                    Decision::Denied as i32,
                    "NOT_FOUND",
                    globex.id.as_str(),
                    DataClass::Customer as i32,
                    Purpose::ProvideSupport as i32,
                ),
                "{attempt:?}"
            );
            let contact_attempt = world
                .log(ListEntriesRequest {
                    subject_id: intruder.subject_id.clone(),
                    action: "contact.get".into(),
                    ..Default::default()
                })
                .await;
            assert!(
                contact_attempt
                    .iter()
                    .any(|e| e.decision == Decision::Denied as i32 && e.reason == "NOT_FOUND"),
                "the contact read attempt is not logged: {contact_attempt:?}"
            );
        }

        // Acme's case is untouched for those allowed to read it.
        assert_eq!(
            summary_as(server, &acme.engineer, &acme.case).await,
            ACME_SUMMARY
        );
    }

    async fn a_tenant_reviewer_sees_only_their_own_tenants_log(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let (acme, globex) = (&world.acme, &world.globex);
        // Something about acme is in the log.
        assert_eq!(
            summary_as(server, &acme.engineer, &acme.case).await,
            ACME_SUMMARY
        );

        let mut rita = server.as_actor(&globex.reviewer).await.log();
        let other = rita
            .list_entries(ListEntriesRequest {
                tenant_id: acme.id.clone(),
                ..Default::default()
            })
            .await;
        assert_status(other, Code::PermissionDenied, "OTHER_TENANT");
        let refusals = world
            .log(ListEntriesRequest {
                subject_id: globex.reviewer.subject_id.clone(),
                action: "log.list".into(),
                ..Default::default()
            })
            .await;
        assert!(
            refusals
                .iter()
                .any(|e| e.decision == Decision::Denied as i32 && e.reason == "OTHER_TENANT"),
            "the refusal is not logged: {refusals:?}"
        );

        // Unfiltered: own tenant only, and not empty.
        let own = server
            .as_actor(&globex.reviewer)
            .await
            .log_entries(ListEntriesRequest::default())
            .await;
        assert!(!own.is_empty(), "globex's reviewer sees nothing at all");
        let foreign: Vec<_> = own.iter().filter(|e| e.tenant_id != globex.id).collect();
        assert!(
            foreign.is_empty(),
            "entries of other tenants (or none): {foreign:?}"
        );
        assert!(own.iter().any(|e| e.case_id == globex.case));
        assert!(!own
            .iter()
            .any(|e| e.case_id == acme.case || e.resource_id == acme.case));

        // Filtering by acme's case shows nothing of acme's.
        let by_case = rita
            .list_entries(ListEntriesRequest {
                case_id: acme.case.clone(),
                ..Default::default()
            })
            .await
            .expect("filter by a case id")
            .into_inner()
            .entries;
        assert!(by_case.is_empty(), "{by_case:?}");
    }
}
