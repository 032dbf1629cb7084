//! `supportgate log verify`: on the gateway, or offline from a bundle and a public key.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use supportgate_audit::{hex, Report, SignatureCheck};
use supportgate_service::TrustedKeys;

use super::super::connect::Clients;
use super::super::error::CliError;
use super::super::output::{emit, key_values};
use super::super::OutputFormat;
use crate::bundle::verify_bundle;
use crate::proto::{self, SequenceRange, VerifyRequest};

/// What to verify.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// First sequence number (default: the first entry)
    #[arg(long, value_name = "SEQ", conflicts_with = "bundle")]
    from: Option<u64>,
    /// Last sequence number (default: the head)
    #[arg(long, value_name = "SEQ", conflicts_with = "bundle")]
    to: Option<u64>,
    /// Verify this export bundle offline instead of asking the gateway
    #[arg(long, value_name = "FILE", requires = "public_key")]
    bundle: Option<PathBuf>,
    /// The gateway's public key (PEM, from `log public-key`) to trust for --bundle
    #[arg(long, value_name = "FILE", requires = "bundle")]
    public_key: Option<PathBuf>,
}

impl VerifyArgs {
    /// Offline: a bundle was given.
    pub fn is_offline(&self) -> bool {
        self.bundle.is_some()
    }
}

/// One problem, as printed.
#[derive(Debug, Serialize)]
struct ProblemView {
    sequence: u64,
    kind: String,
    detail: String,
}

/// The verdict, as printed.
#[derive(Debug, Serialize)]
struct VerdictView {
    ok: bool,
    from_sequence: u64,
    to_sequence: u64,
    entries_checked: u64,
    checkpoints_checked: u64,
    last_checkpoint: Option<u64>,
    /// Offline only: the hash of the last entry (hex), to compare with a checkpoint kept
    /// elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    head_hash: Option<String>,
    /// Offline only: the bundle's signature over every byte.
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle_signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
    problems: Vec<ProblemView>,
}

fn kind_name(kind: i32) -> String {
    proto::VerifyProblemKind::try_from(kind)
        .map(|k| {
            k.as_str_name()
                .trim_start_matches("VERIFY_PROBLEM_KIND_")
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|_| kind.to_string())
}

fn table(view: &VerdictView) -> String {
    let mut pairs = vec![
        (
            "result",
            if view.ok {
                "ok".to_owned()
            } else {
                "FAILED".to_owned()
            },
        ),
        (
            "range",
            format!("{} to {}", view.from_sequence, view.to_sequence),
        ),
        ("entries checked", view.entries_checked.to_string()),
        ("checkpoints checked", view.checkpoints_checked.to_string()),
        (
            "last valid checkpoint",
            view.last_checkpoint
                .map_or("-".to_owned(), |s| s.to_string()),
        ),
    ];
    if let Some(head) = &view.head_hash {
        pairs.push(("head hash", head.clone()));
    }
    if let Some(signature) = &view.bundle_signature {
        pairs.push(("bundle signature", signature.clone()));
    }
    if let Some(tenant) = &view.tenant_id {
        pairs.push(("tenant", tenant.clone()));
    }
    let mut text = key_values(&pairs);
    for p in &view.problems {
        text.push_str(&format!(
            "problem at {}: {}: {}\n",
            p.sequence, p.kind, p.detail
        ));
    }
    text
}

/// Prints the verdict; a failed verification is an error (exit 1) naming the first problem.
fn conclude(view: VerdictView, out: OutputFormat) -> Result<(), CliError> {
    emit(out, &view, table)?;
    match view.problems.first() {
        _ if view.ok => Ok(()),
        Some(first) => Err(CliError::failed(format!(
            "verification failed: {} at entry {}: {}",
            first.kind, first.sequence, first.detail
        ))),
        None => Err(CliError::failed(format!(
            "verification failed: the bundle signature is {}",
            view.bundle_signature.as_deref().unwrap_or("invalid")
        ))),
    }
}

/// Asks the gateway to verify its log.
pub async fn online(
    clients: &Clients,
    out: OutputFormat,
    args: &VerifyArgs,
) -> Result<(), CliError> {
    let range = SequenceRange {
        from_sequence: args.from.unwrap_or(0),
        to_sequence: args.to.unwrap_or(0),
    };
    let answer = clients
        .access_log()
        .verify(VerifyRequest { range: Some(range) })
        .await?
        .into_inner();
    let range = answer.range.unwrap_or_default();
    let view = VerdictView {
        ok: answer.ok,
        from_sequence: range.from_sequence,
        to_sequence: range.to_sequence,
        entries_checked: answer.entries_checked,
        checkpoints_checked: answer.checkpoints_checked,
        last_checkpoint: answer.last_checkpoint.map(|c| c.sequence),
        head_hash: None,
        bundle_signature: None,
        tenant_id: None,
        problems: answer
            .problems
            .into_iter()
            .map(|p| ProblemView {
                sequence: p.sequence,
                kind: kind_name(p.kind),
                detail: p.detail,
            })
            .collect(),
    };
    conclude(view, out)
}

fn read_public_key(path: &PathBuf) -> Result<[u8; 32], CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read public key {}: {e}", path.display())))?;
    supportgate_crypto::parse_public_key_pem(&text)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

fn problem_view(report: &Report) -> Vec<ProblemView> {
    report
        .problems
        .iter()
        .map(|p| ProblemView {
            sequence: p.sequence,
            kind: format!("{:?}", p.kind)
                .chars()
                .fold(String::new(), |mut s, c| {
                    if c.is_uppercase() && !s.is_empty() {
                        s.push('_');
                    }
                    s.push(c.to_ascii_lowercase());
                    s
                }),
            detail: p.detail.clone(),
        })
        .collect()
}

/// Verifies a bundle with the public key alone.
pub fn offline(args: &VerifyArgs, out: OutputFormat) -> Result<(), CliError> {
    let (Some(bundle), Some(key_path)) = (&args.bundle, &args.public_key) else {
        return Err(CliError::usage("--bundle and --public-key go together"));
    };
    let trusted = TrustedKeys::default().with(read_public_key(key_path)?);
    let file = std::fs::File::open(bundle)
        .map_err(|e| CliError::usage(format!("cannot open bundle {}: {e}", bundle.display())))?;
    let verdict = verify_bundle(std::io::BufReader::new(file), &trusted).map_err(|e| {
        CliError::failed(format!("verification failed: {}", crate::error_chain(&e)))
    })?;
    let signature = match verdict.signature {
        SignatureCheck::Valid => "valid".to_owned(),
        SignatureCheck::Invalid => format!("INVALID (key {})", verdict.key_id),
        SignatureCheck::UnknownKey => {
            format!("by key {}, which is not the key given", verdict.key_id)
        }
    };
    let report = &verdict.report;
    let view = VerdictView {
        ok: verdict.ok(),
        from_sequence: report.first_sequence.unwrap_or_default(),
        to_sequence: report.last_sequence.unwrap_or_default(),
        entries_checked: report.entries_checked,
        checkpoints_checked: report.checkpoints_checked,
        last_checkpoint: report.last_valid_checkpoint.as_ref().map(|c| c.sequence),
        head_hash: report.head_hash.map(|h| hex(&h)),
        bundle_signature: Some(signature),
        tenant_id: verdict.tenant.map(|t| t.to_string()),
        problems: problem_view(report),
    };
    conclude(view, out)
}
