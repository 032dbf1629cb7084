//! The data-use chart of DESIGN section 3, enforced twice.
//!
//! - At compile time: data classes and purposes are uninhabited marker types; the sealed
//!   [`Permits`] trait holds exactly the allowed cells; an [`Access<P, C>`] token can only
//!   exist for an allowed cell and only this crate can mint one. Prohibited purposes have
//!   no type at all. `tests/compile_fail/` proves what does not compile.
//! - At run time: [`Policy::authorize_customer_data`] and friends evaluate every request
//!   in a fixed order (role, purpose, chart, role and purpose, tenant, assignment,
//!   opt-out), append the decision to the access log, and mint a token only after the
//!   log says the entry is durable.
//!
//! Invariants: no I/O of its own (the log is an injected [`AuditSink`]); no token without
//! a durable receipt; tenant and case scope come from the token, never from the request.
//!
//! [`AuditSink`]: supportgate_audit::AuditSink

mod access;
mod authorize;
mod chart;
mod compelled;
mod markers;
mod principal;
mod reason;

pub use access::{
    Access, ContactDataAccess, CustomerDataAccess, Grant, MetadataAccess, MetadataScope, Scope,
};
pub use authorize::{AccessRequest, AuthorizeError, Denial, Policy, ResourceFacts};
pub use chart::{evaluate, Verdict};
pub use compelled::CompelledRead;
pub use markers::{
    Class, Communications, ContactData, CustomerData, ImproveSupport, LegalCompelled, Permits,
    ProvideSupport, Purpose,
};
pub use principal::{Principal, RequestedPurpose};
pub use reason::Reason;
