//! A local stand-in for bugzilla.mozilla.org's REST API: answers `GET /rest/bug` with the
//! bugs changed at or after `last_change_time`, oldest change first, `limit` from `offset`,
//! as `{"bugs": [...]}`; and can be told to answer something malformed or huge instead. It
//! is the remote system, not ours.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::hg_server::request_target;

/// What the next answers are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The bugs asked for.
    Bugs,
    /// A body that is not JSON.
    Malformed,
    /// Bugzilla's own error answer, with HTTP 400.
    Error,
    /// A valid answer padded to this many bytes.
    Huge(usize),
}

/// What the server holds and how it answers; change it between fetches.
pub struct Behaviour {
    /// Bug objects as `GET /rest/bug` gives them.
    pub bugs: Vec<Value>,
    pub answer: Answer,
    /// The request targets received, in order.
    pub requests: Vec<String>,
}

pub struct BugzillaServer {
    /// The base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    pub behaviour: Arc<Mutex<Behaviour>>,
}

impl BugzillaServer {
    pub async fn start(bugs: Vec<Value>) -> BugzillaServer {
        let behaviour = Arc::new(Mutex::new(Behaviour {
            bugs,
            answer: Answer::Bugs,
            requests: Vec::new(),
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let shared = behaviour.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let behaviour = shared.clone();
                tokio::spawn(async move {
                    let Some(target) = request_target(&mut socket).await else {
                        return;
                    };
                    let (status, body) = answer(&behaviour, &target);
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(body.as_bytes()).await;
                });
            }
        });
        BugzillaServer { url, behaviour }
    }

    pub fn with<T>(&self, change: impl FnOnce(&mut Behaviour) -> T) -> T {
        change(&mut self.behaviour.lock().unwrap())
    }

    /// The value of query parameter `name` in each request so far.
    pub fn asked(&self, name: &str) -> Vec<String> {
        self.with(|b| {
            b.requests
                .iter()
                .map(|target| param(target, name).unwrap_or_default())
                .collect()
        })
    }
}

fn param(target: &str, name: &str) -> Option<String> {
    target
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .map(str::to_owned)
}

fn answer(behaviour: &Mutex<Behaviour>, target: &str) -> (&'static str, String) {
    let mut b = behaviour.lock().unwrap();
    b.requests.push(target.to_owned());
    if !target.starts_with("/rest/bug?") {
        return ("404 Not Found", "{}".into());
    }
    // RFC 3339 in UTC with a Z sorts as text.
    let since = param(target, "last_change_time").unwrap_or_default();
    let number = |name: &str, default: usize| {
        param(target, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (offset, limit) = (number("offset", 0), number("limit", 10_000));
    let changed = |bug: &Value| {
        bug["last_change_time"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let mut bugs: Vec<Value> = b
        .bugs
        .iter()
        .filter(|bug| changed(bug) >= since)
        .cloned()
        .collect();
    bugs.sort_by_key(|bug| (changed(bug), bug["id"].as_i64()));
    let page: Vec<Value> = bugs.into_iter().skip(offset).take(limit).collect();
    match &b.answer {
        Answer::Bugs => ("200 OK", json!({"bugs": page}).to_string()),
        Answer::Malformed => ("200 OK", "{\"bugs\": [{\"id\": 1, ".into()),
        Answer::Error => (
            "400 Bad Request",
            json!({"error": true, "code": 108, "message": "Invalid parameter"}).to_string(),
        ),
        Answer::Huge(size) => {
            let mut body = json!({"bugs": page}).to_string();
            body.pop();
            let padding = size.saturating_sub(body.len() + 20);
            body.push_str(&format!(", \"pad\": \"{}\"}}", "x".repeat(padding)));
            ("200 OK", body)
        }
    }
}
