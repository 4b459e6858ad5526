//! The service layer: the rules every way into treeherd shares, below every front door.
//!
//! GraphQL (`treeherd-schema`), `POST /api/jobs`, the AMQP consumer, the GitHub webhook,
//! the hg poller, the parse worker and the CLI imports all call this crate, so a rule is
//! written once and a job guid goes `front door → service → store` whichever way it came:
//!
//! - who may do what: [`Caller`] and its [`Scopes`] (`caller`);
//! - bugs kept locally, their import and bug suggestions (`bugs`), fetched from Bugzilla
//!   (`bugzilla`);
//! - submitting jobs, test results, artifacts and edges (`jobs`), builds (`builds`),
//!   releases and schedules (`releases`), repositories and machine states
//!   (`repositories`), each authorised before its input is converted (`submitted`);
//! - Treeherder pulse messages (`ingest`), pushes from every source (`pushes`, and the
//!   pushlog rules of hg, GitHub and `json-pushes` in `pushlog`), task graph and git imports
//!   (`imports`);
//! - fetching, parsing and storing job logs (`logs`);
//! - retention: expiring old jobs and performance values in bounded steps (`retention`), and
//!   bulk export of jobs as NDJSON (`export`);
//! - the one place that writes *and announces* what it wrote to subscribers (`announce`,
//!   over the channels of `events`);
//! - what the process counts about itself for Prometheus (`metrics`);
//! - one error enum, [`ServiceError`], that GraphQL maps to `extensions.code` and HTTP to a
//!   status by matching its [`ErrorKind`].
//!
//! It knows nothing of GraphQL or HTTP: no async-graphql, no actix. Loops and timers (the
//! poller, the parse worker, the AMQP consumer) stay in `treeherd-api` and call in here.

mod announce;
pub mod bugs;
pub mod bugzilla;
pub mod builds;
mod caller;
pub mod classifications;
mod error;
mod events;
pub mod export;
mod feed;
pub mod imports;
pub mod ingest;
pub mod jobs;
pub mod logs;
pub mod metrics;
mod pushes;
pub mod pushlog;
mod releases;
mod repositories;
pub mod retention;
mod service;
mod submitted;
mod utc_time;

pub use caller::{Caller, KNOWN_SCOPE_FORMS, Scopes, UnknownScope};
pub use error::{ErrorKind, ServiceError, chain};
pub use events::Changes;
pub use retention::{RetentionPass, RetentionPolicy};
pub use service::{AutoclassifyOptions, Service};
pub use submitted::Submitted;

#[cfg(test)]
mod tests {
    /// The layer sits below every front door: it must not depend on one.
    #[test]
    fn the_service_depends_on_no_front_door() {
        let manifest = include_str!("../Cargo.toml");
        for door in ["treeherd-schema", "treeherd-api", "async-graphql", "actix"] {
            assert!(
                !manifest.contains(door),
                "service/Cargo.toml names {door}: the service must not know its front doors"
            );
        }
    }
}
