//! mozlog error summaries (`*_errorsummary.log`): one JSON object per line, written by mozlog's
//! `ErrorSummaryFormatter`, which Treeherder reads for test failures and manifest (group)
//! results.
//!
//! The actions it writes: `test_groups` (the manifests run), `test_result` (an unexpected or
//! notable test/subtest result), `group_result` (a manifest's overall status and duration),
//! `crash`, and `log` (ERROR/CRITICAL messages, also shutdown failures). Each line is read on
//! its own and leniently: a field of an unexpected type is treated as absent, a line that is
//! not a JSON object (or has no known action) is listed in `skipped` with the reason, and
//! parsing goes on. The file is streamed like a log; at most [`MAX_ENTRIES`] entries (and
//! [`MAX_ENTRY_BYTES`] of their lines) are kept.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::input::Feed;
use crate::lines::{LineSink, Region, Splitter};

/// Entries (of all kinds together, skipped lines included) kept per file.
pub const MAX_ENTRIES: usize = 50_000;

/// Bytes of lines turned into entries per file, so that memory stays bounded however long
/// the messages and stacks are.
pub const MAX_ENTRY_BYTES: usize = 64 << 20;

/// A parsed mozlog error summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummaryLog {
    /// Groups (manifests) announced by `test_groups`, in order, without repeats.
    pub groups: Vec<String>,
    pub test_results: Vec<TestResult>,
    pub group_results: Vec<GroupResult>,
    pub crashes: Vec<Crash>,
    pub log_messages: Vec<LogMessage>,
    /// Lines that could not be used, and why.
    pub skipped: Vec<SkippedLine>,
    /// More than [`MAX_ENTRIES`] entries (or [`MAX_ENTRY_BYTES`]): the rest were dropped.
    pub truncated: bool,
}

/// A `test_result`: a test (or subtest) that ended other than expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub test: String,
    pub subtest: Option<String>,
    pub group: Option<String>,
    pub status: Option<String>,
    pub expected: Option<String>,
    pub message: Option<String>,
    pub stack: Option<String>,
    pub known_intermittent: Vec<String>,
    /// Milliseconds, when given.
    pub duration: Option<Number>,
    /// mozlog's `line`: the position of the event in the test run's log.
    pub line: Option<u64>,
    /// 0-based line of this entry in the error summary file.
    pub linenumber: u64,
}

/// A `group_result`: the outcome of one manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    pub group: String,
    /// `OK`, `ERROR`, `SKIP`, ... (mozlog writes `null` when no test ran).
    pub status: Option<String>,
    /// Milliseconds spent in the group's tests.
    pub duration: Option<Number>,
    pub line: Option<u64>,
    pub linenumber: u64,
}

/// A `crash` of the application under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crash {
    pub test: Option<String>,
    pub group: Option<String>,
    pub signature: Option<String>,
    pub reason: Option<String>,
    pub minidump_path: Option<String>,
    pub stackwalk_stdout: Option<String>,
    pub stackwalk_stderr: Option<String>,
    pub line: Option<u64>,
    pub linenumber: u64,
}

/// A `log` entry: an ERROR or CRITICAL message, or a shutdown failure (which has `status`,
/// `test` and `group` and no level).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogMessage {
    pub level: Option<String>,
    pub message: Option<String>,
    pub status: Option<String>,
    pub test: Option<String>,
    pub group: Option<String>,
    pub line: Option<u64>,
    pub linenumber: u64,
}

/// A line that was not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLine {
    pub linenumber: u64,
    pub reason: String,
}

/// Streaming parser for error summaries; see [`crate::parse_errorsummary`].
#[derive(Default)]
pub(crate) struct ErrorSummaryParser {
    splitter: Splitter,
    lines: Entries,
}

#[derive(Default)]
struct Entries {
    log: ErrorSummaryLog,
    count: usize,
    bytes: usize,
}

impl ErrorSummaryParser {
    pub(crate) fn finish(mut self) -> ErrorSummaryLog {
        self.splitter.finish(&mut self.lines);
        self.lines.log
    }
}

impl Feed for ErrorSummaryParser {
    fn feed(&mut self, bytes: &[u8]) {
        self.splitter.feed(bytes, &mut self.lines);
    }
}

impl LineSink for Entries {
    fn region(&mut self, region: &mut Region<'_>) {
        let mut pos = 0;
        while pos < region.bytes().len() {
            let (line, number, next) = region.line_at(pos);
            self.line(line, number);
            pos = next;
        }
    }

    fn line(&mut self, line: &[u8], number: u64) {
        let text = String::from_utf8_lossy(line);
        if text.trim().is_empty() {
            return;
        }
        if self.count >= MAX_ENTRIES || self.bytes + line.len() > MAX_ENTRY_BYTES {
            self.log.truncated = true;
            return;
        }
        self.count += 1;
        self.bytes += line.len();
        if let Err(reason) = self.entry(&text, number) {
            self.log.skipped.push(SkippedLine {
                linenumber: number,
                reason,
            });
        }
    }
}

impl Entries {
    fn entry(&mut self, text: &str, linenumber: u64) -> Result<(), String> {
        let value: Value =
            serde_json::from_str(text).map_err(|err| format!("invalid JSON: {err}"))?;
        let Value::Object(fields) = value else {
            return Err("not a JSON object".to_owned());
        };
        let line = fields.get("line").and_then(Value::as_u64);
        let log = &mut self.log;
        match fields.get("action").and_then(Value::as_str) {
            Some("test_groups") => {
                for group in strings(&fields, "groups") {
                    if !log.groups.contains(&group) {
                        log.groups.push(group);
                    }
                }
            }
            Some("test_result") => log.test_results.push(TestResult {
                test: string(&fields, "test").ok_or("test_result without a test")?,
                subtest: string(&fields, "subtest"),
                group: string(&fields, "group").filter(|g| !g.is_empty()),
                status: string(&fields, "status"),
                expected: string(&fields, "expected"),
                message: string(&fields, "message"),
                stack: string(&fields, "stack"),
                known_intermittent: strings(&fields, "known_intermittent"),
                duration: number(&fields, "duration"),
                line,
                linenumber,
            }),
            Some("group_result") => log.group_results.push(GroupResult {
                group: string(&fields, "group").ok_or("group_result without a group")?,
                status: string(&fields, "status"),
                duration: number(&fields, "duration"),
                line,
                linenumber,
            }),
            Some("crash") => log.crashes.push(Crash {
                test: string(&fields, "test"),
                group: string(&fields, "group").filter(|g| !g.is_empty()),
                signature: string(&fields, "signature"),
                reason: string(&fields, "reason"),
                minidump_path: string(&fields, "minidump_path"),
                stackwalk_stdout: string(&fields, "stackwalk_stdout"),
                stackwalk_stderr: string(&fields, "stackwalk_stderr"),
                line,
                linenumber,
            }),
            Some("log") => log.log_messages.push(LogMessage {
                level: string(&fields, "level"),
                message: string(&fields, "message"),
                status: string(&fields, "status"),
                test: string(&fields, "test"),
                // A shutdown failure's group may be a list of candidates (mozlog writes `[]`
                // when it found none): keep the first.
                group: string(&fields, "group")
                    .or_else(|| strings(&fields, "group").into_iter().next()),
                line,
                linenumber,
            }),
            Some(other) => return Err(format!("unknown action {other:?}")),
            None => return Err("no action".to_owned()),
        }
        Ok(())
    }
}

fn string(fields: &Map<String, Value>, key: &str) -> Option<String> {
    fields.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn strings(fields: &Map<String, Value>, key: &str) -> Vec<String> {
    fields
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn number(fields: &Map<String, Value>, key: &str) -> Option<Number> {
    match fields.get(key) {
        Some(Value::Number(n)) => Some(n.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ErrorSummaryLog {
        let mut parser = ErrorSummaryParser::default();
        parser.feed(text.as_bytes());
        parser.finish()
    }

    #[test]
    fn actions() {
        let log = parse(concat!(
            r#"{"action": "test_groups", "line": 2, "groups": ["a.ini", "b.ini", "a.ini"]}"#,
            "\n",
            r#"{"action": "test_result", "test": "t.js", "subtest": null, "group": "a.ini", "status": "FAIL", "expected": "PASS", "message": "m", "stack": null, "known_intermittent": ["TIMEOUT"], "duration": 12, "line": 5}"#,
            "\n",
            "\n",
            r#"{"action": "crash", "test": "t.js", "signature": "sig", "stackwalk_stdout": null, "group": "a.ini", "line": 6}"#,
            "\r\n",
            r#"{"action": "log", "level": "ERROR", "message": "boom", "line": 7}"#,
            "\n",
            r#"{"action": "log", "status": "FAIL", "test": "a.ini", "message": "leak", "group": ["a.ini"], "line": 8}"#,
            "\n",
            r#"{"action": "group_result", "group": "a.ini", "status": null, "duration": 1.5, "line": 9}"#,
            "\n",
            r#"{"action": "lint", "line": 10}"#,
            "\n",
            "not json\n",
            r#"[1]"#,
        ));
        assert_eq!(log.groups, ["a.ini", "b.ini"]);
        let result = &log.test_results[0];
        assert_eq!(
            (
                result.test.as_str(),
                result.subtest.as_deref(),
                result.status.as_deref(),
                result.expected.as_deref()
            ),
            ("t.js", None, Some("FAIL"), Some("PASS"))
        );
        assert_eq!((result.line, result.linenumber), (Some(5), 1));
        assert_eq!(result.known_intermittent, ["TIMEOUT"]);
        assert_eq!(result.duration, Some(Number::from(12)));
        assert_eq!(log.crashes[0].signature.as_deref(), Some("sig"));
        assert_eq!(log.crashes[0].linenumber, 3);
        assert_eq!(log.log_messages.len(), 2);
        assert_eq!(log.log_messages[1].group.as_deref(), Some("a.ini"));
        assert_eq!(log.group_results[0].status, None);
        let skipped: Vec<u64> = log.skipped.iter().map(|s| s.linenumber).collect();
        assert_eq!(skipped, [7, 8, 9]);
        assert_eq!(log.skipped[0].reason, "unknown action \"lint\"");
    }
}
