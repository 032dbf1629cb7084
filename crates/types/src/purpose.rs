//! Purposes and data classes as runtime values: what a request names and the log records.
//!
//! The typed side (marker types and `Permits`) lives in `supportgate-policy`; the
//! prohibited purposes exist only here, as values that can be named, denied and logged.

use std::fmt;

/// Why a caller wants to read data (DESIGN section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PurposeCode {
    /// Resolving the customer's case.
    ProvideSupport,
    /// Improving the support process.
    ImproveSupport,
    /// Advice, surveys and security bulletins: contact data only.
    Communications,
    /// Disclosure that a court order compels; only inside the legal flow.
    LegalCompelled,
    /// Prohibited: marketing.
    Marketing,
    /// Prohibited: advertising.
    Advertising,
    /// Prohibited: transfer to third parties for advertising.
    ThirdPartyAdvertisingTransfer,
    /// Prohibited: disclosure to law enforcement that no order compels.
    VoluntaryLawEnforcementDisclosure,
}

impl PurposeCode {
    /// Every purpose, in a stable order (used by the golden data-use table).
    pub const ALL: [PurposeCode; 8] = [
        PurposeCode::ProvideSupport,
        PurposeCode::ImproveSupport,
        PurposeCode::Communications,
        PurposeCode::LegalCompelled,
        PurposeCode::Marketing,
        PurposeCode::Advertising,
        PurposeCode::ThirdPartyAdvertisingTransfer,
        PurposeCode::VoluntaryLawEnforcementDisclosure,
    ];

    /// The stable snake_case name used in storage, logs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            PurposeCode::ProvideSupport => "provide_support",
            PurposeCode::ImproveSupport => "improve_support",
            PurposeCode::Communications => "communications",
            PurposeCode::LegalCompelled => "legal_compelled",
            PurposeCode::Marketing => "marketing",
            PurposeCode::Advertising => "advertising",
            PurposeCode::ThirdPartyAdvertisingTransfer => "third_party_advertising_transfer",
            PurposeCode::VoluntaryLawEnforcementDisclosure => {
                "voluntary_law_enforcement_disclosure"
            }
        }
    }

    /// Parses a snake_case or kebab-case purpose name.
    pub fn parse(s: &str) -> Option<PurposeCode> {
        let normalized = s.trim().replace('-', "_");
        PurposeCode::ALL
            .into_iter()
            .find(|p| p.as_str() == normalized)
    }

    /// Purposes no role may ever use, for any data (the ✘ rows of the chart).
    pub fn is_prohibited(self) -> bool {
        matches!(
            self,
            PurposeCode::Marketing
                | PurposeCode::Advertising
                | PurposeCode::ThirdPartyAdvertisingTransfer
                | PurposeCode::VoluntaryLawEnforcementDisclosure
        )
    }
}

impl fmt::Display for PurposeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of data DESIGN section 2 keeps apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataClass {
    /// Business contact details of the customer's representative.
    Contact,
    /// Everything else the customer provides: summaries, chat, files, recordings.
    Customer,
    /// Ids, timestamps, sizes, hashes, states: what a compliance reviewer sees.
    Metadata,
}

impl DataClass {
    /// The stable snake_case name used in storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Contact => "contact",
            DataClass::Customer => "customer",
            DataClass::Metadata => "metadata",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<DataClass> {
        [DataClass::Contact, DataClass::Customer, DataClass::Metadata]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_round_trip_and_prohibited_ones_are_flagged() {
        for p in PurposeCode::ALL {
            assert_eq!(PurposeCode::parse(p.as_str()), Some(p));
        }
        assert_eq!(
            PurposeCode::parse("provide-support"),
            Some(PurposeCode::ProvideSupport)
        );
        assert_eq!(PurposeCode::parse("curiosity"), None);
        let prohibited: Vec<_> = PurposeCode::ALL
            .into_iter()
            .filter(|p| p.is_prohibited())
            .collect();
        assert_eq!(prohibited.len(), 4);
    }
}
