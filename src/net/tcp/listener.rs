//! [`TcpListener`]: accepts TCP connections.
//!
//! Failure paths of `accept`, decided here once:
//!
//! 1. `ECONNABORTED` (a connection reset while it sat in the backlog) is retried at once: it
//!    concerns that connection, not the listener.
//! 2. Any other error (`EMFILE`, `ENFILE`, `ENOBUFS`, ...) is returned to the caller. It is not
//!    `WouldBlock`, so the readiness stays set: the next `accept` tries the syscall again at once
//!    instead of waiting for an edge that already came. The listener stays usable; the caller
//!    decides how long to back off (the pending connections wait in the backlog).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll};

use super::TcpStream;
use crate::io::{Direction, Registered};

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```
/// use tourbillon::net::{TcpListener, TcpStream};
///
/// # tourbillon::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let client = TcpStream::connect(addr).await?;
/// let (server, peer) = listener.accept().await?;
/// assert_eq!(peer, client.local_addr()?);
/// assert_eq!(server.peer_addr()?, client.local_addr()?);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct TcpListener {
    io: Registered<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listener to the first address `addr` resolves to that accepts the bind (with
    /// `SO_REUSEADDR` and a backlog of 1024, as mio sets them).
    ///
    /// # Errors
    /// Every address failed to bind (the last error is returned), or `addr` resolved to none.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await?;
    /// assert_ne!(listener.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let listener = crate::net::each_addr(addr, mio::net::TcpListener::bind)?;
        Ok(TcpListener {
            io: Registered::new(listener)?,
        })
    }

    /// Wraps a listener bound with the standard library; it is switched to non-blocking mode.
    ///
    /// # Errors
    /// The socket could not be made non-blocking or registered with the reactor.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = std_listener.local_addr()?;
    /// let listener = tourbillon::net::TcpListener::from_std(std_listener)?;
    /// assert_eq!(listener.local_addr()?, addr);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Registered::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// Any number of tasks may wait in `accept` on one listener (shared in an `Arc`); each
    /// connection goes to one of them.
    ///
    /// # Errors
    /// The OS error of `accept(2)`, except `ECONNABORTED`, which is retried. Under `EMFILE` /
    /// `ENFILE` the error is returned at once and the listener stays usable: back off, free
    /// descriptors, and call `accept` again ([`AcceptBackoff`](crate::net::AcceptBackoff)
    /// does that for an accept loop).
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::{TcpListener, TcpStream};
    ///
    /// # tourbillon::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let _client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_stream, peer) = listener.accept().await?;
    /// assert!(peer.ip().is_loopback());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let accepted = self.io.async_io_shared(Direction::Read, accept).await;
        self.register_accepted(accepted)
    }

    /// Polls for a connection: `accept` for callers that write their own futures. Only the
    /// task that polls last is woken: share a listener between tasks with `accept` instead.
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use tourbillon::net::{TcpListener, TcpStream};
    ///
    /// # tourbillon::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let _client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_stream, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, accept)
            .map(|accepted| self.register_accepted(accepted))
    }

    /// Registers an accepted stream with the listener's reactor (no thread-local lookup).
    fn register_accepted(
        &self,
        accepted: io::Result<(mio::net::TcpStream, SocketAddr)>,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = accepted?;
        let stream = Registered::with_handle(stream, self.io.handle().clone())?;
        Ok((TcpStream::from_registered(stream), peer))
    }

    /// The address the listener is bound to (with the port the OS chose for port 0).
    ///
    /// # Errors
    /// The OS error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// let listener = tourbillon::net::TcpListener::bind("127.0.0.1:0").await?;
    /// assert!(listener.local_addr()?.ip().is_loopback());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

/// One `accept(2)`, retrying `ECONNABORTED` (rule 1).
fn accept(listener: &mio::net::TcpListener) -> io::Result<(mio::net::TcpStream, SocketAddr)> {
    crate::net::retry_aborted(|| listener.accept())
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}
