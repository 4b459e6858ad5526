//! How this process's store is doing, read when `/metrics` is scraped: its connection pool,
//! its live dependency graph (size, and how many committed changes it has not applied yet),
//! and the logs waiting to be parsed. Two cheap reads (the newest change's sequence number
//! through the primary key, a count of the pending logs through the parse queue's index); the
//! rest is in memory.

use diesel::prelude::*;
use treeherd_model::LogStatus;

use crate::schema::{graph_changes, job_logs};
use crate::{Store, StoreError};

/// One reading of the store's vitals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreVitals {
    /// Connections the pool holds open, and of those idle.
    pub pool_connections: u32,
    pub pool_idle: u32,
    /// The most it opens.
    pub pool_max: u32,
    /// Jobs and edges in this process's graph, the bytes it has allocated, and how many
    /// questions it answered from the jobs it holds and from the database.
    pub graph_jobs: usize,
    pub graph_edges: usize,
    pub graph_bytes: usize,
    pub graph_answered_held: u64,
    pub graph_answered_from_store: u64,
    /// Committed graph changes this process has not applied (it catches up before each
    /// graph question, so this is how stale an idle process's graph is).
    pub graph_changes_behind: i64,
    /// Logs waiting to be parsed, by every replica.
    pub logs_waiting: i64,
}

impl Store {
    /// A reading of the store's vitals.
    pub async fn vitals(&self) -> Result<StoreVitals, StoreError> {
        let pool = self.pool.state();
        let pool_max = self.pool.max_size();
        let (newest, logs_waiting) = self
            .run(|conn| {
                let newest: Option<i64> = graph_changes::table
                    .select(diesel::dsl::max(graph_changes::seq))
                    .first(conn)?;
                let waiting: i64 = job_logs::table
                    .filter(job_logs::status.eq(LogStatus::Pending.as_str()))
                    .count()
                    .get_result(conn)?;
                Ok((newest, waiting))
            })
            .await?;
        let graph = self.graph.size()?;
        let graph_changes_behind = match (newest, graph.applied) {
            (Some(newest), Some(applied)) => newest.saturating_sub(applied).max(0),
            _ => 0,
        };
        Ok(StoreVitals {
            pool_connections: pool.connections,
            pool_idle: pool.idle_connections,
            pool_max,
            graph_jobs: graph.jobs,
            graph_edges: graph.edges,
            graph_bytes: graph.bytes,
            graph_answered_held: graph.answered_held,
            graph_answered_from_store: graph.answered_from_store,
            graph_changes_behind,
            logs_waiting,
        })
    }
}
