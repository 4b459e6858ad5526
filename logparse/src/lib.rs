#![doc = include_str!("../README.md")]
//!
//! # Code map
//!
//! - `error`: [`ParseError`], the one way reading a log fails;
//! - `input`: plain or gzip input from any `Read`, inflated on a second thread;
//! - `lines`: Python-compatible line splitting and decoding, in bounded memory;
//! - `scan`: the hot loop, [`LogParser`];
//! - `rules`: Treeherder's error rules, as one table;
//! - `errors`: the Treeherder error summary built from them;
//! - `steps`: taskcluster, mozharness and buildbot steps;
//! - `perf` and `perfschema`: PERFHERDER_DATA and its schema;
//! - `errorsummary`: mozlog error summaries;
//! - `suggestions`: what bug suggestions derive from one error line (search terms, crash
//!   signature, recurrence key);
//! - `pytext`: the bits of Python's text semantics the output depends on.

use std::io::Read;

mod error;
mod errors;
mod errorsummary;
mod input;
mod lines;
mod perf;
mod perfschema;
mod pytext;
mod rules;
mod scan;
mod steps;
mod suggestions;

pub use error::ParseError;
pub use errors::{ErrorLine, ErrorSummary, MAX_ERROR_LINES};
pub use errorsummary::{
    Crash, ErrorSummaryLog, GroupResult, LogMessage, MAX_ENTRIES, MAX_ENTRY_BYTES, SkippedLine,
    TestResult,
};
pub use lines::{MAX_LINE_BYTES, MAX_LINE_CHARS};
pub use perf::PerfherderData;
pub use scan::{LogParser, MAX_PERF_BLOBS, MAX_PERF_BYTES, ParsedLog};
pub use steps::{MAX_STEPS, Step, StepKind, StepResult};
pub use suggestions::{
    LineSearch, SearchTerms, cleaned, crash_signature, is_helpful_search_term, recurrence,
    recurrence_key, search_terms,
};

/// Treeherder's error summary of a log (plain or gzip): serializes as `{"errors": [...]}`,
/// exactly the `errors` of Treeherder's logview artifact for the same log.
pub fn parse_treeherder<R: Read>(reader: R) -> Result<ErrorSummary, ParseError> {
    let mut parser = LogParser::treeherder();
    input::pump(reader, &mut parser)?;
    Ok(ErrorSummary {
        errors: parser.finish().errors,
    })
}

/// Everything in a log (plain or gzip): errors, steps, PERFHERDER_DATA, line and byte counts.
pub fn parse_full<R: Read>(reader: R) -> Result<ParsedLog, ParseError> {
    let mut parser = LogParser::new();
    input::pump(reader, &mut parser)?;
    Ok(parser.finish())
}

/// A mozlog error summary (`*_errorsummary.log`, plain or gzip).
pub fn parse_errorsummary<R: Read>(reader: R) -> Result<ErrorSummaryLog, ParseError> {
    let mut parser = errorsummary::ErrorSummaryParser::default();
    input::pump(reader, &mut parser)?;
    Ok(parser.finish())
}
