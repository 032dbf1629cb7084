//! Reading the log: a customer sees who accessed their cases, and nothing else;
//! StreamEntries sends the matching entries and ends, or with `follow` keeps sending new
//! ones as they are committed.

use supportgate::proto::stream_entries_response::Item;
use supportgate::proto::{AccessLogEntry, Decision, ListEntriesRequest, StreamEntriesRequest};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{activity, read_case, Cli, WAIT};
use crate::harness::{assert_status, World};

/// The next entry of a stream (checkpoints skipped); `None` when the stream ended.
async fn next_entry(
    stream: &mut tonic::Streaming<supportgate::proto::StreamEntriesResponse>,
) -> Option<AccessLogEntry> {
    loop {
        let message = tokio::time::timeout(WAIT, stream.message())
            .await
            .expect("the stream stalled")
            .expect("the stream failed");
        match message?.item {
            Some(Item::Entry(entry)) => return Some(entry),
            Some(Item::Checkpoint(_)) => continue,
            None => panic!("an empty stream message"),
        }
    }
}

backend_tests! {
    async fn a_customer_sees_who_accessed_their_cases_and_nothing_else(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let (view, request_id) = read_case(&world.server, &acme.engineer, &acme.case).await;
        view.expect("the assigned engineer reads the case");

        let customer = world.server.as_actor(&acme.customer).await;
        let seen = customer.log_entries(ListEntriesRequest::default()).await;
        let read = seen
            .iter()
            .find(|e| e.request_id == request_id)
            .unwrap_or_else(|| panic!("the customer does not see the engineer's read: {seen:?}"));
        assert_eq!(
            (read.action.as_str(), read.subject_id.as_str(), read.case_id.as_str(), read.decision),
            ("case.get", acme.engineer.subject_id.as_str(), acme.case.as_str(), Decision::Allowed as i32)
        );
        let acme_cases = [acme.case.as_str(), acme.opted_out_case.as_str()];
        for entry in &seen {
            assert_eq!(entry.tenant_id, acme.id, "another tenant's entry: {entry:?}");
            assert!(acme_cases.contains(&entry.case_id.as_str()), "not about an acme case: {entry:?}");
        }
        let text = format!("{seen:?}");
        for id in [&globex.id, &globex.case, &globex.opted_out_case, &globex.engineer.subject_id] {
            assert!(!text.contains(id.as_str()), "globex's {id} shows in acme's log");
        }
        // Exactly the entries about acme's cases, as the provider's reviewer sees them.
        let expected: Vec<AccessLogEntry> = world
            .log(ListEntriesRequest { tenant_id: acme.id.clone(), ..Default::default() })
            .await
            .into_iter()
            .filter(|e| !e.case_id.is_empty())
            .collect();
        assert_eq!(seen, expected, "the customer's view is every entry about their cases");

        let refused = customer
            .log()
            .list_entries(ListEntriesRequest { tenant_id: globex.id.clone(), ..Default::default() })
            .await;
        assert_status(refused, Code::PermissionDenied, "OTHER_TENANT");
        let other_case = customer.log_entries(ListEntriesRequest { case_id: globex.case.clone(), ..Default::default() }).await;
        assert!(other_case.is_empty(), "globex's case through a filter: {other_case:?}");

        let cli = Cli::new(&world.server);
        let json: serde_json::Value = serde_json::from_str(
            &cli.ok(&acme.customer, &["log", "list", "--output", "json"]).await,
        )
        .expect("one JSON value");
        let rows = json.as_array().expect("an array of entries");
        assert!(
            rows.iter().any(|r| r["request_id"] == request_id.as_str()
                && r["action"] == "case.get"
                && r["subject_id"] == acme.engineer.subject_id.as_str()),
            "the engineer's read in `log list`: {json}"
        );
        for row in rows {
            assert_eq!(row["tenant_id"], acme.id.as_str(), "{row}");
            assert!(acme_cases.iter().any(|c| row["case_id"] == *c), "not about an acme case: {row}");
        }
        let table = cli.ok(&acme.customer, &["log", "list"]).await;
        assert!(table.contains("case.get") && !table.contains(&globex.id), "{table}");
    }

    async fn stream_entries_sends_the_matching_entries_and_ends(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let filter = ListEntriesRequest { case_id: world.acme.case.clone(), ..Default::default() };
        let listed = world.log(filter).await;
        assert!(listed.len() >= 3, "{listed:?}");

        let mut log = world.server.as_actor(&world.reviewer).await.log();
        let request = StreamEntriesRequest { case_id: world.acme.case.clone(), ..Default::default() };
        let mut stream = log.stream_entries(request).await.expect("stream").into_inner();
        let mut streamed = Vec::new();
        while let Some(entry) = next_entry(&mut stream).await {
            streamed.push(entry);
        }
        assert_eq!(streamed, listed, "the stream is the listing");

        let from = listed[1].sequence;
        let request = StreamEntriesRequest {
            case_id: world.acme.case.clone(),
            from_sequence: from,
            ..Default::default()
        };
        let mut stream = log.stream_entries(request).await.expect("stream").into_inner();
        let mut streamed = Vec::new();
        while let Some(entry) = next_entry(&mut stream).await {
            streamed.push(entry);
        }
        assert_eq!(streamed, listed[1..], "from_sequence is inclusive");
    }

    async fn following_the_stream_delivers_an_access_made_after_it_started(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let acme = &world.acme;
        let listed = world.log(ListEntriesRequest { case_id: acme.case.clone(), ..Default::default() }).await;

        let mut log = world.server.as_actor(&world.reviewer).await.log();
        let request = StreamEntriesRequest { case_id: acme.case.clone(), follow: true, ..Default::default() };
        let mut stream = log.stream_entries(request).await.expect("stream").into_inner();
        for expected in &listed {
            let entry = next_entry(&mut stream).await.expect("the stream follows");
            assert_eq!(&entry, expected);
        }

        let (view, request_id) = read_case(&world.server, &acme.engineer, &acme.case).await;
        view.expect("the engineer reads the case");
        // A case view holds the case and its contact: one entry for each.
        let first = next_entry(&mut stream).await.expect("the stream is still open");
        let second = next_entry(&mut stream).await.expect("the stream is still open");
        for entry in [&first, &second] {
            assert_eq!(
                (entry.request_id.as_str(), entry.subject_id.as_str()),
                (request_id.as_str(), acme.engineer.subject_id.as_str()),
                "the new access arrives next: {entry:?}"
            );
        }
        let mut actions = [first.action.as_str(), second.action.as_str()];
        actions.sort_unstable();
        assert_eq!(actions, ["case.get", "case.get.contact"]);
        assert!(first.sequence > listed.last().expect("entries").sequence);

        // Other cases' entries do not arrive on a stream about this one.
        let (view, _) = read_case(&world.server, &acme.engineer, &acme.opted_out_case).await;
        view.expect("the engineer reads the other case");
        let (view, again) = read_case(&world.server, &acme.engineer, &acme.case).await;
        view.expect("the engineer reads the case again");
        let entry = next_entry(&mut stream).await.expect("the stream is still open");
        assert_eq!(entry.request_id, again, "only entries about the case: {entry:?}");
    }
}
