//! Free text that legal and retention records keep: bounded, and free of control
//! characters, so that a hostile string can neither bloat the store nor forge lines in
//! a notice, a log view or a terminal.

use crate::ServiceError;

/// `value` checked as the field `field`: at most `max` characters, no control
/// characters (new lines and tabs allowed when `multiline`), and not blank when
/// `required`.
pub(crate) fn checked_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> Result<String, ServiceError> {
    if value.trim().is_empty() {
        if required {
            return Err(ServiceError::invalid(
                "FIELD_REQUIRED",
                format!("{field} is required"),
            ));
        }
        return Ok(String::new());
    }
    if value.chars().count() > max {
        return Err(ServiceError::invalid(
            "INVALID_FIELD",
            format!("{field} is longer than {max} characters"),
        ));
    }
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t'));
    if !value.chars().all(allowed) {
        return Err(ServiceError::invalid(
            "INVALID_FIELD",
            format!("{field} contains control characters"),
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::checked_text;

    #[test]
    fn refuses_blank_required_long_and_control_text() {
        assert_eq!(
            checked_text("agency", "FBI", 10, true, false).unwrap(),
            "FBI"
        );
        assert_eq!(checked_text("x", " ", 10, false, false).unwrap(), "");
        for (value, required, multiline) in [
            ("", true, false),
            ("  ", true, false),
            ("01234567890", true, false),
            ("a\u{1b}[31m", false, false),
            ("line\nbreak", false, false),
            ("a\u{0}b", false, true),
        ] {
            assert!(
                checked_text("f", value, 10, required, multiline).is_err(),
                "{value:?} accepted"
            );
        }
        assert!(checked_text("f", "two\nlines", 10, true, true).is_ok());
    }
}
