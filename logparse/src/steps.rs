//! Steps: the phases of a job as its log marks them, and which errors fall in each.
//!
//! Three kinds of markers are understood, and may nest (mozharness steps run inside the
//! taskcluster task):
//!
//! - **taskcluster**: the worker's own `[taskcluster <time>] ...` lines. The log is cut into
//!   `setup` (from the first worker line to `=== Task Starting ===`), `task` (to
//!   `=== Task Finished ===`) and `teardown` (what follows, e.g. artifact uploads). The task's
//!   result comes from `Successful`/`Unsuccessful task run with exit code: N` (docker-worker),
//!   the last `Exit Code: N` (generic-worker), or an abort (`[taskcluster:error] Task aborted`).
//! - **mozharness**: `[mozharness: <time>] Running <step> step.` / `Finished <step> step
//!   (<status>)` / `Skipping <step> step.`, and the older `##### Running <step> step.` forms.
//! - **buildbot**: `========= Started <step> (results: N, elapsed: ...) (at <time>) =========`
//!   and the matching `Finished` line, whose `results` code gives the step's result.
//!
//! A step's line range includes its marker lines; an error line belongs to every step whose
//! range holds it. A step left open at the end of the log ends at the last line.

use serde::{Deserialize, Serialize};

use crate::errors::{ErrorHit, TASKCLUSTER_MARKER, TASKCLUSTER_TRIGGER};
use crate::pytext::rstrip;
use crate::rules::{split_mozharness_prefix, strip_mozharness_prefix, strip_taskcluster_prefix};

/// Steps recorded per log; markers past this many are ignored (a log is not expected to have
/// more than a few hundred).
pub const MAX_STEPS: usize = 10_000;

/// Literals one of which every line that moves a step contains (for the scanner). Worker error
/// lines (`[taskcluster:error]`) are found through the error rules' `error]` trigger.
pub(crate) const TRIGGERS: &[&str] = &[
    TASKCLUSTER_TRIGGER,
    "ozharness: ",
    "##### ",
    "= Started ",
    "= Finished ",
];

/// Where a step's markers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Taskcluster,
    Mozharness,
    Buildbot,
}

/// How a step ended; the names follow Treeherder's job results where they apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepResult {
    Success,
    /// Ran, but something it checked failed (buildbot `results: 1`).
    TestFailed,
    /// Broke (buildbot `results: 2`).
    Busted,
    /// Failed without saying how (mozharness `failed`, a non-zero exit code).
    Failed,
    Skipped,
    /// The infrastructure gave up (an aborted task, buildbot `results: 4`).
    Exception,
    Retry,
    UserCancel,
    /// No result was logged (e.g. the log ends inside the step).
    Unknown,
}

/// One step of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub kind: StepKind,
    pub result: StepResult,
    /// First line of the step (0-based, its start marker when it has one).
    pub started_linenumber: u64,
    /// Last line of the step (its finish marker when it has one).
    pub finished_linenumber: u64,
    /// Start time as the log prints it, when it prints one.
    pub started: Option<String>,
    /// End time as the log prints it, when it prints one.
    pub finished: Option<String>,
    /// `finished - started` in seconds, when both times could be read.
    pub duration_seconds: Option<f64>,
    /// Error lines inside the step, counting those not stored (repeats, past the cap).
    pub error_count: u64,
    /// Indexes into the stored errors of the lines inside the step.
    pub errors: Vec<usize>,
}

/// One marker's effect on the steps of one kind.
#[derive(Default)]
struct Change {
    /// Close the open step before this line (it ends on the previous line).
    close_before: bool,
    /// Open a step at this line: name and time.
    open: Option<(String, Option<String>)>,
    /// Close the open step on this line: result and time.
    close_after: Option<(StepResult, Option<String>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TcPhase {
    NotSeen,
    Setup,
    Task,
    AfterTask,
    Teardown,
}

pub(crate) struct StepParser {
    steps: Vec<Step>,
    /// The open step of each kind, by `StepKind as usize`.
    open: [Option<usize>; 3],
    tc_phase: TcPhase,
    tc_setup: Option<usize>,
    tc_task: Option<usize>,
    tc_teardown: Option<usize>,
    /// `[taskcluster:error]` lines seen in setup / in teardown.
    tc_setup_error: bool,
    tc_teardown_error: bool,
    tc_aborted: bool,
    /// From `(Un)successful task run with exit code: N`.
    tc_run_result: Option<StepResult>,
    /// The last generic-worker `Exit Code: N`.
    tc_exit_code: Option<i64>,
    /// The time on the last worker line, for a taskcluster step the log leaves open.
    tc_last_time: Option<String>,
    /// A step was not recorded because of [`MAX_STEPS`].
    truncated: bool,
}

impl Default for StepParser {
    fn default() -> Self {
        StepParser {
            steps: Vec::new(),
            open: [None; 3],
            tc_phase: TcPhase::NotSeen,
            tc_setup: None,
            tc_task: None,
            tc_teardown: None,
            tc_setup_error: false,
            tc_teardown_error: false,
            tc_aborted: false,
            tc_run_result: None,
            tc_exit_code: None,
            tc_last_time: None,
            truncated: false,
        }
    }
}

impl StepParser {
    /// Looks at one line (decoded, cut to 500 characters) and whether it was an error line.
    pub(crate) fn on_line(&mut self, number: u64, text: &str, error: Option<ErrorHit>) {
        let mut changes: [(StepKind, Change); 3] = [
            (StepKind::Taskcluster, Change::default()),
            (StepKind::Mozharness, Change::default()),
            (StepKind::Buildbot, Change::default()),
        ];
        if let Some(rest) = text.strip_prefix(TASKCLUSTER_MARKER) {
            changes[0].1 = self.worker_line(rest);
        } else if let Some(rest) = text.strip_prefix("[taskcluster:error]") {
            self.worker_error(rest);
        } else {
            let (content, prefix_time) = split_run_task_prefix(text);
            changes[1].1 = mozharness_change(content, prefix_time);
            changes[2].1 = buildbot_change(content);
        }
        for (kind, change) in &mut changes {
            // A step closed by the next one's start ends when that one starts.
            let next_start = change.open.as_ref().and_then(|(_, time)| time.clone());
            if change.close_before || (change.open.is_some() && self.open[*kind as usize].is_some())
            {
                let last = number.saturating_sub(1);
                self.close(*kind, last, StepResult::Unknown, next_start, number);
            }
            if let Some((name, time)) = change.open.take() {
                self.open_step(*kind, name, time, number);
            }
        }
        if let Some(hit) = error {
            for step in self.open.iter().flatten() {
                let step = &mut self.steps[*step];
                step.error_count += 1;
                step.errors.extend(hit.stored);
            }
        }
        for (kind, change) in &mut changes {
            if let Some((result, time)) = change.close_after.take() {
                self.close(*kind, number, result, time, u64::MAX);
            }
        }
    }

    /// A `[taskcluster <time>] <rest>` line from the worker itself.
    fn worker_line(&mut self, rest: &str) -> Change {
        let (time, content) = match rest.split_once(']') {
            Some((time, content)) => (Some(time.to_owned()), content.trim_start_matches(' ')),
            None => (None, rest),
        };
        if time.is_some() {
            self.tc_last_time.clone_from(&time);
        }
        let content = rstrip(content);
        let mut change = Change::default();
        match self.tc_phase {
            TcPhase::NotSeen => {
                self.tc_phase = TcPhase::Setup;
                change.open = Some(("setup".to_owned(), time.clone()));
            }
            TcPhase::AfterTask if content != "=== Task Finished ===" => {
                self.tc_phase = TcPhase::Teardown;
                change.open = Some(("teardown".to_owned(), time.clone()));
            }
            _ => {}
        }
        if content == "=== Task Starting ===" && self.tc_phase == TcPhase::Setup {
            self.tc_phase = TcPhase::Task;
            if change.open.take().is_none() {
                change.close_before = true;
            }
            change.open = Some(("task".to_owned(), time));
        } else if content == "=== Task Finished ===" && self.tc_phase == TcPhase::Task {
            self.tc_phase = TcPhase::AfterTask;
            // The result usually comes later; `finish` settles it.
            change.close_after = Some((StepResult::Unknown, time));
        } else if let Some(code) = content.strip_prefix("Successful task run with exit code: ") {
            self.tc_run_result = Some(StepResult::Success);
            self.tc_exit_code = leading_int(code).or(self.tc_exit_code);
        } else if let Some(code) = content.strip_prefix("Unsuccessful task run with exit code: ") {
            self.tc_run_result = Some(StepResult::Failed);
            self.tc_exit_code = leading_int(code).or(self.tc_exit_code);
        } else if let Some(code) = content.trim_start().strip_prefix("Exit Code: ") {
            self.tc_exit_code = leading_int(code);
        }
        change
    }

    /// A `[taskcluster:error] <rest>` line: the worker reporting trouble.
    fn worker_error(&mut self, rest: &str) {
        if rest.contains("Task aborted") || rest.contains("Aborting task") {
            self.tc_aborted = true;
        }
        match self.tc_phase {
            TcPhase::NotSeen | TcPhase::Setup => self.tc_setup_error = true,
            TcPhase::AfterTask | TcPhase::Teardown => self.tc_teardown_error = true,
            TcPhase::Task => {}
        }
    }

    fn open_step(&mut self, kind: StepKind, name: String, time: Option<String>, number: u64) {
        let index = self.steps.len();
        if index >= MAX_STEPS {
            self.truncated = true;
            return;
        }
        if kind == StepKind::Taskcluster {
            match name.as_str() {
                "setup" => self.tc_setup = Some(index),
                "task" => self.tc_task = Some(index),
                _ => self.tc_teardown = Some(index),
            }
        }
        self.steps.push(Step {
            name,
            kind,
            result: StepResult::Unknown,
            started_linenumber: number,
            finished_linenumber: number,
            started: time,
            finished: None,
            duration_seconds: None,
            error_count: 0,
            errors: Vec::new(),
        });
        self.open[kind as usize] = Some(index);
    }

    /// Closes the open step of `kind` on line `last`. A step that would end before it starts
    /// (opened on `opened_at`, the line now closing it) had no lines and is dropped.
    fn close(
        &mut self,
        kind: StepKind,
        last: u64,
        result: StepResult,
        time: Option<String>,
        opened_at: u64,
    ) {
        let Some(index) = self.open[kind as usize].take() else {
            return;
        };
        let is_last = index + 1 == self.steps.len();
        let step = &mut self.steps[index];
        if step.started_linenumber == opened_at && is_last {
            self.steps.pop();
            return;
        }
        step.finished_linenumber = last.max(step.started_linenumber);
        step.result = result;
        step.finished = time;
    }

    /// Closes what the log left open and settles results; `line_count` lines were read.
    /// Returns the steps and whether some were not recorded.
    pub(crate) fn finish(mut self, line_count: u64) -> (Vec<Step>, bool) {
        let last = line_count.saturating_sub(1);
        let tc_time = self.tc_last_time.clone();
        for kind in [
            StepKind::Taskcluster,
            StepKind::Mozharness,
            StepKind::Buildbot,
        ] {
            let time = if kind == StepKind::Taskcluster {
                tc_time.clone()
            } else {
                None
            };
            self.close(kind, last, StepResult::Unknown, time, u64::MAX);
        }
        self.settle_taskcluster_results();
        for step in &mut self.steps {
            step.duration_seconds = duration(step.started.as_deref(), step.finished.as_deref());
        }
        (self.steps, self.truncated)
    }

    fn settle_taskcluster_results(&mut self) {
        let task = if self.tc_aborted {
            StepResult::Exception
        } else if let Some(result) = self.tc_run_result {
            result
        } else {
            match self.tc_exit_code {
                Some(0) => StepResult::Success,
                Some(_) => StepResult::Failed,
                None => StepResult::Unknown,
            }
        };
        if let Some(index) = self.tc_setup {
            self.steps[index].result = if self.tc_task.is_some() {
                StepResult::Success
            } else if self.tc_setup_error || self.tc_aborted {
                StepResult::Exception
            } else {
                StepResult::Unknown
            };
        }
        if let Some(index) = self.tc_task {
            self.steps[index].result = task;
        }
        if let Some(index) = self.tc_teardown {
            self.steps[index].result = if self.tc_teardown_error {
                StepResult::Exception
            } else {
                StepResult::Success
            };
        }
    }
}

/// Splits run-task's `[task <time>] ` prefix off a line; returns the rest and the time.
fn split_run_task_prefix(text: &str) -> (&str, Option<&str>) {
    let content = strip_taskcluster_prefix(text);
    if content.len() == text.len() {
        return (text, None);
    }
    let inside = text[1..].split(']').next().unwrap_or_default();
    let time = inside.split_once(' ').map_or(inside, |(_, time)| time);
    (content, Some(time))
}

fn mozharness_change(content: &str, prefix_time: Option<&str>) -> Change {
    let mut change = Change::default();
    let clock =
        split_mozharness_prefix(content).map(|_| content.split(' ').next().unwrap_or_default());
    let body = rstrip(strip_mozharness_prefix(content));
    let (stamp, rest) = if let Some(rest) = body.strip_prefix("[mozharness: ") {
        match rest.split_once("] ") {
            Some((stamp, rest)) => (Some(stamp), rest),
            None => return change,
        }
    } else if let Some(rest) = body.strip_prefix("##### ") {
        (None, rest)
    } else {
        return change;
    };
    let time = stamp.or(prefix_time).or(clock).map(str::to_owned);
    if let Some(name) = rest
        .strip_prefix("Running ")
        .and_then(|r| r.strip_suffix(" step."))
    {
        change.open = Some((name.to_owned(), time));
    } else if let Some(name) = rest
        .strip_prefix("Skipping ")
        .and_then(|r| r.strip_suffix(" step."))
    {
        change.open = Some((name.to_owned(), time.clone()));
        change.close_after = Some((StepResult::Skipped, time));
    } else if let Some(status) = rest
        .strip_prefix("Finished ")
        .and_then(|r| r.rsplit_once(" step ("))
        .and_then(|(_, status)| status.strip_suffix(')'))
    {
        let result = match status {
            "success" => StepResult::Success,
            "failed" | "failure" => StepResult::Failed,
            "warnings" | "warning" => StepResult::TestFailed,
            "exception" => StepResult::Exception,
            "retry" => StepResult::Retry,
            "skipped" => StepResult::Skipped,
            _ => StepResult::Unknown,
        };
        change.close_after = Some((result, time));
    }
    change
}

fn buildbot_change(content: &str) -> Change {
    let mut change = Change::default();
    let Some(rest) = content.strip_prefix("========= ") else {
        return change;
    };
    let (started, rest) = if let Some(rest) = rest.strip_prefix("Started ") {
        (true, rest)
    } else if let Some(rest) = rest.strip_prefix("Finished ") {
        (false, rest)
    } else {
        return change;
    };
    // `(?P<name>.*?) \(results: (?P<code>\d+), elapsed: .*?\) \(at (?P<timestamp>.*?)\)`
    let Some((name, rest)) = rest.split_once(" (results: ") else {
        return change;
    };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Ok(code) = rest[..digits].parse::<u64>() else {
        return change;
    };
    let Some(rest) = rest[digits..].strip_prefix(", elapsed: ") else {
        return change;
    };
    let Some((_, rest)) = rest.split_once(") (at ") else {
        return change;
    };
    let Some((time, _)) = rest.split_once(')') else {
        return change;
    };
    let time = Some(time.to_owned());
    if started {
        change.open = Some((name.to_owned(), time));
    } else {
        // Treeherder's RESULT_DICT.
        let result = match code {
            0 => StepResult::Success,
            1 => StepResult::TestFailed,
            2 => StepResult::Busted,
            3 => StepResult::Skipped,
            4 => StepResult::Exception,
            5 => StepResult::Retry,
            6 => StepResult::UserCancel,
            _ => StepResult::Unknown,
        };
        change.close_after = Some((result, time));
    }
    change
}

fn leading_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(s.len(), |(i, _)| i);
    s[..end].parse().ok()
}

/// A time as logs print it: a full date and time, or only a time of day (mozharness).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Stamp {
    /// Seconds since 1970-01-01 (UTC is assumed: logs print `Z` or nothing).
    Absolute(f64),
    /// Seconds since midnight.
    TimeOfDay(f64),
}

/// Reads `YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]` or `HH:MM:SS[.fff]`.
fn parse_stamp(s: &str) -> Option<Stamp> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((date, time)) => (Some(date), time),
        None => (None, s),
    };
    let mut hms = time.splitn(3, ':');
    let hours: u32 = hms.next()?.parse().ok()?;
    let minutes: u32 = hms.next()?.parse().ok()?;
    let seconds: f64 = hms.next()?.parse().ok()?;
    if hours > 23 || minutes > 59 || !(0.0..61.0).contains(&seconds) {
        return None;
    }
    let of_day = f64::from(hours * 3600 + minutes * 60) + seconds;
    let Some(date) = date else {
        return Some(Stamp::TimeOfDay(of_day));
    };
    let mut ymd = date.splitn(3, '-');
    let year: i64 = ymd.next()?.parse().ok()?;
    let month: u32 = ymd.next()?.parse().ok()?;
    let day: u32 = ymd.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(Stamp::Absolute(
        days_from_civil(year, month, day) as f64 * 86_400.0 + of_day,
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn duration(started: Option<&str>, finished: Option<&str>) -> Option<f64> {
    let seconds = match (parse_stamp(started?)?, parse_stamp(finished?)?) {
        (Stamp::Absolute(a), Stamp::Absolute(b)) => b - a,
        // A time of day only: assume the step took less than a day.
        (Stamp::TimeOfDay(a), Stamp::TimeOfDay(b)) => (b - a).rem_euclid(86_400.0),
        _ => return None,
    };
    // Timestamps carry at most microseconds; rounding hides float noise like 0.30000000004.
    Some((seconds * 1e6).round() / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Step> {
        let mut parser = StepParser::default();
        for (n, line) in lines.iter().enumerate() {
            let error = line
                .contains("TEST-UNEXPECTED-")
                .then_some(ErrorHit { stored: Some(0) });
            parser.on_line(n as u64, line, error);
        }
        parser.finish(lines.len() as u64).0
    }

    fn summary(steps: &[Step]) -> Vec<(&str, StepResult, u64, u64, u64)> {
        steps
            .iter()
            .map(|s| {
                (
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
    fn mozharness_steps_in_a_taskcluster_log() {
        let steps = parse(&[
            "[taskcluster 2025-02-13 21:56:23.368Z] Task ID: x",
            "[taskcluster 2025-02-13 21:59:34.969Z] === Task Starting ===",
            "[task 2025-02-13T21:59:36.250Z] 21:59:36     INFO - [mozharness: 2025-02-13 21:59:36.244899Z] Running clobber step.",
            "[task 2025-02-13T21:59:36.250Z] 21:59:36     INFO - [mozharness: 2025-02-13 21:59:36.245000Z] Finished clobber step (success)",
            "[task 2025-02-13T21:59:36.250Z] 21:59:36     INFO - [mozharness: 2025-02-13 21:59:36.245100Z] Skipping pull step.",
            "[task 2025-02-13T21:59:36.250Z] 21:59:36     INFO - [mozharness: 2025-02-13 21:59:36.245410Z] Running run-tests step.",
            "[task 2025-02-13T22:00:00.000Z] 22:00:00     INFO - TEST-UNEXPECTED-FAIL | a | b",
            "[task 2025-02-13T22:01:00.000Z] 22:01:00     INFO - [mozharness: 2025-02-13 22:01:00.245410Z] Finished run-tests step (failed)",
            "[taskcluster 2025-02-13 22:26:33.949Z] === Task Finished ===",
            "[taskcluster 2025-02-13 22:26:36.124Z] Unsuccessful task run with exit code: 2 completed in 1812.757 seconds",
        ]);
        use StepResult::*;
        assert_eq!(
            summary(&steps),
            [
                ("setup", Success, 0, 0, 0),
                ("task", Failed, 1, 8, 1),
                ("clobber", Success, 2, 3, 0),
                ("pull", Skipped, 4, 4, 0),
                ("run-tests", Failed, 5, 7, 1),
                ("teardown", Success, 9, 9, 0),
            ]
        );
        assert_eq!(
            steps[2].started.as_deref(),
            Some("2025-02-13 21:59:36.244899Z")
        );
        assert_eq!(
            steps[0].finished.as_deref(),
            Some("2025-02-13 21:59:34.969Z")
        );
        assert_eq!(steps[4].duration_seconds, Some(84.0));
        assert_eq!(steps[1].duration_seconds, Some(1618.98));
        assert_eq!(steps[4].errors, [0]);
    }

    #[test]
    fn old_mozharness_and_buildbot_markers() {
        let steps = parse(&[
            "========= Started set props: master (results: 0, elapsed: 0 secs) (at 2015-08-17 02:33:56.353866) =========",
            "builder: x",
            "========= Finished set props: master (results: 0, elapsed: 0 secs) (at 2015-08-17 02:33:56.354301) =========",
            "========= Started run script (results: 0, elapsed: 0 secs) (at 2015-08-17 02:33:57.000000) =========",
            "02:33:57     INFO - ##### Running run-tests step.",
            "02:34:57     INFO - TEST-UNEXPECTED-FAIL | x",
            "02:35:07     INFO - ##### Finished run-tests step (success)",
            "========= Finished run script (results: 2, elapsed: 2 mins, 3 secs) (at 2015-08-17 02:36:00.000000) =========",
            "========= Started dangling (results: 0, elapsed: 0 secs) (at 2015-08-17 02:36:00.000000) =========",
        ]);
        use StepResult::*;
        assert_eq!(
            summary(&steps),
            [
                ("set props: master", Success, 0, 2, 0),
                ("run script", Busted, 3, 7, 1),
                ("run-tests", Success, 4, 6, 1),
                ("dangling", Unknown, 8, 8, 0),
            ]
        );
        assert_eq!(steps[0].duration_seconds, Some(0.000435));
        assert_eq!(steps[2].started.as_deref(), Some("02:33:57"));
        assert_eq!(steps[2].duration_seconds, Some(70.0));
    }

    #[test]
    fn generic_worker_exit_code_and_abort() {
        let lines = [
            "[taskcluster 2025-02-12T02:47:20.605Z] === Task Starting ===",
            "[taskcluster 2025-02-12T02:47:21.832Z]    Exit Code: 0",
            "[taskcluster:error] Aborting task...",
            "[taskcluster 2025-02-12T03:17:21.849Z] === Task Finished ===",
            "[taskcluster 2025-02-12T03:17:21.849Z] Task Duration: 30m0.023994s",
            "[taskcluster:error] Task aborted - max run time exceeded",
        ];
        let steps = parse(&lines);
        use StepResult::*;
        assert_eq!(
            summary(&steps),
            [
                ("task", Exception, 0, 3, 0),
                ("teardown", Exception, 4, 5, 0)
            ]
        );
        let steps = parse(&lines[..2]);
        assert_eq!(summary(&steps), [("task", Success, 0, 1, 0)]);
    }

    #[test]
    fn stamps() {
        assert_eq!(
            parse_stamp("1970-01-02 00:00:01Z"),
            Some(Stamp::Absolute(86_401.0))
        );
        assert_eq!(
            parse_stamp("2000-03-01T00:00:00"),
            Some(Stamp::Absolute(951_868_800.0))
        );
        assert_eq!(parse_stamp("01:00:00.5"), Some(Stamp::TimeOfDay(3600.5)));
        assert_eq!(parse_stamp("25:00:00"), None);
        assert_eq!(parse_stamp("garbage"), None);
        assert_eq!(duration(Some("23:59:59"), Some("00:00:01")), Some(2.0));
    }
}
