//! The parse worker's unit of work: claim due logs, then fetch, parse and store one log, or
//! record why not (retry later with a doubling pause, FAILED, or SKIPPED as too large). The
//! loop that runs this (how many at once, how often) is the api's (`log_worker`). Storing a
//! parse is one transaction that replaces any earlier parse of the log.

use std::time::Duration;
use treeherd_store::{DueLog, LogSetback};

use super::fetch::{FetchOptions, Setback, fetch_and_parse};
use crate::error::ServiceError;
use crate::service::Service;

impl Service {
    /// Claims up to `limit` logs due for parsing, each for `lease` (so that several
    /// processes share the queue without parsing a log twice at once).
    pub async fn claim_due_logs(
        &self,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<DueLog>, ServiceError> {
        Ok(self
            .store
            .claim_due_logs(now_micros(), micros(lease), limit)
            .await?)
    }

    /// Fetches, parses and stores one claimed log, or records why not.
    #[tracing::instrument(skip_all, fields(log = log.id, attempt = log.attempt))]
    pub async fn parse_due_log(
        &self,
        http: &reqwest::Client,
        options: &FetchOptions,
        log: &DueLog,
    ) -> Result<(), ServiceError> {
        let setback = match fetch_and_parse(http, options, &log.name, &log.url).await {
            Ok(parsed) => {
                self.store_parse(log.id, Some(log.attempt), parsed, now_micros())
                    .await?;
                self.metrics.count_log("parsed");
                return Ok(());
            }
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
        self.metrics.count_log(match &setback {
            LogSetback::Retry { .. } => "retry",
            LogSetback::Failed(_) => "failed",
            LogSetback::Skipped(_) => "skipped",
        });
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
        Ok(self.store.log_setback(log.id, setback).await?)
    }
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
