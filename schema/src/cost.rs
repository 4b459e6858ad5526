//! What a query costs, reported in every answer's `extensions.cost` the way Shopify's API
//! does, and the complexity limit that refuses a query costing too much.
//!
//! - `requestedQueryCost`: async-graphql's complexity of the operation, from its validation
//!   result, so by the very rules the limit applies: each field counts 1 and a connection's
//!   selection once per item it may answer (`first`: `crate::limits::page_complexity`).
//!   `null` when the query never got that far (it does not parse or is not valid).
//! - `actualQueryCost`: the same rules on what was answered: every field in the answer's
//!   `data` counts 1 each time it appears, so a connection's fields count once per item it
//!   returned rather than per item it could have. Never more than the requested cost but for
//!   `__typename`s, which the requested cost leaves out.
//! - `maximumAvailable`: the most a query may request ([`MAX_COMPLEXITY`]); there is no
//!   budget over time to report (no rate limit).
//!
//! The limit is checked here rather than by async-graphql's own `limit_complexity`, whose
//! refusal cannot say the cost: a refused query is told its cost and the limit.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextValidation,
};
use async_graphql::{ErrorExtensionValues, Name, Response, ServerError, ValidationResult, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::limits::MAX_COMPLEXITY;

/// Registered on the schema: reports each request's cost and refuses those over the limit.
pub(crate) struct Cost;

impl ExtensionFactory for Cost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostOfRequest {
            requested: AtomicUsize::new(UNKNOWN),
        })
    }
}

/// The requested cost before validation has computed it.
const UNKNOWN: usize = usize::MAX;

/// One request's cost, as validation computed it.
struct CostOfRequest {
    requested: AtomicUsize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostOfRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let requested = match self.requested.load(Ordering::Relaxed) {
            UNKNOWN => Value::Null,
            cost => Value::from(cost as u64),
        };
        let cost = [
            ("requestedQueryCost", requested),
            (
                "actualQueryCost",
                Value::from(fields_answered(&response.data) as u64),
            ),
            ("maximumAvailable", Value::from(MAX_COMPLEXITY as u64)),
        ];
        response.extensions.insert(
            "cost".to_owned(),
            Value::Object(cost.into_iter().map(|(k, v)| (Name::new(k), v)).collect()),
        );
        response
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        self.requested.store(result.complexity, Ordering::Relaxed);
        if result.complexity > MAX_COMPLEXITY {
            let mut error = ServerError::new(
                format!(
                    "Query is too complex: it costs {}, the limit is {MAX_COMPLEXITY} (ask for \
                     fewer items with `first`, or fewer fields)",
                    result.complexity
                ),
                None,
            );
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "BAD_USER_INPUT");
            extensions.set("cost", result.complexity as u64);
            extensions.set("maximumAvailable", MAX_COMPLEXITY as u64);
            error.extensions = Some(extensions);
            return Err(vec![error]);
        }
        Ok(result)
    }
}

/// The fields in an answer's data, each counted every time it appears.
fn fields_answered(data: &Value) -> usize {
    match data {
        Value::Object(fields) => fields.values().map(|v| 1 + fields_answered(v)).sum(),
        Value::List(items) => items.iter().map(fields_answered).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::fields_answered;
    use async_graphql::Value;

    #[test]
    fn fields_count_once_per_appearance() {
        let data = Value::from_json(serde_json::json!({
            "repository": {"pushes": {"nodes": [{"id": 1, "author": "a"}, {"id": 2, "author": "b"}]}}
        }))
        .unwrap_or_default();
        // repository, pushes, nodes, and two fields for each of two items.
        assert_eq!(fields_answered(&data), 3 + 4);
        assert_eq!(fields_answered(&Value::Null), 0);
    }
}
