//! A job's logs served from treeherd's own origin, for the web UI's log viewer
//! (`ui/logview.js`): `GET /api/jobs/{guid}/logs/{name}` streams the log's text from where it
//! is stored, and `GET /demo/logs/...` serves the demo's logs (`treeherd_demo`).
//!
//! Logs are pointers, never copies: this route fetches the stored URL on each request and
//! streams it through, inflated when it is gzip (by its magic bytes, as the parser decides),
//! so the browser needs no CORS from an artifact server and reads plain text. Memory stays
//! at a few chunks whatever the size: the download and the inflating thread are joined by
//! small channels, and a reader that goes away stops the download.
//!
//! - It is an open read, as every read of treeherd is, but it only ever fetches URLs stored
//!   as logs of the named job (never one taken from the request): whoever may write jobs
//!   decides what it fetches, as they decide what the parse worker fetches.
//! - A URL without a host (`/demo/logs/...`) is on this server: it is fetched from the
//!   address the request came in on, so a demo database keeps working when its server moves
//!   to another port.
//! - Unknown job or log: 404. A log that cannot be fetched (refused, timed out, an error
//!   status, more than `TREEHERD_LOG_MAX_BYTES` announced): 502 with the reason. A body that
//!   grows past that limit, breaks off or is corrupt gzip ends the response early (the
//!   reader sees a truncated body) and the reason goes to the server log.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use flate2::read::MultiGzDecoder;
use std::io::{self, Read};
use std::net::SocketAddr;
use tokio::sync::mpsc;
use treeherd_service::ServiceError;
use treeherd_service::logs::fetch::{ChannelReader, describe};
use treeherd_store::JobLog;

use crate::state::{ANSWER_TIMEOUT, LogSource, State, error_response};

/// Inflated bytes sent to the reader at a time.
const CHUNK: usize = 64 << 10;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/api/jobs/{guid}/logs/{name:.+}", web::get().to(job_log))
        .route("/demo/logs/{guid}/{shape}/{name}", web::get().to(demo_log));
}

/// The text of a job's log, streamed from its URL.
async fn job_log(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (guid, name) = path.into_inner();
    let log = match log_of(&state, guid.clone(), &name).await {
        Ok(log) => log,
        Err(response) => return response,
    };
    let url = resolve(&log.url, request.app_config().local_addr());
    match open(&state.log_source, &url).await {
        Ok(body) => text_response().streaming(body),
        Err(reason) => {
            tracing::warn!(job = %guid, log = %name, url = %log.url, %reason, "cannot serve a log");
            // The same body shape as every other error, with its own code: not the caller's
            // fault, nor ours.
            HttpResponse::BadGateway().json(serde_json::json!({"error": {
                "code": "BAD_GATEWAY",
                "message": format!("cannot fetch the log {name} of job {guid} from {}: {reason}", log.url),
            }}))
        }
    }
}

/// A demo log, made again from its stored job (see `treeherd_demo`).
async fn demo_log(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (guid, _, name) = path.into_inner();
    let log = match log_of(&state, guid.clone(), &name).await {
        Ok(log) => log,
        Err(response) => return response,
    };
    let job = match state.service.store().job(guid.clone()).await {
        Ok(Some(job)) => job,
        Ok(None) => return not_found(&guid, &name),
        Err(e) => return error_response(e.into()),
    };
    // Only a log stored at this very address is served.
    match (log.url == request.path())
        .then(|| treeherd_demo::served_log(&job, &log.url))
        .flatten()
    {
        Some(text) => text_response().body(text),
        None => not_found(&guid, &name),
    }
}

/// The stored log `name` of job `guid`, or the response saying it is not there.
async fn log_of(state: &State, guid: String, name: &str) -> Result<JobLog, HttpResponse> {
    let job = match state.service.store().job(guid.clone()).await {
        Ok(Some(job)) => job,
        Ok(None) => return Err(not_found(&guid, name)),
        Err(e) => return Err(error_response(e.into())),
    };
    let mut logs = match state.service.store().logs_of(vec![job.id]).await {
        Ok(logs) => logs,
        Err(e) => return Err(error_response(e.into())),
    };
    logs.remove(&job.id)
        .into_iter()
        .flatten()
        .find(|log| log.name == name)
        .ok_or_else(|| not_found(&guid, name))
}

fn not_found(guid: &str, name: &str) -> HttpResponse {
    error_response(ServiceError::NotFound(format!(
        "job {guid} has no log {name}"
    )))
}

fn text_response() -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Shown as text, never as a page of this origin, whatever the log holds.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ));
    response
}

/// A stored URL made absolute: one without a host is on this server.
fn resolve(url: &str, local: SocketAddr) -> String {
    if url.starts_with('/') && !url.starts_with("//") {
        format!("http://{local}{url}")
    } else {
        url.to_owned()
    }
}

/// The body a reader gets: text, or an error that ends it early.
type Body = futures_util::stream::BoxStream<'static, Result<Bytes, io::Error>>;

/// Fetches `url` until its first bytes, and hands back the rest as a stream of text; `Err` is
/// why the log cannot be served.
async fn open(source: &LogSource, url: &str) -> Result<Body, String> {
    let mut response = tokio::time::timeout(ANSWER_TIMEOUT, source.http.get(url).send())
        .await
        .map_err(|_| "no answer in time".to_owned())?
        .map_err(|e| describe(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the server answered {status}"));
    }
    let max_bytes = source.max_bytes;
    if let Some(length) = response.content_length().filter(|l| *l > max_bytes) {
        return Err(over_limit(length, max_bytes));
    }
    // Enough of the body to tell gzip from text.
    let mut head = Vec::new();
    while head.len() < GZIP_MAGIC.len() {
        match response.chunk().await.map_err(|e| describe(&e))? {
            Some(chunk) => head.extend_from_slice(&chunk),
            None => break,
        }
    }
    let (text, body) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    let errors = text.clone();
    let pumping = if head.starts_with(&GZIP_MAGIC) {
        let (compressed, inflating) = mpsc::channel::<Bytes>(8);
        tokio::task::spawn_blocking(move || inflate(ChannelReader::new(inflating), &text));
        tokio::spawn(async move { pump(response, head, max_bytes, &compressed, |b| b).await })
    } else {
        tokio::spawn(async move { pump(response, head, max_bytes, &text, Ok).await })
    };
    tokio::spawn(async move {
        if let Ok(Err(reason)) = pumping.await {
            tracing::warn!(%reason, "a log being served broke off");
            // Ends the reader's body early: a truncated log is never passed off as whole.
            let _ = errors.send(Err(io::Error::other(reason))).await;
        }
    });
    Ok(Box::pin(futures_util::stream::unfold(
        body,
        |mut body| async move { body.recv().await.map(|item| (item, body)) },
    )))
}

/// Passes the download on, `head` first, until it ends, the reader goes away or it grows past
/// `max_bytes`.
async fn pump<T>(
    mut response: reqwest::Response,
    head: Vec<u8>,
    max_bytes: u64,
    out: &mpsc::Sender<T>,
    wrap: fn(Bytes) -> T,
) -> Result<(), String> {
    let mut received = head.len() as u64;
    if !head.is_empty() && out.send(wrap(Bytes::from(head))).await.is_err() {
        return Ok(());
    }
    loop {
        if received > max_bytes {
            return Err(over_limit(received, max_bytes));
        }
        match response.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                if out.send(wrap(chunk)).await.is_err() {
                    // The reader went away: stop downloading.
                    return Ok(());
                }
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(describe(&e)),
        }
    }
}

/// Inflates the gzip stream `compressed` into `text`, on a blocking thread.
fn inflate(compressed: ChannelReader, text: &mpsc::Sender<Result<Bytes, io::Error>>) {
    let mut decoder = MultiGzDecoder::new(compressed);
    loop {
        let mut buf = vec![0; CHUNK];
        match decoder.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                buf.truncate(n);
                if text.blocking_send(Ok(Bytes::from(buf))).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::warn!(error = %e, "a gzip log being served is corrupt");
                let _ = text.blocking_send(Err(e));
                return;
            }
        }
    }
}

fn over_limit(bytes: u64, max_bytes: u64) -> String {
    format!("{bytes} bytes or more, over the limit of {max_bytes} (TREEHERD_LOG_MAX_BYTES)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_host_is_on_this_server() {
        let local: SocketAddr = ([127, 0, 0, 1], 8123).into();
        assert_eq!(
            resolve("/demo/logs/a/build/live_backing.log", local),
            "http://127.0.0.1:8123/demo/logs/a/build/live_backing.log"
        );
        let v6: SocketAddr = (std::net::Ipv6Addr::LOCALHOST, 80).into();
        assert_eq!(resolve("/x", v6), "http://[::1]:80/x");
        for url in ["https://logs.example/a.log", "//elsewhere/a.log"] {
            assert_eq!(resolve(url, local), url);
        }
    }
}
