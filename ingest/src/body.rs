//! The framing of a batch of pulse messages: a JSON array, NDJSON, or a single object.
//!
//! Senders differ (a test posts one object, a replay tool an array, a pulse consumer's dump is
//! one message per line), and telling them apart needs no flag: read a stream of JSON values
//! separated by whitespace. One array alone is the batch; otherwise every value is a message.
//! Only JSON syntax and framing are judged here; whether a value is a valid message is
//! [`crate::parse_pulse_text`]'s business, per message.

use std::io::Read;

use serde_json::Value;
use serde_json::value::RawValue;

/// A body that is not a batch of JSON messages.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "an array at line {line}, column {column} must be the whole body \
         (send one array, or one message per line)"
    )]
    ArrayNotAlone { line: usize, column: usize },
    #[error("reading the body: {0}")]
    Io(#[from] std::io::Error),
}

/// Splits a body into messages: a JSON array, NDJSON (blank lines ignored), or one object.
/// An empty body is an empty batch. Each message is its own JSON text, borrowed from the body
/// (checked to be well-formed, not yet read into values).
pub fn split_pulse_body(body: &[u8]) -> Result<Vec<&RawValue>, BodyError> {
    // A UTF-8 byte order mark is not JSON, but editors and some HTTP clients add one.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>();
    let mut values = Vec::new();
    let mut first_array_at = None;
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Err(err)) => {
                // The scan that splits words some errors tersely ("key must be a string" for
                // a trailing comma); a malformed body is rare, so read it as values to say it
                // as the value parser does.
                let worded = serde_json::Deserializer::from_slice(body)
                    .into_iter::<Value>()
                    .find_map(Result::err);
                return Err(malformed(&worded.unwrap_or(err)));
            }
            Some(Ok(value)) => {
                if value.get().starts_with('[') && first_array_at.is_none() {
                    first_array_at = Some(start);
                }
                values.push(value);
            }
        }
    }
    match (first_array_at, values.as_slice()) {
        (None, _) => Ok(values),
        (Some(_), [array]) => serde_json::from_str(array.get()).map_err(|err| malformed(&err)),
        (Some(offset), _) => {
            let (line, column) = position(body, offset);
            Err(BodyError::ArrayNotAlone { line, column })
        }
    }
}

/// One message of a body framed by [`split_pulse_lines`].
#[derive(Debug)]
pub enum Framed<'a> {
    /// Well-formed JSON text (not yet judged as a message).
    Message(&'a RawValue),
    /// A line of NDJSON that is not JSON: rejected alone, the other lines are messages.
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
}

/// [`split_pulse_body`] for a batch whose messages stand on their own: when the body is
/// NDJSON (its first message is one line) and some line is not JSON, that line is a
/// [`Framed::Malformed`] message and every other line is still a message. A JSON array or
/// a message written over several lines is one JSON text, refused whole when malformed.
pub fn split_pulse_lines(body: &[u8]) -> Result<Vec<Framed<'_>>, BodyError> {
    let malformed = match split_pulse_body(body) {
        Ok(messages) => return Ok(messages.into_iter().map(Framed::Message).collect()),
        Err(malformed @ BodyError::Malformed { .. }) => malformed,
        Err(other) => return Err(other),
    };
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let lines: Vec<(usize, &[u8])> = body
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| line.iter().any(|b| !b.is_ascii_whitespace()))
        .collect();
    let line_framed = lines.len() > 1
        && lines.first().is_some_and(|(_, line)| {
            serde_json::from_slice::<&RawValue>(line)
                .is_ok_and(|first| !first.get().starts_with('['))
        });
    if !line_framed {
        return Err(malformed);
    }
    Ok(lines
        .into_iter()
        .map(
            |(number, line)| match serde_json::from_slice::<&RawValue>(line) {
                Ok(message) => Framed::Message(message),
                Err(err) => {
                    // Worded as the value parser words it (see `split_pulse_body`).
                    let err = serde_json::from_slice::<Value>(line).err().unwrap_or(err);
                    Framed::Malformed {
                        line: number,
                        column: err.column(),
                        message: without_position(&err),
                    }
                }
            },
        )
        .collect())
}

/// [`split_pulse_body`], with each message read into a JSON value.
pub fn parse_pulse_body(body: &[u8]) -> Result<Vec<Value>, BodyError> {
    split_pulse_body(body)?
        .into_iter()
        .map(|message| serde_json::from_str(message.get()).map_err(|err| malformed(&err)))
        .collect()
}

fn malformed(err: &serde_json::Error) -> BodyError {
    BodyError::Malformed {
        line: err.line(),
        column: err.column(),
        message: without_position(err),
    }
}

/// [`parse_pulse_body`] on everything a reader gives.
pub fn read_pulse_body(mut reader: impl Read) -> Result<Vec<Value>, BodyError> {
    let mut body = Vec::new();
    reader.read_to_end(&mut body)?;
    parse_pulse_body(&body)
}

/// serde_json's message without its own " at line L column C" tail (we report those fields).
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// The 1-based line and column of the first non-whitespace byte at or after `offset` (the
/// stream's offset is where the previous value ended, before the separating whitespace).
fn position(body: &[u8], offset: usize) -> (usize, usize) {
    let rest = body.get(offset..).unwrap_or_default();
    let skip = rest
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let at = offset + skip;
    let before = body.get(..at).unwrap_or_default();
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (line, at - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(body: &str) -> Vec<Value> {
        match parse_pulse_body(body.as_bytes()) {
            Ok(values) => values,
            Err(err) => panic!("{body:?}: {err}"),
        }
    }

    fn err(body: &str) -> String {
        match parse_pulse_body(body.as_bytes()) {
            Ok(values) => panic!("{body:?} parsed as {values:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn accepts_array_ndjson_and_single_object() {
        assert_eq!(
            ok(r#"[{"a":1},{"a":2}]"#),
            vec![json!({"a":1}), json!({"a":2})]
        );
        assert_eq!(
            ok("{\"a\":1}\n\n{\"a\":2}\r\n  \n{\"a\":3}\n"),
            vec![json!({"a":1}), json!({"a":2}), json!({"a":3})]
        );
        assert_eq!(ok("{\n  \"a\": 1\n}\n"), vec![json!({"a":1})]);
        assert_eq!(ok("\u{feff}[{\"a\":1}]"), vec![json!({"a":1})]);
        assert_eq!(ok(""), Vec::<Value>::new());
        assert_eq!(ok("  \n \n"), Vec::<Value>::new());
        assert_eq!(ok("[]"), Vec::<Value>::new());
    }

    #[test]
    fn values_that_are_not_objects_are_left_for_per_message_rejection() {
        assert_eq!(ok("[1, \"x\"]"), vec![json!(1), json!("x")]);
        assert_eq!(ok("{\"a\":1}\n7\n"), vec![json!({"a":1}), json!(7)]);
    }

    #[test]
    fn malformed_input_names_line_and_column() {
        assert_eq!(
            err("{\"a\":1}\n{\"a\":2,}\n"),
            "malformed JSON at line 2, column 8: trailing comma"
        );
        assert_eq!(
            err("[{\"a\":1}"),
            "malformed JSON at line 1, column 8: EOF while parsing a list"
        );
        assert_eq!(
            err("{\"a\": tru}"),
            "malformed JSON at line 1, column 10: expected ident"
        );
    }

    #[test]
    fn an_array_must_be_alone() {
        assert_eq!(
            err("{\"a\":1}\n  [{\"a\":2}]\n"),
            "an array at line 2, column 3 must be the whole body \
             (send one array, or one message per line)"
        );
        assert!(err("[]\n[]").contains("line 1, column 1"));
    }

    #[test]
    fn an_ndjson_line_that_is_not_json_stands_alone() {
        let body = "{\"a\":1}\n{\"a\":2,}\n\n{\"a\":3}\n";
        let framed = split_pulse_lines(body.as_bytes()).unwrap();
        let seen: Vec<String> = framed
            .iter()
            .map(|f| match f {
                Framed::Message(m) => m.get().to_owned(),
                Framed::Malformed {
                    line,
                    column,
                    message,
                } => format!("{line}:{column} {message}"),
            })
            .collect();
        assert_eq!(seen, ["{\"a\":1}", "2:8 trailing comma", "{\"a\":3}"]);
        // One JSON text (an array, a message over several lines) is refused whole.
        for whole in ["[{\"a\":1},\n{\"a\":2,}]", "{\n  \"a\": 1,\n}\n{\"a\":2}\n"] {
            assert!(split_pulse_lines(whole.as_bytes()).is_err(), "{whole}");
        }
        assert_eq!(split_pulse_lines(b"{\"a\":1}\n").unwrap().len(), 1);
    }

    #[test]
    fn reads_from_a_reader() {
        let values = read_pulse_body(&b"{\"a\":1}\n{\"a\":2}"[..]).unwrap();
        assert_eq!(values.len(), 2);
    }
}
