//! Free text that legal and retention records keep (agency names, order references,
//! notices), checked like every text value (`supportgate_types::free_text`), with the
//! refusal a client can act on.

use supportgate_types::{free_text, TextError};

use crate::ServiceError;

/// `value` checked as the field `field`: at most `max` characters, no control
/// characters (new lines and tabs allowed when `multiline`) or bidirectional overrides,
/// and not blank when `required`. Stored trimmed.
pub(crate) fn checked_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> Result<String, ServiceError> {
    free_text(field, value, max, !required, multiline).map_err(|e| match e {
        TextError::Empty { .. } => {
            ServiceError::invalid("FIELD_REQUIRED", format!("{field} is required"))
        }
        other => ServiceError::invalid("INVALID_FIELD", other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::checked_text;

    #[test]
    fn refuses_blank_required_long_control_and_bidi_text() {
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
            ("evil\u{202E}gnp.exe", false, false),
        ] {
            assert!(
                checked_text("f", value, 10, required, multiline).is_err(),
                "{value:?} accepted"
            );
        }
        assert!(checked_text("f", "two\nlines", 10, true, true).is_ok());
    }
}
