//! `treeherd expire [--days N] [--perf-days N]`: one retention pass by hand, the pass `serve`
//! runs hourly when retention is configured (`treeherd_service::retention`). The windows fall
//! back to the variables `serve` reads; with neither, there is nothing to expire and it says
//! so. It prints what it removed. Interrupted, it loses nothing: each step commits whole, and
//! running it again goes on from the oldest job left.

use clap::Args;
use std::time::Duration;
use treeherd_service::{Changes, RetentionPolicy, Service};

use super::DatabaseArgs;
use crate::config::{self, ConfigError};

/// The flags of `treeherd expire`.
#[derive(Args)]
pub(super) struct ExpireArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Days a job is kept (1 to 36500): older jobs go, with everything that hangs off them.
    #[arg(long, env = "TREEHERD_RETENTION_DAYS", value_parser = config::retention_days)]
    days: Option<Duration>,
    /// Days a performance value is kept, by its push's time (1 to 36500).
    #[arg(long, env = "TREEHERD_PERF_RETENTION_DAYS", value_parser = config::retention_days)]
    perf_days: Option<Duration>,
}

pub(super) async fn run(args: ExpireArgs) -> anyhow::Result<()> {
    let policy = RetentionPolicy {
        jobs: args.days,
        perf: args.perf_days,
    };
    if !policy.is_on() {
        return Err(ConfigError(
            "nothing to expire: give --days N (or TREEHERD_RETENTION_DAYS) and/or --perf-days N \
             (or TREEHERD_PERF_RETENTION_DAYS)"
                .into(),
        )
        .into());
    }
    let store = args.database.open_migrated().await?;
    let service = Service::new(store, Changes::default());
    let pass = service
        .expire(policy, chrono::Utc::now().timestamp_micros())
        .await?;
    println!("{pass}");
    Ok(())
}
