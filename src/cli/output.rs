//! Printing: aligned tables and key-value lists for people, one JSON value for
//! programs, and the small conversions both need (enum names, times, hashes).

use std::io::Write;

use serde::Serialize;

use super::error::{one_line, CliError};
use super::OutputFormat;

/// Shown in table mode for an absent value (empty id, unset time, unspecified enum).
pub const ABSENT: &str = "-";

/// A table with a header row, printed with every column padded to its widest cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headers.
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|header| (*header).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells print empty, extra cells are dropped. Cells are
    /// flattened to one line so a value cannot break the layout.
    pub fn push(&mut self, row: Vec<String>) {
        let mut row: Vec<String> = row.iter().map(|cell| one_line(cell)).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The table as text: columns separated by two spaces, no trailing blanks, one
    /// line per row after the header row, ending in a newline.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (column, cell) in row.iter().enumerate() {
                if let Some(slot) = widths.get_mut(column) {
                    *slot = (*slot).max(width(cell));
                }
            }
        }
        let mut text = render_row(&self.headers, &widths);
        for row in &self.rows {
            text.push_str(&render_row(row, &widths));
        }
        text
    }
}

/// One padded line of a table.
fn render_row(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (column, (cell, cell_width)) in cells.iter().zip(widths).enumerate() {
        if column > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        line.extend(std::iter::repeat_n(
            ' ',
            cell_width.saturating_sub(width(cell)),
        ));
    }
    let mut line = line.trim_end().to_owned();
    line.push('\n');
    line
}

/// Display width of a cell, counted in characters (good enough for the ids, names
/// and codes printed here).
fn width(text: &str) -> usize {
    text.chars().count()
}

/// Renders `key: value` pairs with the values aligned in one column.
pub fn key_values(pairs: &[(&str, String)]) -> String {
    let key_width = pairs.iter().map(|(key, _)| width(key)).max().unwrap_or(0);
    let mut text = String::new();
    for (key, value) in pairs {
        let padding = key_width.saturating_sub(width(key));
        text.push_str(key);
        text.push(':');
        text.extend(std::iter::repeat_n(' ', padding + 2));
        text.push_str(&one_line(value));
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
        text.push('\n');
    }
    text
}

/// Pretty JSON of `value`, with a trailing newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|err| CliError::failed(format!("cannot encode the result as JSON: {err}")))?;
    text.push('\n');
    Ok(text)
}

/// Writes `text` to stdout, reporting failure (e.g. a closed pipe) as an error
/// instead of panicking like `print!` would.
pub fn stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|err| CliError::failed(format!("cannot write to stdout: {err}")))
}

/// Writes a human note (a one-line summary) to stderr; failure to do so is ignored,
/// since stdout already carries the result.
pub fn note(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", one_line(text));
}

/// Prints `value` as JSON or, in table mode, the text `table` builds.
pub fn emit<T, F>(format: OutputFormat, value: &T, table: F) -> Result<(), CliError>
where
    T: Serialize + ?Sized,
    F: FnOnce(&T) -> String,
{
    match format {
        OutputFormat::Json => stdout(&json(value)?),
        OutputFormat::Table => stdout(&table(value)),
    }
}

/// The lowercase snake name of a protobuf enum value: `PURPOSE_PROVIDE_SUPPORT` with
/// prefix `PURPOSE_` becomes `provide_support`. `None` for the UNSPECIFIED value;
/// a number the client does not know is shown as `unknown_<n>` rather than dropped.
pub fn enum_name(wire: Option<&'static str>, prefix: &str, raw: i32) -> Option<String> {
    match wire {
        Some(name) => {
            let short = name.strip_prefix(prefix).unwrap_or(name);
            (short != "UNSPECIFIED").then(|| short.to_ascii_lowercase())
        }
        None => Some(format!("unknown_{raw}")),
    }
}

/// A protobuf timestamp as RFC 3339 in UTC (`2024-05-01T12:00:00Z`, fractional
/// seconds only when present). `None` when unset or out of range.
pub fn rfc3339(time: Option<&prost_types::Timestamp>) -> Option<String> {
    let time = time?;
    let nanos = u32::try_from(time.nanos).ok()?;
    let utc = chrono::DateTime::from_timestamp(time.seconds, nanos)?;
    Some(utc.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Lowercase hex of a byte string (hashes); `None` when empty.
pub fn hex(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    Some(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// `None` for an empty string: absent ids and fields are `null` in JSON, not `""`.
pub fn present(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// A table cell for an optional value.
pub fn cell(value: Option<&String>) -> String {
    value.map_or_else(|| ABSENT.to_owned(), Clone::clone)
}
