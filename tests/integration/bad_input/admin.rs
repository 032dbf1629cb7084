//! Bad input to the operator's RPCs: hostile tenant and subject names, unknown roles,
//! and a credential lifetime out of range; nothing is created by a refused request.

use supportgate::proto::{CreateSubjectRequest, CreateTenantRequest, ListSubjectsRequest, Role};
use supportgate_testkit::{backend_tests, Backend};
use tonic::Code;

use super::text::hostile_single_line;
use super::{assert_invalid, assert_refused, subjects, tenants};
use crate::harness::World;

backend_tests! {
    async fn an_unknown_role_value_is_invalid_argument_and_creates_no_subject(backend: Backend) {
        let world = World::build(backend).await;
        let before = subjects(&world.server).await;
        let mut admin = world.server.admin().await.admin();

        for (value, reason_code) in [
            (99, "ROLE_UNKNOWN"),
            (11, "ROLE_UNKNOWN"),
            (-1, "ROLE_UNKNOWN"),
            (0, "FIELD_REQUIRED"),
        ] {
            let r = admin
                .create_subject(CreateSubjectRequest {
                    tenant_id: world.acme.id.clone(),
                    role: value,
                    name: format!("mallory-{}", value.unsigned_abs()),
                    credential_ttl_seconds: 0,
                })
                .await;
            assert_invalid(&format!("role {value}"), r, reason_code, "role");
        }
        let r = admin
            .list_subjects(ListSubjectsRequest {
                role: 99,
                ..Default::default()
            })
            .await;
        assert_invalid("list subjects by role 99", r, "ROLE_UNKNOWN", "role");

        assert_eq!(subjects(&world.server).await, before);
    }

    async fn hostile_tenant_names_are_refused_precisely_and_create_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let before = tenants(&world.server).await;
        let mut admin = world.server.admin().await.admin();

        let mut names: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            ("blank", "   ".into()),
            ("a space", "acme corp".into()),
            ("capitals", "ACME".into()),
            ("a leading hyphen", "-acme".into()),
            ("an underscore", "acme_corp".into()),
            ("a dot", "acme.example".into()),
            ("non-ASCII", "ácme".into()),
            ("SQL", "'; DROP TABLE tenants; --".into()),
            ("64 characters", "a".repeat(64)),
        ];
        for (what, v) in hostile_single_line() {
            names.push((what, format!("acme{v}")));
        }
        for (what, name) in names {
            let r = admin.create_tenant(CreateTenantRequest { name }).await;
            assert_invalid(
                &format!("tenant name: {what}"),
                r,
                "INVALID_FIELD",
                "tenant name",
            );
        }
        for name in ["acme", " acme "] {
            let r = admin
                .create_tenant(CreateTenantRequest { name: name.into() })
                .await;
            assert_refused(
                &format!("duplicate {name:?}"),
                r,
                Code::AlreadyExists,
                "ALREADY_EXISTS",
            );
        }
        assert_eq!(tenants(&world.server).await, before);

        // The edges of the rule are accepted as given.
        for name in ["a".repeat(63), "9lives".into(), "0-a-".into()] {
            let created = admin
                .create_tenant(CreateTenantRequest { name: name.clone() })
                .await;
            assert_eq!(
                created.expect("a valid tenant name").into_inner().name,
                name
            );
        }
        assert_eq!(tenants(&world.server).await.len(), before.len() + 3);
    }

    async fn hostile_subject_names_are_refused_precisely_and_create_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let before = subjects(&world.server).await;
        let mut admin = world.server.admin().await.admin();
        let request = |name: String| CreateSubjectRequest {
            tenant_id: world.acme.id.clone(),
            role: Role::Customer.into(),
            name,
            credential_ttl_seconds: 0,
        };

        let mut names: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            ("blank", "   ".into()),
            ("a space", "carol smith".into()),
            ("shell", "carol; rm -rf /".into()),
            ("SQL", "'; DROP TABLE subjects; --".into()),
            ("non-ASCII", "zoë".into()),
            ("a slash", "acme/carol".into()),
            ("65 characters", "c".repeat(65)),
        ];
        for (what, v) in hostile_single_line() {
            names.push((what, format!("carol{v}")));
        }
        for (what, name) in names {
            let r = admin.create_subject(request(name)).await;
            assert_invalid(
                &format!("subject name: {what}"),
                r,
                "INVALID_FIELD",
                "subject name",
            );
        }
        let r = admin.create_subject(request("acme-customer".into())).await;
        assert_refused(
            "duplicate name in the tenant",
            r,
            Code::AlreadyExists,
            "ALREADY_EXISTS",
        );
        let r = admin
            .create_subject(CreateSubjectRequest {
                tenant_id: String::new(),
                ..request("carol-2".into())
            })
            .await;
        assert_refused(
            "customer without a tenant",
            r,
            Code::InvalidArgument,
            "TENANT_REQUIRED",
        );
        assert_eq!(subjects(&world.server).await, before);

        // The edges of the rule are accepted as given.
        let edge = "o.brien_x-1@acme".to_owned();
        let created = admin
            .create_subject(request(edge.clone()))
            .await
            .expect("a valid subject name");
        assert_eq!(created.into_inner().subject.expect("subject").name, edge);
        let longest = "c".repeat(64);
        let created = admin
            .create_subject(request(longest.clone()))
            .await
            .expect("64 characters");
        assert_eq!(created.into_inner().subject.expect("subject").name, longest);
    }
}

backend_tests! {
    async fn a_refused_credential_lifetime_creates_no_subject(backend: Backend) {
        a_refused_credential_lifetime_creates_no_subject_body(backend).await
    }
}

async fn a_refused_credential_lifetime_creates_no_subject_body(backend: Backend) {
    let world = World::build(backend).await;
    let before = subjects(&world.server).await;
    let mut admin = world.server.admin().await.admin();

    let r = admin
        .create_subject(CreateSubjectRequest {
            tenant_id: world.acme.id.clone(),
            role: Role::Customer.into(),
            name: "carol-forever".into(),
            credential_ttl_seconds: u32::MAX,
        })
        .await;
    assert_refused(
        "a 136-year credential",
        r,
        Code::InvalidArgument,
        "CREDENTIAL_TTL_OUT_OF_RANGE",
    );

    let after = subjects(&world.server).await;
    let stray: Vec<_> = after.iter().filter(|s| !before.contains(s)).collect();
    assert!(
        stray.is_empty(),
        "the refused request left a subject behind: {stray:?}"
    );
    // The same request with a valid lifetime then succeeds (the name is still free).
    let r = admin
        .create_subject(CreateSubjectRequest {
            tenant_id: world.acme.id.clone(),
            role: Role::Customer.into(),
            name: "carol-forever".into(),
            credential_ttl_seconds: 3600,
        })
        .await;
    r.expect("the name was never taken");
}
