//! What the record formats (buildhub records, Bugzilla bugs, task definitions) share when
//! they read JSON objects field by field: the error that names a record's field, the listing
//! of many such errors, JSON type names for messages, optional strings and dates. One copy,
//! so every format words the same fault the same way.

use chrono::{DateTime, NaiveDateTime};
use serde_json::{Map, Value};

/// One invalid record: its index, the path of the field at fault, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {index}: {field} {problem}")]
pub struct RecordError {
    pub index: usize,
    /// The JSON path in the record, e.g. `build.id`; `$` for the record itself.
    pub field: String,
    pub problem: String,
}

/// How many invalid records an error message lists before it only counts the rest.
const LISTED: usize = 10;

/// "`n` invalid `what`s:" and the first [`LISTED`] errors, one per line.
pub(crate) fn describe(errors: &[RecordError], what: &str) -> String {
    let mut text = format!(
        "{} invalid {what}{}:",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for error in errors.iter().take(LISTED) {
        text.push_str(&format!("\n  {error}"));
    }
    if errors.len() > LISTED {
        text.push_str(&format!("\n  ...and {} more", errors.len() - LISTED));
    }
    text
}

/// A string field that may be absent (or null) but is a string when present.
pub(crate) fn optional_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("must be a string, not {}", type_name(other))),
    }
}

/// Unix microseconds of an RFC 3339 date-time, or of one without an offset (taken as UTC:
/// older buildhub records and Treeherder's copies of Bugzilla answers write
/// `2024-01-01 00:00:00`).
pub(crate) fn micros(text: &str) -> Option<i64> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_micros());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|time| time.and_utc().timestamp_micros())
}

/// A JSON value's type, as an error message names it ("a number").
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
