//! PERFHERDER_DATA: the performance results a job prints into its log as one JSON line.
//!
//! Treeherder's `PerformanceParser` takes, from a line matching
//! `.*?PERFHERDER_DATA:\s+({.*})`, the text from the `{` after the first such marker to the
//! last `}` of the line, parses it as JSON and validates it against
//! `schemas/performance-artifact.json` (`perfschema.rs`). Treeherder only logs a warning for a
//! bad blob; here it is kept with the reason, so a job's author can see why their numbers did
//! not land. Lines where the marker is not followed by whitespace and an object are ignored,
//! as Treeherder ignores them (the marker is also mentioned in prose).

use serde::{Deserialize, Serialize};

use crate::perfschema::validate;
use crate::pytext::is_space;

/// The marker, and the literal the scanner looks for.
pub(crate) const MARKER: &str = "PERFHERDER_DATA";

/// One PERFHERDER_DATA blob found in a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerfherderData {
    /// 0-based number of the line holding it.
    pub linenumber: u64,
    /// Whether it parsed and satisfies the schema (Treeherder would ingest it).
    pub valid: bool,
    /// Why it is not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The parsed JSON (absent when it did not parse).
    pub data: Option<serde_json::Value>,
}

/// The JSON text of a PERFHERDER_DATA line, as `.*?PERFHERDER_DATA:\s+({.*})` captures it.
pub(crate) fn extract(line: &str) -> Option<&str> {
    // The lazy `.*?` tries each marker from the left; `.*}` then reaches the last `}`.
    let last_brace = line.rfind('}')?;
    line.match_indices("PERFHERDER_DATA:")
        .find_map(|(at, marker)| {
            let after = &line[at + marker.len()..];
            let json = after.trim_start_matches(is_space);
            let open = line.len() - json.len();
            (json.len() < after.len() && json.starts_with('{') && open < last_brace)
                .then(|| &line[open..=last_brace])
        })
}

/// Parses and validates the blob on a line, if the line has one.
pub(crate) fn parse_line(number: u64, line: &str, line_was_cut: bool) -> Option<PerfherderData> {
    let json = extract(line)?;
    let invalid = |reason: String, data: Option<serde_json::Value>| PerfherderData {
        linenumber: number,
        valid: false,
        reason: Some(reason),
        data,
    };
    let data: serde_json::Value = match serde_json::from_str(json) {
        Ok(data) => data,
        Err(err) if line_was_cut => {
            return Some(invalid(
                format!(
                    "line longer than the {} bytes kept: {err}",
                    crate::lines::MAX_LINE_BYTES
                ),
                None,
            ));
        }
        Err(err) => return Some(invalid(format!("invalid JSON: {err}"), None)),
    };
    if data.as_object().is_some_and(serde_json::Map::is_empty) {
        return Some(invalid("empty performance data".to_owned(), Some(data)));
    }
    Some(match validate(&data) {
        Ok(()) => PerfherderData {
            linenumber: number,
            valid: true,
            reason: None,
            data: Some(data),
        },
        Err(reason) => invalid(reason, Some(data)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_like_treeherders_regex() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<&str>)] = &[
            (r#"PERFHERDER_DATA: {"a": 1}"#, Some(r#"{"a": 1}"#)),
            (r#"07:27:30  INFO - PERFHERDER_DATA: {"a": {"b": 2}} trailing"#, Some(r#"{"a": {"b": 2}}"#)),
            (r#"PERFHERDER_DATA:{"a": 1}"#, None),
            (r#"PERFHERDER_DATA: x {"a": 1}"#, None),
            (r#"PERFHERDER_DATA: x PERFHERDER_DATA:  {"a": 1}"#, Some(r#"{"a": 1}"#)),
            ("PERFHERDER_DATA: {", None),
            ("PERFHERDER_DATA: {}} }", Some("{}} }")),
            ("see PERFHERDER_DATA in the docs", None),
            ("PERFHERDER_DATA:\u{3000}{}", Some("{}")),
        ];
        for &(line, expected) in cases {
            assert_eq!(extract(line), expected, "{line:?}");
        }
    }

    #[test]
    fn bad_blobs_are_reported_not_dropped() {
        let reason = |line: &str| parse_line(7, line, false).and_then(|p| p.reason);
        assert!(reason("PERFHERDER_DATA: {nope}").is_some_and(|r| r.starts_with("invalid JSON")));
        assert_eq!(
            reason("PERFHERDER_DATA: {}").as_deref(),
            Some("empty performance data")
        );
        assert!(
            reason(r#"PERFHERDER_DATA: {"suites": []}"#).is_some_and(|r| r.contains("framework"))
        );
        let ok = parse_line(
            7,
            r#"PERFHERDER_DATA: {"framework": {"name": "x"}, "suites": []}"#,
            false,
        );
        assert!(ok.is_some_and(|p| p.valid && p.linenumber == 7));
    }
}
