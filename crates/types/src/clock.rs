//! The injected clock: production reads the system time, tests drive a manual one.

use chrono::{DateTime, Utc};

/// Source of the current time.
///
/// ## Why
/// Expiry of credentials and consent, retention and log timestamps all depend on time;
/// injecting it lets tests move time forward without sleeping.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place allowed to read the wall clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
