//! NUL characters (U+0000) in what comes in. PostgreSQL cannot store one in `text` or `jsonb`
//! and SQLite can, so the backends would disagree; every way in refuses them instead, each
//! message on its own (`BAD_USER_INPUT`, or a rejection with the message's index). In JSON a
//! NUL can only be written as the escape `\u0000` inside a string (a raw one is not JSON), so
//! a message's text is checked without reading it into values.

use serde_json::Value;

pub use treeherd_model::NUL_RULE;

/// Whether JSON text holds a string with a NUL, i.e. the escape `\u0000` that is not itself an escaped backslash followed by `u0000`. Text without a
/// backslash (nearly all of it) is answered by one `memchr`-speed scan.
pub fn json_text_has_nul(text: &[u8]) -> bool {
    let mut rest = text;
    while let Some(at) = rest.iter().position(|b| *b == b'\\') {
        let escape = rest.get(at + 1).copied();
        if escape == Some(b'u') {
            let digits = rest.get(at + 2..at + 6).unwrap_or_default();
            if digits.len() == 4 && digits.iter().all(|d| *d == b'0') {
                return true;
            }
        }
        // Skip the backslash and the character it escapes (`\\` included).
        rest = rest.get(at + 2..).unwrap_or_default();
    }
    false
}

/// Whether a JSON value holds a NUL in a string or an object key.
pub fn value_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(value_has_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || value_has_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_escaped_nul_is_found_and_an_escaped_backslash_is_not_one() {
        for (text, has) in [
            (r#"{"a":"x\u0000y"}"#, true),
            (r#"{"a\u0000":1}"#, true),
            (r#"["\\\u0000"]"#, true),
            (r#"{"a":"x\\u0000y"}"#, false),
            (r#"{"a":"\u00001"}"#, true),
            (r#"{"a":"\u0001"}"#, false),
            (r#"{"a":"\u000"}"#, false),
            (r#"{"a":"plain"}"#, false),
            (r#"{"a":"ends with \\"}"#, false),
        ] {
            assert_eq!(json_text_has_nul(text.as_bytes()), has, "{text}");
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                assert_eq!(value_has_nul(&value), has, "{text}");
            }
        }
        assert!(value_has_nul(&json!({"a": [{"b": "\u{0}"}]})));
        assert!(!value_has_nul(&json!({"a": [1, null, true, "x"]})));
    }
}
