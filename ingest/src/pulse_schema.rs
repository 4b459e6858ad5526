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

pub(crate) const ANY_STRING: Schema = Schema::String {
    min_len: 0,
    max_len: None,
    pattern: None,
    format: None,
    one_of: None,
};

// The leaves: every string and integer rule of the yml, named so that the validator's tree
// below and the typed fast path (`crate::pulse_message`) judge by the very same node.
pub(crate) const TASK_ID: Schema = patterned(1, 50, Pattern::TaskId);
pub(crate) const RETRY_ID: Schema = int(Some(0), None);
pub(crate) const BUILD_SYSTEM: Schema = patterned(1, 25, Pattern::Word);
pub(crate) const PROJECT: Schema = patterned(1, 50, Pattern::Word);
pub(crate) const REVISION: Schema = patterned(40, 40, Pattern::Revision);
/// `origin.id`, `pushLogID`, `pullRequestID`.
pub(crate) const ANY_INTEGER: Schema = int(None, None);
pub(crate) const ORIGIN_KIND: Schema = one_of(ORIGIN_KINDS);
pub(crate) const ORIGIN_OWNER: Schema = patterned(1, 50, Pattern::Word);
pub(crate) const JOB_SYMBOL: Schema = text(0, 25);
/// `chunkId`, `chunkCount`.
pub(crate) const CHUNK: Schema = int(Some(1), None);
pub(crate) const GROUP_SYMBOL: Schema = text(1, 25);
pub(crate) const JOB_NAME: Schema = text(1, 140);
pub(crate) const GROUP_NAME: Schema = text(1, 255);
pub(crate) const STATE: Schema = one_of(STATES);
pub(crate) const RESULT: Schema = one_of(RESULTS);
pub(crate) const JOB_KIND: Schema = one_of(JOB_KINDS);
pub(crate) const TIER: Schema = int(Some(1), Some(3));
/// An item of `coalesced`.
pub(crate) const GUID: Schema = patterned(1, 50, Pattern::Guid);
/// `timeScheduled`, `timeStarted`, `timeCompleted`.
pub(crate) const TIME: Schema = formatted(None, Format::DateTime);
/// An item of `labels`.
pub(crate) const LABEL: Schema = patterned(1, 50, Pattern::Word);
pub(crate) const OWNER: Schema = text(1, 50);
pub(crate) const REASON: Schema = text(1, 125);
pub(crate) const PRODUCT_NAME: Schema = text(1, 125);
pub(crate) const MACHINE_NAME: Schema = patterned(1, 50, Pattern::Word);
pub(crate) const MACHINE_PLATFORM: Schema = patterned(1, 100, Pattern::Word);
pub(crate) const MACHINE_OS: Schema = patterned(1, 25, Pattern::Word);
pub(crate) const MACHINE_ARCHITECTURE: Schema = patterned(1, 25, Pattern::Word);
pub(crate) const LINK_URL: Schema = formatted(Some(512), Format::Uri);
pub(crate) const LINK_TEXT: Schema = text(1, 125);
pub(crate) const LINK_LABEL: Schema = text(1, 70);
pub(crate) const LOG_URL: Schema = Schema::String {
    min_len: 1,
    max_len: Some(255),
    pattern: None,
    format: Some(Format::Uri),
    one_of: None,
};
pub(crate) const LOG_NAME: Schema = text(1, 50);
pub(crate) const VERSION: Schema = Schema::Integer {
    min: None,
    max: None,
    one_of: Some(&[1]),
};

/// `definitions.machine`
const MACHINE: Schema = Schema::Object {
    properties: &[
        ("name", MACHINE_NAME),
        ("platform", MACHINE_PLATFORM),
        ("os", MACHINE_OS),
        ("architecture", MACHINE_ARCHITECTURE),
    ],
    required: &["platform", "os", "architecture"],
    closed: true,
};

const LINK: Schema = Schema::Object {
    properties: &[
        ("url", LINK_URL),
        ("linkText", LINK_TEXT),
        ("label", LINK_LABEL),
    ],
    required: &["url", "linkText", "label"],
    closed: true,
};

const ANY_ARRAY: Schema = Schema::Array(&Schema::Any);

const LOG: Schema = Schema::Object {
    properties: &[
        ("url", LOG_URL),
        ("name", LOG_NAME),
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
        ("taskId", TASK_ID),
        ("retryId", RETRY_ID),
        ("isRetried", Schema::Boolean),
        ("buildSystem", BUILD_SYSTEM),
        (
            "origin",
            Schema::Object {
                properties: &[
                    ("project", PROJECT),
                    ("revision", REVISION),
                    ("id", ANY_INTEGER),
                    // EXTENSION: the fields of Treeherder's later origin variants.
                    ("kind", ORIGIN_KIND),
                    ("owner", ORIGIN_OWNER),
                    ("pushLogID", ANY_INTEGER),
                    ("pullRequestID", ANY_INTEGER),
                ],
                required: &["project", "revision"],
                closed: true,
            },
        ),
        (
            "display",
            Schema::Object {
                properties: &[
                    ("jobSymbol", JOB_SYMBOL),
                    ("chunkId", CHUNK),
                    ("chunkCount", CHUNK),
                    ("groupSymbol", GROUP_SYMBOL),
                    ("jobName", JOB_NAME),
                    ("groupName", GROUP_NAME),
                ],
                required: &["jobName", "jobSymbol", "groupSymbol"],
                closed: true,
            },
        ),
        ("state", STATE),
        ("result", RESULT),
        ("jobKind", JOB_KIND),
        ("tier", TIER),
        ("coalesced", Schema::Array(&GUID)),
        ("timeScheduled", TIME),
        ("timeStarted", TIME),
        ("timeCompleted", TIME),
        ("labels", Schema::Array(&LABEL)),
        ("owner", OWNER),
        ("reason", REASON),
        ("productName", PRODUCT_NAME),
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
        ("version", VERSION),
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
        Schema::Integer { .. } => {
            let Some(n) = integer(value) else {
                return Err(Violation::new(
                    &at.spell(),
                    "must be an integer",
                    Some(value),
                ));
            };
            integer_rule(schema, n).map_err(|rule| Violation::new(&at.spell(), rule, Some(value)))
        }
        Schema::String { .. } => {
            let Value::String(s) = value else {
                return Err(Violation::new(&at.spell(), "must be a string", Some(value)));
            };
            string_rule(schema, s).map_err(|rule| Violation::new(&at.spell(), rule, Some(value)))
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

/// The rule an integer breaks under `schema` (an integer node), if any. Shared by the
/// validator and the typed fast path ([`crate::pulse_message`]), so both judge alike.
pub(crate) fn integer_rule(schema: &Schema, n: i64) -> Result<(), String> {
    let Schema::Integer { min, max, one_of } = schema else {
        return Err("must not be an integer".into());
    };
    if let Some(allowed) = one_of {
        if !allowed.contains(&n) {
            let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
            return Err(format!("must be one of {}", list.join(", ")));
        }
    }
    let too_low = min.is_some_and(|m| n < m);
    let too_high = max.is_some_and(|m| n > m);
    if too_low || too_high {
        return Err(match (min, max) {
            (Some(lo), Some(hi)) => format!("must be between {lo} and {hi}"),
            (Some(lo), None) => format!("must be at least {lo}"),
            (None, Some(hi)) => format!("must be at most {hi}"),
            (None, None) => String::new(),
        });
    }
    Ok(())
}

/// The rule a string breaks under `schema` (a string node), if any; see [`integer_rule`].
pub(crate) fn string_rule(schema: &Schema, s: &str) -> Result<(), String> {
    let Schema::String {
        min_len,
        max_len,
        pattern,
        format,
        one_of,
    } = schema
    else {
        return Err("must not be a string".into());
    };
    if let Some(allowed) = one_of {
        if !allowed.contains(&s) {
            return Err(format!("must be one of {}", allowed.join(", ")));
        }
        return Ok(());
    }
    // The pattern goes first where it also fixes the length (revision).
    if let Some(pattern) = pattern {
        if matches!(pattern, Pattern::Revision) && !pattern.matches(s) {
            return Err(pattern.rule().into());
        }
    }
    // JSON Schema lengths count code points, not bytes (an ASCII string's are its bytes).
    let len = if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    };
    if len < *min_len {
        return Err(if *min_len == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min_len} characters")
        });
    }
    if let Some(max) = max_len {
        if len > *max {
            return Err(format!("must be at most {max} characters"));
        }
    }
    if let Some(pattern) = pattern {
        if !pattern.matches(s) {
            return Err(pattern.rule().into());
        }
    }
    if let Some(format) = format {
        if !format.matches(s) {
            return Err(format.rule().into());
        }
    }
    Ok(())
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
