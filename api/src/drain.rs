//! How a server stops without losing anything in flight, behind a load balancer.
//!
//! On SIGTERM (or SIGINT) the server, in this order:
//! 1. turns `/readyz` unready (503 `draining`), so the load balancer stops routing new
//!    requests to it, and waits `drain_delay` for the balancer's health check to see it
//!    (SIGINT, a person's Ctrl-C, does not wait);
//! 2. closes every subscription's WebSocket with a close frame (1001, going away): clients
//!    reconnect, through the balancer, to another replica and resume after their last cursor;
//! 3. stops accepting connections and lets the requests in flight finish, for at most
//!    `shutdown_timeout` (actix-web's graceful stop); acknowledged writes have committed.
//!
//! The parse worker's leases and the pushlog poller's claims need nothing here: work a
//! stopped replica held is taken over by another once its lease runs out.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::Bytes;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::watch;

/// How a server drains (`--drain-delay`, `--shutdown-timeout`).
#[derive(Debug, Clone, Copy)]
pub struct DrainOptions {
    /// How long `/readyz` says unready before anything stops.
    pub drain_delay: Duration,
    /// How long requests in flight may take to finish once the server stops accepting.
    pub shutdown_timeout: Duration,
}

impl Default for DrainOptions {
    fn default() -> Self {
        DrainOptions {
            drain_delay: Duration::from_secs(3),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// The draining state every route can see: cheap to clone.
#[derive(Clone)]
pub(crate) struct Drain {
    draining: Arc<AtomicBool>,
    /// Becomes `true` when open WebSockets are to be closed.
    closing: watch::Sender<bool>,
}

impl Drain {
    pub(crate) fn new() -> Drain {
        Drain {
            draining: Arc::default(),
            closing: watch::channel(false).0,
        }
    }

    /// Whether the server is stopping (`/readyz` answers 503).
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    pub(crate) fn start(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Closes every subscription socket (those opened later are closed at once).
    pub(crate) fn close_sockets(&self) {
        self.draining.store(true, Ordering::Relaxed);
        self.closing.send_replace(true);
    }

    /// `body` (a WebSocket's frames) ended with a close frame when the sockets close.
    pub(crate) fn closable(&self, body: BoxBody) -> BoxBody {
        BoxBody::new(ClosableSocket {
            body,
            closing: Box::pin(closed(self.closing.subscribe())),
            state: SocketState::Open,
        })
    }
}

async fn closed(mut closing: watch::Receiver<bool>) {
    // An error means the sender went: the server is gone, close too.
    let _ = closing.wait_for(|closing| *closing).await;
}

/// A WebSocket close frame from the server (unmasked, FIN): 1001 "going away".
const GOING_AWAY: [u8; 16] = [
    0x88, 14, 0x03, 0xE9, b's', b'e', b'r', b'v', b'e', b'r', b' ', b's', b't', b'o', b'p', b's',
];

enum SocketState {
    Open,
    Closed,
}

/// A WebSocket response body that, once told to close, sends a close frame and ends. The
/// actor behind the body writes whole frames per chunk, so ending between chunks ends between
/// frames.
struct ClosableSocket {
    body: BoxBody,
    closing: Pin<Box<dyn Future<Output = ()>>>,
    state: SocketState,
}

impl MessageBody for ClosableSocket {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = &mut *self;
        if let SocketState::Closed = this.state {
            return Poll::Ready(None);
        }
        if this.closing.as_mut().poll(cx).is_ready() {
            this.state = SocketState::Closed;
            return Poll::Ready(Some(Ok(Bytes::from_static(&GOING_AWAY))));
        }
        let next = Pin::new(&mut this.body).poll_next(cx);
        if let Poll::Ready(None) = next {
            this.state = SocketState::Closed;
        }
        next
    }
}

/// Waits for SIGTERM or SIGINT; says whether it was SIGTERM (a load balancer's orchestrator,
/// which waits for the drain delay) rather than a person's Ctrl-C.
pub(crate) async fn stop_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => true,
                _ = tokio::signal::ctrl_c() => false,
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops gracefully");
                let _ = tokio::signal::ctrl_c().await;
                false
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        false
    }
}
