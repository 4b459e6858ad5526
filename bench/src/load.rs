//! A closed-loop load: N clients each send a request, wait for its answer, and repeat until
//! the time is up; plus the empty actix server used as the reference.

use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::time::{Duration, Instant};

pub struct LoadResult {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
}

/// POSTs `body` (or GETs when `None`) to `url` from `clients` concurrent clients for `duration`.
pub async fn run(
    url: &str,
    body: Option<String>,
    clients: usize,
    duration: Duration,
) -> LoadResult {
    run_with_headers(url, body, &[], clients, duration).await
}

/// [`run`], each request carrying `headers`.
pub async fn run_with_headers(
    url: &str,
    body: Option<String>,
    headers: &[(&'static str, &'static str)],
    clients: usize,
    duration: Duration,
) -> LoadResult {
    let headers = headers.to_vec();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("HTTP client");
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            let body = body.clone();
            let headers = headers.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let request = match &body {
                        Some(body) => client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body.clone()),
                        None => client.get(&url),
                    };
                    let request = headers.iter().fold(request, |request, (name, value)| {
                        request.header(*name, *value)
                    });
                    match request.send().await {
                        Ok(response) if response.status().is_success() => {
                            if response.bytes().await.is_err() {
                                errors += 1;
                            }
                        }
                        _ => errors += 1,
                    }
                    latencies.push(sent.elapsed());
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.expect("load task");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    LoadResult {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        errors,
    }
}

pub struct EmptyServer {
    pub port: u16,
}

/// An actix server whose one handler answers an empty 200: the most any handler could do.
pub fn empty_server() -> anyhow::Result<EmptyServer> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(|| App::new().route("/", web::get().to(HttpResponse::Ok)))
        .listen(listener)?
        .run();
    tokio::spawn(server);
    Ok(EmptyServer { port })
}
