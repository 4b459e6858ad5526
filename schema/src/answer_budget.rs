//! A request that resolves many fields gives its thread back now and then. Most fields of a
//! big answer resolve without waiting (their rows are loaded), so a request of half a million
//! fields would otherwise hold its worker thread for one long stretch: the other requests on
//! that thread would wait for it, and its deadline (`api`'s `graphql_routes`), which can only
//! end a request where it waits, would not end it. Every 2,048 fields it yields once
//! (`tokio::task::yield_now`), which costs a few microseconds per 2,048 fields.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Fields resolved between two yields.
const FIELDS_PER_YIELD: usize = 2048;

/// Registered on the schema: one counter per request.
pub(crate) struct YieldPoints;

impl ExtensionFactory for YieldPoints {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Counter::default())
    }
}

#[derive(Default)]
struct Counter {
    fields: AtomicUsize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Counter {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if self.fields.fetch_add(1, Ordering::Relaxed) % FIELDS_PER_YIELD == FIELDS_PER_YIELD - 1 {
            tokio::task::yield_now().await;
        }
        next.run(ctx, info).await
    }
}
