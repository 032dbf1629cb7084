//! Messages that are not what the RPC expects: malformed protobuf, messages over the
//! transport limit, and a request id that is not a UUID.

use bytes::Bytes;
use supportgate::proto::{GetCaseRequest, ListEntriesRequest, Purpose, Role};
use supportgate::server::Limits;
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::text::open_request;
use super::{
    assert_invalid, assert_refused, assert_unchanged, entries_by, list_cases, read_case, stored,
    unary,
};
use crate::harness::raw;
use crate::harness::world::{contact, open_case};
use crate::harness::{reason, TestServer, World};

backend_tests! {
    async fn malformed_protobuf_is_invalid_argument_malformed_message_and_changes_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let engineer = world.server.as_actor(&acme.engineer).await;

        let garbage: Vec<(&str, Vec<u8>)> = vec![
            ("invalid wire type", vec![0x0f, 0x01]),
            (
                "truncated length-delimited field",
                vec![0x0a, 0x10, b'V', b'P', b'N'],
            ),
            ("varint that never ends", vec![0xff; 11]),
            ("field number zero", vec![0x02, 0x01, b'x']),
            ("end group without a start", vec![0x0c]),
            ("random bytes", b"\xde\xad\xbe\xef\x00\x01\x02\x03".to_vec()),
            // The Rust-side equivalent of a lone surrogate: a string field holding an
            // encoded surrogate (ED A0 80), which is not UTF-8.
            (
                "string field holding a surrogate",
                vec![0x0a, 0x03, 0xed, 0xa0, 0x80],
            ),
            (
                "string field holding invalid UTF-8",
                vec![0x0a, 0x02, 0xc3, 0x28],
            ),
        ];
        let open = unary("/supportgate.v1.CaseService/OpenCase");
        let get = unary("/supportgate.v1.CaseService/GetCase");
        for (what, bytes) in &garbage {
            let result = raw::call(&customer, &open, Bytes::from(bytes.clone())).await;
            assert_refused(
                &format!("OpenCase, {what}"),
                result,
                Code::InvalidArgument,
                "MALFORMED_MESSAGE",
            );
            let result = raw::call(&engineer, &get, Bytes::from(bytes.clone())).await;
            assert_refused(
                &format!("GetCase, {what}"),
                result,
                Code::InvalidArgument,
                "MALFORMED_MESSAGE",
            );
        }
        // A case id field holding an encoded surrogate, with a valid purpose after it.
        let mut surrogate_id = vec![0x0a, 0x03, 0xed, 0xa0, 0x80];
        surrogate_id.extend([0x10, Purpose::ProvideSupport as u8]);
        let result = raw::call(&engineer, &get, Bytes::from(surrogate_id)).await;
        assert_refused(
            "GetCase, surrogate in case_id",
            result,
            Code::InvalidArgument,
            "MALFORMED_MESSAGE",
        );

        // An empty message is valid protobuf: it is refused for what it lacks.
        let result = raw::call(&customer, &open, Bytes::new()).await;
        assert_refused(
            "OpenCase, empty message",
            result,
            Code::InvalidArgument,
            "FIELD_REQUIRED",
        );
        let result = raw::call(&engineer, &get, Bytes::new()).await;
        assert_refused(
            "GetCase, empty message",
            result,
            Code::InvalidArgument,
            "FIELD_REQUIRED",
        );

        assert_unchanged(&world, &before, "malformed messages").await;
        let opens = entries_by(&world, &acme.customer, "case.open").await;
        assert_eq!(
            opens.len(),
            2,
            "only the world's two cases were ever opened: {opens:?}"
        );
    }

    async fn an_oversized_message_is_resource_exhausted_and_changes_nothing(backend: Backend) {
        let limits = Limits {
            max_message_bytes: 64 * 1024,
            ..Default::default()
        };
        let server = TestServer::start_with(backend, limits).await;
        let tenant = server.create_tenant("acme").await;
        let carol = server
            .create_subject(Some(&tenant), Role::Customer, "carol")
            .await;
        let case = open_case(
            &server,
            &carol,
            None,
            "VPN drops every hour",
            "carol@acme.example",
        )
        .await;
        let before = (
            read_case(&server, &carol, &case).await,
            list_cases(&server, &carol).await,
        );
        let clients = server.as_actor(&carol).await;

        let oversized = open_request(
            &"x".repeat(100 * 1024),
            contact("Carol Smith", "new@acme.example"),
        );
        let status = clients
            .cases()
            .open_case(oversized)
            .await
            .expect_err("a 100 KB message over a 64 KB limit");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert_eq!(reason(&status).as_deref(), Some("MESSAGE_TOO_LARGE"), "{status:?}");

        let status = raw::call(
            &clients,
            &unary("/supportgate.v1.CaseService/GetCase"),
            Bytes::from(vec![0x0a; 100 * 1024]),
        )
        .await
        .expect_err("100 KB of bytes over a 64 KB limit");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

        // Under the transport limit, the field's own limit applies.
        let long = open_request(
            &"x".repeat(60 * 1024),
            contact("Carol Smith", "new@acme.example"),
        );
        assert_invalid(
            "60 KB summary",
            clients.cases().open_case(long).await,
            "INVALID_FIELD",
            "summary",
        );

        let after = (
            read_case(&server, &carol, &case).await,
            list_cases(&server, &carol).await,
        );
        assert_eq!(after, before);
        assert_eq!(after.1.len(), 1);
    }

    async fn a_hostile_request_id_is_replaced_and_never_logged_as_given(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let mut engineer = world.server.as_actor(&acme.engineer).await.cases();
        let hostile = "x'; DROP TABLE access_log; -- \u{202E}";
        let mut request = tonic::Request::new(GetCaseRequest {
            case_id: acme.case.clone(),
            purpose: Purpose::ProvideSupport.into(),
        });
        let value = tonic::metadata::MetadataValue::try_from(hostile.as_bytes())
            .expect("a legal header value");
        request.metadata_mut().insert("x-request-id", value);
        let response = engineer
            .get_case(request)
            .await
            .expect("the read itself is allowed");
        let echoed = response
            .metadata()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("the response names its request id")
            .to_owned();
        assert!(
            uuid::Uuid::try_parse(&echoed).is_ok(),
            "not a fresh UUID: {echoed:?}"
        );
        assert_eq!(response.into_inner().summary, "acme: VPN drops every hour");

        let entry = world.last_entry(&acme.engineer, &acme.case).await;
        assert_eq!(entry.request_id, echoed);
        let everything = world.log(ListEntriesRequest::default()).await;
        assert!(
            everything.iter().all(|e| !e.request_id.contains("DROP")),
            "the hostile request id reached the log"
        );
    }
}
