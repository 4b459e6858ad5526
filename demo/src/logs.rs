//! The logs of the demo's failed jobs: text shaped like a Taskcluster task running
//! mozharness, with the failures it reports, and the test results those failures make.
//! The fill parses the text with the parse worker's own function.
//!
//! treeherd serves these logs itself, so that every log link of the demo opens (no host
//! that does not exist) and the log viewer shows the very text the stored error lines and
//! steps were parsed from. A log is a pure function of its stored job row (guid, times,
//! machine, result) and of its shape (a test suite, or a build), and its URL names both:
//! `/demo/logs/{guid}/{shape}/live_backing.log`, relative to the server that stores it
//! (the port of a demo database changes from run to run). Its random draws come from a
//! generator seeded by the guid alone, so the text made at the fill and the text served later
//! are the same bytes. `GET /demo/logs/...` (`crate::log_routes`) regenerates it, and only for
//! a job that stores that very URL: nothing else can be asked for. Nothing fetches these
//! URLs but that route's readers: the fill stores the logs parsed, so the parse worker never
//! claims them.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use treeherd_model::{JobResult, NewTestResult, TestStatus};

use super::catalogue::*;
use super::role::Role;
use super::seed::fnv1a;

/// Where the demo's logs are served, relative to the server.
pub const DEMO_LOG_PREFIX: &str = "/demo/logs/";

/// The log a job's shape makes: a test suite's (by its name) or a build's.
const BUILD_SHAPE: &str = "build";

/// The URL (relative to the server) of the log of a demo job.
pub(super) fn log_url(guid: &str, role: Role) -> String {
    let shape = match role {
        Role::Test { suite, .. } => SUITES[suite % SUITES.len()].suite,
        _ => BUILD_SHAPE,
    };
    format!("{DEMO_LOG_PREFIX}{guid}/{shape}/live_backing.log")
}

/// The text of the demo log at `url` (as `log_url` made it) of a stored job; `None` when
/// the URL is no demo log of this job.
pub fn served_log(job: &treeherd_store::Job, url: &str) -> Option<String> {
    let rest = url.strip_prefix(DEMO_LOG_PREFIX)?;
    let mut parts = rest.split('/');
    let (guid, shape, name) = (parts.next()?, parts.next()?, parts.next()?);
    if guid != job.guid || name != "live_backing.log" || parts.next().is_some() {
        return None;
    }
    // Only the suite matters to the text: the other fields of the role are placeholders.
    let role = if shape == BUILD_SHAPE {
        Role::Build { platform: 0 }
    } else {
        let suite = SUITES.iter().position(|s| s.suite == shape)?;
        Role::Test {
            platform: 0,
            suite,
            chunk: 1,
        }
    };
    Some(log_text(job, role).0)
}

/// A failing test of a generated log: test, status, message.
pub(super) type Failure = (String, TestStatus, String);

/// The text of a job's log, shaped like a Taskcluster task running mozharness, and the tests
/// it reports failing. The same job and role give the same text (see the module docs).
pub(super) fn log_text(job: &treeherd_store::Job, role: Role) -> (String, Vec<Failure>) {
    let rng = &mut StdRng::seed_from_u64(fnv1a(&job.guid));
    let start = job.started_at.unwrap_or(job.submitted_at.unwrap_or(0));
    let end = job.finished_at.unwrap_or(start + 10 * MINUTE).max(start);
    let mut log = Log::new(start, end);
    let machine = job.machine.clone().unwrap_or_else(|| "unknown".to_owned());
    log.worker(&format!("Task ID: {}", job.guid));
    log.worker(&format!(
        "Worker Type: {}",
        machine.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-')
    ));
    log.worker(&format!("Hostname: {machine}"));
    log.worker("=== Task Starting ===");
    let mut failures = Vec::new();
    if job.result == JobResult::Exception {
        log.task("executing ['/usr/bin/python3', '-u', 'run-task', '--', 'mozharness']");
        log.info("Downloading the build artifacts");
        log.raw("[taskcluster:error] Task aborted - max run time exceeded");
        log.worker_at(end, "=== Task Finished ===");
        log.worker_at(
            end,
            &format!(
                "Unsuccessful task run with exit code: -1 completed in {} seconds",
                (end - start) / 1_000_000
            ),
        );
        return (log.text, failures);
    }
    let ok = job.result == JobResult::Success;
    match role {
        Role::Test { suite, .. } => {
            let s = &SUITES[suite % SUITES.len()];
            log.step("download-and-extract", "success");
            log.step("create-virtualenv", "success");
            log.step("install", "success");
            log.mozharness("Running run-tests step.");
            let failing = if ok {
                0
            } else {
                rng.random_range(1..=2usize).min(s.tests.len())
            };
            for (n, test) in s.tests.iter().enumerate() {
                log.info(&format!("TEST-START | {test}"));
                if n < failing {
                    let (status, message) = test_failure(test, rng);
                    let word = if status == TestStatus::Timeout {
                        "TIMEOUT"
                    } else {
                        "FAIL"
                    };
                    log.info(&format!("TEST-UNEXPECTED-{word} | {test} | {message}"));
                    failures.push(((*test).to_owned(), status, message));
                } else {
                    log.info(&format!(
                        "TEST-OK | {test} | took {}ms",
                        rng.random_range(200..9000)
                    ));
                }
            }
            log.info(&format!(
                "{}: {} passed, {} failed",
                s.suite,
                s.tests.len() - failing,
                failing
            ));
            log.mozharness(&format!(
                "Finished run-tests step ({})",
                if ok { "success" } else { "failed" }
            ));
        }
        _ => {
            log.step("get-secrets", "success");
            log.mozharness("Running build step.");
            log.info("Running mach build");
            log.info("0:05.31 W Clobber not needed.");
            log.info("2:48.07 Compiling gkrust v0.1.0 (/builds/worker/checkouts/gecko/toolkit/library/rust)");
            if !ok {
                let error = BUILD_ERRORS[rng.random_range(0..BUILD_ERRORS.len())];
                log.error(error);
                log.error("gmake[4]: *** [/builds/worker/checkouts/gecko/config/rules.mk:669: Unified_cpp_dom_base3.o] Error 1");
                log.info("Return code: 2");
            } else {
                log.info("Return code: 0");
            }
            log.mozharness(&format!(
                "Finished build step ({})",
                if ok { "success" } else { "failed" }
            ));
        }
    }
    log.worker_at(end, "=== Task Finished ===");
    let seconds = (end - start) / 1_000_000;
    if ok {
        log.worker_at(
            end,
            &format!("Successful task run with exit code: 0 completed in {seconds} seconds"),
        );
    } else {
        log.worker_at(
            end,
            &format!("Unsuccessful task run with exit code: 1 completed in {seconds} seconds"),
        );
    }
    (log.text, failures)
}

/// One of the failures `test` may print, its numbers drawn (see [`TEST_FAILURES`]).
fn test_failure(test: &str, rng: &mut StdRng) -> (TestStatus, String) {
    let known: Vec<&(&str, TestStatus, &str)> = TEST_FAILURES
        .iter()
        .filter(|(t, _, _)| *t == test)
        .collect();
    let (status, template) = match known.len() {
        0 => OTHER_FAILURE,
        n => {
            let (_, status, template) = known[rng.random_range(0..n)];
            (*status, *template)
        }
    };
    let mut message = String::with_capacity(template.len() + 8);
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        message.push_str(&rest[..at]);
        let placeholder = rest[at + 1..].chars().next();
        match placeholder {
            Some('d') => message.push_str(&rng.random_range(1..=3).to_string()),
            Some('f') => {
                let tenths: u32 = rng.random_range(300..=900);
                let _ = write!(message, "{}.{}", tenths / 10, tenths % 10);
            }
            Some('p') => message.push_str(&rng.random_range(12..=4800).to_string()),
            _ => message.push('%'),
        }
        rest = &rest[at + 1 + placeholder.map_or(0, char::len_utf8)..];
    }
    message.push_str(rest);
    (status, message)
}

/// The results a failing test job reports: its failures and a few passes.
pub(super) fn test_results(role: Role, failures: &[Failure]) -> Vec<NewTestResult> {
    let Role::Test { suite, .. } = role else {
        return Vec::new();
    };
    let s = &SUITES[suite % SUITES.len()];
    s.tests
        .iter()
        .map(|test| {
            let failure = failures.iter().find(|(t, _, _)| t == test);
            NewTestResult {
                test: (*test).to_owned(),
                subtest: None,
                status: failure.map_or(TestStatus::Pass, |f| f.1),
                expected: failure.map(|_| TestStatus::Pass),
                duration_ms: Some(if failure.is_some() { 45_000 } else { 1_800 }),
                message: failure.map(|f| f.2.clone()),
                stack: None,
                group: Some(test.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned()),
                artifacts: Vec::new(),
            }
        })
        .collect()
}

/// A log being written: worker lines, task lines with mozharness's prefix, each a little
/// later than the one before.
pub(super) struct Log {
    pub(super) text: String,
    pub(super) at: i64,
    pub(super) step: i64,
}

impl Log {
    fn new(start: i64, end: i64) -> Log {
        Log {
            text: String::with_capacity(4096),
            at: start,
            step: ((end - start) / 40).max(1_000_000),
        }
    }

    fn tick(&mut self) -> chrono::DateTime<chrono::Utc> {
        self.at += self.step;
        chrono::DateTime::from_timestamp_micros(self.at).unwrap_or_default()
    }

    fn worker(&mut self, line: &str) {
        let at = self.tick();
        let _ = writeln!(
            self.text,
            "[taskcluster {}] {line}",
            at.format("%Y-%m-%d %H:%M:%S%.3fZ")
        );
    }

    /// A line as the worker writes it without a time (its own errors).
    fn raw(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn worker_at(&mut self, at: i64, line: &str) {
        self.at = self.at.max(at);
        let at = chrono::DateTime::from_timestamp_micros(self.at).unwrap_or_default();
        let _ = writeln!(
            self.text,
            "[taskcluster {}] {line}",
            at.format("%Y-%m-%d %H:%M:%S%.3fZ")
        );
    }

    fn task(&mut self, line: &str) {
        let at = self.tick();
        let _ = writeln!(
            self.text,
            "[task {}] {line}",
            at.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        );
    }

    fn level(&mut self, level: &str, line: &str) {
        let at = self.tick();
        let _ = writeln!(
            self.text,
            "[task {}] {} {level:>8} - {line}",
            at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            at.format("%H:%M:%S"),
        );
    }

    fn info(&mut self, line: &str) {
        self.level("INFO", line);
    }

    fn error(&mut self, line: &str) {
        self.level("ERROR", line);
    }

    fn mozharness(&mut self, line: &str) {
        let at = chrono::DateTime::from_timestamp_micros(self.at + self.step).unwrap_or_default();
        let marker = format!(
            "[mozharness: {}] {line}",
            at.format("%Y-%m-%d %H:%M:%S%.6fZ")
        );
        self.info(&marker);
    }

    fn step(&mut self, name: &str, result: &str) {
        self.mozharness(&format!("Running {name} step."));
        self.info(&format!("Running command for {name}"));
        self.mozharness(&format!("Finished {name} step ({result})"));
    }
}
