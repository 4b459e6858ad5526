//! What one request's answer may take while it resolves: its thread, and memory.
//!
//! **Yield points.** Most fields of a big answer resolve without waiting (their rows are
//! loaded), so a request of half a million fields would otherwise hold its worker thread for
//! one long stretch: the other requests on that thread would wait for it, and its deadline
//! (`api`'s `graphql_routes`), which can only end a request where it waits, would not end it.
//! Every 2,048 fields it yields once (`tokio::task::yield_now`), which costs a few
//! microseconds per 2,048 fields.
//!
//! **The response cap.** The complexity limit judges a query before it runs, by what it asks
//! for; what it gets can still be large (a drawing of a big graph, long strings). Each field's
//! value is counted as it resolves (leaves only: an object's size is its fields') with its
//! key, roughly as JSON spells it; past the cap the request stops at once (its resolvers are
//! dropped, and what it held with them) and its answer is one error, `RESPONSE_TOO_LARGE`. The
//! answer so built is never more than the cap plus the one value that crossed it.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextResolve,
    ResolveInfo,
};
use async_graphql::{Request, Response, ServerError, ServerResult, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;

/// Fields resolved between two yields.
const FIELDS_PER_YIELD: usize = 2048;

/// The code of an answer that grew past the cap.
pub(crate) const TOO_LARGE_CODE: &str = "RESPONSE_TOO_LARGE";

/// Registered on the schema: one budget per request, of `max_bytes` of answer.
pub(crate) struct AnswerBudget {
    pub(crate) max_bytes: usize,
}

impl ExtensionFactory for AnswerBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(BudgetExtension(Arc::new(Budget {
            max_bytes: self.max_bytes,
            fields: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            over: AtomicBool::new(false),
        })))
    }
}

/// The extension of one request; the budget is also in the request's data, for the resolvers
/// that write many values at once ([`spend`]).
struct BudgetExtension(Arc<Budget>);

/// What one request has spent.
pub(crate) struct Budget {
    max_bytes: usize,
    fields: AtomicUsize,
    bytes: AtomicUsize,
    over: AtomicBool,
}

/// About how many bytes `value` adds to the JSON answer, not counting what its fields add
/// (each is counted when it resolves).
pub(crate) fn leaf_bytes(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Boolean(_) => 5,
        Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Enum(name) => name.len() + 2,
        Value::Binary(bytes) => bytes.len() * 2,
        // A list of objects is counted by their fields; a list of scalars here.
        Value::List(items) => match items.first() {
            Some(Value::Object(_)) => items.len(),
            _ => items.iter().map(leaf_bytes).sum::<usize>() + 2,
        },
        Value::Object(_) => 2,
    }
}

/// Counts `bytes` written by a resolver at once (`types::job_node`) towards the request's cap.
pub(crate) fn spend<T>(
    ctx: &async_graphql::context::ContextBase<'_, T>,
    bytes: usize,
) -> ServerResult<()> {
    match ctx.data_opt::<Arc<Budget>>() {
        Some(budget) => budget.spend(bytes),
        None => Ok(()),
    }
}

impl Budget {
    fn spend(&self, bytes: usize) -> ServerResult<()> {
        if self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes > self.max_bytes {
            self.over.store(true, Ordering::Relaxed);
            return Err(self.too_large());
        }
        Ok(())
    }

    fn too_large(&self) -> ServerError {
        let mut error = ServerError::new(
            format!(
                "the answer grew past {} bytes, the most one request may return: ask for less \
                 (fewer fields or a smaller page)",
                self.max_bytes
            ),
            None,
        );
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", TOO_LARGE_CODE);
        error
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for BudgetExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        request.data.insert(self.0.clone());
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut work = std::pin::pin!(next.run(ctx, operation_name));
        let answer = std::future::poll_fn(|cx| match work.as_mut().poll(cx) {
            _ if self.0.over.load(Ordering::Relaxed) => Poll::Ready(None),
            Poll::Ready(answer) => Poll::Ready(Some(answer)),
            Poll::Pending => Poll::Pending,
        })
        .await;
        answer.unwrap_or_else(|| Response::from_errors(vec![self.0.too_large()]))
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let budget = &self.0;
        if budget.fields.fetch_add(1, Ordering::Relaxed) % FIELDS_PER_YIELD == FIELDS_PER_YIELD - 1
        {
            tokio::task::yield_now().await;
        }
        let key = info.alias.unwrap_or(info.name).len() + 3;
        let value = next.run(ctx, info).await?;
        budget.spend(key + value.as_ref().map_or(4, leaf_bytes))?;
        Ok(value)
    }
}
