//! Networking: TCP, UDP and Unix domain sockets driven by the reactor.
//!
//! The types mirror `std::net`, `std::os::unix::net` and tokio: [`TcpListener`],
//! [`TcpStream`] (with borrowed and owned halves in [`tcp`]), [`UdpSocket`], and their Unix
//! twins [`UnixListener`], [`UnixStream`] (halves in [`unix`]) and [`UnixDatagram`]. Every
//! socket is non-blocking, registered with the reactor of the runtime it was created in, once,
//! for reading and writing, edge-triggered.
//!
//! [`AcceptBackoff`] is the accept loop's answer to failures (back off while out of
//! descriptors, skip a connection that went bad).
//!
//! # How an operation runs
//!
//! An operation makes its syscall first; only on `WouldBlock` does the task wait for the reactor
//! to report readiness, then it tries again. Data that is already there costs one syscall.
//!
//! # Addresses
//!
//! TCP and UDP constructors take anything [`std::net::ToSocketAddrs`] takes
//! (`"127.0.0.1:8080"`, a `SocketAddr`, `("localhost", 80)`) and try each resolved address in
//! turn. Resolving a host *name* is a blocking DNS lookup on the calling worker; numeric
//! addresses never block. Unix sockets take a path.
//!
//! # Sharing a socket between tasks
//!
//! The `&self` async methods of the listeners and datagram sockets may be awaited by any
//! number of tasks at once (share the socket in an `Arc`): every waiting task is woken. A
//! stream has one reader and one writer at a time, enforced by `&mut self` and by its
//! split halves; the `poll_*` methods and the `futures_io` traits wake only the task that
//! polled last, as everywhere in Rust's poll-based I/O.
//!
//! # tokio's I/O traits
//!
//! With the `tokio-io` feature, [`TcpStream`] and its halves also implement tokio's
//! `AsyncRead`/`AsyncWrite` (from the `tokio` crate with no features: no tokio runtime), so
//! tokio-util's codecs, tokio-rustls and the like work on them.
//!
//! # Runtime shutdown
//!
//! A socket that outlives its runtime fails every operation with an error saying the runtime is
//! gone, and still closes its file descriptor when dropped.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

#[macro_use]
mod macros;
mod accept_backoff;
pub mod tcp;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod udp;
pub mod unix;

pub use accept_backoff::AcceptBackoff;
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

/// Runs `f` on each address `addr` resolves to; returns the first success, else the last error.
fn each_addr<T>(
    addr: impl ToSocketAddrs,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last_error = None;
    for addr in addr.to_socket_addrs()? {
        match f(addr) {
            Ok(value) => return Ok(value),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(no_addresses))
}

/// Runs `accept` until it returns anything but `ECONNABORTED`: a connection reset while it sat
/// in the backlog concerns that connection, not the listener (the listeners' rule 1).
fn retry_aborted<T>(mut accept: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match accept() {
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            result => return result,
        }
    }
}

fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any addresses",
    )
}
