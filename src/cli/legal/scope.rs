//! The scope of a compulsion on the command line: `--scope case:C,file:F,…`,
//! `--kinds`, and the recipient key file, each checked before anything is sent.
//!
//! ## How entries become a `LegalScope`
//! The wire scope is a conjunction (cases ∧ kinds ∧ item ids ∧ time window), while
//! counsel thinks in items named by the order. The mapping, as docs/LEGAL.md states
//! it:
//! * `case:C` names the case; alone, it means the case, its files and its recordings
//!   (kinds CASE, FILE, RECORDING);
//! * `file:F` and `recording:R` narrow the scope to exactly those items (their ids go
//!   to `item_ids`, their kinds to `item_kinds`, and no CASE kind is added);
//! * `contact:C` adds the contact of case C (kind CONTACT, C to `case_ids`).
//!
//! `--kinds` replaces the kinds so derived. The tenant is left empty: the gateway
//! takes the request's tenant, and refuses a scope reaching outside it.

use std::path::Path;

use clap::ValueEnum;

use super::super::args::parse_id;
use super::super::error::CliError;
use crate::proto::{LegalItemKind, LegalScope};

/// One entry of `--scope`: a kind of item and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeEntry {
    /// `case:ID`: a case (with its files and recordings unless narrowed).
    Case(String),
    /// `contact:ID`: the contact of the case ID.
    Contact(String),
    /// `file:ID`: one uploaded file.
    File(String),
    /// `recording:ID`: one recording.
    Recording(String),
}

/// Parses one `--scope` entry, `KIND:ID`, with the id canonicalised.
pub fn parse_scope_entry(value: &str) -> Result<ScopeEntry, String> {
    let value = value.trim();
    let Some((kind, id)) = value.split_once(':') else {
        return Err(format!(
            "'{value}' is not a scope entry; expected KIND:ID with KIND one of case, \
             contact, file, recording (e.g. case:7f1c7d5e-…)"
        ));
    };
    let id = parse_id(id)?;
    match kind.trim().to_ascii_lowercase().as_str() {
        "case" => Ok(ScopeEntry::Case(id)),
        "contact" => Ok(ScopeEntry::Contact(id)),
        "file" => Ok(ScopeEntry::File(id)),
        "recording" => Ok(ScopeEntry::Recording(id)),
        other => Err(format!(
            "'{other}' is not a scope kind; expected case, contact, file or recording"
        )),
    }
}

/// A kind of item an order names, for `--kinds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum ItemKindArg {
    /// A case's metadata and summary
    Case,
    /// A case's contact
    Contact,
    /// Uploaded files
    File,
    /// Recordings
    Recording,
}

impl ItemKindArg {
    /// The wire value.
    pub fn to_proto(self) -> LegalItemKind {
        match self {
            Self::Case => LegalItemKind::Case,
            Self::Contact => LegalItemKind::Contact,
            Self::File => LegalItemKind::File,
            Self::Recording => LegalItemKind::Recording,
        }
    }
}

/// The wire scope of `entries`, with `kinds` (when given) replacing the kinds the
/// entries imply; see the module docs. The time window is the caller's to add.
pub fn build_scope(entries: &[ScopeEntry], kinds: Option<&[ItemKindArg]>) -> LegalScope {
    let mut case_ids: Vec<String> = Vec::new();
    let mut item_ids: Vec<String> = Vec::new();
    let mut implied: Vec<ItemKindArg> = Vec::new();
    let mut names_items = false;
    let mut names_cases = false;
    for entry in entries {
        match entry {
            ScopeEntry::Case(id) => {
                push_unique(&mut case_ids, id);
                names_cases = true;
            }
            ScopeEntry::Contact(id) => {
                push_unique(&mut case_ids, id);
                implied.push(ItemKindArg::Contact);
            }
            ScopeEntry::File(id) => {
                push_unique(&mut item_ids, id);
                implied.push(ItemKindArg::File);
                names_items = true;
            }
            ScopeEntry::Recording(id) => {
                push_unique(&mut item_ids, id);
                implied.push(ItemKindArg::Recording);
                names_items = true;
            }
        }
    }
    if names_cases && !names_items {
        implied.extend([ItemKindArg::Case, ItemKindArg::File, ItemKindArg::Recording]);
    }
    let mut kinds = kinds.map_or(implied, <[ItemKindArg]>::to_vec);
    kinds.sort_unstable();
    kinds.dedup();
    LegalScope {
        tenant_id: String::new(),
        case_ids,
        item_kinds: kinds.into_iter().map(|k| k.to_proto() as i32).collect(),
        item_ids,
        since: None,
        until: None,
    }
}

/// Appends `id` unless it is already there, keeping the order given.
fn push_unique(ids: &mut Vec<String>, id: &str) {
    if !ids.iter().any(|known| known == id) {
        ids.push(id.to_owned());
    }
}

/// The age recipient in `text`: the one line that is not blank and not a `#`
/// comment, which must start with `age1`.
///
/// ## Why an identity is refused loudly
/// `age-keygen` writes the private key (`AGE-SECRET-KEY-1…`) with the public key
/// only in a comment. Sending that file's key line would hand the gateway the very
/// key that opens the production, so it is refused before any call.
pub fn parse_recipient(text: &str) -> Result<String, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let secret = |line: &&str| line.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-");
    if lines.iter().any(secret) {
        return Err(
            "holds an age identity (a private key); pass the recipient instead, \
                    e.g. the output of `age-keygen -y`"
                .to_owned(),
        );
    }
    match lines.as_slice() {
        [] => Err("holds no age recipient (a line starting with age1)".to_owned()),
        [line] if line.starts_with("age1") && !line.contains(char::is_whitespace) => {
            Ok((*line).to_owned())
        }
        [_] => Err("does not hold an age X25519 recipient (a line starting with age1)".to_owned()),
        _ => Err(format!(
            "holds {} lines; an order has exactly one recipient",
            lines.len()
        )),
    }
}

/// Reads the recipient from `path` (a usage error when unreadable or malformed).
pub fn read_recipient(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| CliError::usage(format!("cannot read {}: {err}", path.display())))?;
    parse_recipient(&text).map_err(|reason| CliError::usage(format!("{} {reason}", path.display())))
}
