//! A real load balancer in front of replicas: HAProxy from Debian's package (`.ci/run`
//! installs it), run in the foreground with the README's example configuration
//! (`deploy/haproxy.cfg`), only its ports changed.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian puts HAProxy; `None` when it is not installed.
pub fn haproxy() -> Option<PathBuf> {
    ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

/// A running HAProxy, stopped when dropped.
pub struct Balancer {
    child: Child,
    pub port: u16,
}

impl Balancer {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql", self.port)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The README's example configuration (`deploy/haproxy.cfg`) with its ports changed: the
/// balancer on `port`, its three replicas on `replicas`.
pub fn configuration(port: u16, replicas: &[u16]) -> String {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
    let mut text = std::fs::read_to_string(&example).expect("deploy/haproxy.cfg");
    assert!(
        text.contains("bind 127.0.0.1:8000"),
        "the example binds 8000"
    );
    text = text.replace("bind 127.0.0.1:8000", &format!("bind 127.0.0.1:{port}"));
    for (i, replica) in replicas.iter().enumerate() {
        let example = format!("127.0.0.1:{} check", 8001 + i);
        assert!(text.contains(&example), "the example names {example}");
        text = text.replace(&example, &format!("127.0.0.1:{replica} check"));
    }
    text
}

/// Starts HAProxy in front of `replicas` and waits until it accepts connections.
pub fn start(dir: &Path, haproxy: &Path, replicas: &[u16]) -> Balancer {
    let port = free_port();
    let path = dir.join("haproxy.cfg");
    std::fs::File::create(&path)
        .and_then(|mut file| file.write_all(configuration(port, replicas).as_bytes()))
        .expect("write haproxy.cfg");
    let child = Command::new(haproxy)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start haproxy");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "haproxy does not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Balancer { child, port }
}
