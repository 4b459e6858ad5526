//! `GET /metrics`: the process's metrics in OpenMetrics text, the format `prometheus-client`
//! writes and Prometheus scrapes (`treeherd_service::metrics`), with the store's vitals read
//! at that moment; and [`observe_requests`], the middleware that times every HTTP request by
//! the route pattern that matched it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpResponse, web};
use std::future::Future;
use std::time::Instant;
use treeherd_service::metrics::Metrics;

use crate::state::State;

/// What Prometheus is told the answer is.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.route("/metrics", web::get().to(metrics));
}

async fn metrics(state: web::Data<State>) -> HttpResponse {
    let vitals = match state.service.store().vitals().await {
        Ok(vitals) => vitals,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the store's vitals for /metrics");
            return HttpResponse::ServiceUnavailable().body("database unreachable");
        }
    };
    match state.service.metrics().render(&vitals) {
        Ok(text) => HttpResponse::Ok().content_type(OPENMETRICS).body(text),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Times `request` through `next` and records it under the route pattern that matches it
/// (`unmatched` when none does), its method and its status. For `App::wrap_fn`.
pub(crate) fn observe_requests<S, B>(
    metrics: &Metrics,
    request: ServiceRequest,
    next: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: actix_web::dev::Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let started = Instant::now();
    let metrics = metrics.clone();
    let method = request.method().to_string();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let answer = next.call(request);
    async move {
        let response = answer.await?;
        metrics.observe_http(
            &route,
            &method,
            response.status().as_u16(),
            started.elapsed(),
        );
        Ok(response)
    }
}
