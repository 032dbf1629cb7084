//! Consent scopes on the command line (`view`, `control`, `file_transfer`) and the
//! checks both ends of a live session make on the scopes in force.

use clap::ValueEnum;

use crate::proto::ConsentScope;

/// A capability an engineer asks for, or a customer consents to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ScopeArg {
    /// See the shared terminal's output and chat
    View,
    /// Type into the shared terminal (implies view)
    Control,
    /// Open a transfer workspace for files collected during the session
    #[value(alias = "file-transfer")]
    FileTransfer,
}

impl ScopeArg {
    /// The wire value.
    pub fn to_proto(self) -> ConsentScope {
        match self {
            Self::View => ConsentScope::View,
            Self::Control => ConsentScope::Control,
            Self::FileTransfer => ConsentScope::FileTransfer,
        }
    }
}

/// The wire values of `scopes`, in a stable order and without duplicates.
pub fn to_wire(scopes: &[ScopeArg]) -> Vec<i32> {
    let mut sorted = scopes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
        .into_iter()
        .map(|scope| scope.to_proto() as i32)
        .collect()
}

/// The lowercase names of wire scopes (`view`, `control`, `file_transfer`); a number
/// this client does not know shows as `unknown_<n>`.
pub fn names(scopes: &[i32]) -> Vec<String> {
    scopes
        .iter()
        .filter_map(|&raw| {
            super::super::output::enum_name(
                ConsentScope::try_from(raw).ok().map(|s| s.as_str_name()),
                "CONSENT_SCOPE_",
                raw,
            )
        })
        .collect()
}

/// Whether the scopes in force let the engineer type into the shared terminal.
///
/// Only an explicit CONTROL scope does: VIEW, FILE_TRANSFER, an empty list or values
/// this client does not know never allow input.
pub fn allows_control(scopes: &[i32]) -> bool {
    scopes.contains(&(ConsentScope::Control as i32))
}
