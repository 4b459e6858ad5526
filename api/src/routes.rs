//! Every HTTP route, mounted from the `configure` function of the file that serves it:
//! GraphQL and its subscriptions (`crate::graphql_routes`), GraphiQL (`crate::graphiql`),
//! pulse jobs (`crate::job_routes`), the pushlog (`crate::pushlog_routes`), job logs
//! (`crate::log_routes`), Treeherder's REST API (`crate::rest`), the health probes (`crate::health`), Prometheus'
//! `/metrics` (`crate::metrics_routes`) and the web UI at `/`
//! (`crate::ui`). What they share is in `crate::state`; no route file knows another.

use actix_web::web;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(crate::graphql_routes::configure)
        .configure(crate::job_routes::configure)
        .configure(crate::pushlog_routes::configure)
        .configure(crate::log_routes::configure)
        .configure(crate::rest::configure)
        .configure(crate::health::configure)
        .configure(crate::metrics_routes::configure)
        .configure(crate::graphiql::configure)
        .configure(crate::ui::configure);
}
