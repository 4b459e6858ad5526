//! Retention passes: how long jobs and performance values are kept, and one pass that expires
//! what is older, step by step (each step one short transaction in the store,
//! `treeherd_store::Expired`), pausing between steps so that writers waiting on the database
//! get their turn. `treeherd serve` runs a pass now and then on whichever replica gets the
//! lock; `treeherd expire` runs one by hand.

use std::time::{Duration, Instant};
use treeherd_store::{Expired, ExpiryStep};

use crate::{Service, ServiceError};

/// Jobs deleted per step: small enough that a step holds the write lock for a few tens of
/// milliseconds.
pub const STEP_JOBS: usize = 500;

/// The shortest pause between two steps, in which writers run. The pause is at least as long
/// as the step before it took, so a pass takes at most half the database's time whatever the
/// size of what hangs off its jobs: at 10 M jobs a step took ~145 ms, and with a fixed 20 ms
/// pause ingestion p99 rose to 3.9x steady (`treeherd-scale-bench`).
const STEP_PAUSE: Duration = Duration::from_millis(20);

/// The pause after a step that took `took`.
fn pause_after(took: Duration) -> Duration {
    took.max(STEP_PAUSE)
}

/// Steps in a row that may find the log writers' lock held by a job write before the pass
/// stops (it goes on next time).
const MAX_CONTENDED: u32 = 20;

/// How long data is kept. `None` keeps it forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Jobs, with everything that hangs off them.
    pub jobs: Option<Duration>,
    /// Performance values, by their push's time (Treeherder keeps them longer than jobs).
    pub perf: Option<Duration>,
}

impl RetentionPolicy {
    /// Whether it expires anything at all.
    pub fn is_on(&self) -> bool {
        self.jobs.is_some() || self.perf.is_some()
    }
}

/// What a pass removed, how many steps it took, and whether it stopped because another
/// process was running one.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetentionPass {
    pub expired: Expired,
    pub steps: u32,
    pub busy: bool,
    pub elapsed: Duration,
}

impl std::fmt::Display for RetentionPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "expired {} in {} steps ({:.1} s)",
            self.expired,
            self.steps,
            self.elapsed.as_secs_f64()
        )?;
        if self.busy {
            write!(f, "; another process is expiring, this pass stopped")?;
        }
        Ok(())
    }
}

impl Service {
    /// One retention pass at `now` (unix microseconds): steps until nothing older than each
    /// window is left, or another process holds the retention lock.
    pub async fn expire(
        &self,
        policy: RetentionPolicy,
        now: i64,
    ) -> Result<RetentionPass, ServiceError> {
        let started = Instant::now();
        let mut pass = RetentionPass::default();
        let before = |window: Duration| {
            now.saturating_sub(i64::try_from(window.as_micros()).unwrap_or(i64::MAX))
        };
        if let Some(window) = policy.jobs {
            let before = before(window);
            let mut after = None;
            let mut contended = 0;
            loop {
                let step = Instant::now();
                match self.store.expire_jobs(before, after, STEP_JOBS).await? {
                    ExpiryStep::Busy => {
                        pass.busy = true;
                        break;
                    }
                    ExpiryStep::Contended if contended < MAX_CONTENDED => contended += 1,
                    ExpiryStep::Contended => {
                        pass.busy = true;
                        break;
                    }
                    ExpiryStep::Removed(expired, next) => {
                        contended = 0;
                        pass.steps += 1;
                        pass.expired += expired;
                        after = next;
                        if next.is_none() {
                            break;
                        }
                    }
                }
                tokio::time::sleep(pause_after(step.elapsed())).await;
            }
        }
        if let Some(window) = policy.perf.filter(|_| !pass.busy) {
            let before = before(window);
            let mut after = None;
            loop {
                let step = Instant::now();
                let Some((gone, next)) = self
                    .store
                    .expire_perf_data(before, after, STEP_JOBS)
                    .await?
                else {
                    pass.busy = true;
                    break;
                };
                pass.steps += 1;
                pass.expired.perf_values += gone;
                after = next;
                if next.is_none() {
                    break;
                }
                tokio::time::sleep(pause_after(step.elapsed())).await;
            }
        }
        pass.elapsed = started.elapsed();
        Ok(pass)
    }
}
