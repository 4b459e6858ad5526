//! The parser against Treeherder's own sample data (`../shared/fixtures/treeherder`): the error
//! summaries must equal Treeherder's logview artifacts exactly; steps, perf data and mozlog
//! error summaries are checked on the logs that have them. Every test skips when the fixtures
//! are absent (a user's clone), unless `TREEHERD_REQUIRE_FIXTURES=1`.

#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use serde_json::{Value, json};
use treeherd_logparse::{
    LogParser, ParsedLog, StepKind, StepResult, parse_errorsummary, parse_full, parse_treeherder,
};

fn fixture(name: &str) -> Option<PathBuf> {
    treeherd_testkit::fixture(&format!("treeherder/logs/{name}"))
}

fn full(name: &str) -> Option<ParsedLog> {
    Some(parse_full(File::open(fixture(name)?).unwrap()).unwrap())
}

/// The sample logs that have a logview artifact, with the line count Python's
/// `bytes.splitlines()` gives and the uncompressed size.
const LOGVIEW_LOGS: &[(&str, u64, u64)] = &[
    ("asan_too_large", 8906, 1_297_669),
    ("build-fail", 138_014, 36_401_712),
    ("crashtest-timeout", 18_783, 2_420_402),
    ("mochitest-crash", 15_613, 2_651_737),
    ("mochitest-fail", 9898, 1_404_462),
    ("reftest-fail", 26_558, 4_944_800),
    ("taskcluster-only", 4196, 721_726),
    ("too_many_failures", 8718, 1_763_989),
    ("windows-stuff", 17_827, 2_304_911),
    ("xpcshell-crash", 35_773, 4_498_654),
];

/// Parses `NAME.log.gz` and compares with the `errors` of `NAME.logview.json`; returns a
/// description of the difference, if any.
fn check(name: &str, lines: u64, bytes: u64) -> Option<String> {
    let log = fixture(&format!("{name}.log.gz"))?;
    let logview: Value =
        serde_json::from_reader(File::open(fixture(&format!("{name}.logview.json"))?).unwrap())
            .unwrap();
    let summary = parse_treeherder(File::open(&log).unwrap()).unwrap();
    let ours = serde_json::to_value(&summary).unwrap();
    let theirs = json!({ "errors": logview["errors"] });
    if ours != theirs {
        return Some(format!(
            "{name}: errors differ\n ours:   {ours}\n theirs: {theirs}"
        ));
    }
    let parsed = parse_full(File::open(&log).unwrap()).unwrap();
    if parsed.errors != summary.errors {
        return Some(format!(
            "{name}: parse_full stored other errors than parse_treeherder"
        ));
    }
    if (parsed.line_count, parsed.byte_count) != (lines, bytes) {
        return Some(format!(
            "{name}: {} lines / {} bytes, expected {lines} / {bytes}",
            parsed.line_count, parsed.byte_count
        ));
    }
    None
}

#[test]
fn error_summaries_equal_treeherders_logview_artifacts() {
    let failures: Vec<String> = LOGVIEW_LOGS
        .iter()
        .filter_map(|&(name, lines, bytes)| check(name, lines, bytes))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_summary_serializes_like_the_logview_artifact() {
    let Some(path) = fixture("mochitest-fail.log.gz") else {
        return;
    };
    let summary = parse_treeherder(File::open(path).unwrap()).unwrap();
    let json = serde_json::to_string(&summary).unwrap();
    assert!(json.starts_with(r#"{"errors":[{"linenumber":9093,"line":"11:00:27     INFO - TEST-UNEXPECTED-FAIL | devtools/"#), "{json}");
}

#[test]
fn results_do_not_depend_on_chunking() {
    for name in [
        "mochitest-fail.log.gz",
        "windows-stuff.log.gz",
        "linux-awsy.txt.gz",
    ] {
        let Some(path) = fixture(name) else {
            return;
        };
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(File::open(&path).unwrap())
            .read_to_end(&mut text)
            .unwrap();
        let whole = parse_full(File::open(&path).unwrap()).unwrap();
        // Plain text in, and odd chunk sizes that cut `\r\n` pairs and lines everywhere.
        assert_eq!(
            parse_full(&text[..]).unwrap(),
            whole,
            "{name} as plain text"
        );
        for chunk in [1 << 20, 4093, 77] {
            let mut parser = LogParser::new();
            for piece in text.chunks(chunk) {
                parser.feed(piece);
            }
            assert_eq!(parser.finish(), whole, "{name} in chunks of {chunk}");
        }
    }
}

type StepSummary<'a> = (StepKind, &'a str, StepResult, u64, u64, u64);

fn steps(log: &ParsedLog) -> Vec<StepSummary<'_>> {
    log.steps
        .iter()
        .map(|s| {
            (
                s.kind,
                s.name.as_str(),
                s.result,
                s.started_linenumber,
                s.finished_linenumber,
                s.error_count,
            )
        })
        .collect()
}

#[test]
fn steps_of_a_crashed_mochitest() {
    let Some(log) = full("mochitest-crash.log.gz") else {
        return;
    };
    use StepKind::*;
    use StepResult::*;
    #[rustfmt::skip]
    let expected: &[StepSummary<'_>] = &[
        (Taskcluster, "setup", Success, 0, 11, 0),
        (Taskcluster, "task", Failed, 12, 15611, 2),
        (Mozharness, "clobber", Success, 791, 797, 0),
        (Mozharness, "download-and-extract", Success, 798, 842, 0),
        (Mozharness, "create-virtualenv", Success, 843, 1776, 0),
        (Mozharness, "start-pulseaudio", Success, 1777, 1818, 0),
        (Mozharness, "install", Success, 1819, 1834, 0),
        (Mozharness, "stage-files", Success, 1835, 1839, 0),
        (Mozharness, "run-tests", Success, 1840, 15569, 2),
        (Mozharness, "uninstall", Success, 15570, 15575, 0),
        (Taskcluster, "teardown", Success, 15612, 15612, 0),
    ];
    assert_eq!(steps(&log), expected);
    let run_tests = &log.steps[8];
    assert_eq!(run_tests.errors, [0, 1]);
    assert_eq!(
        run_tests.started.as_deref(),
        Some("2025-02-13 21:16:26.730010Z")
    );
    assert_eq!(
        run_tests.finished.as_deref(),
        Some("2025-02-13 21:29:50.504966Z")
    );
    assert_eq!(run_tests.duration_seconds, Some(803.774956));
    assert_eq!(
        log.steps[1].started.as_deref(),
        Some("2025-02-13 21:14:48.693Z")
    );
}

#[test]
fn steps_of_a_failed_build_and_of_an_aborted_task() {
    if let Some(log) = full("build-fail.log.gz") {
        let build = log.steps.iter().find(|s| s.name == "build").unwrap();
        assert_eq!(
            (build.result, build.error_count, build.errors.len()),
            (StepResult::Failed, 30, 30)
        );
        let clobber = log.steps.iter().find(|s| s.name == "clobber").unwrap();
        assert_eq!(
            (clobber.result, clobber.started_linenumber),
            (StepResult::Skipped, 613)
        );
        assert!(!log.errors_truncated);
    }
    if let Some(log) = full("taskcluster-only.log.gz") {
        let result = |name: &str| log.steps.iter().find(|s| s.name == name).map(|s| s.result);
        // Killed at max run time: no mozharness result, the task is an exception.
        assert_eq!(result("task"), Some(StepResult::Exception));
        assert_eq!(result("run-tests"), Some(StepResult::Unknown));
        assert_eq!(result("teardown"), Some(StepResult::Exception));
    }
    if let Some(log) = full("too_many_failures.log.gz") {
        assert!(log.errors_truncated);
        assert!(log.error_count > 40);
        assert_eq!(log.errors.len(), 40);
    }
}

#[test]
fn perfherder_data_in_the_awsy_log() {
    let Some(log) = full("linux-awsy.txt.gz") else {
        return;
    };
    let blobs: Vec<(u64, bool, &str, usize)> = log
        .perf_data
        .iter()
        .map(|p| {
            let data = p.data.as_ref().unwrap();
            (
                p.linenumber,
                p.valid,
                data["framework"]["name"].as_str().unwrap(),
                data["suites"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        blobs,
        [(52, true, "build_metrics", 1), (1431, true, "awsy", 4)]
    );
    assert!(log.perf_data.iter().all(|p| p.reason.is_none()));
    assert_eq!(log.line_count, 1486);
}

#[test]
fn mozlog_error_summaries() {
    if let Some(path) = fixture("plain-chunked_errorsummary.log") {
        let log = parse_errorsummary(File::open(path).unwrap()).unwrap();
        assert_eq!(log.test_results.len(), 1);
        let result = &log.test_results[0];
        assert_eq!(
            result.test,
            "toolkit/content/tests/widgets/test_videocontrols_video_direction.html"
        );
        assert_eq!(result.subtest.as_deref(), Some("Test timed out."));
        assert_eq!(
            (result.status.as_deref(), result.expected.as_deref()),
            (Some("FAIL"), Some("PASS"))
        );
        assert_eq!(
            result.group.as_deref(),
            Some("devtools/client/debugger/new/test/mochitest/browser.ini")
        );
        assert_eq!((result.message.as_deref(), result.line), (None, Some(3116)));
        assert!(
            result
                .stack
                .as_deref()
                .is_some_and(|s| s.starts_with("    reportError@SimpleTest/TestRunner.js:334:7\n"))
        );
        assert!(log.skipped.is_empty());
    }
    if let Some(path) = fixture("mochitest-browser-chrome_errorsummary.log") {
        let log = parse_errorsummary(File::open(path).unwrap()).unwrap();
        assert_eq!(
            (
                log.groups.len(),
                log.test_results.len(),
                log.group_results.len()
            ),
            (30, 5, 29)
        );
        let first = &log.test_results[0];
        assert_eq!(
            first.test,
            "toolkit/components/pictureinpicture/tests/browser_fullscreen.js"
        );
        assert_eq!(first.subtest.as_deref(), Some("Uncaught exception"));
        assert_eq!(
            (first.duration.as_ref().and_then(|d| d.as_u64()), first.line),
            (Some(3141), Some(4167))
        );
        assert!(first.known_intermittent.is_empty());
        assert!(log.skipped.is_empty());
    }
    if let Some(path) = fixture("xpcshell-errorsummary-with-colon.log") {
        let log = parse_errorsummary(File::open(path).unwrap()).unwrap();
        assert_eq!(log.groups.len(), 5);
        let first = &log.group_results[0];
        assert_eq!(
            first.group,
            "toolkit/components/extensions/test/xpcshell/xpcshell-e10s.ini:toolkit/components/extensions/test/xpcshell/xpcshell-content.ini"
        );
        assert_eq!(first.status.as_deref(), Some("OK"));
        assert_eq!(
            first.duration.as_ref().and_then(|d| d.as_u64()),
            Some(85897)
        );
        assert!(
            log.group_results
                .iter()
                .all(|g| log.groups.contains(&g.group))
        );
    }
}

#[test]
fn the_large_plain_log() {
    let Some(log) = full("plain-chunked_raw.log.gz") else {
        return;
    };
    assert_eq!((log.line_count, log.byte_count), (15_911, 4_560_906));
    assert!(log.steps.is_empty());
}
