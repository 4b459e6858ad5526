//! The error rules: Treeherder's `ErrorParser` as one table.
//!
//! Everything that decides whether a line is an error lives here, in the order Treeherder
//! applies it (treeherder/log_parser/parsers.py):
//!
//! 1. [`Stage::Exclude1`] (`RE_EXCLUDE_1_SEARCH`) on the line: a hit means "not an error";
//! 2. [`Stage::Error1`] (`RE_ERR_1_MATCH`) on the line: a hit means "error";
//! 3. the mozharness prefix (`HH:MM:SS  INFO - `) is removed and trailing whitespace stripped;
//! 4. [`Stage::Exclude2`] (`RE_EXCLUDE_2_SEARCH`) on that trimmed line: a hit means "not an
//!    error";
//! 5. [`Stage::Error`] (`IN_SEARCH_TERMS`, `RE_ERR_MATCH`, `RE_ERR_SEARCH`) on the trimmed line:
//!    a hit means "error".
//!
//! Each regular expression is a small hand-written matcher (see [`Test`]), which keeps the
//! `regex` crate off the hot path; the `source` column keeps the original pattern beside it.
//!
//! Every rule that can make a line an error names its *triggers*: literals that any line it
//! matches must contain. The scanner looks for all triggers at once with a SIMD multi-literal
//! search and runs this table only on the few lines that contain one, so the table's cost does
//! not grow with the log. A trigger is often a piece of the pattern rather than all of it,
//! chosen so that its first three bytes are rare in logs (the SIMD prefilter keys on them):
//! `-UNEXPECTED-` rather than `TEST-UNEXPECTED-`, which would stop at every `TEST-PASS`.
//! The taskcluster prefix rule and the prefix strippers are here too, as they decide what the
//! matchers see.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use crate::pytext::{is_digit, is_space, is_word, rstrip, strip_digits1, trailing_digits_start};

/// When a rule applies; see the module docs for the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// On the untrimmed line; a hit rejects the line.
    Exclude1,
    /// On the untrimmed line; a hit accepts the line.
    Error1,
    /// On the trimmed line; a hit rejects the line.
    Exclude2,
    /// On the trimmed line; a hit accepts the line.
    Error,
}

/// How a rule tests a line.
#[derive(Clone, Copy)]
pub(crate) enum Test {
    Contains(&'static str),
    StartsWith(&'static str),
    EndsWith(&'static str),
    Equals(&'static str),
    /// A hand-written matcher for a regular expression.
    Matcher(fn(&str) -> bool),
}

impl Test {
    fn matches(&self, line: &str) -> bool {
        match *self {
            Test::Contains(s) => line.contains(s),
            Test::StartsWith(s) => line.starts_with(s),
            Test::EndsWith(s) => line.ends_with(s),
            Test::Equals(s) => line == s,
            Test::Matcher(f) => f(line),
        }
    }
}

pub(crate) struct Rule {
    pub(crate) stage: Stage,
    pub(crate) test: Test,
    /// Literals one of which every line this rule accepts contains (empty for exclusions).
    pub(crate) triggers: &'static [&'static str],
    /// The Treeherder pattern this rule implements.
    #[cfg_attr(not(test), allow(dead_code))] // documentation, and checked by the tests
    pub(crate) source: &'static str,
    /// A line the rule matches (checked by the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) example: &'static str,
}

use Stage::*;
use Test::*;

const fn rule(
    stage: Stage,
    test: Test,
    triggers: &'static [&'static str],
    source: &'static str,
    example: &'static str,
) -> Rule {
    Rule {
        stage,
        test,
        triggers,
        source,
        example,
    }
}

/// The rules, in Treeherder's order. Within a stage order does not matter.
#[rustfmt::skip]
pub(crate) const RULES: &[Rule] = &[
    // RE_EXCLUDE_1_SEARCH
    rule(Exclude1, Contains("TEST-INFO "), &[], "TEST-(?:INFO|PASS) ", "TEST-INFO | x | ok"),
    rule(Exclude1, Contains("TEST-PASS "), &[], "TEST-(?:INFO|PASS) ", "TEST-PASS | x | fatal error"),
    rule(Exclude1, Contains("A content process crashed and MOZ_CRASHREPORTER_SHUTDOWN is set, shutting down"), &[],
        "A content process crashed and MOZ_CRASHREPORTER_SHUTDOWN is set, shutting down",
        "PROCESS-CRASH A content process crashed and MOZ_CRASHREPORTER_SHUTDOWN is set, shutting down"),
    // RE_ERR_1_MATCH
    rule(Error1, Matcher(mozharness_error_prefix), &["ERROR - ", "CRITICAL - ", "FATAL - "],
        r"^\d+:\d+:\d+ +(?:ERROR|CRITICAL|FATAL) - ", "21:47:57    ERROR -  error: linking failed"),
    // RE_EXCLUDE_2_SEARCH
    rule(Exclude2, Matcher(gecko_unexpected), &[], r"I[ /](Gecko|TestRunner).*TEST-UNEXPECTED-",
        "I/TestRunner: TEST-UNEXPECTED-FAIL | x"),
    rule(Exclude2, EndsWith("Assertion failure"), &[], "Assertion failure$", "WARNING: Assertion failure"),
    rule(Exclude2, Matcher(unexpected_warning), &[], r"^TEST-UNEXPECTED-WARNING\b", "TEST-UNEXPECTED-WARNING | x"),
    rule(Exclude2, StartsWith("TimeoutException: "), &[], "^TimeoutException: ", "TimeoutException: Error: slow"),
    rule(Exclude2, Equals("ImportError: No module named pygtk"), &[], "^ImportError: No module named pygtk$",
        "ImportError: No module named pygtk"),
    rule(Exclude2, Contains("non-fatal error"), &[], "non-fatal error", "a non-fatal error occurred"),
    // IN_SEARCH_TERMS
    rule(Error, Contains("TEST-UNEXPECTED-"), &["-UNEXPECTED-"], "TEST-UNEXPECTED-", "TEST-UNEXPECTED-FAIL | a.html | boom"),
    rule(Error, Contains("fatal error"), &["fatal error"], "fatal error", "x.cpp:1:2: fatal error: no such file"),
    rule(Error, Contains("FATAL ERROR"), &["FATAL ERROR"], "FATAL ERROR", "FATAL ERROR: out of memory"),
    rule(Error, Contains("Hit MOZ_CRASH"), &["Hit MOZ_CRASH"], "Hit MOZ_CRASH", "[5432] Hit MOZ_CRASH(oops) at x.cpp:2"),
    rule(Error, Contains("REFTEST ERROR"), &["T ERROR"], "REFTEST ERROR", "REFTEST ERROR | x | y"),
    rule(Error, Contains("PROCESS-CRASH"), &["PROCESS-CRASH"], "PROCESS-CRASH", "PROCESS-CRASH | application crashed"),
    rule(Error, Contains("Assertion fail"), &["Assertion fail"], "Assertion fail", "Assertion failure: x, at y.cpp:3"),
    rule(Error, Contains("###!!! ABORT:"), &["ABORT:"], "###!!! ABORT:", "###!!! ABORT: x: file y.cpp:4"),
    rule(Error, Contains("SUMMARY: AddressSanitizer"), &["SUMMARY: AddressSanitizer"], "SUMMARY: AddressSanitizer",
        "SUMMARY: AddressSanitizer: heap-use-after-free x.h:1"),
    rule(Error, Contains("SUMMARY: ThreadSanitizer"), &["SUMMARY: ThreadSanitizer"], "SUMMARY: ThreadSanitizer",
        "SUMMARY: ThreadSanitizer: data race x.cpp:5"),
    rule(Error, Contains("SUMMARY: UndefinedBehaviorSanitizer"), &["SUMMARY: UndefinedBehaviorSanitizer"],
        "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior x.cpp:6"),
    rule(Error, Contains("ThreadSanitizer: nested bug"), &["ThreadSanitizer: nested bug"], "ThreadSanitizer: nested bug",
        "ThreadSanitizer: nested bug in the same thread, aborting."),
    rule(Error, Contains("Automation Error:"), &["Automation Error:"], "Automation Error:", "Automation Error: no device"),
    rule(Error, Contains("command timed out:"), &["command timed out:"], "command timed out:",
        "command timed out: 3600 seconds without output"),
    rule(Error, Contains("wget: unable "), &["wget: unable "], "wget: unable ", "wget: unable to resolve host address"),
    rule(Error, Contains("bash.exe: *** "), &["bash.exe: *** "], "bash.exe: *** ", "bash.exe: *** fork: Resource unavailable"),
    rule(Error, Contains("Unsuccessful task run with exit code: 137"), &["Unsuccessful task run with exit code: 137"],
        "Unsuccessful task run with exit code: 137", "Unsuccessful task run with exit code: 137 completed in 5 seconds"),
    rule(Error, Contains("YOU ARE LEAKING THE WORLD"), &["YOU ARE LEAKING THE WORLD"], "YOU ARE LEAKING THE WORLD",
        "YOU ARE LEAKING THE WORLD (at least one JSRuntime and everything alive inside it)"),
    // RE_ERR_MATCH
    rule(Error, Matcher(make_error), &[": ***"], r"^g?make(?:\[\d+\])?: \*\*\*", "gmake[4]: *** [rust.mk:600: build] Error 101"),
    rule(Error, Matcher(class_error), &["Error: "], "^[A-Za-z.]+Error: ", "TypeError: x is undefined"),
    rule(Error, Matcher(class_exception), &["Exception: "], "^[A-Za-z.]*Exception: ", "Exception: boom"),
    rule(Error, StartsWith("[  FAILED  ] "), &["FAILED  ] "], r"^\[  FAILED  \] ", "[  FAILED  ] Suite.Test (5 ms)"),
    rule(Error, StartsWith("remoteFailed:"), &["remoteFailed:"], "^remoteFailed:", "remoteFailed: [Failure instance]"),
    rule(Error, StartsWith("rm: cannot "), &["rm: cannot "], "^rm: cannot ", "rm: cannot remove 'x': Permission denied"),
    rule(Error, StartsWith("abort:"), &["abort:"], "^abort:", "abort: HTTP Error 500"),
    rule(Error, StartsWith("error: "), &["error:"], "^error: ", "error: could not compile `x`"),
    rule(Error, StartsWith("[taskcluster] Error:"), &["kcluster] Error:"], r"^\[taskcluster\] Error:",
        "[taskcluster] Error: Task timeout after 3600 seconds."),
    rule(Error, Matcher(bracket_error_tag), &["error]", "exception]"], r"^\[[\w._-]+:(?:error|exception)\]",
        "[taskcluster:error] Task aborted - max run time exceeded"),
    // RE_ERR_SEARCH
    rule(Error, Matcher(paren_error), &["error("], r" error\(\d*\):", "x.cs(1,2): error(12): bad"),
    rule(Error, Matcher(compiler_error), &["error:"], r":\d+: error:", "src/a.c:12: error: expected ';'"),
    rule(Error, Matcher(msvc_error), &["error C", "error RC"], r" error R?C\d*:", "x.cpp(3): error C2065: undeclared"),
    rule(Error, Matcher(http_error), &["ERROR 4", "ERROR 5"], r"ERROR [45]\d\d:", "HTTP request sent. ERROR 404: Not Found."),
    rule(Error, Matcher(mozmake_error), &[": ***"], r"mozmake\.(?:exe|EXE)(?:\[\d+\])?: \*\*\*",
        "mozmake.EXE[2]: *** [backend] Error 1"),
];

/// Whether Treeherder's `ErrorParser.is_error_line` accepts `line` (already cut to 500
/// characters and stripped of a taskcluster prefix).
///
/// Gives the same answer as applying the table rule by rule ([`is_error_line_by_rule`]), but
/// with the literals of a stage compiled into one automaton: a candidate line costs two
/// passes instead of one substring search per rule.
pub(crate) fn is_error_line(line: &str) -> bool {
    let Some(compiled) = compiled() else {
        return is_error_line_by_rule(line);
    };
    let excluded = compiled.exclude1.is_match(line)
        || RULES.iter().any(|rule| {
            rule.stage == Exclude1 && !matches!(rule.test, Contains(_)) && rule.test.matches(line)
        });
    if excluded {
        return false;
    }
    if any_rule(Error1, line) {
        return true;
    }
    let trimmed = rstrip(strip_mozharness_prefix(line));
    // Which triggers the line holds, as bits; a rule none of whose triggers is present cannot
    // match, so most rules are skipped without looking at the line again.
    let present = compiled
        .triggers
        .find_overlapping_iter(trimmed)
        .fold(0u64, |bits, hit| bits | 1 << hit.pattern().as_usize());
    let is_error = RULES.iter().zip(&compiled.masks).any(|(rule, &mask)| {
        rule.stage == Error && present & mask != 0 && rule.test.matches(trimmed)
    });
    // Stage 4 is pure, so it can run after stage 5, and only when stage 5 matched.
    is_error && !any_rule(Exclude2, trimmed)
}

/// [`is_error_line`] done the plain way, one rule at a time: the reference.
pub(crate) fn is_error_line_by_rule(line: &str) -> bool {
    if any_rule(Exclude1, line) {
        return false;
    }
    if any_rule(Error1, line) {
        return true;
    }
    let trimmed = rstrip(strip_mozharness_prefix(line));
    !any_rule(Exclude2, trimmed) && any_rule(Error, trimmed)
}

fn any_rule(stage: Stage, text: &str) -> bool {
    RULES
        .iter()
        .any(|rule| rule.stage == stage && rule.test.matches(text))
}

/// The table compiled for speed.
struct Compiled {
    /// The `Contains` literals of stage 1.
    exclude1: AhoCorasick,
    /// The triggers of stage 5, each pattern id a bit.
    triggers: AhoCorasick,
    /// For each rule of [`RULES`], the bits of its triggers in `triggers`.
    masks: Vec<u64>,
}

/// `None` if the automata cannot be built (never expected) or stage 5 has more than 64
/// distinct triggers; callers then fall back to [`is_error_line_by_rule`].
fn compiled() -> Option<&'static Compiled> {
    static COMPILED: OnceLock<Option<Compiled>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let exclude1 = RULES.iter().filter_map(|rule| match rule.test {
                Contains(literal) if rule.stage == Exclude1 => Some(literal),
                _ => None,
            });
            let mut triggers: Vec<&str> = RULES
                .iter()
                .filter(|rule| rule.stage == Error)
                .flat_map(|rule| rule.triggers.iter().copied())
                .collect();
            triggers.sort_unstable();
            triggers.dedup();
            if triggers.len() > 64 {
                return None;
            }
            let masks = RULES
                .iter()
                .map(|rule| {
                    rule.triggers
                        .iter()
                        .filter_map(|t| triggers.iter().position(|x| x == t))
                        .fold(0u64, |bits, i| bits | 1 << i)
                })
                .collect();
            Some(Compiled {
                exclude1: AhoCorasick::new(exclude1).ok()?,
                // A DFA: overlapping search cannot skip ahead, so raw stepping speed counts.
                triggers: AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&triggers)
                    .ok()?,
                masks,
            })
        })
        .as_ref()
}

/// All literals one of which every error line contains.
pub(crate) fn triggers() -> impl Iterator<Item = &'static str> {
    RULES.iter().flat_map(|rule| rule.triggers.iter().copied())
}

/// `RE_TASKCLUSTER_NORMAL_PREFIX`, `^\[(?!taskcluster:)[^\]]*20\d{2}-[^\]]+\]\s`: the
/// `[task 2016-09-09T17:45:02.842230Z] ` prefix that run-task puts before each line of a
/// taskcluster log, removed (with one whitespace character after it) before matching.
pub(crate) fn strip_taskcluster_prefix(line: &str) -> &str {
    if !line.starts_with('[') || line.starts_with("[taskcluster:") {
        return line;
    }
    // `[^\]]` cannot cross a `]`, so the bracket must close at the first `]`.
    let Some(close) = line.find(']') else {
        return line;
    };
    let inner = &line[1..close];
    // A byte scan: building a substring searcher would cost more than this short search.
    let bytes = inner.as_bytes();
    let has_year = (0..bytes.len().saturating_sub(1)).any(|at| {
        if bytes[at] != b'2' || bytes[at + 1] != b'0' {
            return false;
        }
        let mut rest = inner[at + 2..].chars();
        matches!(
            (rest.next(), rest.next(), rest.next(), rest.next()),
            (Some(a), Some(b), Some('-'), Some(_)) if is_digit(a) && is_digit(b)
        )
    });
    if !has_year {
        return line;
    }
    let after = &line[close + 1..];
    match after.chars().next() {
        Some(c) if is_space(c) => &after[c.len_utf8()..],
        _ => line,
    }
}

/// Splits `HH:MM:SS +LEVEL - ` (digits of any length) off the front of a mozharness line.
/// Returns the level and what follows ` - `.
pub(crate) fn split_mozharness_prefix(line: &str) -> Option<(&str, &str)> {
    let rest = strip_digits1(line)?.strip_prefix(':')?;
    let rest = strip_digits1(rest)?.strip_prefix(':')?;
    let rest = strip_digits1(rest)?;
    let level_start = rest.trim_start_matches(' ');
    if level_start.len() == rest.len() {
        return None; // ` +` needs at least one space
    }
    let level_len = level_start
        .find(|c: char| !c.is_ascii_uppercase())
        .unwrap_or(level_start.len());
    let (level, rest) = level_start.split_at(level_len);
    Some((level, rest.strip_prefix(" - ")?))
}

/// `RE_MOZHARNESS_PREFIX`, `^\d+:\d+:\d+ +(?:DEBUG|INFO|WARNING) - +`, removed before the
/// later stages match.
pub(crate) fn strip_mozharness_prefix(line: &str) -> &str {
    match split_mozharness_prefix(line) {
        Some(("DEBUG" | "INFO" | "WARNING", rest)) => rest.trim_start_matches(' '),
        _ => line,
    }
}

fn mozharness_error_prefix(line: &str) -> bool {
    matches!(
        split_mozharness_prefix(line),
        Some(("ERROR" | "CRITICAL" | "FATAL", _))
    )
}

/// Skips an optional `\[\d+\]`, as in `make[2]`.
fn skip_bracketed_number(s: &str) -> &str {
    s.strip_prefix('[')
        .and_then(strip_digits1)
        .and_then(|rest| rest.strip_prefix(']'))
        .unwrap_or(s)
}

fn make_error(line: &str) -> bool {
    let line = if line.starts_with("gmake") {
        &line[1..]
    } else {
        line
    };
    line.strip_prefix("make")
        .is_some_and(|rest| skip_bracketed_number(rest).starts_with(": ***"))
}

/// `^[A-Za-z.]+<word>: ` (`at_least` letters): the run of letters and dots must end with
/// `word`, since `:` ends the run.
fn class_then(line: &str, word: &str, at_least: usize) -> bool {
    let run = line
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic() || *b == b'.')
        .count();
    run >= at_least && line[..run].ends_with(word) && line[run..].starts_with(": ")
}

fn class_error(line: &str) -> bool {
    class_then(line, "Error", "Error".len() + 1)
}

fn class_exception(line: &str) -> bool {
    class_then(line, "Exception", "Exception".len())
}

fn bracket_error_tag(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let name = rest.trim_start_matches(|c: char| is_word(c) || c == '.' || c == '-');
    name.len() < rest.len() && (name.starts_with(":error]") || name.starts_with(":exception]"))
}

fn gecko_unexpected(line: &str) -> bool {
    // The earliest end of `I[ /](Gecko|TestRunner)` leaves the most room for `.*`.
    let earliest_end = ["I Gecko", "I/Gecko", "I TestRunner", "I/TestRunner"]
        .iter()
        .filter_map(|p| line.find(p).map(|at| at + p.len()))
        .min();
    earliest_end.is_some_and(|end| line[end..].contains("TEST-UNEXPECTED-"))
}

fn unexpected_warning(line: &str) -> bool {
    line.strip_prefix("TEST-UNEXPECTED-WARNING")
        .is_some_and(|rest| !rest.chars().next().is_some_and(is_word))
}

/// True when some occurrence of `needle` in `line` is followed by text `rest` accepts.
fn any_followed_by(line: &str, needle: &str, rest: impl Fn(&str) -> bool) -> bool {
    line.match_indices(needle)
        .any(|(at, _)| rest(&line[at + needle.len()..]))
}

fn paren_error(line: &str) -> bool {
    any_followed_by(line, " error(", |rest| {
        rest.trim_start_matches(is_digit).starts_with("):")
    })
}

fn compiler_error(line: &str) -> bool {
    line.match_indices(": error:").any(|(at, _)| {
        trailing_digits_start(&line[..at]).is_some_and(|digits| line[..digits].ends_with(':'))
    })
}

fn msvc_error(line: &str) -> bool {
    any_followed_by(line, " error ", |rest| {
        let rest = rest.strip_prefix("RC").or_else(|| rest.strip_prefix('C'));
        rest.is_some_and(|rest| rest.trim_start_matches(is_digit).starts_with(':'))
    })
}

fn http_error(line: &str) -> bool {
    any_followed_by(line, "ERROR ", |rest| {
        let mut chars = rest.chars();
        matches!(
            (chars.next(), chars.next(), chars.next(), chars.next()),
            (Some('4' | '5'), Some(a), Some(b), Some(':')) if is_digit(a) && is_digit(b)
        )
    })
}

fn mozmake_error(line: &str) -> bool {
    any_followed_by(line, "mozmake.", |rest| {
        rest.strip_prefix("exe")
            .or_else(|| rest.strip_prefix("EXE"))
            .is_some_and(|rest| skip_bracketed_number(rest).starts_with(": ***"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: bool) {
        assert_eq!(is_error_line(line), expected, "is_error_line({line:?})");
        assert_eq!(is_error_line_by_rule(line), expected, "by rule: {line:?}");
        if expected {
            assert!(
                triggers().any(|t| line.contains(t)),
                "error line without a trigger: {line:?}"
            );
        }
    }

    #[test]
    fn every_rule_matches_its_example_and_has_a_trigger_in_it() {
        for rule in RULES {
            assert!(
                rule.test.matches(rule.example),
                "{} does not match {:?}",
                rule.source,
                rule.example
            );
            let is_error = matches!(rule.stage, Error1 | Error);
            assert_eq!(!rule.triggers.is_empty(), is_error, "{}", rule.source);
            if is_error {
                assert!(
                    rule.triggers.iter().any(|t| rule.example.contains(t)),
                    "no trigger of {} in {:?}",
                    rule.source,
                    rule.example
                );
            }
        }
    }

    #[test]
    fn error_rules() {
        #[rustfmt::skip]
        let cases: &[(&str, bool)] = &[
            ("", false),
            ("all good", false),
            // IN_SEARCH_TERMS, anywhere in the line
            ("21:27:46     INFO - REFTEST TEST-UNEXPECTED-FAIL | a.html == b.html | image comparison", true),
            ("TEST-UNEXPECTED-TIMEOUT | x | timed out", true),
            ("TEST-EXPECTED-FAIL | x", false),
            ("foo.cpp:12:3: fatal error: 'x.h' file not found", true),
            ("FATAL ERROR: Ineffective mark-compacts", true),
            ("GECKO(5432) | [5432] Hit MOZ_CRASH(Shutdown hanging) at nsTerminator.cpp:244", true),
            ("REFTEST ERROR | x", true),
            ("PROCESS-CRASH | application crashed [@ f] | test.js", true),
            ("[7380] Assertion failure: !isStackAddress, at GLContext.cpp:2004", true),
            ("Assertion failed: (x), function f, file a.c, line 3.", true),
            ("###!!! ABORT: out of memory: file nsTArray.cpp:1", true),
            ("###!!! ASSERTION: x: 'y', file z.cpp:1", false),
            ("SUMMARY: AddressSanitizer: heap-use-after-free a.h:388:19 in f", true),
            ("SUMMARY: ThreadSanitizer: data race a.cpp:1 in f", true),
            ("SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior a.cpp:1", true),
            ("SUMMARY: LeakSanitizer: 10 byte(s) leaked", false),
            ("ThreadSanitizer: nested bug in the same thread, aborting.", true),
            ("Automation Error: mozprocess timed out", true),
            ("command timed out: 1200 seconds without output running", true),
            ("wget: unable to resolve host address 'x'", true),
            ("bash.exe: *** fork: Resource temporarily unavailable", true),
            ("Unsuccessful task run with exit code: 137 completed in 3 seconds", true),
            ("Unsuccessful task run with exit code: 1 completed in 3 seconds", false),
            ("YOU ARE LEAKING THE WORLD (at least one JSRuntime)", true),
            ("WARNING: Process 2050 hanging at shutdown; attempting crash report (fatal error).", true),
            // RE_ERR_MATCH, at the start of the trimmed line
            ("make: *** [all] Error 2", true),
            ("gmake[4]: *** [rust.mk:600: force-cargo-program-build] Error 101", true),
            ("make[12]: *** x", true),
            ("make[]: *** x", false),
            ("gmake: Nothing to be done", false),
            ("xmake: *** x", false),
            ("11:00:27     INFO -  gmake: *** [client.mk:59: build] Error 2", true),
            ("TypeError: x is undefined", true),
            ("mozprocess.ProcessError: boom", true),
            ("Error: plain", false),
            (".Error: dotted", true),
            ("a TypeError: not at start", false),
            ("TypeError:no space", false),
            ("Exception: boom", true),
            ("java.lang.RuntimeException: boom", true),
            ("Some-Exception: hyphen", false),
            ("[  FAILED  ] Foo.Bar (1 ms)", true),
            ("[  PASSED  ] 3 tests.", false),
            ("remoteFailed: [Failure instance: Traceback]", true),
            ("rm: cannot remove 'x': No such file", true),
            ("abort: push creates new remote head", true),
            ("error: could not compile `crashreporter`", true),
            ("21:47:57    ERROR -  error: linking with `cc` failed", true),
            ("error:no space", false),
            ("[taskcluster] Error: Task timeout", true),
            ("[taskcluster:error] Aborting task...", true),
            ("[taskcluster:exception] boom", true),
            ("[vcs_2.x-y:error] boom", true),
            ("[:error] empty name", false),
            ("[taskcluster:warn 2025-02-12T02:47:21.376Z] mismatch", false),
            // RE_ERR_SEARCH, anywhere in the trimmed line
            ("x.cs(1,2): error(12): bad", true),
            ("x error(): bad", true),
            ("x error(a): bad", false),
            ("src/a.c:12: error: expected ';'", true),
            ("src/a.c:12:5: error: expected ';'", true),
            ("src/a.c: error: no line", false),
            ("c:\\a.cpp(3): error C2065: 'x': undeclared identifier", true),
            ("x.rc(1) : error RC2135 : file not found", false),
            ("x.rc(1): error RC2135: file not found", true),
            ("LINK : fatal error LNK1181: cannot open input file", true),
            ("x error C: bare", true),
            ("HTTP request sent, awaiting response... ERROR 404: Not Found.", true),
            ("ERROR 503: Service Unavailable", true),
            ("ERROR 302: Found", false),
            ("ERROR 40: x", false),
            ("mozmake.EXE[2]: *** [x] Error 1", true),
            ("c:/mozilla-build/mozmake/mozmake.exe: *** No rule", true),
            ("mozmake.Exe: *** x", false),
            // RE_ERR_1_MATCH, on the untrimmed line
            ("21:47:58    FATAL - 'mach build -v' did not run successfully.", true),
            ("22:17:45    ERROR - mozcrash minidumpwriter exited with status: 1", true),
            ("1:2:3 CRITICAL - x", true),
            ("21:47:58 ERROR -x", false),
            ("21:47:58ERROR - x", false),
            ("12:00:00     INFO - nothing", false),
            // Exclusions
            ("TEST-PASS | x | fatal error", false),
            ("TEST-INFO | x | TEST-UNEXPECTED-FAIL", false),
            ("22:10:07    ERROR - TEST-PASS | x", false),
            ("A content process crashed and MOZ_CRASHREPORTER_SHUTDOWN is set, shutting down PROCESS-CRASH", false),
            ("12:00:00     INFO - I/TestRunner: TEST-UNEXPECTED-FAIL | x", false),
            ("I Gecko TEST-UNEXPECTED-FAIL", false),
            ("TEST-UNEXPECTED-FAIL I/Gecko", true),
            ("12:00:00     INFO - Assertion failure", false),
            ("12:00:00     INFO - Assertion failure  \t", false),
            ("Assertion failure: x", true),
            ("TEST-UNEXPECTED-WARNING | x", false),
            ("TEST-UNEXPECTED-WARNINGS | x", true),
            ("TEST-UNEXPECTED-WARNING-X | x", false),
            ("TimeoutException: TypeError: x", false),
            ("ImportError: No module named pygtk", false),
            ("ImportError: No module named pygtk2", true),
            ("a non-fatal error: fatal error", false),
            ("12:00:00  WARNING -  PROCESS-CRASH | x", true),
            // Python's \d is Unicode: Arabic-Indic digits count.
            ("\u{661}\u{662}:00:00    ERROR - x", true),
        ];
        for &(line, expected) in cases {
            check(line, expected);
        }
    }

    #[test]
    fn the_compiled_table_agrees_with_the_plain_one() {
        assert!(compiled().is_some());
        // Every example glued to every other, with the separators the rules care about.
        let examples: Vec<&str> = RULES.iter().map(|rule| rule.example).collect();
        for a in &examples {
            for b in &examples {
                for glue in ["", " ", "12:00:00     INFO - ", "  "] {
                    let line = format!("{a}{glue}{b}");
                    assert_eq!(
                        is_error_line(&line),
                        is_error_line_by_rule(&line),
                        "{line:?}"
                    );
                    let line = format!("{glue}{a}");
                    assert_eq!(
                        is_error_line(&line),
                        is_error_line_by_rule(&line),
                        "{line:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn taskcluster_prefix() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("[task 2025-02-13T21:59:36.250Z] 21:59:36     INFO - x", "21:59:36     INFO - x"),
            ("[vcs 2016-09-09T17:45:02.842230Z] adding changesets", "adding changesets"),
            ("[2016- task] x", "x"),
            ("[taskcluster 2025-02-13 21:56:23.368Z] Task ID: x", "Task ID: x"),
            ("[taskcluster:error] Aborting task...", "[taskcluster:error] Aborting task..."),
            ("[taskcluster:warn 2025-02-12T02:47:21.376Z] x", "[taskcluster:warn 2025-02-12T02:47:21.376Z] x"),
            ("[task 2025-] x", "[task 2025-] x"),
            ("[task 2025-x]x", "[task 2025-x]x"),
            ("[task 2025-x]\tx", "x"),
            ("[task 2025-x]\u{3000}x", "x"),
            ("[a] [task 2025-x] x", "[a] [task 2025-x] x"),
            ("[no year] x", "[no year] x"),
            ("[task 1999-01-01] x", "[task 1999-01-01] x"),
            ("[task 20\u{661}\u{662}-x] y", "y"),
            ("no bracket", "no bracket"),
        ];
        for &(line, expected) in cases {
            assert_eq!(strip_taskcluster_prefix(line), expected, "{line:?}");
        }
    }

    #[test]
    fn mozharness_prefix() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("21:24:26     INFO - GECKO(5432) | x", "GECKO(5432) | x"),
            ("21:36:55  WARNING -  PROCESS-CRASH | x", "PROCESS-CRASH | x"),
            ("1:2:3 DEBUG - x", "x"),
            ("21:36:55  ERROR - x", "21:36:55  ERROR - x"),
            ("21:36:55 INFO -x", "21:36:55 INFO -x"),
            ("21:36:55INFO - x", "21:36:55INFO - x"),
            ("21:36 INFO - x", "21:36 INFO - x"),
            ("21:36:55  INFO - ", ""),
        ];
        for &(line, expected) in cases {
            assert_eq!(strip_mozharness_prefix(line), expected, "{line:?}");
        }
    }
}
