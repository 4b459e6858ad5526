//! `--database`/`TREEHERD_DATABASE_URL`, which every command that touches the store takes, and
//! opening that store (migrated first, for every command but `serve` and `migrate`), its
//! dependency graph under `serve`'s default budget.

use clap::Args;
use treeherd_store::{DatabaseUrl, Store, StoreOptions};

use crate::config;

/// The database a command works on.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// sqlite://PATH (created when missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long = "database",
        env = "TREEHERD_DATABASE_URL",
        default_value = "sqlite://treeherd.db",
        value_parser = config::database_url
    )]
    pub url: DatabaseUrl,
}

impl DatabaseArgs {
    /// The store, migrated: every command but `serve` (which migrates itself) and `migrate`
    /// (which reports what it applied) starts so.
    pub(super) async fn open_migrated(&self) -> anyhow::Result<Store> {
        let store = self.open()?;
        let migrating = store.clone();
        tokio::task::spawn_blocking(move || migrating.migrate()).await??;
        Ok(store)
    }

    /// The store's error names the database and the cause; nothing to add. Its graph keeps
    /// to `serve`'s default budget: an import that writes one edge must not load all of
    /// history.
    pub(super) fn open(&self) -> anyhow::Result<Store> {
        let options = StoreOptions {
            graph_budget: Some((config::DEFAULT_GRAPH_BUDGET_MB as usize) << 20),
            ..StoreOptions::default()
        };
        Ok(Store::open(&self.url, &options)?)
    }
}
