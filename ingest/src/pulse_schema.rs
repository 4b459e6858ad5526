//! Treeherder's pulse job schema (`schemas/pulse-job.yml`, version 1) written out as Rust data,
//! and the validator that checks one message against it.
//!
//! Why by hand rather than a JSON-Schema engine: the schema is small and stable, a static tree
//! reads almost line for line like the yml, and we choose the wording of every rejection (the
//! `rule` strings here are part of the crate's contract and are asserted by tests). The few
//! places where we accept more than the yml are marked `EXTENSION` and listed in the README.
//!
//! Validation stops at the first violation, in a fixed order (type, required fields, unknown
//! fields, then each property in the yml's order), so a message is always rejected for the
//! same reason.

use serde_json::Value;

/// The first rule a message breaks: where (`field`, a JSON path) and what (`rule`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub field: String,
    pub rule: String,
    pub message: String,
}

impl Violation {
    /// A violation of `rule` by `value` at `field`; the message quotes a short excerpt of the
    /// offending value so a log line is enough to find the bad message.
    pub(crate) fn new(field: &str, rule: impl Into<String>, value: Option<&Value>) -> Violation {
        let rule = rule.into();
        let subject = if field == ROOT { "the message" } else { field };
        let message = match value {
            Some(value) => format!("{subject} {rule} (got {})", excerpt(value)),
            None => format!("{subject} is {rule}"),
        };
        Violation {
            field: field.to_owned(),
            rule,
            message,
        }
    }
}

/// The path of the message itself.
pub(crate) const ROOT: &str = "$";

/// At most this many characters of an offending value are quoted in a message.
const EXCERPT_CHARS: usize = 60;

fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The string patterns the yml uses (JSON Schema regexes are ECMA-262: `\w` is ASCII only).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pattern {
    /// `^[\w-]+$`
    Word,
    /// `^[A-Za-z0-9/+-]+$` (taskId)
    TaskId,
    /// `^[\w/+-]+$` (coalesced job guids)
    Guid,
    /// `^[0-9a-f]+$` with `minLength: 40, maxLength: 40`: checked together so a bad revision
    /// gets one rule, not a length rule for some inputs and a pattern rule for others.
    Revision,
}

impl Pattern {
    fn matches(self, s: &str) -> bool {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        match self {
            Pattern::Word => !s.is_empty() && s.chars().all(word),
            Pattern::TaskId => {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '-'))
            }
            Pattern::Guid => !s.is_empty() && s.chars().all(|c| word(c) || matches!(c, '/' | '+')),
            Pattern::Revision => {
                s.len() == 40
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }
        }
    }

    fn rule(self) -> &'static str {
        match self {
            Pattern::Word => "must match ^[\\w-]+$",
            Pattern::TaskId => "must match ^[A-Za-z0-9/+-]+$",
            Pattern::Guid => "must match ^[\\w/+-]+$",
            Pattern::Revision => "must be 40 lowercase hexadecimal digits",
        }
    }
}

/// The `format`s the yml uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Format {
    DateTime,
    Uri,
}

impl Format {
    fn matches(self, s: &str) -> bool {
        match self {
            Format::DateTime => parse_date_time(s).is_some(),
            Format::Uri => is_absolute_uri(s),
        }
    }

    fn rule(self) -> &'static str {
        match self {
            Format::DateTime => "must be an RFC 3339 date-time",
            Format::Uri => "must be an absolute URI",
        }
    }
}

/// An RFC 3339 date-time as unix microseconds.
pub(crate) fn parse_date_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// RFC 3986 `scheme ":" rest`, with no whitespace: enough to refuse relative paths and prose,
/// which is what `format: uri` is there to catch.
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A JSON integer as the schema sees it (draft-06: `1.0` is an integer too), saturated to i64.
pub(crate) fn integer(value: &Value) -> Option<i64> {
    let Value::Number(n) = value else { return None };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    // `as` saturates; the range check afterwards judges the saturated value.
    n.as_f64()
        .filter(|f| f.is_finite() && f.fract() == 0.0)
        .map(|f| f as i64)
}

/// One node of the schema tree.
#[derive(Debug)]
pub(crate) enum Schema {
    Object {
        properties: &'static [(&'static str, Schema)],
        required: &'static [&'static str],
        /// `additionalProperties: false`
        closed: bool,
    },
    Array(&'static Schema),
    String {
        min_len: usize,
        max_len: Option<usize>,
        pattern: Option<Pattern>,
        format: Option<Format>,
        one_of: Option<&'static [&'static str]>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
        one_of: Option<&'static [i64]>,
    },
    Boolean,
    /// Anything (used for extension fields whose inner shape we do not judge).
    Any,
}

/// A string with only a length range.
const fn text(min_len: usize, max_len: usize) -> Schema {
    Schema::String {
        min_len,
        max_len: Some(max_len),
        pattern: None,
        format: None,
        one_of: None,
    }
}

/// A string with a length range and a pattern.
const fn patterned(min_len: usize, max_len: usize, pattern: Pattern) -> Schema {
    Schema::String {
        min_len,
        max_len: Some(max_len),
        pattern: Some(pattern),
        format: None,
        one_of: None,
    }
}

const fn formatted(max_len: Option<usize>, format: Format) -> Schema {
    Schema::String {
        min_len: 0,
        max_len,
        pattern: None,
        format: Some(format),
        one_of: None,
    }
}

const fn one_of(values: &'static [&'static str]) -> Schema {
    Schema::String {
        min_len: 0,
        max_len: None,
        pattern: None,
        format: None,
        one_of: Some(values),
    }
}

const fn int(min: Option<i64>, max: Option<i64>) -> Schema {
    Schema::Integer {
        min,
        max,
        one_of: None,
    }
}

const ANY_STRING: Schema = Schema::String {
    min_len: 0,
    max_len: None,
    pattern: None,
    format: None,
    one_of: None,
};

/// `definitions.machine`
const MACHINE: Schema = Schema::Object {
    properties: &[
        ("name", patterned(1, 50, Pattern::Word)),
        ("platform", patterned(1, 100, Pattern::Word)),
        ("os", patterned(1, 25, Pattern::Word)),
        ("architecture", patterned(1, 25, Pattern::Word)),
    ],
    required: &["platform", "os", "architecture"],
    closed: true,
};

const LINK: Schema = Schema::Object {
    properties: &[
        ("url", formatted(Some(512), Format::Uri)),
        ("linkText", text(1, 125)),
        ("label", text(1, 70)),
    ],
    required: &["url", "linkText", "label"],
    closed: true,
};

const ANY_ARRAY: Schema = Schema::Array(&Schema::Any);

const LOG: Schema = Schema::Object {
    properties: &[
        (
            "url",
            Schema::String {
                min_len: 1,
                max_len: Some(255),
                pattern: None,
                format: Some(Format::Uri),
                one_of: None,
            },
        ),
        ("name", text(1, 50)),
        // EXTENSION: a log may carry the steps and errors already parsed from it.
        ("steps", ANY_ARRAY),
        ("errors", ANY_ARRAY),
    ],
    required: &["url", "name"],
    closed: true,
};

pub(crate) const STATES: &[&str] = &["unscheduled", "pending", "running", "completed"];
pub(crate) const RESULTS: &[&str] = &[
    "success",
    "fail",
    "exception",
    "retry",
    "canceled",
    "superseded",
    "unknown",
];
pub(crate) const JOB_KINDS: &[&str] = &["build", "test", "other"];
pub(crate) const ORIGIN_KINDS: &[&str] = &["hg.mozilla.org", "github.com"];

/// The whole message, in the yml's order.
pub(crate) const PULSE_JOB: Schema = Schema::Object {
    properties: &[
        ("taskId", patterned(1, 50, Pattern::TaskId)),
        ("retryId", int(Some(0), None)),
        ("isRetried", Schema::Boolean),
        ("buildSystem", patterned(1, 25, Pattern::Word)),
        (
            "origin",
            Schema::Object {
                properties: &[
                    ("project", patterned(1, 50, Pattern::Word)),
                    ("revision", patterned(40, 40, Pattern::Revision)),
                    ("id", int(None, None)),
                    // EXTENSION: the fields of Treeherder's later origin variants.
                    ("kind", one_of(ORIGIN_KINDS)),
                    ("owner", patterned(1, 50, Pattern::Word)),
                    ("pushLogID", int(None, None)),
                    ("pullRequestID", int(None, None)),
                ],
                required: &["project", "revision"],
                closed: true,
            },
        ),
        (
            "display",
            Schema::Object {
                properties: &[
                    ("jobSymbol", text(0, 25)),
                    ("chunkId", int(Some(1), None)),
                    ("chunkCount", int(Some(1), None)),
                    ("groupSymbol", text(1, 25)),
                    ("jobName", text(1, 140)),
                    ("groupName", text(1, 255)),
                ],
                required: &["jobName", "jobSymbol", "groupSymbol"],
                closed: true,
            },
        ),
        ("state", one_of(STATES)),
        ("result", one_of(RESULTS)),
        ("jobKind", one_of(JOB_KINDS)),
        ("tier", int(Some(1), Some(3))),
        ("coalesced", Schema::Array(&patterned(1, 50, Pattern::Guid))),
        ("timeScheduled", formatted(None, Format::DateTime)),
        ("timeStarted", formatted(None, Format::DateTime)),
        ("timeCompleted", formatted(None, Format::DateTime)),
        ("labels", Schema::Array(&patterned(1, 50, Pattern::Word))),
        ("owner", text(1, 50)),
        ("reason", text(1, 125)),
        ("productName", text(1, 125)),
        ("buildMachine", MACHINE),
        ("runMachine", MACHINE),
        (
            "jobInfo",
            Schema::Object {
                properties: &[("summary", ANY_STRING), ("links", Schema::Array(&LINK))],
                required: &[],
                closed: true,
            },
        ),
        ("logs", Schema::Array(&LOG)),
        (
            "version",
            Schema::Integer {
                min: None,
                max: None,
                one_of: Some(&[1]),
            },
        ),
    ],
    required: &[
        "taskId",
        "origin",
        "buildSystem",
        "display",
        "state",
        "jobKind",
        "version",
    ],
    closed: true,
};

/// Checks `value` (found at `path`) against `schema`.
pub(crate) fn validate(schema: &Schema, value: &Value, path: &str) -> Result<(), Violation> {
    check(schema, value, &FieldPath::Named(path))
}

/// Where a value sits in the message, spelled out only when it breaks a rule: a valid
/// message costs no path strings at all.
enum FieldPath<'a> {
    Named(&'a str),
    Field(&'a FieldPath<'a>, &'a str),
    Item(&'a FieldPath<'a>, usize),
}

impl FieldPath<'_> {
    fn spell(&self) -> String {
        match self {
            FieldPath::Named(name) => (*name).to_owned(),
            FieldPath::Field(parent, name) => join(&parent.spell(), name),
            FieldPath::Item(parent, index) => format!("{}[{index}]", parent.spell()),
        }
    }
}

fn check(schema: &Schema, value: &Value, at: &FieldPath<'_>) -> Result<(), Violation> {
    match schema {
        Schema::Any => Ok(()),
        Schema::Boolean => match value {
            Value::Bool(_) => Ok(()),
            _ => Err(Violation::new(
                &at.spell(),
                "must be a boolean",
                Some(value),
            )),
        },
        Schema::Integer { min, max, one_of } => {
            let Some(n) = integer(value) else {
                return Err(Violation::new(
                    &at.spell(),
                    "must be an integer",
                    Some(value),
                ));
            };
            if let Some(allowed) = one_of {
                if !allowed.contains(&n) {
                    let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
                    let rule = format!("must be one of {}", list.join(", "));
                    return Err(Violation::new(&at.spell(), rule, Some(value)));
                }
            }
            let too_low = min.is_some_and(|m| n < m);
            let too_high = max.is_some_and(|m| n > m);
            if too_low || too_high {
                let rule = match (min, max) {
                    (Some(lo), Some(hi)) => format!("must be between {lo} and {hi}"),
                    (Some(lo), None) => format!("must be at least {lo}"),
                    (None, Some(hi)) => format!("must be at most {hi}"),
                    (None, None) => String::new(),
                };
                return Err(Violation::new(&at.spell(), rule, Some(value)));
            }
            Ok(())
        }
        Schema::String {
            min_len,
            max_len,
            pattern,
            format,
            one_of,
        } => {
            let Value::String(s) = value else {
                return Err(Violation::new(&at.spell(), "must be a string", Some(value)));
            };
            if let Some(allowed) = one_of {
                if !allowed.contains(&s.as_str()) {
                    let rule = format!("must be one of {}", allowed.join(", "));
                    return Err(Violation::new(&at.spell(), rule, Some(value)));
                }
                return Ok(());
            }
            // The pattern goes first where it also fixes the length (revision).
            if let Some(pattern) = pattern {
                if matches!(pattern, Pattern::Revision) && !pattern.matches(s) {
                    return Err(Violation::new(&at.spell(), pattern.rule(), Some(value)));
                }
            }
            // JSON Schema lengths count code points, not bytes.
            let len = s.chars().count();
            if len < *min_len {
                let rule = if *min_len == 1 {
                    "must not be empty".to_owned()
                } else {
                    format!("must be at least {min_len} characters")
                };
                return Err(Violation::new(&at.spell(), rule, Some(value)));
            }
            if let Some(max) = max_len {
                if len > *max {
                    let rule = format!("must be at most {max} characters");
                    return Err(Violation::new(&at.spell(), rule, Some(value)));
                }
            }
            if let Some(pattern) = pattern {
                if !pattern.matches(s) {
                    return Err(Violation::new(&at.spell(), pattern.rule(), Some(value)));
                }
            }
            if let Some(format) = format {
                if !format.matches(s) {
                    return Err(Violation::new(&at.spell(), format.rule(), Some(value)));
                }
            }
            Ok(())
        }
        Schema::Array(items) => {
            let Value::Array(values) = value else {
                return Err(Violation::new(&at.spell(), "must be an array", Some(value)));
            };
            for (i, item) in values.iter().enumerate() {
                check(items, item, &FieldPath::Item(at, i))?;
            }
            Ok(())
        }
        Schema::Object {
            properties,
            required,
            closed,
        } => {
            let Value::Object(map) = value else {
                return Err(Violation::new(
                    &at.spell(),
                    "must be an object",
                    Some(value),
                ));
            };
            for name in *required {
                if !map.contains_key(*name) {
                    return Err(Violation::new(
                        &FieldPath::Field(at, name).spell(),
                        "required",
                        None,
                    ));
                }
            }
            if *closed {
                if let Some((key, value)) = map
                    .iter()
                    .find(|(key, _)| !properties.iter().any(|(name, _)| name == key))
                {
                    return Err(Violation::new(
                        &FieldPath::Field(at, key).spell(),
                        "unknown field",
                        Some(value),
                    ));
                }
            }
            for (name, schema) in *properties {
                if let Some(value) = map.get(*name) {
                    check(schema, value, &FieldPath::Field(at, name))?;
                }
            }
            Ok(())
        }
    }
}

/// `parent.child`, where the message itself is the unnamed root.
fn join(parent: &str, child: &str) -> String {
    if parent == ROOT {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_the_ecma_meaning_of_backslash_w() {
        assert!(Pattern::Word.matches("linux64-qr_1"));
        assert!(!Pattern::Word.matches("linux64 qr"));
        assert!(!Pattern::Word.matches("é"));
        assert!(!Pattern::Word.matches(""));
        assert!(Pattern::TaskId.matches("008dcdae-bde0/0+x"));
        assert!(!Pattern::TaskId.matches("a_b"));
        assert!(Pattern::Guid.matches("a_b/0"));
    }

    #[test]
    fn uris_need_a_scheme() {
        assert!(is_absolute_uri("https://example.com/a.log"));
        assert!(is_absolute_uri("urn:x"));
        assert!(!is_absolute_uri("/relative/path"));
        assert!(!is_absolute_uri("https://exa mple.com"));
        assert!(!is_absolute_uri("1http://x"));
        assert!(!is_absolute_uri("http:"));
    }

    #[test]
    fn integers_include_whole_floats_and_saturate() {
        assert_eq!(integer(&serde_json::json!(2)), Some(2));
        assert_eq!(integer(&serde_json::json!(2.0)), Some(2));
        assert_eq!(integer(&serde_json::json!(2.5)), None);
        assert_eq!(integer(&serde_json::json!(u64::MAX)), Some(i64::MAX));
        assert_eq!(integer(&serde_json::json!("2")), None);
    }

    #[test]
    fn excerpts_are_cut_on_a_character_boundary() {
        let long = Value::String("é".repeat(100));
        let v = Violation::new("owner", "must be at most 50 characters", Some(&long));
        assert!(v.message.ends_with("…)"), "{}", v.message);
    }
}
