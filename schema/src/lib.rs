//! The GraphQL API: types, resolvers and limits, built once into a [`TreeherdSchema`] that
//! the server shares between requests.
//!
//! GraphQL types live here and only here; they wrap the store's types and never expose
//! database rows. Mutations map their input, call the service (`treeherd-service`, where
//! the write rules live) and map its answer; queries read the store through loaders. Errors
//! are mapped at one boundary ([`ApiError`]), so clients see a stable `extensions.code` and
//! never internal detail.

mod answer_budget;
mod change_stream;
mod cost;
mod error;
mod field_order;
mod limits;
mod loaders;
mod mutation;
mod nul;
mod query;
mod subscription;
mod types;

pub use error::ApiError;
pub use limits::{MAX_COMPLEXITY, MAX_DEPTH, MAX_PAGE_SIZE, MAX_SERIES_POINTS, MAX_TEST_RESULTS};

use async_graphql::Schema;
use treeherd_service::Service;

pub type TreeherdSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

/// The largest answer one request may build, by default (`--max-response-bytes`).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Builds the schema over the service: mutations call it, queries and loaders read its
/// store, subscriptions listen on its channels of changes. An answer that grows past
/// `max_response_bytes` is stopped and refused (`RESPONSE_TOO_LARGE`).
pub fn build(service: Service, max_response_bytes: usize) -> TreeherdSchema {
    let store = service.store().clone();
    let changes = service.changes().clone();
    Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .limit_depth(MAX_DEPTH)
        // The complexity limit is checked by `cost::Cost`, which says what a query costs.
        .extension(cost::Cost)
        .extension(nul::RefuseNul)
        .extension(field_order::FieldOrder)
        .extension(answer_budget::AnswerBudget {
            max_bytes: max_response_bytes,
        })
        .data(loaders::Loaders::new(service.clone()))
        .data(store)
        .data(changes)
        .data(service)
        .finish()
}

/// The schema in SDL, as checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .finish()
        .sdl()
}

#[cfg(test)]
mod tests {
    /// The checked-in SDL is what clients and reviewers read: it must match the code.
    /// `TREEHERD_BLESS=1 cargo test -p treeherd-schema` rewrites it after a deliberate change.
    #[test]
    fn checked_in_sdl_matches_the_schema() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
        let sdl = super::sdl();
        if std::env::var("TREEHERD_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &sdl).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == sdl,
            "schema/schema.graphql is out of date: run `TREEHERD_BLESS=1 cargo test -p treeherd-schema` and review the diff"
        );
    }
}
