//! Log parsing as treeherd stores it: which parser a log gets (by its name and URL, a mozlog
//! error summary or a text log) and how `treeherd-logparse`'s answer maps to the store's
//! [`ParsedLog`] (errors with their step and recurrence key, steps, PERFHERDER_DATA values, test results and
//! crashes). The parse worker, and the demo data whose logs are made in process, parse here.

use std::io::Read;
use treeherd_logparse::{ErrorSummaryLog, ParseError, PerfherderData};
use treeherd_model::{NewTestResult, TestStatus};
use treeherd_store::{LogError, LogStep, ParsedLog, PerfValue};

/// Which parser a log gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// A mozlog error summary (`*_errorsummary.log`, Treeherder's `errorsummary_json`).
    ErrorSummary,
    /// Any other log: a text log.
    Text,
}

/// Parses a log's body as the worker does after fetching it: by its name and URL, an error
/// summary or a text log. The demo data's logs, made in process, are parsed here too.
pub fn parse_log(name: &str, url: &str, body: impl Read) -> Result<ParsedLog, ParseError> {
    LogKind::of(name, url).parse(body)
}

impl LogKind {
    /// The parser a log of this name at this URL gets.
    pub fn of(name: &str, url: &str) -> LogKind {
        let path = url.split(['?', '#']).next().unwrap_or("");
        if name.contains("errorsummary") || path.ends_with("_errorsummary.log") {
            LogKind::ErrorSummary
        } else {
            LogKind::Text
        }
    }

    /// Parses a whole body (read to its end on this thread).
    pub fn parse(self, reader: impl Read) -> Result<ParsedLog, ParseError> {
        Ok(match self {
            LogKind::ErrorSummary => {
                from_error_summary(treeherd_logparse::parse_errorsummary(reader)?)
            }
            LogKind::Text => from_text_log(treeherd_logparse::parse_full(reader)?),
        })
    }
}

/// A text log's parse as the store keeps it.
pub fn from_text_log(parsed: treeherd_logparse::ParsedLog) -> ParsedLog {
    let mut step_of_error: Vec<Option<i32>> = vec![None; parsed.errors.len()];
    for (position, step) in parsed.steps.iter().enumerate() {
        for &error in &step.errors {
            if let Some(slot) = step_of_error.get_mut(error) {
                *slot = i32::try_from(position).ok();
            }
        }
    }
    ParsedLog {
        line_count: i64::try_from(parsed.line_count).ok(),
        byte_count: i64::try_from(parsed.byte_count).ok(),
        error_count: i64::try_from(parsed.error_count).ok(),
        errors: parsed
            .errors
            .into_iter()
            .zip(step_of_error)
            .map(|(e, step)| LogError {
                line_number: i64::try_from(e.linenumber).unwrap_or(i64::MAX),
                // Derived once, here: the autoclassifier and people's classifications read
                // the stored key.
                recurrence: Some(treeherd_logparse::recurrence(&e.line)),
                line: e.line,
                step,
            })
            .collect(),
        steps: parsed
            .steps
            .into_iter()
            .map(|s| LogStep {
                kind: serde_name(&s.kind),
                result: serde_name(&s.result),
                name: s.name,
                first_line: i64::try_from(s.started_linenumber).unwrap_or(i64::MAX),
                last_line: i64::try_from(s.finished_linenumber).ok(),
                started: s.started,
                finished: s.finished,
                duration_ms: s.duration_seconds.map(|d| (d * 1000.0).round() as i64),
                error_count: i64::try_from(s.error_count).unwrap_or(i64::MAX),
            })
            .collect(),
        perf: parsed.perf_data.iter().flat_map(perf_values).collect(),
        test_results: Vec::new(),
    }
}

/// The name serde gives an enum value (the parser's own lower-case spelling).
fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The values of a valid PERFHERDER_DATA blob: each suite's own value and its subtests'.
fn perf_values(blob: &PerfherderData) -> Vec<PerfValue> {
    let Some(data) = blob.data.as_ref().filter(|_| blob.valid) else {
        return Vec::new();
    };
    let Some(framework) = data["framework"]["name"].as_str() else {
        return Vec::new();
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let mut values = Vec::new();
    for suite in data["suites"].as_array().into_iter().flatten() {
        let Some(name) = suite["name"].as_str() else {
            continue;
        };
        let value = |item: &serde_json::Value, subtest: Option<String>| {
            item["value"].as_f64().map(|value| PerfValue {
                framework: framework.to_owned(),
                suite: name.to_owned(),
                subtest,
                value,
                unit: text(&item["unit"]).or_else(|| text(&suite["unit"])),
                lower_is_better: item["lowerIsBetter"]
                    .as_bool()
                    .or_else(|| suite["lowerIsBetter"].as_bool()),
            })
        };
        values.extend(value(suite, None));
        for subtest in suite["subtests"].as_array().into_iter().flatten() {
            if let Some(subtest_name) = subtest["name"].as_str() {
                values.extend(value(subtest, Some(subtest_name.to_owned())));
            }
        }
    }
    values
}

/// An error summary's test results, and its crashes as CRASH results of their test.
pub fn from_error_summary(summary: ErrorSummaryLog) -> ParsedLog {
    let status = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<TestStatus>().ok());
    let mut results: Vec<NewTestResult> = summary
        .test_results
        .into_iter()
        .filter_map(|r| {
            Some(NewTestResult {
                status: status(&r.status)?,
                expected: status(&r.expected),
                duration_ms: r
                    .duration
                    .as_ref()
                    .and_then(serde_json::Number::as_f64)
                    .map(|d| d.round() as i64),
                test: r.test,
                subtest: r.subtest.filter(|s| !s.is_empty()),
                message: r.message,
                stack: r.stack,
                group: r.group,
                artifacts: Vec::new(),
            })
        })
        .collect();
    results.extend(summary.crashes.into_iter().filter_map(|c| {
        Some(NewTestResult {
            test: c.test?,
            subtest: None,
            status: TestStatus::Crash,
            expected: None,
            duration_ms: None,
            message: c.signature.or(c.reason),
            stack: c.stackwalk_stdout,
            group: c.group,
            artifacts: Vec::new(),
        })
    }));
    ParsedLog {
        test_results: results,
        ..ParsedLog::default()
    }
}
