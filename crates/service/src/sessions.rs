//! Remote-access sessions: requested by an assigned engineer, consented to by a customer
//! of the tenant (scopes, expiry, the recording acknowledged), joined by the agent, the
//! engineer and observers. The live relay is the edge's; here are the rules and the log.

mod join;
pub(crate) mod lifecycle;
mod live;

pub use join::{JoinGrant, ParticipantKind};
