//! GraphQL over HTTP (POST `/graphql`) and subscriptions over WebSocket (GET `/graphql` with
//! an upgrade); a plain GET gets GraphiQL (`crate::graphiql`).
//!
//! `/graphql` over HTTP is our own handler over `web::Bytes` rather than the crate's streaming
//! extractor: it is faster for batches of 1,000 jobs, and a body over the limit gets a plain
//! 413.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, guard, web};
use async_graphql_actix_web::GraphQLSubscription;

use crate::auth;
use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/graphql")
            .route(web::post().to(graphql))
            .route(
                web::get()
                    .guard(guard::Header("upgrade", "websocket"))
                    .to(subscription),
            )
            .route(web::get().to(crate::graphiql::page)),
    );
}

/// Errors async-graphql raises before any resolver runs (syntax, validation, limits) are the
/// client's: give them the code every other error carries.
const REQUEST_ERROR_CODE: &str = "BAD_USER_INPUT";

async fn graphql(state: web::Data<State>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let query: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(query) => query,
        Err(e) => {
            return HttpResponse::BadRequest().json(serde_json::json!({
                "errors": [{
                    "message": format!("the body is not a GraphQL request: {e}"),
                    "extensions": {"code": REQUEST_ERROR_CODE},
                }]
            }));
        }
    };
    let caller = auth::caller_of(&request, &state.keys, &state.trusted);
    let mut response = state.schema.execute(query.data(caller)).await;
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", REQUEST_ERROR_CODE);
        }
    }
    match serde_json::to_vec(&response) {
        Ok(body) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a GraphQL response");
            HttpResponse::InternalServerError().finish()
        }
    }
}

async fn subscription(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    GraphQLSubscription::new(state.schema.clone()).start(&request, payload)
}
