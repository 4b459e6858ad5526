//! `treeherd consume`: its flags ([`ConsumeArgs`]), what they become
//! ([`ConsumeConfig`]), and consuming until the broker closes the connection.

use clap::Args;

use super::DatabaseArgs;
use crate::config;
use crate::consume::{self, ConsumeConfig};

/// The flags of `treeherd consume`.
#[derive(Args, Debug)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// amqp://user:pass@host:5672/vhost or amqps://...
    #[arg(long, env = "TREEHERD_AMQP_URL", value_parser = config::amqp_url)]
    pub amqp_url: String,
    /// The topic exchange to bind to.
    #[arg(long)]
    pub exchange: String,
    /// The durable queue to consume from.
    #[arg(long)]
    pub queue: String,
    /// The routing key pattern of the binding.
    #[arg(long, default_value = "#")]
    pub routing_key: String,
    /// The most messages written in one transaction.
    #[arg(long, default_value_t = 500)]
    pub batch: u16,
    /// Unacknowledged messages at once (default: three batches, so that deliveries keep
    /// coming while one batch commits).
    #[arg(long)]
    pub prefetch: Option<u16>,
}

impl From<ConsumeArgs> for ConsumeConfig {
    fn from(args: ConsumeArgs) -> ConsumeConfig {
        ConsumeConfig {
            amqp_url: args.amqp_url,
            exchange: args.exchange,
            queue: args.queue,
            routing_key: args.routing_key,
            prefetch: args
                .prefetch
                .unwrap_or_else(|| args.batch.saturating_mul(3)),
            batch: usize::from(args.batch),
        }
    }
}

pub(super) async fn run(args: ConsumeArgs) -> anyhow::Result<()> {
    let store = args.database.open_migrated().await?;
    consume::run(store, &ConsumeConfig::from(args)).await
}
