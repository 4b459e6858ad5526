//! Whether the client of a request is still there. actix-web keeps running a handler whose
//! client has disconnected (it notices only when it writes the answer; actix-web issue
//! #3462), so a GraphQL request would run to its deadline for nobody, and on PostgreSQL its
//! statement with it. Each connection keeps a duplicate of its socket (`on_connect`); while a
//! GraphQL request runs, [`gone`] peeks at it every [`CHECK_EVERY`]: end of stream or an error
//! means the client closed, and the request is dropped (its resolvers with it; the store then
//! cancels its statement on PostgreSQL, `treeherd_store`'s `statement_cancel`). The answer is
//! a 499 (nginx's "client closed request") that nobody reads but the metrics count.
//!
//! A peek reads nothing: bytes the client sent ahead (a pipelined request) stay for actix.

use actix_web::HttpRequest;
use actix_web::dev::Extensions;
use std::any::Any;
use std::io::ErrorKind;
use std::os::fd::AsFd;
use std::time::Duration;

/// How often a running request looks for its client.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// A duplicate of a connection's socket, to peek at.
struct PeerSocket(std::net::TcpStream);

/// Registered with `HttpServer::on_connect`: keeps a duplicate of each TCP connection's socket.
pub(crate) fn on_connect(connection: &dyn Any, data: &mut Extensions) {
    let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    let Ok(fd) = tcp.as_fd().try_clone_to_owned() else {
        return;
    };
    let socket = std::net::TcpStream::from(fd);
    // The socket is non-blocking already (it is tokio's); this only says so to std.
    if socket.set_nonblocking(true).is_ok() {
        data.insert(PeerSocket(socket));
    }
}

/// Whether the client closed its side: end of stream or a reset.
fn closed(socket: &std::net::TcpStream) -> bool {
    match socket.peek(&mut [0u8; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted),
    }
}

/// Resolves once `request`'s client has gone; never, when its connection cannot be watched.
pub(crate) async fn gone(request: &HttpRequest) {
    let Some(PeerSocket(socket)) = request.conn_data::<PeerSocket>() else {
        return std::future::pending().await;
    };
    let mut every = tokio::time::interval(CHECK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if closed(socket) {
            return;
        }
    }
}
