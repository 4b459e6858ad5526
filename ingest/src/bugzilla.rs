//! Bugs as Bugzilla's REST API returns them, mapped to the model's [`NewBug`]s, so sheriffing
//! can suggest and count bugs from a local copy instead of asking Bugzilla for every line.
//!
//! A record is a bug object of `GET /rest/bug` (`id status resolution summary dupe_of
//! cf_crash_signature keywords last_change_time whiteboard`; other fields, such as
//! `duplicates`, are ignored). A file is Bugzilla's answer (`{"bugs": [...]}`), a JSON array of
//! bug objects, or NDJSON of them (one answer per line is read too). An answer that is
//! Bugzilla's error (`{"error": true, "message": ...}`) is refused with its message.
//!
//! Every record is checked (the model's rules, plus the JSON types and dates here); an error
//! names the record's index among the bugs and the field at fault (`keywords[1]`).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};
use treeherd_model::{BugId, NewBug, resolve_duplicate};

use crate::body::{BodyError, parse_pulse_body};
use crate::record::{RecordError, describe, micros, optional_str, type_name};

/// A file that is not a set of valid Bugzilla bugs.
#[derive(Debug, thiserror::Error)]
pub enum BugzillaError {
    /// Not JSON, or not framed as bugs.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// Bugzilla answered with an error instead of bugs.
    #[error("Bugzilla answered with error {code}: {message}")]
    Answer { code: String, message: String },
    /// Records that break a rule, in file order (never empty).
    #[error("{}", describe(.0, "Bugzilla bug"))]
    Records(Vec<RecordError>),
}

/// Reads a Bugzilla file (see the module docs for its shapes): every bug, or every invalid
/// one.
pub fn parse_bugzilla(body: &[u8]) -> Result<Vec<NewBug>, BugzillaError> {
    let records = bug_records(parse_pulse_body(body)?)?;
    let mut bugs = Vec::with_capacity(records.len());
    let mut errors = Vec::new();
    for (index, record) in records.iter().enumerate() {
        match parse_bugzilla_bug(index, record) {
            Ok(bug) => bugs.push(bug),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(bugs)
    } else {
        Err(BugzillaError::Records(errors))
    }
}

/// The bug objects among framed values: an answer's `bugs` unwrapped, a Bugzilla error
/// refused.
fn bug_records(values: Vec<Value>) -> Result<Vec<Value>, BugzillaError> {
    let mut records = Vec::with_capacity(values.len());
    for value in values {
        match value {
            Value::Object(object)
                if object.get("error").is_some_and(|e| e == &Value::Bool(true)) =>
            {
                let code = match object.get("code") {
                    Some(Value::String(code)) => code.clone(),
                    Some(Value::Number(code)) => code.to_string(),
                    _ => "(no code)".to_owned(),
                };
                let message = object
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
                    .to_owned();
                return Err(BugzillaError::Answer { code, message });
            }
            Value::Object(mut object) if object.get("bugs").is_some_and(Value::is_array) => {
                if let Some(Value::Array(bugs)) = object.remove("bugs") {
                    records.extend(bugs);
                }
            }
            other => records.push(other),
        }
    }
    Ok(records)
}

/// Reads one bug object (`index` is only for errors).
pub fn parse_bugzilla_bug(index: usize, record: &Value) -> Result<NewBug, RecordError> {
    let fail = |field: &str, problem: String| RecordError {
        index,
        field: field.to_owned(),
        problem,
    };
    let Value::Object(record) = record else {
        return Err(fail(
            "$",
            format!("must be a bug object, not {}", type_name(record)),
        ));
    };
    let required_str = |key: &str| {
        optional_str(record, key)
            .map_err(|p| fail(key, p))?
            .ok_or_else(|| fail(key, "is required".to_owned()))
    };
    let optional = |key: &str| {
        optional_str(record, key)
            .map(|v| v.map(str::to_owned))
            .map_err(|p| fail(key, p))
    };
    let id = optional_id(record, "id")
        .map_err(|p| fail("id", p))?
        .ok_or_else(|| fail("id", "is required".to_owned()))?;
    let dupe_of = optional_id(record, "dupe_of").map_err(|p| fail("dupe_of", p))?;
    let keywords = match record.get("keywords") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(words)) => words
            .iter()
            .enumerate()
            .map(|(i, word)| match word {
                Value::String(word) => Ok(word.clone()),
                other => Err(fail(
                    &format!("keywords[{i}]"),
                    format!("must be a string, not {}", type_name(other)),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(fail(
                "keywords",
                format!("must be an array of strings, not {}", type_name(other)),
            ));
        }
    };
    // Read in the order of Bugzilla's fields, so the first error is the first field at fault.
    let status = required_str("status")?.to_owned();
    let resolution = optional("resolution")?;
    let summary = required_str("summary")?.to_owned();
    let crash_signature = optional("cf_crash_signature")?;
    let changed = required_str("last_change_time")?;
    let last_change = micros(changed).ok_or_else(|| {
        fail(
            "last_change_time",
            format!("{changed:?} is not a date-time (RFC 3339, e.g. 2024-10-29T20:57:46Z)"),
        )
    })?;
    let mut bug = NewBug {
        id,
        status,
        resolution,
        summary,
        dupe_of,
        crash_signature,
        keywords,
        whiteboard: optional("whiteboard")?,
        last_change,
    };
    bug.check()
        .map_err(|e| fail(e.field.bugzilla_name(), e.problem))?;
    Ok(bug)
}

/// For every duplicate among `bugs`, the bug it stands for: the end of its `dupe_of` chain
/// over these bugs (see [`resolve_duplicate`]; cycles end at their lowest id).
pub fn duplicate_targets(bugs: &[NewBug]) -> BTreeMap<BugId, BugId> {
    let dupe_of: HashMap<BugId, BugId> = bugs
        .iter()
        .filter_map(|bug| Some((bug.id, bug.dupe_of?)))
        .collect();
    dupe_of
        .keys()
        .map(|&id| (id, resolve_duplicate(id, |b| dupe_of.get(&b).copied())))
        .collect()
}

/// A bug id that may be absent (or null) but is a whole number when present.
fn optional_id(record: &Map<String, Value>, key: &str) -> Result<Option<BugId>, String> {
    match record.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(|id| Some(BugId(id)))
            .ok_or_else(|| format!("{n} is not a bug id (a whole number)")),
        Some(other) => Err(format!(
            "must be a bug id (a whole number), not {}",
            type_name(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A bug object as `GET /rest/bug` returns it.
    fn bug(id: i64, dupe_of: Option<i64>) -> Value {
        json!({
            "id": id,
            "status": if dupe_of.is_some() { "RESOLVED" } else { "NEW" },
            "resolution": if dupe_of.is_some() { "DUPLICATE" } else { "" },
            "summary": format!("Intermittent test_{id}.js | Test timed out"),
            "dupe_of": dupe_of,
            "duplicates": [],
            "cf_crash_signature": "",
            "keywords": ["intermittent-failure"],
            "last_change_time": "2024-10-29T20:57:46Z",
            "whiteboard": "[stockwell needswork]"
        })
    }

    fn parse(body: &str) -> Result<Vec<NewBug>, BugzillaError> {
        parse_bugzilla(body.as_bytes())
    }

    /// The (index, field, problem) of each invalid record of `body`.
    fn rejected(body: &str) -> Vec<(usize, String, String)> {
        match parse(body) {
            Ok(bugs) => panic!("{body} parsed as {bugs:?}"),
            Err(BugzillaError::Records(errors)) => errors
                .into_iter()
                .map(|e| (e.index, e.field, e.problem))
                .collect(),
            Err(other) => panic!("{body}: {other}"),
        }
    }

    /// The field and problem of the second of three bugs after `change`.
    fn check(change: impl FnOnce(&mut Value)) -> (String, String) {
        let mut middle = bug(2, None);
        change(&mut middle);
        let answer = json!({"bugs": [bug(1, None), middle, bug(3, None)]});
        let mut errors = rejected(&answer.to_string());
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (index, field, problem) = errors.remove(0);
        assert_eq!(index, 1);
        (field, problem)
    }

    #[test]
    fn reads_every_field_of_a_bug() {
        let bugs = parse(&json!({"bugs": [bug(10, Some(20))]}).to_string()).unwrap();
        assert_eq!(
            bugs,
            [NewBug {
                id: BugId(10),
                status: "RESOLVED".into(),
                resolution: Some("DUPLICATE".into()),
                summary: "Intermittent test_10.js | Test timed out".into(),
                dupe_of: Some(BugId(20)),
                crash_signature: None,
                keywords: vec!["intermittent-failure".into()],
                whiteboard: Some("[stockwell needswork]".into()),
                last_change: 1_730_235_466_000_000,
            }]
        );
    }

    #[test]
    fn reads_answers_arrays_and_ndjson() {
        let ids = |bugs: Vec<NewBug>| -> Vec<i64> { bugs.into_iter().map(|b| b.id.0).collect() };
        let answer = json!({"bugs": [bug(1, None), bug(2, None), bug(3, None)]});
        assert_eq!(ids(parse(&answer.to_string()).unwrap()), [1, 2, 3]);
        let array = json!([bug(1, None), bug(2, None), bug(3, None)]);
        assert_eq!(ids(parse(&array.to_string()).unwrap()), [1, 2, 3]);
        let ndjson = format!("{}\n\n{}\n{}\n", bug(1, None), bug(2, None), bug(3, None));
        assert_eq!(ids(parse(&ndjson).unwrap()), [1, 2, 3]);
        // Pages of an answer, one per line (a fetch that followed `offset`).
        let pages = format!(
            "{}\n{}\n",
            json!({"bugs": [bug(1, None), bug(2, None)]}),
            json!({"bugs": [bug(3, None)]})
        );
        assert_eq!(ids(parse(&pages).unwrap()), [1, 2, 3]);
        assert!(parse("").unwrap().is_empty());
        assert!(parse(r#"{"bugs": []}"#).unwrap().is_empty());
    }

    #[test]
    fn optional_fields_may_be_absent_or_null_and_dates_take_three_forms() {
        let minimal = json!({"id": 7, "status": "NEW", "summary": "s",
            "last_change_time": "2024-01-01 00:00:00", "resolution": null, "keywords": null});
        let b = parse(&minimal.to_string()).unwrap().remove(0);
        assert_eq!(
            (b.resolution, b.dupe_of, b.crash_signature, b.whiteboard),
            (None, None, None, None)
        );
        assert!(b.keywords.is_empty());
        assert_eq!(b.last_change, 1_704_067_200_000_000);
        for (text, expected) in [
            ("2024-08-17T23:15:38", 1_723_936_538_000_000),
            ("2024-08-17T23:15:38Z", 1_723_936_538_000_000),
            ("2024-08-18T01:15:38+02:00", 1_723_936_538_000_000),
            ("2024-08-17 23:15:38", 1_723_936_538_000_000),
        ] {
            let mut value = bug(1, None);
            value["last_change_time"] = json!(text);
            assert_eq!(
                parse(&value.to_string()).unwrap()[0].last_change,
                expected,
                "{text}"
            );
        }
    }

    /// A change to a valid bug, the field it breaks, and a phrase of the problem.
    type Case = (Box<dyn FnOnce(&mut Value)>, &'static str, &'static str);

    #[test]
    fn refuses_each_broken_field_by_index_and_name() {
        let cases: Vec<Case> = vec![
            (
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("id");
                }),
                "id",
                "is required",
            ),
            (Box::new(|v| v["id"] = json!("2")), "id", "must be a bug id"),
            (Box::new(|v| v["id"] = json!(2.5)), "id", "not a bug id"),
            (
                Box::new(|v| v["id"] = json!(0)),
                "id",
                "not a positive bug id",
            ),
            (
                Box::new(|v| v["dupe_of"] = json!("1")),
                "dupe_of",
                "must be a bug id",
            ),
            (
                Box::new(|v| v["dupe_of"] = json!(2)),
                "dupe_of",
                "cannot duplicate itself",
            ),
            (
                Box::new(|v| v["status"] = json!(3)),
                "status",
                "must be a string, not a number",
            ),
            (
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("summary");
                }),
                "summary",
                "is required",
            ),
            (
                Box::new(|v| v["keywords"] = json!("intermittent-failure")),
                "keywords",
                "must be an array of strings",
            ),
            (
                Box::new(|v| v["keywords"] = json!(["a", 1])),
                "keywords[1]",
                "must be a string, not a number",
            ),
            (
                Box::new(|v| v["cf_crash_signature"] = json!(["[@ x]"])),
                "cf_crash_signature",
                "must be a string, not an array",
            ),
            (
                Box::new(|v| v["last_change_time"] = json!("yesterday")),
                "last_change_time",
                "is not a date-time",
            ),
            (
                Box::new(|v| v["last_change_time"] = json!(1_700_000_000)),
                "last_change_time",
                "must be a string",
            ),
            (
                Box::new(|v| *v = json!([2])),
                "$",
                "must be a bug object, not an array",
            ),
        ];
        for (change, field, problem) in cases {
            let (got_field, got) = check(change);
            assert_eq!(got_field, field, "{got}");
            assert!(got.contains(problem), "{field}: {got}");
        }
    }

    #[test]
    fn every_invalid_record_is_named_and_the_message_counts_them() {
        let body = format!(
            "{}\n{}\n{}\n",
            json!({"id": 1}),
            bug(2, None),
            json!({"id": 3, "status": "NEW", "summary": "s"})
        );
        let err = parse(&body).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2 invalid Bugzilla bugs:\n  record 0: status is required\n  \
             record 2: last_change_time is required"
        );
    }

    #[test]
    fn refuses_bad_json_and_bugzilla_errors() {
        for body in [
            "not json",
            "{\"bugs\": [",
            "[1, 2] [3]",
            "{\"bugs\": [{\"id\": 1,}]}",
        ] {
            assert!(
                matches!(parse(body), Err(BugzillaError::Body(_))),
                "{body}: {:?}",
                parse(body)
            );
        }
        let err = parse(r#"{"error": true, "code": 102, "message": "Bug #1 is restricted."}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Bugzilla answered with error 102: Bug #1 is restricted."
        );
        // An object whose `bugs` is not an array is no answer: it is read as a bug, and fails.
        let errors = rejected(r#"{"bugs": {"id": 1}}"#);
        assert_eq!(errors[0].1, "id");
    }

    #[test]
    fn duplicates_resolve_to_their_targets_without_looping() {
        let body = json!([
            bug(1, None),
            bug(2, Some(1)),
            bug(3, Some(2)),
            bug(4, Some(99)),
            bug(5, Some(6)),
            bug(6, Some(5)),
        ]);
        let targets = duplicate_targets(&parse(&body.to_string()).unwrap());
        let targets: Vec<(i64, i64)> = targets.into_iter().map(|(a, b)| (a.0, b.0)).collect();
        assert_eq!(targets, [(2, 1), (3, 1), (4, 99), (5, 5), (6, 5)]);
    }

    #[test]
    fn reads_every_bug_of_treeherders_fixture() {
        let Some(path) = treeherd_testkit::fixture("treeherder/sheriffing/bugs.json") else {
            return;
        };
        let bugs = parse_bugzilla(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(bugs.len(), 28);
        let by_id: HashMap<i64, &NewBug> = bugs.iter().map(|b| (b.id.0, b)).collect();
        assert_eq!(by_id.len(), 28, "ids are unique");

        let first = by_id[&100_001];
        assert_eq!(first.status, "FIXED");
        assert_eq!(first.resolution.as_deref(), Some("RESOLVED"));
        assert!(!first.is_open());
        assert_eq!(first.last_change, 1_704_067_200_000_000);
        assert_eq!(first.whiteboard.as_deref(), Some("text"));

        let flicker = by_id[&453_969];
        assert!(flicker.is_open());
        assert_eq!(
            flicker.summary,
            "Intermittent browser/base/content/test/performance/browser_startup_flicker.js | single tracking bug"
        );
        assert_eq!(
            flicker.keywords,
            ["intermittent-failure", "intermittent-testcase"]
        );
        assert_eq!(flicker.crash_signature, None);

        // The three forms of `last_change_time` the fixture uses.
        assert_eq!(by_id[&1_054_669].last_change, 1_723_936_538_000_000);
        assert_eq!(by_id[&1_263_409].last_change, 1_690_247_055_000_000);
        let incomplete = by_id[&404];
        assert_eq!(
            (incomplete.status.as_str(), incomplete.resolution.as_deref()),
            ("RESOLVED", Some("INCOMPLETE"))
        );
        assert_eq!(incomplete.whiteboard, None);

        assert_eq!(bugs.iter().filter(|b| b.is_open()).count(), 24);
        assert!(bugs.iter().all(|b| b.dupe_of.is_none()));
        assert!(duplicate_targets(&bugs).is_empty());
    }
}
