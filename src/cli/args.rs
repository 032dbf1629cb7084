//! Command-line vocabulary: purposes, roles, decisions, states, ids and times, each
//! parsed (and rejected with the list of valid values, exit code 2) before anything
//! is sent.
//!
//! Names are accepted in kebab case (`provide-support`, shown in `--help`) and in the
//! snake case the API and JSON output use (`provide_support`), in any letter case.

use clap::ValueEnum;

use crate::proto::{CaseState, Decision, Purpose, Role};

/// Why the caller wants to read data (DESIGN.md section 3). All eight wire values can
/// be named, including the prohibited ones: the gateway denies and logs those, which
/// is the point of being able to send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum PurposeArg {
    /// Resolving the customer's case
    #[value(alias = "provide_support")]
    ProvideSupport,
    /// Improving the support process
    #[value(alias = "improve_support")]
    ImproveSupport,
    /// Advice, surveys and security bulletins (contact data only)
    Communications,
    /// Production under an approved legal compulsion (legal flow only)
    #[value(alias = "legal_compelled")]
    LegalCompelled,
    /// Prohibited: always denied and logged
    Marketing,
    /// Prohibited: always denied and logged
    Advertising,
    /// Prohibited: always denied and logged
    #[value(alias = "third_party_advertising_transfer")]
    ThirdPartyAdvertisingTransfer,
    /// Prohibited: always denied and logged
    #[value(alias = "voluntary_law_enforcement_disclosure")]
    VoluntaryLawEnforcementDisclosure,
}

impl PurposeArg {
    /// The wire value.
    pub fn to_proto(self) -> Purpose {
        match self {
            Self::ProvideSupport => Purpose::ProvideSupport,
            Self::ImproveSupport => Purpose::ImproveSupport,
            Self::Communications => Purpose::Communications,
            Self::LegalCompelled => Purpose::LegalCompelled,
            Self::Marketing => Purpose::Marketing,
            Self::Advertising => Purpose::Advertising,
            Self::ThirdPartyAdvertisingTransfer => Purpose::ThirdPartyAdvertisingTransfer,
            Self::VoluntaryLawEnforcementDisclosure => Purpose::VoluntaryLawEnforcementDisclosure,
        }
    }
}

/// The role a subject acts in (DESIGN.md section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum RoleArg {
    /// An employee of a customer organisation
    Customer,
    /// A machine identity on the customer's host
    #[value(alias = "customer-agent")]
    CustomerAgent,
    /// Support staff assigned to cases
    #[value(alias = "support-engineer")]
    SupportEngineer,
    /// Support staff improving the support process
    #[value(alias = "support-quality")]
    SupportQuality,
    /// Staff sending advice, surveys and security bulletins
    Communications,
    /// Sales and marketing staff (denied everything)
    #[value(alias = "sales-marketing")]
    SalesMarketing,
    /// Auditor of the access log
    #[value(alias = "compliance-reviewer")]
    ComplianceReviewer,
    /// The provider's legal team
    #[value(alias = "legal-counsel")]
    LegalCounsel,
    /// An outside agency (always redirected)
    #[value(alias = "law-enforcement")]
    LawEnforcement,
    /// Operators
    Admin,
}

impl RoleArg {
    /// The wire value.
    pub fn to_proto(self) -> Role {
        match self {
            Self::Customer => Role::Customer,
            Self::CustomerAgent => Role::CustomerAgent,
            Self::SupportEngineer => Role::SupportEngineer,
            Self::SupportQuality => Role::SupportQuality,
            Self::Communications => Role::Communications,
            Self::SalesMarketing => Role::SalesMarketing,
            Self::ComplianceReviewer => Role::ComplianceReviewer,
            Self::LegalCounsel => Role::LegalCounsel,
            Self::LawEnforcement => Role::LawEnforcement,
            Self::Admin => Role::Admin,
        }
    }
}

/// An access-log decision, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecisionArg {
    /// The access went ahead
    Allowed,
    /// The access was refused
    Denied,
    /// The request was redirected (law enforcement)
    Redirected,
}

impl DecisionArg {
    /// The wire value.
    pub fn to_proto(self) -> Decision {
        match self {
            Self::Allowed => Decision::Allowed,
            Self::Denied => Decision::Denied,
            Self::Redirected => Decision::Redirected,
        }
    }
}

/// A case state, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    /// Open cases
    Open,
    /// Closed cases
    Closed,
}

impl StateArg {
    /// The wire value.
    pub fn to_proto(self) -> CaseState {
        match self {
            Self::Open => CaseState::Open,
            Self::Closed => CaseState::Closed,
        }
    }
}

/// Parses an id argument (a UUID in any of its usual spellings) into the canonical
/// lowercase hyphenated form the API expects.
pub fn parse_id(value: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(value.trim())
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| format!("'{value}' is not an id (expected a UUID)"))
}

/// Whether `value` is an id rather than a name (for arguments that accept either).
pub fn looks_like_id(value: &str) -> bool {
    parse_id(value).is_ok()
}

/// Parses an RFC 3339 time (`2024-05-01T12:00:00Z`, any offset) into a protobuf
/// timestamp.
pub fn parse_time(value: &str) -> Result<prost_types::Timestamp, String> {
    let time = chrono::DateTime::parse_from_rfc3339(value.trim()).map_err(|err| {
        format!("'{value}' is not an RFC 3339 time ({err}); e.g. 2024-05-01T12:00:00Z")
    })?;
    let nanos = i32::try_from(time.timestamp_subsec_nanos())
        .map_err(|_| format!("'{value}' has an out-of-range fraction of a second"))?;
    Ok(prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos,
    })
}

/// Case-insensitive parsing with clap's own rules (aliases included), for tests.
#[cfg(test)]
pub fn parse_value<T: ValueEnum>(value: &str) -> Result<T, String> {
    T::from_str(value, true)
}
