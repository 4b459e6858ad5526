//! The health probes: `/healthz` (the process answers) and `/readyz` (the database too).

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
    match state.service.store().ping().await {
        Ok(()) => HttpResponse::Ok().body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().body("database unreachable")
        }
    }
}
