//! The Treeherder-compatible error summary: which lines are stored, and how.
//!
//! This is the stateful half of Treeherder's `ErrorParser` (the rules themselves are in
//! `rules.rs`): a log becomes a taskcluster log at its first `[taskcluster ` line, after which
//! run-task's timestamp prefix is removed from every line; at most [`MAX_ERROR_LINES`] lines
//! are stored, right-stripped, and a line equal to the last one stored is not stored again.

use serde::{Deserialize, Serialize};

use crate::pytext::rstrip;
use crate::rules::{is_error_line, strip_taskcluster_prefix};

/// Treeherder's `MAX_ERROR_LINES`: lines stored after this many are dropped.
pub const MAX_ERROR_LINES: usize = 40;

/// What starts a taskcluster log.
pub(crate) const TASKCLUSTER_MARKER: &str = "[taskcluster ";

/// The scanner's trigger for [`TASKCLUSTER_MARKER`], so it never misses such a line. `[ta`
/// would also stop at every run-task `[task ...]` line; `kcl` is rare.
pub(crate) const TASKCLUSTER_TRIGGER: &str = "kcluster ";

/// One error line, as in Treeherder's `text_log_summary` / logview artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLine {
    /// 0-based line number, counted as `bytes.splitlines()` counts.
    pub linenumber: u64,
    /// The line, cut to 500 characters, without a taskcluster prefix, right-stripped.
    pub line: String,
}

/// Treeherder's error summary of a log: serializes as `{"errors": [...]}` exactly like the
/// `errors` of Treeherder's logview artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorSummary {
    pub errors: Vec<ErrorLine>,
}

/// What [`ErrorParser::on_line`] found on an error line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorHit {
    /// Index in the stored errors, when the line was stored.
    pub(crate) stored: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct ErrorParser {
    is_taskcluster: bool,
    errors: Vec<ErrorLine>,
    /// Every line the rules accepted, stored or not.
    matched: u64,
    /// An error line was dropped because [`MAX_ERROR_LINES`] were stored already.
    truncated: bool,
    /// Keep matching after the cap, for counts (Treeherder itself stops).
    count_past_cap: bool,
}

impl ErrorParser {
    pub(crate) fn new(count_past_cap: bool) -> Self {
        ErrorParser {
            count_past_cap,
            ..Self::default()
        }
    }

    /// Looks at one line (already decoded and cut to 500 characters).
    pub(crate) fn on_line(&mut self, number: u64, line: &str) -> Option<ErrorHit> {
        let full = self.errors.len() >= MAX_ERROR_LINES;
        if full && !self.count_past_cap {
            return None; // Treeherder returns before anything else, including the flag below
        }
        if line.starts_with(TASKCLUSTER_MARKER) {
            self.is_taskcluster = true;
        }
        // Treeherder only strips the prefix in taskcluster logs, for speed; stripping it
        // elsewhere could change which lines match, so we do the same.
        let line = if self.is_taskcluster {
            strip_taskcluster_prefix(line)
        } else {
            line
        };
        if !is_error_line(line) {
            return None;
        }
        self.matched += 1;
        let line = rstrip(line);
        if self.errors.last().is_some_and(|last| last.line == line) {
            return Some(ErrorHit { stored: None });
        }
        if full {
            self.truncated = true;
            return Some(ErrorHit { stored: None });
        }
        self.errors.push(ErrorLine {
            linenumber: number,
            line: line.to_owned(),
        });
        Some(ErrorHit {
            stored: Some(self.errors.len() - 1),
        })
    }

    /// Treeherder stores no more lines.
    pub(crate) fn is_full(&self) -> bool {
        self.errors.len() >= MAX_ERROR_LINES
    }

    /// The stored errors, how many lines matched, and whether any was dropped by the cap.
    pub(crate) fn finish(self) -> (Vec<ErrorLine>, u64, bool) {
        (self.errors, self.matched, self.truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Vec<(u64, String)> {
        let mut parser = ErrorParser::new(false);
        for (n, line) in lines.iter().enumerate() {
            parser.on_line(n as u64, line);
        }
        parser
            .finish()
            .0
            .into_iter()
            .map(|e| (e.linenumber, e.line))
            .collect()
    }

    #[test]
    fn taskcluster_prefix_is_stripped_only_in_taskcluster_logs() {
        let line = "[task 2025-02-13T21:59:36.250Z] TEST-UNEXPECTED-FAIL | x ";
        assert_eq!(run(&[line]), [(0, line.trim_end().to_owned())]);
        assert_eq!(
            run(&["[taskcluster 2025-02-13 21:56:23.368Z] Task ID: x", line]),
            [(1, "TEST-UNEXPECTED-FAIL | x".to_owned())]
        );
    }

    #[test]
    fn repeated_lines_are_stored_once_and_the_cap_holds() {
        // Compared with the last line stored, not the last line read.
        let lines = [
            "PROCESS-CRASH | a",
            "PROCESS-CRASH | a  ",
            "x",
            "PROCESS-CRASH | a",
            "PROCESS-CRASH | b",
            "PROCESS-CRASH | a",
        ];
        let a = "PROCESS-CRASH | a".to_owned();
        assert_eq!(
            run(&lines),
            [(0, a.clone()), (4, "PROCESS-CRASH | b".to_owned()), (5, a)]
        );
        let many: Vec<String> = (0..50).map(|i| format!("PROCESS-CRASH | {i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let stored = run(&many);
        assert_eq!(stored.len(), MAX_ERROR_LINES);
        assert_eq!(stored[39], (39, "PROCESS-CRASH | 39".to_owned()));
    }

    #[test]
    fn counting_past_the_cap_keeps_the_same_stored_lines() {
        let mut parser = ErrorParser::new(true);
        for i in 0..45 {
            parser.on_line(i, &format!("PROCESS-CRASH | {i}"));
        }
        let (errors, matched, truncated) = parser.finish();
        assert_eq!(
            (errors.len(), matched, truncated),
            (MAX_ERROR_LINES, 45, true)
        );
    }
}
