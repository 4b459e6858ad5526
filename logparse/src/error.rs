//! [`ParseError`]: why a log could not be parsed. It lives in its own file because the entry
//! points in `lib.rs` return it and `input`, which they drive, produces it.

/// Why a log could not be parsed. Nothing in a log's *content* is an error: only failing to
/// read it is.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("reading the log failed: {0}")]
    Io(#[source] std::io::Error),
    #[error("the log is gzip but its data is corrupt or truncated: {0}")]
    Gzip(#[source] std::io::Error),
}
