//! Law-enforcement requests (DESIGN section 7): submission and redirect, compulsion
//! under the two-person rule, non-disclosure, customer notice, production, and the
//! notifications with their outbox.
//!
//! There is no voluntary path: nothing here releases data except
//! [`Services::legal_produce`], which reads each item through
//! `Policy::authorize_compelled` and encrypts it to the order's recipient.

mod notices;
mod production;
mod requests;
mod scope;
mod seal;
mod text;

pub use production::{
    Production, ProductionItem, ProductionManifest, ProductionPart, ProductionSummary,
};
pub use requests::{
    redirect_message, CompulsionInput, LegalTarget, RequestView, SubmitInput, SubmitOutcome,
};
pub use scope::{ItemKind, LegalScope};
pub(crate) use text::checked_text;
