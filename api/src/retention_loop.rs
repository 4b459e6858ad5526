//! Retention in `serve`: a pass at start and then hourly (`treeherd_service::retention`),
//! when `TREEHERD_RETENTION_DAYS` or `TREEHERD_PERF_RETENTION_DAYS` is set. Every replica runs
//! the loop; a step is taken under the store's retention lock, so while one replica expires,
//! another's pass stops at once and tries again an hour later.

use std::time::Duration;
use treeherd_service::{RetentionPolicy, Service};

/// How often a pass runs.
const EVERY: Duration = Duration::from_secs(3600);

/// Runs a retention pass now and every [`EVERY`], for as long as the server runs; a failing
/// pass is logged and tried again next time (what it committed stays committed).
pub fn spawn(service: Service, policy: RetentionPolicy) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = chrono::Utc::now().timestamp_micros();
            match service.expire(policy, now).await {
                Ok(pass) if pass.steps > 0 => tracing::info!(
                    jobs = pass.expired.jobs,
                    perf_values = pass.expired.perf_values,
                    busy = pass.busy,
                    "retention: {pass}"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %treeherd_service::chain(&e), "retention pass failed")
                }
            }
        }
    });
}
