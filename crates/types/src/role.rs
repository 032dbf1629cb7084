//! The roles of DESIGN section 1, exactly.

use std::fmt;

/// What a subject is allowed to be; fixed when the subject is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// An employee of a customer organisation.
    Customer,
    /// A machine identity on the customer's host: the customer end of a remote session.
    CustomerAgent,
    /// Support staff assigned to cases.
    SupportEngineer,
    /// Support staff improving the support process.
    SupportQuality,
    /// Staff sending surveys, advice and security bulletins: contact data only.
    Communications,
    /// Sales and marketing staff: denied every case-management call.
    SalesMarketing,
    /// Reads and verifies the access log: metadata, never content.
    ComplianceReviewer,
    /// The provider's legal team.
    LegalCounsel,
    /// An outside agency: always redirected to the customer.
    LawEnforcement,
    /// Operators: tenants, identities, keys, retention; no content access.
    Admin,
}

/// A role name that is not one of the ten.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role {0:?}; expected one of: {list}", list = Role::NAMES.join(", "))]
pub struct RoleParseError(pub String);

impl Role {
    /// Every role, in a stable order (used by the golden data-use table).
    pub const ALL: [Role; 10] = [
        Role::Customer,
        Role::CustomerAgent,
        Role::SupportEngineer,
        Role::SupportQuality,
        Role::Communications,
        Role::SalesMarketing,
        Role::ComplianceReviewer,
        Role::LegalCounsel,
        Role::LawEnforcement,
        Role::Admin,
    ];

    const NAMES: [&'static str; 10] = [
        "customer",
        "customer_agent",
        "support_engineer",
        "support_quality",
        "communications",
        "sales_marketing",
        "compliance_reviewer",
        "legal_counsel",
        "law_enforcement",
        "admin",
    ];

    /// The stable snake_case name used in storage, logs and the CLI.
    pub fn as_str(self) -> &'static str {
        let index = Role::ALL
            .iter()
            .position(|r| *r == self)
            .unwrap_or_default();
        Role::NAMES[index]
    }

    /// Parses a snake_case (or kebab-case) role name.
    pub fn parse(s: &str) -> Result<Role, RoleParseError> {
        let normalized = s.trim().replace('-', "_");
        Role::NAMES
            .iter()
            .position(|n| *n == normalized)
            .map(|i| Role::ALL[i])
            .ok_or_else(|| RoleParseError(s.to_owned()))
    }

    /// Roles that belong to a customer tenant and cannot exist without one.
    pub fn requires_tenant(self) -> bool {
        matches!(
            self,
            Role::Customer
                | Role::CustomerAgent
                | Role::SupportEngineer
                | Role::SupportQuality
                | Role::Communications
                | Role::SalesMarketing
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("support-engineer"), Ok(Role::SupportEngineer));
        assert!(Role::parse("root").is_err());
    }
}
