//! Fetching one claimed log and parsing it while it downloads: the body streams from the
//! HTTP client to the parser's blocking thread through a small channel, so memory stays
//! bounded whatever the size. What can go wrong is a `Setback`: worth another try
//! (timeouts, refused connections, 5xx/408/429), final (other 4xx, corrupt gzip), or over
//! the size limit (by its Content-Length, or counted while it streams, before inflating).

use bytes::Bytes;
use std::io::{self, Read};
use std::time::Duration;
use tokio::sync::mpsc;
use treeherd_logparse::ParseError;
use treeherd_store::ParsedLog;

use super::parse::LogKind;

/// How one log is fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The largest log body (as sent, compressed or not) that is parsed.
    pub max_bytes: u64,
    /// The most one fetch (connect, answer and body) may take.
    pub timeout: Duration,
    /// Tries before a log that cannot be fetched is FAILED.
    pub attempts: i32,
    /// The pause after the first failed try; each further one doubles it.
    pub backoff: Duration,
}

/// Why a try did not produce a parse.
#[derive(Debug)]
pub(crate) enum Setback {
    /// Worth another try later.
    Transient(String),
    /// Will not get better.
    Permanent(String),
    /// Larger than the limit (bytes seen so far, or announced).
    TooLarge(u64),
}

/// Fetches `url` and parses it as a log named `name` while it downloads.
pub(crate) async fn fetch_and_parse(
    http: &reqwest::Client,
    options: &FetchOptions,
    name: &str,
    url: &str,
) -> Result<ParsedLog, Setback> {
    let mut response = http
        .get(url)
        .timeout(options.timeout)
        .send()
        .await
        .map_err(|e| Setback::Transient(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        let reason = format!("the server answered {status}");
        let retried = status.is_server_error()
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        return Err(if retried {
            Setback::Transient(reason)
        } else {
            Setback::Permanent(reason)
        });
    }
    if let Some(length) = response.content_length().filter(|l| *l > options.max_bytes) {
        return Err(Setback::TooLarge(length));
    }

    let kind = LogKind::of(name, url);
    let (chunks, receiver) = mpsc::channel::<Bytes>(8);
    let parsing = tokio::task::spawn_blocking(move || kind.parse(ChannelReader::new(receiver)));
    let mut received: u64 = 0;
    let streamed = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                if received > options.max_bytes {
                    break Err(Setback::TooLarge(received));
                }
                if chunks.send(chunk).await.is_err() {
                    // The parser stopped early: its own error says why.
                    break Ok(());
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(Setback::Transient(describe(&e))),
        }
    };
    drop(chunks);
    let parsed = parsing
        .await
        .map_err(|e| Setback::Permanent(format!("the parser failed: {e}")))?;
    streamed?;
    parsed.map_err(|e| match e {
        ParseError::Gzip(_) => Setback::Permanent(e.to_string()),
        ParseError::Io(_) => Setback::Transient(e.to_string()),
    })
}

/// reqwest's error with its causes (its Display alone says little: "error sending request").
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The download, as a `Read` for a blocking thread (the parser's; the log route's inflater).
pub struct ChannelReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl ChannelReader {
    pub fn new(chunks: mpsc::Receiver<Bytes>) -> ChannelReader {
        ChannelReader {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
