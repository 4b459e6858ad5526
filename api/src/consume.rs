//! The AMQP consumer (`treeherd consume`): Treeherder pulse job messages from a RabbitMQ/Pulse
//! exchange, ingested exactly as `POST /api/jobs` ingests them.
//!
//! Deliveries that are ready together (up to a batch) are ingested in one transaction and
//! acknowledged only after it commits, so a crash loses nothing: unacknowledged messages are
//! delivered again, and ingestion is idempotent. A message that can never be taken
//! (malformed, invalid, unknown repository) is acknowledged and logged with its reasons, as a
//! dead letter would be; a store failure puts the batch back on the queue.
//!
//! Two stages keep the store busy: one task receives, decodes, validates and maps the next
//! batch while another commits the current one (`ingest_parsed`). The prefetch is larger than
//! a batch (three batches by default) so that the broker keeps sending while a batch commits.
//! Batches commit (and are acknowledged) in the order received. SIGTERM stops it after the
//! batches it took are committed and acknowledged.

use anyhow::Context as _;
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use std::time::Duration;
use tokio::sync::mpsc;
use treeherd_ingest::PulseBatch;
use treeherd_service::{Caller, Changes, Service};
use treeherd_store::Store;

/// Where to consume from.
#[derive(Debug, Clone)]
pub struct ConsumeConfig {
    /// `amqp://user:pass@host:port/vhost` or `amqps://...`.
    pub amqp_url: String,
    /// A topic exchange (declared durable if missing).
    pub exchange: String,
    /// A durable queue, bound to the exchange.
    pub queue: String,
    /// The binding's routing key pattern.
    pub routing_key: String,
    /// How many unacknowledged messages the broker may send at once: more than `batch`, so
    /// that deliveries keep coming while a batch commits.
    pub prefetch: u16,
    /// The most messages committed in one transaction.
    pub batch: usize,
}

/// One batch, validated and mapped, and the delivery whose acknowledgement covers it all.
struct Batch {
    jobs: PulseBatch,
    last: Delivery,
}

/// Consumes until the connection closes or fails, or the process is told to stop.
pub async fn run(store: Store, config: &ConsumeConfig) -> anyhow::Result<()> {
    let connection = Connection::connect(&config.amqp_url, ConnectionProperties::default())
        .await
        .context("cannot connect to the AMQP broker")?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(config.prefetch, BasicQosOptions::default())
        .await?;
    channel
        .exchange_declare(
            config.exchange.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("cannot declare exchange {}", config.exchange))?;
    channel
        .queue_declare(
            config.queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("cannot declare queue {}", config.queue))?;
    channel
        .queue_bind(
            config.queue.as_str().into(),
            config.exchange.as_str().into(),
            config.routing_key.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let consumer = channel
        .basic_consume(
            config.queue.as_str().into(),
            "treeherd".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(exchange = %config.exchange, queue = %config.queue, "consuming pulse job messages");

    // One batch decoded ahead of the one committing: enough to overlap the two stages.
    let (ready, mut committing) = mpsc::channel::<Batch>(1);
    let committer = tokio::spawn(async move {
        // A process of its own: nobody here subscribes to what it announces.
        let service = Service::new(store, Changes::default());
        while let Some(batch) = committing.recv().await {
            commit(&service, batch).await?;
        }
        anyhow::Ok(())
    });

    let mut deliveries = consumer.ready_chunks(config.batch.max(1));
    // SIGTERM or SIGINT: take no more deliveries, commit and acknowledge the batches taken,
    // then stop (deliveries fetched but not taken go back to the queue when the connection
    // closes).
    let stop = crate::drain::stop_signal();
    tokio::pin!(stop);
    loop {
        let chunk = tokio::select! {
            chunk = deliveries.next() => chunk,
            _ = &mut stop => {
                tracing::info!("stopping: committing the batches taken, taking no more");
                break;
            }
        };
        let Some(chunk) = chunk else { break };
        let mut jobs = PulseBatch::default();
        let mut messages = 0;
        let mut last = None;
        for delivery in chunk {
            let delivery = delivery.context("the AMQP consumer failed")?;
            match treeherd_ingest::parse_pulse_batch(&delivery.data, messages) {
                Ok(body) => {
                    messages += body.jobs.len() + body.rejected.len();
                    jobs.extend(body);
                }
                Err(e) => tracing::warn!(error = %e, "dropping a message that is not JSON"),
            }
            last = Some(delivery);
        }
        let Some(last) = last else { continue };
        if ready.send(Batch { jobs, last }).await.is_err() {
            break; // The committer stopped: its error is reported below.
        }
    }
    drop(ready);
    committer.await.context("the committing task panicked")?
}

/// Stores one batch, then acknowledges every delivery up to its last; a store failure puts
/// them back on the queue and waits a moment before the next batch.
async fn commit(service: &Service, batch: Batch) -> anyhow::Result<()> {
    let Batch { jobs, last } = batch;
    match service.ingest_parsed(&Caller::Trusted, jobs).await {
        Ok(outcome) => {
            for rejected in &outcome.rejected {
                tracing::warn!(field = %rejected.field, rule = %rejected.rule, "{}", rejected.message);
            }
            tracing::debug!(
                jobs = outcome.jobs.len(),
                rejected = outcome.rejected.len(),
                "ingested"
            );
            // One acknowledgement covers the whole batch (every earlier delivery tag).
            last.ack(BasicAckOptions { multiple: true }).await?;
        }
        Err(e) => {
            tracing::error!(code = e.code(), error = %treeherd_service::chain(&e), "ingestion failed; the messages go back on the queue");
            last.nack(BasicNackOptions {
                multiple: true,
                requeue: true,
            })
            .await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    Ok(())
}
