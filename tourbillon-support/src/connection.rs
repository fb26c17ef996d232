//! One HTTP connection served to completion, written once for every async server: the
//! tourbillon server and its tokio twin run this very loop, so `scripts/wrk-compare.sh` compares
//! runtimes, not two copies of the server.
//!
//! # Timeouts
//!
//! A client that holds a connection without finishing a request must not hold it forever (a few
//! thousand such clients would exhaust the server's descriptors). Two limits, from the command
//! line (`args.rs`):
//!
//! - **Header timeout**: a request must arrive whole (its head, and the small body this server
//!   accepts) within this time of its first byte; the first request of a connection within this
//!   time of the accept, so a client that connects and says nothing is not kept for the idle
//!   timeout.
//! - **Idle timeout**: between requests a kept-alive connection may stay silent this long, and
//!   writing the answers may take this long.
//!
//! A connection over either limit is closed without an answer (as nginx does). The limits come
//! from each runtime's own `timeout` through [`Connection::timeout`].
//!
//! # Graceful shutdown
//!
//! A server that drains ([`Drain::start`]) wants every connection to answer the request it is
//! receiving and then close. The loop checks the server's [`Drain`] after each answer (one
//! relaxed load), and keeps its [`Activity`] up to date (one relaxed store per read), so that
//! the server can close at once the connections that are between requests, with nothing in
//! hand. Both cost the same in every server, draining or not, so the twins stay comparable.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::http;

/// The two limits of the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The time a request may take to arrive, from its first byte (or the accept).
    pub header: Duration,
    /// The time a connection may stay silent between requests, or take to read our answers.
    pub idle: Duration,
}

/// A server's "shutting down" flag, shared by its connections.
#[derive(Debug, Default)]
pub struct Drain {
    draining: AtomicBool,
}

impl Drain {
    /// Not draining.
    pub const fn new() -> Drain {
        Drain {
            draining: AtomicBool::new(false),
        }
    }

    /// From now on every connection closes after its current answer.
    pub fn start(&self) {
        // Relaxed: a connection that reads it late answers one more request, no harm.
        self.draining.store(true, Relaxed);
    }

    /// Is the server shutting down?
    pub fn is_draining(&self) -> bool {
        self.draining.load(Relaxed)
    }
}

/// Whether one connection has a request in hand (begun, not yet answered).
#[derive(Debug, Default)]
pub struct Activity {
    busy: AtomicBool,
}

impl Activity {
    /// Does the connection hold part of a request or an answer not yet written? If not, a
    /// draining server may close it without losing anything but a request that arrives just
    /// then (which a closed connection would have refused anyway).
    pub fn is_busy(&self) -> bool {
        self.busy.load(Relaxed)
    }

    fn set_busy(&self, busy: bool) {
        // Relaxed: a hint for the server's drain; see `is_busy`.
        self.busy.store(busy, Relaxed);
    }
}

/// What the loop needs from a runtime: its `TcpStream`'s operations, and its timer.
pub trait Connection: Send {
    /// Reads into `buf`; `Ok(0)` means the peer closed its side.
    fn read(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;
    /// Writes all of `buf`.
    fn write_all(&mut self, buf: &[u8]) -> impl Future<Output = io::Result<()>> + Send;
    /// Turns off Nagle's algorithm: answers leave as soon as they are written.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;
    /// Runs `future` for at most `limit`: `None` if the time ran out first.
    fn timeout<F: Future + Send>(
        limit: Duration,
        future: F,
    ) -> impl Future<Output = Option<F::Output>> + Send;
}

/// Reads, answers every complete request, writes the answers in one go; until the peer closes,
/// a response says to close, the server drains (after the answer in hand), or a timeout of the
/// module docs runs out (then the error is `TimedOut`).
pub async fn serve<C: Connection>(
    mut stream: C,
    timeouts: Timeouts,
    drain: &Drain,
    activity: &Activity,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = http::RequestBuffer::new();
    let mut output = Vec::with_capacity(4096);
    // When the request being received must be in; `None` while no request has begun.
    let mut request_deadline = Some(Instant::now() + timeouts.header);
    loop {
        let limit = match request_deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => timeouts.idle,
        };
        activity.set_busy(!input.pending().is_empty());
        let n = C::timeout(limit, stream.read(input.spare_mut()))
            .await
            .ok_or(io::ErrorKind::TimedOut)??;
        if n == 0 {
            return Ok(());
        }
        activity.set_busy(true);
        input.filled_by(n);
        let outcome = http::respond(&mut input, &mut output);
        let answered = !output.is_empty();
        if answered {
            C::timeout(timeouts.idle, stream.write_all(&output))
                .await
                .ok_or(io::ErrorKind::TimedOut)??;
            output.clear();
        }
        if outcome == http::Outcome::Close || (answered && drain.is_draining()) {
            return Ok(());
        }
        // A request still partial began in this read if the ones before it were answered.
        request_deadline = match request_deadline {
            _ if input.pending().is_empty() => None,
            Some(deadline) if !answered => Some(deadline),
            _ => Some(Instant::now() + timeouts.header),
        };
    }
}
