//! Every request's URL is refused with 400 `BAD_USER_INPUT` when its path or query holds a NUL
//! character (`%00`, the only way one reaches a URL): PostgreSQL cannot store or compare one,
//! so a repository name or a REST filter with a NUL would otherwise end in a 500 there and be
//! served on SQLite (the same rule as GraphQL strings and pulse messages).

use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use futures_util::future::{Either, Ready, ready};
use std::future::Future;
use treeherd_service::ServiceError;

use crate::state::error_response;

/// What the middleware answers: the refusal, or the route's response.
type Answer<B> = Result<ServiceResponse<EitherBody<B>>, Error>;

/// The middleware (`App::wrap_fn`).
pub(crate) fn refuse_nul_in_url<S, B>(
    request: ServiceRequest,
    next: &S,
) -> Either<Ready<Answer<B>>, impl Future<Output = Answer<B>> + use<S, B>>
where
    S: actix_web::dev::Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let uri = request.uri();
    let has_nul = uri.path().contains("%00") || uri.query().is_some_and(|q| q.contains("%00"));
    if has_nul {
        let refused = error_response(ServiceError::bad_input(
            "url",
            format!("the URL {}", treeherd_ingest::NUL_RULE),
        ));
        return Either::Left(ready(Ok(request
            .into_response(refused)
            .map_into_right_body())));
    }
    let answer = next.call(request);
    Either::Right(async move { Ok(answer.await?.map_into_left_body()) })
}
