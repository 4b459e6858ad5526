//! Input: reading a log from any `Read`, plain or gzip, in fixed-size chunks.
//!
//! Gzip is recognised by its magic bytes (`1f 8b`), not by a file name, since logs reach us as
//! streams. A gzip stream may hold several members, as `gzip -dc` and Python accept. Inflating
//! costs about as much as parsing, so for gzip the two overlap: this thread inflates into a
//! small pool of buffers and a scoped thread parses them. Memory stays at a few chunks
//! whatever the size of the log.

use std::io::{self, Read};
use std::sync::mpsc;

use flate2::read::MultiGzDecoder;

use crate::error::ParseError;

/// Bytes handed to the parser at a time: large enough to amortise per-chunk work, small
/// enough to stay in cache.
pub(crate) const CHUNK: usize = 256 << 10;

/// Chunks in flight between the inflating and the parsing thread.
const POOL: usize = 4;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Something that consumes a decompressed stream chunk by chunk.
pub(crate) trait Feed: Send {
    fn feed(&mut self, bytes: &[u8]);
}

/// Feeds everything `reader` yields, inflated if it is gzip, to `sink`. Returns whether the
/// input was gzip.
pub(crate) fn pump<R: Read, F: Feed>(mut reader: R, sink: &mut F) -> Result<bool, ParseError> {
    let mut first = vec![0; CHUNK];
    let filled = fill(&mut reader, &mut first, GZIP_MAGIC.len()).map_err(ParseError::Io)?;
    first.truncate(filled);
    if first.starts_with(&GZIP_MAGIC) {
        let decoder = MultiGzDecoder::new(io::Cursor::new(first).chain(reader));
        inflate_in_parallel(decoder, sink)?;
        return Ok(true);
    }
    sink.feed(&first);
    let mut buf = first;
    buf.resize(CHUNK, 0);
    loop {
        let n = fill(&mut reader, &mut buf, CHUNK).map_err(ParseError::Io)?;
        if n == 0 {
            return Ok(false);
        }
        sink.feed(&buf[..n]);
    }
}

/// Reads until `buf` holds at least `want` bytes or the input ends; returns the bytes read.
fn fill(reader: &mut impl Read, buf: &mut [u8], want: usize) -> io::Result<usize> {
    let mut filled = 0;
    while filled < want.min(buf.len()) {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

fn gzip_error(err: io::Error) -> ParseError {
    // flate2 reports bad or truncated data through io errors of these kinds; anything else
    // came from the underlying reader.
    match err.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof => {
            ParseError::Gzip(err)
        }
        _ => ParseError::Io(err),
    }
}

fn inflate_in_parallel<R: Read, F: Feed>(mut decoder: R, sink: &mut F) -> Result<(), ParseError> {
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(POOL);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        for _ in 0..POOL + 1 {
            // Cannot fail: the receiver is alive.
            let _ = empty_tx.send(vec![0; CHUNK]);
        }
        let parser = scope.spawn(move || {
            for (buf, len) in full_rx {
                sink.feed(&buf[..len]);
                // The inflater may already be gone (it stopped on an error); nothing to return to.
                let _ = empty_tx.send(buf);
            }
        });
        let inflated = (|| {
            // `recv` fails only if the parser thread ended early, i.e. panicked; `join` below
            // reports that.
            while let Ok(mut buf) = empty_rx.recv() {
                let len = fill(&mut decoder, &mut buf, CHUNK).map_err(gzip_error)?;
                if len == 0 || full_tx.send((buf, len)).is_err() {
                    break;
                }
            }
            Ok(())
        })();
        drop(full_tx);
        if let Err(panic) = parser.join() {
            std::panic::resume_unwind(panic);
        }
        inflated
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<u8>);

    impl Feed for Collect {
        fn feed(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }

    /// A reader that returns one byte per call, to exercise short reads.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            if let Some(slot) = buf.first_mut() {
                *slot = *first;
                self.0 = rest;
                return Ok(1);
            }
            Ok(0)
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        let _ = encoder.write_all(data);
        encoder.finish().unwrap_or_default()
    }

    #[test]
    fn plain_and_gzip_read_the_same() {
        let data: Vec<u8> = (0..CHUNK * 3 + 17).map(|i| (i % 251) as u8).collect();
        let mut plain = Collect::default();
        assert!(!pump(&data[..], &mut plain).is_ok_and(|gz| gz));
        assert_eq!(plain.0, data);
        let mut inflated = Collect::default();
        assert!(pump(&gzip(&data)[..], &mut inflated).is_ok_and(|gz| gz));
        assert_eq!(inflated.0, data);
        let mut trickled = Collect::default();
        assert!(pump(Trickle(&gzip(b"ab")), &mut trickled).is_ok_and(|gz| gz));
        assert_eq!(trickled.0, b"ab");
    }

    #[test]
    fn concatenated_members_and_broken_streams() {
        let mut two = gzip(b"one\n");
        two.extend(gzip(b"two\n"));
        let mut both = Collect::default();
        assert!(pump(&two[..], &mut both).is_ok());
        assert_eq!(both.0, b"one\ntwo\n");
        let whole = gzip(&[b'x'; 1000]);
        let truncated = &whole[..whole.len() / 2];
        assert!(matches!(
            pump(truncated, &mut Collect::default()),
            Err(ParseError::Gzip(_))
        ));
        let mut short = Collect::default();
        assert!(pump(&[0x1f][..], &mut short).is_ok_and(|gz| !gz));
        assert_eq!(short.0, [0x1f]);
    }
}
