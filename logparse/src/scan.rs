//! The hot loop: find the few interesting lines of a log without looking at every line.
//!
//! Every analyser (error rules, step markers, PERFHERDER_DATA) only ever acts on a line that
//! contains one of its *trigger* literals (see `rules.rs`). The scanner searches each chunk
//! for all triggers at once with a SIMD multi-literal search (aho-corasick's Teddy), which
//! runs at GB/s, and asks the chunk's [`Region`] for the line around each hit; that line alone
//! is decoded and handed to the analysers. Line numbers are counted lazily between hits. A
//! typical CI log has one interesting line in a hundred.
//!
//! Because analysers act only on lines holding a trigger, the result is the same as running
//! every analyser on every line; a test checks exactly that against the ungated path.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use memchr::memmem;
use serde::{Deserialize, Serialize};

use crate::errors::{ErrorLine, ErrorParser, TASKCLUSTER_TRIGGER};
use crate::input::Feed;
use crate::lines::{LineSink, MAX_LINE_BYTES, Region, Splitter, decode_line};
use crate::perf::{self, PerfherderData};
use crate::steps::{self, Step, StepParser};

/// PERFHERDER_DATA blobs kept per log; a log printing more is unusual.
pub const MAX_PERF_BLOBS: usize = 1000;

/// Bytes of PERFHERDER_DATA lines kept per log, all blobs together: memory stays bounded even
/// if every line of a huge log carried a large blob.
pub const MAX_PERF_BYTES: usize = 64 << 20;

/// Everything [`LogParser`] extracts from a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedLog {
    /// Treeherder's error summary: at most 40 lines, exactly as Treeherder stores them.
    pub errors: Vec<ErrorLine>,
    /// Error lines were dropped because 40 were stored already.
    pub errors_truncated: bool,
    /// Every line the error rules accept, including repeats and those past the cap.
    pub error_count: u64,
    /// The job's steps, in the order they start.
    pub steps: Vec<Step>,
    /// More than [`MAX_STEPS`](crate::MAX_STEPS) steps: the rest were not recorded.
    pub steps_truncated: bool,
    /// PERFHERDER_DATA blobs, valid or not, in log order.
    pub perf_data: Vec<PerfherderData>,
    /// More than [`MAX_PERF_BLOBS`] blobs (or [`MAX_PERF_BYTES`]) were found; the rest were
    /// dropped.
    pub perf_data_truncated: bool,
    /// Lines in the log, as `bytes.splitlines()` counts them.
    pub line_count: u64,
    /// Bytes of (uncompressed) log text.
    pub byte_count: u64,
}

/// A streaming log parser: feed it the (uncompressed) log in chunks of any size, then
/// [`finish`](LogParser::finish) it. Results do not depend on how the log was chunked.
pub struct LogParser {
    splitter: Splitter,
    analyzer: Analyzer,
    bytes: u64,
}

impl Default for LogParser {
    fn default() -> Self {
        Self::new()
    }
}

impl LogParser {
    /// A parser that extracts everything in [`ParsedLog`].
    pub fn new() -> Self {
        Self::with(true, true)
    }

    /// A parser that only builds Treeherder's error summary and, like Treeherder, stops
    /// looking once 40 error lines are stored; steps and perf data stay empty.
    pub fn treeherder() -> Self {
        Self::with(false, true)
    }

    fn with(full: bool, gated: bool) -> Self {
        LogParser {
            splitter: Splitter::default(),
            analyzer: Analyzer {
                searcher: if gated { triggers() } else { None },
                errors: ErrorParser::new(full),
                steps: full.then(StepParser::default),
                perf: Vec::new(),
                perf_truncated: false,
                perf_bytes: 0,
            },
            bytes: 0,
        }
    }

    /// Parses the next piece of the log.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len() as u64;
        self.splitter.feed(bytes, &mut self.analyzer);
    }

    /// Ends the log (an unterminated last line still counts) and returns the results.
    pub fn finish(mut self) -> ParsedLog {
        let line_count = self.splitter.finish(&mut self.analyzer);
        let Analyzer {
            errors,
            steps,
            perf,
            perf_truncated,
            ..
        } = self.analyzer;
        let (errors, error_count, errors_truncated) = errors.finish();
        let (steps, steps_truncated) = steps.map_or((Vec::new(), false), |s| s.finish(line_count));
        ParsedLog {
            errors,
            errors_truncated,
            error_count,
            steps,
            steps_truncated,
            perf_data: perf,
            perf_data_truncated: perf_truncated,
            line_count,
            byte_count: self.bytes,
        }
    }
}

impl Feed for LogParser {
    fn feed(&mut self, bytes: &[u8]) {
        LogParser::feed(self, bytes);
    }
}

/// The searcher for every analyser's triggers, built once. `None` (never expected: the
/// literals are few and short) makes the scanner look at every line, which is slower but
/// gives the same results.
fn triggers() -> Option<&'static AhoCorasick> {
    static SEARCHER: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    SEARCHER
        .get_or_init(|| {
            let mut literals: Vec<&str> = crate::rules::triggers()
                .chain(steps::TRIGGERS.iter().copied())
                .chain([perf::MARKER, TASKCLUSTER_TRIGGER])
                .collect();
            literals.sort_unstable();
            literals.dedup();
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(literals)
                .ok()
        })
        .as_ref()
}

/// Finds [`perf::MARKER`]; built once, as building it costs more than one search.
fn perf_finder() -> &'static memmem::Finder<'static> {
    static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memmem::Finder::new(perf::MARKER))
}

struct Analyzer {
    /// `None`: look at every line (tests compare this with the gated path).
    searcher: Option<&'static AhoCorasick>,
    errors: ErrorParser,
    /// `None` in Treeherder mode.
    steps: Option<StepParser>,
    perf: Vec<PerfherderData>,
    perf_truncated: bool,
    /// Length of the lines of the blobs kept.
    perf_bytes: usize,
}

impl Analyzer {
    /// Treeherder mode with 40 errors stored: nothing left to find.
    fn done(&self) -> bool {
        self.steps.is_none() && self.errors.is_full()
    }

    fn analyze(&mut self, line: &[u8], number: u64) {
        // Treeherder cuts lines to 500 characters, except those carrying PERFHERDER_DATA.
        let has_perf = perf_finder().find(line).is_some();
        let text = decode_line(line, has_perf);
        let error = self.errors.on_line(number, &text);
        let Some(steps) = &mut self.steps else {
            return;
        };
        steps.on_line(number, &text, error);
        if has_perf {
            if self.perf.len() >= MAX_PERF_BLOBS || self.perf_bytes + text.len() > MAX_PERF_BYTES {
                self.perf_truncated = true;
            } else if let Some(blob) = perf::parse_line(number, &text, line.len() >= MAX_LINE_BYTES)
            {
                self.perf_bytes += text.len();
                self.perf.push(blob);
            }
        }
    }
}

impl LineSink for Analyzer {
    fn region(&mut self, region: &mut Region<'_>) {
        if self.done() {
            return;
        }
        let bytes = region.bytes();
        let mut from = 0;
        while from < bytes.len() {
            let at = match self.searcher {
                Some(searcher) => match searcher.find(Input::new(bytes).span(from..bytes.len())) {
                    Some(hit) => hit.start(),
                    None => break,
                },
                None => from,
            };
            let (line, number, next) = region.line_at(at);
            self.analyze(line, number);
            from = next;
        }
    }

    fn line(&mut self, line: &[u8], number: u64) {
        if self.done() {
            return;
        }
        let wanted = match self.searcher {
            Some(searcher) => searcher.is_match(line),
            None => true,
        };
        if wanted {
            self.analyze(line, number);
        }
    }
}

#[cfg(test)]
pub(crate) fn ungated() -> LogParser {
    LogParser::with(true, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trigger_is_searched() {
        let searcher = triggers();
        assert!(searcher.is_some());
        for literal in crate::rules::triggers().chain(steps::TRIGGERS.iter().copied()) {
            assert!(searcher.is_some_and(|s| s.is_match(literal)), "{literal}");
        }
        assert!(searcher.is_some_and(|s| s.is_match(crate::errors::TASKCLUSTER_MARKER)));
    }

    #[test]
    fn gated_and_ungated_agree_on_a_small_log() {
        let log = b"[taskcluster 2025-02-13 21:56:23.368Z] Task ID: x\r\n\
            [taskcluster 2025-02-13 21:59:34.969Z] === Task Starting ===\r\n\
            [task 2025-02-13T21:59:36.250Z] 21:59:36     INFO - [mozharness: 2025-02-13 21:59:36.244899Z] Running run-tests step.\r\n\
            [task 2025-02-13T21:59:36.250Z] 21:59:36     INFO - TEST-UNEXPECTED-FAIL | a | b\r\n\
            plain line\r\rPERFHERDER_DATA: {\"framework\": {\"name\": \"x\"}, \"suites\": []}\n\
            [taskcluster 2025-02-13 22:26:33.949Z] === Task Finished ===";
        for chunk in [1, 7, log.len()] {
            let mut gated = LogParser::new();
            let mut all = ungated();
            for piece in log.chunks(chunk) {
                gated.feed(piece);
                all.feed(piece);
            }
            let (gated, all) = (gated.finish(), all.finish());
            assert_eq!(gated, all);
            assert_eq!(gated.line_count, 8);
            assert_eq!(gated.errors.len(), 1);
            assert_eq!(gated.errors[0].linenumber, 3);
            assert_eq!(gated.steps.len(), 3);
            assert_eq!(gated.perf_data.len(), 1);
        }
    }

    /// The gate must never hide a line an analyser would act on: random mixes of every rule's
    /// example, step markers, breaks and junk give the same result either way.
    #[test]
    fn gated_and_ungated_agree_on_random_logs() {
        let mut pieces: Vec<&[u8]> = crate::rules::RULES
            .iter()
            .map(|rule| rule.example.as_bytes())
            .collect();
        pieces.extend([
            &b"\n"[..],
            b"\r",
            b"\r\n",
            b" ",
            b"\xff",
            b"[taskcluster 2025-02-13 21:56:23.368Z] ",
            b"[task 2025-02-13T21:59:36.250Z] ",
            b"21:59:36     INFO - ",
            b"=== Task Starting ===",
            b"=== Task Finished ===",
            b"[mozharness: 2025-02-13 21:59:36.244899Z] Running x step.",
            b"##### Finished x step (success)",
            b"========= Started a (results: 0, elapsed: 0 secs) (at 2015-08-17 02:33:56.353866) =========",
            b"PERFHERDER_DATA: {\"framework\": {}, \"suites\": []}",
        ]);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..300 {
            let log: Vec<u8> = (0..next(60) + 1)
                .flat_map(|_| pieces[next(pieces.len())].iter().copied())
                .collect();
            let mut gated = LogParser::new();
            let mut all = ungated();
            gated.feed(&log);
            all.feed(&log);
            assert_eq!(
                gated.finish(),
                all.finish(),
                "{:?}",
                String::from_utf8_lossy(&log)
            );
        }
    }

    #[test]
    fn gated_and_ungated_agree_on_real_logs() {
        use std::io::Read;
        for name in [
            "mochitest-fail.log.gz",
            "taskcluster-only.log.gz",
            "linux-awsy.txt.gz",
            "windows-stuff.log.gz",
        ] {
            let Some(path) = treeherd_testkit::fixture(&format!("treeherder/logs/{name}")) else {
                return;
            };
            let mut text = Vec::new();
            let read = std::fs::File::open(path)
                .and_then(|file| flate2::read::MultiGzDecoder::new(file).read_to_end(&mut text));
            assert!(read.is_ok(), "{name}: {read:?}");
            let mut gated = LogParser::new();
            let mut all = ungated();
            gated.feed(&text);
            all.feed(&text);
            assert_eq!(gated.finish(), all.finish(), "{name}");
        }
    }
}
