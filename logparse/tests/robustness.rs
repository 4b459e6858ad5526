//! No input makes the parser panic, and chunking never changes its results.
//!
//! A cheap property test for CI (the cargo-fuzz target in `fuzz/` digs deeper): a tiny
//! deterministic PRNG builds adversarial inputs — lone `\r`, `\r\n` split across chunks,
//! invalid UTF-8, markers cut in half, huge lines, gzip that is truncated or corrupt — and
//! every entry point must return (an error is fine) without panicking.

#![allow(clippy::unwrap_used)]

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use treeherd_logparse::{
    LogParser, MAX_LINE_BYTES, parse_errorsummary, parse_full, parse_treeherder,
};

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces that reach deep into the parser: markers, prefixes, breaks and broken UTF-8.
const PIECES: &[&[u8]] = &[
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\r",
    b" ",
    b"\t",
    b"]",
    b"[",
    b":",
    b"-",
    b"{",
    b"}",
    b"\"",
    b"0",
    b"9",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\xed\xa0\x80",
    "é".as_bytes(),
    "\u{661}".as_bytes(),
    "\u{3000}".as_bytes(),
    "\u{85}".as_bytes(),
    b"[taskcluster 2025-02-13 21:56:23.368Z] ",
    b"[taskcluster:error] ",
    b"[task 2025-02-13T21:59:36.250Z] ",
    b"=== Task Starting ===",
    b"=== Task Finished ===",
    b"Unsuccessful task run with exit code: ",
    b"   Exit Code: ",
    b"Task aborted",
    b"21:59:36     INFO - ",
    b"22:10:07    ERROR - ",
    b"12:00:00  WARNING -  ",
    b"[mozharness: 2025-02-13 21:59:36.244899Z] ",
    b"Running ",
    b"Finished ",
    b"Skipping ",
    b" step.",
    b" step (",
    b"##### ",
    b"========= Started ",
    b"========= Finished ",
    b" (results: ",
    b", elapsed: ",
    b") (at ",
    b"TEST-UNEXPECTED-",
    b"TEST-PASS ",
    b"PROCESS-CRASH",
    b"Assertion failure",
    b"fatal error",
    b"non-fatal error",
    b"error: ",
    b": error:",
    b" error(",
    b" error C",
    b"ERROR 4",
    b"gmake[",
    b": ***",
    b"mozmake.exe",
    b"TypeError: ",
    b"Exception: ",
    b"[  FAILED  ] ",
    b"I/Gecko ",
    b"TEST-UNEXPECTED-WARNING",
    b"PERFHERDER_DATA: ",
    br#"{"framework": {"name": "x"}, "suites": [{"name": "s", "subtests": []}]}"#,
    br#"{"framework": 1}"#,
    b"NaN",
    b"1e999",
    b"-1",
    br#"{"action": "test_result", "test": "t", "status": "FAIL", "line": 3}"#,
    br#"{"action": "group_result", "group": 7}"#,
    br#"{"action": "log", "group": []}"#,
    b"[]",
];

fn random_log(rng: &mut Rng, max_pieces: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(max_pieces) + 1 {
        if rng.below(8) == 0 {
            out.extend((0..rng.below(40)).map(|_| rng.next() as u8));
        } else {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Every entry point on `input`; an `Err` is an acceptable answer, a panic is not.
fn survive(input: &[u8]) {
    let _ = parse_treeherder(input);
    let _ = parse_full(input);
    let _ = parse_errorsummary(input);
}

#[test]
fn random_logs_never_panic_and_chunking_never_matters() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..400 {
        let log = random_log(&mut rng, 200);
        survive(&log);
        let whole = parse_full(&log[..]).unwrap();
        let mut parser = LogParser::new();
        let mut rest = &log[..];
        while !rest.is_empty() {
            let (piece, tail) = rest.split_at(rng.below(rest.len().min(64)) + 1);
            parser.feed(piece);
            rest = tail;
        }
        assert_eq!(
            parser.finish(),
            whole,
            "round {round}: {:?}",
            String::from_utf8_lossy(&log)
        );
        let summary = parse_treeherder(&log[..]).unwrap();
        assert_eq!(summary.errors, whole.errors, "round {round}");
    }
}

#[test]
fn broken_gzip_is_an_error_not_a_panic() {
    let mut rng = Rng(0xdead_beef_0000_0042);
    for _ in 0..100 {
        let log = random_log(&mut rng, 400);
        let packed = gzip(&log);
        // Whole, it is the same log.
        assert_eq!(
            parse_full(&packed[..]).unwrap(),
            parse_full(&log[..]).unwrap()
        );
        // Cut anywhere, or with a byte flipped, it must fail cleanly (or, rarely, still parse).
        survive(&packed[..rng.below(packed.len())]);
        let mut flipped = packed.clone();
        let at = rng.below(flipped.len());
        flipped[at] ^= 1 << rng.below(8);
        survive(&flipped);
    }
    assert!(parse_full(&[0x1f, 0x8b][..]).is_err());
    assert!(parse_full(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff][..]).is_err());
    survive(&[0x1f]);
    survive(&[]);
}

#[test]
fn huge_lines_are_bounded() {
    // A line far longer than what is kept, with markers before and after the cut.
    let mut log = b"[taskcluster 2025-02-13 21:56:23.368Z] start\n".to_vec();
    log.extend_from_slice(b"PROCESS-CRASH | ");
    log.resize(log.len() + MAX_LINE_BYTES * 2, b'x');
    log.extend_from_slice(b"TEST-UNEXPECTED-FAIL PERFHERDER_DATA: {}\r");
    log.extend_from_slice(b"PERFHERDER_DATA: {\"framework\": {}, \"suites\": [");
    log.resize(log.len() + MAX_LINE_BYTES + 10, b' ');
    log.extend_from_slice(b"]}\nlast");
    let parsed = parse_full(&log[..]).unwrap();
    assert_eq!(parsed.line_count, 4);
    assert_eq!(parsed.byte_count, log.len() as u64);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].linenumber, 1);
    assert_eq!(parsed.errors[0].line.chars().count(), 500);
    // The blob on line 2 is longer than what is kept: reported, not lost silently.
    assert_eq!(parsed.perf_data.len(), 1);
    assert!(!parsed.perf_data[0].valid);
    assert!(
        parsed.perf_data[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("longer than"))
    );
    // Same answer through gzip and in small chunks.
    assert_eq!(parse_full(&gzip(&log)[..]).unwrap(), parsed);
    let mut parser = LogParser::new();
    for piece in log.chunks(1 << 16) {
        parser.feed(piece);
    }
    assert_eq!(parser.finish(), parsed);
}
