//! [`UnixListener`]: accepts Unix domain stream connections.
//!
//! `accept` follows `TcpListener`'s failure rules: `ECONNABORTED` is retried, any other error
//! is returned with the readiness left set, so the next `accept` tries again at once.

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::UnixStream;
use crate::io::{Direction, Registered};

/// A Unix domain socket listening for connections.
///
/// Binding creates the socket file; dropping the listener closes the socket but, as with the
/// standard library, leaves the file: remove it when you are done.
///
/// # Examples
///
/// ```
/// use tourbillon::net::{UnixListener, UnixStream};
///
/// # tourbillon::block_on(async {
/// let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let mut client = UnixStream::connect(&path).await?;
/// let (mut server, _peer) = listener.accept().await?;
/// client.write_all(b"hi").await?;
/// let mut buf = [0; 2];
/// let mut got = 0;
/// while got < 2 {
///     got += server.read(&mut buf[got..]).await?;
/// }
/// assert_eq!(&buf, b"hi");
/// std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct UnixListener {
    io: Registered<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds a listener to `path` (which must not exist yet). Not async, as in tokio: binding
    /// never waits.
    ///
    /// # Errors
    /// The OS error of `bind(2)` or `listen(2)` (`AddrInUse` if the file exists), or the
    /// runtime has shut down.
    ///
    /// # Panics
    /// Outside a tourbillon runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tourbillon::net::UnixListener;
    ///
    /// # tourbillon::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("bind.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// // The socket file exists now: binding the path again fails.
    /// let err = UnixListener::bind(&path).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddrInUse);
    /// # drop(listener);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Registered::new(mio::net::UnixListener::bind(path)?)?,
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
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("from_std.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    /// let listener = tourbillon::net::UnixListener::from_std(std_listener)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Registered::new(mio::net::UnixListener::from_std(listener))?,
        })
    }

    /// Waits for a connection and returns it with the peer's address (usually unnamed).
    ///
    /// Any number of tasks may wait in `accept` on one listener (shared in an `Arc`); each
    /// connection goes to one of them.
    ///
    /// # Errors
    /// The OS error of `accept(2)`, except `ECONNABORTED`, which is retried.
    ///
    /// # Examples
    ///
    /// ```
    /// use tourbillon::net::{UnixListener, UnixStream};
    ///
    /// # tourbillon::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("accept.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let _client = UnixStream::connect(&path).await?;
    /// let (server, peer) = listener.accept().await?;
    /// assert!(peer.is_unnamed()); // the client did not bind a path
    /// assert_eq!(server.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let accepted = self.io.async_io_shared(Direction::Read, accept).await;
        self.register_accepted(accepted)
    }

    /// Polls for a connection: `accept` for callers that write their own futures. Only the
    /// task that polls last is woken.
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use tourbillon::net::{UnixListener, UnixStream};
    ///
    /// # tourbillon::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("poll_accept.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let _client = UnixStream::connect(&path).await?;
    /// let (_stream, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, accept)
            .map(|accepted| self.register_accepted(accepted))
    }

    /// Registers an accepted stream with the listener's reactor (no thread-local lookup).
    fn register_accepted(
        &self,
        accepted: io::Result<(mio::net::UnixStream, SocketAddr)>,
    ) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) = accepted?;
        let stream = Registered::with_handle(stream, self.io.handle().clone())?;
        Ok((UnixStream::from_registered(stream), peer))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// The OS error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tourbillon::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("tourbillon-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("local_addr.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = tourbillon::net::UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

/// One `accept(2)`, retrying `ECONNABORTED`.
fn accept(listener: &mio::net::UnixListener) -> io::Result<(mio::net::UnixStream, SocketAddr)> {
    crate::net::retry_aborted(|| listener.accept())
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

impl std::os::fd::AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl std::os::fd::AsFd for UnixListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}
