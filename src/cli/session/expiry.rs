//! `--expires 30m` / `2h` / `1d` / `1h30m`, or an RFC 3339 time; and the plain
//! durations other session commands take (`--idle-exit 1s`, `--max-idle 2s`).

use std::time::Duration;

use super::super::args::parse_time;

/// When a consent ends: after a duration from the moment it is granted, or at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// This long after now.
    In(Duration),
    /// At this wall-clock time.
    At(prost_types::Timestamp),
}

impl Expiry {
    /// The expiry as a timestamp, counting a duration from `now`.
    pub fn resolve(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<prost_types::Timestamp, String> {
        match self {
            Self::At(time) => Ok(*time),
            Self::In(duration) => {
                let delta = chrono::Duration::from_std(*duration)
                    .map_err(|_| "the expiry is too far in the future".to_owned())?;
                let at = now
                    .checked_add_signed(delta)
                    .ok_or_else(|| "the expiry is too far in the future".to_owned())?;
                // Whole seconds: "30m" means about thirty minutes, and a round
                // expiry reads better wherever it is shown.
                Ok(prost_types::Timestamp {
                    seconds: at.timestamp(),
                    nanos: 0,
                })
            }
        }
    }
}

/// Parses `--expires`: a duration (see [`parse_duration`]) or an RFC 3339 time.
pub fn parse_expiry(value: &str) -> Result<Expiry, String> {
    let trimmed = value.trim();
    if trimmed.contains('T') || trimmed.contains(':') || trimmed.contains('-') {
        return parse_time(trimmed).map(Expiry::At);
    }
    let duration = parse_duration(trimmed)?;
    if duration.is_zero() {
        return Err(format!(
            "'{value}' is not a usable expiry: it must be in the future"
        ));
    }
    Ok(Expiry::In(duration))
}

/// Parses a duration written as one or more `<number><unit>` parts, with units `ms`,
/// `s`, `m`, `h` and `d`: `500ms`, `0.2s`, `30s`, `30m`, `2h`, `1d`, `1h30m`. A bare
/// number is refused: `30` could mean seconds or minutes.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let text = value.trim();
    let bad = |why: &str| {
        format!("'{value}' is not a duration ({why}); e.g. 500ms, 30s, 30m, 2h, 1d, 1h30m")
    };
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
                .len();
        let number = &rest[..number_len];
        if !number.starts_with(|c: char| c.is_ascii_digit()) || number.matches('.').count() > 1 {
            return Err(bad("expected a number"));
        }
        rest = &rest[number_len..];
        let unit_len = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let unit = rest[..unit_len].to_ascii_lowercase();
        rest = &rest[unit_len..];
        let seconds_per_unit: u64 = match unit.as_str() {
            "ms" => 0,
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "" => return Err(bad("a unit is missing: ms, s, m, h or d")),
            _ => return Err(bad("unknown unit; use ms, s, m, h or d")),
        };
        let part = if number.contains('.') {
            let amount: f64 = number.parse().map_err(|_| bad("expected a number"))?;
            let seconds = if seconds_per_unit == 0 {
                amount / 1000.0
            } else {
                amount * seconds_per_unit as f64
            };
            Duration::try_from_secs_f64(seconds).map_err(|_| bad("too long"))?
        } else {
            let amount: u64 = number.parse().map_err(|_| bad("the number is too large"))?;
            if seconds_per_unit == 0 {
                Duration::from_millis(amount)
            } else {
                amount
                    .checked_mul(seconds_per_unit)
                    .map(Duration::from_secs)
                    .ok_or_else(|| bad("too long"))?
            }
        };
        total = total.checked_add(part).ok_or_else(|| bad("too long"))?;
    }
    Ok(total)
}
