//! Small readers shared by the JSON formats (hg pages, GitHub events): typed access to a
//! field that reports a one-line problem naming the value it found.
//!
//! The callers add the field path and the push id; these only say what is wrong with the
//! value, so every format's messages read the same way.

use serde_json::{Map, Value};
use treeherd_model::Revision;

/// What is wrong with a value: `text`, found at `suffix` below the field the caller read
/// (`[2]` for the third element of a list, empty for the value itself).
#[derive(Debug)]
pub(crate) struct Problem {
    pub suffix: String,
    pub text: String,
}

impl Problem {
    /// The full path of the problem below `field`.
    pub fn path(&self, field: &str) -> String {
        format!("{field}{}", self.suffix)
    }
}

impl From<String> for Problem {
    fn from(text: String) -> Self {
        Problem {
            suffix: String::new(),
            text,
        }
    }
}

/// The longest excerpt of a bad value quoted in an error message.
const SHOWN_CHARS: usize = 60;

/// A value as JSON, cut to a readable length (an error may be handed a whole object).
pub(crate) fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The field's value; `null` counts as absent (servers write both for "nothing").
pub(crate) fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

pub(crate) fn string(value: &Value) -> Result<&str, Problem> {
    value
        .as_str()
        .ok_or_else(|| format!("must be a string, got {}", shown(value)).into())
}

pub(crate) fn optional_string<'a>(
    object: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, Problem> {
    get(object, key).map(string).transpose()
}

pub(crate) fn revision(value: &Value) -> Result<Revision, Problem> {
    match value {
        Value::String(text) => text
            .parse()
            .map_err(|_| format!("{} is not a revision", shown(value)).into()),
        other => Err(format!("must be a revision string, got {}", shown(other)).into()),
    }
}

pub(crate) fn array(value: &Value) -> Result<&[Value], Problem> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("must be an array, got {}", shown(value)).into())
}

pub(crate) fn object(value: &Value) -> Result<&Map<String, Value>, Problem> {
    value
        .as_object()
        .ok_or_else(|| format!("must be an object, got {}", shown(value)).into())
}

/// A list of strings; a bad element's problem is at its index (`tags[2]`).
pub(crate) fn strings(value: &Value) -> Result<Vec<String>, Problem> {
    array(value)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            string(item).map(str::to_owned).map_err(|problem| Problem {
                suffix: format!("[{i}]"),
                text: problem.text,
            })
        })
        .collect()
}

pub(crate) fn boolean(object: &Map<String, Value>, key: &str) -> Result<bool, Problem> {
    match get(object, key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("must be a boolean, got {}", shown(other)).into()),
    }
}

/// Whole or fractional seconds since the epoch as microseconds, or `None` when the number
/// does not fit.
pub(crate) fn seconds_to_micros(number: &serde_json::Number) -> Option<i64> {
    if let Some(seconds) = number.as_i64() {
        return seconds.checked_mul(1_000_000);
    }
    let micros = (number.as_f64()? * 1e6).round();
    // i64::MAX is not exactly representable; stay strictly inside.
    (micros.is_finite() && micros.abs() < 9.2e18).then_some(micros as i64)
}
