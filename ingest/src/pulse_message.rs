//! A pulse job message as typed data, borrowed from the text it was read from.
//!
//! This is the fast way in. A message is deserialized straight into these structs (no `Value`
//! tree: most strings stay slices of the body), each string and integer is checked against the
//! very schema node the validator uses ([`crate::pulse_schema`]), and [`crate::pulse`] maps it.
//! Whatever the fast way does not take (a wrong type, an unknown or repeated field, a `null`,
//! a float where an integer belongs, a broken rule) goes the exact way: the `Value` validator,
//! which alone words rejections, then these same structs read from the validated `Value`. So
//! there is one schema and one mapping, and the fast way can only ever accept a message the
//! validator accepts (the crate's tests hold the two ways to the same answers on every
//! fixture, rejection case and mutated message).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer};

use crate::pulse_schema::{self as schema, Schema, integer_rule, string_rule};

/// A string of the message: borrowed from the body unless it held escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// An integer as the schema sees it ([`schema::integer`]): whole floats count, and values
/// beyond `i64` saturate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Integer(pub i64);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntegerVisitor;
        impl Visitor<'_> for IntegerVisitor {
            type Value = Integer;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Integer, E> {
                Ok(Integer(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Integer, E> {
                Ok(Integer(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, f: f64) -> Result<Integer, E> {
                if f.is_finite() && f.fract() == 0.0 {
                    // `as` saturates, as the validator's does.
                    Ok(Integer(f as i64))
                } else {
                    Err(E::invalid_type(de::Unexpected::Float(f), &self))
                }
            }
        }
        deserializer.deserialize_any(IntegerVisitor)
    }
}

/// For optional fields: absent is `None` (with `#[serde(default)]`), but a present `null` is
/// not a value of the field (the validator refuses it, so the fast way must not take it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PulseMessage<'a> {
    #[serde(borrow)]
    pub task_id: Text<'a>,
    #[serde(default, deserialize_with = "present")]
    pub retry_id: Option<Integer>,
    #[serde(default, deserialize_with = "present")]
    pub is_retried: Option<bool>,
    #[serde(borrow)]
    pub build_system: Text<'a>,
    #[serde(borrow)]
    pub origin: Origin<'a>,
    #[serde(borrow)]
    pub display: Display<'a>,
    #[serde(borrow)]
    pub state: Text<'a>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub result: Option<Text<'a>>,
    #[serde(borrow)]
    pub job_kind: Text<'a>,
    #[serde(default, deserialize_with = "present")]
    pub tier: Option<Integer>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub coalesced: Option<Vec<Text<'a>>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub time_scheduled: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub time_started: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub time_completed: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub labels: Option<Vec<Text<'a>>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub owner: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub reason: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub product_name: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub build_machine: Option<Machine<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub run_machine: Option<Machine<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub job_info: Option<JobInfo<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub logs: Option<Vec<Log<'a>>>,
    pub version: Integer,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Origin<'a> {
    #[serde(borrow)]
    pub project: Text<'a>,
    #[serde(borrow)]
    pub revision: Text<'a>,
    #[serde(default, deserialize_with = "present")]
    pub id: Option<Integer>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub kind: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub owner: Option<Text<'a>>,
    #[serde(rename = "pushLogID", default, deserialize_with = "present")]
    pub push_log_id: Option<Integer>,
    #[serde(rename = "pullRequestID", default, deserialize_with = "present")]
    pub pull_request_id: Option<Integer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Display<'a> {
    #[serde(borrow)]
    pub job_symbol: Text<'a>,
    #[serde(default, deserialize_with = "present")]
    pub chunk_id: Option<Integer>,
    #[serde(default, deserialize_with = "present")]
    pub chunk_count: Option<Integer>,
    #[serde(borrow)]
    pub group_symbol: Text<'a>,
    #[serde(borrow)]
    pub job_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub group_name: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Machine<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub platform: Text<'a>,
    #[serde(borrow)]
    pub os: Text<'a>,
    #[serde(borrow)]
    pub architecture: Text<'a>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobInfo<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    pub summary: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub links: Option<Vec<Link<'a>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Link<'a> {
    #[serde(borrow)]
    pub url: Text<'a>,
    #[serde(borrow)]
    pub link_text: Text<'a>,
    #[serde(borrow)]
    pub label: Text<'a>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Log<'a> {
    #[serde(borrow)]
    pub url: Text<'a>,
    #[serde(borrow)]
    pub name: Text<'a>,
    // Read only so that their type is judged (arrays); their items are not ours to check.
    #[serde(default, deserialize_with = "present")]
    #[allow(dead_code)]
    pub steps: Option<Vec<IgnoredAny>>,
    #[serde(default, deserialize_with = "present")]
    #[allow(dead_code)]
    pub errors: Option<Vec<IgnoredAny>>,
}

impl PulseMessage<'_> {
    /// Whether every string and integer keeps its schema node's rule. (Types, required and
    /// unknown fields were judged by deserializing.)
    pub(crate) fn keeps_the_rules(&self) -> bool {
        let text = |node: &Schema, t: &Text| string_rule(node, t.as_str()).is_ok();
        let some_text = |node: &Schema, t: &Option<Text>| t.as_ref().is_none_or(|t| text(node, t));
        let int = |node: &Schema, n: &Option<Integer>| {
            n.is_none_or(|Integer(n)| integer_rule(node, n).is_ok())
        };
        let texts = |node: &Schema, items: &Option<Vec<Text>>| {
            items.iter().flatten().all(|t| text(node, t))
        };
        let machine = |m: &Option<Machine>| {
            m.as_ref().is_none_or(|m| {
                some_text(&schema::MACHINE_NAME, &m.name)
                    && text(&schema::MACHINE_PLATFORM, &m.platform)
                    && text(&schema::MACHINE_OS, &m.os)
                    && text(&schema::MACHINE_ARCHITECTURE, &m.architecture)
            })
        };
        let origin = &self.origin;
        let display = &self.display;
        text(&schema::TASK_ID, &self.task_id)
            && int(&schema::RETRY_ID, &self.retry_id)
            && text(&schema::BUILD_SYSTEM, &self.build_system)
            && text(&schema::PROJECT, &origin.project)
            && text(&schema::REVISION, &origin.revision)
            && int(&schema::ANY_INTEGER, &origin.id)
            && some_text(&schema::ORIGIN_KIND, &origin.kind)
            && some_text(&schema::ORIGIN_OWNER, &origin.owner)
            && int(&schema::ANY_INTEGER, &origin.push_log_id)
            && int(&schema::ANY_INTEGER, &origin.pull_request_id)
            && text(&schema::JOB_SYMBOL, &display.job_symbol)
            && int(&schema::CHUNK, &display.chunk_id)
            && int(&schema::CHUNK, &display.chunk_count)
            && text(&schema::GROUP_SYMBOL, &display.group_symbol)
            && text(&schema::JOB_NAME, &display.job_name)
            && some_text(&schema::GROUP_NAME, &display.group_name)
            && text(&schema::STATE, &self.state)
            && some_text(&schema::RESULT, &self.result)
            && text(&schema::JOB_KIND, &self.job_kind)
            && int(&schema::TIER, &self.tier)
            && texts(&schema::GUID, &self.coalesced)
            && some_text(&schema::TIME, &self.time_scheduled)
            && some_text(&schema::TIME, &self.time_started)
            && some_text(&schema::TIME, &self.time_completed)
            && texts(&schema::LABEL, &self.labels)
            && some_text(&schema::OWNER, &self.owner)
            && some_text(&schema::REASON, &self.reason)
            && some_text(&schema::PRODUCT_NAME, &self.product_name)
            && machine(&self.build_machine)
            && machine(&self.run_machine)
            && self.job_info.as_ref().is_none_or(|info| {
                some_text(&schema::ANY_STRING, &info.summary)
                    && info.links.iter().flatten().all(|link| {
                        text(&schema::LINK_URL, &link.url)
                            && text(&schema::LINK_TEXT, &link.link_text)
                            && text(&schema::LINK_LABEL, &link.label)
                    })
            })
            && self
                .logs
                .iter()
                .flatten()
                .all(|log| text(&schema::LOG_URL, &log.url) && text(&schema::LOG_NAME, &log.name))
            && int(&schema::VERSION, &Some(self.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the fast way takes `text` by itself (without falling back).
    fn fast(text: &str) -> bool {
        serde_json::from_str::<PulseMessage>(text).is_ok_and(|m| m.keeps_the_rules())
    }

    const VALID: &str = r#"{"taskId": "a0yJRHtkQzW-tp7nzieXSA/0", "buildSystem": "taskcluster",
        "origin": {"project": "try", "revision": "219d38523a321229f7f48aca6592f76b993fb1aa", "id": 7},
        "display": {"jobName": "test-linux64/opt-mochitest-1", "jobSymbol": "M", "chunkId": 1, "groupSymbol": "M"},
        "state": "completed", "result": "success", "jobKind": "test", "tier": 2, "labels": ["e10s"],
        "runMachine": {"name": "t-linux-1", "platform": "linux64", "os": "linux", "architecture": "x86_64"},
        "jobInfo": {"summary": "ok", "links": [{"url": "https://x.example/e.log", "linkText": "errorsummary_json", "label": "artifact uploaded"}]},
        "logs": [{"name": "live_backing_log", "url": "https://x.example/l.log", "steps": []}],
        "timeStarted": "2026-11-25T10:00:00Z", "version": 1}"#;

    #[test]
    fn valid_messages_take_the_fast_way() {
        assert!(fast(VALID));
        // Escaped strings are read too (owned rather than borrowed).
        assert!(fast(
            &VALID.replace("opt-mochitest-1", r"opt-mochitest-\u00e91")
        ));
        let Some(path) = treeherd_testkit::fixture("treeherder/pulse/job_data.json") else {
            return;
        };
        // The samples' project is a placeholder ("set by test") that names no repository.
        let text = std::fs::read_to_string(path)
            .expect("fixture")
            .replace("set by test", "try");
        let messages: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(&text).expect("fixture JSON");
        assert_eq!(messages.len(), 30);
        for message in messages {
            assert!(fast(message.get()), "{}", message.get());
        }
    }

    #[test]
    fn what_only_the_validator_may_judge_is_left_to_it() {
        for (from, to) in [
            // `null` is not an absent field.
            (r#""tier": 2"#, r#""tier": null"#),
            (r#""tier": 2"#, r#""tier": 2.5"#),
            // A repeated field.
            (r#""tier": 2"#, r#""tier": 2, "tier": 3"#),
            // An unknown field, a broken rule, a wrong type, a missing required field.
            (r#""tier": 2"#, r#""tier": 2, "colour": "red""#),
            (r#""tier": 2"#, r#""tier": 4"#),
            (r#""labels": ["e10s"]"#, r#""labels": ["e 10s"]"#),
            (r#""labels": ["e10s"]"#, r#""labels": "e10s""#),
            (r#""version": 1"#, r#""version": 2"#),
            (r#", "buildSystem": "taskcluster""#, ""),
            (r#""os": "linux""#, r#""os": "linux", "cpu": 4"#),
            (r#""steps": []"#, r#""steps": {}"#),
        ] {
            let text = VALID.replacen(from, to, 1);
            assert_ne!(text, VALID, "{from}");
            assert!(!fast(&text), "{to}");
        }
    }
}
