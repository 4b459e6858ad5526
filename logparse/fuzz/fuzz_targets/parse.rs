//! Any bytes, as a log (plain or, when they start with the gzip magic, gzip) and as a mozlog
//! error summary: the parser must not panic, and chunking must not change its results.

#![no_main]

use libfuzzer_sys::fuzz_target;
use treeherd_logparse::{LogParser, parse_errorsummary, parse_full, parse_treeherder};

fuzz_target!(|data: &[u8]| {
    let _ = parse_treeherder(data);
    let _ = parse_errorsummary(data);
    let whole = parse_full(data);

    // The same bytes fed as text in pieces whose sizes come from the data itself.
    let mut parser = LogParser::new();
    let mut rest = data;
    let mut step = data.first().map_or(1, |&b| usize::from(b % 17) + 1);
    while !rest.is_empty() {
        let (piece, tail) = rest.split_at(step.min(rest.len()));
        parser.feed(piece);
        rest = tail;
        step = step * 7 % 61 + 1;
    }
    let pieces = parser.finish();
    if !data.starts_with(&[0x1f, 0x8b]) {
        assert_eq!(whole.ok(), Some(pieces), "chunking changed the result");
    }
});
