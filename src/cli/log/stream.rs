//! `supportgate log stream`: entries as they are read (and, with --follow, as they are
//! committed), one line each; JSON Lines with --output json.

use clap::Args;
use serde::Serialize;

use super::super::args::{parse_id, parse_time, DecisionArg, PurposeArg};
use super::super::connect::Clients;
use super::super::error::CliError;
use super::super::output::{cell, hex, rfc3339};
use super::super::view::EntryView;
use super::super::OutputFormat;
use crate::proto::{stream_entries_response::Item, Decision, Purpose, StreamEntriesRequest};

/// Filters of `log stream`.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Only entries about this tenant id
    #[arg(long, value_parser = parse_id)]
    tenant: Option<String>,
    /// Only entries about this case id
    #[arg(long, value_parser = parse_id)]
    case: Option<String>,
    /// Only entries made by this subject id
    #[arg(long, value_parser = parse_id)]
    subject: Option<String>,
    /// Only this action, e.g. case.get
    #[arg(long)]
    action: Option<String>,
    /// Only entries naming this purpose
    #[arg(long, value_enum, ignore_case = true)]
    purpose: Option<PurposeArg>,
    /// Only entries with this decision
    #[arg(long, value_enum, ignore_case = true)]
    decision: Option<DecisionArg>,
    /// Only entries at or after this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    since: Option<prost_types::Timestamp>,
    /// Only entries before this time (RFC 3339)
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    until: Option<prost_types::Timestamp>,
    /// Start at this sequence number
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    from: u64,
    /// Keep streaming new entries until interrupted
    #[arg(long)]
    follow: bool,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Entry(Box<EntryView>),
    Checkpoint {
        sequence: u64,
        head_hash: Option<String>,
        time: Option<String>,
        key_id: String,
    },
}

/// Prints the stream until it ends (or forever with --follow).
pub async fn run(clients: &Clients, out: OutputFormat, args: &StreamArgs) -> Result<(), CliError> {
    let request = StreamEntriesRequest {
        tenant_id: args.tenant.clone().unwrap_or_default(),
        case_id: args.case.clone().unwrap_or_default(),
        subject_id: args.subject.clone().unwrap_or_default(),
        action: args.action.clone().unwrap_or_default(),
        purpose: args
            .purpose
            .map_or(Purpose::Unspecified, PurposeArg::to_proto)
            .into(),
        decision: args
            .decision
            .map_or(Decision::Unspecified, DecisionArg::to_proto)
            .into(),
        since: args.since,
        until: args.until,
        from_sequence: args.from,
        follow: args.follow,
    };
    let mut stream = clients
        .access_log()
        .stream_entries(request)
        .await?
        .into_inner();
    while let Some(message) = stream.message().await? {
        let line = match message.item {
            Some(Item::Entry(entry)) => Line::Entry(Box::new(EntryView::from(&entry))),
            Some(Item::Checkpoint(c)) => Line::Checkpoint {
                sequence: c.sequence,
                head_hash: hex(&c.head_hash),
                time: rfc3339(c.time.as_ref()),
                key_id: c.key_id,
            },
            None => continue,
        };
        let text = match out {
            OutputFormat::Json => {
                serde_json::to_string(&line).map_err(|e| CliError::failed(e.to_string()))?
            }
            OutputFormat::Table => render(&line),
        };
        println!("{text}");
    }
    Ok(())
}

fn render(line: &Line) -> String {
    match line {
        Line::Entry(e) => [
            e.sequence.to_string(),
            cell(e.time.as_ref()),
            cell(e.subject_id.as_ref()),
            cell(e.role.as_ref()),
            e.action.clone(),
            cell(e.case_id.as_ref()),
            cell(e.purpose.as_ref()),
            cell(e.decision.as_ref()),
            cell(e.reason.as_ref()),
        ]
        .join("  "),
        Line::Checkpoint {
            sequence,
            head_hash,
            key_id,
            ..
        } => {
            format!(
                "checkpoint {sequence}  head {}  key {key_id}",
                cell(head_hash.as_ref())
            )
        }
    }
}
