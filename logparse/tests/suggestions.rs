//! The bug-suggestion terms against Treeherder's own expected answers
//! (`../shared/fixtures/treeherder/sheriffing/error_lines.json`, from its
//! `tests/model/test_error_summary.py`): every case of every section must match exactly. Skips
//! when the fixtures are absent, unless `TREEHERD_REQUIRE_FIXTURES=1`.

#![allow(clippy::unwrap_used)]

use std::fs::File;

use serde_json::Value;
use treeherd_logparse::{
    LineSearch, cleaned, crash_signature, recurrence, recurrence_key, search_terms,
};

/// The fixture's sections, or `None` (skipped) when it is absent.
fn error_lines() -> Option<Value> {
    let path = treeherd_testkit::fixture("treeherder/sheriffing/error_lines.json")?;
    Some(serde_json::from_reader(File::open(path).unwrap()).unwrap())
}

/// The cases of one section, each with a name for failure messages.
fn cases<'a>(fixture: &'a Value, section: &str) -> Vec<(String, &'a Value)> {
    let cases = fixture[section].as_array().unwrap();
    assert!(!cases.is_empty(), "section {section} is empty");
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| (format!("{section}[{i}]: {}", case["line"]), case))
        .collect()
}

fn line(case: &Value) -> &str {
    case["line"].as_str().unwrap()
}

/// Our terms in Treeherder's shape: `[null]` when there is none.
fn as_treeherder(terms: &[String]) -> Value {
    if terms.is_empty() {
        Value::from(vec![Value::Null])
    } else {
        Value::from(terms.to_vec())
    }
}

#[test]
fn search_terms_and_path_end_match_treeherder() {
    let Some(fixture) = error_lines() else { return };
    for (name, case) in cases(&fixture, "search_terms") {
        let ours = search_terms(line(case));
        assert_eq!(as_treeherder(&ours.terms), case["search_terms"], "{name}");
        assert_eq!(
            ours.path_end.map_or(Value::Null, Value::from),
            case["path_end"],
            "{name}"
        );
        // From the raw line too: cleaning changes none of these lines.
        assert_eq!(
            LineSearch::of(line(case)).terms,
            search_terms(line(case)),
            "{name}"
        );
    }
}

#[test]
fn cleaned_lines_match_treeherder() {
    let Some(fixture) = error_lines() else { return };
    for (name, case) in cases(&fixture, "cleaned") {
        assert_eq!(cleaned(line(case)), case["cleaned"], "{name}");
    }
}

#[test]
fn crash_signatures_match_treeherder() {
    let Some(fixture) = error_lines() else { return };
    for (name, case) in cases(&fixture, "crash_signatures") {
        let ours = crash_signature(line(case));
        assert_eq!(
            ours.map_or(Value::Null, Value::from),
            case["signature"],
            "{name}"
        );
    }
}

#[test]
fn recurrence_keys_match_treeherder() {
    let Some(fixture) = error_lines() else { return };
    for (name, case) in cases(&fixture, "recurrence_key") {
        assert_eq!(recurrence_key(line(case)), case["cleaned"], "{name}");
        // From the raw line too: cleaning changes none of these lines.
        assert_eq!(
            LineSearch::of(line(case)).recurrence_key,
            case["cleaned"],
            "{name}"
        );
    }
}

#[test]
fn recurrence_agrees_with_the_whole_search_on_every_line() {
    let Some(fixture) = error_lines() else { return };
    for section in [
        "search_terms",
        "cleaned",
        "crash_signatures",
        "recurrence_key",
    ] {
        for (name, case) in cases(&fixture, section) {
            let search = LineSearch::of(line(case));
            assert_eq!(
                recurrence(line(case)),
                (
                    search.terms.path_end.unwrap_or_default(),
                    search.recurrence_key
                ),
                "{name}"
            );
        }
    }
}
