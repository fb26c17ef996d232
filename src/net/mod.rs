//! Networking: TCP and UDP sockets driven by the reactor.
//!
//! The types mirror `std::net` and tokio: [`TcpListener`], [`TcpStream`] (with borrowed and
//! owned halves in [`tcp`]) and [`UdpSocket`]; [`AcceptBackoff`] is the accept loop's answer to
//! failures (back off while out of descriptors, skip a connection that went bad). Every socket is non-blocking, registered with the
//! reactor of the runtime it was created in, once, for reading and writing, edge-triggered.
//!
//! # How an operation runs
//!
//! An operation makes its syscall first; only on `WouldBlock` does the task wait for the reactor
//! to report readiness, then it tries again. Data that is already there costs one syscall.
//!
//! # Addresses
//!
//! Constructors take anything [`std::net::ToSocketAddrs`] takes (`"127.0.0.1:8080"`, a
//! `SocketAddr`, `("localhost", 80)`) and try each resolved address in turn. Resolving a host
//! *name* is a blocking DNS lookup on the calling worker; numeric addresses never block.
//!
//! # Sharing a socket between tasks
//!
//! The `&self` async methods of [`TcpListener`] and [`UdpSocket`] may be awaited by any number
//! of tasks at once (share the socket in an `Arc`): every waiting task is woken. A
//! [`TcpStream`] has one reader and one writer at a time, enforced by `&mut self` and by its
//! split halves; the `poll_*` methods and the `futures_io` traits wake only the task that
//! polled last, as everywhere in Rust's poll-based I/O.
//!
//! # Runtime shutdown
//!
//! A socket that outlives its runtime fails every operation with an error saying the runtime is
//! gone, and still closes its file descriptor when dropped.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

mod accept_backoff;
pub mod tcp;
mod udp;

pub use accept_backoff::AcceptBackoff;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;

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

fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any addresses",
    )
}
