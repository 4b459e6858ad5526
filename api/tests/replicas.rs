//! Three replicas of the real binary on one PostgreSQL database behind a real load balancer
//! (HAProxy): writes through any replica are read and heard through any, and a rolling
//! restart under load loses no acknowledged write and no event a subscriber was owed.
//!
//! Needs PostgreSQL (`TREEHERD_TEST_POSTGRES_URL`) and HAProxy; without them the tests report
//! SKIPPED, unless `TREEHERD_REQUIRE_POSTGRES=1` / `TREEHERD_REQUIRE_HAPROXY=1` (`.ci/run`).

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::balancer::{self, Balancer};
use support::{Server, serve_on};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use treeherd_api::auth::TokenKeys;
use treeherd_store::testing::PostgresTestDatabase;

const SECRET: &str = "replicas-test-secret";
const REPLICAS: usize = 3;

/// Three replicas behind HAProxy, or `None` (reported) when PostgreSQL or HAProxy is missing.
struct Deployment {
    dir: tempfile::TempDir,
    database: PostgresTestDatabase,
    replicas: Vec<Option<Server>>,
    ports: Vec<u16>,
    balancer: Balancer,
    token: String,
    client: reqwest::Client,
}

impl Deployment {
    fn start() -> Option<Deployment> {
        let Some(database) = support::postgres_database("replicas") else {
            treeherd_testkit::skip(
                "TREEHERD_REQUIRE_POSTGRES",
                "TREEHERD_TEST_POSTGRES_URL names no PostgreSQL server",
            );
            return None;
        };
        let Some(haproxy) = balancer::haproxy() else {
            treeherd_testkit::skip("TREEHERD_REQUIRE_HAPROXY", "HAProxy is not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<u16> = (0..REPLICAS).map(|_| balancer::free_port()).collect();
        let mut deployment = Deployment {
            replicas: Vec::new(),
            balancer: balancer::start(dir.path(), &haproxy, &ports),
            ports,
            dir,
            database,
            token: TokenKeys::from_secret(SECRET.as_bytes())
                .issue("test", &["admin".into()], Duration::from_secs(3600))
                .unwrap(),
            client: reqwest::Client::new(),
        };
        for replica in 0..REPLICAS {
            let server = deployment.serve(replica);
            deployment.replicas.push(Some(server));
        }
        Some(deployment)
    }

    fn serve(&self, replica: usize) -> Server {
        let env = [
            ("TREEHERD_JWT_SECRET", SECRET),
            ("TREEHERD_DATABASE_URL", self.database.url()),
        ];
        let bind = format!("127.0.0.1:{}", self.ports[replica]);
        serve_on(self.dir.path(), &bind, &[], &env)
    }

    /// Waits until the balancer routes to every replica: each is ready, and the example's
    /// checks (every second, two to rise) have seen it.
    async fn routed(&self) {
        for port in &self.ports {
            ready(&self.client, *port).await;
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }

    /// SIGTERM to `replica`, waits for it to exit, starts it again on its port.
    async fn restart(&mut self, replica: usize) -> Duration {
        let mut server = self.replicas[replica].take().unwrap();
        let began = Instant::now();
        terminate(&server);
        let status = loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                break status;
            }
            // Dropping the server kills it: the test fails without hanging.
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "a replica drains and exits within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let took = began.elapsed();
        assert!(status.success(), "a drained replica exits with 0: {status}");
        drop(server);
        self.replicas[replica] = Some(self.serve(replica));
        ready(&self.client, self.ports[replica]).await;
        took
    }

    async fn graphql(&self, query: &str, variables: Value) -> Value {
        graphql(
            &self.client,
            &self.balancer.url(),
            &self.token,
            query,
            variables,
        )
        .await
        .unwrap()
    }
}

fn terminate(server: &Server) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn ready(client: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            return;
        }
        assert!(Instant::now() < deadline, "replica on {port} is not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn graphql(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() || body.get("errors").is_some() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body["data"].clone())
}

const SUBMIT: &str = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }";

fn job(guid: &str) -> Value {
    json!({"jobs": [{"guid": guid, "repository": "try", "kind": "TEST", "name": guid,
                     "state": "PENDING"}]})
}

/// Sets its flag when dropped: background writers stop even when the test fails.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A subscriber of `try`'s jobs through the balancer that, like the UI, reconnects when its
/// socket closes and resumes after the last cursor it saw.
struct Subscriber {
    heard: Arc<Mutex<Vec<String>>>,
    reconnects: Arc<AtomicUsize>,
    /// Sockets the server ended with a close frame "going away" (1001).
    going_away: Arc<AtomicUsize>,
    refusals: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
}

impl Subscriber {
    fn start(ws_url: String, cursor: String) -> Subscriber {
        let subscriber = Subscriber {
            heard: Arc::default(),
            reconnects: Arc::default(),
            going_away: Arc::default(),
            refusals: Arc::default(),
            stop: Arc::default(),
        };
        let (heard, reconnects, going_away, refusals, stop) = (
            subscriber.heard.clone(),
            subscriber.reconnects.clone(),
            subscriber.going_away.clone(),
            subscriber.refusals.clone(),
            subscriber.stop.clone(),
        );
        tokio::spawn(async move {
            let mut cursor = cursor;
            while !stop.load(Ordering::Relaxed) {
                if follow(&ws_url, &mut cursor, &heard, &refusals, &stop).await {
                    going_away.fetch_add(1, Ordering::Relaxed);
                }
                reconnects.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        subscriber
    }

    /// Waits until it has heard every one of `guids`.
    async fn hears_all(&self, guids: &[String]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let heard: HashSet<String> = self.heard.lock().unwrap().iter().cloned().collect();
            let missing: Vec<&String> = guids.iter().filter(|g| !heard.contains(*g)).collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never heard {} of {} events, e.g. {:?}",
                missing.len(),
                guids.len(),
                &missing[..missing.len().min(5)]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One connection's worth of following: until the socket closes (or `stop`). Says whether
/// the server closed it with a close frame saying it goes away (1001).
async fn follow(
    ws_url: &str,
    cursor: &mut String,
    heard: &Mutex<Vec<String>>,
    refusals: &Mutex<Vec<Value>>,
    stop: &AtomicBool,
) -> bool {
    let mut request = ws_url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let Ok((mut socket, _)) = tokio_tungstenite::connect_async(request).await else {
        return false;
    };
    let init = json!({"type": "connection_init"}).to_string();
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription($after: String) { jobChanged(repository: \"try\", after: $after) {
            cursor job { guid } } }",
        "variables": {"after": cursor}}})
    .to_string();
    if socket.send(Message::text(init)).await.is_err()
        || socket.send(Message::text(subscribe)).await.is_err()
    {
        return false;
    }
    while !stop.load(Ordering::Relaxed) {
        let message = match tokio::time::timeout(Duration::from_millis(200), socket.next()).await {
            Err(_) => continue, // quiet: look at `stop` again
            Ok(None | Some(Err(_))) => return false,
            Ok(Some(Ok(message))) => message,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Close(frame) => {
                return frame.is_some_and(|f| u16::from(f.code) == 1001);
            }
            _ => continue,
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str() {
            Some("next") if message["payload"]["data"].is_object() => {
                let event = &message["payload"]["data"]["jobChanged"];
                *cursor = event["cursor"].as_str().unwrap().to_owned();
                heard
                    .lock()
                    .unwrap()
                    .push(event["job"]["guid"].as_str().unwrap().to_owned());
            }
            Some("next" | "error") => refusals.lock().unwrap().push(message),
            _ => {}
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_through_any_replica_are_read_and_heard_through_any() {
    let Some(deployment) = Deployment::start() else {
        return;
    };
    deployment.routed().await;
    deployment
        .graphql(
            "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"u\"}) { name } }",
            json!({}),
        )
        .await;
    let cursor = deployment.graphql("{ changeCursor }", json!({})).await["changeCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    // Three subscribers: round robin puts one on each replica.
    let subscribers: Vec<Subscriber> = (0..REPLICAS)
        .map(|_| Subscriber::start(deployment.balancer.ws_url(), cursor.clone()))
        .collect();
    let guids: Vec<String> = (0..30).map(|n| format!("any-{n}")).collect();
    for guid in &guids {
        deployment.graphql(SUBMIT, job(guid)).await;
    }
    // Each read goes to the next replica: every one has every write.
    for guid in &guids {
        let found = deployment
            .graphql(
                "query($g: String!) { job(guid: $g) { guid } }",
                json!({"g": guid}),
            )
            .await;
        assert_eq!(found["job"]["guid"], *guid);
    }
    for subscriber in &subscribers {
        subscriber.hears_all(&guids).await;
        let heard = subscriber.heard.lock().unwrap().clone();
        assert_eq!(heard, guids, "once each, in commit order");
        assert!(subscriber.refusals.lock().unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_no_acknowledged_write_and_no_event() {
    let Some(mut deployment) = Deployment::start() else {
        return;
    };
    deployment.routed().await;
    deployment
        .graphql(
            "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"u\"}) { name } }",
            json!({}),
        )
        .await;
    let cursor = deployment.graphql("{ changeCursor }", json!({})).await["changeCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let subscriber = Subscriber::start(deployment.balancer.ws_url(), cursor);

    // Two writers through the balancer until told to stop, keeping what was acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_writers = StopOnDrop(stop.clone());
    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let (client, url, token) = (
                deployment.client.clone(),
                deployment.balancer.url(),
                deployment.token.clone(),
            );
            let (acknowledged, failed, stop) = (acknowledged.clone(), failed.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let guid = format!("w{writer}-{n}");
                    n += 1;
                    match graphql(&client, &url, &token, SUBMIT, job(&guid)).await {
                        Ok(_) => acknowledged.lock().unwrap().push(guid),
                        Err(e) => failed.lock().unwrap().push(format!("{guid}: {e}")),
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for replica in 0..REPLICAS {
        let took = deployment.restart(replica).await;
        eprintln!("replica {replica} drained and stopped in {took:?}");
        deployment.routed().await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let failed = failed.lock().unwrap().clone();
    eprintln!(
        "{} writes acknowledged, {} failed, through a rolling restart of {REPLICAS} replicas; \
         the subscriber reconnected {} times",
        acknowledged.len(),
        failed.len(),
        subscriber.reconnects.load(Ordering::Relaxed)
    );
    assert!(acknowledged.len() >= 50, "too little load to test anything");
    assert!(failed.is_empty(), "no request fails: {failed:?}");
    // Every acknowledged write is stored...
    for guid in &acknowledged {
        let found = deployment
            .graphql(
                "query($g: String!) { job(guid: $g) { guid } }",
                json!({"g": guid}),
            )
            .await;
        assert_eq!(found["job"]["guid"], *guid, "acknowledged, then lost");
    }
    // ...and heard once by the subscriber that was moved from replica to replica.
    subscriber.hears_all(&acknowledged).await;
    let heard = subscriber.heard.lock().unwrap().clone();
    let distinct: HashSet<&String> = heard.iter().collect();
    assert_eq!(distinct.len(), heard.len(), "no event twice");
    assert!(
        subscriber.reconnects.load(Ordering::Relaxed) >= 1,
        "its replica went at least once"
    );
    assert!(subscriber.refusals.lock().unwrap().is_empty());
}
