//! A local stand-in for a build system's artifact server (Taskcluster's queue, an FTP
//! mirror): serves fixture logs and misbehaves on request. It is the remote system, not ours.
//!
//! - `/logs/NAME`: the fixture log `treeherder/logs/NAME`, with its Content-Length;
//! - `/unsized/NAME`: the same without Content-Length (the body ends when the connection
//!   closes), so only counting the stream can find it too large;
//! - `/flaky/N/NAME`: HTTP 503 for the first N requests of that path, then the log;
//! - `/down/NAME`: HTTP 500, always;
//! - anything else: 404.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

pub struct LogServer {
    pub url: String,
    /// Requests received, by path.
    pub requests: Arc<Mutex<HashMap<String, usize>>>,
}

impl LogServer {
    pub async fn start(logs: PathBuf) -> LogServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let requests: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let counts = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (counts, logs) = (counts.clone(), logs.clone());
                tokio::spawn(async move {
                    let Some(path) = crate::hg_server::request_target(&mut socket).await else {
                        return;
                    };
                    let seen = {
                        let mut counts = counts.lock().unwrap();
                        let seen = counts.entry(path.clone()).or_default();
                        *seen += 1;
                        *seen
                    };
                    let (head, body) = answer(&logs, &path, seen);
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                });
            }
        });
        LogServer { url, requests }
    }

    pub fn requests_of(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

fn answer(logs: &std::path::Path, path: &str, seen: usize) -> (String, Vec<u8>) {
    let status = |code: &str| {
        (
            format!("HTTP/1.1 {code}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
            Vec::new(),
        )
    };
    let file = |name: &str| std::fs::read(logs.join(name)).ok();
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(3, '/').collect();
    match parts.as_slice() {
        ["logs", name] => match file(name) {
            Some(body) => (
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                ),
                body,
            ),
            None => status("404 Not Found"),
        },
        ["unsized", name] => match file(name) {
            Some(body) => (
                "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_owned(),
                body,
            ),
            None => status("404 Not Found"),
        },
        ["flaky", failures, name] => {
            if seen <= failures.parse().unwrap_or(0) {
                status("503 Service Unavailable")
            } else {
                answer(logs, &format!("/logs/{name}"), seen)
            }
        }
        ["down", _] => status("500 Internal Server Error"),
        _ => status("404 Not Found"),
    }
}
