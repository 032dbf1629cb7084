//! Wire values to domain values and back: bad input stops here with a precise status.

use chrono::{DateTime, Utc};
use supportgate_policy::RequestedPurpose;
use supportgate_service::Page;
use supportgate_types::{PurposeCode, Role, TextError};
use tonic::{Code, Status};

use super::status::with_reason;
use crate::proto;

/// Largest page a list RPC returns.
const MAX_PAGE: u32 = 500;
/// Page size when the request does not say.
const DEFAULT_PAGE: u32 = 100;

/// Parses a required id field.
pub fn id<T>(
    field: &'static str,
    value: &str,
    parse: fn(&str) -> Result<T, supportgate_types::IdParseError>,
) -> Result<T, Status> {
    if value.is_empty() {
        return Err(with_reason(
            Code::InvalidArgument,
            "FIELD_REQUIRED",
            format!("{field} is required"),
        ));
    }
    parse(value).map_err(|_| {
        with_reason(
            Code::InvalidArgument,
            "INVALID_ID",
            format!("{field} must be a UUID"),
        )
    })
}

/// Parses an optional id field (empty = absent).
pub fn id_opt<T>(
    field: &'static str,
    value: &str,
    parse: fn(&str) -> Result<T, supportgate_types::IdParseError>,
) -> Result<Option<T>, Status> {
    if value.is_empty() {
        return Ok(None);
    }
    id(field, value, parse).map(Some)
}

/// A text validation failure.
pub fn text_error(e: TextError) -> Status {
    with_reason(Code::InvalidArgument, "INVALID_FIELD", e.to_string())
}

/// The purpose as the policy sees it: missing and unknown values are kept, not defaulted.
pub fn purpose(value: i32) -> RequestedPurpose {
    match proto::Purpose::try_from(value) {
        Ok(proto::Purpose::Unspecified) => RequestedPurpose::Missing,
        Ok(p) => RequestedPurpose::Named(purpose_code(p)),
        Err(_) => RequestedPurpose::Unknown(value),
    }
}

fn purpose_code(p: proto::Purpose) -> PurposeCode {
    use proto::Purpose as P;
    match p {
        P::ProvideSupport | P::Unspecified => PurposeCode::ProvideSupport,
        P::ImproveSupport => PurposeCode::ImproveSupport,
        P::Communications => PurposeCode::Communications,
        P::LegalCompelled => PurposeCode::LegalCompelled,
        P::Marketing => PurposeCode::Marketing,
        P::Advertising => PurposeCode::Advertising,
        P::ThirdPartyAdvertisingTransfer => PurposeCode::ThirdPartyAdvertisingTransfer,
        P::VoluntaryLawEnforcementDisclosure => PurposeCode::VoluntaryLawEnforcementDisclosure,
    }
}

/// A purpose as the wire names it.
pub fn purpose_to_proto(p: PurposeCode) -> proto::Purpose {
    use proto::Purpose as P;
    match p {
        PurposeCode::ProvideSupport => P::ProvideSupport,
        PurposeCode::ImproveSupport => P::ImproveSupport,
        PurposeCode::Communications => P::Communications,
        PurposeCode::LegalCompelled => P::LegalCompelled,
        PurposeCode::Marketing => P::Marketing,
        PurposeCode::Advertising => P::Advertising,
        PurposeCode::ThirdPartyAdvertisingTransfer => P::ThirdPartyAdvertisingTransfer,
        PurposeCode::VoluntaryLawEnforcementDisclosure => P::VoluntaryLawEnforcementDisclosure,
    }
}

/// An optional purpose filter (unspecified = no filter; unknown = error).
pub fn purpose_filter(value: i32) -> Result<Option<PurposeCode>, Status> {
    match purpose(value) {
        RequestedPurpose::Missing => Ok(None),
        RequestedPurpose::Named(p) => Ok(Some(p)),
        RequestedPurpose::Unknown(v) => Err(with_reason(
            Code::InvalidArgument,
            "PURPOSE_UNKNOWN",
            format!("unknown purpose value {v}"),
        )),
    }
}

const ROLES: [(proto::Role, Role); 10] = [
    (proto::Role::Customer, Role::Customer),
    (proto::Role::CustomerAgent, Role::CustomerAgent),
    (proto::Role::SupportEngineer, Role::SupportEngineer),
    (proto::Role::SupportQuality, Role::SupportQuality),
    (proto::Role::Communications, Role::Communications),
    (proto::Role::SalesMarketing, Role::SalesMarketing),
    (proto::Role::ComplianceReviewer, Role::ComplianceReviewer),
    (proto::Role::LegalCounsel, Role::LegalCounsel),
    (proto::Role::LawEnforcement, Role::LawEnforcement),
    (proto::Role::Admin, Role::Admin),
];

/// A role field: unspecified is `None`, unknown is an error.
pub fn role(value: i32) -> Result<Option<Role>, Status> {
    if value == proto::Role::Unspecified as i32 {
        return Ok(None);
    }
    ROLES
        .iter()
        .find(|(p, _)| *p as i32 == value)
        .map(|(_, r)| Some(*r))
        .ok_or_else(|| {
            with_reason(
                Code::InvalidArgument,
                "ROLE_UNKNOWN",
                format!("unknown role value {value}"),
            )
        })
}

/// A role as the wire names it.
pub fn role_to_proto(role: Role) -> i32 {
    ROLES
        .iter()
        .find(|(_, r)| *r == role)
        .map_or(0, |(p, _)| *p as i32)
}

/// A timestamp for the wire.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A timestamp from the wire (absent = `None`; out of range = error).
pub fn timestamp_in(
    field: &'static str,
    t: Option<prost_types::Timestamp>,
) -> Result<Option<DateTime<Utc>>, Status> {
    t.map(|t| {
        u32::try_from(t.nanos)
            .ok()
            .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
            .ok_or_else(|| {
                with_reason(
                    Code::InvalidArgument,
                    "INVALID_FIELD",
                    format!("{field} is not a valid time"),
                )
            })
    })
    .transpose()
}

/// A page request; the token is the last key of the previous page.
pub fn page(size: u32, token: &str) -> Result<Page, Status> {
    if token.len() > 128 || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(with_reason(
            Code::InvalidArgument,
            "INVALID_PAGE_TOKEN",
            "page_token is not one this server issued",
        ));
    }
    let limit = if size == 0 {
        DEFAULT_PAGE
    } else {
        size.min(MAX_PAGE)
    };
    Ok(Page {
        limit,
        after: (!token.is_empty()).then(|| token.to_owned()),
    })
}

/// The next page token: the last key when the page was full.
pub fn next_token(page: &Page, count: usize, last: Option<String>) -> String {
    if count >= page.limit as usize {
        last.unwrap_or_default()
    } else {
        String::new()
    }
}

/// An optional duration in seconds (0 = default).
pub fn ttl(seconds: u32) -> Option<chrono::Duration> {
    (seconds > 0).then(|| chrono::Duration::seconds(i64::from(seconds)))
}
