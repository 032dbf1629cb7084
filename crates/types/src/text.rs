//! Parsed text values: each is only built by `parse`, so holding one proves it is valid.
//!
//! ## Why
//! Hostile strings (control characters, terminal escapes, oversize input) stop at the
//! edge with a message naming the field and the rule, and never reach storage.

use std::fmt;

/// Why a text value was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    /// The value was empty (after trimming) where one is required.
    #[error("{field} must not be empty")]
    Empty {
        /// The field's name.
        field: &'static str,
    },
    /// The value was longer than the limit.
    #[error("{field} is {len} characters long; the limit is {max}")]
    TooLong {
        /// The field's name.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The value contained a character the field does not allow.
    #[error("{field} contains a character that is not allowed ({what})")]
    BadCharacter {
        /// The field's name.
        field: &'static str,
        /// Which rule it broke.
        what: &'static str,
    },
    /// The value did not have the required shape.
    #[error("{field} is not valid: {rule}")]
    Shape {
        /// The field's name.
        field: &'static str,
        /// The rule it broke.
        rule: &'static str,
    },
}

/// Free text checked the way every text value is: trimmed, not empty unless allowed,
/// at most `max` characters, no control characters (new lines and tabs only when
/// allowed) and no bidirectional overrides, which could make a notice or a log view
/// read differently from what is stored.
pub fn free_text(
    field: &'static str,
    raw: &str,
    max: usize,
    allow_empty: bool,
    allow_newlines: bool,
) -> Result<String, TextError> {
    bounded(field, raw, max, allow_empty, allow_newlines)
}

fn bounded(
    field: &'static str,
    raw: &str,
    max: usize,
    allow_empty: bool,
    allow_newlines: bool,
) -> Result<String, TextError> {
    let value = raw.trim();
    if value.is_empty() && !allow_empty {
        return Err(TextError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(TextError::TooLong { field, len, max });
    }
    for c in value.chars() {
        let newline_ok = allow_newlines && (c == '\n' || c == '\t');
        if c.is_control() && !newline_ok {
            return Err(TextError::BadCharacter {
                field,
                what: "control character",
            });
        }
        if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            return Err(TextError::BadCharacter {
                field,
                what: "bidirectional override",
            });
        }
    }
    Ok(value.to_owned())
}

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the value, returning the validated text.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Debug for personal data never prints the value, so it cannot leak into logs.
macro_rules! redacted_debug {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($name))
            }
        }
    };
}

macro_rules! plain_debug {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

text_type!(
    /// A tenant's short name: lowercase letters, digits and hyphens, like a DNS label.
    TenantName
);
plain_debug!(TenantName);

impl TenantName {
    /// Parses a tenant name (1 to 63 characters, `[a-z0-9][a-z0-9-]*`).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "tenant name";
        let value = bounded(field, raw, 63, false, false)?;
        let mut chars = value.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(first_ok && rest_ok) {
            return Err(TextError::Shape {
                field,
                rule: "lowercase letters, digits and '-', starting with a letter or digit",
            });
        }
        Ok(Self(value))
    }
}

text_type!(
    /// A subject's login-style name, unique within its tenant.
    SubjectName
);
plain_debug!(SubjectName);

impl SubjectName {
    /// Parses a subject name (1 to 64 characters of `[A-Za-z0-9._@-]`).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "subject name";
        let value = bounded(field, raw, 64, false, false)?;
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(TextError::Shape {
                field,
                rule: "letters, digits, '.', '_', '-' and '@' only",
            });
        }
        Ok(Self(value))
    }
}

text_type!(
    /// The customer's description of the issue: customer data.
    CaseSummary
);
redacted_debug!(CaseSummary);

impl CaseSummary {
    /// Parses a summary (1 to 4000 characters; newlines and tabs allowed, other control characters not).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        bounded("summary", raw, 4000, false, true).map(Self)
    }
}

text_type!(
    /// A contact's full name: contact data.
    PersonName
);
redacted_debug!(PersonName);

impl PersonName {
    /// Parses a name (1 to 200 characters).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        bounded("contact name", raw, 200, false, false).map(Self)
    }
}

text_type!(
    /// A contact's company: contact data, may be empty.
    Company
);
redacted_debug!(Company);

impl Company {
    /// Parses a company name (0 to 200 characters).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        bounded("company", raw, 200, true, false).map(Self)
    }
}

text_type!(
    /// A contact's job title: contact data, may be empty.
    JobTitle
);
redacted_debug!(JobTitle);

impl JobTitle {
    /// Parses a job title (0 to 200 characters).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        bounded("job title", raw, 200, true, false).map(Self)
    }
}

text_type!(
    /// A contact's business e-mail address, kept as given (trimmed); lookups normalise it.
    Email
);
redacted_debug!(Email);

impl Email {
    /// Parses an address: at most 254 characters, one `@`, a non-empty local part and a
    /// domain with a dot, no spaces or control characters.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "contact email";
        let value = bounded(field, raw, 254, false, false)?;
        let rule = "expected name@domain.example";
        let (local, domain) = value
            .split_once('@')
            .ok_or(TextError::Shape { field, rule })?;
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.chars().any(char::is_whitespace);
        if !well_formed {
            return Err(TextError::Shape { field, rule });
        }
        Ok(Self(value))
    }
}

text_type!(
    /// A contact's business phone number: contact data, may be empty.
    Phone
);
redacted_debug!(Phone);

impl Phone {
    /// Parses a phone number (0 to 32 characters of digits, spaces and `+-().`).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "contact phone";
        let value = bounded(field, raw, 32, true, false)?;
        if !value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'))
        {
            return Err(TextError::Shape {
                field,
                rule: "digits, spaces and + - ( ) . only",
            });
        }
        Ok(Self(value))
    }
}

text_type!(
    /// The name of an uploaded file as the customer knows it (customer data).
    FileName
);
redacted_debug!(FileName);

impl FileName {
    /// Parses a file name: 1 to 255 bytes of UTF-8, no path separators, no `.` or `..`,
    /// no control characters or bidirectional overrides, not blank.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "file name";
        let value = bounded(field, raw, 255, false, false)?;
        if value.len() > 255 {
            return Err(TextError::TooLong {
                field,
                len: value.len(),
                max: 255,
            });
        }
        if value.contains(['/', '\\']) || value == "." || value == ".." {
            return Err(TextError::Shape {
                field,
                rule: "a name without path separators, not . or ..",
            });
        }
        Ok(Self(value))
    }
}

text_type!(
    /// A media type such as `application/gzip` (customer data: it can hint at content).
    MediaType
);
plain_debug!(MediaType);

impl MediaType {
    /// Parses `type/subtype` (at most 127 characters of RFC 6838 token characters);
    /// empty means `application/octet-stream`.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "media type";
        let value = bounded(field, raw, 127, true, false)?;
        if value.is_empty() {
            return Ok(Self("application/octet-stream".into()));
        }
        let token = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
        };
        match value.split_once('/') {
            Some((kind, sub)) if token(kind) && token(sub) => Ok(Self(value.to_ascii_lowercase())),
            _ => Err(TextError::Shape {
                field,
                rule: "type/subtype, e.g. application/gzip",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_refuse_paths_and_hostile_characters() {
        for bad in [
            "",
            "   ",
            "../etc/passwd",
            "a/b",
            "a\\b",
            ".",
            "..",
            "x\u{0}y",
            "x\u{202E}gnp.exe",
            &"x".repeat(256),
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            FileName::parse(" trace.log ").unwrap().as_str(),
            "trace.log"
        );
        assert_eq!(
            FileName::parse("résumé ☃.tar.gz").unwrap().as_str(),
            "résumé ☃.tar.gz"
        );
        assert!(FileName::parse(&"é".repeat(128)).is_err(), "256 bytes");
        assert_eq!(
            MediaType::parse("").unwrap().as_str(),
            "application/octet-stream"
        );
        assert!(MediaType::parse("text/plain; charset=utf-8").is_err());
    }

    #[test]
    fn hostile_strings_are_rejected_with_the_field_named() {
        let err = CaseSummary::parse("VPN \u{1b}[2J drops").unwrap_err();
        assert_eq!(
            err.to_string(),
            "summary contains a character that is not allowed (control character)"
        );
        assert!(PersonName::parse("Eve\u{202E}gnp.exe").is_err());
        assert!(TenantName::parse("Acme Corp").is_err());
        assert!(TenantName::parse("-acme").is_err());
        assert!(SubjectName::parse("carol; rm -rf /").is_err());
        assert!(Email::parse("carol@@acme.example").is_err());
        assert!(Email::parse("carol acme.example").is_err());
        assert!(Phone::parse("+1 555 0100; DROP").is_err());
    }

    #[test]
    fn limits_are_reported_with_length_and_maximum() {
        let err = CaseSummary::parse(&"x".repeat(4001)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "summary is 4001 characters long; the limit is 4000"
        );
    }

    #[test]
    fn valid_values_are_trimmed_and_kept() {
        assert_eq!(TenantName::parse(" acme ").unwrap().as_str(), "acme");
        assert_eq!(
            Email::parse("carol@acme.example").unwrap().as_str(),
            "carol@acme.example"
        );
        assert_eq!(
            CaseSummary::parse("line one\nline two").unwrap().as_str(),
            "line one\nline two"
        );
        assert_eq!(Phone::parse("+1 555 0100").unwrap().as_str(), "+1 555 0100");
        assert_eq!(Company::parse("").unwrap().as_str(), "");
    }

    #[test]
    fn personal_data_is_redacted_in_debug_output() {
        let email = Email::parse("carol@acme.example").unwrap();
        assert_eq!(format!("{email:?}"), "Email(<redacted>)");
    }
}
