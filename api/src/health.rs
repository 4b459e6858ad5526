//! The health probes: `/healthz` (the process answers) and `/readyz` (the database too, and
//! the server is not stopping: a draining server is unready first, so a load balancer stops
//! routing to it before it stops, `crate::drain`).

use actix_web::{HttpResponse, web};

use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn readyz(state: web::Data<State>) -> HttpResponse {
    if state.drain.is_draining() {
        return HttpResponse::ServiceUnavailable().body("draining");
    }
    match state.service.store().ping().await {
        Ok(()) => HttpResponse::Ok().body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().body("database unreachable")
        }
    }
}
