//! Times are stored as microseconds since the Unix epoch, the same on both engines.

use chrono::{DateTime, Utc};

use crate::StoreError;

pub(crate) fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or(StoreError::Corrupt { what: "timestamp" })
}

pub(crate) fn from_micros_opt(us: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    us.map(from_micros).transpose()
}
