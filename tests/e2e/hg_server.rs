//! A local stand-in for hg.mozilla.org: answers `json-pushes?version=2&full=1&startID&endID`
//! from a fixture page the way hg does (startID exclusive, endID inclusive), and can be told
//! to fail, to be slow, or to have been reset. It is the remote system, not ours.

use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server holds and how it behaves; change it between syncs.
#[derive(Default)]
pub struct Behaviour {
    /// Push id → push object, as in a json-pushes v2 page.
    pub pushes: Map<String, Value>,
    /// Overrides the newest push id it reports (a reset repository reports a smaller one).
    pub last_push_id: Option<i64>,
    /// Requests still to answer with HTTP 500.
    pub failures: usize,
    /// A pause before each answer.
    pub delay: Duration,
    /// The request targets received, in order.
    pub requests: Vec<String>,
}

pub struct HgServer {
    pub url: String,
    pub behaviour: Arc<Mutex<Behaviour>>,
}

impl HgServer {
    /// Serves the pushes of a json-pushes v2 page.
    pub async fn start(page: &Value) -> HgServer {
        let behaviour = Arc::new(Mutex::new(Behaviour {
            pushes: page["pushes"].as_object().cloned().unwrap_or_default(),
            ..Behaviour::default()
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/integration/mozilla-inbound",
            listener.local_addr().unwrap().port()
        );
        let shared = behaviour.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let behaviour = shared.clone();
                tokio::spawn(async move {
                    let Some(target) = request_target(&mut socket).await else {
                        return;
                    };
                    let (status, body, delay) = answer(&behaviour, &target);
                    tokio::time::sleep(delay).await;
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        HgServer { url, behaviour }
    }

    pub fn with<T>(&self, change: impl FnOnce(&mut Behaviour) -> T) -> T {
        change(&mut self.behaviour.lock().unwrap())
    }
}

fn answer(behaviour: &Mutex<Behaviour>, target: &str) -> (&'static str, String, Duration) {
    let mut b = behaviour.lock().unwrap();
    b.requests.push(target.to_owned());
    if b.failures > 0 {
        b.failures -= 1;
        return ("500 Internal Server Error", "{}".into(), b.delay);
    }
    let param = |name: &str| -> Option<i64> {
        target
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
    };
    let (start, end) = (param("startID").unwrap_or(0), param("endID"));
    let newest = b
        .pushes
        .keys()
        .filter_map(|k| k.parse::<i64>().ok())
        .max()
        .unwrap_or(0);
    let last = b.last_push_id.unwrap_or(newest);
    let pushes: Map<String, Value> = b
        .pushes
        .iter()
        .filter(|(id, _)| {
            let id: i64 = id.parse().unwrap();
            id > start && end.is_none_or(|end| id <= end) && id <= last
        })
        .map(|(id, push)| (id.clone(), push.clone()))
        .collect();
    let body = json!({"lastpushid": last, "pushes": pushes}).to_string();
    ("200 OK", body, b.delay)
}

/// Reads an HTTP request's head from `socket` and gives its target (path and query); `None`
/// when the client went away first. Shared by the stand-in servers of the suite.
pub async fn request_target(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&request)
        .split_whitespace()
        .nth(1)
        .map(str::to_owned)
}
