//! The parse worker in `serve`: fetches PENDING job logs over HTTP, parses them with
//! `treeherd-logparse` while they download, and stores what they hold (errors, steps, perf
//! data; test results of mozlog error summaries).
//!
//! It runs inside `serve` (2 logs at once by default; `TREEHERD_LOG_PARSE_CONCURRENCY=0` turns
//! it off in a process): there is no second daemon to deploy, and the lease lets any number of
//! servers share the queue.
//!
//! - At most `concurrency` logs at once; each is *claimed* in the store for a lease, so
//!   several server processes share the queue without parsing a log twice at once.
//! - A body larger than `max_bytes` (by its Content-Length, or counted while it streams) is
//!   SKIPPED with the reason; the limit applies to bytes as served, before any inflating.
//!   Memory stays bounded whatever the size (the download is handed to the parser in chunks
//!   through a small channel).
//! - Timeouts, refused connections and 5xx/408/429 answers are retried with doubling pauses
//!   until `attempts` tries, then FAILED; other 4xx answers and corrupt gzip fail at once.
//!   Every setback is one log line with the log's id and URL and the reason.
//! - Storing a parse is one transaction that replaces any earlier parse of the log.

use bytes::Bytes;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use treeherd_logparse::{ErrorSummaryLog, ParseError, PerfherderData};
use treeherd_model::{NewTestResult, TestStatus};
use treeherd_store::{
    DueLog, LogError, LogSetback, LogStep, ParsedLog, PerfValue, Store, StoreError,
};

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct LogWorkerOptions {
    /// Logs fetched and parsed at once (0: no worker in this process).
    pub concurrency: usize,
    /// The largest log body (as sent, compressed or not) that is parsed.
    pub max_bytes: u64,
    /// The most one fetch (connect, answer and body) may take.
    pub timeout: Duration,
    /// Tries before a log that cannot be fetched is FAILED.
    pub attempts: i32,
    /// The pause after the first failed try; each further one doubles it.
    pub backoff: Duration,
    /// How often to look for due logs when there were none.
    pub poll: Duration,
}

impl Default for LogWorkerOptions {
    fn default() -> LogWorkerOptions {
        LogWorkerOptions {
            concurrency: 2,
            max_bytes: 256 * 1024 * 1024,
            timeout: Duration::from_secs(120),
            attempts: 4,
            backoff: Duration::from_secs(10),
            poll: Duration::from_secs(2),
        }
    }
}

/// Why a try did not produce a parse.
#[derive(Debug)]
enum Setback {
    /// Worth another try later.
    Transient(String),
    /// Will not get better.
    Permanent(String),
    /// Larger than the limit (bytes seen so far, or announced).
    TooLarge(u64),
}

/// Starts the worker on the current runtime.
pub fn spawn(store: Store, options: LogWorkerOptions) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let options = Arc::new(options);
        let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
        // Held longer than a fetch may take, so a live worker never loses its claim.
        let lease = micros(options.timeout).saturating_mul(2);
        loop {
            if slots.available_permits() == 0 {
                // Wait until a log finishes.
                drop(slots.acquire().await);
                continue;
            }
            let due = match store
                .claim_due_logs(now_micros(), lease, slots.available_permits())
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "log worker: cannot read the queue");
                    tokio::time::sleep(options.poll).await;
                    continue;
                }
            };
            if due.is_empty() {
                tokio::time::sleep(options.poll).await;
                continue;
            }
            for log in due {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (store, http, options) = (store.clone(), http.clone(), options.clone());
                tokio::spawn(async move {
                    let _slot = slot;
                    if let Err(e) = handle(&store, &http, &options, &log).await {
                        tracing::warn!(log = log.id, url = %log.url, error = %e, "log worker: cannot store the outcome");
                    }
                });
            }
        }
    })
}

/// Fetches, parses and stores one claimed log, or records why not.
async fn handle(
    store: &Store,
    http: &reqwest::Client,
    options: &LogWorkerOptions,
    log: &DueLog,
) -> Result<(), StoreError> {
    let setback = match fetch_and_parse(http, options, log).await {
        Ok(parsed) => return store.store_parsed_log(log.id, parsed, now_micros()).await,
        Err(Setback::TooLarge(bytes)) => LogSetback::Skipped(format!(
            "{bytes} bytes or more, over the limit of {}",
            options.max_bytes
        )),
        Err(Setback::Permanent(reason)) => LogSetback::Failed(reason),
        Err(Setback::Transient(reason)) if log.attempt >= options.attempts => {
            LogSetback::Failed(format!("{reason} (tried {} times)", log.attempt))
        }
        Err(Setback::Transient(reason)) => {
            let doublings = u32::try_from(log.attempt.saturating_sub(1))
                .unwrap_or(0)
                .min(16);
            let pause = micros(options.backoff).saturating_mul(1 << doublings);
            LogSetback::Retry {
                at: now_micros().saturating_add(pause),
                reason,
            }
        }
    };
    match &setback {
        LogSetback::Retry { reason, .. } => {
            tracing::warn!(log = log.id, url = %log.url, attempt = log.attempt, %reason, "log fetch failed; will retry")
        }
        LogSetback::Failed(reason) => {
            tracing::warn!(log = log.id, url = %log.url, %reason, "log failed")
        }
        LogSetback::Skipped(reason) => {
            tracing::info!(log = log.id, url = %log.url, %reason, "log skipped")
        }
    }
    store.log_setback(log.id, setback).await
}

async fn fetch_and_parse(
    http: &reqwest::Client,
    options: &LogWorkerOptions,
    log: &DueLog,
) -> Result<ParsedLog, Setback> {
    let mut response = http
        .get(&log.url)
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

    let kind = LogKind::of(&log.name, &log.url);
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
pub(crate) fn describe(e: &reqwest::Error) -> String {
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

/// Which parser a log gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogKind {
    /// A mozlog error summary (`*_errorsummary.log`, Treeherder's `errorsummary_json`).
    ErrorSummary,
    /// Any other log: a text log.
    Text,
}

/// Parses a log's body as the worker does after fetching it: by its name and URL, an error
/// summary or a text log. The demo data's logs, made in process, are parsed here too.
pub(crate) fn parse_log(name: &str, url: &str, body: impl Read) -> Result<ParsedLog, ParseError> {
    LogKind::of(name, url).parse(body)
}

impl LogKind {
    fn of(name: &str, url: &str) -> LogKind {
        let path = url.split(['?', '#']).next().unwrap_or("");
        if name.contains("errorsummary") || path.ends_with("_errorsummary.log") {
            LogKind::ErrorSummary
        } else {
            LogKind::Text
        }
    }

    fn parse(self, reader: impl Read) -> Result<ParsedLog, ParseError> {
        Ok(match self {
            LogKind::ErrorSummary => {
                from_error_summary(treeherd_logparse::parse_errorsummary(reader)?)
            }
            LogKind::Text => from_text_log(treeherd_logparse::parse_full(reader)?),
        })
    }
}

fn from_text_log(parsed: treeherd_logparse::ParsedLog) -> ParsedLog {
    let mut step_of_error: Vec<Option<i32>> = vec![None; parsed.errors.len()];
    for (position, step) in parsed.steps.iter().enumerate() {
        for &error in &step.errors {
            if let Some(slot) = step_of_error.get_mut(error) {
                *slot = i32::try_from(position).ok();
            }
        }
    }
    ParsedLog {
        line_count: i64::try_from(parsed.line_count).ok(),
        byte_count: i64::try_from(parsed.byte_count).ok(),
        error_count: i64::try_from(parsed.error_count).ok(),
        errors: parsed
            .errors
            .into_iter()
            .zip(step_of_error)
            .map(|(e, step)| LogError {
                line_number: i64::try_from(e.linenumber).unwrap_or(i64::MAX),
                line: e.line,
                step,
            })
            .collect(),
        steps: parsed
            .steps
            .into_iter()
            .map(|s| LogStep {
                kind: serde_name(&s.kind),
                result: serde_name(&s.result),
                name: s.name,
                first_line: i64::try_from(s.started_linenumber).unwrap_or(i64::MAX),
                last_line: i64::try_from(s.finished_linenumber).ok(),
                started: s.started,
                finished: s.finished,
                duration_ms: s.duration_seconds.map(|d| (d * 1000.0).round() as i64),
                error_count: i64::try_from(s.error_count).unwrap_or(i64::MAX),
            })
            .collect(),
        perf: parsed.perf_data.iter().flat_map(perf_values).collect(),
        test_results: Vec::new(),
    }
}

/// The name serde gives an enum value (the parser's own lower-case spelling).
fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The values of a valid PERFHERDER_DATA blob: each suite's own value and its subtests'.
fn perf_values(blob: &PerfherderData) -> Vec<PerfValue> {
    let Some(data) = blob.data.as_ref().filter(|_| blob.valid) else {
        return Vec::new();
    };
    let Some(framework) = data["framework"]["name"].as_str() else {
        return Vec::new();
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let mut values = Vec::new();
    for suite in data["suites"].as_array().into_iter().flatten() {
        let Some(name) = suite["name"].as_str() else {
            continue;
        };
        let value = |item: &serde_json::Value, subtest: Option<String>| {
            item["value"].as_f64().map(|value| PerfValue {
                framework: framework.to_owned(),
                suite: name.to_owned(),
                subtest,
                value,
                unit: text(&item["unit"]).or_else(|| text(&suite["unit"])),
                lower_is_better: item["lowerIsBetter"]
                    .as_bool()
                    .or_else(|| suite["lowerIsBetter"].as_bool()),
            })
        };
        values.extend(value(suite, None));
        for subtest in suite["subtests"].as_array().into_iter().flatten() {
            if let Some(subtest_name) = subtest["name"].as_str() {
                values.extend(value(subtest, Some(subtest_name.to_owned())));
            }
        }
    }
    values
}

/// An error summary's test results, and its crashes as CRASH results of their test.
fn from_error_summary(summary: ErrorSummaryLog) -> ParsedLog {
    let status = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<TestStatus>().ok());
    let mut results: Vec<NewTestResult> = summary
        .test_results
        .into_iter()
        .filter_map(|r| {
            Some(NewTestResult {
                status: status(&r.status)?,
                expected: status(&r.expected),
                duration_ms: r
                    .duration
                    .as_ref()
                    .and_then(serde_json::Number::as_f64)
                    .map(|d| d.round() as i64),
                test: r.test,
                subtest: r.subtest.filter(|s| !s.is_empty()),
                message: r.message,
                stack: r.stack,
                group: r.group,
                artifacts: Vec::new(),
            })
        })
        .collect();
    results.extend(summary.crashes.into_iter().filter_map(|c| {
        Some(NewTestResult {
            test: c.test?,
            subtest: None,
            status: TestStatus::Crash,
            expected: None,
            duration_ms: None,
            message: c.signature.or(c.reason),
            stack: c.stackwalk_stdout,
            group: c.group,
            artifacts: Vec::new(),
        })
    }));
    ParsedLog {
        test_results: results,
        ..ParsedLog::default()
    }
}

/// The download, as a `Read` for a blocking thread (the parser's; the log route's inflater).
pub(crate) struct ChannelReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl ChannelReader {
    pub(crate) fn new(chunks: mpsc::Receiver<Bytes>) -> ChannelReader {
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

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
