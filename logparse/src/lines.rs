//! Lines: splitting a stream of bytes as Python's `bytes.splitlines()` does, in bounded memory,
//! and decoding a line as Treeherder does.
//!
//! Treeherder numbers lines as `bytes.splitlines()` cuts them: at `\n`, `\r\n` and a lone `\r`
//! (not at the other Unicode breaks `str.splitlines()` knows), with no empty last line after a
//! final break. The [`Splitter`] reproduces that over chunks of any size. Most of the input is
//! never looked at line by line: complete lines are handed on in bulk as a [`Region`], and the
//! scanner asks the region only for the few lines where it found something. Only the bytes of
//! a line cut by a chunk boundary are copied, and at most [`MAX_LINE_BYTES`] of them, so a
//! pathological gigabyte-long line costs no more memory than a long one.

use std::borrow::Cow;

use memchr::{memchr_iter, memchr2, memrchr2};

/// The longest prefix of a line that is kept and looked at; the rest of a longer line is
/// skipped (still counted in the byte total).
///
/// Lines in real logs stay far below this (the longest in Treeherder's samples is 350 kB, a
/// PERFHERDER_DATA blob is rarely over a few kB); error lines only need their first 500
/// characters. It bounds the memory a single line may take, and it applies the same way
/// whether a line is cut by a chunk boundary or not, so results never depend on chunking.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// Treeherder cuts every line to this many characters before looking for errors, except lines
/// that contain `PERFHERDER_DATA` (their JSON would not parse once cut).
pub const MAX_LINE_CHARS: usize = 500;

/// The number of line breaks in `bytes`, counting `\r\n` once.
///
/// `bytes` must not end between the two bytes of a `\r\n` pair that belongs together: callers
/// count from one line start to another.
pub(crate) fn count_line_breaks(bytes: &[u8]) -> u64 {
    // memchr's counting is several GB/s; `\r` is rare except as half of `\r\n`, where each
    // occurrence costs one extra byte comparison.
    let lf = memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

/// Receives what the [`Splitter`] cuts.
pub(crate) trait LineSink {
    /// A run of complete lines (it ends with a line break), which the sink may inspect through
    /// [`Region::line_at`].
    fn region(&mut self, region: &mut Region<'_>);
    /// One line (without its break, at most [`MAX_LINE_BYTES`]) and its 0-based number; used
    /// for the lines that span chunk boundaries and for an unterminated last line.
    fn line(&mut self, line: &[u8], number: u64);
}

/// A run of complete lines inside one chunk, with the number of its first line.
///
/// Line numbers are computed lazily: asking for a line counts the breaks since the previous
/// one asked for, so a region with no interesting lines is counted once, in one fast pass.
pub(crate) struct Region<'a> {
    bytes: &'a [u8],
    /// Start of the last line handed out (or of the region).
    cursor: usize,
    /// Number of the line starting at `cursor`.
    line: u64,
}

impl<'a> Region<'a> {
    fn new(bytes: &'a [u8], first_line: u64) -> Self {
        Region {
            bytes,
            cursor: 0,
            line: first_line,
        }
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The line that contains byte `pos`: its bytes without the break (cut to
    /// [`MAX_LINE_BYTES`]), its number, and the offset where the next line starts.
    ///
    /// `pos` must not lie inside a line break nor before the start of the line returned last;
    /// positions only move forward, which is what keeps counting linear.
    pub(crate) fn line_at(&mut self, pos: usize) -> (&'a [u8], u64, usize) {
        let bytes = self.bytes;
        let pos = pos.clamp(self.cursor, bytes.len());
        let start = memrchr2(b'\n', b'\r', &bytes[self.cursor..pos])
            .map_or(self.cursor, |i| self.cursor + i + 1);
        self.line += count_line_breaks(&bytes[self.cursor..start]);
        self.cursor = start;
        let end = memchr2(b'\n', b'\r', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let next = if bytes[end..].starts_with(b"\r\n") {
            end + 2
        } else {
            (end + 1).min(bytes.len())
        };
        let kept = end.min(start.saturating_add(MAX_LINE_BYTES));
        (&bytes[start..kept], self.line, next)
    }

    /// The number of the first line after the region.
    fn end_line(&self) -> u64 {
        self.line + count_line_breaks(&self.bytes[self.cursor..])
    }
}

/// Cuts a stream fed in chunks of any size into lines, as `bytes.splitlines()` would cut the
/// whole stream.
#[derive(Default)]
pub(crate) struct Splitter {
    /// The start of a line cut by the end of the previous chunk (at most [`MAX_LINE_BYTES`]);
    /// empty when the previous chunk ended with a line break.
    carry: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next chunk completes that break.
    pending_cr: bool,
    /// Number of the next line to start.
    line: u64,
}

impl Splitter {
    pub(crate) fn feed(&mut self, mut data: &[u8], sink: &mut impl LineSink) {
        if data.is_empty() {
            return;
        }
        if std::mem::take(&mut self.pending_cr) && data[0] == b'\n' {
            data = &data[1..];
        }
        if !self.carry.is_empty() {
            let Some(brk) = memchr2(b'\n', b'\r', data) else {
                self.keep(data);
                return;
            };
            self.keep(&data[..brk]);
            let next = self.after_break(data, brk);
            sink.line(&self.carry, self.line);
            self.line += 1;
            self.carry.clear();
            data = &data[next..];
        }
        let Some(last) = memrchr2(b'\n', b'\r', data) else {
            self.keep(data);
            return;
        };
        let region_end = last + 1;
        if data[last] == b'\r' && region_end == data.len() {
            self.pending_cr = true;
        }
        let mut region = Region::new(&data[..region_end], self.line);
        sink.region(&mut region);
        self.line = region.end_line();
        self.keep(&data[region_end..]);
    }

    /// Ends the stream: an unterminated last line is still a line. Returns the line count.
    pub(crate) fn finish(&mut self, sink: &mut impl LineSink) -> u64 {
        if !self.carry.is_empty() {
            sink.line(&self.carry, self.line);
            self.line += 1;
            self.carry.clear();
        }
        self.line
    }

    /// Offset after the break at `brk`, noting a `\r` that may pair with the next chunk's `\n`.
    fn after_break(&mut self, data: &[u8], brk: usize) -> usize {
        if data[brk] == b'\r' {
            match data.get(brk + 1) {
                None => self.pending_cr = true,
                Some(b'\n') => return brk + 2,
                Some(_) => {}
            }
        }
        brk + 1
    }

    /// Keeps the start of a line that continues in the next chunk, up to the cap.
    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_BYTES - self.carry.len();
        self.carry
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

/// Decodes a line as Treeherder does: invalid UTF-8 becomes U+FFFD (Python's
/// `errors="replace"`, which substitutes maximal invalid subparts exactly like
/// `String::from_utf8_lossy`), then the line is cut to [`MAX_LINE_CHARS`] characters unless
/// `keep_whole` (the line holds `PERFHERDER_DATA`).
pub(crate) fn decode_line(bytes: &[u8], keep_whole: bool) -> Cow<'_, str> {
    if keep_whole {
        return String::from_utf8_lossy(bytes);
    }
    // A character takes at most 4 bytes and an invalid byte becomes one character, so the first
    // 500 characters come from the first 2000 bytes. Cutting there may split a multi-byte
    // sequence only beyond the 500th character, which is dropped anyway.
    let head = &bytes[..bytes.len().min(MAX_LINE_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    if text.len() <= MAX_LINE_CHARS {
        return text; // fewer bytes than the limit means fewer characters too
    }
    match text.char_indices().nth(MAX_LINE_CHARS) {
        None => text,
        Some((cut, _)) => match text {
            Cow::Borrowed(s) => Cow::Borrowed(&s[..cut]),
            Cow::Owned(mut s) => {
                s.truncate(cut);
                Cow::Owned(s)
            }
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Collects every line with its number.
    #[derive(Default)]
    pub(crate) struct Collect(pub Vec<(u64, Vec<u8>)>);

    impl LineSink for Collect {
        fn region(&mut self, region: &mut Region<'_>) {
            let mut pos = 0;
            while pos < region.bytes().len() {
                let (line, number, next) = region.line_at(pos);
                self.0.push((number, line.to_vec()));
                pos = next;
            }
        }
        fn line(&mut self, line: &[u8], number: u64) {
            self.0.push((number, line.to_vec()));
        }
    }

    /// Splits `input` fed in chunks of `chunk` bytes; returns the lines and the line count.
    pub(crate) fn split(input: &[u8], chunk: usize) -> (Vec<Vec<u8>>, u64) {
        let mut splitter = Splitter::default();
        let mut sink = Collect::default();
        for piece in input.chunks(chunk.max(1)) {
            splitter.feed(piece, &mut sink);
        }
        let count = splitter.finish(&mut sink);
        for (i, (number, _)) in sink.0.iter().enumerate() {
            assert_eq!(*number, i as u64, "line numbers must be consecutive");
        }
        (sink.0.into_iter().map(|(_, l)| l).collect(), count)
    }

    /// The expected result of Python's `bytes.splitlines()` for each case (checked with
    /// CPython 3.11).
    #[test]
    fn splits_like_python_bytes_splitlines() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"", &[]),
            (b"a", &[b"a"]),
            (b"a\n", &[b"a"]),
            (b"a\n\n", &[b"a", b""]),
            (b"\n", &[b""]),
            (b"\n\n", &[b"", b""]),
            (b"\r", &[b""]),
            (b"\r\n", &[b""]),
            (b"\n\r", &[b"", b""]),
            (b"\r\r\n", &[b"", b""]),
            (b"a\r\nb", &[b"a", b"b"]),
            (b"a\rb", &[b"a", b"b"]),
            (b"a\r\r\nb", &[b"a", b"", b"b"]),
            (b"a\n\rb\r", &[b"a", b"", b"b"]),
            (b"a\r\n\r\nb\r\n", &[b"a", b"", b"b"]),
            // Only \n and \r break bytes: not \v, \f, FS/GS/RS, NEL, LS or PS.
            (
                b"a\x0bb\x0cc\x1cd\x1de\x1ef",
                &[b"a\x0bb\x0cc\x1cd\x1de\x1ef"],
            ),
            (
                "a\u{85}b\u{2028}c\u{2029}d".as_bytes(),
                &["a\u{85}b\u{2028}c\u{2029}d".as_bytes()],
            ),
            (b"\xff\xfe\r\xc3", &[b"\xff\xfe", b"\xc3"]),
        ];
        for &(input, expected) in cases {
            for chunk in [1, 2, 3, 5, 64] {
                let (lines, count) = split(input, chunk);
                let lines: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
                assert_eq!(lines, expected, "input {input:?} in chunks of {chunk}");
                assert_eq!(count, expected.len() as u64, "count for {input:?}");
            }
        }
    }

    #[test]
    fn long_lines_are_cut_the_same_way_whatever_the_chunking() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\r\nshort\n");
        for chunk in [MAX_LINE_BYTES + 20, 1 << 16, 4096 + 1] {
            let (lines, count) = split(&input, chunk);
            assert_eq!(count, 2);
            assert_eq!(lines[0].len(), MAX_LINE_BYTES);
            assert_eq!(lines[1], b"short");
        }
    }

    #[test]
    fn decodes_and_cuts_like_treeherder() {
        let check = |bytes: &[u8], keep_whole: bool, expected: &str| {
            assert_eq!(decode_line(bytes, keep_whole), expected, "{bytes:?}");
        };
        check(b"plain", false, "plain");
        // Python: b"a\xffb\xe2\x82".decode("utf-8", "replace") == "a\ufffdb\ufffd"
        check(b"a\xffb\xe2\x82", false, "a\u{fffd}b\u{fffd}");
        // A surrogate encoding is three invalid bytes: three replacement characters.
        check(b"\xed\xa0\x80", false, "\u{fffd}\u{fffd}\u{fffd}");
        let long = "é".repeat(600);
        check(long.as_bytes(), false, &"é".repeat(500));
        check(long.as_bytes(), true, &long);
        let invalid = [0xffu8; 700];
        check(&invalid, false, &"\u{fffd}".repeat(500));
        let four_byte = "😀".repeat(501);
        check(four_byte.as_bytes(), false, &"😀".repeat(500));
    }
}
